/* SPDX-License-Identifier: ISC */
/*
 * pg-queue.c - the delivery queue (PostgreSQL backend); see queue.h,
 * and sqlite-queue.c for the same records on SQLite.  The insert runs
 * inside the record transaction of pg_intents_complete_batch(), which
 * holds the fence; the outcomes written back are fenced writes of
 * their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/store/pg-write.h"
#include "daemon/store/queue.h"

int
pg_queue_insert(struct state_impl *st, const struct queue_item *q,
    char *err, size_t errlen)
{
	struct pg_num	 now;
	const char	*vals[6];
	int		 lens[6] = { 0 }, fmts[6] = { 0 };

	if (q->len > INT32_MAX) {
		snprintf(err, errlen, "state %s: queueing a delivery: %zu "
		    "bytes is too large", st->shown, q->len);
		return -1;
	}
	vals[0] = q->kind;
	vals[1] = q->key;
	vals[2] = q->target;
	vals[3] = q->account;
	vals[4] = q->entry != NULL ? q->entry : "";
	lens[4] = (int)q->len;
	fmts[4] = 1;
	vals[5] = pg_i64(&now, (int64_t)time(NULL));
	/* the caller's transaction is fenced already */
	return pg_write(st, PG_UNFENCED, "queueing a delivery", "INSERT INTO"
	    " delivery_queue (kind, key, target, account, entry, status,"
	    " attempts, next_try, created) VALUES ($1, $2, $3, $4, $5,"
	    " 'queued', 0, $6, $6) ON CONFLICT (key) DO NOTHING", 6, vals,
	    lens, fmts, err, errlen) == -1 ? -1 : 0;
}

static int
entry_load(PGresult *r, int row, void *p)
{
	struct queue_entry	*e = p;

	e->id = pg_get_i64(r, row, 0);
	e->kind = pg_get_str(r, row, 1);
	e->key = pg_get_str(r, row, 2);
	e->target = pg_get_str(r, row, 3);
	e->account = pg_get_str(r, row, 4);
	e->entry = (char *)pg_get_bytea(r, row, 5, &e->len);
	e->attempts = (int)pg_get_i64(r, row, 6);
	e->created = pg_get_i64(r, row, 7);
	if (e->kind == NULL || e->key == NULL || e->target == NULL ||
	    e->account == NULL || e->entry == NULL) {
		state_queue_entry_free(e);
		return -1;
	}
	return 0;
}

static void
entry_clear(void *p)
{
	state_queue_entry_free(p);
}

static const struct pg_rowtype entry_type = {
	sizeof(struct queue_entry), entry_load, entry_clear
};

int
pg_queue_due(struct state_impl *st, const char *kind, const char *account,
    int64_t now, size_t max, struct queue_entry **out, size_t *n, char *err,
    size_t errlen)
{
	struct pg_num	 a, b;
	const char	*vals[4];
	void		*v;

	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	vals[0] = pg_i64(&a, now);
	vals[1] = pg_i64(&b, max > INT32_MAX ? INT32_MAX : (int64_t)max);
	vals[2] = kind;
	vals[3] = account;
	if (pg_rows(st, "reading the delivery queue", "SELECT id, kind,"
	    " key, target, account, entry, attempts, created FROM"
	    " delivery_queue WHERE status = 'queued' AND kind = $3 AND"
	    " next_try <= $1 AND ($4::text IS NULL OR account = $4)"
	    " ORDER BY id LIMIT $2", 4, vals, &entry_type, &v, n, err,
	    errlen) == -1)
		return -1;
	*out = v;
	return 0;
}

int
pg_queue_has(struct state_impl *st, const char *key, char *err,
    size_t errlen)
{
	PGresult	*r;
	int		 found;

	if ((r = pg_run(st, "reading the delivery queue", "SELECT 1 FROM"
	    " delivery_queue WHERE key = $1", 1, &key, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	found = PQntuples(r) > 0;
	PQclear(r);
	return found;
}

static int
queue_update(struct state_impl *st, int64_t id, const char *status,
    int64_t next_try, const char *why, char *err, size_t errlen)
{
	struct pg_num	 a, b;
	const char	*vals[4];

	vals[0] = pg_i64(&a, id);
	vals[1] = status;
	vals[2] = pg_i64(&b, next_try);
	vals[3] = why;
	/* once settled, only the key (a second insert of the same
	 * delivery changes nothing) and the outcome are kept */
	return pg_write_text(st, PG_FENCED, "updating the delivery queue",
	    "UPDATE delivery_queue SET status = $2, next_try = $3,"
	    " last_error = $4, attempts = attempts + 1, entry = CASE $2::text"
	    " WHEN 'queued' THEN entry ELSE ''::bytea END WHERE id = $1", 4,
	    vals, 3, err, errlen) == -1 ? -1 : 0;
}

int
pg_queue_done(struct state_impl *st, int64_t id, char *err, size_t errlen)
{
	return queue_update(st, id, "delivered", (int64_t)time(NULL), NULL,
	    err, errlen);
}

int
pg_queue_retry(struct state_impl *st, int64_t id, int64_t next_try,
    const char *why, char *err, size_t errlen)
{
	return queue_update(st, id, "queued", next_try, why, err, errlen);
}

int
pg_queue_failed(struct state_impl *st, int64_t id, const char *status,
    const char *why, char *err, size_t errlen)
{
	return queue_update(st, id, status, (int64_t)time(NULL), why, err,
	    errlen);
}

int
pg_queue_counts(struct state_impl *st, const char *kind,
    struct queue_counts *c, char *err, size_t errlen)
{
	PGresult	*r;

	memset(c, 0, sizeof(*c));
	if ((r = pg_run(st, "counting the delivery queue", "SELECT"
	    " count(*) FILTER (WHERE status = 'queued'),"
	    " count(*) FILTER (WHERE status = 'delivered'),"
	    " count(*) FILTER (WHERE status = 'expired'),"
	    " count(*) FILTER (WHERE status NOT IN ('queued', 'delivered',"
	    "  'expired')),"
	    " coalesce(min(created) FILTER (WHERE status = 'queued'), 0)"
	    " FROM delivery_queue WHERE kind = $1", 1, &kind, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	c->queued = (uint64_t)pg_get_i64(r, 0, 0);
	c->delivered = (uint64_t)pg_get_i64(r, 0, 1);
	c->expired = (uint64_t)pg_get_i64(r, 0, 2);
	c->failed = (uint64_t)pg_get_i64(r, 0, 3);
	c->oldest = pg_get_i64(r, 0, 4);
	PQclear(r);
	return 0;
}

/* SPDX-License-Identifier: ISC */
/*
 * pg-outbox.c - the outgoing queue, the reply rate limit and the log of
 * actions done (PostgreSQL backend); see outbox.h, and sqlite-outbox.c
 * for the same records on SQLite.  Every write belongs to an account
 * and is fenced (pg-int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/store/outbox.h"
#include "daemon/store/pg-write.h"

static int64_t
outbox_insert(struct state_impl *st, const char *key, const char *account,
    const char *smtp, const char *sender, const char *rcpts, const char *data,
    size_t len, char *err, size_t errlen)
{
	struct pg_num	 now;
	const char	*vals[7];
	int		 lens[7] = { 0 }, fmts[7] = { 0 };

	if (len > INT32_MAX) {
		snprintf(err, errlen, "state %s: queueing a message: %zu bytes "
		    "is too large", st->shown, len);
		return -1;
	}
	vals[0] = key;
	vals[1] = account;
	vals[2] = smtp;
	vals[3] = sender;
	vals[4] = rcpts;
	vals[5] = data != NULL ? data : "";
	lens[5] = (int)len;
	fmts[5] = 1;
	vals[6] = pg_i64(&now, (int64_t)time(NULL));
	return pg_write(st, PG_FENCED, "queueing a message", "INSERT INTO"
	    " outbox (key, account, smtp, sender, rcpts, data, status,"
	    " next_try, created) VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7,"
	    " $7) ON CONFLICT (key) DO NOTHING", 7, vals, lens, fmts, err,
	    errlen);
}

int
pg_outbox_add(struct state_impl *st, const char *key, const char *account,
    const char *smtp, const char *sender, const char *rcpts, const char *data,
    size_t len, char *err, size_t errlen)
{
	int64_t	 n;

	if ((n = outbox_insert(st, key, account, smtp, sender, rcpts, data,
	    len, err, errlen)) == -1)
		return -1;
	return n > 0;
}

static int
entry_load(PGresult *r, int row, void *p)
{
	struct outbox_entry	*e = p;

	e->id = pg_get_i64(r, row, 0);
	e->account = pg_get_str(r, row, 1);
	e->smtp = pg_get_str(r, row, 2);
	e->sender = pg_get_str(r, row, 3);
	e->rcpts = pg_get_str(r, row, 4);
	e->data = (char *)pg_get_bytea(r, row, 5, &e->len);
	e->attempts = (int)pg_get_i64(r, row, 6);
	if (e->account == NULL || e->smtp == NULL || e->sender == NULL ||
	    e->rcpts == NULL || e->data == NULL) {
		state_outbox_entry_free(e);
		return -1;
	}
	return 0;
}

static void
entry_clear(void *p)
{
	state_outbox_entry_free(p);
}

static const struct pg_rowtype entry_type = {
	sizeof(struct outbox_entry), entry_load, entry_clear
};

int
pg_outbox_due(struct state_impl *st, const char *account, int64_t now,
    size_t max, struct outbox_entry **out, size_t *n, char *err,
    size_t errlen)
{
	struct pg_num	 a, b;
	const char	*vals[3];
	void		*v;

	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	vals[0] = pg_i64(&a, now);
	vals[1] = pg_i64(&b, max > INT32_MAX ? INT32_MAX : (int64_t)max);
	vals[2] = account;
	if (pg_rows(st, "reading the outbox", "SELECT id, account, smtp,"
	    " sender, rcpts, data, attempts FROM outbox WHERE status ="
	    " 'queued' AND next_try <= $1 AND ($3::text IS NULL OR"
	    " account = $3) ORDER BY id LIMIT $2", 3, vals, &entry_type, &v, n,
	    err, errlen) == -1)
		return -1;
	*out = v;
	return 0;
}

static int
outbox_update(struct state_impl *st, int64_t id, const char *status,
    int64_t next_try, const char *why, char *err, size_t errlen)
{
	struct pg_num	 a, b;
	const char	*vals[4];

	vals[0] = pg_i64(&a, id);
	vals[1] = status;
	vals[2] = pg_i64(&b, next_try);
	vals[3] = why;	/* an SMTP server's words: any bytes */
	return pg_write_text(st, PG_FENCED, "updating the outbox", "UPDATE"
	    " outbox SET status = $2, next_try = $3, last_error = $4,"
	    " attempts = attempts + 1 WHERE id = $1", 4, vals, 3, err,
	    errlen) == -1 ? -1 : 0;
}

int
pg_outbox_sent(struct state_impl *st, int64_t id, char *err, size_t errlen)
{
	return outbox_update(st, id, "sent", (int64_t)time(NULL), NULL, err,
	    errlen);
}

int
pg_outbox_retry(struct state_impl *st, int64_t id, int64_t next_try,
    const char *why, char *err, size_t errlen)
{
	return outbox_update(st, id, "queued", next_try, why, err, errlen);
}

int
pg_outbox_failed(struct state_impl *st, int64_t id, const char *why,
    char *err, size_t errlen)
{
	return outbox_update(st, id, "failed", (int64_t)time(NULL), why, err,
	    errlen);
}

int
pg_outbox_counts(struct state_impl *st, uint64_t *queued, uint64_t *sent,
    uint64_t *failed, char *err, size_t errlen)
{
	PGresult	*r;

	*queued = *sent = *failed = 0;
	if ((r = pg_run(st, "counting the outbox", "SELECT"
	    " count(*) FILTER (WHERE status = 'queued'),"
	    " count(*) FILTER (WHERE status = 'sent'),"
	    " count(*) FILTER (WHERE status NOT IN ('queued', 'sent'))"
	    " FROM outbox", 0, NULL, NULL, NULL, err, errlen)) == NULL)
		return -1;
	*queued = (uint64_t)pg_get_i64(r, 0, 0);
	*sent = (uint64_t)pg_get_i64(r, 0, 1);
	*failed = (uint64_t)pg_get_i64(r, 0, 2);
	PQclear(r);
	return 0;
}

/* The rate limit's one statement: check and record together. */
static int64_t
reply_take(struct state_impl *st, const char *account, const char *rule,
    const char *sender, int64_t now, int64_t every, char *err, size_t errlen)
{
	struct pg_num	 a, b;
	const char	*vals[5];

	vals[0] = account;
	vals[1] = rule;
	vals[2] = sender;
	vals[3] = pg_i64(&a, now);
	vals[4] = pg_i64(&b, every);
	return pg_write(st, PG_FENCED, "checking the reply rate limit",
	    "INSERT INTO reply_log (account, rule, sender, last) VALUES ($1,"
	    " $2, $3, $4) ON CONFLICT (account, rule, sender) DO UPDATE SET"
	    " last = excluded.last WHERE reply_log.last <= $4::bigint -"
	    " $5::bigint", 5, vals, NULL, NULL, err, errlen);
}

int
pg_reply_allow(struct state_impl *st, const char *account, const char *rule,
    const char *sender, int64_t now, int64_t every, char *err, size_t errlen)
{
	int64_t	 n;

	if ((n = reply_take(st, account, rule, sender, now, every, err,
	    errlen)) == -1)
		return -1;
	return n > 0;
}

/* 1 if sql (a SELECT with the key as $1) finds a row, 0 if not. */
static int
key_found(struct state_impl *st, const char *sql, const char *key,
    const char *what, char *err, size_t errlen)
{
	PGresult	*r;
	int		 found;

	if ((r = pg_run(st, what, sql, 1, &key, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	found = PQntuples(r) > 0;
	PQclear(r);
	return found;
}

int
pg_reply_queue(struct state_impl *st, const struct outbox_msg *m,
    const char *rule, const char *to, int64_t now, int64_t every,
    char *err, size_t errlen)
{
	int64_t	 r;

	if (pg_begin(st, PG_FENCED, err, errlen) == -1)
		return -1;
	if ((r = key_found(st, "SELECT 1 FROM outbox WHERE key = $1", m->key,
	    "reading the outbox", err, errlen)) == 1)
		r = 2;
	else if (r == 0 && (r = reply_take(st, m->account, rule, to, now,
	    every, err, errlen)) > 0) {
		r = 1;
		if (outbox_insert(st, m->key, m->account, m->smtp, m->sender,
		    m->rcpts, m->data, m->len, err, errlen) == -1)
			r = -1;
	}
	if (r == -1) {
		pg_rollback(st);
		return -1;
	}
	return pg_commit(st, err, errlen) == -1 ? -1 : (int)r;
}

int
pg_action_done(struct state_impl *st, const char *key, char *err,
    size_t errlen)
{
	return key_found(st, "SELECT 1 FROM action_done WHERE key = $1", key,
	    "reading the action log", err, errlen);
}

int
pg_action_mark(struct state_impl *st, const char *key, char *err,
    size_t errlen)
{
	struct pg_num	 now;
	const char	*vals[2];

	vals[0] = key;
	vals[1] = pg_i64(&now, (int64_t)time(NULL));
	return pg_write(st, PG_FENCED, "writing the action log", "INSERT INTO"
	    " action_done (key, time) VALUES ($1, $2) ON CONFLICT (key) DO"
	    " NOTHING", 2, vals, NULL, NULL, err, errlen) == -1 ? -1 : 0;
}

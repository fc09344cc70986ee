/* SPDX-License-Identifier: ISC */
/*
 * sqlite-queue.c - the delivery queue (SQLite backend); see queue.h.
 * The insert runs inside the record transaction of sqlite-journal.c
 * (sqlite_intents_complete_batch()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/queue.h"
#include "daemon/store/sqlite-int.h"

int
sqlite_queue_insert(struct state_impl *st, const struct queue_item *q,
    char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int64_t		 now = sqlite_now();
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "INSERT OR IGNORE INTO"
	    " delivery_queue (kind, key, target, account, entry, status,"
	    " attempts, next_try, created) VALUES (?1, ?2, ?3, ?4, ?5,"
	    " 'queued', 0, ?6, ?6)", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, q->kind);
	sqlite_bind_str(stmt, 2, q->key);
	sqlite_bind_str(stmt, 3, q->target);
	sqlite_bind_str(stmt, 4, q->account);
	sqlite3_bind_blob64(stmt, 5, q->entry, q->len, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 6, now);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "queueing a delivery", err, errlen);
	return 0;
}

static int
entry_load(sqlite3_stmt *stmt, struct queue_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(stmt, 0);
	e->kind = sqlite_column_str(stmt, 1);
	e->key = sqlite_column_str(stmt, 2);
	e->target = sqlite_column_str(stmt, 3);
	e->account = sqlite_column_str(stmt, 4);
	e->attempts = sqlite3_column_int(stmt, 6);
	e->created = sqlite3_column_int64(stmt, 7);
	e->entry = sqlite_column_blob(stmt, 5, &e->len);
	if (e->kind == NULL || e->key == NULL || e->target == NULL ||
	    e->account == NULL || e->entry == NULL) {
		state_queue_entry_free(e);
		return -1;
	}
	return 0;
}

int
sqlite_queue_due(struct state_impl *st, const char *kind, const char *account,
    int64_t now, size_t max,
    struct queue_entry **out, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt		*stmt;
	struct queue_entry	*v;
	int			 rc;

	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	if ((v = calloc(max, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT id, kind, key, target,"
	    " account, entry, attempts, created FROM delivery_queue WHERE"
	    " status = 'queued' AND kind = ?3 AND next_try <= ?1 AND (?4 IS NULL"
	    " OR account = ?4) ORDER BY id"
	    " LIMIT ?2", err, errlen)) == NULL) {
		free(v);
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
	sqlite_bind_str(stmt, 3, kind);
	sqlite_bind_str(stmt, 4, account);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW && *n < max) {
		if (entry_load(stmt, &v[*n]) == -1)
			break;
		(*n)++;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		while (*n > 0)
			state_queue_entry_free(&v[--(*n)]);
		free(v);
		return sqlite_fail(st, "reading the delivery queue", err,
		    errlen);
	}
	*out = v;
	return 0;
}

int
sqlite_queue_has(struct state_impl *st, const char *key, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT 1 FROM delivery_queue"
	    " WHERE key = ?1", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, key);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "reading the delivery queue", err,
		    errlen);
	return 0;
}

static int
queue_update(struct state_impl *st, int64_t id, const char *status,
    int64_t next_try, const char *why, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	/* once settled, only the key (a second insert of the same
	 * delivery changes nothing) and the outcome are kept */
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "UPDATE delivery_queue SET"
	    " status = ?2, next_try = ?3, last_error = ?4, attempts ="
	    " attempts + 1, entry = CASE ?2 WHEN 'queued' THEN entry ELSE"
	    " x'' END WHERE id = ?1", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite_bind_str(stmt, 2, status);
	sqlite3_bind_int64(stmt, 3, next_try);
	sqlite_bind_str(stmt, 4, why);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "updating the delivery queue", err,
		    errlen);
	return 0;
}

int
sqlite_queue_done(struct state_impl *st, int64_t id, char *err, size_t errlen)
{
	return queue_update(st, id, "delivered", sqlite_now(), NULL, err,
	    errlen);
}

int
sqlite_queue_retry(struct state_impl *st, int64_t id, int64_t next_try,
    const char *why, char *err, size_t errlen)
{
	return queue_update(st, id, "queued", next_try, why, err, errlen);
}

int
sqlite_queue_failed(struct state_impl *st, int64_t id, const char *status,
    const char *why, char *err, size_t errlen)
{
	return queue_update(st, id, status, sqlite_now(), why, err, errlen);
}

int
sqlite_queue_counts(struct state_impl *st, const char *kind,
    struct queue_counts *c, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	const char	*s;
	uint64_t	 k;
	int		 rc;

	memset(c, 0, sizeof(*c));
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT status, count(*),"
	    " min(created) FROM delivery_queue WHERE kind = ?1 GROUP BY"
	    " status", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, kind);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(stmt, 0);
		k = (uint64_t)sqlite3_column_int64(stmt, 1);
		if (s == NULL)
			continue;
		if (strcmp(s, "queued") == 0) {
			c->queued = k;
			c->oldest = sqlite3_column_int64(stmt, 2);
		} else if (strcmp(s, "delivered") == 0)
			c->delivered = k;
		else if (strcmp(s, "expired") == 0)
			c->expired = k;
		else
			c->failed = k;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "counting the delivery queue", err,
		    errlen);
	return 0;
}

/* SPDX-License-Identifier: ISC */
/*
 * sqlite-outbox.c - the outgoing queue, the reply rate limit and the log
 * of actions done (SQLite backend); see outbox.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/outbox.h"
#include "daemon/store/sqlite-int.h"

/* Run one statement that changes rows; the number changed, or -1. */
static int
sqlite_change(struct state_impl *st, sqlite3_stmt *stmt, const char *what,
    char *err, size_t errlen)
{
	int	 rc = sqlite3_step(stmt);

	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, what, err, errlen);
	return sqlite3_changes(st->db);
}

int
sqlite_outbox_add(struct state_impl *st, const char *key, const char *account,
    const char *smtp, const char *sender, const char *rcpts, const char *data,
    size_t len, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int64_t		 now = sqlite_now();

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "INSERT OR IGNORE INTO outbox"
	    " (key, account, smtp, sender, rcpts, data, status, next_try,"
	    " created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?7)",
	    err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, key);
	sqlite_bind_str(stmt, 2, account);
	sqlite_bind_str(stmt, 3, smtp);
	sqlite_bind_str(stmt, 4, sender);
	sqlite_bind_str(stmt, 5, rcpts);
	sqlite3_bind_blob64(stmt, 6, data, len, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, now);
	return sqlite_change(st, stmt, "queueing a message", err, errlen);
}

static int
entry_load(sqlite3_stmt *stmt, struct outbox_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(stmt, 0);
	e->account = sqlite_column_str(stmt, 1);
	e->smtp = sqlite_column_str(stmt, 2);
	e->sender = sqlite_column_str(stmt, 3);
	e->rcpts = sqlite_column_str(stmt, 4);
	e->attempts = sqlite3_column_int(stmt, 6);
	e->data = sqlite_column_blob(stmt, 5, &e->len);
	if (e->account == NULL || e->smtp == NULL || e->sender == NULL ||
	    e->rcpts == NULL || e->data == NULL) {
		state_outbox_entry_free(e);
		return -1;
	}
	return 0;
}

int
sqlite_outbox_due(struct state_impl *st, const char *account, int64_t now,
    size_t max,
    struct outbox_entry **out, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt		*stmt;
	struct outbox_entry	*v;
	int			 rc;

	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	if ((v = calloc(max, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT id, account, smtp,"
	    " sender, rcpts, data, attempts FROM outbox WHERE status ="
	    " 'queued' AND next_try <= ?1 AND (?3 IS NULL OR account = ?3)"
	    " ORDER BY id LIMIT ?2", err,
	    errlen)) == NULL) {
		free(v);
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
	sqlite_bind_str(stmt, 3, account);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW && *n < max) {
		if (entry_load(stmt, &v[*n]) == -1)
			break;
		(*n)++;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		while (*n > 0)
			state_outbox_entry_free(&v[--(*n)]);
		free(v);
		return sqlite_fail(st, "reading the outbox", err, errlen);
	}
	*out = v;
	return 0;
}

static int
outbox_update(struct state_impl *st, int64_t id, const char *status,
    int64_t next_try, const char *why, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "UPDATE outbox SET status ="
	    " ?2, next_try = ?3, last_error = ?4, attempts = attempts + 1"
	    " WHERE id = ?1", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite_bind_str(stmt, 2, status);
	sqlite3_bind_int64(stmt, 3, next_try);
	sqlite_bind_str(stmt, 4, why);
	return sqlite_change(st, stmt, "updating the outbox", err,
	    errlen) == -1 ? -1 : 0;
}

int
sqlite_outbox_sent(struct state_impl *st, int64_t id, char *err, size_t errlen)
{
	return outbox_update(st, id, "sent", sqlite_now(), NULL, err, errlen);
}

int
sqlite_outbox_retry(struct state_impl *st, int64_t id, int64_t next_try,
    const char *why, char *err, size_t errlen)
{
	return outbox_update(st, id, "queued", next_try, why, err, errlen);
}

int
sqlite_outbox_failed(struct state_impl *st, int64_t id, const char *why,
    char *err, size_t errlen)
{
	return outbox_update(st, id, "failed", sqlite_now(), why, err, errlen);
}

int
sqlite_outbox_counts(struct state_impl *st, uint64_t *queued, uint64_t *sent,
    uint64_t *failed, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	const char	*s;
	uint64_t	 c;
	int		 rc;

	*queued = *sent = *failed = 0;
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT status, count(*) FROM"
	    " outbox GROUP BY status", err, errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(stmt, 0);
		c = (uint64_t)sqlite3_column_int64(stmt, 1);
		if (s == NULL)
			continue;
		if (strcmp(s, "queued") == 0)
			*queued = c;
		else if (strcmp(s, "sent") == 0)
			*sent = c;
		else
			*failed = c;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "counting the outbox", err, errlen);
	return 0;
}

int
sqlite_reply_allow(struct state_impl *st, const char *account, const char *rule,
    const char *sender, int64_t now, int64_t every, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 n;

	/* one statement: check and record cannot be split by a crash */
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "INSERT INTO reply_log"
	    " (account, rule, sender, last) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (account, rule, sender) DO UPDATE SET last = ?4"
	    " WHERE last <= ?4 - ?5", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, rule);
	sqlite_bind_str(stmt, 3, sender);
	sqlite3_bind_int64(stmt, 4, now);
	sqlite3_bind_int64(stmt, 5, every);
	if ((n = sqlite_change(st, stmt, "checking the reply rate limit", err,
	    errlen)) == -1)
		return -1;
	return n > 0;
}

/* 1 if sql (a SELECT with the key as ?1) finds a row, 0 if not. */
static int
key_found(struct state_impl *st, const char *sql, const char *key,
    const char *what, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, sql, err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, key);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, what, err, errlen);
	return 0;
}

int
sqlite_reply_queue(struct state_impl *st, const struct outbox_msg *m,
    const char *rule, const char *to, int64_t now, int64_t every,
    char *err, size_t errlen)
{
	int	 r;

	if (sqlite_begin(st, err, errlen) == -1)
		return -1;
	if ((r = key_found(st, "SELECT 1 FROM outbox WHERE key = ?1", m->key,
	    "reading the outbox", err, errlen)) == 1)
		r = 2;
	else if (r == 0 && (r = sqlite_reply_allow(st, m->account, rule, to,
	    now, every, err, errlen)) == 1 &&
	    sqlite_outbox_add(st, m->key, m->account, m->smtp, m->sender,
	    m->rcpts, m->data, m->len, err, errlen) == -1)
		r = -1;
	if (r == -1) {
		sqlite_rollback(st);
		return -1;
	}
	return sqlite_commit(st, err, errlen) == -1 ? -1 : r;
}

int
sqlite_action_done(struct state_impl *st, const char *key, char *err,
    size_t errlen)
{
	return key_found(st, "SELECT 1 FROM action_done WHERE key = ?1", key,
	    "reading the action log", err, errlen);
}

int
sqlite_action_mark(struct state_impl *st, const char *key, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "INSERT OR IGNORE INTO"
	    " action_done (key, time) VALUES (?1, ?2)", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, key);
	sqlite3_bind_int64(stmt, 2, sqlite_now());
	return sqlite_change(st, stmt, "writing the action log", err,
	    errlen) == -1 ? -1 : 0;
}

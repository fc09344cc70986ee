/* SPDX-License-Identifier: ISC */
/*
 * sqlite-status.c - how each account's rounds went, and the counts
 * `mailsift status` shows (SQLite backend); see state.h.
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/store/sqlite-int.h"

static int
sqlite_step_done(struct state_impl *st, sqlite3_stmt *stmt, const char *what,
    char *err, size_t errlen)
{
	int	 rc = sqlite3_step(stmt);

	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, what, err, errlen);
	return 0;
}

int
sqlite_round_record(struct state_impl *st, const struct state_round *r,
    char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;

	/* one statement: the count of failures cannot be split by a crash */
	if ((stmt = sqlite_prepare(st, SLOT_MAX, r->ok ?
	    "INSERT INTO account_run (account, phase, updated, next_poll,"
	    " last_ok, ok_fetched, ok_delivered, ok_skipped, ok_bytes,"
	    " ok_seconds, failures) VALUES (?1, 'waiting', ?2, ?3, ?2, ?4,"
	    " ?5, ?6, ?7, ?8, 0) ON CONFLICT (account) DO UPDATE SET"
	    " phase = 'waiting', updated = ?2, next_poll = ?3, last_ok = ?2,"
	    " ok_fetched = ?4, ok_delivered = ?5, ok_skipped = ?6,"
	    " ok_bytes = ?7, ok_seconds = ?8, failures = 0" :
	    "INSERT INTO account_run (account, phase, updated, next_poll,"
	    " last_error, last_error_time, failures) VALUES (?1, 'waiting',"
	    " ?2, ?3, ?9, ?2, 1) ON CONFLICT (account) DO UPDATE SET"
	    " phase = 'waiting', updated = ?2, next_poll = ?3,"
	    " last_error = ?9, last_error_time = ?2,"
	    " failures = failures + 1", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, r->account);
	sqlite3_bind_int64(stmt, 2, r->end);
	sqlite3_bind_int64(stmt, 3, r->next_poll);
	if (r->ok) {
		sqlite3_bind_int64(stmt, 4, (sqlite3_int64)r->fetched);
		sqlite3_bind_int64(stmt, 5, (sqlite3_int64)r->delivered);
		sqlite3_bind_int64(stmt, 6, (sqlite3_int64)r->skipped);
		sqlite3_bind_int64(stmt, 7, (sqlite3_int64)r->bytes);
		sqlite3_bind_double(stmt, 8, r->seconds);
	} else
		sqlite_bind_str(stmt, 9, r->error != NULL ? r->error :
		    "the round failed");
	return sqlite_step_done(st, stmt, "recording a round", err, errlen);
}

int
sqlite_account_phase(struct state_impl *st, const char *account,
    const char *phase, int64_t next_poll, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "INSERT INTO account_run"
	    " (account, phase, updated, next_poll) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (account) DO UPDATE SET phase = ?2, updated = ?3,"
	    " next_poll = ?4", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, phase);
	sqlite3_bind_int64(stmt, 3, sqlite_now());
	sqlite3_bind_int64(stmt, 4, next_poll);
	if (sqlite_step_done(st, stmt, "recording an account's phase", err,
	    errlen) == -1)
		return -1;
	/* idle for hours, and thousands of handles may wait like this */
	if (strcmp(phase, "idle") == 0)
		sqlite_park(st);
	return 0;
}

static char *
column_strdup(sqlite3_stmt *stmt, int col)
{
	const unsigned char	*s = sqlite3_column_text(stmt, col);

	return s != NULL ? strdup((const char *)s) : NULL;
}

static int
status_run(struct state_impl *st, const char *account,
    struct state_account_status *as, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT phase, updated,"
	    " next_poll, last_ok, ok_fetched, ok_delivered, ok_skipped,"
	    " ok_bytes, ok_seconds, last_error, last_error_time, failures"
	    " FROM account_run WHERE account = ?1", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		as->phase = column_strdup(stmt, 0);
		as->updated = sqlite3_column_int64(stmt, 1);
		as->next_poll = sqlite3_column_int64(stmt, 2);
		as->last_ok = sqlite3_column_int64(stmt, 3);
		as->ok_fetched = (uint64_t)sqlite3_column_int64(stmt, 4);
		as->ok_delivered = (uint64_t)sqlite3_column_int64(stmt, 5);
		as->ok_skipped = (uint64_t)sqlite3_column_int64(stmt, 6);
		as->ok_bytes = (uint64_t)sqlite3_column_int64(stmt, 7);
		as->ok_seconds = sqlite3_column_double(stmt, 8);
		as->last_error = column_strdup(stmt, 9);
		as->last_error_time = sqlite3_column_int64(stmt, 10);
		as->failures = (uint64_t)sqlite3_column_int64(stmt, 11);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_fail(st, "reading an account's rounds", err,
		    errlen);
	return 0;
}

/* One row of integers from a query on account (?1) and since (?2). */
static int
status_counts(struct state_impl *st, const char *sql, const char *account,
    int64_t since, int64_t *v, int n, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc, i;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, sql, err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	if (sqlite3_bind_parameter_count(stmt) >= 2)
		sqlite3_bind_int64(stmt, 2, since);
	rc = sqlite3_step(stmt);
	for (i = 0; i < n; i++)
		v[i] = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, i) : 0;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		return sqlite_fail(st, "counting an account's messages", err,
		    errlen);
	return 0;
}

int
sqlite_account_status(struct state_impl *st, const char *account, int64_t since,
    struct state_account_status *as, char *err, size_t errlen)
{
	int64_t	 m[3], o[2], s[1], w[2];

	memset(as, 0, sizeof(*as));
	if (status_run(st, account, as, err, errlen) == -1 ||
	    status_counts(st, "SELECT"
	    " coalesce(sum(m.status = 'delivered'), 0),"
	    " coalesce(sum(m.status = 'delivered' AND m.time >= ?2), 0),"
	    " coalesce(sum(m.status = 'skipped'), 0)"
	    " FROM message m JOIN folder f ON f.id = m.folder_id"
	    " WHERE f.account = ?1", account, since, m, 3, err, errlen) == -1 ||
	    status_counts(st, "SELECT count(*), coalesce(min(created), 0)"
	    " FROM outbox WHERE account = ?1 AND status = 'queued'",
	    account, since, o, 2, err, errlen) == -1 ||
	    status_counts(st, "SELECT count(*) FROM server_op"
	    " WHERE account = ?1", account, since, s, 1, err,
	    errlen) == -1 ||
	    status_counts(st, "SELECT coalesce(sum(status = 'queued'), 0),"
	    " coalesce(sum(status IN ('failed', 'expired')), 0)"
	    " FROM delivery_queue WHERE account = ?1", account, since, w, 2,
	    err, errlen) == -1) {
		state_account_status_clear(as);
		return -1;
	}
	as->delivered_all = (uint64_t)m[0];
	as->delivered_since = (uint64_t)m[1];
	as->skipped = (uint64_t)m[2];
	as->outbox_queued = (uint64_t)o[0];
	as->outbox_oldest = o[1];
	as->server_ops = (uint64_t)s[0];
	as->webhook_queued = (uint64_t)w[0];
	as->webhook_failed = (uint64_t)w[1];
	return 0;
}

int
sqlite_claimed(struct state_impl *st, char *err, size_t errlen)
{
	char	 path[PATH_MAX];
	int	 fd, r;

	if (st->lockfd != -1)
		return 0;	/* we hold it ourselves */
	if ((size_t)snprintf(path, sizeof(path), "%s.lock", st->path) >=
	    sizeof(path)) {
		snprintf(err, errlen, "state %s: path too long", st->path);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;	/* no daemon ever ran on it */
		snprintf(err, errlen, "state %s: cannot open %s: %s",
		    st->path, path, strerror(errno));
		return -1;
	}
	/* a shared lock of our own, dropped at once: only a test */
	if ((r = flock(fd, LOCK_SH | LOCK_NB)) == -1 && errno != EWOULDBLOCK) {
		snprintf(err, errlen, "state %s: cannot test the lock %s: %s",
		    st->path, path, strerror(errno));
		(void)close(fd);
		return -1;
	}
	(void)close(fd);	/* closing drops our shared lock */
	return r == -1;
}

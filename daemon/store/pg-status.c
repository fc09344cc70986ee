/* SPDX-License-Identifier: ISC */
/*
 * pg-status.c - how each account's rounds went, and the counts
 * `mailsift status` shows (PostgreSQL backend); see state.h, and
 * sqlite-status.c for the same records on SQLite.  Round statistics are
 * not fenced: a daemon that lost an account may still say how its last
 * round ended.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/store/pg-write.h"

static int
round_ok(struct state_impl *st, const struct state_round *r, char *err,
    size_t errlen)
{
	struct pg_num	 a, b, c, d, e, f;
	char		 secs[32];
	const char	*vals[8];

	/* %.17g: the double comes back as the same double */
	snprintf(secs, sizeof(secs), "%.17g", r->seconds);
	vals[0] = r->account;
	vals[1] = pg_i64(&a, r->end);
	vals[2] = pg_i64(&b, r->next_poll);
	vals[3] = pg_i64(&c, (int64_t)r->fetched);
	vals[4] = pg_i64(&d, (int64_t)r->delivered);
	vals[5] = pg_i64(&e, (int64_t)r->skipped);
	vals[6] = pg_i64(&f, (int64_t)r->bytes);
	vals[7] = secs;
	return pg_write(st, PG_UNFENCED, "recording a round", "INSERT INTO"
	    " account_run (account, phase, updated, next_poll, last_ok,"
	    " ok_fetched, ok_delivered, ok_skipped, ok_bytes, ok_seconds,"
	    " failures) VALUES ($1, 'waiting', $2, $3, $2, $4, $5, $6, $7, $8,"
	    " 0) ON CONFLICT (account) DO UPDATE SET phase = 'waiting',"
	    " updated = $2, next_poll = $3, last_ok = $2, ok_fetched = $4,"
	    " ok_delivered = $5, ok_skipped = $6, ok_bytes = $7,"
	    " ok_seconds = $8, failures = 0", 8, vals, NULL, NULL, err,
	    errlen) == -1 ? -1 : 0;
}

static int
round_failed(struct state_impl *st, const struct state_round *r, char *err,
    size_t errlen)
{
	struct pg_num	 a, b;
	const char	*vals[4];

	vals[0] = r->account;
	vals[1] = pg_i64(&a, r->end);
	vals[2] = pg_i64(&b, r->next_poll);
	vals[3] = r->error != NULL ? r->error : "the round failed";
	return pg_write_text(st, PG_UNFENCED, "recording a round", "INSERT"
	    " INTO account_run (account, phase, updated, next_poll,"
	    " last_error, last_error_time, failures) VALUES ($1, 'waiting',"
	    " $2, $3, $4, $2, 1) ON CONFLICT (account) DO UPDATE SET"
	    " phase = 'waiting', updated = $2, next_poll = $3,"
	    " last_error = $4, last_error_time = $2,"
	    " failures = account_run.failures + 1", 4, vals, 3, err,
	    errlen) == -1 ? -1 : 0;
}

int
pg_round_record(struct state_impl *st, const struct state_round *r,
    char *err, size_t errlen)
{
	/* one statement: the count of failures cannot be split by a crash */
	if (r->ok)
		return round_ok(st, r, err, errlen);
	return round_failed(st, r, err, errlen);
}

int
pg_account_phase(struct state_impl *st, const char *account,
    const char *phase, int64_t next_poll, char *err, size_t errlen)
{
	struct pg_num	 a, b;
	const char	*vals[4];

	vals[0] = account;
	vals[1] = phase;
	vals[2] = pg_i64(&a, (int64_t)time(NULL));
	vals[3] = pg_i64(&b, next_poll);
	return pg_write(st, PG_UNFENCED, "recording an account's phase",
	    "INSERT INTO account_run (account, phase, updated, next_poll)"
	    " VALUES ($1, $2, $3, $4) ON CONFLICT (account) DO UPDATE SET"
	    " phase = $2, updated = $3, next_poll = $4", 4, vals, NULL, NULL,
	    err, errlen) == -1 ? -1 : 0;
}

/* The row of account_run (NULLs if none) and every count, in one
 * statement: one snapshot, one round trip. */
static const char status_sql[] =
    "SELECT r.phase, coalesce(r.updated, 0), coalesce(r.next_poll, 0),"
    " coalesce(r.last_ok, 0), coalesce(r.ok_fetched, 0),"
    " coalesce(r.ok_delivered, 0), coalesce(r.ok_skipped, 0),"
    " coalesce(r.ok_bytes, 0), coalesce(r.ok_seconds, 0), r.last_error,"
    " coalesce(r.last_error_time, 0), coalesce(r.failures, 0),"
    " m.delivered_all, m.delivered_since, m.skipped,"
    " o.queued, o.oldest, s.ops, w.queued, w.failed"
    " FROM (SELECT $1::text AS account) a"
    " LEFT JOIN account_run r ON r.account = a.account"
    " CROSS JOIN (SELECT"
    "  count(*) FILTER (WHERE m.status = 'delivered') AS delivered_all,"
    "  count(*) FILTER (WHERE m.status = 'delivered' AND"
    "   m.time >= $2::bigint) AS delivered_since,"
    "  count(*) FILTER (WHERE m.status = 'skipped') AS skipped"
    "  FROM message m JOIN folder f ON f.id = m.folder_id"
    "  WHERE f.account = $1) m"
    " CROSS JOIN (SELECT count(*) AS queued, coalesce(min(created), 0)"
    "  AS oldest FROM outbox WHERE account = $1 AND status = 'queued') o"
    " CROSS JOIN (SELECT count(*) AS ops FROM server_op"
    "  WHERE account = $1) s"
    " CROSS JOIN (SELECT count(*) FILTER (WHERE status = 'queued')"
    "  AS queued, count(*) FILTER (WHERE status IN ('failed', 'expired'))"
    "  AS failed FROM delivery_queue WHERE account = $1) w";

static void
status_numbers(PGresult *r, struct state_account_status *as)
{
	as->updated = pg_get_i64(r, 0, 1);
	as->next_poll = pg_get_i64(r, 0, 2);
	as->last_ok = pg_get_i64(r, 0, 3);
	as->ok_fetched = (uint64_t)pg_get_i64(r, 0, 4);
	as->ok_delivered = (uint64_t)pg_get_i64(r, 0, 5);
	as->ok_skipped = (uint64_t)pg_get_i64(r, 0, 6);
	as->ok_bytes = (uint64_t)pg_get_i64(r, 0, 7);
	as->ok_seconds = strtod(PQgetvalue(r, 0, 8), NULL);
	as->last_error_time = pg_get_i64(r, 0, 10);
	as->failures = (uint64_t)pg_get_i64(r, 0, 11);
	as->delivered_all = (uint64_t)pg_get_i64(r, 0, 12);
	as->delivered_since = (uint64_t)pg_get_i64(r, 0, 13);
	as->skipped = (uint64_t)pg_get_i64(r, 0, 14);
	as->outbox_queued = (uint64_t)pg_get_i64(r, 0, 15);
	as->outbox_oldest = pg_get_i64(r, 0, 16);
	as->server_ops = (uint64_t)pg_get_i64(r, 0, 17);
	as->webhook_queued = (uint64_t)pg_get_i64(r, 0, 18);
	as->webhook_failed = (uint64_t)pg_get_i64(r, 0, 19);
}

int
pg_account_status(struct state_impl *st, const char *account, int64_t since,
    struct state_account_status *as, char *err, size_t errlen)
{
	struct pg_num	 a;
	const char	*vals[2];
	PGresult	*r;

	memset(as, 0, sizeof(*as));
	vals[0] = account;
	vals[1] = pg_i64(&a, since);
	if ((r = pg_run(st, "reading an account's status", status_sql, 2,
	    vals, NULL, NULL, err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		snprintf(err, errlen, "state %s: reading an account's status: "
		    "no row", st->shown);
		return -1;
	}
	status_numbers(r, as);
	if (pg_get_opt(r, 0, 0, &as->phase) == -1 ||
	    pg_get_opt(r, 0, 9, &as->last_error) == -1) {
		PQclear(r);
		state_account_status_clear(as);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	PQclear(r);
	return 0;
}

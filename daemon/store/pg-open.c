/* SPDX-License-Identifier: ISC */
/*
 * pg-open.c - a PostgreSQL store's handle: open (the schema brought up
 * to date as pg-schema.h says), close, the
 * claim of a running daemon, and the OAuth2 grant lock (oauth.h).
 *
 * Locks are the server's advisory locks, which die with the session
 * that holds them, so a killed daemon leaves none behind:
 *   - the claim (state_claim()) is exclusive, as SQLite's, held on a
 *     connection of the handle's own for the handle's life (a pooled
 *     one would go back); state_claimed() asks whether anyone holds
 *     it.  Daemons sharing a store (lease.h) do not claim it: their
 *     leases say which works which account;
 *   - a grant's lock is exclusive, on a key from the account's name, on
 *     a pooled connection kept for as long as the lock is held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/pg-int.h"
#include "daemon/store/pg-schema.h"

/* Advisory lock keys (two int4s): "ms" + "cl"aim / "oa"uth, then 0 or
 * the grant's hash.  The one-key space (pg-schema.c's migration lock)
 * never meets these. */
#define PG_KEY_CLAIM	"1836278636"
#define PG_KEY_OAUTH	"1836281697"

/* The schema's version in the database: 0 if none yet.  Inside the
 * migration transaction, after the prologue's lock. */
static int
pg_schema_at(struct state_impl *st, int *version, char *err, size_t errlen)
{
	PGresult	*r;

	if ((r = pg_run(st, "reading the schema version",
	    pg_schema_current(), 0, NULL, NULL, NULL, err, errlen)) == NULL)
		return -1;
	*version = PQntuples(r) == 1 ? (int)pg_get_i64(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

/* 1 if the database holds our schema_version table, 0 if not. */
static int
pg_has_store(struct state_impl *st, char *err, size_t errlen)
{
	PGresult	*r;
	int		 has;

	if ((r = pg_run(st, "looking for the store", "SELECT to_regclass("
	    "'schema_version') IS NOT NULL", 0, NULL, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	has = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return has;
}

static int
pg_apply(struct state_impl *st, int from, char *err, size_t errlen)
{
	const struct pg_migration	*m;
	const char			*vals[2];
	char				 what[64];
	struct pg_num			 num;
	size_t				 i, n;

	m = pg_schema_migrations(&n);
	for (i = 0; i < n; i++) {
		if (m[i].version <= from)
			continue;
		snprintf(what, sizeof(what), "upgrading the schema to "
		    "version %d", m[i].version);
		vals[0] = pg_i64(&num, m[i].version);
		vals[1] = m[i].what;
		if (pg_exec(st, what, m[i].sql, 0, NULL, err, errlen) == -1 ||
		    pg_exec(st, what, pg_schema_record(), 2, vals, err,
		    errlen) == -1)
			return -1;
	}
	return 0;
}

/* The version recorded, read outside any transaction: -1 if the
 * database holds no store, 0 if an empty one. */
static int
pg_schema_peek(struct state_impl *st, int *version, char *err,
    size_t errlen)
{
	PGresult	*r;
	int		 has;

	*version = 0;
	if ((r = pg_run(st, "reading the schema version",
	    pg_schema_current(), 0, NULL, NULL, NULL, err, errlen)) != NULL) {
		if (PQntuples(r) == 1)
			*version = (int)pg_get_i64(r, 0, 0);
		PQclear(r);
		return 0;
	}
	/* the table may not be there: only then is it no error */
	if ((has = pg_has_store(st, err, errlen)) != 0)
		return -1;
	*version = -1;
	return 0;
}

/*
 * Bring the database up to date in ONE transaction (pg-schema.h).  A
 * handle is opened per account round: the usual open is one read that
 * finds the version current.
 */
static int
pg_schema(struct state_impl *st, int flags, char *err, size_t errlen)
{
	int	 version = 0;

	if (pg_schema_peek(st, &version, err, errlen) == -1)
		return -1;
	if (version == pg_schema_version())
		return 0;
	if (version == -1 && (flags & STATE_EXISTING)) {
		snprintf(err, errlen, "state %s: the database holds no "
		    "mailsift store (check the URL given with -s)", st->shown);
		return -1;
	}
	if (pg_begin(st, PG_UNFENCED, err, errlen) == -1)
		return -1;
	if (pg_exec(st, "preparing the schema", pg_schema_prologue(), 0,
	    NULL, err, errlen) == -1 ||
	    pg_schema_at(st, &version, err, errlen) == -1)
		goto fail;
	if (version > pg_schema_version()) {
		snprintf(err, errlen, "state %s: schema version %d was "
		    "written by a newer mailsift (this one knows %d)",
		    st->shown, version, pg_schema_version());
		goto fail;
	}
	if (pg_apply(st, version, err, errlen) == -1)
		goto fail;
	return pg_commit(st, err, errlen);
fail:
	pg_rollback(st);
	return -1;
}

struct state_impl *
pg_open(const char *where, int flags, char *err, size_t errlen)
{
	struct state_impl	*st;
	char			 shown[512];

	state_redact(where, shown, sizeof(shown));
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->url = strdup(where)) == NULL ||
	    (st->shown = strdup(shown)) == NULL ||
	    (st->pool = pg_pool_get(where)) == NULL) {
		snprintf(err, errlen, "state %s: out of memory", shown);
		pg_close(st);
		return NULL;
	}
	if (pg_schema(st, flags, err, errlen) == -1) {
		pg_close(st);
		return NULL;
	}
	return st;
}

/* Unlocked before the connection ends: the server drops a closed
 * session's locks only a moment later, and a reader asking at once
 * would still find the store claimed. */
static void
pg_unclaim(struct state_impl *st)
{
	if (st->claim == NULL)
		return;
	PQclear(PQexec(st->claim, "SELECT pg_advisory_unlock(" PG_KEY_CLAIM
	    ", 0)"));
	PQfinish(st->claim);
	st->claim = NULL;
}

void
pg_close(struct state_impl *st)
{
	if (st == NULL)
		return;
	pg_rollback(st);
	pg_oauth_unlock(st);
	pg_unclaim(st);
	pg_pool_put(st->pool);
	free(st->url);
	free(st->shown);
	free(st);
}

int
pg_exists(const char *where, char *err, size_t errlen)
{
	struct state_impl	 st;
	char			 shown[512];
	int			 has;

	memset(&st, 0, sizeof(st));
	st.shown = (char *)state_redact(where, shown, sizeof(shown));
	if ((st.pool = pg_pool_get(where)) == NULL) {
		snprintf(err, errlen, "state %s: out of memory", shown);
		return -1;
	}
	has = pg_has_store(&st, err, errlen);
	pg_pool_put(st.pool);
	return has;
}

const char *
pg_path(const struct state_impl *st)
{
	return st->shown;
}

int
pg_claim(struct state_impl *st, char *err, size_t errlen)
{
	PGresult	*r;
	int		 got;

	if (st->claim != NULL)
		return 0;
	if ((st->claim = pg_connect(st->url, st->shown, err, errlen)) == NULL)
		return -1;
	r = PQexec(st->claim, "SELECT pg_try_advisory_lock(" PG_KEY_CLAIM
	    ", 0)");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		got = -1;
	else
		got = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	if (got == -1)
		pg_fail_conn(st, st->claim, "claiming the store", r, err,
		    errlen);
	else if (got == 0)
		snprintf(err, errlen, "state %s: in use (another mailsift is "
		    "running with this store; stop it first)", st->shown);
	PQclear(r);
	if (got == 1)
		return 0;
	PQfinish(st->claim);
	st->claim = NULL;
	return -1;
}

int
pg_claimed(struct state_impl *st, char *err, size_t errlen)
{
	PGresult	*r;
	int		 held;

	if (st->claim != NULL)
		return 0;	/* ours */
	/* the lock is free only while no daemon holds the claim */
	if ((r = pg_run(st, "testing the claim", "SELECT CASE WHEN "
	    "pg_try_advisory_lock(" PG_KEY_CLAIM ", 0) THEN NOT "
	    "pg_advisory_unlock(" PG_KEY_CLAIM ", 0) ELSE true END", 0, NULL,
	    NULL, NULL, err, errlen)) == NULL)
		return -1;
	held = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return held;
}

/* The grant's key: FNV-1a of the account, as an int4. */
static int32_t
pg_grant_key(const char *account)
{
	uint32_t	 h = 2166136261u;

	for (; *account != '\0'; account++)
		h = (h ^ (unsigned char)*account) * 16777619u;
	return (int32_t)(h & 0x7fffffff);
}

int
pg_oauth_lock(struct state_impl *st, const char *account, char *err,
    size_t errlen)
{
	struct pg_num	 key;
	const char	*vals[1];

	if (st->oauth_locked) {
		snprintf(err, errlen, "account '%s': this handle already "
		    "holds an OAuth2 lock", account);
		return -1;
	}
	if (pg_hold(st, err, errlen) == -1)
		return -1;
	st->oauth_key = pg_grant_key(account);
	vals[0] = pg_i64(&key, st->oauth_key);
	/* the holder's token request is bounded (OAUTH_TIMEOUT_MS) */
	if (pg_exec(st, "locking the OAuth2 grant", "SELECT "
	    "pg_advisory_lock(" PG_KEY_OAUTH ", $1::int4)", 1, vals, err,
	    errlen) == -1) {
		pg_release(st);
		return -1;
	}
	st->oauth_locked = 1;
	return 0;
}

void
pg_oauth_unlock(struct state_impl *st)
{
	struct pg_num	 key;
	const char	*vals[1];
	char		 err[256];

	if (!st->oauth_locked)
		return;
	vals[0] = pg_i64(&key, st->oauth_key);
	/* a connection that broke has lost the lock with its session */
	(void)pg_exec(st, "unlocking the OAuth2 grant", "SELECT "
	    "pg_advisory_unlock(" PG_KEY_OAUTH ", $1::int4)", 1, vals, err,
	    sizeof(err));
	st->oauth_locked = 0;
	pg_release(st);
}

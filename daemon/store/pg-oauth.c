/* SPDX-License-Identifier: ISC */
/* pg-oauth.c - OAuth2 grants (PostgreSQL backend); see oauth.h, and
 * sqlite-oauth.c for the same records on SQLite.  A grant is the
 * account's but not a record of its mail: its writes are not fenced,
 * and each is one statement.  Error texts say what failed, never a
 * token.  The grant's lock is pg_oauth_lock() (pg-lease.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/store/oauth.h"
#include "daemon/store/pg-write.h"

#define GRANT_COLUMNS	"account, provider, scopes, refresh_token," \
	" access_token, expires, last_refresh, state, error"

/* One row of GRANT_COLUMNS; tokens only if with_tokens. */
static int
grant_load(PGresult *r, int row, struct oauth_grant *g, int with_tokens)
{
	memset(g, 0, sizeof(*g));
	g->expires = pg_get_i64(r, row, 5);
	g->last_refresh = pg_get_i64(r, row, 6);
	g->needs_login = strcmp(PQgetvalue(r, row, 7), "needs-login") == 0;
	if (pg_get_opt(r, row, 0, &g->account) == -1 ||
	    pg_get_opt(r, row, 1, &g->provider) == -1 ||
	    pg_get_opt(r, row, 2, &g->scopes) == -1 ||
	    pg_get_opt(r, row, 8, &g->error) == -1 ||
	    (with_tokens &&
	    (pg_get_opt(r, row, 3, &g->refresh_token) == -1 ||
	    pg_get_opt(r, row, 4, &g->access_token) == -1))) {
		state_oauth_grant_clear(g);
		return -1;
	}
	return 0;
}

int
pg_oauth_get(struct state_impl *st, const char *account,
    struct oauth_grant *g, char *err, size_t errlen)
{
	PGresult	*r;
	int		 found;

	memset(g, 0, sizeof(*g));
	if ((r = pg_run(st, "reading an OAuth2 grant", "SELECT " GRANT_COLUMNS
	    " FROM oauth_grant WHERE account = $1", 1, &account, NULL, NULL,
	    err, errlen)) == NULL)
		return -1;
	if ((found = PQntuples(r) > 0) && grant_load(r, 0, g, 1) == -1) {
		PQclear(r);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	PQclear(r);
	return found;
}

int
pg_oauth_put(struct state_impl *st, const struct oauth_grant *g, char *err,
    size_t errlen)
{
	struct pg_num	 a, b, c;
	const char	*vals[8];

	vals[0] = g->account;
	vals[1] = g->provider != NULL ? g->provider : "";
	vals[2] = g->scopes != NULL ? g->scopes : "";
	vals[3] = g->refresh_token;
	vals[4] = g->access_token;
	vals[5] = pg_i64(&a, g->expires);
	vals[6] = pg_i64(&b, g->last_refresh);
	vals[7] = pg_i64(&c, (int64_t)time(NULL));
	return pg_write(st, PG_UNFENCED, "saving an OAuth2 grant", "INSERT"
	    " INTO oauth_grant (account, provider, scopes, refresh_token,"
	    " access_token, expires, last_refresh, state, error, updated)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, 'ok', NULL, $8)"
	    " ON CONFLICT (account) DO UPDATE SET provider = excluded.provider,"
	    " scopes = excluded.scopes, refresh_token = excluded.refresh_token,"
	    " access_token = excluded.access_token, expires = excluded.expires,"
	    " last_refresh = excluded.last_refresh, state = 'ok', error = NULL,"
	    " updated = excluded.updated", 8, vals, NULL, NULL, err,
	    errlen) == -1 ? -1 : 0;
}

int
pg_oauth_refreshed(struct state_impl *st, const char *account,
    const char *refresh_token, const char *access_token, int64_t expires,
    char *err, size_t errlen)
{
	struct pg_num	 a, b;
	const char	*vals[5];
	int64_t		 n;

	vals[0] = account;
	vals[1] = refresh_token;
	vals[2] = access_token;
	vals[3] = pg_i64(&a, expires);
	vals[4] = pg_i64(&b, (int64_t)time(NULL));
	/* one statement: the rotated refresh token and the access token
	 * are committed together, or not at all */
	if ((n = pg_write(st, PG_UNFENCED, "saving refreshed OAuth2 tokens",
	    "UPDATE oauth_grant SET refresh_token = coalesce($2::text,"
	    " refresh_token), access_token = $3, expires = $4,"
	    " last_refresh = $5, state = 'ok', error = NULL, updated = $5"
	    " WHERE account = $1", 5, vals, NULL, NULL, err, errlen)) == -1)
		return -1;
	if (n == 0) {
		snprintf(err, errlen, "account '%s': the OAuth2 grant is gone "
		    "(logged out?)", account);
		return -1;
	}
	return 0;
}

int
pg_oauth_needs_login(struct state_impl *st, const char *account,
    const char *why, char *err, size_t errlen)
{
	struct pg_num	 a;
	const char	*vals[3];

	vals[0] = account;
	vals[1] = why;
	vals[2] = pg_i64(&a, (int64_t)time(NULL));
	return pg_write_text(st, PG_UNFENCED, "marking an OAuth2 grant",
	    "UPDATE oauth_grant SET state = 'needs-login', error = $2,"
	    " access_token = NULL, expires = 0, updated = $3 WHERE account ="
	    " $1", 3, vals, 1, err, errlen) == -1 ? -1 : 0;
}

/* pg_rows()' load: a grant of the list, without its tokens */
static int
listed_load(PGresult *r, int row, void *p)
{
	return grant_load(r, row, p, 0);
}

static void
listed_clear(void *p)
{
	state_oauth_grant_clear(p);
}

static const struct pg_rowtype listed_type = {
	sizeof(struct oauth_grant), listed_load, listed_clear
};

int
pg_oauth_list(struct state_impl *st, struct oauth_grant **out, size_t *n,
    char *err, size_t errlen)
{
	void		*v;

	*out = NULL;
	/* by account as SQLite orders text: bytewise */
	if (pg_rows(st, "reading OAuth2 grants", "SELECT " GRANT_COLUMNS
	    " FROM oauth_grant ORDER BY account COLLATE \"C\"", 0, NULL,
	    &listed_type, &v, n, err, errlen) == -1)
		return -1;
	*out = v;
	return 0;
}

int
pg_oauth_forget(struct state_impl *st, const char *account, char *err,
    size_t errlen)
{
	return pg_write(st, PG_UNFENCED, "forgetting an OAuth2 grant",
	    "DELETE FROM oauth_grant WHERE account = $1", 1, &account, NULL,
	    NULL, err, errlen) == -1 ? -1 : 0;
}

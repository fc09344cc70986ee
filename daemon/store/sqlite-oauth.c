/* SPDX-License-Identifier: ISC */
/* sqlite-oauth.c - OAuth2 grants (SQLite backend); see oauth.h.  Error
 * texts say what failed, never a token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/oauth.h"
#include "daemon/store/sqlite-int.h"

#define GRANT_COLUMNS	"account, provider, scopes, refresh_token," \
	" access_token, expires, last_refresh, state, error"

/* A copy of a text column, NULL for NULL; -1 when out of memory. */
static int
column_opt(sqlite3_stmt *stmt, int col, char **dst)
{
	const unsigned char	*v = sqlite3_column_text(stmt, col);

	*dst = NULL;
	if (v == NULL)
		return 0;
	return (*dst = strdup((const char *)v)) == NULL ? -1 : 0;
}

/* One row of GRANT_COLUMNS; tokens only if with_tokens. */
static int
grant_load(sqlite3_stmt *stmt, struct oauth_grant *g, int with_tokens)
{
	const unsigned char	*state = sqlite3_column_text(stmt, 7);

	memset(g, 0, sizeof(*g));
	g->expires = sqlite3_column_int64(stmt, 5);
	g->last_refresh = sqlite3_column_int64(stmt, 6);
	g->needs_login = state != NULL &&
	    strcmp((const char *)state, "needs-login") == 0;
	if (column_opt(stmt, 0, &g->account) == -1 ||
	    column_opt(stmt, 1, &g->provider) == -1 ||
	    column_opt(stmt, 2, &g->scopes) == -1 ||
	    column_opt(stmt, 8, &g->error) == -1 ||
	    (with_tokens && (column_opt(stmt, 3, &g->refresh_token) == -1 ||
	    column_opt(stmt, 4, &g->access_token) == -1))) {
		state_oauth_grant_clear(g);
		return -1;
	}
	return 0;
}

int
sqlite_oauth_get(struct state_impl *st, const char *account,
    struct oauth_grant *g, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc, found = 0;

	memset(g, 0, sizeof(*g));
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT " GRANT_COLUMNS
	    " FROM oauth_grant WHERE account = ?1", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (grant_load(stmt, g, 1) == -1) {
			sqlite3_finalize(stmt);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		found = 1;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_fail(st, "reading an OAuth2 grant", err, errlen);
	return found;
}

int
sqlite_oauth_put(struct state_impl *st, const struct oauth_grant *g, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "INSERT OR REPLACE INTO"
	    " oauth_grant (account, provider, scopes, refresh_token,"
	    " access_token, expires, last_refresh, state, error, updated)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'ok', NULL, ?8)", err,
	    errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, g->account);
	sqlite_bind_str(stmt, 2, g->provider != NULL ? g->provider : "");
	sqlite_bind_str(stmt, 3, g->scopes != NULL ? g->scopes : "");
	sqlite_bind_str(stmt, 4, g->refresh_token);
	sqlite_bind_str(stmt, 5, g->access_token);
	sqlite3_bind_int64(stmt, 6, g->expires);
	sqlite3_bind_int64(stmt, 7, g->last_refresh);
	sqlite3_bind_int64(stmt, 8, sqlite_now());
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "saving an OAuth2 grant", err, errlen);
	return 0;
}

int
sqlite_oauth_refreshed(struct state_impl *st, const char *account,
    const char *refresh_token, const char *access_token, int64_t expires,
    char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	/* one statement: the rotated refresh token and the access token
	 * are committed together, or not at all */
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "UPDATE oauth_grant SET"
	    " refresh_token = coalesce(?2, refresh_token), access_token = ?3,"
	    " expires = ?4, last_refresh = ?5, state = 'ok', error = NULL,"
	    " updated = ?5 WHERE account = ?1", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, refresh_token);
	sqlite_bind_str(stmt, 3, access_token);
	sqlite3_bind_int64(stmt, 4, expires);
	sqlite3_bind_int64(stmt, 5, sqlite_now());
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "saving refreshed OAuth2 tokens", err,
		    errlen);
	if (sqlite3_changes(st->db) == 0) {
		snprintf(err, errlen, "account '%s': the OAuth2 grant is gone "
		    "(logged out?)", account);
		return -1;
	}
	return 0;
}

int
sqlite_oauth_needs_login(struct state_impl *st, const char *account,
    const char *why, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "UPDATE oauth_grant SET"
	    " state = 'needs-login', error = ?2, access_token = NULL,"
	    " expires = 0, updated = ?3 WHERE account = ?1", err,
	    errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, why);
	sqlite3_bind_int64(stmt, 3, sqlite_now());
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "marking an OAuth2 grant", err, errlen);
	return 0;
}

int
sqlite_oauth_list(struct state_impl *st, struct oauth_grant **out, size_t *n,
    char *err, size_t errlen)
{
	sqlite3_stmt		*stmt;
	struct oauth_grant	*v = NULL, *nv;
	size_t			 cap = 0;
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT " GRANT_COLUMNS
	    " FROM oauth_grant ORDER BY account", err, errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		if (grant_load(stmt, &v[*n], 0) == -1)
			break;
		(*n)++;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		state_oauth_list_free(v, *n);
		*n = 0;
		if (rc == SQLITE_ROW) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return sqlite_fail(st, "reading OAuth2 grants", err, errlen);
	}
	*out = v;
	return 0;
}

int
sqlite_oauth_forget(struct state_impl *st, const char *account, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "DELETE FROM oauth_grant"
	    " WHERE account = ?1", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "forgetting an OAuth2 grant", err,
		    errlen);
	return 0;
}

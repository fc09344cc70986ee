/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for daemon/store/sqlite-oauth.c: OAuth2 grants in the state
 * file (schema 8).
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "tests/unit/state-where.h"

#include "daemon/store/oauth.h"
#include "daemon/store/state.h"

static char	 dir[64];
static char	 path[PATH_MAX];	/* the SQLite file */
static const char *where;	/* path, or $MSX_STATE_URL */
static char	 err[512];

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/mailsift-soauth-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/state.db", dir);
	where = state_test_fresh(path);
	*state = state_open(where, 0, err, sizeof(err));
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	 p[PATH_MAX + 8];

	state_close(*state);
	(void)unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	(void)unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	(void)unlink(p);
	return rmdir(dir);
}

static void
put(struct state *st, const char *account, const char *refresh,
    const char *access, int64_t expires)
{
	struct oauth_grant	 g;

	memset(&g, 0, sizeof(g));
	g.account = (char *)account;
	g.provider = (char *)"microsoft";
	g.scopes = (char *)"offline_access https://outlook.office.com/x";
	g.refresh_token = (char *)refresh;
	g.access_token = (char *)access;
	g.expires = expires;
	assert_int_equal(state_oauth_put(st, &g, err, sizeof(err)), 0);
}

static void
test_put_get(void **state)
{
	struct state		*st = *state;
	struct oauth_grant	 g;
	struct stat		 sb;

	assert_int_equal(state_oauth_get(st, "a", &g, err, sizeof(err)), 0);
	put(st, "a", "R1", "A1", 1000);
	assert_int_equal(state_oauth_get(st, "a", &g, err, sizeof(err)), 1);
	assert_string_equal(g.account, "a");
	assert_string_equal(g.provider, "microsoft");
	assert_string_equal(g.refresh_token, "R1");
	assert_string_equal(g.access_token, "A1");
	assert_int_equal(g.expires, 1000);
	assert_int_equal(g.needs_login, 0);
	assert_null(g.error);
	state_oauth_grant_clear(&g);
	assert_null(g.refresh_token);
	/* the file with the tokens stays the owner's only */
	if (state_test_url() == NULL) {
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}
	/* client credentials: no refresh token */
	put(st, "app", NULL, "A9", 5);
	assert_int_equal(state_oauth_get(st, "app", &g, err, sizeof(err)), 1);
	assert_null(g.refresh_token);
	state_oauth_grant_clear(&g);
}

static void
test_refreshed_rotates(void **state)
{
	struct state		*st = *state;
	struct oauth_grant	 g;

	put(st, "a", "R1", "A1", 1000);
	assert_int_equal(state_oauth_refreshed(st, "a", "R2", "A2", 2000, err,
	    sizeof(err)), 0);
	assert_int_equal(state_oauth_get(st, "a", &g, err, sizeof(err)), 1);
	assert_string_equal(g.refresh_token, "R2");
	assert_string_equal(g.access_token, "A2");
	assert_int_equal(g.expires, 2000);
	assert_true(g.last_refresh > 0);
	state_oauth_grant_clear(&g);
	/* no rotation: the refresh token stays */
	assert_int_equal(state_oauth_refreshed(st, "a", NULL, "A3", 3000, err,
	    sizeof(err)), 0);
	assert_int_equal(state_oauth_get(st, "a", &g, err, sizeof(err)), 1);
	assert_string_equal(g.refresh_token, "R2");
	assert_string_equal(g.access_token, "A3");
	state_oauth_grant_clear(&g);
	/* logged out meanwhile: refused, and the error holds no token */
	assert_int_equal(state_oauth_forget(st, "a", err, sizeof(err)), 0);
	assert_int_equal(state_oauth_refreshed(st, "a", "R4", "A4", 1, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "gone"));
	assert_null(strstr(err, "R4"));
	assert_null(strstr(err, "A4"));
	assert_int_equal(state_oauth_get(st, "a", &g, err, sizeof(err)), 0);
}

static void
test_needs_login_and_list(void **state)
{
	struct state		*st = *state;
	struct oauth_grant	 g, *v;
	size_t			 n;

	put(st, "b", "Rb", "Ab", 10);
	put(st, "a", "Ra", "Aa", 20);
	assert_int_equal(state_oauth_needs_login(st, "b", "invalid_grant: "
	    "revoked", err, sizeof(err)), 0);
	assert_int_equal(state_oauth_get(st, "b", &g, err, sizeof(err)), 1);
	assert_int_equal(g.needs_login, 1);
	assert_string_equal(g.error, "invalid_grant: revoked");
	assert_null(g.access_token);
	assert_int_equal(g.expires, 0);
	state_oauth_grant_clear(&g);
	assert_int_equal(state_oauth_list(st, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].account, "a");
	assert_int_equal(v[0].needs_login, 0);
	assert_int_equal(v[0].expires, 20);
	assert_null(v[0].refresh_token);	/* a list carries no token */
	assert_null(v[0].access_token);
	assert_string_equal(v[1].account, "b");
	assert_int_equal(v[1].needs_login, 1);
	state_oauth_list_free(v, n);
	/* a new login brings it back to ok */
	put(st, "b", "Rb2", "Ab2", 30);
	assert_int_equal(state_oauth_get(st, "b", &g, err, sizeof(err)), 1);
	assert_int_equal(g.needs_login, 0);
	assert_null(g.error);
	state_oauth_grant_clear(&g);
}

/* A state file of schema 7 gains the table on open. */
static void
test_migration(void **state)
{
	struct state		*st = *state;
	struct oauth_grant	 g;
	sqlite3			*db;

	STATE_TEST_FILE_ONLY();
	state_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE oauth_grant;"
	    "PRAGMA user_version=7", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = *state = state_open(path, STATE_EXISTING, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(state_oauth_get(st, "a", &g, err, sizeof(err)), 0);
	put(st, "a", "R", "A", 1);
	assert_int_equal(state_oauth_get(st, "a", &g, err, sizeof(err)), 1);
	state_oauth_grant_clear(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refreshed_rotates, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_needs_login_and_list,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

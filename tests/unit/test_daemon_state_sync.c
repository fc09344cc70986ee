/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_state_sync.c - the sync point of an IMAP folder in the
 * state store (daemon/store/sqlite-sync.c): kept whole (63-bit
 * HIGHESTMODSEQ), replaced, dropped, dropped by `state forget`, and a
 * state file of schema 2 upgraded to have it.
 */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/state-where.h"
#include "tests/unit/tmpdir.h"
#include <sqlite3.h>

#include "daemon/store/state.h"

struct fixture {
	char		 dir[64];
	char		 path[PATH_MAX];	/* the SQLite file */
	const char	*where;		/* path, or $MSX_STATE_URL */
};

static char	 err[2048];

static int
setup(void **state)
{
	struct fixture	*f;

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(tmpdir_make(f->dir, sizeof(f->dir),
	    "mailsift-sync"), 0);
	snprintf(f->path, sizeof(f->path), "%s/state.db", f->dir);
	f->where = state_test_fresh(f->path);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	tmpdir_remove_at(AT_FDCWD, f->dir);
	free(f);
	return 0;
}

static struct state *
st_open(struct fixture *f)
{
	struct state	*st;

	if ((st = state_open(f->where, 0, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	return st;
}

static void
sync_put(struct state *st, const char *acct, const char *folder,
    uint32_t uv, uint64_t modseq, uint32_t uidnext, int only_unseen)
{
	struct state_sync	 p = { uv, modseq, uidnext, only_unseen };

	if (state_folder_sync_set(st, acct, folder, &p, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
}

static void
sync_is(struct state *st, const char *acct, const char *folder,
    uint32_t uv, uint64_t modseq, uint32_t uidnext, int only_unseen)
{
	struct state_sync	 p;

	memset(&p, 0, sizeof(p));
	assert_int_equal(state_folder_sync(st, acct, folder, &p, err,
	    sizeof(err)), 1);
	assert_int_equal(p.uidvalidity, uv);
	assert_true(p.highestmodseq == modseq);
	assert_int_equal(p.uidnext, uidnext);
	assert_int_equal(p.only_unseen, only_unseen);
}

static void
sync_none(struct state *st, const char *acct, const char *folder)
{
	struct state_sync	 p;

	assert_int_equal(state_folder_sync(st, acct, folder, &p, err,
	    sizeof(err)), 0);
}

static void
test_sync_roundtrip(void **state)
{
	struct fixture	*f = *state;
	struct state	*st = st_open(f);
	struct state_sync zero = { 7, 0, 1, 0 };

	sync_none(st, "a", "INBOX");
	sync_put(st, "a", "INBOX", 1700000000u, 12345, 101, 0);
	sync_put(st, "a", "Lists/x", 3, (uint64_t)INT64_MAX, 4000000000u, 1);
	sync_put(st, "b", "INBOX", 9, 1, 1, 0);
	sync_is(st, "a", "INBOX", 1700000000u, 12345, 101, 0);
	sync_is(st, "a", "Lists/x", 3, (uint64_t)INT64_MAX, 4000000000u, 1);
	/* replaced, not added */
	sync_put(st, "a", "INBOX", 1700000000u, 12400, 102, 0);
	sync_is(st, "a", "INBOX", 1700000000u, 12400, 102, 0);
	/* 0 is NOMODSEQ and above 2^63-1 is no mod-sequence: refused */
	assert_int_equal(state_folder_sync_set(st, "a", "INBOX", &zero, err,
	    sizeof(err)), -1);
	zero.highestmodseq = (uint64_t)INT64_MAX + 1;
	assert_int_equal(state_folder_sync_set(st, "a", "INBOX", &zero, err,
	    sizeof(err)), -1);
	sync_is(st, "a", "INBOX", 1700000000u, 12400, 102, 0);
	/* dropped */
	assert_int_equal(state_folder_sync_set(st, "a", "INBOX", NULL, err,
	    sizeof(err)), 0);
	sync_none(st, "a", "INBOX");
	sync_is(st, "b", "INBOX", 9, 1, 1, 0);
	state_close(st);
	/* durable */
	st = st_open(f);
	sync_is(st, "a", "Lists/x", 3, (uint64_t)INT64_MAX, 4000000000u, 1);
	state_close(st);
}

/* Forgetting a message must not leave a point that skips the folder:
 * the message would never be fetched again. */
static void
test_sync_forget(void **state)
{
	struct fixture	*f = *state;
	struct state	*st = st_open(f);
	uint64_t	 removed;
	uint32_t	 uid = 5;

	sync_put(st, "a", "INBOX", 1, 10, 11, 0);
	sync_put(st, "a", "Work", 1, 20, 21, 0);
	sync_put(st, "b", "INBOX", 1, 30, 31, 0);
	assert_int_equal(state_forget(st, "a", "INBOX", &uid, NULL, &removed,
	    err, sizeof(err)), 0);
	sync_none(st, "a", "INBOX");
	sync_is(st, "a", "Work", 1, 20, 21, 0);
	assert_int_equal(state_forget(st, "a", NULL, NULL, NULL, &removed,
	    err, sizeof(err)), 0);
	sync_none(st, "a", "Work");
	sync_is(st, "b", "INBOX", 1, 30, 31, 0);
	state_close(st);
}

static void
sql(const char *path, const char *q)
{
	sqlite3	*db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, q, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", q, sqlite3_errmsg(db));
	sqlite3_close(db);
}

static int
user_version(const char *path)
{
	sqlite3_stmt	*stmt;
	sqlite3		*db;
	int		 v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1,
	    &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

/* A state file of the mailsift before: schema 2, no folder_sync.  It
 * opens, is upgraded in place, keeps its rows, and starts with no sync
 * point (a full pass). */
static void
test_sync_upgrade(void **state)
{
	struct fixture	*f = *state;
	struct state	*st;
	struct state_sync p;
	uint32_t	 uv = 0;

	STATE_TEST_FILE_ONLY();		/* before the open: no leak */
	st = st_open(f);
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 77, NULL, err,
	    sizeof(err)), 0);
	state_close(st);
	sql(f->path, "DROP TABLE folder_sync; PRAGMA user_version=2");
	assert_int_equal(user_version(f->path), 2);
	st = st_open(f);
	assert_int_equal(user_version(f->path), 8);
	assert_int_equal(state_folder_uidvalidity(st, "a", "INBOX", &uv, err,
	    sizeof(err)), 1);
	assert_int_equal(uv, 77);
	assert_int_equal(state_folder_sync(st, "a", "INBOX", &p, err,
	    sizeof(err)), 0);
	sync_put(st, "a", "INBOX", 77, 5, 6, 0);
	sync_is(st, "a", "INBOX", 77, 5, 6, 0);
	state_close(st);
}

/* A row that says 0 or less (no mailsift writes it) is no point. */
static void
test_sync_bad_row(void **state)
{
	struct fixture	*f = *state;
	struct state	*st;

	STATE_TEST_FILE_ONLY();
	st = st_open(f);
	state_close(st);
	sql(f->path, "INSERT INTO folder_sync VALUES ('a', 'INBOX', 1, -5, 2,"
	    " 0, 0)");
	st = st_open(f);
	sync_none(st, "a", "INBOX");
	state_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sync_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sync_forget, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sync_upgrade, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sync_bad_row, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

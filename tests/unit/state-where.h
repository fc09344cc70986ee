/* SPDX-License-Identifier: ISC */
/*
 * state-where.h - which store the store's contract tests
 * (test_daemon_state*.c) run against, chosen at run time:
 *   - by default, a fresh SQLite file at the path the test made;
 *   - with MSX_STATE_URL set (e.g. postgresql://127.0.0.1:5433/msx),
 *     that database, emptied before every test by the shell command in
 *     MSX_STATE_RESET (the harness's, e.g. psql "$MSX_STATE_URL" -c
 *     'DROP SCHEMA public CASCADE; CREATE SCHEMA public').
 * A test of what only a file shows (its mode, a foreign or broken
 * file, `mailsift state -s` on a missing file, the schema upgraded in
 * place) starts with STATE_TEST_FILE_ONLY(): skipped against a URL.
 * Header-only (static inline), like tmpdir.h; include after <cmocka.h>.
 */
#ifndef TESTS_UNIT_STATE_WHERE_H
#define TESTS_UNIT_STATE_WHERE_H

#include <stdlib.h>

/* The database URL the tests run against, or NULL: SQLite files. */
static inline const char *
state_test_url(void)
{
	const char	*url = getenv("MSX_STATE_URL");

	return url != NULL && url[0] != '\0' ? url : NULL;
}

/* Where a test opens its store: path, or the URL's database made
 * empty.  Call once per test, in its setup. */
static inline const char *
state_test_fresh(const char *path)
{
	const char	*url, *reset;

	if ((url = state_test_url()) == NULL)
		return path;
	if ((reset = getenv("MSX_STATE_RESET")) == NULL || reset[0] == '\0')
		fail_msg("MSX_STATE_URL is set but MSX_STATE_RESET is not: "
		    "the tests need a command that empties the database");
	if (system(reset) != 0)
		fail_msg("MSX_STATE_RESET failed: %s", reset);
	return url;
}

#define STATE_TEST_FILE_ONLY() do {					\
	if (state_test_url() != NULL)					\
		skip();							\
} while (0)

#endif

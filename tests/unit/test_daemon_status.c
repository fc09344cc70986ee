/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_status.c - what `mailsift status` and the status page
 * read: the rounds the store records (daemon/store/sqlite-status.c,
 * pg-status.c: MSX_STATE_URL, state-where.h),
 * the schema upgrade that adds them to an older state file, an
 * account's counts, whether a daemon holds the store, the judgement of
 * an account's state and the HTML page with hostile strings
 * (daemon/status/).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "state-where.h"

#include "daemon/status/status.h"
#include "daemon/store/oauth.h"
#include "daemon/store/outbox.h"
#include "daemon/store/serverops.h"
#include "daemon/store/state.h"

struct fixture {
	char		 dir[64];
	char		 path[PATH_MAX];
	const char	*where;		/* path, or the database's URL */
};

static char	 err[2048];

static int
setup(void **state)
{
	struct fixture	*f;

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mailsift-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/state.db", f->dir);
	f->where = state_test_fresh(f->path);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
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
round_record(struct state *st, const char *account, int ok, int64_t end,
    const char *error)
{
	struct state_round	 r;

	memset(&r, 0, sizeof(r));
	r.account = account;
	r.end = end;
	r.ok = ok;
	r.fetched = 5;
	r.delivered = 4;
	r.skipped = 1;
	r.bytes = 12345;
	r.seconds = 0.5;
	r.error = error;
	r.next_poll = end + 60;
	if (state_round_record(st, &r, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

static void
status_of(struct state *st, const char *account, int64_t since,
    struct state_account_status *as)
{
	if (state_account_status(st, account, since, as, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
}

static void
test_rounds(void **state)
{
	struct fixture			*f = *state;
	struct state			*st = st_open(f);
	struct state_account_status	 as;

	status_of(st, "a", 0, &as);
	assert_null(as.phase);
	assert_int_equal(as.last_ok, 0);
	assert_null(as.last_error);
	round_record(st, "a", 1, 1000, NULL);
	round_record(st, "a", 0, 1100, "a: imap.example.org:993: refused");
	round_record(st, "a", 0, 1200, "a: still refused");
	status_of(st, "a", 0, &as);
	assert_string_equal(as.phase, "waiting");
	assert_int_equal(as.last_ok, 1000);
	assert_int_equal(as.ok_fetched, 5);
	assert_int_equal(as.ok_delivered, 4);
	assert_int_equal(as.ok_skipped, 1);
	assert_int_equal(as.ok_bytes, 12345);
	assert_true(as.ok_seconds > 0.49 && as.ok_seconds < 0.51);
	assert_string_equal(as.last_error, "a: still refused");
	assert_int_equal(as.last_error_time, 1200);
	assert_int_equal(as.failures, 2);
	assert_int_equal(as.next_poll, 1260);
	state_account_status_clear(&as);
	/* a good round ends the series, the last error stays to be read */
	round_record(st, "a", 1, 1300, NULL);
	status_of(st, "a", 0, &as);
	assert_int_equal(as.failures, 0);
	assert_int_equal(as.last_ok, 1300);
	assert_string_equal(as.last_error, "a: still refused");
	state_account_status_clear(&as);
	/* the phase alone */
	assert_int_equal(state_account_phase(st, "a", "idle", 0, err,
	    sizeof(err)), 0);
	status_of(st, "a", 0, &as);
	assert_string_equal(as.phase, "idle");
	assert_int_equal(as.last_ok, 1300);
	state_account_status_clear(&as);
	/* another account is another row */
	status_of(st, "b", 0, &as);
	assert_null(as.phase);
	state_account_status_clear(&as);
	state_close(st);
}

static void
delivered(struct state *st, const char *account, uint32_t uid)
{
	struct state_intent	 in;

	memset(&in, 0, sizeof(in));
	in.account = strdup(account);
	in.folder = strdup("INBOX");
	in.uidvalidity = 7;
	in.uid = uid;
	in.content.size = 10;
	in.content.hashed = 1;
	in.kind = STATE_MAILDIR;
	in.path = strdup("/m");
	in.name = strdup("x");
	in.time = 1;
	assert_non_null(in.name);
	if (state_intents_record(st, &in, 1, err, sizeof(err)) == -1 ||
	    state_intents_complete(st, &in.id, 1, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	state_intent_clear(&in);
}

static void
test_counts(void **state)
{
	struct fixture			*f = *state;
	struct state			*st = st_open(f);
	struct state_account_status	 as;
	struct msg_key			 k;
	int64_t				 now = (int64_t)time(NULL);

	assert_int_equal(state_folder_reset(st, "a", "INBOX", 7, NULL, err,
	    sizeof(err)), 0);
	delivered(st, "a", 1);
	delivered(st, "a", 2);
	delivered(st, "b", 1);
	memset(&k, 0, sizeof(k));
	k.account = "a";
	k.folder = "INBOX";
	k.uidvalidity = 7;
	k.uid = 3;
	assert_int_equal(state_mark_skipped(st, &k, NULL, "larger than "
	    "max-size", err, sizeof(err)), 0);
	assert_int_equal(state_outbox_add(st, "k1", "a", "out", "", "x@y",
	    "data", 4, err, sizeof(err)), 1);
	assert_int_equal(state_outbox_add(st, "k2", "a", "out", "", "x@y",
	    "data", 4, err, sizeof(err)), 1);
	assert_int_equal(state_outbox_add(st, "k3", "b", "out", "", "x@y",
	    "data", 4, err, sizeof(err)), 1);
	assert_int_equal(state_server_op_add(st, "a", "INBOX", 7, 1, "flag",
	    "\\Seen", err, sizeof(err)), 0);
	status_of(st, "a", now - 3600, &as);
	assert_int_equal(as.delivered_all, 2);
	assert_int_equal(as.delivered_since, 2);
	assert_int_equal(as.skipped, 1);
	assert_int_equal(as.outbox_queued, 2);
	assert_true(as.outbox_oldest >= now - 5 && as.outbox_oldest <= now + 5);
	assert_int_equal(as.server_ops, 1);
	state_account_status_clear(&as);
	/* "today" starts after these deliveries: none today */
	status_of(st, "a", now + 3600, &as);
	assert_int_equal(as.delivered_all, 2);
	assert_int_equal(as.delivered_since, 0);
	state_account_status_clear(&as);
	status_of(st, "nobody", 0, &as);
	assert_int_equal(as.delivered_all, 0);
	assert_int_equal(as.outbox_queued, 0);
	assert_int_equal(as.outbox_oldest, 0);
	state_account_status_clear(&as);
	state_close(st);
}

/* A state file as mailsift 0.9 left it (schema 1, no account_run) keeps
 * its rows and gains the table. */
static void
test_upgrade(void **state)
{
	struct fixture			*f = *state;
	struct state			*st;
	struct state_account_status	 as;
	sqlite3				*db;
	sqlite3_stmt			*stmt;

	STATE_TEST_FILE_ONLY();
	st = st_open(f);
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 7, NULL, err,
	    sizeof(err)), 0);
	delivered(st, "a", 1);
	state_close(st);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE account_run;"
	    "DROP INDEX outbox_by_account; DROP INDEX server_op_by_account;"
	    "DROP TABLE folder_sync; DROP TABLE provider_msgid; "
	    "PRAGMA user_version=1", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	st = st_open(f);
	round_record(st, "a", 1, 1000, NULL);
	status_of(st, "a", 0, &as);
	assert_int_equal(as.last_ok, 1000);
	assert_int_equal(as.delivered_all, 1);
	state_account_status_clear(&as);
	state_close(st);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1,
	    &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(stmt, 0), 8);
	sqlite3_finalize(stmt);
	/* and a newer one is refused, not damaged */
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=99", NULL,
	    NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_null(state_open(f->path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "newer mailsift"));
}

static void
test_claimed(void **state)
{
	struct fixture	*f = *state;
	struct state	*daemon = st_open(f), *reader = st_open(f);

	assert_int_equal(state_claimed(reader, err, sizeof(err)), 0);
	assert_int_equal(state_claim(daemon, err, sizeof(err)), 0);
	assert_int_equal(state_claimed(reader, err, sizeof(err)), 1);
	/* testing took no lock: the daemon's claim is still its own */
	assert_int_equal(state_claimed(reader, err, sizeof(err)), 1);
	state_close(daemon);
	assert_int_equal(state_claimed(reader, err, sizeof(err)), 0);
	/* the test leaves the lock free for the next daemon */
	daemon = st_open(f);
	assert_int_equal(state_claim(daemon, err, sizeof(err)), 0);
	state_close(daemon);
	state_close(reader);
}

static void
test_judge(void **state)
{
	struct state_account_status	 s;
	char				 phase[16];

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_string_equal(status_judge(&s, 1, 1000), "new");
	s.last_ok = 900;
	assert_string_equal(status_judge(&s, 0, 1000), "ok");
	snprintf(phase, sizeof(phase), "waiting");
	s.phase = phase;
	s.next_poll = 1100;
	assert_string_equal(status_judge(&s, 1, 1000), "idle-waiting");
	assert_string_equal(status_judge(&s, 0, 1000), "ok");
	s.next_poll = 990;	/* its wait is over: a round runs */
	assert_string_equal(status_judge(&s, 1, 1000), "ok");
	snprintf(phase, sizeof(phase), "idle");
	assert_string_equal(status_judge(&s, 1, 1000), "idle-waiting");
	s.failures = 1;
	assert_string_equal(status_judge(&s, 1, 1000), "failing");
	s.failures = STATUS_ATTENTION_FAILURES;
	assert_string_equal(status_judge(&s, 1, 1000), "needs attention");
	s.failures = 0;
	s.outbox_queued = 1;
	s.outbox_oldest = 100000;
	assert_string_equal(status_judge(&s, 1, 100000 +
	    STATUS_ATTENTION_OUTBOX_AGE), "idle-waiting");
	assert_string_equal(status_judge(&s, 1, 100000 +
	    STATUS_ATTENTION_OUTBOX_AGE + 1), "needs attention");
	s.phase = NULL;
}

static void
test_collect_and_page(void **state)
{
	struct fixture		*f = *state;
	struct status_report	 r;
	struct state		*st;
	const char		*names[] = { "<b>&\"a'</b>", "quiet" };
	char			*html;
	size_t			 len;

	/* no state file yet: every account is new, nothing is created */
	STATE_TEST_FILE_ONLY();
	assert_int_equal(status_collect(f->path, names, 2, 1000, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(r.has_state, 0);
	assert_string_equal(r.v[0].state, "new");
	status_report_free(&r);
	assert_int_equal(access(f->path, F_OK), -1);
	st = st_open(f);
	round_record(st, names[0], 0, 1000,
	    "<script>alert(1)</script> & \"quoted\"");
	assert_int_equal(state_claim(st, err, sizeof(err)), 0);
	assert_int_equal(status_collect(f->path, names, 2, 1010, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(r.has_state, 1);
	assert_int_equal(r.daemon, 1);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0].state, "failing");
	assert_string_equal(r.v[1].state, "new");
	assert_int_equal(r.v[0].s.failures, 1);
	html = status_html(&r, &len);
	assert_non_null(html);
	assert_int_equal(strlen(html), len);
	assert_non_null(strstr(html, "<table id=\"accounts\">"));
	assert_non_null(strstr(html, "&lt;b&gt;&amp;&quot;a&#39;&lt;/b&gt;"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; "
	    "&amp; &quot;quoted&quot;"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<b>"));
	assert_non_null(strstr(html, "<tr class=\"failing\">"));
	assert_non_null(strstr(html, "<tr class=\"new\">"));
	assert_non_null(strstr(html, "the daemon is running"));
	free(html);
	status_report_free(&r);
	state_close(st);
}
/* An account whose OAuth2 grant was refused: "needs login", with why;
 * one whose grant is fine keeps the state its rounds give. */
static void
test_needs_login(void **state)
{
	struct fixture		*f = *state;
	struct status_report	 r;
	struct oauth_grant	 g;
	struct state		*st;
	const char		*names[] = { "o", "fine" };
	char			*html;
	size_t			 len;

	st = st_open(f);
	memset(&g, 0, sizeof(g));
	g.provider = (char *)"custom";
	g.scopes = (char *)"mail";
	g.refresh_token = (char *)"R1secret";
	g.account = (char *)"o";
	assert_int_equal(state_oauth_put(st, &g, err, sizeof(err)), 0);
	g.account = (char *)"fine";
	assert_int_equal(state_oauth_put(st, &g, err, sizeof(err)), 0);
	round_record(st, "fine", 1, 1000, NULL);
	assert_int_equal(state_oauth_needs_login(st, "o", "invalid_grant: "
	    "revoked", err, sizeof(err)), 0);
	state_close(st);
	assert_int_equal(status_collect(f->where, names, 2, 1010, &r, err,
	    sizeof(err)), 0);
	assert_string_equal(r.v[0].state, "needs login");
	assert_int_equal(r.v[0].needs_login, 1);
	assert_string_equal(r.v[0].login_why, "invalid_grant: revoked");
	assert_string_equal(r.v[1].state, "ok");
	assert_int_equal(r.v[1].needs_login, 0);
	html = status_html(&r, &len);
	assert_non_null(html);
	assert_non_null(strstr(html, "<tr class=\"needs-login\">"));
	assert_null(strstr(html, "R1secret"));
	free(html);
	status_report_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claimed, setup, teardown),
		cmocka_unit_test(test_judge),
		cmocka_unit_test_setup_teardown(test_collect_and_page, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_needs_login, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

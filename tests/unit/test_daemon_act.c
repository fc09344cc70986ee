/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_act.c - carrying out a rule plan (daemon/act/act.c): what
 * act_message() hands back to the pipeline.  Deliveries carry the
 * message as the actions before them left it, targets come back
 * expanded, a message no rule filed goes to the account's target, a
 * failed action returns nothing to stage, a dry run carries out nothing,
 * a delete on a source without server-side folders travels with the
 * deliveries, and the bytes as fetched are never written to.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include "tests/unit/tmpdir.h"

#include "rules/rules.h"
#include "daemon/act/act.h"
#include "daemon/store/state.h"
#include "daemon/util/log.h"

#define MSG	"From: a@example.org\nTo: me@example.com\nSubject: hello\n" \
		"Message-ID: <1@example.org>\n\nbody\n"

struct fixture {
	char			 dir[64];
	char			 name[8];
	char			 state[PATH_MAX];
	char			 deliver[PATH_MAX + 16];
	struct config		 cfg;
	struct account		 acct;
	struct state		*st;
	struct rule_set		*rules;
	struct act_env		 env;
	struct msg_key		 mk;
	char			 msg[sizeof(MSG)];
	struct act_result	 res;
};

static int
setup(void **state)
{
	struct fixture	*f;
	char		 err[1024];

	log_init(0, LOG_LEVEL_ERROR);
	assert_non_null(f = calloc(1, sizeof(*f)));
	snprintf(f->dir, sizeof(f->dir), "/tmp/mailsift-act-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->name, sizeof(f->name), "mem");
	snprintf(f->state, sizeof(f->state), "%s/state.db", f->dir);
	snprintf(f->deliver, sizeof(f->deliver), "maildir:%s/Maildir",
	    f->dir);
	f->acct.name = f->name;
	f->acct.type = ACCT_MAILDIR;
	f->acct.deliver = f->deliver;
	if ((f->st = state_open(f->state, 0, err, sizeof(err))) == NULL)
		fail_msg("state_open: %s", err);
	f->env.cfg = &f->cfg;
	f->env.acct = &f->acct;
	f->env.st = f->st;
	f->env.where = "mem: message m1";
	f->mk.account = f->name;
	f->mk.folder = "";
	f->mk.uidl = "m1";
	memcpy(f->msg, MSG, sizeof(MSG));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	act_result_free(&f->res);
	rule_set_free(f->rules);
	state_close(f->st);
	tmpdir_remove_at(AT_FDCWD, f->dir);
	free(f);
	return 0;
}

/* Load yaml (every %s: the test's directory) and run act_message() on
 * the message; its return value. */
static int
act_run(struct fixture *f, const char *fmt)
{
	char	 yaml[4096], err[1024];
	size_t	 i, o = 0;

	for (i = 0; fmt[i] != '\0' && o + sizeof(f->dir) < sizeof(yaml); i++) {
		if (fmt[i] == '%' && fmt[i + 1] == 's') {
			o += (size_t)snprintf(yaml + o, sizeof(yaml) - o, "%s",
			    f->dir);
			i++;
		} else
			yaml[o++] = fmt[i];
	}
	yaml[o] = '\0';
	f->rules = rule_set_load_buffer("t.yaml", yaml, o, 0, err,
	    sizeof(err));
	if (f->rules == NULL)
		fail_msg("rules: %s", err);
	f->env.rules = f->rules;
	return act_message(&f->env, &f->mk, f->msg, strlen(f->msg), &f->res);
}

static void
delivery_is(const struct act_delivery *d, const char *target,
    const char *folder, const char *data)
{
	if (target == NULL)
		assert_null(d->target);
	else
		assert_string_equal(d->target, target);
	if (folder == NULL)
		assert_null(d->folder);
	else
		assert_string_equal(d->folder, folder);
	assert_int_equal(d->len, strlen(data));
	assert_memory_equal(d->data, data, d->len);
}

/* No rule files it: one delivery, to the account's target, as fetched. */
static void
test_unfiled_goes_to_the_account(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(act_run(f, "rules:\n  - name: none\n"
	    "    when: { subject: '^nothing' }\n    do: [ discard ]\n"), 0);
	assert_int_equal(f->res.failed, 0);
	assert_int_equal(f->res.remove, 0);
	assert_int_equal(f->res.n, 1);
	delivery_is(&f->res.v[0], NULL, NULL, MSG);
}

/* Each delivery carries the message as the actions before it left it;
 * the targets come back expanded; a rule that delivers files it. */
static void
test_deliveries_in_plan_order(void **state)
{
	struct fixture	*f = *state;
	char		 a[PATH_MAX], b[PATH_MAX];

	assert_int_equal(act_run(f, "rules:\n  - name: r\n    do:\n"
	    "      - deliver: \"maildir:%s/A\"\n"
	    "      - add-header: { X-Tag: 'one' }\n"
	    "      - deliver: \"mbox:%s/B\"\n"), 0);
	assert_int_equal(f->res.failed, 0);
	assert_int_equal(f->res.n, 2);
	snprintf(a, sizeof(a), "maildir:%s/A", f->dir);
	snprintf(b, sizeof(b), "mbox:%s/B", f->dir);
	delivery_is(&f->res.v[0], a, NULL, MSG);
	delivery_is(&f->res.v[1], b, NULL, "X-Tag: one\n" MSG);
	/* the bytes as fetched are as they were */
	assert_string_equal(f->msg, MSG);
}

/* A filter's output is what is delivered after it. */
static void
test_filter_changes_what_follows(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(act_run(f, "rules:\n  - name: r\n    do:\n"
	    "      - pipe: { command: [sed, 's/body/BODY/'], filter: true }\n"),
	    0);
	assert_int_equal(f->res.n, 1);
	delivery_is(&f->res.v[0], NULL, NULL,
	    "From: a@example.org\nTo: me@example.com\nSubject: hello\n"
	    "Message-ID: <1@example.org>\n\nBODY\n");
	assert_string_equal(f->msg, MSG);
}

/* A failed action: nothing to stage, even deliveries planned before it. */
static void
test_failed_action_returns_nothing(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(act_run(f, "rules:\n  - name: r\n    do:\n"
	    "      - deliver: \"maildir:%s/A\"\n"
	    "      - pipe: [false]\n"
	    "      - delete\n"), 0);
	assert_int_equal(f->res.failed, 1);
	assert_int_equal(f->res.n, 0);
	assert_int_equal(f->res.remove, 0);
}

/* Dry run: the plan is logged, nothing is carried out or returned. */
static void
test_dry_run_carries_out_nothing(void **state)
{
	struct fixture	*f = *state;
	char		 touched[PATH_MAX];
	struct stat	 sb;

	f->env.dry_run = 1;
	assert_int_equal(act_run(f, "rules:\n  - name: r\n    do:\n"
	    "      - pipe: [sh, -c, 'touch %s/touched']\n"
	    "      - deliver: \"maildir:%s/A\"\n"), 0);
	assert_int_equal(f->res.failed, 0);
	assert_int_equal(f->res.n, 0);
	snprintf(touched, sizeof(touched), "%s/touched", f->dir);
	assert_int_equal(stat(touched, &sb), -1);
}

/* Without server-side folders, move is a delivery to a folder of the
 * account's target and delete travels with the deliveries; on IMAP
 * both are server actions, with nothing to deliver for the move. */
static void
test_move_and_delete_by_source(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(act_run(f, "rules:\n  - name: r\n    do:\n"
	    "      - move: Archive\n      - delete\n"), 0);
	assert_int_equal(f->res.failed, 0);
	assert_int_equal(f->res.remove, 1);
	assert_int_equal(f->res.n, 1);
	delivery_is(&f->res.v[0], NULL, "Archive", MSG);
	act_result_free(&f->res);
	rule_set_free(f->rules);

	f->acct.type = ACCT_IMAP;
	f->env.server_folders = 1;	/* what source_of() says of IMAP */
	f->mk.folder = "INBOX";
	f->mk.uidvalidity = 7;
	f->mk.uid = 42;
	f->mk.uidl = NULL;
	assert_int_equal(act_run(f, "rules:\n  - name: r\n    do:\n"
	    "      - move: Archive\n      - delete\n"), 0);
	assert_int_equal(f->res.failed, 0);
	assert_int_equal(f->res.remove, 0);
	assert_int_equal(f->res.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_unfiled_goes_to_the_account, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deliveries_in_plan_order,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_filter_changes_what_follows, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_failed_action_returns_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_dry_run_carries_out_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_move_and_delete_by_source, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

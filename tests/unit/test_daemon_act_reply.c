/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for daemon/act/reply.c: which messages get an
 * auto-reply.  Each case runs a reply rule on a message and looks in a
 * real state's outbox for the queued reply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mime/mime.h"
#include "rules/rules.h"
#include "daemon/act/reply.h"
#include "daemon/conf/conf.h"
#include "daemon/util/log.h"
#include "daemon/store/outbox.h"
#include "daemon/store/state.h"

static const char rules_yaml[] =
    "rules:\n"
    "  - name: away\n"
    "    do: { reply: { from: 'me@example.com', body: 'Back Monday.' } }\n";

static char	 smtp_name[] = "out", me[] = "me@example.com", acct_name[] = "a";

struct fixture {
	char			 dir[64];
	char			 path[128];
	struct state		*st;
	struct rule_set		*set;
	struct smtp_server	 smtp;
	struct account		 acct;
	struct config		 cfg;
	int			 sender;	/* a new sender per message */
};

static int
setup(void **state)
{
	struct fixture	*f;
	char		 err[1024];

	log_init(0, LOG_LEVEL_ERROR);
	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/msactsend.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/state.db", f->dir);
	f->st = state_open(f->path, 0, err, sizeof(err));
	assert_non_null(f->st);
	f->set = rule_set_load_buffer("t.yaml", rules_yaml,
	    strlen(rules_yaml), 0, err, sizeof(err));
	if (f->set == NULL)
		fail_msg("%s", err);
	f->smtp.name = smtp_name;
	f->smtp.from = me;
	f->acct.name = acct_name;
	f->acct.type = ACCT_STDIN;
	f->cfg.smtp = &f->smtp;
	f->cfg.nsmtp = 1;
	f->cfg.accounts = &f->acct;
	f->cfg.naccounts = 1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[256];

	state_close(f->st);
	rule_set_free(f->set);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static uint64_t
queued(struct fixture *f)
{
	uint64_t	 q, s, x;
	char		 err[512];

	assert_int_equal(state_outbox_counts(f->st, &q, &s, &x, err,
	    sizeof(err)), 0);
	return q;
}

/* 1 if the reply rule queued a reply to a message with these extra
 * header lines. */
static int
replied(struct fixture *f, const char *fields)
{
	struct mime_message	*m;
	struct rule_plan	*plan;
	struct rule_input	 in;
	char			 msg[2048], key[64];
	uint64_t		 before = queued(f);
	int			 n;

	n = snprintf(msg, sizeof(msg), "From: s%d@example.org\n"
	    "To: me@example.com\nSubject: hi\nMessage-ID: <%d@example.org>\n"
	    "%s\nbody\n", f->sender, f->sender, fields);
	assert_true(n > 0 && (size_t)n < sizeof(msg));
	snprintf(key, sizeof(key), "a/%d/away", f->sender);
	f->sender++;
	m = mime_message_parse(msg, (size_t)n, NULL);
	assert_non_null(m);
	memset(&in, 0, sizeof(in));
	in.msg = m;
	in.size = (size_t)n;
	in.now = 1796040000;
	plan = rule_set_eval(f->set, &in, NULL, NULL);
	assert_non_null(plan);
	assert_int_equal(rule_plan_count(plan), 1);
	assert_int_equal(rule_action_type(rule_plan_action(plan, 0)),
	    RULE_ACTION_REPLY);
	assert_int_equal(reply_queue(f->st, &f->cfg, &f->acct,
	    rule_plan_action(plan, 0), m, msg, (size_t)n, key), 0);
	rule_plan_free(plan);
	mime_message_free(m);
	return queued(f) > before;
}

static void
test_auto_submitted(void **state)
{
	struct fixture	*f = *state;

	/* Anything else is automatic, unknown keywords too. */
	assert_false(replied(f, "Auto-Submitted: auto-replied\n"));
	assert_false(replied(f, "Auto-Submitted: auto-generated\n"));
	assert_false(replied(f, "Auto-Submitted: auto-notified\n"));
	assert_false(replied(f, "Auto-Submitted: notification\n"));
	assert_false(replied(f, "Auto-Submitted: nothing\n"));
	assert_false(replied(f, "Auto-Submitted: no-reply\n"));
	assert_false(replied(f, "Auto-Submitted: no auto-generated\n"));
	assert_false(replied(f, "Auto-Submitted: No,\n"));
	assert_false(replied(f, "Auto-Submitted: x-custom\n"));
	assert_false(replied(f, "Auto-Submitted: \n"));
	assert_false(replied(f, "Auto-Submitted: (just a comment)\n"));
	assert_false(replied(f, "Auto-Submitted: no (unclosed\n"));
	/* A human sent it: no field, or exactly "no" (RFC 3834 5). */
	assert_true(replied(f, ""));
	assert_true(replied(f, "Auto-Submitted: no\n"));
	assert_true(replied(f, "Auto-Submitted: NO\n"));
	assert_true(replied(f, "Auto-Submitted:   No  \n"));
	assert_true(replied(f, "Auto-Submitted: no (human)\n"));
	assert_true(replied(f, "Auto-Submitted: (typed) no(by (a) person)\n"));
	assert_true(replied(f, "Auto-Submitted: no; reason=\"typed\"\n"));
	assert_true(replied(f, "Auto-Submitted:\n no\n"));
	/* Two fields: one automatic is enough. */
	assert_false(replied(f, "Auto-Submitted: no\n"
	    "Auto-Submitted: auto-generated\n"));
	/* The other refusals still hold. */
	assert_false(replied(f, "Precedence: bulk\n"));
	assert_false(replied(f, "List-Id: <l.example.org>\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_auto_submitted, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

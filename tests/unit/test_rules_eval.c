/* SPDX-License-Identifier: ISC */
/*
 * test_rules_eval.c - running rule sets (rules/eval.c, plan.c, act-*.c):
 * rule order, stop, default, the plan of every action type with its
 * templates expanded, identities, captures, --explain events, PCRE2
 * limits on hostile input, and invalid UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"
#include "rules/rules.h"

#define NOW	1796040000	/* 2026-11-30 12:00:00 UTC */

struct run {
	unsigned		 flags;		/* for rule_set_load */
	struct rule_set		*set;
	struct mime_message	*msg;
	struct rule_plan	*plan;
};

static const char msg_text[] =
    "From: Jane Doe <jane@billing.example.com>\n"
    "To: me@example.com\n"
    "Subject: Invoice 2026-0042 for you\n"
    "Date: Tue, 24 Nov 2026 09:12:00 +0100\n"
    "Message-ID: <inv-42@billing.example.com>\n"
    "Content-Type: multipart/mixed; boundary=XX\n"
    "\n"
    "--XX\n"
    "Content-Type: text/plain\n"
    "\n"
    "Total: 120 EUR\n"
    "--XX\n"
    "Content-Type: application/pdf\n"
    "Content-Disposition: attachment; filename=invoice.pdf\n"
    "\n"
    "%PDF\n"
    "--XX\n"
    "Content-Type: image/png\n"
    "Content-Disposition: attachment; filename=logo.png\n"
    "\n"
    "PNG\n"
    "--XX--\n";

static void
run_full(struct run *r, const char *yaml, const char *msg, size_t len,
    rule_explain_fn fn, void *arg)
{
	struct rule_input	 in;
	char			 err[1024];

	r->set = rule_set_load_buffer("t.yaml", yaml, strlen(yaml), r->flags,
	    err, sizeof(err));
	if (r->set == NULL)
		fail_msg("%s", err);
	r->msg = mime_message_parse(msg, len, NULL);
	assert_non_null(r->msg);
	memset(&in, 0, sizeof(in));
	in.msg = r->msg;
	in.size = len;
	in.account = "work";
	in.folder = "INBOX";
	in.now = NOW;
	r->plan = rule_set_eval(r->set, &in, fn, arg);
	assert_non_null(r->plan);
}

static void
run(struct run *r, const char *yaml)
{
	r->flags = 0;
	run_full(r, yaml, msg_text, strlen(msg_text), NULL, NULL);
}

static void
run_free(struct run *r)
{
	rule_plan_free(r->plan);
	mime_message_free(r->msg);
	rule_set_free(r->set);
}

static const struct rule_action *
action(const struct run *r, size_t i, enum rule_action_type type)
{
	const struct rule_action	*a;

	a = rule_plan_action(r->plan, i);
	assert_non_null(a);
	assert_int_equal(rule_action_type(a), type);
	return a;
}

static void
test_order_stop(void **state)
{
	struct run	 r;

	(void)state;
	run(&r, "default: { deliver: 'maildir:~/Maildir' }\n"
	    "rules:\n"
	    "  - { name: a, when: { from: jane }, do: { move: A } }\n"
	    "  - { name: b, when: { from: nobody }, do: { move: B } }\n"
	    "  - { name: c, when: { to: me }, do: [ { copy: C }, keep ], "
	    "stop: true }\n"
	    "  - { name: d, do: discard }\n");
	assert_int_equal(rule_plan_count(r.plan), 3);
	assert_string_equal(rule_action_target(action(&r, 0,
	    RULE_ACTION_MOVE)), "A");
	assert_string_equal(rule_action_rule(action(&r, 0,
	    RULE_ACTION_MOVE)), "a");
	assert_string_equal(rule_action_target(action(&r, 1,
	    RULE_ACTION_COPY)), "C");
	assert_string_equal(rule_action_rule(action(&r, 2,
	    RULE_ACTION_KEEP)), "c");
	assert_null(rule_plan_action(r.plan, 3));
	assert_int_equal(rule_plan_verdict(r.plan, 0), RULE_VERDICT_MATCH);
	assert_int_equal(rule_plan_verdict(r.plan, 1), RULE_VERDICT_NO_MATCH);
	assert_int_equal(rule_plan_verdict(r.plan, 2), RULE_VERDICT_MATCH);
	assert_int_equal(rule_plan_verdict(r.plan, 3),
	    RULE_VERDICT_NOT_REACHED);
	assert_true(rule_plan_filed(r.plan));
	assert_false(rule_plan_default_applied(r.plan));
	assert_int_equal(rule_plan_warning_count(r.plan), 0);
	run_free(&r);
}

static void
test_default(void **state)
{
	struct run	 r;

	(void)state;
	/* Nothing filed: default: is added after the rules' actions. */
	run(&r, "default: [ { deliver: 'maildir:~/Mail/{from.domain}' }, "
	    "{ flag: '\\Seen' } ]\n"
	    "rules:\n"
	    "  - { name: tag, when: { subject: Invoice }, do: { add-header: "
	    "{ X-Kind: invoice } } }\n");
	assert_int_equal(rule_plan_count(r.plan), 3);
	action(&r, 0, RULE_ACTION_ADD_HEADER);
	assert_string_equal(rule_action_target(action(&r, 1,
	    RULE_ACTION_DELIVER)), "maildir:~/Mail/billing.example.com");
	assert_string_equal(rule_action_rule(action(&r, 1,
	    RULE_ACTION_DELIVER)), "default");
	assert_string_equal(rule_action_identity(action(&r, 1,
	    RULE_ACTION_DELIVER)), "default/deliver");
	action(&r, 2, RULE_ACTION_FLAG);
	assert_true(rule_plan_default_applied(r.plan));
	assert_true(rule_plan_filed(r.plan));
	run_free(&r);

	/* discard files the message: no default. */
	run(&r, "default: { deliver: 'maildir:~/Maildir' }\n"
	    "rules:\n  - { name: x, do: discard }\n");
	assert_int_equal(rule_plan_count(r.plan), 1);
	action(&r, 0, RULE_ACTION_DISCARD);
	assert_false(rule_plan_default_applied(r.plan));
	run_free(&r);

	/* No default: section: nothing filed, nothing added. */
	run(&r, "rules:\n  - { name: x, do: { flag: '\\Seen' } }\n");
	assert_int_equal(rule_plan_count(r.plan), 1);
	assert_false(rule_plan_default_applied(r.plan));
	assert_false(rule_plan_filed(r.plan));
	run_free(&r);
}

static void
test_every_action(void **state)
{
	struct run			 r;
	const struct rule_action	*a;

	(void)state;
	run(&r, "rules:\n"
	    "  - name: inv\n"
	    "    when: { subject: 'Invoice (?<year>\\d{4})-(?<num>\\d+)' }\n"
	    "    do:\n"
	    "      - deliver: 'mbox:~/mail/{match.year}'\n"
	    "      - move: 'Archive/{match.year}'\n"
	    "      - copy: 'Copies/{from.domain}'\n"
	    "      - save-attachments: { to: '~/inv/{date:%Y}/{from.domain}', "
	    "type: '^application/pdf$', dedupe: sha256 }\n"
	    "      - reply: { from: me@example.com, body: \"Got {match.num}.\\n"
	    "\", every: 2d, smtp: relay }\n"
	    "      - forward: { to: archive@example.com, smtp: relay }\n"
	    "      - redirect: '{from.address}'\n"
	    "      - pipe: [/usr/bin/lp, -t, '{subject}']\n"
	    "      - pipe: { command: [/bin/filter], filter: true, "
	    "timeout: 2m }\n"
	    "      - add-header: { X-Invoice: '{match.num}', X-Year: "
	    "'{match.year}' }\n"
	    "      - remove-header: [X-Spam, X-Junk]\n"
	    "      - flag: ['\\seen', '$Invoice']\n"
	    "      - delete\n"
	    "      - discard\n"
	    "      - keep\n");
	assert_int_equal(rule_plan_count(r.plan), 17);
	assert_string_equal(rule_action_target(action(&r, 0,
	    RULE_ACTION_DELIVER)), "mbox:~/mail/2026");
	assert_string_equal(rule_action_target(action(&r, 1,
	    RULE_ACTION_MOVE)), "Archive/2026");
	assert_string_equal(rule_action_target(action(&r, 2,
	    RULE_ACTION_COPY)), "Copies/billing.example.com");

	a = action(&r, 3, RULE_ACTION_SAVE_ATTACHMENTS);
	assert_string_equal(rule_action_target(a),
	    "~/inv/2026/billing.example.com");
	assert_true(rule_action_dedupe(a));
	assert_int_equal(rule_action_part_count(a), 1);
	assert_string_equal(mime_part_filename(rule_action_part(a, 0)),
	    "invoice.pdf");
	assert_null(rule_action_part(a, 1));

	a = action(&r, 4, RULE_ACTION_REPLY);
	assert_string_equal(rule_action_from(a), "me@example.com");
	assert_string_equal(rule_action_subject(a),
	    "Re: Invoice 2026-0042 for you");
	assert_string_equal(rule_action_body(a), "Got 0042.\n");
	assert_int_equal(rule_action_every(a), 2 * 86400);
	assert_string_equal(rule_action_smtp(a), "relay");
	assert_string_equal(rule_action_identity(a), "inv/reply");

	a = action(&r, 5, RULE_ACTION_FORWARD);
	assert_string_equal(rule_action_target(a), "archive@example.com");
	assert_string_equal(rule_action_smtp(a), "relay");
	a = action(&r, 6, RULE_ACTION_REDIRECT);
	assert_string_equal(rule_action_target(a),
	    "jane@billing.example.com");
	assert_null(rule_action_smtp(a));

	a = action(&r, 7, RULE_ACTION_PIPE);
	assert_int_equal(rule_action_argc(a), 3);
	assert_string_equal(rule_action_arg(a, 0), "/usr/bin/lp");
	assert_string_equal(rule_action_arg(a, 2),
	    "Invoice 2026-0042 for you");
	assert_null(rule_action_arg(a, 3));
	assert_false(rule_action_filter(a));
	assert_int_equal(rule_action_timeout(a), 60);
	a = action(&r, 8, RULE_ACTION_PIPE);
	assert_true(rule_action_filter(a));
	assert_int_equal(rule_action_timeout(a), 120);
	assert_string_equal(rule_action_identity(a), "inv/pipe.2");

	a = action(&r, 9, RULE_ACTION_ADD_HEADER);
	assert_string_equal(rule_action_target(a), "X-Invoice");
	assert_string_equal(rule_action_value(a), "0042");
	a = action(&r, 10, RULE_ACTION_ADD_HEADER);
	assert_string_equal(rule_action_target(a), "X-Year");
	assert_string_equal(rule_action_value(a), "2026");
	assert_string_equal(rule_action_target(action(&r, 11,
	    RULE_ACTION_REMOVE_HEADER)), "X-Spam");
	assert_null(rule_action_value(action(&r, 12,
	    RULE_ACTION_REMOVE_HEADER)));

	a = action(&r, 13, RULE_ACTION_FLAG);
	assert_int_equal(rule_action_argc(a), 2);
	assert_string_equal(rule_action_arg(a, 0), "\\Seen");
	assert_string_equal(rule_action_arg(a, 1), "$Invoice");
	action(&r, 14, RULE_ACTION_DELETE);
	action(&r, 15, RULE_ACTION_DISCARD);
	a = action(&r, 16, RULE_ACTION_KEEP);
	/* What a type does not have is NULL or 0. */
	assert_null(rule_action_target(a));
	assert_null(rule_action_body(a));
	assert_int_equal(rule_action_argc(a), 0);
	assert_int_equal(rule_action_part_count(a), 0);
	assert_int_equal(rule_action_every(a), 0);
	run_free(&r);
}

static void
test_type_names(void **state)
{
	int	 t;

	(void)state;
	for (t = RULE_ACTION_DELIVER; t <= RULE_ACTION_KEEP; t++)
		assert_int_equal(rule_action_type_from_name(
		    rule_action_type_name((enum rule_action_type)t)), t);
	assert_string_equal(rule_action_type_name(
	    RULE_ACTION_SAVE_ATTACHMENTS), "save-attachments");
	assert_int_equal(rule_action_type_from_name("nope"), -1);
	assert_int_equal(rule_action_type_from_name(NULL), -1);
}

static void
test_plan_outlives_set(void **state)
{
	struct run	 r;

	(void)state;
	run(&r, "rules:\n  - { name: a, do: [ { flag: [$X] }, "
	    "{ move: 'F/{subject}' } ] }\n");
	rule_set_free(r.set);
	r.set = NULL;
	/* The plan owns its strings (parts point into the message). */
	assert_string_equal(rule_action_arg(rule_plan_action(r.plan, 0), 0),
	    "$X");
	assert_string_equal(rule_action_target(rule_plan_action(r.plan, 1)),
	    "F/Invoice 2026-0042 for you");
	assert_string_equal(rule_action_rule(rule_plan_action(r.plan, 1)),
	    "a");
	run_free(&r);
}

static void
test_captures(void **state)
{
	struct run	 r;

	(void)state;
	/* A false all: leaves nothing; the branch that held wins. */
	run(&r, "rules:\n  - name: a\n    when:\n      any:\n"
	    "        - all: [ { subject: '(?<x>Invoice)' }, { from: nobody } ]\n"
	    "        - subject: '(?<y>\\d+)-'\n"
	    "    do: { add-header: { X-C: '[{match.x}][{match.y}]' } }\n");
	assert_string_equal(rule_action_value(rule_plan_action(r.plan, 0)),
	    "[][2026]");
	run_free(&r);

	/* not: keeps nothing of what it negates. */
	run(&r, "rules:\n  - name: a\n    when:\n"
	    "      - not: { subject: '(?<x>zzz)|(?<z>Invoice)' }\n"
	    "      - { from: '(?<x>jane)' }\n"
	    "    do: { add-header: { X-C: '[{match.x}][{match.z}]' } }\n");
	assert_int_equal(rule_plan_verdict(r.plan, 0), RULE_VERDICT_NO_MATCH);
	run_free(&r);
	run(&r, "rules:\n  - name: a\n    when:\n"
	    "      - not: { subject: '(?<z>zzz)' }\n"
	    "      - { from: '(?<x>jane)' }\n"
	    "    do: { add-header: { X-C: '[{match.x}][{match.z}]' } }\n");
	assert_string_equal(rule_action_value(rule_plan_action(r.plan, 0)),
	    "[jane][]");
	run_free(&r);

	/* The later of two captures of one name wins. */
	run(&r, "rules:\n  - name: a\n"
	    "    when: [ { from: '(?<w>jane)' }, { to: '^(?<w>me)@' } ]\n"
	    "    do: { add-header: { X-C: '{match.w}' } }\n");
	assert_string_equal(rule_action_value(rule_plan_action(r.plan, 0)),
	    "me");
	run_free(&r);

	/* Captures belong to the rule that made them. */
	run(&r, "rules:\n"
	    "  - { name: a, when: { from: '(?<u>jane)' }, do: keep }\n"
	    "  - name: b\n    when: { from: '(?<u>nobody)|Jane' }\n"
	    "    do: { add-header: { X-C: '[{match.u}]' } }\n");
	assert_string_equal(rule_action_value(rule_plan_action(r.plan, 1)),
	    "[]");
	run_free(&r);
}

struct events {
	struct rule_explain	 v[32];
	char			 where[32][32], text[32][64];
	char			 capname[32][16], capval[32][16];
	size_t			 n;
};

static void
collect(void *arg, const struct rule_explain *e)
{
	struct events	*ev = arg;

	assert_true(ev->n < 32);
	ev->v[ev->n] = *e;
	ev->where[ev->n][0] = ev->text[ev->n][0] = '\0';
	ev->capname[ev->n][0] = ev->capval[ev->n][0] = '\0';
	if (e->where != NULL) {
		snprintf(ev->where[ev->n], 32, "%s", e->where);
		snprintf(ev->text[ev->n], 64, "%.*s", (int)e->match_len,
		    e->text + e->match_off);
	}
	if (e->ncaptures > 0) {
		snprintf(ev->capname[ev->n], 16, "%s", e->captures[0].name);
		snprintf(ev->capval[ev->n], 16, "%.*s",
		    (int)e->captures[0].len, e->captures[0].value);
	}
	ev->n++;
}

static void
test_explain(void **state)
{
	struct events	 ev;
	struct run	 r;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&ev, 0, sizeof(ev));
	run_full(&r, "rules:\n"
	    "  - name: inv\n"
	    "    when:\n"
	    "      all:\n"
	    "        - from: '@billing\\.example\\.com$'\n"
	    "        - attachment: { filename: '(?<ext>\\.pdf)$' }\n"
	    "        - not: { subject: spam }\n"
	    "    do: keep\n"
	    "    stop: true\n"
	    "  - { name: never, do: keep }\n",
	    msg_text, strlen(msg_text), collect, &ev);
	/* Post-order: children first, the rule's verdict last. */
	assert_int_equal(ev.n, 6);
	assert_int_equal(ev.v[0].kind, RULE_EXPLAIN_COND);
	assert_int_equal(ev.v[0].depth, 1);
	assert_string_equal(ev.v[0].cond, "from '@billing\\.example\\.com$'");
	assert_int_equal(ev.v[0].line, 5);
	assert_int_equal(ev.v[0].col, 11);
	assert_true(ev.v[0].result);
	assert_string_equal(ev.where[0], "From");
	assert_string_equal(ev.text[0], "@billing.example.com");

	assert_string_equal(ev.v[1].cond,
	    "attachment filename '(?<ext>\\.pdf)$'");
	assert_string_equal(ev.where[1], "part 2 filename");
	assert_string_equal(ev.text[1], ".pdf");
	assert_int_equal(ev.v[1].ncaptures, 1);
	assert_string_equal(ev.capname[1], "ext");
	assert_string_equal(ev.capval[1], ".pdf");

	assert_int_equal(ev.v[2].depth, 2);
	assert_string_equal(ev.v[2].cond, "subject 'spam'");
	assert_false(ev.v[2].result);
	assert_null(ev.v[2].where);
	assert_int_equal(ev.v[3].depth, 1);
	assert_string_equal(ev.v[3].cond, "not");
	assert_true(ev.v[3].result);
	assert_int_equal(ev.v[4].depth, 0);
	assert_string_equal(ev.v[4].cond, "all");
	assert_true(ev.v[4].result);
	assert_null(ev.v[4].where);

	assert_int_equal(ev.v[5].kind, RULE_EXPLAIN_RULE);
	assert_string_equal(ev.v[5].rule_name, "inv");
	assert_int_equal(ev.v[5].rule, 0);
	assert_true(ev.v[5].result);
	assert_true(ev.v[5].stopped);
	assert_int_equal(rule_plan_verdict(r.plan, 1),
	    RULE_VERDICT_NOT_REACHED);
	run_free(&r);
}

/* Once with JIT (when the library has it), once interpreted. */
static void
catastrophic(unsigned flags)
{
	struct events	 ev;
	struct run	 r;
	char		*msg, *p;
	size_t		 i;

	/* A subject of 50000 'a' and a 'b', a body line of 5000: (a+)+$
	 * would take longer than the universe has. */
	msg = malloc(60000);
	assert_non_null(msg);
	p = msg + sprintf(msg, "Subject: ");
	memset(p, 'a', 50000);
	p += 50000;
	p += sprintf(p, "b\n\n");
	memset(p, 'a', 5000);
	p += 5000;
	p += sprintf(p, "b\n");
	memset(&ev, 0, sizeof(ev));
	memset(&r, 0, sizeof(r));
	r.flags = flags;
	run_full(&r, "rules:\n"
	    "  - { name: evil, when: { subject: '(a+)+$' }, do: discard }\n"
	    "  - { name: evil body, when: { body: '(a|aa)+$' }, do: discard }\n"
	    "  - { name: fine, when: { subject: 'a{3}b' }, do: keep }\n",
	    msg, (size_t)(p - msg), collect, &ev);
	/* No match, reported, and the rules after it still run. */
	assert_int_equal(rule_plan_verdict(r.plan, 0), RULE_VERDICT_NO_MATCH);
	assert_int_equal(rule_plan_verdict(r.plan, 1), RULE_VERDICT_NO_MATCH);
	assert_int_equal(rule_plan_verdict(r.plan, 2), RULE_VERDICT_MATCH);
	assert_int_equal(rule_plan_warning_count(r.plan), 2);
	assert_string_equal(rule_plan_warning(r.plan, 0),
	    "t.yaml:2:27: rule 'evil': regex hit a PCRE2 limit on Subject; "
	    "counted as no match");
	assert_string_equal(rule_plan_warning(r.plan, 1),
	    "t.yaml:3:32: rule 'evil body': regex hit a PCRE2 limit on body; "
	    "counted as no match");
	assert_null(rule_plan_warning(r.plan, 2));
	assert_int_equal(ev.v[0].kind, RULE_EXPLAIN_COND);
	assert_true(ev.v[0].limit_hit);
	assert_false(ev.v[0].result);
	assert_int_equal(ev.v[1].kind, RULE_EXPLAIN_RULE);
	assert_false(ev.v[1].result);
	assert_true(ev.v[2].limit_hit);
	for (i = 0; i < ev.n; i++)
		if (ev.v[i].kind == RULE_EXPLAIN_COND &&
		    strcmp(ev.v[i].cond, "subject 'a{3}b'") == 0)
			assert_false(ev.v[i].limit_hit);
	run_free(&r);
	free(msg);
}

/* 400 addresses, each a limit for (a+)+$: the regex gives up on the
 * first and is not run on the other 399 (else this would take seconds
 * with JIT and minutes without). */
static void
many_limits(unsigned flags)
{
	struct run	 r;
	char		*msg, *p;
	int		 i;

	msg = malloc(400 * 64 + 64);
	assert_non_null(msg);
	p = msg + sprintf(msg, "To: ");
	for (i = 0; i < 400; i++)
		p += sprintf(p, "%saaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%d@x",
		    i ? ", " : "", i);
	p += sprintf(p, "\n\nx\n");
	memset(&r, 0, sizeof(r));
	r.flags = flags;
	run_full(&r, "rules:\n"
	    "  - { name: evil, when: { to: '^(a+)+$' }, do: discard }\n"
	    "  - { name: after, when: { to: 'a399@x$' }, do: keep }\n",
	    msg, (size_t)(p - msg), NULL, NULL);
	assert_int_equal(rule_plan_verdict(r.plan, 0), RULE_VERDICT_NO_MATCH);
	assert_int_equal(rule_plan_verdict(r.plan, 1), RULE_VERDICT_MATCH);
	assert_int_equal(rule_plan_warning_count(r.plan), 1);
	run_free(&r);
	free(msg);
}

static void
test_catastrophic_backtracking(void **state)
{
	(void)state;
	catastrophic(0);
	catastrophic(RULE_LOAD_NO_JIT);
	many_limits(0);
	many_limits(RULE_LOAD_NO_JIT);
}

static void
test_invalid_utf8(void **state)
{
	static const char bad[] =
	    "From: \xff\xfe <x@example.com>\n"
	    "Subject: caf\xe9 \xc3\x28 ok\n"
	    "X-Raw: \x80\x81\x82\n"
	    "\n"
	    "\xf0\x28\x8c\x28 body \xff\n";
	struct rule_plan	*plan;
	struct rule_set		*set;
	struct mime_message	*m;
	struct rule_input	 in;
	char			 err[512];
	static const char	 yaml[] =
	    "rules:\n"
	    "  - { name: s, when: { subject: 'ok$' }, do: keep }\n"
	    "  - { name: b, when: { body: 'body .$' }, do: keep }\n"
	    "  - { name: h, when: { header: { name: X-Raw, match: '^...$' } },"
	    " do: keep }\n"
	    "  - { name: f, when: { from: '^.. <x@' }, do: keep }\n"
	    "  - { name: a, when: { account: '^a\\x{fffd}b$' }, do: keep }\n"
	    "  - { name: end, when: { account: 'b$' }, do: keep }\n";

	(void)state;
	set = rule_set_load_buffer("t.yaml", yaml, strlen(yaml), 0, err,
	    sizeof(err));
	assert_non_null(set);
	m = mime_message_parse(bad, strlen(bad), NULL);
	assert_non_null(m);
	memset(&in, 0, sizeof(in));
	in.msg = m;
	in.size = strlen(bad);
	/* Invalid bytes become U+FFFD before any regex sees them. */
	in.account = "a\xff" "b";
	in.now = NOW;
	plan = rule_set_eval(set, &in, NULL, NULL);
	assert_non_null(plan);
	assert_int_equal(rule_plan_verdict(plan, 0), RULE_VERDICT_MATCH);
	assert_int_equal(rule_plan_verdict(plan, 1), RULE_VERDICT_MATCH);
	assert_int_equal(rule_plan_verdict(plan, 2), RULE_VERDICT_MATCH);
	assert_int_equal(rule_plan_verdict(plan, 3), RULE_VERDICT_MATCH);
	assert_int_equal(rule_plan_verdict(plan, 4), RULE_VERDICT_MATCH);
	assert_int_equal(rule_plan_verdict(plan, 5), RULE_VERDICT_MATCH);
	rule_plan_free(plan);
	mime_message_free(m);
	rule_set_free(set);
}

/* A field that would begin a pipe argument cannot make it an option;
 * the rule author's own options stay. */
static void
test_pipe_arguments_not_options(void **state)
{
	static const char evil[] =
	    "From: \"--help\" <x@example.org>\n"
	    "To: me@example.com\n"
	    "Subject: -o/tmp/x\n"
	    "\n"
	    "x\n";
	const struct rule_action	*a;
	struct run			 r;

	(void)state;
	memset(&r, 0, sizeof(r));
	run_full(&r, "rules:\n  - name: a\n"
	    "    when: { body: '(?<empty>z?)' }\n"
	    "    do:\n"
	    "      - pipe: [/usr/bin/sort, '{subject}', '{match.empty}"
	    "{from.name}', -t, '--x={subject}', 'a {subject}', '-{subject}']\n",
	    evil, strlen(evil), NULL, NULL);
	a = rule_plan_action(r.plan, 0);
	assert_int_equal(rule_action_argc(a), 7);
	assert_string_equal(rule_action_arg(a, 1), "_o/tmp/x");
	/* an empty field first does not let the next one in */
	assert_string_equal(rule_action_arg(a, 2), "_-help");
	/* literal text at the start is the rule's */
	assert_string_equal(rule_action_arg(a, 3), "-t");
	assert_string_equal(rule_action_arg(a, 4), "--x=-o/tmp/x");
	assert_string_equal(rule_action_arg(a, 5), "a -o/tmp/x");
	assert_string_equal(rule_action_arg(a, 6), "--o/tmp/x");
	run_free(&r);
}

/* Each component of an expanded path fits a file name, however
 * many fields it joins; a file name keeps its extension; a folder fits
 * whole. */
static void
test_long_path_components(void **state)
{
	const struct rule_action	*a;
	struct run			 r;
	char				 msg[2048], *p;
	const char			*t, *c, *slash;
	size_t				 i, off;

	(void)state;
	off = (size_t)snprintf(msg, sizeof(msg), "From: x@");
	for (i = 0; i < 6; i++)
		off += (size_t)snprintf(msg + off, sizeof(msg) - off,
		    "%s%s", i > 0 ? "." : "", "a-very-long-label-of-forty-"
		    "bytes-in-a-dns-nam");
	off += (size_t)snprintf(msg + off, sizeof(msg) - off,
	    "\nSubject: ");
	for (i = 0; i < 150; i++)
		off += (size_t)snprintf(msg + off, sizeof(msg) - off,
		    "\xc3\xa9");
	snprintf(msg + off, sizeof(msg) - off, "\n\nx\n");
	memset(&r, 0, sizeof(r));
	run_full(&r, "rules:\n  - name: a\n"
	    "    do:\n"
	    "      - deliver: 'mbox:/m/{from.domain}-{subject}.mbox'\n"
	    "      - save-attachments: { to: '/s/{from.domain}-{subject}/"
	    "{subject}{subject}/x' }\n"
	    "      - move: '{from.domain}-{subject}'\n"
	    "      - copy: 'Lists/{from.domain}/{subject}'\n",
	    msg, strlen(msg), NULL, NULL);
	for (i = 0; i < 2; i++) {
		a = rule_plan_action(r.plan, i);
		t = rule_action_target(a);
		for (c = t; c != NULL; c = slash != NULL ? slash + 1 : NULL) {
			slash = strchr(c, '/');
			off = slash != NULL ? (size_t)(slash - c) : strlen(c);
			if (off > 250)
				fail_msg("component of %zu bytes in %s", off,
				    t);
			assert_true(mime_utf8_valid(c, off));
			assert_true(off > 0 || c == t);
		}
	}
	/* A folder is one name to a Maildir++ (".a.b"): all of it fits
	 * the 200 bytes the daemon takes, and it does not end in '/'. */
	for (i = 2; i < 4; i++) {
		t = rule_action_target(rule_plan_action(r.plan, i));
		if (strlen(t) > 200)
			fail_msg("folder of %zu bytes: %s", strlen(t), t);
		assert_true(mime_utf8_valid(t, strlen(t)));
		assert_true(t[strlen(t) - 1] != '/');
	}
	assert_int_equal(strncmp(rule_action_target(rule_plan_action(r.plan,
	    3)), "Lists/a-very-long-label", 23), 0);
	t = rule_action_target(rule_plan_action(r.plan, 0));
	assert_int_equal(strncmp(t, "mbox:/m/a-very-long-label", 25), 0);
	p = strrchr(t, '/');
	/* 250: NAME_MAX, less room for the mbox's ".lock" */
	assert_int_equal(strlen(p + 1), 250);
	assert_string_equal(t + strlen(t) - 6, "\xa9.mbox");
	run_free(&r);
}

static void
test_hostile_templates(void **state)
{
	static const char evil[] =
	    "From: \"a/../../etc\" <x@../../etc>\n"
	    "To: me@example.com\n"
	    "Subject: =?utf-8?Q?hi=0D=0ABcc:_victim@example.com?=\n"
	    "\n"
	    "Ref: one\r\n"
	    "Bcc: victim@example.com\r\n";
	struct run	 r;

	(void)state;
	memset(&r, 0, sizeof(r));
	run_full(&r, "rules:\n  - name: a\n"
	    "    when: { body: '(?s)(?<c>Ref:.*com)' }\n"
	    "    do:\n"
	    "      - save-attachments: { to: '~/s/{from.domain}/{from.name}' }\n"
	    "      - reply: { from: me@example.com, subject: '{match.c}', "
	    "body: '{match.c}' }\n"
	    "      - add-header: { X-S: '{match.c}', X-T: '{subject}' }\n"
	    "      - move: '{match.c}'\n",
	    evil, strlen(evil), NULL, NULL);
	/* Path mode: no '/', no "..", no control characters. */
	assert_string_equal(rule_action_target(rule_plan_action(r.plan, 0)),
	    "~/s/_._.__etc/a_.__.__etc");
	/* Header mode: line breaks become spaces... */
	assert_string_equal(rule_action_subject(rule_plan_action(r.plan, 1)),
	    "Ref: one Bcc: victim@example.com");
	assert_string_equal(rule_action_value(rule_plan_action(r.plan, 2)),
	    "Ref: one Bcc: victim@example.com");
	/* (and mime/ already made them spaces in a decoded header). */
	assert_string_equal(rule_action_value(rule_plan_action(r.plan, 3)),
	    "hi  Bcc: victim@example.com");
	/* ...text mode (a body) keeps them, path mode drops them. */
	assert_string_equal(rule_action_body(rule_plan_action(r.plan, 1)),
	    "Ref: one\nBcc: victim@example.com");
	assert_string_equal(rule_action_target(rule_plan_action(r.plan, 4)),
	    "Ref: oneBcc: victim@example.com");
	run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_stop),
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_every_action),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_plan_outlives_set),
		cmocka_unit_test(test_captures),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_catastrophic_backtracking),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_hostile_templates),
		cmocka_unit_test(test_pipe_arguments_not_options),
		cmocka_unit_test(test_long_path_components),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

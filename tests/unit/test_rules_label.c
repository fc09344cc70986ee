/* SPDX-License-Identifier: ISC */
/*
 * test_rules_label.c - Gmail labels in the rules: the label: condition
 * (cond-label.c) against the labels a source hands in rule_input, none
 * for other sources, invalid UTF-8 made safe; add-label and
 * remove-label (act-label.c): their plan, what a file may say, and that
 * a source without server flags refuses them; labels: in a tests:
 * section (selftest.c).
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

static const char msg_text[] =
    "From: Jane Doe <jane@billing.example.com>\n"
    "To: me@example.com\n"
    "Subject: Invoice\n"
    "\n"
    "Total: 120 EUR\n";

/* Evaluate yaml on the message with these labels; the plan's types. */
static struct rule_plan *
eval(const char *yaml, const char *const *labels, size_t n,
    struct rule_set **set, struct mime_message **msg)
{
	struct rule_input	 in;
	char			 err[1024];
	struct rule_plan	*plan;

	*set = rule_set_load_buffer("t.yaml", yaml, strlen(yaml), 0, err,
	    sizeof(err));
	if (*set == NULL)
		fail_msg("%s", err);
	*msg = mime_message_parse(msg_text, strlen(msg_text), NULL);
	assert_non_null(*msg);
	memset(&in, 0, sizeof(in));
	in.msg = *msg;
	in.size = strlen(msg_text);
	in.folder = "INBOX";
	in.labels = labels;
	in.nlabels = n;
	plan = rule_set_eval(*set, &in, NULL, NULL);
	assert_non_null(plan);
	return plan;
}

static int
matches(const char *re, const char *const *labels, size_t n)
{
	struct rule_set		*set;
	struct mime_message	*msg;
	struct rule_plan	*plan;
	char			 yaml[512];
	int			 r;

	snprintf(yaml, sizeof(yaml), "rules:\n  - { name: l, when: "
	    "{ label: '%s' }, do: discard }\n", re);
	plan = eval(yaml, labels, n, &set, &msg);
	r = rule_plan_verdict(plan, 0) == RULE_VERDICT_MATCH;
	rule_plan_free(plan);
	mime_message_free(msg);
	rule_set_free(set);
	return r;
}

static void
test_condition(void **state)
{
	static const char *const gm[] = { "\\Inbox", "\\Important",
	    "Work/Invoices", "B\xc3\xbcro" };
	static const char *const bad[] = { "a\xff" "b" };

	(void)state;
	assert_true(matches("^Work/", gm, 4));
	assert_true(matches("^\\\\Important$", gm, 4));
	assert_true(matches("^B\xc3\xbcro$", gm, 4));
	assert_true(matches("(?i)^b\xc3\xbcRO$", gm, 4));
	assert_false(matches("^Invoices", gm, 4));
	/* each label alone: no match across two */
	assert_false(matches("Important.*Work", gm, 4));
	/* a source without labels: nothing to match, not even '' */
	assert_false(matches("", NULL, 0));
	assert_false(matches(".*", gm, 0));
	/* invalid UTF-8 from a caller is made valid, not refused */
	assert_true(matches("^a.b$", bad, 1));
}

static void
test_actions(void **state)
{
	struct rule_set		*set;
	struct mime_message	*msg;
	struct rule_plan	*plan;
	const struct rule_action *a;

	(void)state;
	plan = eval("rules:\n  - name: inv\n    when: { subject: Invoice }\n"
	    "    do:\n      - add-label: [Invoices, '\\Important', "
	    "'B\xc3\xbcro/2026']\n      - remove-label: '\\Inbox'\n", NULL, 0,
	    &set, &msg);
	assert_int_equal(rule_plan_count(plan), 2);
	a = rule_plan_action(plan, 0);
	assert_int_equal(rule_action_type(a), RULE_ACTION_ADD_LABEL);
	assert_string_equal(rule_action_type_name(rule_action_type(a)),
	    "add-label");
	assert_int_equal(rule_action_argc(a), 3);
	assert_string_equal(rule_action_arg(a, 0), "Invoices");
	assert_string_equal(rule_action_arg(a, 1), "\\Important");
	assert_string_equal(rule_action_arg(a, 2), "B\xc3\xbcro/2026");
	a = rule_plan_action(plan, 1);
	assert_int_equal(rule_action_type(a), RULE_ACTION_REMOVE_LABEL);
	assert_int_equal(rule_action_argc(a), 1);
	assert_string_equal(rule_action_arg(a, 0), "\\Inbox");
	/* labels do not file the message */
	assert_false(rule_plan_filed(plan));
	rule_plan_free(plan);
	mime_message_free(msg);
	rule_set_free(set);
}

static void
refused(const char *yaml, unsigned flags, const char *why)
{
	struct rule_set	*set;
	char		 err[1024];

	set = rule_set_load_buffer("t.yaml", yaml, strlen(yaml), flags, err,
	    sizeof(err));
	if (set != NULL) {
		rule_set_free(set);
		fail_msg("accepted: %s", yaml);
	}
	if (strstr(err, why) == NULL)
		fail_msg("error lacks \"%s\": %s", why, err);
}

static void
test_refused(void **state)
{
	(void)state;
	refused("rules:\n  - { name: x, do: { add-label: '' } }\n", 0,
	    "1 to 225 bytes");
	refused("rules:\n  - { name: x, do: { add-label: \"a\\nb\" } }\n", 0,
	    "control");
	refused("rules:\n  - { name: x, do: { remove-label: '\\Not a' } }\n",
	    0, "system label");
	refused("rules:\n  - { name: x, do: { add-label: [] } }\n", 0,
	    "empty label list");
	refused("rules:\n  - { name: x, do: add-label }\n", 0, "add-label");
	refused("rules:\n  - { name: x, do: { add-label: a } }\n",
	    RULE_SOURCE_NO_FLAGS, "no server labels");
	refused("rules:\n  - { name: x, when: { label: '(' }, do: keep }\n",
	    0, "bad regex");
}

static void
test_selftest_labels(void **state)
{
	static const char yaml[] = "version: 1\nrules:\n"
	    "  - { name: w, when: { label: '^Work$' }, do: discard }\n"
	    "tests:\n"
	    "  - { message: a.eml, labels: [Work, '\\Inbox'], "
	    "expect: [discard] }\n"
	    "  - { message: a.eml, labels: Other, expect: [] }\n"
	    "  - { message: a.eml, expect: [] }\n";
	struct rule_set		*set;
	const char *const	*l;
	char			 err[1024];
	size_t			 n;

	(void)state;
	set = rule_set_load_buffer("/r/t.yaml", yaml, strlen(yaml), 0, err,
	    sizeof(err));
	if (set == NULL)
		fail_msg("%s", err);
	assert_int_equal(rule_set_test_count(set), 3);
	l = rule_test_labels(rule_set_test(set, 0), &n);
	assert_int_equal(n, 2);
	assert_string_equal(l[0], "Work");
	assert_string_equal(l[1], "\\Inbox");
	l = rule_test_labels(rule_set_test(set, 1), &n);
	assert_int_equal(n, 1);
	assert_string_equal(l[0], "Other");
	assert_null(rule_test_labels(rule_set_test(set, 2), &n));
	assert_int_equal(n, 0);
	rule_set_free(set);
	refused("version: 1\nrules: []\ntests:\n  - { message: a.eml, "
	    "labels: { a: b }, expect: [] }\n", 0, "label");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_condition),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_selftest_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

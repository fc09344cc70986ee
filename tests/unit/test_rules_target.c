/* SPDX-License-Identifier: ISC */
/*
 * test_rules_target.c - the one parser of delivery target strings
 * (rules/target.c, rule_target_parse()): known kinds with their
 * argument span and flags, and what it refuses.  The callers' error
 * messages are checked where they are made (test_daemon_conf,
 * test_rules_load, test_daemon_deliver).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rules/rules.h"

static void
check(const char *s, const char *kind, const char *arg)
{
	struct rule_target	 t;

	memset(&t, 0, sizeof(t));
	assert_int_equal(rule_target_parse(s, strlen(s), &t), 0);
	assert_string_equal(t.kind, kind);
	assert_true(t.flags & RULE_TARGET_PATH);
	assert_int_equal(t.arglen, strlen(arg));
	assert_memory_equal(t.arg, arg, t.arglen);
	assert_ptr_equal(t.arg, s + strlen(kind) + 1);	/* a span, no copy */
}

static void
test_kinds(void **state)
{
	(void)state;
	check("maildir:/home/u/Mail", "maildir", "/home/u/Mail");
	check("mbox:~/mail/inbox", "mbox", "~/mail/inbox");
	check("maildir:", "maildir", "");	/* the caller says "empty" */
	check("mbox:a:b", "mbox", "a:b");	/* only the first ':' */
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"", "maildir", "mbox", "Maildir:/x", "MBOX:/x", "mh:/x",
		"/home/u/Mail", " maildir:/x", "maildir/x", ":x"
	};
	struct rule_target	 t;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(rule_target_parse(bad[i], strlen(bad[i]),
		    &t), -1);
}

/* The length bounds the parse: no NUL needed, none read past len. */
static void
test_span(void **state)
{
	struct rule_target	 t;
	const char		 buf[] = { 'm', 'b', 'o', 'x', ':', '/', 'x' };

	(void)state;
	assert_int_equal(rule_target_parse(buf, sizeof(buf), &t), 0);
	assert_int_equal(t.arglen, 2);
	assert_int_equal(rule_target_parse(buf, 4, &t), -1);
	assert_int_equal(rule_target_parse(buf, 5, &t), 0);
	assert_int_equal(t.arglen, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_span),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

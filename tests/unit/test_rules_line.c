/* SPDX-License-Identifier: ISC */
/*
 * test_rules_line.c - one-line templates for the daemon's options
 * (rules/line.c): fields from a raw message, LINE mode's CR/LF rule,
 * the size limit, and errors at parse time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rules/line.h"

static const char msg[] = "From: A <a@example.org>\r\n"
    "To: \"Jo\" <jo@Example.ORG>, b@example.net\r\n"
    "Subject: =?utf-8?q?one=0D=0ARCPT_TO:<x@y>?=\r\n\r\nbody\r\n";

static struct rule_line *
parse(const char *s)
{
	struct rule_line	*l;
	char			 e[256];

	l = rule_line_parse(s, e, sizeof(e));
	if (l == NULL)
		fail_msg("%s: %s", s, e);
	return l;
}

static void
test_fields(void **state)
{
	struct rule_line	*l;
	char			 out[256];

	(void)state;
	l = parse("{account}+{to.address}");
	assert_int_equal(rule_line_expand(l, msg, sizeof(msg) - 1, "acct",
	    "INBOX", out, sizeof(out)), 0);
	assert_string_equal(out, "acct+jo@Example.ORG");
	rule_line_free(l);
	l = parse("{folder}/{to.domain}");
	assert_int_equal(rule_line_expand(l, msg, sizeof(msg) - 1, NULL,
	    "Work", out, sizeof(out)), 0);
	assert_string_equal(out, "Work/Example.ORG");
	rule_line_free(l);
}

/* A decoded CR LF never reaches the result. */
static void
test_no_line_break(void **state)
{
	struct rule_line	*l;
	char			 out[256];

	(void)state;
	l = parse("{subject}");
	assert_int_equal(rule_line_expand(l, msg, sizeof(msg) - 1, "a", "b",
	    out, sizeof(out)), 0);
	assert_null(strchr(out, '\r'));
	assert_null(strchr(out, '\n'));
	assert_non_null(strstr(out, "RCPT"));
	rule_line_free(l);
}

static void
test_too_long(void **state)
{
	struct rule_line	*l;
	char			 out[8];

	(void)state;
	l = parse("{to.address}");
	assert_int_equal(rule_line_expand(l, msg, sizeof(msg) - 1, "a", "b",
	    out, sizeof(out)), 1);
	rule_line_free(l);
}

static void
test_errors(void **state)
{
	char	 e[256];

	(void)state;
	assert_null(rule_line_parse("{nosuch}", e, sizeof(e)));
	assert_non_null(strstr(e, "nosuch"));
	assert_null(rule_line_parse("{match.x}", e, sizeof(e)));
	assert_null(rule_line_parse("a{b", e, sizeof(e)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_no_line_break),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for rules/regex.c: a regex's work budget on one message,
 * counted in PCRE2 calls and in the match steps granted to them (an
 * upper bound of the work done), never in time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rules/regex.h"
#include "rules/rules.h"

/* a x 18, then b: (a+)+$ needs about 600000 steps to fail on it, under
 * the per-match limit but far over a share of 1000 values. */
static const char slow[] = "aaaaaaaaaaaaaaaaaab";

static struct rule_regex *
compile(const char *pat, unsigned opts)
{
	struct rule_regex	*re;
	size_t			 off;
	char			 err[256];

	re = rule_regex_compile(pat, strlen(pat), opts, &off, err,
	    sizeof(err));
	if (re == NULL)
		fail_msg("%s: %s", pat, err);
	return re;
}

static void
budget_shared(unsigned opts)
{
	struct rule_regex		*evil, *fine;
	struct rule_regex_scratch	*rs;
	struct rule_regex_budget	 b;
	uint64_t			 granted = 0;
	size_t				 i;

	evil = compile("^(a+)+$", opts);
	fine = compile("^a+b$", opts);
	assert_non_null(rs = rule_regex_scratch_new(1));
	/* Alone, a value has the whole per-match limit: no match. */
	assert_int_equal(rule_regex_match(evil, rs, slow, strlen(slow)), 0);
	rule_regex_budget_init(&b);
	assert_int_equal(rule_regex_match_budget(evil, rs, &b, slow,
	    strlen(slow)), 0);
	assert_int_equal(b.share, RULE_MATCH_LIMIT);

	/* A thousand values share the budget: each gets a thousandth. */
	rule_regex_budget_init(&b);
	rule_regex_budget_share(&b, 1000);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(rule_regex_match_budget(evil, rs, &b, slow,
		    strlen(slow)), RULE_REGEX_LIMIT);
		assert_int_equal(b.share, RULE_REGEX_BUDGET / 1000);
		granted += b.share;
	}
	assert_int_equal(b.matches, 1000);
	assert_true(granted <= RULE_REGEX_BUDGET);
	assert_int_equal(b.left, RULE_REGEX_BUDGET - granted);

	/* The same share is plenty for a sane pattern. */
	rule_regex_budget_init(&b);
	rule_regex_budget_share(&b, 1000);
	for (i = 0; i < 1000; i++)
		assert_int_equal(rule_regex_match_budget(fine, rs, &b, slow,
		    strlen(slow)), 1);

	/* Values nobody announced take full limits until the budget is
	 * spent; then PCRE2 is not called at all. */
	rule_regex_budget_init(&b);
	granted = 0;
	for (i = 0; i < 100; i++) {
		(void)rule_regex_match_budget(fine, rs, &b, slow,
		    strlen(slow));
		granted += b.share;
	}
	assert_int_equal(b.matches, RULE_REGEX_BUDGET / RULE_MATCH_LIMIT);
	assert_int_equal(granted, RULE_REGEX_BUDGET);
	assert_int_equal(rule_regex_match_budget(fine, rs, &b, slow,
	    strlen(slow)), RULE_REGEX_LIMIT);
	assert_int_equal(b.share, 0);

	/* Very many values: each gets the least share, and the number of
	 * calls is bounded too. */
	rule_regex_budget_init(&b);
	rule_regex_budget_share(&b, 1000000);
	for (i = 0; i < 20000; i++)
		(void)rule_regex_match_budget(fine, rs, &b, slow,
		    strlen(slow));
	assert_int_equal(b.matches, RULE_REGEX_BUDGET / RULE_REGEX_SHARE_MIN);
	assert_int_equal(b.left, 0);

	rule_regex_scratch_free(rs);
	rule_regex_free(evil);
	rule_regex_free(fine);
}

static void
test_budget_shared(void **state)
{
	(void)state;
	budget_shared(0);
	budget_shared(RULE_REGEX_NO_JIT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

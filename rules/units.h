/* SPDX-License-Identifier: ISC */
/*
 * units.h - internal: the sizes, durations and comparisons of rule files.
 *
 * Sizes are digits with an optional K, M or G (powers of 1024, either
 * case): "5M".  Durations are digits and a unit s, m, h, d or w: "7d",
 * "12h".  A comparison is an operator (<, <=, >, >=, =) and a size or a
 * duration, blanks allowed between: "> 5M", "<=30d".  Values are capped
 * well below overflow (RULE_UNIT_MAX).  Parsers return 0, or -1 with a
 * static reason in *why.
 */
#ifndef RULES_UNITS_H
#define RULES_UNITS_H

#include <stddef.h>

#define RULE_UNIT_MAX	(1LL << 50)

enum rule_cmp_op {
	RULE_CMP_LT,
	RULE_CMP_LE,
	RULE_CMP_GT,
	RULE_CMP_GE,
	RULE_CMP_EQ
};

struct rule_cmp {
	enum rule_cmp_op	 op;
	long long		 value;
};

int	rule_size_parse(const char *s, size_t len, long long *out,
	    const char **why);
int	rule_duration_parse(const char *s, size_t len, long long *out,
	    const char **why);
/* duration: 1 for a duration, 0 for a size. */
int	rule_cmp_parse(const char *s, size_t len, int duration,
	    struct rule_cmp *out, const char **why);
/* 1 if v satisfies the comparison. */
int	rule_cmp_test(const struct rule_cmp *, long long v);
/* What the comparison says of a value known to be in [0, max]: 1, 0, or
 * -1 if that is not enough to tell. */
int	rule_cmp_bound(const struct rule_cmp *, long long max);

#endif

/* SPDX-License-Identifier: ISC */
/* units.c - sizes, durations and comparisons; see units.h. */
#include <stddef.h>

#include "rules/units.h"

/* Digits of s[0..len) up to the first non-digit; *used is how many. */
static int
parse_digits(const char *s, size_t len, long long *out, size_t *used,
    const char **why)
{
	long long	 v = 0;
	size_t		 i;

	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (s[i] - '0');
		if (v > RULE_UNIT_MAX) {
			*why = "number too large";
			return -1;
		}
	}
	if (i == 0) {
		*why = "a number is expected";
		return -1;
	}
	*out = v;
	*used = i;
	return 0;
}

static int
scale(long long v, long long unit, long long *out, const char **why)
{
	if (v > RULE_UNIT_MAX / unit) {
		*why = "number too large";
		return -1;
	}
	*out = v * unit;
	return 0;
}

int
rule_size_parse(const char *s, size_t len, long long *out, const char **why)
{
	long long	 v, unit = 1;
	size_t		 n;

	if (parse_digits(s, len, &v, &n, why) == -1)
		return -1;
	if (n + 1 == len) {
		switch (s[n]) {
		case 'k':
		case 'K':
			unit = 1024;
			break;
		case 'm':
		case 'M':
			unit = 1024 * 1024;
			break;
		case 'g':
		case 'G':
			unit = 1024 * 1024 * 1024;
			break;
		default:
			*why = "size unit must be K, M or G";
			return -1;
		}
	} else if (n != len) {
		*why = "a size is digits and an optional K, M or G (\"5M\")";
		return -1;
	}
	return scale(v, unit, out, why);
}

int
rule_duration_parse(const char *s, size_t len, long long *out,
    const char **why)
{
	long long	 v, unit;
	size_t		 n;

	if (parse_digits(s, len, &v, &n, why) == -1)
		return -1;
	if (n + 1 != len) {
		*why = "a duration is digits and a unit s, m, h, d or w "
		    "(\"7d\")";
		return -1;
	}
	switch (s[n]) {
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	case 'w':
		unit = 7 * 86400;
		break;
	default:
		*why = "duration unit must be s, m, h, d or w";
		return -1;
	}
	return scale(v, unit, out, why);
}

static size_t
skip_blanks(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

int
rule_cmp_parse(const char *s, size_t len, int duration, struct rule_cmp *out,
    const char **why)
{
	size_t	 i = skip_blanks(s, len, 0), end = len;

	if (i < len && (s[i] == '<' || s[i] == '>')) {
		if (i + 1 < len && s[i + 1] == '=')
			out->op = s[i] == '<' ? RULE_CMP_LE : RULE_CMP_GE;
		else
			out->op = s[i] == '<' ? RULE_CMP_LT : RULE_CMP_GT;
		i += out->op == RULE_CMP_LE || out->op == RULE_CMP_GE ? 2 : 1;
	} else if (i < len && s[i] == '=') {
		out->op = RULE_CMP_EQ;
		i++;
	} else {
		*why = duration ? "a comparison such as '> 30d' is expected" :
		    "a comparison such as '> 5M' is expected";
		return -1;
	}
	i = skip_blanks(s, len, i);
	while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	if (duration)
		return rule_duration_parse(s + i, end - i, &out->value, why);
	return rule_size_parse(s + i, end - i, &out->value, why);
}

int
rule_cmp_test(const struct rule_cmp *c, long long v)
{
	switch (c->op) {
	case RULE_CMP_LT:
		return v < c->value;
	case RULE_CMP_LE:
		return v <= c->value;
	case RULE_CMP_GT:
		return v > c->value;
	case RULE_CMP_GE:
		return v >= c->value;
	case RULE_CMP_EQ:
		return v == c->value;
	}
	return 0;
}

int
rule_cmp_bound(const struct rule_cmp *c, long long max)
{
	switch (c->op) {
	case RULE_CMP_LT:
		return max < c->value ? 1 : -1;
	case RULE_CMP_LE:
		return max <= c->value ? 1 : -1;
	case RULE_CMP_GT:
		return max <= c->value ? 0 : -1;
	case RULE_CMP_GE:
	case RULE_CMP_EQ:
		return max < c->value ? 0 : -1;
	}
	return -1;
}

/* SPDX-License-Identifier: ISC */
/*
 * regex.h - internal: PCRE2 for rules, compiled once, matched safely.
 *
 * Patterns are compiled in UTF mode, \C refused.  Subjects MUST be
 * valid UTF-8: they are not checked again on every match (the callers
 * make them so once, see utf8.h).  JIT is used when the library has it;
 * when JIT compilation fails the pattern runs in the interpreter, with
 * the same results.
 *
 * A compiled regex is immutable and may be shared.  Matching needs a
 * scratch (match data and match context with the limits of rules.h),
 * which belongs to one evaluation.  A match that hits a limit returns
 * RULE_REGEX_LIMIT: no match, and the caller reports it.
 *
 * The per-match limits alone would let a message multiply the work: a
 * regex run on each of a thousand Received fields could take a thousand
 * full limits.  So a regex also has a budget on each message
 * (rule_regex_budget): RULE_REGEX_BUDGET PCRE2 match steps over all the
 * values it is matched against.  Before matching n values the caller
 * shares what is left between them, evenly (at least
 * RULE_REGEX_SHARE_MIN each, at most RULE_MATCH_LIMIT); each match runs
 * with its share as the match limit and is charged all of it, since
 * PCRE2 does not say what it used: the budget is a true bound.  A match
 * whose share runs out, or that finds the budget spent, returns
 * RULE_REGEX_LIMIT like any other limit.
 */
#ifndef RULES_REGEX_H
#define RULES_REGEX_H

#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"

#define RULE_REGEX_MULTILINE	0x01	/* ^ and $ at line breaks */
#define RULE_REGEX_NO_JIT	0x02

#define RULE_REGEX_LIMIT	2	/* rule_regex_match(): limit hit */

/* Match steps one regex may take on one message, over all its values. */
#define RULE_REGEX_BUDGET	(10 * (uint64_t)RULE_MATCH_LIMIT)
/* The least share of a value while the budget lasts. */
#define RULE_REGEX_SHARE_MIN	1000

struct rule_regex;
struct rule_regex_scratch;

/* Compile pat[0..len).  NULL on error: the message in err, the offset in
 * the pattern where it was found in *erroff. */
struct rule_regex *rule_regex_compile(const char *pat, size_t len,
		    unsigned opts, size_t *erroff, char *err, size_t errlen);
void		 rule_regex_free(struct rule_regex *);
const char	*rule_regex_pattern(const struct rule_regex *);
int		 rule_regex_jit(const struct rule_regex *);
/* A number the loader gives each regex of a set, 0 to N-1. */
void		 rule_regex_set_id(struct rule_regex *, size_t);
size_t		 rule_regex_id(const struct rule_regex *);
/* Capture groups (not counting group 0). */
unsigned	 rule_regex_group_count(const struct rule_regex *);
/* Named groups: count, and the i-th name with its group number. */
size_t		 rule_regex_name_count(const struct rule_regex *);
const char	*rule_regex_name(const struct rule_regex *, size_t i,
		    unsigned *group);

/* A scratch for regexes of at most groups capture groups.  NULL on
 * ENOMEM. */
struct rule_regex_scratch *rule_regex_scratch_new(unsigned groups);
void		 rule_regex_scratch_free(struct rule_regex_scratch *);

/* 1 on a match, 0 on none, RULE_REGEX_LIMIT when a limit was hit (or
 * PCRE2 gave up otherwise), -1 on ENOMEM. */
int		 rule_regex_match(const struct rule_regex *,
		    struct rule_regex_scratch *, const char *s, size_t len);

/* One regex's work on one message; see above. */
struct rule_regex_budget {
	uint64_t	 left;		/* steps not given out yet */
	size_t		 values;	/* values announced, not matched yet */
	uint32_t	 share;		/* the limit of the last match */
	uint64_t	 matches;	/* PCRE2 calls made */
};

void		 rule_regex_budget_init(struct rule_regex_budget *);
/* n values are about to be matched: split what is left between them. */
void		 rule_regex_budget_share(struct rule_regex_budget *,
		    size_t n);
/* rule_regex_match() with the next share of b as its match limit;
 * RULE_REGEX_LIMIT without calling PCRE2 when b is spent. */
int		 rule_regex_match_budget(const struct rule_regex *,
		    struct rule_regex_scratch *, struct rule_regex_budget *,
		    const char *s, size_t len);
/* After a match: the span of group g; 0, or -1 if the group is unset. */
int		 rule_regex_group(const struct rule_regex_scratch *,
		    unsigned g, size_t *off, size_t *len);

#endif

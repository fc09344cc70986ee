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
 */
#ifndef RULES_REGEX_H
#define RULES_REGEX_H

#include <stddef.h>

#define RULE_REGEX_MULTILINE	0x01	/* ^ and $ at line breaks */
#define RULE_REGEX_NO_JIT	0x02

#define RULE_REGEX_LIMIT	2	/* rule_regex_match(): limit hit */

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
/* After a match: the span of group g; 0, or -1 if the group is unset. */
int		 rule_regex_group(const struct rule_regex_scratch *,
		    unsigned g, size_t *off, size_t *len);

#endif

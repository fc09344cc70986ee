/* SPDX-License-Identifier: ISC */
/*
 * eval.h - internal: the state of one evaluation of a rule set on one
 * message, shared by the evaluator (eval.c), the conditions and the
 * actions.
 *
 * Captures: every successful regex match appends its named groups to a
 * log; a condition that turns out false truncates the log back to where
 * it was when the condition started, so the captures left when a rule
 * matches are exactly those of the conditions that made it true (the
 * later one wins when two set the same name).
 */
#ifndef RULES_EVAL_H
#define RULES_EVAL_H

#include <stddef.h>

#include "rules/arena.h"
#include "rules/rules.h"
#include "rules/view.h"

struct act;
struct cond;
struct cond_regex;
struct rule;
struct rule_regex;
struct rule_regex_budget;
struct rule_regex_scratch;
struct rule_template;

struct capent {
	size_t		 slot;
	const char	*p;
	size_t		 len;
};

/* What the last regex condition matched, for the explain callback. */
struct eval_hit {
	int			 set;
	const char		*where;
	const char		*text;
	size_t			 textlen, off, len;
	struct rule_capture	*caps;
	size_t			 ncaps;
};

struct rule_eval {
	const struct rule_set	*set;
	const struct rule_input	*in;
	struct rule_arena	 arena;
	struct rule_view	 view;
	struct rule_regex_scratch *rs;
	struct capent		*log;
	size_t			 nlog, caplog;
	struct rule_span	*caps;		/* resolved, per slot */
	size_t			 ncaps;
	const struct rule	*rule;		/* NULL for default: */
	size_t			 rule_index;
	unsigned		 depth;
	size_t			 limits;	/* regex limit hits */
	unsigned char		*tripped;	/* per regex: hit a limit */
	struct rule_regex_budget *budget;	/* per regex: work left */
	rule_explain_fn		 explain;
	void			*explain_arg;
	struct eval_hit		 hit;
	struct rule_plan	*plan;
};

/* Match a condition's regex against s[0..len), the value called where
 * ("From", "body" ...).  On a match its named groups are logged as
 * captures and, when explaining, the hit is recorded.  A regex that hits
 * a PCRE2 limit (or its share of its budget) is warned about and not run
 * again on this message: one hostile message costs each regex at most
 * RULE_REGEX_BUDGET steps.  1, 0, or -1 on ENOMEM. */
int	eval_regex(struct rule_eval *, const struct cond *,
	    const struct cond_regex *, const char *where, const char *s,
	    size_t len);
/* Before matching a regex against n values (every occurrence of a
 * header field, every address, every part), so that they share its
 * budget on this message (regex.h) instead of each taking a full
 * limit. */
void	eval_regex_values(struct rule_eval *, const struct rule_regex *,
	    size_t n);
/* A regex used as a filter (save-attachments): no captures. */
int	eval_filter(struct rule_eval *, const struct rule_regex *,
	    const char *s, size_t len);
/* Add a warning to the plan; 0, or -1 on ENOMEM. */
int	eval_warn(struct rule_eval *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The rule name for messages ("default" for default:). */
const char *eval_rule_name(const struct rule_eval *);

#endif

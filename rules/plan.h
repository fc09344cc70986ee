/* SPDX-License-Identifier: ISC */
/*
 * plan.h - internal: building a plan (plan.c) from the actions of the
 * rules that matched (act-*.c).
 *
 * A plan owns everything it hands out: strings are copied into its
 * arena, so it outlives the evaluation (but save-attachments parts
 * point into the message).
 */
#ifndef RULES_PLAN_H
#define RULES_PLAN_H

#include <stddef.h>

#include "rules/rules.h"

struct act;
struct rule_eval;
struct rule_template;

struct rule_action {
	enum rule_action_type	 type;
	const char		*rule;
	const char		*identity;
	const char		*target, *value;
	const char		*from, *subject, *body, *smtp;
	const char		**argv;
	size_t			 argc;
	const char		**env;		/* pipe */
	size_t			 nenv;
	long long		 every, timeout;
	int			 filter, dedupe;
	const struct mime_part	**parts;
	size_t			 nparts;
};

struct rule_plan *plan_new(size_t nrules);
/* Append an action of a's type for the evaluation's current rule; NULL
 * on ENOMEM.  The entry is valid until the next plan_add(). */
struct rule_action *plan_add(struct rule_eval *, const struct act *a);
/* Expand t (NULL gives NULL) into a string owned by the plan; 0, or -1
 * on ENOMEM. */
int	 plan_expand(struct rule_eval *, const struct rule_template *t,
	    const char **out);
char	*plan_strdup(struct rule_plan *, const char *, size_t);
void	*plan_alloc(struct rule_plan *, size_t);
/* Add a warning (the first PLAN_WARNINGS_MAX); 0, or -1 on ENOMEM. */
int	 plan_warn(struct rule_plan *, const char *msg);
void	 plan_set_verdict(struct rule_plan *, size_t rule,
	    enum rule_verdict);
void	 plan_set_default(struct rule_plan *);

#endif

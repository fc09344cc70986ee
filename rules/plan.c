/* SPDX-License-Identifier: ISC */
/*
 * plan.c - the action plan: what the daemon is to do with one message,
 * every string expanded and owned by the plan.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mime/buf.h"
#include "rules/action.h"
#include "rules/arena.h"
#include "rules/eval.h"
#include "rules/plan.h"
#include "rules/template.h"

/* A message that hits limits everywhere should not make a log flood. */
#define PLAN_WARNINGS_MAX	32

struct rule_plan {
	struct rule_arena	 arena;
	struct rule_action	*v;
	size_t			 n, cap;
	int			 default_applied, filed;
	enum rule_verdict	*verdicts;
	size_t			 nrules;
	const char		**warnings;
	size_t			 nwarnings;
};

struct rule_plan *
plan_new(size_t nrules)
{
	struct rule_plan	*p;
	size_t			 i;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	rule_arena_init(&p->arena);
	p->nrules = nrules;
	if (nrules > 0 && (p->verdicts = rule_arena_alloc(&p->arena,
	    nrules * sizeof(*p->verdicts))) == NULL) {
		rule_plan_free(p);
		return NULL;
	}
	for (i = 0; i < nrules; i++)
		p->verdicts[i] = RULE_VERDICT_NOT_REACHED;
	return p;
}

void
rule_plan_free(struct rule_plan *p)
{
	if (p == NULL)
		return;
	free(p->v);
	free(p->warnings);
	rule_arena_free(&p->arena);
	free(p);
}

void *
plan_alloc(struct rule_plan *p, size_t len)
{
	return rule_arena_alloc(&p->arena, len);
}

char *
plan_strdup(struct rule_plan *p, const char *s, size_t len)
{
	return rule_arena_strndup(&p->arena, s, len);
}

int
plan_warn(struct rule_plan *p, const char *msg)
{
	const char	**nv;
	const char	*s;

	if (p->nwarnings > PLAN_WARNINGS_MAX)
		return 0;
	if (p->nwarnings == PLAN_WARNINGS_MAX)
		msg = "more warnings left out";
	if ((s = plan_strdup(p, msg, strlen(msg))) == NULL ||
	    (nv = reallocarray(p->warnings, p->nwarnings + 1,
	    sizeof(*nv))) == NULL)
		return -1;
	p->warnings = nv;
	p->warnings[p->nwarnings++] = s;
	return 0;
}

void
plan_set_verdict(struct rule_plan *p, size_t rule, enum rule_verdict v)
{
	if (rule < p->nrules)
		p->verdicts[rule] = v;
}

void
plan_set_default(struct rule_plan *p)
{
	p->default_applied = 1;
}

struct rule_action *
plan_add(struct rule_eval *ev, const struct act *a)
{
	struct rule_plan	*p = ev->plan;
	struct rule_action	*nv, *ra;
	size_t			 cap;

	if (p->n == p->cap) {
		cap = p->cap == 0 ? 8 : p->cap * 2;
		if ((nv = reallocarray(p->v, cap, sizeof(*nv))) == NULL)
			return NULL;
		p->v = nv;
		p->cap = cap;
	}
	ra = &p->v[p->n];
	memset(ra, 0, sizeof(*ra));
	ra->type = a->type->type;
	if ((ra->rule = plan_strdup(p, eval_rule_name(ev),
	    strlen(eval_rule_name(ev)))) == NULL ||
	    (ra->identity = plan_strdup(p, a->identity,
	    strlen(a->identity))) == NULL)
		return NULL;
	if (a->type->files)
		p->filed = 1;
	p->n++;
	return ra;
}

int
plan_expand(struct rule_eval *ev, const struct rule_template *t,
    const char **out)
{
	struct rule_tpl_env	 env = { &ev->view, ev->caps, ev->ncaps };
	struct mime_buf		 b;
	int			 rv = -1;

	*out = NULL;
	if (t == NULL)
		return 0;
	mime_buf_init(&b);
	if (rule_template_expand(t, &env, &b) == 0 &&
	    (*out = plan_strdup(ev->plan, b.data, b.len)) != NULL)
		rv = 0;
	mime_buf_free(&b);
	return rv;
}

size_t
rule_plan_count(const struct rule_plan *p)
{
	return p->n;
}

const struct rule_action *
rule_plan_action(const struct rule_plan *p, size_t i)
{
	return i < p->n ? &p->v[i] : NULL;
}

int
rule_plan_default_applied(const struct rule_plan *p)
{
	return p->default_applied;
}

int
rule_plan_filed(const struct rule_plan *p)
{
	return p->filed;
}

enum rule_verdict
rule_plan_verdict(const struct rule_plan *p, size_t rule)
{
	return rule < p->nrules ? p->verdicts[rule] :
	    RULE_VERDICT_NOT_REACHED;
}

size_t
rule_plan_warning_count(const struct rule_plan *p)
{
	return p->nwarnings;
}

const char *
rule_plan_warning(const struct rule_plan *p, size_t i)
{
	return i < p->nwarnings ? p->warnings[i] : NULL;
}

enum rule_action_type
rule_action_type(const struct rule_action *a)
{
	return a->type;
}

const char *
rule_action_rule(const struct rule_action *a)
{
	return a->rule;
}

const char *
rule_action_identity(const struct rule_action *a)
{
	return a->identity;
}

const char *
rule_action_target(const struct rule_action *a)
{
	return a->target;
}

const char *
rule_action_value(const struct rule_action *a)
{
	return a->value;
}

const char *
rule_action_from(const struct rule_action *a)
{
	return a->from;
}

const char *
rule_action_subject(const struct rule_action *a)
{
	return a->subject;
}

const char *
rule_action_body(const struct rule_action *a)
{
	return a->body;
}

const char *
rule_action_smtp(const struct rule_action *a)
{
	return a->smtp;
}

long long
rule_action_every(const struct rule_action *a)
{
	return a->every;
}

size_t
rule_action_argc(const struct rule_action *a)
{
	return a->argc;
}

const char *
rule_action_arg(const struct rule_action *a, size_t i)
{
	return i < a->argc ? a->argv[i] : NULL;
}

size_t
rule_action_env_count(const struct rule_action *a)
{
	return a->nenv;
}

const char *
rule_action_env(const struct rule_action *a, size_t i)
{
	return i < a->nenv ? a->env[i] : NULL;
}

int
rule_action_filter(const struct rule_action *a)
{
	return a->filter;
}

long long
rule_action_timeout(const struct rule_action *a)
{
	return a->timeout;
}

int
rule_action_dedupe(const struct rule_action *a)
{
	return a->dedupe;
}

size_t
rule_action_part_count(const struct rule_action *a)
{
	return a->nparts;
}

const struct mime_part *
rule_action_part(const struct rule_action *a, size_t i)
{
	return i < a->nparts ? a->parts[i] : NULL;
}

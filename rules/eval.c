/* SPDX-License-Identifier: ISC */
/*
 * eval.c - running a rule set on a message: rules in order, the actions
 * of every rule that matches added to the plan, stop: ending the run,
 * default: when nothing filed the message.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/action.h"
#include "rules/arena.h"
#include "rules/cond.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/plan.h"
#include "rules/regex.h"
#include "rules/rules.h"
#include "rules/view.h"

const char *
eval_rule_name(const struct rule_eval *ev)
{
	return ev->rule != NULL ? ev->rule->name : "default";
}

int
eval_warn(struct rule_eval *ev, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return plan_warn(ev->plan, msg);
}

static int
log_add(struct rule_eval *ev, size_t slot, const char *p, size_t len)
{
	struct capent	*nv;
	size_t		 cap;

	if (ev->nlog == ev->caplog) {
		cap = ev->caplog == 0 ? 16 : ev->caplog * 2;
		if ((nv = reallocarray(ev->log, cap, sizeof(*nv))) == NULL)
			return -1;
		ev->log = nv;
		ev->caplog = cap;
	}
	ev->log[ev->nlog].slot = slot;
	ev->log[ev->nlog].p = p;
	ev->log[ev->nlog++].len = len;
	return 0;
}

/* The named groups of this match, for the explain callback. */
static int
hit_record(struct rule_eval *ev, const struct cond_regex *crx,
    const char *where, const char *s, size_t len)
{
	size_t		 n = rule_regex_name_count(crx->re), i, off, glen;
	unsigned	 group;
	const char	*name;

	ev->hit.set = 1;
	ev->hit.where = where;
	ev->hit.text = s;
	ev->hit.textlen = len;
	ev->hit.ncaps = 0;
	if (rule_regex_group(ev->rs, 0, &ev->hit.off, &ev->hit.len) == -1)
		ev->hit.off = ev->hit.len = 0;
	if (n == 0)
		return 0;
	if ((ev->hit.caps = rule_arena_alloc(&ev->arena,
	    n * sizeof(*ev->hit.caps))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		name = rule_regex_name(crx->re, i, &group);
		if (rule_regex_group(ev->rs, group, &off, &glen) == -1)
			continue;
		ev->hit.caps[ev->hit.ncaps].name = name;
		ev->hit.caps[ev->hit.ncaps].value = s + off;
		ev->hit.caps[ev->hit.ncaps++].len = glen;
	}
	return 0;
}

/* A regex that hit a limit once on this message would only hit it
 * again on the next value: it is not run again. */
static int
trip(struct rule_eval *ev, const struct rule_regex *re)
{
	ev->limits++;
	ev->tripped[rule_regex_id(re)] = 1;
	return 0;
}

static int
limit_warn(struct rule_eval *ev, const struct cond *c,
    const struct rule_regex *re, const char *where)
{
	uint32_t	 share = ev->budget[rule_regex_id(re)].share;

	trip(ev, re);
	if (share >= RULE_MATCH_LIMIT)
		return eval_warn(ev, "%s:%d:%d: rule '%s': regex hit a PCRE2 "
		    "limit on %s; counted as no match", ev->set->name,
		    c->line, c->col, eval_rule_name(ev), where);
	return eval_warn(ev, "%s:%d:%d: rule '%s': regex hit a PCRE2 limit "
	    "on %s (%" PRIu32 " steps, its share of the %" PRIu64 " one regex "
	    "may take on a message); counted as no match", ev->set->name,
	    c->line, c->col, eval_rule_name(ev), where, share,
	    (uint64_t)RULE_REGEX_BUDGET);
}

void
eval_regex_values(struct rule_eval *ev, const struct rule_regex *re,
    size_t n)
{
	if (re != NULL)
		rule_regex_budget_share(&ev->budget[rule_regex_id(re)], n);
}

int
eval_regex(struct rule_eval *ev, const struct cond *c,
    const struct cond_regex *crx, const char *where, const char *s,
    size_t len)
{
	size_t		 n, i, off, glen;
	unsigned	 group;
	int		 r;

	if (ev->tripped[rule_regex_id(crx->re)]) {
		ev->limits++;	/* so that explain shows why */
		return 0;
	}
	r = rule_regex_match_budget(crx->re, ev->rs,
	    &ev->budget[rule_regex_id(crx->re)], s, len);
	if (r == -1)
		return -1;
	if (r == RULE_REGEX_LIMIT)
		return limit_warn(ev, c, crx->re, where) == -1 ? -1 : 0;
	if (r == 0)
		return 0;
	n = rule_regex_name_count(crx->re);
	for (i = 0; i < n && crx->slots != NULL; i++) {
		(void)rule_regex_name(crx->re, i, &group);
		if (rule_regex_group(ev->rs, group, &off, &glen) == 0 &&
		    log_add(ev, crx->slots[i], s + off, glen) == -1)
			return -1;
	}
	if (ev->explain != NULL && hit_record(ev, crx, where, s, len) == -1)
		return -1;
	return 1;
}

int
eval_filter(struct rule_eval *ev, const struct rule_regex *re,
    const char *s, size_t len)
{
	int	 r;

	if (ev->tripped[rule_regex_id(re)])
		return 0;
	if ((r = rule_regex_match_budget(re, ev->rs,
	    &ev->budget[rule_regex_id(re)], s, len)) != RULE_REGEX_LIMIT)
		return r;
	trip(ev, re);
	if (eval_warn(ev, "%s: rule '%s': save-attachments filter '%s' hit a "
	    "PCRE2 limit; part not selected", ev->set->name,
	    eval_rule_name(ev), rule_regex_pattern(re)) == -1)
		return -1;
	return 0;
}

/* The captures of the rule that matched: the last value of each. */
static void
captures_resolve(struct rule_eval *ev)
{
	size_t	 i;

	for (i = 0; i < ev->ncaps; i++) {
		ev->caps[i].p = NULL;
		ev->caps[i].len = 0;
	}
	for (i = 0; i < ev->nlog; i++) {
		if (ev->log[i].slot >= ev->ncaps)
			continue;
		ev->caps[ev->log[i].slot].p = ev->log[i].p;
		ev->caps[ev->log[i].slot].len = ev->log[i].len;
	}
}

static void
explain_rule(struct rule_eval *ev, int matched, int stopped)
{
	struct rule_explain	 e;

	memset(&e, 0, sizeof(e));
	e.kind = RULE_EXPLAIN_RULE;
	e.rule = ev->rule_index;
	e.rule_name = ev->rule->name;
	e.cond = ev->rule->name;
	e.line = ev->rule->line;
	e.col = ev->rule->col;
	e.result = matched;
	e.stopped = stopped;
	ev->explain(ev->explain_arg, &e);
}

static int
actions_plan(struct rule_eval *ev, struct act *const *acts, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (acts[i]->type->plan(ev, acts[i]) == -1)
			return -1;
	return 0;
}

/* 1 if the rule stopped the run, 0 to go on, -1 on ENOMEM. */
static int
rule_run(struct rule_eval *ev, size_t i)
{
	const struct rule	*r = &ev->set->rules[i];
	int			 m;

	ev->rule = r;
	ev->rule_index = i;
	ev->nlog = 0;
	m = r->when != NULL ? cond_eval(ev, r->when) : 1;
	if (m == -1)
		return -1;
	plan_set_verdict(ev->plan, i, m ? RULE_VERDICT_MATCH :
	    RULE_VERDICT_NO_MATCH);
	if (ev->explain != NULL)
		explain_rule(ev, m, m && r->stop);
	if (!m)
		return 0;
	captures_resolve(ev);
	if (actions_plan(ev, r->acts, r->nacts) == -1)
		return -1;
	return r->stop;
}

static int
eval_init(struct rule_eval *ev, const struct rule_set *set,
    const struct rule_input *in)
{
	size_t	 i;

	memset(ev, 0, sizeof(*ev));
	ev->set = set;
	ev->in = in;
	rule_arena_init(&ev->arena);
	if (rule_view_init(&ev->view, in, set->nheaders, &ev->arena) == -1 ||
	    (ev->rs = rule_regex_scratch_new(set->max_groups)) == NULL ||
	    (ev->plan = plan_new(set->nrules)) == NULL)
		return -1;
	ev->ncaps = set->max_cap;
	if (ev->ncaps > 0 && (ev->caps = rule_arena_alloc(&ev->arena,
	    ev->ncaps * sizeof(*ev->caps))) == NULL)
		return -1;
	if ((ev->tripped = rule_arena_alloc(&ev->arena, set->nregex + 1)) ==
	    NULL)
		return -1;
	memset(ev->tripped, 0, set->nregex + 1);
	if ((ev->budget = rule_arena_alloc(&ev->arena, (set->nregex + 1) *
	    sizeof(*ev->budget))) == NULL)
		return -1;
	for (i = 0; i <= set->nregex; i++)
		rule_regex_budget_init(&ev->budget[i]);
	return 0;
}

static void
eval_clear(struct rule_eval *ev)
{
	rule_view_free(&ev->view);
	rule_regex_scratch_free(ev->rs);
	free(ev->log);
	rule_arena_free(&ev->arena);
}

struct rule_plan *
rule_set_eval(const struct rule_set *set, const struct rule_input *in,
    rule_explain_fn explain, void *arg)
{
	struct rule_eval	 ev;
	struct rule_plan	*plan;
	size_t			 i;
	int			 r = 0;

	if (eval_init(&ev, set, in) == -1)
		goto fail;
	ev.explain = explain;
	ev.explain_arg = arg;
	for (i = 0; i < set->nrules && r == 0; i++)
		if ((r = rule_run(&ev, i)) == -1)
			goto fail;
	for (; i < set->nrules; i++)
		plan_set_verdict(ev.plan, i, RULE_VERDICT_NOT_REACHED);
	if (!rule_plan_filed(ev.plan) && set->has_default) {
		ev.rule = NULL;
		ev.nlog = 0;
		captures_resolve(&ev);
		plan_set_default(ev.plan);
		if (actions_plan(&ev, set->defaults, set->ndefaults) == -1)
			goto fail;
	}
	plan = ev.plan;
	eval_clear(&ev);
	return plan;
fail:
	rule_plan_free(ev.plan);
	eval_clear(&ev);
	return NULL;
}

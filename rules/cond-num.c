/* SPDX-License-Identifier: ISC */
/*
 * cond-num.c - comparisons: size (of the raw message, as the caller
 * gave it: '> 5M') and age (now minus the arrival time when the caller
 * knows it, else minus the Date header; a message without a valid Date
 * is 0 seconds old: '> 30d').
 */
#include <stddef.h>
#include <time.h>

#include "rules/cond.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/units.h"
#include "rules/view.h"

static int
cmp_parse(struct rule_load *ld, yaml_node_t *value, struct cond *c,
    int duration)
{
	const char	*s, *why;
	size_t		 len;

	if (load_scalar(ld, value, duration ? "an age comparison such as "
	    "'> 30d'" : "a size comparison such as '> 5M'", &s, &len) == -1)
		return -1;
	if (rule_cmp_parse(s, len, duration, &c->cmp, &why) == -1)
		return load_error(ld, value, "%s", why);
	c->has_cmp = 1;
	return cond_describe(ld, c, "%s %.*s", c->type->name, (int)len, s);
}

static int
size_parse(struct rule_load *ld, yaml_node_t *value, struct cond *c)
{
	return cmp_parse(ld, value, c, 0);
}

static int
age_parse(struct rule_load *ld, yaml_node_t *value, struct cond *c)
{
	return cmp_parse(ld, value, c, 1);
}

static int
size_eval(struct rule_eval *ev, const struct cond *c)
{
	return rule_cmp_test(&c->cmp, (long long)ev->in->size);
}

static int
age_eval(struct rule_eval *ev, const struct cond *c)
{
	time_t	 t;
	long	 off;
	int	 valid;

	if (ev->in->arrival != 0)
		t = ev->in->arrival;
	else
		rule_view_date(&ev->view, &t, &off, &valid);
	return rule_cmp_test(&c->cmp, (long long)(ev->in->now - t));
}

const struct cond_type cond_size = { "size", 0, size_parse, size_eval };
const struct cond_type cond_age = { "age", 0, age_parse, age_eval };

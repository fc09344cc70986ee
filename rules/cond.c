/* SPDX-License-Identifier: ISC */
/*
 * cond.c - the condition tree: compiling a node into the right
 * cond_type, the combinators all, any and not, and evaluation with
 * capture roll-back and --explain events.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/cond.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/regex.h"

static const struct cond_type *const cond_types[] = {
	&cond_all, &cond_any, &cond_not,
	&cond_header, &cond_from, &cond_to, &cond_cc, &cond_recipient,
	&cond_sender, &cond_subject, &cond_body, &cond_attachment,
	&cond_size, &cond_age, &cond_account, &cond_folder, &cond_defect,
	&cond_label,
};

#define COND_NAMES	"all, any, not, header, from, to, cc, recipient, " \
			"sender, subject, body, attachment, size, age, " \
			"account, folder, defect, label"

static struct cond *
cond_new(const struct cond_type *t, const yaml_node_t *at)
{
	struct cond	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->type = t;
	c->line = (int)at->start_mark.line + 1;
	c->col = (int)at->start_mark.column + 1;
	c->defect = -1;
	return c;
}

void
cond_free(struct cond *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nkids; i++)
		cond_free(c->kids[i]);
	free(c->kids);
	cond_regex_free(&c->rx);
	cond_regex_free(&c->rx2);
	free(c->name);
	free(c->desc);
	free(c);
}

int
cond_describe(struct rule_load *ld, struct cond *c, const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[1024];

	/* Long patterns are cut: the description is for reading. */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(c->desc);
	if ((c->desc = strdup(buf)) == NULL)
		return load_error(ld, NULL, "out of memory");
	return 0;
}

static int
kids_add(struct rule_load *ld, struct cond *parent, struct cond *kid)
{
	struct cond	**nv;

	if (kid == NULL)
		return -1;
	if ((nv = reallocarray(parent->kids, parent->nkids + 1,
	    sizeof(*nv))) == NULL) {
		cond_free(kid);
		return load_error(ld, NULL, "out of memory");
	}
	parent->kids = nv;
	parent->kids[parent->nkids++] = kid;
	return 0;
}

/* One "kind: value" pair. */
static struct cond *
cond_parse_pair(struct rule_load *ld, const char *key, yaml_node_t *keynode,
    yaml_node_t *value)
{
	struct cond	*c;
	size_t		 i;

	for (i = 0; i < sizeof(cond_types) / sizeof(cond_types[0]); i++)
		if (strcmp(cond_types[i]->name, key) == 0)
			break;
	if (i == sizeof(cond_types) / sizeof(cond_types[0])) {
		load_error(ld, keynode, "unknown condition '%s' (conditions: "
		    COND_NAMES ")", key);
		return NULL;
	}
	if ((c = cond_new(cond_types[i], keynode)) == NULL) {
		load_error(ld, keynode, "out of memory");
		return NULL;
	}
	if (c->type->parse(ld, value, c) == -1) {
		cond_free(c);
		return NULL;
	}
	return c;
}

/* The kids of an implicit all: mapping pairs or sequence items. */
static int
implicit_all(struct rule_load *ld, yaml_node_t *node, struct cond *all)
{
	yaml_node_t	*k, *v;
	const char	*key;
	size_t		 i;

	if (node->type == YAML_MAPPING_NODE) {
		for (i = 0; i < load_pair_count(node); i++) {
			if (load_pair(ld, node, i, &key, &k, &v) == -1 ||
			    kids_add(ld, all, cond_parse_pair(ld, key, k,
			    v)) == -1)
				return -1;
		}
		return 0;
	}
	for (i = 0; i < load_item_count(node); i++) {
		if ((v = load_item(ld, node, i)) == NULL ||
		    kids_add(ld, all, cond_parse(ld, v)) == -1)
			return -1;
	}
	return 0;
}

static struct cond *
cond_parse_node(struct rule_load *ld, yaml_node_t *node)
{
	struct cond	*c;
	yaml_node_t	*k, *v;
	const char	*key;

	if (node->type == YAML_MAPPING_NODE && load_pair_count(node) == 1) {
		if (load_pair(ld, node, 0, &key, &k, &v) == -1)
			return NULL;
		return cond_parse_pair(ld, key, k, v);
	}
	if ((node->type != YAML_MAPPING_NODE &&
	    node->type != YAML_SEQUENCE_NODE) ||
	    (node->type == YAML_MAPPING_NODE ?
	    load_pair_count(node) : load_item_count(node)) == 0) {
		load_error(ld, node, "a condition is a mapping such as "
		    "{ from: 'REGEX' }, or a list of them (all must hold)");
		return NULL;
	}
	if ((c = cond_new(&cond_all, node)) == NULL ||
	    cond_describe(ld, c, "all") == -1) {
		load_error(ld, node, "out of memory");
		cond_free(c);
		return NULL;
	}
	if (implicit_all(ld, node, c) == -1) {
		cond_free(c);
		return NULL;
	}
	return c;
}

struct cond *
cond_parse(struct rule_load *ld, yaml_node_t *node)
{
	struct cond	*c;

	if (++ld->depth > RULE_COND_DEPTH) {
		load_error(ld, node, "conditions nested deeper than %d",
		    RULE_COND_DEPTH);
		ld->depth--;
		return NULL;
	}
	c = cond_parse_node(ld, node);
	ld->depth--;
	return c;
}

static int
list_parse(struct rule_load *ld, yaml_node_t *value, struct cond *c)
{
	yaml_node_t	*item;
	size_t		 i;

	if (value->type != YAML_SEQUENCE_NODE ||
	    load_item_count(value) == 0)
		return load_error(ld, value, "'%s' takes a list of conditions",
		    c->type->name);
	for (i = 0; i < load_item_count(value); i++)
		if ((item = load_item(ld, value, i)) == NULL ||
		    kids_add(ld, c, cond_parse(ld, item)) == -1)
			return -1;
	return cond_describe(ld, c, "%s", c->type->name);
}

static int
not_parse(struct rule_load *ld, yaml_node_t *value, struct cond *c)
{
	if (kids_add(ld, c, cond_parse(ld, value)) == -1)
		return -1;
	return cond_describe(ld, c, "not");
}

static int
all_eval(struct rule_eval *ev, const struct cond *c)
{
	size_t	 i;
	int	 r;

	for (i = 0; i < c->nkids; i++)
		if ((r = cond_eval(ev, c->kids[i])) != 1)
			return r;
	return 1;
}

static int
any_eval(struct rule_eval *ev, const struct cond *c)
{
	size_t	 i;
	int	 r;

	for (i = 0; i < c->nkids; i++)
		if ((r = cond_eval(ev, c->kids[i])) != 0)
			return r;
	return 0;
}

static int
not_eval(struct rule_eval *ev, const struct cond *c)
{
	int	 r;

	if ((r = cond_eval(ev, c->kids[0])) == -1)
		return -1;
	return !r;
}

const struct cond_type cond_all = { "all", 1, list_parse, all_eval };
const struct cond_type cond_any = { "any", 1, list_parse, any_eval };
const struct cond_type cond_not = { "not", 1, not_parse, not_eval };

static void
explain_cond(struct rule_eval *ev, const struct cond *c, int r,
    size_t limits)
{
	struct rule_explain	 e;

	memset(&e, 0, sizeof(e));
	e.kind = RULE_EXPLAIN_COND;
	e.rule = ev->rule_index;
	e.rule_name = eval_rule_name(ev);
	e.depth = ev->depth;
	e.cond = c->desc != NULL ? c->desc : c->type->name;
	e.line = c->line;
	e.col = c->col;
	e.result = r;
	e.limit_hit = ev->limits > limits;
	if (!c->type->composite && r == 1 && ev->hit.set) {
		e.where = ev->hit.where;
		e.text = ev->hit.text;
		e.textlen = ev->hit.textlen;
		e.match_off = ev->hit.off;
		e.match_len = ev->hit.len;
		e.captures = ev->hit.caps;
		e.ncaptures = ev->hit.ncaps;
	}
	ev->explain(ev->explain_arg, &e);
}

int
cond_eval(struct rule_eval *ev, const struct cond *c)
{
	size_t	 mark = ev->nlog, limits = ev->limits;
	int	 r;

	ev->hit.set = 0;
	ev->depth++;
	r = c->type->eval(ev, c);
	ev->depth--;
	if (r == -1)
		return -1;
	if (r == 0)
		ev->nlog = mark;	/* a false condition captures nothing */
	if (ev->explain != NULL)
		explain_cond(ev, c, r, limits);
	ev->hit.set = 0;
	return r;
}

int
cond_regex_parse(struct rule_load *ld, yaml_node_t *node, unsigned opts,
    struct cond_regex *crx)
{
	struct rule	*r = ld->rule;
	const char	*name;
	char		**nv;
	unsigned	 group;
	size_t		 i, j, n;

	if (load_regex(ld, node, opts, &crx->re) == -1)
		return -1;
	if ((n = rule_regex_name_count(crx->re)) == 0 || r == NULL)
		return 0;
	if ((crx->slots = calloc(n, sizeof(*crx->slots))) == NULL)
		return load_error(ld, node, "out of memory");
	for (i = 0; i < n; i++) {
		name = rule_regex_name(crx->re, i, &group);
		for (j = 0; j < r->ncap; j++)
			if (strcmp(r->capnames[j], name) == 0)
				break;
		if (j == r->ncap) {
			if ((nv = reallocarray(r->capnames, r->ncap + 1,
			    sizeof(*nv))) == NULL)
				return load_error(ld, node, "out of memory");
			r->capnames = nv;
			if ((nv[r->ncap] = strdup(name)) == NULL)
				return load_error(ld, node, "out of memory");
			r->ncap++;
		}
		crx->slots[i] = j;
	}
	return 0;
}

void
cond_regex_free(struct cond_regex *crx)
{
	rule_regex_free(crx->re);
	free(crx->slots);
	crx->re = NULL;
	crx->slots = NULL;
}

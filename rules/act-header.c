/* SPDX-License-Identifier: ISC */
/*
 * act-header.c - add-header: { NAME: VALUE, ... } and remove-header:
 * NAME (or a list of names).  Names are RFC 5322 field names; values are
 * one-line templates, so what a message contributes can never start a
 * new header line.  Each header becomes one entry of the plan.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rules/action.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/plan.h"
#include "rules/template.h"

#define HEADERS_MAX	32

static int
name_add(struct rule_load *ld, yaml_node_t *n, const char *s, struct act *a)
{
	char	**nv;
	size_t	 i;

	if (*s == '\0')
		return load_error(ld, n, "empty header field name");
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 33 || s[i] > 126 || s[i] == ':')
			return load_error(ld, n, "'%s' is not a header field "
			    "name", s);
	if (a->nnames == HEADERS_MAX)
		return load_error(ld, n, "more than %d headers", HEADERS_MAX);
	if ((nv = reallocarray(a->names, a->nnames + 1, sizeof(*nv))) == NULL)
		return load_error(ld, n, "out of memory");
	a->names = nv;
	if ((a->names[a->nnames] = strdup(s)) == NULL)
		return load_error(ld, n, "out of memory");
	a->nnames++;
	return 0;
}

static int
add_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	struct rule_template	**nv;
	yaml_node_t		*k, *val;
	const char		*key;
	size_t			 i, n;

	if (act_need_value(ld, v, a, "- add-header: { NAME: VALUE }") == -1 ||
	    load_expect_mapping(ld, v, "add-header: { NAME: VALUE }") == -1)
		return -1;
	if ((n = load_pair_count(v)) == 0)
		return load_error(ld, v, "add-header needs NAME: VALUE");
	if ((nv = calloc(n, sizeof(*nv))) == NULL)
		return load_error(ld, v, "out of memory");
	a->args = nv;
	for (i = 0; i < n; i++) {
		if (load_pair(ld, v, i, &key, &k, &val) == -1 ||
		    name_add(ld, k, key, a) == -1 ||
		    load_template(ld, val, RULE_TPL_LINE, "header value",
		    &a->args[i]) == -1)
			return -1;
		a->nargs++;
	}
	return 0;
}

static int
remove_one(struct rule_load *ld, yaml_node_t *n, struct act *a)
{
	const char	*s;
	size_t		 len;

	if (load_scalar(ld, n, "a header field name", &s, &len) == -1)
		return -1;
	return name_add(ld, n, s, a);
}

static int
remove_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	yaml_node_t	*item;
	size_t		 i;

	if (act_need_value(ld, v, a, "- remove-header: NAME") == -1)
		return -1;
	if (v->type != YAML_SEQUENCE_NODE)
		return remove_one(ld, v, a);
	if (load_item_count(v) == 0)
		return load_error(ld, v, "empty list of header names");
	for (i = 0; i < load_item_count(v); i++)
		if ((item = load_item(ld, v, i)) == NULL ||
		    remove_one(ld, item, a) == -1)
			return -1;
	return 0;
}

static int
header_plan(struct rule_eval *ev, const struct act *a)
{
	struct rule_action	*ra;
	size_t			 i;

	for (i = 0; i < a->nnames; i++) {
		if ((ra = plan_add(ev, a)) == NULL ||
		    (ra->target = plan_strdup(ev->plan, a->names[i],
		    strlen(a->names[i]))) == NULL)
			return -1;
		if (i < a->nargs && plan_expand(ev, a->args[i],
		    &ra->value) == -1)
			return -1;
	}
	return 0;
}

const struct act_type act_add_header = { "add-header",
    RULE_ACTION_ADD_HEADER, 0, NULL, 0, add_parse, header_plan };
const struct act_type act_remove_header = { "remove-header",
    RULE_ACTION_REMOVE_HEADER, 0, NULL, 0, remove_parse, header_plan };

/* SPDX-License-Identifier: ISC */
/*
 * act.c - actions: finding the act_type of an entry of a do: list,
 * refusing what the source cannot do, and the names of action types.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rules/action.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/plan.h"
#include "rules/regex.h"
#include "rules/template.h"

static const struct act_type *const act_types[] = {
	&act_deliver, &act_move, &act_copy, &act_save_attachments,
	&act_reply, &act_forward, &act_redirect, &act_pipe,
	&act_add_header, &act_remove_header, &act_flag, &act_delete,
	&act_discard, &act_keep, &act_add_label, &act_remove_label,
};

#define ACT_NAMES	"deliver, move, copy, save-attachments, reply, " \
			"forward, redirect, pipe, add-header, remove-header, " \
			"flag, delete, discard, keep, add-label, " \
			"remove-label"

#define NTYPES	(sizeof(act_types) / sizeof(act_types[0]))

const struct act_type *
act_type_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NTYPES; i++)
		if (strcmp(act_types[i]->name, name) == 0)
			return act_types[i];
	return NULL;
}

const char *
rule_action_type_name(enum rule_action_type t)
{
	size_t	 i;

	for (i = 0; i < NTYPES; i++)
		if (act_types[i]->type == t)
			return act_types[i]->name;
	return "unknown";
}

int
rule_action_type_from_name(const char *name)
{
	const struct act_type	*t;

	if (name == NULL || (t = act_type_find(name)) == NULL)
		return -1;
	return (int)t->type;
}

void
act_free(struct act *a)
{
	size_t	 i;

	if (a == NULL)
		return;
	for (i = 0; i < ACT_MAX_TPL; i++)
		rule_template_free(a->tpl[i]);
	for (i = 0; i < a->nargs; i++)
		rule_template_free(a->args[i]);
	free(a->args);
	for (i = 0; i < a->nfields; i++)
		rule_template_free(a->fields[i]);
	free(a->fields);
	for (i = 0; i < a->nnames; i++)
		free(a->names[i]);
	free(a->names);
	free(a->identity);
	free(a->smtp);
	rule_regex_free(a->type_re);
	rule_regex_free(a->name_re);
	free(a);
}

static struct act *
act_new(struct rule_load *ld, const struct act_type *t, yaml_node_t *at)
{
	struct act	*a;

	if (t->forbidden & ld->flags) {
		load_error(ld, at, "action '%s' is impossible for this "
		    "account: %s", t->name, t->why);
		return NULL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		load_error(ld, at, "out of memory");
		return NULL;
	}
	a->type = t;
	a->line = (int)at->start_mark.line + 1;
	a->col = (int)at->start_mark.column + 1;
	return a;
}

struct act *
act_parse(struct rule_load *ld, yaml_node_t *node)
{
	const struct act_type	*t;
	yaml_node_t		*k = node, *v = NULL;
	const char		*name;
	size_t			 len;
	struct act		*a;

	if (node->type == YAML_MAPPING_NODE && load_pair_count(node) == 1) {
		if (load_pair(ld, node, 0, &name, &k, &v) == -1)
			return NULL;
		if (load_is_null(v))
			v = NULL;
	} else if (node->type != YAML_SCALAR_NODE ||
	    load_scalar(ld, node, "an action", &name, &len) == -1) {
		load_error(ld, node, "an action is a name (- discard) or one "
		    "name with its parameters (- move: Archive)");
		return NULL;
	}
	if ((t = act_type_find(name)) == NULL) {
		load_error(ld, k, "unknown action '%s' (actions: " ACT_NAMES
		    ")", name);
		return NULL;
	}
	if ((a = act_new(ld, t, k)) == NULL)
		return NULL;
	if (t->parse(ld, v, a) == -1) {
		act_free(a);
		return NULL;
	}
	return a;
}

int
act_need_value(struct rule_load *ld, yaml_node_t *v, const struct act *a,
    const char *usage)
{
	if (v != NULL)
		return 0;
	return load_error_pos(ld, a->line, a->col, "action '%s' needs a "
	    "value: %s", a->type->name, usage);
}

int
act_names_parse(struct rule_load *ld, yaml_node_t *v, struct act *a,
    const char *usage, const char *what,
    int (*add)(struct rule_load *, yaml_node_t *, struct act *))
{
	yaml_node_t	*item;
	size_t		 i;

	if (act_need_value(ld, v, a, usage) == -1)
		return -1;
	if (v->type != YAML_SEQUENCE_NODE)
		return add(ld, v, a);
	if (load_item_count(v) == 0)
		return load_error(ld, v, "empty %s list", what);
	for (i = 0; i < load_item_count(v); i++)
		if ((item = load_item(ld, v, i)) == NULL ||
		    add(ld, item, a) == -1)
			return -1;
	return 0;
}

int
act_names_plan(struct rule_eval *ev, const struct act *a)
{
	struct rule_action	*ra;

	if ((ra = plan_add(ev, a)) == NULL)
		return -1;
	/* Copied: a plan does not need the rule set to stay loaded. */
	if ((ra->argv = plan_alloc(ev->plan, a->nnames *
	    sizeof(*ra->argv))) == NULL)
		return -1;
	for (ra->argc = 0; ra->argc < a->nnames; ra->argc++)
		if ((ra->argv[ra->argc] = plan_strdup(ev->plan,
		    a->names[ra->argc], strlen(a->names[ra->argc]))) == NULL)
			return -1;
	return 0;
}

/*
 * act-pipe.c - pipe: [PROGRAM, ARG...] or { command: [PROGRAM, ARG...],
 * filter: true, timeout: 30s }.  The daemon runs the program without a
 * shell and writes the message to its standard input; with filter, the
 * program's output replaces the message for the actions that follow.
 * The program is literal text; arguments are one-line templates.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rules/action.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/plan.h"
#include "rules/template.h"

#define PIPE_TIMEOUT_DEFAULT	60LL
#define PIPE_ARGS_MAX		64

static int
argv_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	struct rule_template	**nv;
	yaml_node_t		*item;
	size_t			 i, n;

	if (v->type != YAML_SEQUENCE_NODE || (n = load_item_count(v)) == 0)
		return load_error(ld, v, "pipe takes a command as a list: "
		    "[PROGRAM, ARG...]");
	if (n > PIPE_ARGS_MAX)
		return load_error(ld, v, "more than %d arguments",
		    PIPE_ARGS_MAX);
	if ((nv = calloc(n, sizeof(*nv))) == NULL)
		return load_error(ld, v, "out of memory");
	a->args = nv;
	for (i = 0; i < n; i++) {
		if ((item = load_item(ld, v, i)) == NULL ||
		    load_template(ld, item, RULE_TPL_LINE, "argument",
		    &a->args[i]) == -1)
			return -1;
		a->nargs++;
		if (i == 0 && rule_template_has_fields(a->args[0]))
			return load_error(ld, item, "the program to run "
			    "cannot be a template");
		if (i == 0 && rule_template_source(a->args[0])[0] == '\0')
			return load_error(ld, item, "empty program name");
	}
	return 0;
}

static int
pipe_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	yaml_node_t	*k, *val;
	const char	*key;
	size_t		 i;

	a->timeout = PIPE_TIMEOUT_DEFAULT;
	if (act_need_value(ld, v, a, "- pipe: [PROGRAM, ARG...]") == -1)
		return -1;
	if (v->type != YAML_MAPPING_NODE)
		return argv_parse(ld, v, a);
	for (i = 0; i < load_pair_count(v); i++) {
		if (load_pair(ld, v, i, &key, &k, &val) == -1)
			return -1;
		if (strcmp(key, "command") == 0) {
			if (argv_parse(ld, val, a) == -1)
				return -1;
		} else if (strcmp(key, "filter") == 0) {
			if (load_bool(ld, val, "true or false",
			    &a->filter) == -1)
				return -1;
		} else if (strcmp(key, "timeout") == 0) {
			if (load_duration(ld, val, "a duration such as 30s",
			    &a->timeout) == -1)
				return -1;
			if (a->timeout <= 0)
				return load_error(ld, val, "timeout must be "
				    "more than 0");
		} else
			return load_error(ld, k, "unknown key '%s' in pipe "
			    "(keys: command, filter, timeout)", key);
	}
	if (a->nargs == 0)
		return load_error(ld, v, "pipe needs command");
	return 0;
}

static int
pipe_plan(struct rule_eval *ev, const struct act *a)
{
	struct rule_action	*ra;

	if ((ra = plan_add(ev, a)) == NULL ||
	    (ra->argv = plan_alloc(ev->plan, a->nargs *
	    sizeof(*ra->argv))) == NULL)
		return -1;
	ra->filter = a->filter;
	ra->timeout = a->timeout;
	for (ra->argc = 0; ra->argc < a->nargs; ra->argc++)
		if (plan_expand(ev, a->args[ra->argc],
		    &ra->argv[ra->argc]) == -1)
			return -1;
	return 0;
}

const struct act_type act_pipe = { "pipe", RULE_ACTION_PIPE, 0, NULL, 0,
    pipe_parse, pipe_plan };

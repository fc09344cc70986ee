/* SPDX-License-Identifier: ISC */
/*
 * act-pipe.c - pipe: [PROGRAM, ARG...] or { command: [PROGRAM, ARG...],
 * filter: true, timeout: 30s, env: [NAME...] }.  The daemon runs the
 * program without a shell and writes the message to its standard input;
 * with filter, the program's output replaces the message for the
 * actions that follow.
 *
 * The program is literal text; arguments are templates in RULE_TPL_ARG
 * mode, so a field never makes an option.  The command gets the
 * message's fields exactly (one line each) in MAILSIFT_* variables, the
 * safe channel for a script, and env: names variables of mailsift's own
 * environment to pass on; the daemon adds the minimal rest.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mime/buf.h"
#include "rules/action.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/plan.h"
#include "rules/template.h"

#define PIPE_TIMEOUT_DEFAULT	60LL
#define PIPE_ENV_MAX		16	/* names in env: */
#define PIPE_ENV_NAME_MAX	64

/* "NAME={field}", expanded for each message. */
static const char *const pipe_fields[] = {
	"MAILSIFT_SUBJECT={subject}",
	"MAILSIFT_FROM={from.address}",
	"MAILSIFT_FROM_NAME={from.name}",
	"MAILSIFT_TO={to.address}",
	"MAILSIFT_TO_NAME={to.name}",
	"MAILSIFT_DATE={date:%Y-%m-%dT%H:%M:%S%z}",
	"MAILSIFT_MESSAGE_ID={message_id}",
	"MAILSIFT_ACCOUNT={account}",
	"MAILSIFT_FOLDER={folder}",
};
#define PIPE_NFIELDS	(sizeof(pipe_fields) / sizeof(pipe_fields[0]))

static int
argv_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	struct rule_template	**nv;
	yaml_node_t		*item;
	size_t			 i, n;

	if (v->type != YAML_SEQUENCE_NODE || (n = load_item_count(v)) == 0)
		return load_error(ld, v, "pipe takes a command as a list: "
		    "[PROGRAM, ARG...]");
	if (n > RULE_PIPE_ARGS_MAX)
		return load_error(ld, v, "a command has at most %d items "
		    "(the program and %d arguments), not %zu",
		    RULE_PIPE_ARGS_MAX, RULE_PIPE_ARGS_MAX - 1, n);
	if ((nv = calloc(n, sizeof(*nv))) == NULL)
		return load_error(ld, v, "out of memory");
	a->args = nv;
	for (i = 0; i < n; i++) {
		if ((item = load_item(ld, v, i)) == NULL ||
		    load_template(ld, item, RULE_TPL_ARG, "argument",
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
env_name_check(const char *s)
{
	size_t	 i;

	if (s[0] == '\0' || strlen(s) > PIPE_ENV_NAME_MAX ||
	    (s[0] >= '0' && s[0] <= '9'))
		return -1;
	for (i = 0; s[i] != '\0'; i++)
		if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9')))
			return -1;
	return 0;
}

/* env: NAME or [NAME...]: variables of mailsift's environment to pass. */
static int
env_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	yaml_node_t	*item;
	size_t		 i, n;
	char		*s;

	n = v->type == YAML_SEQUENCE_NODE ? load_item_count(v) : 1;
	if (n > PIPE_ENV_MAX)
		return load_error(ld, v, "env names at most %d variables",
		    PIPE_ENV_MAX);
	if ((a->names = calloc(n, sizeof(*a->names))) == NULL)
		return load_error(ld, v, "out of memory");
	for (i = 0; i < n; i++) {
		item = v;
		if (v->type == YAML_SEQUENCE_NODE &&
		    (item = load_item(ld, v, i)) == NULL)
			return -1;
		if (load_string(ld, item, "a variable name",
		    &a->names[a->nnames]) == -1)
			return -1;
		s = a->names[a->nnames++];
		if (env_name_check(s) == -1)
			return load_error(ld, item, "'%.64s' is not a variable "
			    "name (letters, digits, '_')", s);
		if (strncmp(s, "MAILSIFT_", 9) == 0)
			return load_error(ld, item, "MAILSIFT_ variables are "
			    "the message's fields, set by mailsift");
	}
	return 0;
}

static int
fields_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	size_t	 i, off;
	char	 err[512];

	if ((a->fields = calloc(PIPE_NFIELDS, sizeof(*a->fields))) == NULL)
		return load_error(ld, v, "out of memory");
	for (i = 0; i < PIPE_NFIELDS; i++) {
		if ((a->fields[i] = rule_template_parse(pipe_fields[i],
		    strlen(pipe_fields[i]), RULE_TPL_LINE, NULL, 0, &off, err,
		    sizeof(err))) == NULL)
			return load_error(ld, v, "%s", err);
		a->nfields++;
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
	if (act_need_value(ld, v, a, "- pipe: [PROGRAM, ARG...]") == -1 ||
	    fields_parse(ld, v, a) == -1)
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
		} else if (strcmp(key, "env") == 0) {
			if (env_parse(ld, val, a) == -1)
				return -1;
		} else
			return load_error(ld, k, "unknown key '%s' in pipe "
			    "(keys: command, filter, timeout, env)", key);
	}
	if (a->nargs == 0)
		return load_error(ld, v, "pipe needs command");
	return 0;
}

/* "NAME=value" for field template t, the value cut like an argument's
 * (a variable that large would make execve() fail). */
static int
field_plan(struct rule_eval *ev, const struct rule_template *t,
    const char **out)
{
	struct rule_tpl_env	 env = { &ev->view, ev->caps, ev->ncaps };
	struct mime_buf		 b;
	const char		*eq;
	size_t			 len;
	int			 rv = -1;

	mime_buf_init(&b);
	if (rule_template_expand(t, &env, &b) == 0 && b.data != NULL &&
	    (eq = memchr(b.data, '=', b.len)) != NULL) {
		len = (size_t)(eq + 1 - b.data);
		len += rule_tpl_utf8_cut(eq + 1, b.len - len,
		    RULE_TPL_ARG_VALUE_MAX);
		if ((*out = plan_strdup(ev->plan, b.data, len)) != NULL)
			rv = 0;
	}
	mime_buf_free(&b);
	return rv;
}

static int
env_plan(struct rule_eval *ev, const struct act *a, struct rule_action *ra)
{
	const char	*rule = eval_rule_name(ev);
	char		*s;
	size_t		 i, len;

	ra->env = plan_alloc(ev->plan, (a->nfields + 1 + a->nnames) *
	    sizeof(*ra->env));
	if (ra->env == NULL)
		return -1;
	for (i = 0; i < a->nfields; i++)
		if (field_plan(ev, a->fields[i], &ra->env[ra->nenv++]) == -1)
			return -1;
	len = strlen(rule);
	if ((s = plan_alloc(ev->plan, 14 + len + 1)) == NULL)
		return -1;
	memcpy(s, "MAILSIFT_RULE=", 14);
	memcpy(s + 14, rule, len + 1);
	ra->env[ra->nenv++] = s;
	/* the plan outlives the rule set: copies */
	for (i = 0; i < a->nnames; i++)
		if ((ra->env[ra->nenv++] = plan_strdup(ev->plan, a->names[i],
		    strlen(a->names[i]))) == NULL)
			return -1;
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
	return env_plan(ev, a, ra);
}

const struct act_type act_pipe = { "pipe", RULE_ACTION_PIPE, 0, NULL, 0,
    pipe_parse, pipe_plan };

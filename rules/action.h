/* SPDX-License-Identifier: ISC */
/*
 * action.h - internal: actions, compiled from the rule file and turned
 * into plan entries for a message.
 *
 * Each action is an act_type (its name in the rule file, what the
 * source must be able to do, how to compile its parameters, how to add
 * it to a plan), defined in the file of its family: act-file.c
 * (deliver, move, copy, keep, delete, discard, flag), act-send.c (reply,
 * forward, redirect), act-save.c (save-attachments), act-pipe.c (pipe),
 * act-header.c (add-header, remove-header), act-label.c (add-label,
 * remove-label).  Every parameter is checked
 * when the file is loaded; planning only expands templates.
 */
#ifndef RULES_ACTION_H
#define RULES_ACTION_H

#include <stddef.h>

#include <yaml.h>

#include "rules/rules.h"

struct rule_load;
struct rule_eval;
struct rule_regex;
struct rule_template;
struct act;

struct act_type {
	const char		*name;
	enum rule_action_type	 type;
	unsigned		 forbidden;	/* RULE_SOURCE_* it cannot
						 * live with */
	const char		*why;		/* ... and why */
	int			 files;		/* files the message */
	/* Compile the parameters (value is NULL for a bare name such as
	 * "- delete"); 0, or -1 with the error set in the load. */
	int			(*parse)(struct rule_load *, yaml_node_t *value,
				    struct act *);
	/* Add the action, expanded, to the evaluation's plan; 0, or -1
	 * on ENOMEM. */
	int			(*plan)(struct rule_eval *, const struct act *);
};

#define ACT_MAX_TPL	3

struct act {
	const struct act_type	*type;
	int			 line, col;
	char			*identity;
	struct rule_template	*tpl[ACT_MAX_TPL];	/* per type */
	struct rule_template	**args;		/* pipe argv, header values */
	char			**names;	/* header names, flags, pipe
						 * env: */
	size_t			 nargs, nnames;
	struct rule_template	**fields;	/* pipe: MAILSIFT_* values */
	size_t			 nfields;
	char			*smtp;
	long long		 every, timeout;
	int			 filter, dedupe;
	struct rule_regex	*type_re, *name_re;	/* save-attachments */
};

extern const struct act_type act_deliver, act_move, act_copy, act_keep,
	    act_delete, act_discard, act_flag;
extern const struct act_type act_reply, act_forward, act_redirect;
extern const struct act_type act_save_attachments;
extern const struct act_type act_pipe;
extern const struct act_type act_add_header, act_remove_header;
extern const struct act_type act_add_label, act_remove_label;

/* Compile one entry of a do: (or default:) list. NULL on error. */
struct act	*act_parse(struct rule_load *, yaml_node_t *);
void		 act_free(struct act *);
const struct act_type *act_type_find(const char *name);
/* For a parse function: 0 if v is there, else an error showing usage. */
int		 act_need_value(struct rule_load *, yaml_node_t *v,
		    const struct act *, const char *usage);
/* For an action taking one name or a list of them (flag, add-label):
 * each through add(); "empty WHAT list" for []. */
int		 act_names_parse(struct rule_load *, yaml_node_t *v,
		    struct act *, const char *usage, const char *what,
		    int (*add)(struct rule_load *, yaml_node_t *,
		    struct act *));
/* Their plan entry: the names, copied into the plan. */
int		 act_names_plan(struct rule_eval *, const struct act *);

#endif

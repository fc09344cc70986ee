/* SPDX-License-Identifier: ISC */
/*
 * act-save.c - save-attachments: { to: DIR, type: 'REGEX',
 * filename: 'REGEX', dedupe: sha256 }.  to is a path template (values
 * made safe path components); type and filename filter the attachments
 * (view.h) as the attachment condition does.  The plan carries the parts
 * selected, so the daemon runs no regex; it makes the file names safe
 * itself.  dedupe: sha256 skips a file whose content is already saved
 * there; none (the default) keeps every copy.
 */
#include <stddef.h>
#include <string.h>

#include "rules/action.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/plan.h"
#include "rules/template.h"
#include "rules/view.h"

static int
dedupe_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	const char	*s;
	size_t		 len;

	if (load_scalar(ld, v, "sha256 or none", &s, &len) == -1)
		return -1;
	if (strcmp(s, "sha256") == 0)
		a->dedupe = 1;
	else if (strcmp(s, "none") == 0)
		a->dedupe = 0;
	else
		return load_error(ld, v, "dedupe is sha256 or none");
	return 0;
}

static int
save_key(struct rule_load *ld, const char *key, yaml_node_t *k,
    yaml_node_t *v, struct act *a)
{
	const char	*s;
	size_t		 len;

	if (strcmp(key, "to") == 0)
		return load_scalar(ld, v, "directory", &s, &len) == -1 ||
		    load_path_check(ld, v, s, len, "the directory") == -1 ||
		    load_template(ld, v, RULE_TPL_PATH, "directory",
		    &a->tpl[0]) == -1 ? -1 : 0;
	if (strcmp(key, "type") == 0)
		return load_regex(ld, v, 0, &a->type_re);
	if (strcmp(key, "filename") == 0)
		return load_regex(ld, v, 0, &a->name_re);
	if (strcmp(key, "dedupe") == 0)
		return dedupe_parse(ld, v, a);
	return load_error(ld, k, "unknown key '%s' in save-attachments (keys: "
	    "to, type, filename, dedupe)", key);
}

static int
save_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	yaml_node_t	*k, *val;
	const char	*key;
	size_t		 i;

	if (act_need_value(ld, v, a, "- save-attachments: { to: DIR }") ==
	    -1 || load_expect_mapping(ld, v, "save-attachments: { to, type, "
	    "filename, dedupe }") == -1)
		return -1;
	for (i = 0; i < load_pair_count(v); i++)
		if (load_pair(ld, v, i, &key, &k, &val) == -1 ||
		    save_key(ld, key, k, val, a) == -1)
			return -1;
	if (a->tpl[0] == NULL)
		return load_error(ld, v, "save-attachments needs to");
	if (rule_template_source(a->tpl[0])[0] == '\0')
		return load_error(ld, v, "save-attachments to is empty");
	return 0;
}

/* 1 if the leaf passes the filters. */
static int
save_select(struct rule_eval *ev, const struct act *a,
    const struct rule_leaf *l)
{
	int	 r;

	if (a->type_re != NULL && (r = eval_filter(ev, a->type_re, l->type,
	    strlen(l->type))) != 1)
		return r;
	if (a->name_re == NULL)
		return 1;
	if (l->filename == NULL)
		return 0;
	return eval_filter(ev, a->name_re, l->filename, strlen(l->filename));
}

static int
save_plan(struct rule_eval *ev, const struct act *a)
{
	struct rule_action	*ra;
	struct rule_leaf	*l;
	size_t			 n, i;
	int			 r;

	if (rule_view_leaves(&ev->view, &l, &n) == -1 ||
	    (ra = plan_add(ev, a)) == NULL ||
	    plan_expand(ev, a->tpl[0], &ra->target) == -1)
		return -1;
	ra->dedupe = a->dedupe;
	eval_regex_values(ev, a->type_re, n);	/* regex.h: the budget */
	eval_regex_values(ev, a->name_re, n);
	if (n > 0 && (ra->parts = plan_alloc(ev->plan,
	    n * sizeof(*ra->parts))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((r = save_select(ev, a, &l[i])) == -1)
			return -1;
		if (r == 1)
			ra->parts[ra->nparts++] = l[i].part;
	}
	return 0;
}

const struct act_type act_save_attachments = { "save-attachments",
    RULE_ACTION_SAVE_ATTACHMENTS, 0, NULL, 0, save_parse, save_plan };

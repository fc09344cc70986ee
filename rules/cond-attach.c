/* SPDX-License-Identifier: ISC */
/*
 * cond-attach.c - the attachment condition: { filename: 'REGEX',
 * type: 'REGEX', size: '> 1M' }, every key optional ({} asks for any
 * attachment).  It holds when one attachment (view.h: a leaf with
 * disposition "attachment" or a file name) satisfies every key given.
 * filename is the decoded file name (a leaf without one never matches
 * it), type is the lower-case "type/subtype", size the decoded size.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mime/message.h"
#include "rules/arena.h"
#include "rules/cond.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/regex.h"
#include "rules/units.h"
#include "rules/view.h"

static int
attach_size(struct rule_load *ld, yaml_node_t *v, struct cond *c,
    char *desc, size_t desclen)
{
	const char	*s, *why;
	size_t		 len;

	if (load_scalar(ld, v, "a size comparison such as '> 1M'", &s,
	    &len) == -1)
		return -1;
	if (rule_cmp_parse(s, len, 0, &c->cmp, &why) == -1)
		return load_error(ld, v, "%s", why);
	c->has_cmp = 1;
	snprintf(desc, desclen, " size %.*s", (int)len, s);
	return 0;
}

static int
attach_parse(struct rule_load *ld, yaml_node_t *value, struct cond *c)
{
	yaml_node_t	*k, *v;
	const char	*key;
	char		 size[48] = "";
	size_t		 i;

	if (load_expect_mapping(ld, value, "attachment: { filename: "
	    "'REGEX', type: 'REGEX', size: '> 1M' }") == -1)
		return -1;
	for (i = 0; i < load_pair_count(value); i++) {
		if (load_pair(ld, value, i, &key, &k, &v) == -1)
			return -1;
		if (strcmp(key, "filename") == 0) {
			if (cond_regex_parse(ld, v, 0, &c->rx) == -1)
				return -1;
		} else if (strcmp(key, "type") == 0) {
			if (cond_regex_parse(ld, v, 0, &c->rx2) == -1)
				return -1;
		} else if (strcmp(key, "size") == 0) {
			if (attach_size(ld, v, c, size, sizeof(size)) == -1)
				return -1;
		} else
			return load_error(ld, k, "unknown key '%s' in "
			    "attachment (keys: filename, type, size)", key);
	}
	return cond_describe(ld, c, "attachment%s%s%s%s%s%s%s",
	    c->rx.re != NULL ? " filename '" : "",
	    c->rx.re != NULL ? rule_regex_pattern(c->rx.re) : "",
	    c->rx.re != NULL ? "'" : "",
	    c->rx2.re != NULL ? " type '" : "",
	    c->rx2.re != NULL ? rule_regex_pattern(c->rx2.re) : "",
	    c->rx2.re != NULL ? "'" : "", size);
}

/* "part 2 filename", only when explaining. */
static const char *
where_for(struct rule_eval *ev, const struct rule_leaf *l, const char *what)
{
	char	 path[64], buf[96];

	if (ev->explain == NULL)
		return what;
	if (mime_part_path(l->part, path, sizeof(path)) == -1)
		snprintf(path, sizeof(path), "?");
	snprintf(buf, sizeof(buf), "part %s %s", *path ? path : "-", what);
	return rule_arena_strndup(&ev->arena, buf, strlen(buf));
}

/* 1 if leaf l satisfies every key; its captures stay logged. */
static int
leaf_eval(struct rule_eval *ev, const struct cond *c, struct rule_leaf *l)
{
	const char	*where;
	long long	 size;
	int		 r;

	if (c->rx2.re != NULL) {
		if ((where = where_for(ev, l, "type")) == NULL)
			return -1;
		if ((r = eval_regex(ev, c, &c->rx2, where, l->type,
		    strlen(l->type))) != 1)
			return r;
	}
	if (c->rx.re != NULL) {
		if (l->filename == NULL)
			return 0;
		if ((where = where_for(ev, l, "filename")) == NULL)
			return -1;
		if ((r = eval_regex(ev, c, &c->rx, where, l->filename,
		    strlen(l->filename))) != 1)
			return r;
	}
	if (c->has_cmp) {
		/* Most size tests are settled by the encoded size. */
		if ((r = rule_cmp_bound(&c->cmp,
		    rule_view_leaf_size_max(l))) != -1)
			return r;
		if (rule_view_leaf_size(&ev->view, l, &size) == -1)
			return -1;
		return rule_cmp_test(&c->cmp, size);
	}
	return 1;
}

static int
attach_eval(struct rule_eval *ev, const struct cond *c)
{
	struct rule_leaf	*l;
	size_t			 n, i, mark;
	int			 r;

	if (rule_view_leaves(&ev->view, &l, &n) == -1)
		return -1;
	/* Every part shares the regexes' budgets (regex.h). */
	eval_regex_values(ev, c->rx.re, n);
	eval_regex_values(ev, c->rx2.re, n);
	for (i = 0; i < n; i++) {
		mark = ev->nlog;
		if ((r = leaf_eval(ev, c, &l[i])) != 0)
			return r;
		ev->nlog = mark;	/* a leaf that failed captures nothing */
		ev->hit.set = 0;
	}
	return 0;
}

const struct cond_type cond_attachment = { "attachment", 0, attach_parse,
    attach_eval };

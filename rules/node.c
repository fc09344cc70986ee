/* SPDX-License-Identifier: ISC */
/*
 * node.c - reading the nodes of a rule file's YAML document: scalars,
 * mappings and sequences checked for what they should be, regexes and
 * templates compiled with their position, and errors reported at
 * FILE:LINE:COL (see load.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "rules/load.h"
#include "rules/regex.h"
#include "rules/template.h"
#include "rules/units.h"

static int
error_set(struct rule_load *ld, int line, int col, const char *fmt,
    va_list ap) __attribute__((format(printf, 4, 0)));

static int
error_set(struct rule_load *ld, int line, int col, const char *fmt,
    va_list ap)
{
	char	 msg[768];

	if (ld->failed)
		return -1;	/* the first error is the one that counts */
	ld->failed = 1;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		snprintf(ld->err, ld->errlen, "%s:%d:%d: %s", ld->file, line,
		    col, msg);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", ld->file, msg);
	return -1;
}

int
load_error(struct rule_load *ld, const yaml_node_t *n, const char *fmt, ...)
{
	va_list	 ap;
	int	 line = 0, col = 0;

	if (n != NULL) {
		line = (int)n->start_mark.line + 1;
		col = (int)n->start_mark.column + 1;
	}
	va_start(ap, fmt);
	error_set(ld, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

int
load_error_pos(struct rule_load *ld, int line, int col, const char *fmt,
    ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	error_set(ld, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

/* Column of byte off of a scalar's value, when it can be known: a
 * one-line plain or quoted scalar (escapes aside). */
static int
scalar_column(const yaml_node_t *n, size_t off)
{
	const unsigned char	*s = n->data.scalar.value;
	int			 col = (int)n->start_mark.column + 1;
	size_t			 i;

	if (n->start_mark.line != n->end_mark.line)
		return col;
	switch (n->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		col++;
		break;
	case YAML_PLAIN_SCALAR_STYLE:
		break;
	default:
		return col;
	}
	/* Columns count characters, not bytes. */
	for (i = 0; i < off && i < n->data.scalar.length; i++)
		if ((s[i] & 0xc0) != 0x80)
			col++;
	return col;
}

int
load_error_at(struct rule_load *ld, const yaml_node_t *n, size_t off,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 line = 0, col = 0;

	if (n != NULL) {
		line = (int)n->start_mark.line + 1;
		col = n->type == YAML_SCALAR_NODE ? scalar_column(n, off) :
		    (int)n->start_mark.column + 1;
	}
	va_start(ap, fmt);
	error_set(ld, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

yaml_node_t *
load_node(struct rule_load *ld, int id)
{
	yaml_node_t	*n;

	if ((n = yaml_document_get_node(ld->doc, id)) == NULL ||
	    (size_t)id > ld->nnodes) {
		load_error(ld, NULL, "broken YAML document");
		return NULL;
	}
	if (ld->seen[id - 1]) {
		load_error(ld, n, "YAML aliases (*name) are not supported in "
		    "rule files");
		return NULL;
	}
	ld->seen[id - 1] = 1;
	return n;
}

int
load_scalar(struct rule_load *ld, yaml_node_t *n, const char *what,
    const char **s, size_t *len)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return load_error(ld, n, "expected %s", what);
	if (memchr(n->data.scalar.value, '\0', n->data.scalar.length) != NULL)
		return load_error(ld, n, "NUL character in %s", what);
	*s = (const char *)n->data.scalar.value;
	*len = n->data.scalar.length;
	return 0;
}

int
load_string(struct rule_load *ld, yaml_node_t *n, const char *what,
    char **out)
{
	const char	*s;
	size_t		 len;

	if (load_scalar(ld, n, what, &s, &len) == -1)
		return -1;
	free(*out);
	if ((*out = strndup(s, len)) == NULL)
		return load_error(ld, n, "out of memory");
	return 0;
}

int
load_is_null(const yaml_node_t *n)
{
	const char	*s = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

int
load_bool(struct rule_load *ld, yaml_node_t *n, const char *what, int *out)
{
	const char	*s;
	size_t		 len;

	if (load_scalar(ld, n, what, &s, &len) == -1)
		return -1;
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0)
		*out = 1;
	else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0)
		*out = 0;
	else
		return load_error(ld, n, "expected %s, not '%s'", what, s);
	return 0;
}

int
load_duration(struct rule_load *ld, yaml_node_t *n, const char *what,
    long long *out)
{
	const char	*s, *why;
	size_t		 len;

	if (load_scalar(ld, n, what, &s, &len) == -1)
		return -1;
	if (rule_duration_parse(s, len, out, &why) == -1)
		return load_error(ld, n, "%s", why);
	return 0;
}

int
load_expect_mapping(struct rule_load *ld, yaml_node_t *n, const char *what)
{
	if (n == NULL || n->type != YAML_MAPPING_NODE)
		return load_error(ld, n, "expected a mapping: %s", what);
	return 0;
}

size_t
load_pair_count(const yaml_node_t *map)
{
	return (size_t)(map->data.mapping.pairs.top -
	    map->data.mapping.pairs.start);
}

size_t
load_item_count(const yaml_node_t *seq)
{
	return (size_t)(seq->data.sequence.items.top -
	    seq->data.sequence.items.start);
}

yaml_node_t *
load_item(struct rule_load *ld, yaml_node_t *seq, size_t i)
{
	return load_node(ld, seq->data.sequence.items.start[i]);
}

int
load_pair(struct rule_load *ld, yaml_node_t *map, size_t i,
    const char **key, yaml_node_t **keynode, yaml_node_t **value)
{
	yaml_node_pair_t	*p = map->data.mapping.pairs.start;
	yaml_node_t		*k, *prev;
	size_t			 len, j;

	if ((k = load_node(ld, p[i].key)) == NULL ||
	    load_scalar(ld, k, "a key", key, &len) == -1)
		return -1;
	for (j = 0; j < i; j++) {
		prev = yaml_document_get_node(ld->doc, p[j].key);
		if (prev != NULL && prev->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)prev->data.scalar.value, *key) == 0)
			return load_error(ld, k, "key '%s' given twice", *key);
	}
	*keynode = k;
	if ((*value = load_node(ld, p[i].value)) == NULL)
		return -1;
	return 0;
}

int
load_regex(struct rule_load *ld, yaml_node_t *n, unsigned opts,
    struct rule_regex **out)
{
	const char	*s;
	size_t		 len, off;
	char		 err[256];
	unsigned	 groups;

	if (load_scalar(ld, n, "a regex", &s, &len) == -1)
		return -1;
	if (ld->flags & RULE_LOAD_NO_JIT)
		opts |= RULE_REGEX_NO_JIT;
	rule_regex_free(*out);
	if ((*out = rule_regex_compile(s, len, opts, &off, err,
	    sizeof(err))) == NULL)
		return load_error_at(ld, n, off, "bad regex '%s': %s (at "
		    "offset %zu)", s, err, off);
	rule_regex_set_id(*out, ld->set->nregex++);
	groups = rule_regex_group_count(*out);
	if (groups > ld->set->max_groups)
		ld->set->max_groups = groups;
	if (!rule_regex_jit(*out))
		ld->set->jit = 0;
	return 0;
}

int
load_path_check(struct rule_load *ld, yaml_node_t *n, const char *p,
    size_t len, const char *what)
{
	if (len > 0 && p[0] == '/')
		return 0;
	if (len > 0 && p[0] == '~' && (len == 1 || p[1] == '/'))
		return 0;
	return load_error(ld, n, "%s must start with / or ~/ (a daemon's "
	    "working directory is /, and ~user is not supported)", what);
}

int
load_template(struct rule_load *ld, yaml_node_t *n, int mode,
    const char *what, struct rule_template **out)
{
	const char		*s;
	const char *const	*names = NULL;
	size_t			 len, off, ncap = 0;
	char			 err[512];

	if (load_scalar(ld, n, what, &s, &len) == -1)
		return -1;
	if (ld->rule != NULL) {
		names = (const char *const *)ld->rule->capnames;
		ncap = ld->rule->ncap;
	}
	rule_template_free(*out);
	if ((*out = rule_template_parse(s, len, (enum rule_tpl_mode)mode,
	    names, ncap, &off, err, sizeof(err))) == NULL)
		return load_error_at(ld, n, off, "%s: %s", what, err);
	return 0;
}

int
load_header_slot(struct rule_load *ld, const char *name, size_t *slot)
{
	struct rule_set	*set = ld->set;
	char		**nv;
	size_t		 i;

	for (i = 0; i < set->nheaders; i++)
		if (strcasecmp(set->headers[i], name) == 0) {
			*slot = i;
			return 0;
		}
	if ((nv = reallocarray(set->headers, set->nheaders + 1,
	    sizeof(*nv))) == NULL)
		return load_error(ld, NULL, "out of memory");
	set->headers = nv;
	if ((nv[set->nheaders] = strdup(name)) == NULL)
		return load_error(ld, NULL, "out of memory");
	*slot = set->nheaders++;
	return 0;
}

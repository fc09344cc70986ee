/* SPDX-License-Identifier: ISC */
/*
 * load.c - reading a rule file: the file, its one YAML document, and its
 * top level (version, rules, default, tests); the rule set's lifetime
 * and accessors.  Node helpers are in node.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "rules/action.h"
#include "rules/load.h"
#include "rules/rules.h"

/* A rule file is written by hand; anything bigger is a mistake. */
#define RULE_FILE_MAX	(16 * 1024 * 1024)

/* A list of actions, or a single one. */
static int
actions_parse(struct rule_load *ld, yaml_node_t *n, struct act ***out,
    size_t *nout)
{
	yaml_node_t	*item;
	size_t		 i, count = 1;

	if (n->type == YAML_SEQUENCE_NODE &&
	    (count = load_item_count(n)) == 0)
		return load_error(ld, n, "empty list of actions");
	if ((*out = calloc(count, sizeof(**out))) == NULL)
		return load_error(ld, n, "out of memory");
	for (i = 0; i < count; i++) {
		item = n;
		if (n->type == YAML_SEQUENCE_NODE &&
		    (item = load_item(ld, n, i)) == NULL)
			return -1;
		if (((*out)[i] = act_parse(ld, item)) == NULL)
			return -1;
		(*nout)++;
	}
	return 0;
}

int
load_actions(struct rule_load *ld, yaml_node_t *n, const char *rule,
    struct act ***out, size_t *nout)
{
	struct act	*a;
	size_t		 i, j, same;
	char		 id[512];

	if (actions_parse(ld, n, out, nout) == -1)
		return -1;
	/* The identity names the action by rule and type, not position,
	 * so adding another action does not reset a reply's rate limit. */
	for (i = 0; i < *nout; i++) {
		a = (*out)[i];
		for (j = 0, same = 0; j < i; j++)
			same += (*out)[j]->type == a->type;
		if (same == 0)
			snprintf(id, sizeof(id), "%s/%s", rule, a->type->name);
		else
			snprintf(id, sizeof(id), "%s/%s.%zu", rule,
			    a->type->name, same + 1);
		if ((a->identity = strdup(id)) == NULL)
			return load_error(ld, n, "out of memory");
	}
	return 0;
}

static int
version_parse(struct rule_load *ld, yaml_node_t *n)
{
	const char	*s;
	size_t		 len;

	if (load_scalar(ld, n, "a version number", &s, &len) == -1)
		return -1;
	if (strcmp(s, "1") != 0)
		return load_error(ld, n, "unsupported rule file version '%s' "
		    "(this mailsift reads version 1)", s);
	return 0;
}

static int
rules_parse(struct rule_load *ld, yaml_node_t *n)
{
	struct rule_set	*set = ld->set;
	yaml_node_t	*item;
	size_t		 i, j, count;

	if (n->type != YAML_SEQUENCE_NODE)
		return load_error(ld, n, "rules: takes a list of rules");
	count = load_item_count(n);
	if (count > 0 && (set->rules = calloc(count,
	    sizeof(*set->rules))) == NULL)
		return load_error(ld, n, "out of memory");
	for (i = 0; i < count; i++) {
		if ((item = load_item(ld, n, i)) == NULL)
			return -1;
		set->nrules++;
		if (rule_parse(ld, item, &set->rules[i]) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(set->rules[j].name,
			    set->rules[i].name) == 0)
				return load_error(ld, item, "rule name '%s' "
				    "used twice (first on line %d)",
				    set->rules[i].name, set->rules[j].line);
		if (set->rules[i].ncap > set->max_cap)
			set->max_cap = set->rules[i].ncap;
	}
	return 0;
}

static int
top_key(struct rule_load *ld, const char *key, yaml_node_t *k,
    yaml_node_t *v)
{
	struct rule_set	*set = ld->set;

	if (strcmp(key, "version") == 0)
		return version_parse(ld, v);
	if (strcmp(key, "rules") == 0)
		return rules_parse(ld, v);
	if (strcmp(key, "default") == 0) {
		ld->rule = NULL;
		set->has_default = 1;
		return load_actions(ld, v, "default", &set->defaults,
		    &set->ndefaults);
	}
	if (strcmp(key, "tests") == 0)
		return selftest_parse(ld, v);
	return load_error(ld, k, "unknown key '%s' (keys: version, default, "
	    "rules, tests)", key);
}

static int
top_parse(struct rule_load *ld, yaml_node_t *root)
{
	yaml_node_t	*k, *v;
	const char	*key;
	size_t		 i;

	if (root->type != YAML_MAPPING_NODE)
		return load_error(ld, root, "a rule file is a mapping with "
		    "version, default, rules and tests");
	for (i = 0; i < load_pair_count(root); i++)
		if (load_pair(ld, root, i, &key, &k, &v) == -1 ||
		    top_key(ld, key, k, v) == -1)
			return -1;
	return 0;
}

static void
yaml_error(struct rule_load *ld, const yaml_parser_t *p)
{
	const char	*problem = p->problem != NULL ? p->problem : "error";

	if (p->error == YAML_MEMORY_ERROR) {
		load_error(ld, NULL, "out of memory");
		return;
	}
	if (p->context != NULL)
		load_error_pos(ld, (int)p->problem_mark.line + 1,
		    (int)p->problem_mark.column + 1, "YAML syntax: %s %s "
		    "(line %d)", problem, p->context,
		    (int)p->context_mark.line + 1);
	else
		load_error_pos(ld, (int)p->problem_mark.line + 1,
		    (int)p->problem_mark.column + 1, "YAML syntax: %s",
		    problem);
}

/* Parse the one document of the text into doc; 0, or -1. */
static int
document_load(struct rule_load *ld, const char *text, size_t len,
    yaml_document_t *doc)
{
	yaml_parser_t	 parser;
	yaml_document_t	 extra;
	int		 rv = -1;

	if (!yaml_parser_initialize(&parser))
		return load_error(ld, NULL, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	if (!yaml_parser_load(&parser, doc)) {
		yaml_error(ld, &parser);
		goto out;
	}
	if (yaml_document_get_root_node(doc) == NULL) {
		yaml_document_delete(doc);
		load_error(ld, NULL, "empty rule file");
		goto out;
	}
	if (!yaml_parser_load(&parser, &extra)) {
		yaml_error(ld, &parser);
		yaml_document_delete(doc);
		goto out;
	}
	if (yaml_document_get_root_node(&extra) != NULL) {
		load_error_pos(ld, (int)extra.start_mark.line + 1,
		    (int)extra.start_mark.column + 1, "more than one YAML "
		    "document");
		yaml_document_delete(&extra);
		yaml_document_delete(doc);
		goto out;
	}
	yaml_document_delete(&extra);
	rv = 0;
out:
	yaml_parser_delete(&parser);
	return rv;
}

struct rule_set *
rule_set_load_buffer(const char *name, const char *text, size_t len,
    unsigned flags, char *err, size_t errlen)
{
	struct rule_load	 ld;
	yaml_document_t		 doc;
	struct rule_set		*set = NULL;
	int			 rv = -1;

	memset(&ld, 0, sizeof(ld));
	ld.file = name;
	ld.flags = flags;
	ld.err = err;
	ld.errlen = errlen;
	ld.doc = &doc;
	if (document_load(&ld, text, len, &doc) == -1)
		return NULL;
	ld.nnodes = (size_t)(doc.nodes.top - doc.nodes.start);
	if ((ld.seen = calloc(ld.nnodes, 1)) == NULL ||
	    (set = calloc(1, sizeof(*set))) == NULL ||
	    (set->name = strdup(name)) == NULL) {
		load_error(&ld, NULL, "out of memory");
		goto out;
	}
	set->flags = flags;
	set->jit = !(flags & RULE_LOAD_NO_JIT);
	ld.set = set;
	ld.seen[0] = 1;
	rv = top_parse(&ld, yaml_document_get_root_node(&doc));
out:
	free(ld.seen);
	yaml_document_delete(&doc);
	if (rv == -1) {
		rule_set_free(set);
		return NULL;
	}
	return set;
}

static char *
file_read(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat	 st;
	char		*buf = NULL;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode) || st.st_size > RULE_FILE_MAX) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	*len = off;
	return buf;
fail:
	snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	free(buf);
	return NULL;
}

struct rule_set *
rule_set_load(const char *path, unsigned flags, char *err, size_t errlen)
{
	struct rule_set	*set;
	char		*text;
	size_t		 len;

	if ((text = file_read(path, &len, err, errlen)) == NULL)
		return NULL;
	set = rule_set_load_buffer(path, text, len, flags, err, errlen);
	free(text);
	return set;
}

void
rule_set_free(struct rule_set *set)
{
	size_t	 i;

	if (set == NULL)
		return;
	for (i = 0; i < set->nrules; i++)
		rule_clear(&set->rules[i]);
	free(set->rules);
	for (i = 0; i < set->ndefaults; i++)
		act_free(set->defaults[i]);
	free(set->defaults);
	for (i = 0; i < set->nheaders; i++)
		free(set->headers[i]);
	free(set->headers);
	for (i = 0; i < set->ntests; i++)
		selftest_clear(&set->tests[i]);
	free(set->tests);
	free(set->name);
	free(set);
}

size_t
rule_set_count(const struct rule_set *set)
{
	return set->nrules;
}

const char *
rule_set_rule_name(const struct rule_set *set, size_t i)
{
	return i < set->nrules ? set->rules[i].name : NULL;
}

int
rule_set_jit(const struct rule_set *set)
{
	return set->jit;
}

int
rule_set_has_default(const struct rule_set *set)
{
	return set->has_default;
}

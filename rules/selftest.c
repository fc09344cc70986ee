/* SPDX-License-Identifier: ISC */
/*
 * selftest.c - the tests: section of a rule file, which `mailsift test
 * --self` runs:
 *
 *   tests:
 *     - message: rules-tests/invoice.eml   # relative to the rule file
 *       account: work                      # optional, as --account
 *       folder: INBOX                      # optional, as --folder
 *       labels: [Work, '\Important']      # optional, as --label
 *       expect: [save-attachments, move]   # action types, in order
 *
 * expect is the exact list of the plan's action types, default:
 * actions included; [] expects no action at all.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/action.h"
#include "rules/load.h"
#include "rules/rules.h"

#define EXPECT_MAX	64
#define LABELS_MAX	64

/* path relative to the directory of the rule file named file. */
static char *
path_resolve(const char *file, const char *path)
{
	const char	*slash;
	char		*out;
	size_t		 dlen;

	if (path[0] == '/' || (slash = strrchr(file, '/')) == NULL)
		return strdup(path);
	dlen = (size_t)(slash - file) + 1;
	if ((out = malloc(dlen + strlen(path) + 1)) == NULL)
		return NULL;
	memcpy(out, file, dlen);
	memcpy(out + dlen, path, strlen(path) + 1);
	return out;
}

static int
expect_parse(struct rule_load *ld, yaml_node_t *n, struct rule_test *t)
{
	yaml_node_t	*item;
	const char	*s;
	size_t		 i, len, count;
	int		 type;

	if (n->type != YAML_SEQUENCE_NODE)
		return load_error(ld, n, "expect takes a list of action "
		    "types, such as [move, reply]");
	if ((count = load_item_count(n)) > EXPECT_MAX)
		return load_error(ld, n, "more than %d expected actions",
		    EXPECT_MAX);
	if (count > 0 && (t->expect = calloc(count,
	    sizeof(*t->expect))) == NULL)
		return load_error(ld, n, "out of memory");
	for (i = 0; i < count; i++) {
		if ((item = load_item(ld, n, i)) == NULL ||
		    load_scalar(ld, item, "an action type", &s, &len) == -1)
			return -1;
		if ((type = rule_action_type_from_name(s)) == -1)
			return load_error(ld, item, "unknown action type '%s'",
			    s);
		t->expect[t->nexpect++] = (enum rule_action_type)type;
	}
	return 0;
}

/* labels: one label or a list of them, as a source hands them over. */
static int
labels_parse(struct rule_load *ld, yaml_node_t *n, struct rule_test *t)
{
	yaml_node_t	*item;
	size_t		 i, count = 1;

	if (n->type == YAML_SEQUENCE_NODE)
		count = load_item_count(n);
	if (count > LABELS_MAX)
		return load_error(ld, n, "more than %d labels", LABELS_MAX);
	if (count > 0 && (t->labels = calloc(count,
	    sizeof(*t->labels))) == NULL)
		return load_error(ld, n, "out of memory");
	for (i = 0; i < count; i++) {
		item = n->type == YAML_SEQUENCE_NODE ? load_item(ld, n, i) : n;
		if (item == NULL || load_string(ld, item, "a label",
		    &t->labels[i]) == -1)
			return -1;
		t->nlabels++;
	}
	return 0;
}

static int
test_parse(struct rule_load *ld, yaml_node_t *n, struct rule_test *t)
{
	yaml_node_t	*k, *v, *expect = NULL;
	const char	*key;
	char		*msg = NULL;
	size_t		 i;
	int		 rv = -1;

	t->line = (int)n->start_mark.line + 1;
	if (load_expect_mapping(ld, n, "a test { message, expect, account, "
	    "folder, labels }") == -1)
		return -1;
	for (i = 0; i < load_pair_count(n); i++) {
		if (load_pair(ld, n, i, &key, &k, &v) == -1)
			goto out;
		if (strcmp(key, "message") == 0) {
			if (load_string(ld, v, "a message file", &msg) == -1)
				goto out;
		} else if (strcmp(key, "account") == 0) {
			if (load_string(ld, v, "an account", &t->account) == -1)
				goto out;
		} else if (strcmp(key, "folder") == 0) {
			if (load_string(ld, v, "a folder", &t->folder) == -1)
				goto out;
		} else if (strcmp(key, "labels") == 0) {
			if (labels_parse(ld, v, t) == -1)
				goto out;
		} else if (strcmp(key, "expect") == 0)
			expect = v;
		else {
			load_error(ld, k, "unknown key '%s' in a test (keys: "
			    "message, expect, account, folder, labels)", key);
			goto out;
		}
	}
	if (msg == NULL || *msg == '\0' || expect == NULL) {
		load_error(ld, n, "a test needs message and expect");
		goto out;
	}
	if ((t->message = path_resolve(ld->file, msg)) == NULL) {
		load_error(ld, n, "out of memory");
		goto out;
	}
	rv = expect_parse(ld, expect, t);
out:
	free(msg);
	return rv;
}

int
selftest_parse(struct rule_load *ld, yaml_node_t *n)
{
	struct rule_set	*set = ld->set;
	yaml_node_t	*item;
	size_t		 i, count;

	if (n->type != YAML_SEQUENCE_NODE)
		return load_error(ld, n, "tests: takes a list of tests");
	count = load_item_count(n);
	if (count > 0 && (set->tests = calloc(count,
	    sizeof(*set->tests))) == NULL)
		return load_error(ld, n, "out of memory");
	for (i = 0; i < count; i++) {
		if ((item = load_item(ld, n, i)) == NULL)
			return -1;
		set->ntests++;
		if (test_parse(ld, item, &set->tests[i]) == -1)
			return -1;
	}
	return 0;
}

void
selftest_clear(struct rule_test *t)
{
	free(t->message);
	free(t->account);
	free(t->folder);
	while (t->nlabels > 0)
		free(t->labels[--t->nlabels]);
	free(t->labels);
	free(t->expect);
}

size_t
rule_set_test_count(const struct rule_set *set)
{
	return set->ntests;
}

const struct rule_test *
rule_set_test(const struct rule_set *set, size_t i)
{
	return i < set->ntests ? &set->tests[i] : NULL;
}

const char *
rule_test_message(const struct rule_test *t)
{
	return t->message;
}

const char *
rule_test_account(const struct rule_test *t)
{
	return t->account;
}

const char *
rule_test_folder(const struct rule_test *t)
{
	return t->folder;
}

const char *const *
rule_test_labels(const struct rule_test *t, size_t *n)
{
	*n = t->nlabels;
	return (const char *const *)t->labels;
}

int
rule_test_line(const struct rule_test *t)
{
	return t->line;
}

/* "[a, b]" into buf, cut short if need be. */
static void
types_format(char *buf, size_t len, const enum rule_action_type *v,
    size_t n)
{
	size_t	 i, used;

	snprintf(buf, len, "[");
	for (i = 0; i < n; i++) {
		used = strlen(buf);
		snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
		    rule_action_type_name(v[i]));
	}
	used = strlen(buf);
	snprintf(buf + used, len - used, "]");
}

int
rule_test_check(const struct rule_test *t, const struct rule_plan *plan,
    char *err, size_t errlen)
{
	enum rule_action_type	 got[EXPECT_MAX + 1] = { 0 };
	char			 want_s[512], got_s[512];
	size_t			 n = rule_plan_count(plan), i;
	int			 same = n == t->nexpect;

	for (i = 0; i < n && i < EXPECT_MAX + 1; i++) {
		got[i] = rule_action_type(rule_plan_action(plan, i));
		if (same && got[i] != t->expect[i])
			same = 0;
	}
	if (same)
		return 0;
	types_format(want_s, sizeof(want_s), t->expect, t->nexpect);
	types_format(got_s, sizeof(got_s), got, i);
	snprintf(err, errlen, "expected %s, got %s%s", want_s, got_s,
	    n > i ? " ..." : "");
	return -1;
}

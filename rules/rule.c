/* SPDX-License-Identifier: ISC */
/*
 * rule.c - one entry of rules: { name, when, do, stop }.
 *
 * when is compiled before do whatever their order in the file, so the
 * templates of do can be checked against the capture names of when.
 * A rule without when matches every message.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rules/action.h"
#include "rules/cond.h"
#include "rules/load.h"

#define RULE_NAME_MAX	128

struct rule_nodes {
	yaml_node_t	*name, *when, *act, *stop;
};

static int
rule_keys(struct rule_load *ld, yaml_node_t *n, struct rule_nodes *rn)
{
	yaml_node_t	*k, *v;
	const char	*key;
	size_t		 i;

	memset(rn, 0, sizeof(*rn));
	for (i = 0; i < load_pair_count(n); i++) {
		if (load_pair(ld, n, i, &key, &k, &v) == -1)
			return -1;
		if (strcmp(key, "name") == 0)
			rn->name = v;
		else if (strcmp(key, "when") == 0)
			rn->when = v;
		else if (strcmp(key, "do") == 0)
			rn->act = v;
		else if (strcmp(key, "stop") == 0)
			rn->stop = v;
		else
			return load_error(ld, k, "unknown key '%s' in a rule "
			    "(keys: name, when, do, stop)", key);
	}
	if (rn->name == NULL)
		return load_error(ld, n, "rule without a name");
	if (rn->act == NULL)
		return load_error(ld, n, "rule without do: (its actions)");
	return 0;
}

static int
name_check(struct rule_load *ld, yaml_node_t *n, const char *name)
{
	size_t	 i, len = strlen(name);

	if (len == 0 || len > RULE_NAME_MAX)
		return load_error(ld, n, "a rule name has 1 to %d characters",
		    RULE_NAME_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return load_error(ld, n, "control character in a rule "
			    "name");
	return 0;
}

int
rule_parse(struct rule_load *ld, yaml_node_t *n, struct rule *r)
{
	struct rule_nodes	 rn;

	r->line = (int)n->start_mark.line + 1;
	r->col = (int)n->start_mark.column + 1;
	if (load_expect_mapping(ld, n, "a rule { name, when, do, stop }") ==
	    -1 || rule_keys(ld, n, &rn) == -1)
		return -1;
	if (load_string(ld, rn.name, "a rule name", &r->name) == -1 ||
	    name_check(ld, rn.name, r->name) == -1)
		return -1;
	ld->rule = r;
	if (rn.when != NULL && (r->when = cond_parse(ld, rn.when)) == NULL)
		return -1;
	if (load_actions(ld, rn.act, r->name, &r->acts, &r->nacts) == -1)
		return -1;
	if (rn.stop != NULL && load_bool(ld, rn.stop, "true or false",
	    &r->stop) == -1)
		return -1;
	ld->rule = NULL;
	return 0;
}

void
rule_clear(struct rule *r)
{
	size_t	 i;

	free(r->name);
	cond_free(r->when);
	for (i = 0; i < r->nacts; i++)
		act_free(r->acts[i]);
	free(r->acts);
	for (i = 0; i < r->ncap; i++)
		free(r->capnames[i]);
	free(r->capnames);
	memset(r, 0, sizeof(*r));
}

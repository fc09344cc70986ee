/* rulesets.c - loading the accounts' rule sets; see rulesets.h. */
#include <stdio.h>
#include <stdlib.h>

#include "rules/rules.h"
#include "daemon/rulesets.h"

unsigned
rulesets_source_flags(enum acct_type type)
{
	switch (type) {
	case ACCT_IMAP:
		return 0;
	case ACCT_STDIN:
		return RULE_SOURCE_NO_FLAGS | RULE_SOURCE_NO_DELETE;
	default:
		/* move and copy file into Maildir++ folders there */
		return RULE_SOURCE_NO_FLAGS;
	}
}

struct rule_set **
rulesets_load(const struct config *cfg, char *err, size_t errlen)
{
	struct rule_set	**v;
	const struct account *a;
	size_t		  i;

	if ((v = calloc(cfg->naccounts + 1, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < cfg->naccounts; i++) {
		a = &cfg->accounts[i];
		if (a->rules == NULL)
			continue;
		if ((v[i] = rule_set_load(a->rules,
		    rulesets_source_flags(a->type), err, errlen)) == NULL) {
			rulesets_free(v, i);
			return NULL;
		}
	}
	return v;
}

void
rulesets_free(struct rule_set **v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		rule_set_free(v[i]);
	free(v);
}

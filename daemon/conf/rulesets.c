/* SPDX-License-Identifier: ISC */
/* rulesets.c - loading the accounts' rule sets; see rulesets.h. */
#include <sys/stat.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules/rules.h"
#include "daemon/conf/rulesets.h"
#include "daemon/conf/trust.h"

/* As rule_set_load(): a bigger file is not a rule file. */
#define RULESETS_FILE_MAX	(16 * 1024 * 1024)

/*
 * Started as root with `user`, mailsift runs the rules as that user: a
 * rule file of theirs gives them nothing they do not have.
 */
static uid_t
rulesets_runs_as(const struct config *cfg)
{
	struct passwd	 pw, *res = NULL;
	char		 buf[4096];

	if (geteuid() != 0 || cfg->user == NULL ||
	    getpwnam_r(cfg->user, &pw, buf, sizeof(buf), &res) != 0 ||
	    res == NULL)
		return TRUST_NOBODY;
	return pw.pw_uid;
}

/* The rule file's pipe actions run with our privileges: it is read only
 * if no one else can change it (trust.h). */
struct rule_set *
rulesets_load_file(const char *path, unsigned flags, uid_t also, char *err,
    size_t errlen)
{
	struct rule_set	*set;
	struct stat	 st;
	char		 why[PATH_MAX + 256];
	char		*text;
	size_t		 len;

	if ((text = trust_file_read(path, RULESETS_FILE_MAX, also, &st, &len,
	    why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		return NULL;
	}
	set = rule_set_load_buffer(path, text, len, flags, err, errlen);
	free(text);
	return set;
}

struct rule_set **
rulesets_load(const struct config *cfg, rulesets_flags_fn flags, char *err,
    size_t errlen)
{
	struct rule_set	**v;
	const struct account *a;
	uid_t		  also = rulesets_runs_as(cfg);
	size_t		  i;

	if ((v = calloc(cfg->naccounts + 1, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < cfg->naccounts; i++) {
		a = &cfg->accounts[i];
		if (a->rules == NULL)
			continue;
		if ((v[i] = rulesets_load_file(a->rules, flags(a), also, err,
		    errlen)) == NULL) {
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

const char *
rulesets_interpreted(const struct config *cfg, struct rule_set *const *v)
{
	size_t	 i;

	for (i = 0; i < cfg->naccounts; i++)
		if (v[i] != NULL && !rule_set_jit(v[i]))
			return cfg->accounts[i].rules;
	return NULL;
}

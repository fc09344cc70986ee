/* SPDX-License-Identifier: ISC */
/*
 * rulesets.h - the rule sets of a configuration's accounts, loaded
 * together so that a configuration is taken whole or not at all: at
 * start a bad rule file is an error, on SIGHUP it keeps the old
 * configuration and its rule sets running.  A rule file that anyone but
 * root, the user mailsift runs as and the configuration's `user` could
 * change is refused (trust.h): its pipe actions run as us.
 */
#ifndef DAEMON_RULESETS_H
#define DAEMON_RULESETS_H

#include <sys/types.h>
#include <stddef.h>

#include "daemon/conf/conf.h"

struct rule_set;

/* What an account's rules may not ask (RULE_SOURCE_*, rules.h): what its
 * source cannot do.  The caller passes source_rule_flags() (source.h):
 * conf/ sits below the sources and never asks them itself. */
typedef unsigned	(*rulesets_flags_fn)(const struct account *);
/* One rule set per account (NULL for an account without rules), in the
 * order of cfg->accounts.  NULL on error, with the message in err. */
struct rule_set	**rulesets_load(const struct config *, rulesets_flags_fn,
		    char *err, size_t errlen);
/* One rule file, checked as above; also is the uid allowed besides root
 * and us (TRUST_NOBODY: none).  NULL on error, with the message in err. */
struct rule_set	*rulesets_load_file(const char *path, unsigned flags,
		    uid_t also, char *err, size_t errlen);
void		 rulesets_free(struct rule_set **, size_t n);
/* The rule file of the first account whose regexes run in PCRE2's
 * interpreter (its JIT refused: no JIT in the library, or a W^X memory
 * policy), or NULL if all are JIT-compiled. */
const char	*rulesets_interpreted(const struct config *,
		    struct rule_set *const *);

#endif

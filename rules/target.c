/* SPDX-License-Identifier: ISC */
/*
 * target.c - the one parser of delivery target strings, "KIND:ARG"
 * (rules.h).  A new kind (lmtp:, imap:, webhook:) is one line of the
 * table; the daemon maps the kind's name to its delivery target.
 */
#include <stddef.h>
#include <string.h>

#include "rules/rules.h"

static const struct {
	const char	*kind;
	unsigned	 flags;
} target_kinds[] = {
	{ "maildir",	RULE_TARGET_PATH },
	{ "mbox",	RULE_TARGET_PATH },
	{ "lmtp",	0 },
	{ "webhook",	0 },
	{ "imap",	0 },
};

int
rule_target_parse(const char *s, size_t len, struct rule_target *t)
{
	size_t	 i, klen;

	for (i = 0; i < sizeof(target_kinds) / sizeof(target_kinds[0]); i++) {
		klen = strlen(target_kinds[i].kind);
		if (len > klen && s[klen] == ':' &&
		    memcmp(s, target_kinds[i].kind, klen) == 0) {
			t->kind = target_kinds[i].kind;
			t->flags = target_kinds[i].flags;
			t->arg = s + klen + 1;
			t->arglen = len - klen - 1;
			return 0;
		}
	}
	return -1;
}

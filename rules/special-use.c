/* SPDX-License-Identifier: ISC */
/*
 * special-use.c - the SPECIAL-USE attributes (RFC 6154) a folder may be
 * named by in the rules (move, copy) and the configuration (folders).
 * Only the names: the daemon's IMAP source asks the server which
 * folder carries each (daemon/source/imap-special.c).
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "rules/rules.h"

static const char *const special_use[RULE_SPECIAL_USE_N] = {
	"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent",
	"\\Trash"
};

int
rule_special_use_index(const char *s, size_t len)
{
	int	 i;

	for (i = 0; i < RULE_SPECIAL_USE_N; i++)
		if (strlen(special_use[i]) == len &&
		    strncasecmp(special_use[i], s, len) == 0)
			return i;
	return -1;
}

const char *
rule_special_use_name(int index)
{
	if (index < 0 || index >= RULE_SPECIAL_USE_N)
		return NULL;
	return special_use[index];
}

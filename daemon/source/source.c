/* SPDX-License-Identifier: ISC */
/* source.c - the source table; see source.h. */
#include <stddef.h>

#include "rules/rules.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/source/source.h"
#include "daemon/util/log.h"

/* Each defined in its source's own file. */
extern const struct source source_imap;
extern const struct source source_pop3;
extern const struct source source_maildir;
extern const struct source source_mbox;
extern const struct source source_stdin;

static const struct source *const sources[] = {
	&source_imap,
	&source_pop3,
	&source_maildir,
	&source_mbox,
	&source_stdin,
};

const struct source *
source_find(enum acct_type type)
{
	size_t	 i;

	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (sources[i]->type == type)
			return sources[i];
	log_fatal("no source for account type %d", (int)type);
}

const struct source *
source_of(const struct account *acct)
{
	return source_find(acct->type);
}

unsigned
source_rule_flags(const struct account *acct)
{
	unsigned	 caps = source_of(acct)->caps, flags = 0;

	/* move and copy always work: without server folders they file
	 * into Maildir++ folders of the target */
	if ((caps & SOURCE_FLAGS) == 0)
		flags |= RULE_SOURCE_NO_FLAGS;
	if ((caps & SOURCE_DELETE) == 0)
		flags |= RULE_SOURCE_NO_DELETE;
	if ((caps & SOURCE_FOLDERS) == 0)
		flags |= RULE_SOURCE_LOCAL_FOLDERS;	/* no \Junk there */
	return flags;
}

int
source_fetch(const struct account *acct, struct pipeline *pl)
{
	const struct source *src = source_of(acct);

	pipeline_set_server_folders(pl, (src->caps & SOURCE_FOLDERS) != 0);
	return src->fetch(acct, pl);
}

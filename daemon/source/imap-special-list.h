/* SPDX-License-Identifier: ISC */
/*
 * imap-special-list.h - the folders a server marks with SPECIAL-USE
 * attributes (RFC 6154), read from its LIST responses
 * (imap-special-list.c).  Pure: it calls nothing of the session, so
 * imap.c can hand it the untagged LIST responses of the LIST that
 * imap-special.c sends.
 */
#ifndef DAEMON_IMAP_SPECIAL_LIST_H
#define DAEMON_IMAP_SPECIAL_LIST_H

#include <stddef.h>

#include "rules/rules.h"
#include "daemon/source/imap-folder.h"
#include "daemon/source/imap-resp.h"

/* Per session: the folder marked with each attribute (the first one
 * the server lists), as the server spells it and in UTF-8. */
struct imap_special {
	int	 known;		/* the LIST was answered this session */
	int	 listing;	/* that LIST is under way: its responses
				 * come here (imap.c), not to imap-folder.c */
	int	 utf8;		/* names in UTF-8 (UTF8=ACCEPT), else in
				 * modified UTF-7 */
	/* the server's bytes (for the wire) and in UTF-8; "" none */
	char	 raw[RULE_SPECIAL_USE_N][IMAP_FOLDER_MAX + 1];
	char	 name[RULE_SPECIAL_USE_N][IMAP_FOLDER_MAX + 1];
	/* marked folders left out: a name too long, not valid modified
	 * UTF-7 or UTF-8, with a control character, or not selectable */
	unsigned skipped;
};

/* One untagged LIST response (after "LIST"): the attributes it carries
 * recorded against its name.  Anything malformed is ignored.  Pure. */
void	imap_special_list(struct imap_special *, struct imap_scan *);

#endif

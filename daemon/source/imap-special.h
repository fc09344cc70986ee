/* SPDX-License-Identifier: ISC */
/*
 * imap-special.h - SPECIAL-USE folders (RFC 6154, imap-special.c).  A
 * folder written \Junk, \Archive, \Trash, \Sent, \Drafts, \All or
 * \Flagged (a rule's move or copy, an account's folders) is whatever
 * folder the server marks with that attribute: Gmail's "[Gmail]/Spam",
 * a localised "Pourriel".  The server is asked once per session, with
 * LIST (SPECIAL-USE) "" "*" where it has SPECIAL-USE, else LIST "" "*"
 * and the attributes it gives.  Where it marks none, the folder is an
 * error that says so; nothing named "\Junk" is ever created.
 *
 * The parsing of LIST responses is pure (imap_special_list()) and owns
 * nothing of the session; imap_special_resolve() is the one entry point
 * that asks the server, for imap-fetch.c and any source that must find
 * a marked folder (Gmail's \Trash for a delete).
 */
#ifndef DAEMON_IMAP_SPECIAL_H
#define DAEMON_IMAP_SPECIAL_H

#include <stddef.h>

#include "rules/rules.h"
#include "daemon/source/imap-folder.h"
#include "daemon/source/imap-resp.h"

struct imap;

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

/* 1 if a folder as written names an attribute (starts with '\'). */
int	imap_special_is(const char *name);
/* One untagged LIST response (after "LIST"): the attributes it carries
 * recorded against its name.  Anything malformed is ignored.  Pure. */
void	imap_special_list(struct imap_special *, struct imap_scan *);
/* Modified UTF-7 (RFC 3501 5.1.3) in[0..len) as UTF-8 in out: 0, or -1
 * if it is not valid or not in its one canonical form (the name would
 * not come back the same).  Pure. */
int	imap_mutf7_decode(const char *in, size_t len, char *out,
	    size_t outlen);

/*
 * The folder the server marks with attr ("\Junk", any case): its name
 * in UTF-8 (server, for messages) and as a quoted string for commands
 * (wire).  The server is asked on the first call of the session.  -1
 * with the reason in s->err: attr is not an attribute, the server marks
 * no such folder (the error names the attribute and the account), or
 * the LIST failed.
 */
int	imap_special_resolve(struct imap *, const char *attr, char *server,
	    size_t serverlen, char *wire, size_t wirelen);

#endif

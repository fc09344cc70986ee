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
 * The LIST responses are read by imap-special-list.c (pure, owning
 * nothing of the session); imap_special_resolve() is the one entry point
 * that asks the server, for imap-fetch.c and any source that must find
 * a marked folder (Gmail's \Trash for a delete).
 */
#ifndef DAEMON_IMAP_SPECIAL_H
#define DAEMON_IMAP_SPECIAL_H

#include <stddef.h>

struct imap;

/* 1 if a folder as written names an attribute (starts with '\'). */
int	imap_special_is(const char *name);
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

/* SPDX-License-Identifier: ISC */
/*
 * imap-notify.h - the pure parts of watching several folders with
 * NOTIFY (RFC 5465): the NOTIFY SET command, and the STATUS response by
 * which the server names a folder that changed.  No session, no I/O:
 * imap-idle.c uses them, tests call them directly.
 */
#ifndef DAEMON_IMAP_NOTIFY_H
#define DAEMON_IMAP_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/source/imap-resp.h"

#define IMAP_STATUS_MESSAGES	0x01
#define IMAP_STATUS_UIDNEXT	0x02
#define IMAP_STATUS_UIDVALIDITY	0x04

struct imap_status {
	uint32_t	 messages, uidnext, uidvalidity;
	uint64_t	 highestmodseq;	/* CONDSTORE; 0: none or not valid */
	unsigned	 have;		/* IMAP_STATUS_* */
};

/* The rest of an untagged "STATUS mailbox (att value ...)" (the scanner
 * just past the word STATUS): the mailbox as the server spelled it on
 * the wire (a quoted string unescaped, an atom or literal as is) into
 * name, NUL-terminated, and the attributes we know.  0, or -1 when the
 * response is malformed or the name does not fit (or holds a NUL). */
int	imap_status_parse(struct imap_scan *, char *name, size_t namelen,
	    struct imap_status *);
/* The bytes inside a quoted string as imap_folder_quote() writes it
 * ("a\"b" -> a"b): what imap_status_parse() gives for the same name.
 * 0, or -1 if q is not a quoted string or out is too small. */
int	imap_unquote(const char *q, char *out, size_t outlen);
/* Index of name in raw[0..n) (INBOX in any case, as RFC 3501 says), or
 * -1. */
long	imap_notify_match(const char *const *raw, size_t n, const char *name);
/* "NOTIFY SET (SELECTED (MessageNew MessageExpunge)) (MAILBOXES (q...)
 * (MessageNew MessageExpunge))" for the quoted names q[0..n) into out
 * (without tag and CRLF); -1 if it does not fit.  RFC 5465 section 5.2:
 * MessageNew goes with MessageExpunge; new mail in a folder not selected
 * comes as STATUS (MESSAGES, UIDNEXT), in the selected one as EXISTS. */
int	imap_notify_cmd(const char *const *q, size_t n, char *out,
	    size_t outlen);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * imap-gmail.h - Gmail's IMAP extensions (capability X-GM-EXT-1), as
 * Google describes them in
 * https://developers.google.com/gmail/imap/imap-extensions :
 * X-GM-MSGID (a 64-bit id, the same for one message in every folder it
 * shows up in), X-GM-LABELS (the message's labels, a parenthesised list
 * of astrings; system labels are atoms with a backslash, \Inbox,
 * \Important...), and STORE +X-GM-LABELS / -X-GM-LABELS.
 *
 * The parsers here are pure (unit-tested on hostile replies); the few
 * calls that talk to the server (a label added or removed, Gmail's
 * delete as a move to \Trash, the SPECIAL-USE lookup it needs) take the
 * session and are used by imap-fetch.c.
 */
#ifndef DAEMON_IMAP_GMAIL_H
#define DAEMON_IMAP_GMAIL_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/source/imap-resp.h"

/* Labels kept per message; more are dropped and counted. */
#define GM_LABELS_MAX	64
/* Bytes of all of one message's labels, UTF-8, NUL-separated. */
#define GM_LABELS_BYTES	4096

struct gm_labels {
	const char	*v[GM_LABELS_MAX];	/* into buf */
	size_t		 n;
	size_t		 dropped;	/* too many, too long, or not text */
	char		 buf[GM_LABELS_BYTES];
	size_t		 used;
};

/*
 * The value of X-GM-LABELS: first is the token after the attribute
 * name ("(" or NIL), sc is left after the closing ")".  Quoted labels
 * are unescaped, literals taken from the response; outside UTF8=ACCEPT
 * (utf8 0) non-ASCII names come in modified UTF-7 (RFC 3501 5.1.3) and
 * are decoded to UTF-8.  A label with a control byte, invalid UTF-8 or
 * a broken modified UTF-7 run is dropped (counted), never kept raw.
 * -1 only when the response is malformed (nested lists, no ")").
 */
int	gm_labels_parse(struct imap_scan *, const struct imap_tok *first,
	    int utf8, struct gm_labels *);

/* X-GM-MSGID: an unsigned 64-bit number, all of its range; -1 if the
 * token is not one. */
int	gm_msgid_parse(const struct imap_tok *, uint64_t *);

/* A label for STORE: a system label (\Name, letters only) as an atom,
 * anything else as a quoted string (modified UTF-7 unless utf8); -1 if
 * it does not fit or holds a control byte. */
int	gm_label_wire(const char *label, int utf8, char *out, size_t outlen);


#endif

/* SPDX-License-Identifier: ISC */
/*
 * imap-folder.h - folder names as the user means them (imap-folder.c):
 * written with '/', mapped to the server's personal namespace.  Pure:
 * it calls nothing of the session, so imap.c can hand it the untagged
 * NAMESPACE and LIST responses and imap-fetch.c can map names with it.
 */
#ifndef DAEMON_IMAP_FOLDER_H
#define DAEMON_IMAP_FOLDER_H

#include <stddef.h>

#include "daemon/source/imap-resp.h"

/*
 * The server's personal namespace (RFC 2342 NAMESPACE, or the hierarchy
 * delimiter of LIST "" ""), asked once, when a folder other than INBOX
 * is first named.  A folder is written with '/' in the configuration
 * and the rules; imap_folder_map() turns it into the server's name.
 */
#define IMAP_FOLDER_MAX	512	/* bytes of a mapped name, UTF-8 */

struct imap_ns {
	int	 known;		/* asked (NAMESPACE or LIST answered) */
	char	 prefix[128];	/* personal prefix, e.g. "INBOX." or "" */
	char	 delim;		/* hierarchy delimiter; 0: flat server */
};

/* The server name of a folder written with '/' (out,
 * UTF-8), or -1 with the reason in err.  Pure: unit-tested. */
int	imap_folder_map(const struct imap_ns *, const char *name, char *out,
	    size_t outlen, char *err, size_t errlen);
/* The error of a COPY, MOVE or SELECT says the folder is missing. */
int	imap_folder_missing(const char *err);
/* The untagged NAMESPACE and LIST responses (after their keyword). */
void	imap_ns_namespace(struct imap_ns *, struct imap_scan *);
void	imap_ns_list(struct imap_ns *, struct imap_scan *);

#endif

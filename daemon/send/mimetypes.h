/* SPDX-License-Identifier: ISC */
/*
 * mimetypes.h - the mime.types table: which content type an attachment
 * gets from its file name's extension.  It reads a file (and nothing
 * else: no network, no logging) and knows nothing of composing; compose
 * asks it.
 */
#ifndef DAEMON_SEND_MIMETYPES_H
#define DAEMON_SEND_MIMETYPES_H

#include <stddef.h>

struct mimetypes;

/*
 * Content types.  mimetypes_load() reads a mime.types file ("type
 * ext ext ..." lines, '#' comments); NULL path means /etc/mime.types.
 * A file that does not exist is no error: a small built-in table is
 * used, and consulted after the file in any case.
 */
struct mimetypes *mimetypes_load(const char *path, char *err,
		    size_t errlen);
void		 mimetypes_free(struct mimetypes *);
/* "type/subtype" for the file name's extension (case-insensitive);
 * application/octet-stream when unknown.  NULL table: the process's,
 * loaded from /etc/mime.types on first use. */
const char	*mimetypes_lookup(const struct mimetypes *,
		    const char *filename);

/* 1 if s is "type/subtype", both RFC 2045 tokens. */
int		 mimetype_is_valid(const char *, size_t);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * msgview.h - a parsed message shown: the MIME tree as text, or one
 * JSON object (the output of `mailsift parse` and `parse --json`), and
 * the same object with the message's content for a webhook (its
 * decoded text and HTML bodies, its attachments inline in base64 within
 * a budget).  Writes to a stdio stream (open_memstream() for memory);
 * reads only the message's bytes, and writes files only to extract
 * attachments (--extract, into dirfd).  Errors about the message go to
 * stderr as `parse` shows them.
 */
#ifndef DAEMON_UTIL_MSGVIEW_H
#define DAEMON_UTIL_MSGVIEW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct msgview_opts {
	int		 json;
	int		 hash;		/* the SHA-256 of every decoded leaf */
	const char	*extract;	/* a directory, or NULL */
	int		 dirfd;		/* ... open, or -1 */
	/* the webhook's content (JSON only): "text" and "html" members,
	 * and each attachment's bytes as "content_base64" while the sum
	 * of their sizes stays within inline_max (else "inline": false) */
	int		 content;
	uint64_t	 inline_max;
	/* with content: called for each attachment, inlined or not
	 * (multipart: a file part each); 0, or -1 to fail */
	int		(*attachment)(void *arg, const char *path,
			    const char *type, const char *filename,
			    const char *data, size_t len);
	void		*arg;
};

/* One message: the tree (o->json == 0) or one JSON object and a
 * newline.  file names it (the "file" member); 0, or -1 (said on
 * stderr). */
int	msgview_write(FILE *f, const struct msgview_opts *o, const char *file,
	    const char *data, size_t len);

#endif

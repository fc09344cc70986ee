/* SPDX-License-Identifier: ISC */
/*
 * local.h - what the local sources share (local-maildir.c, local-mbox.c,
 * local-stdin.c): handing a message they read to the pipeline.  Local
 * sources key a message by its bytes or its file name (a uidl), never by
 * folder or UID.  Not for other callers: the source table (source.h) is.
 */
#ifndef DAEMON_LOCAL_H
#define DAEMON_LOCAL_H

#include <stddef.h>

struct pipeline;

/* Hand a copy of data[0..len) to the pipeline under key (seq: the
 * source's own index, given back to its committed callback); the copy
 * because the pipeline may change it in place and data may be a
 * read-only mapping.  As pipeline_add(): 0, or -1. */
int	local_add(struct pipeline *, const char *key, unsigned seq,
	    const char *data, size_t len);

#endif

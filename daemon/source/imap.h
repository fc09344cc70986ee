/* SPDX-License-Identifier: ISC */
/*
 * imap.h - the IMAP source (RFC 3501, works with IMAP4rev2 servers):
 * imap.c is the session, imap-fetch.c the round.  The source table
 * (source.h) calls imap_fetch(); tests call it directly.
 *
 * Contract: a message is flagged, moved or deleted on the server only
 * after the pipeline reported it durably delivered and recorded; bodies
 * are fetched with BODY.PEEK[] so nothing is marked \Seen before that.
 */
#ifndef DAEMON_IMAP_H
#define DAEMON_IMAP_H

#include "daemon/conf/conf.h"

struct pipeline;

/* One round over the account's folders (and IDLE on the first if the
 * account says so): 0, or -1 (logged). */
int	imap_fetch(const struct account *, struct pipeline *);

#endif

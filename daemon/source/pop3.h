/* SPDX-License-Identifier: ISC */
/*
 * pop3.h - the POP3 source (RFC 1939, CAPA RFC 2449, STLS RFC 2595,
 * AUTH RFC 5034): pop3.c is the session, pop3-fetch.c the round (the
 * maildrop).  The source table (source.h) calls pop3_fetch(); tests
 * call it directly.
 *
 * Contract: a message is DELEted only after the pipeline reported it
 * durably delivered and recorded (the committed callback), or when an
 * earlier round recorded it and it is still on the server; never one
 * skipped as oversized, and nothing at all once delivery failed or the
 * session went wrong (we then close without QUIT, so the server keeps
 * everything).
 */
#ifndef DAEMON_POP3_H
#define DAEMON_POP3_H

#include "daemon/conf/conf.h"

struct pipeline;

/* One round over the maildrop: 0, or -1 (logged). */
int	pop3_fetch(const struct account *, struct pipeline *);
/* Connect, read and write timeout of every POP3 session, in milliseconds
 * (default 60000).  Set before sessions start; tests make it short. */
void	pop3_set_timeout(int ms);

#endif

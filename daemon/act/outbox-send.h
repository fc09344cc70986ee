/* SPDX-License-Identifier: ISC */
/*
 * outbox-send.h - sending what the reply, forward and redirect actions
 * queued in the state's outbox (outbox-send.c).  The scheduler calls it
 * at the end of an account's round, the pipeline before each IDLE wait
 * that follows a fetch; it never queues anything itself.
 */
#ifndef DAEMON_ACT_OUTBOX_SEND_H
#define DAEMON_ACT_OUTBOX_SEND_H

#include "daemon/conf/conf.h"

struct state;

/* Send one batch of what is due in the outbox for this account; 1 if
 * the batch was full (more may be due), 0 if not, -1 if some could not
 * be sent (they stay queued for their backoff, logged). */
int	outbox_send(const struct config *, struct state *,
	    const char *account);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * reply.h - the reply, forward and redirect actions (reply.c): the
 * message is composed and queued in the state's outbox under the
 * action's key, so a refetch queues it once; nothing is sent here (the
 * outbox drain, outbox-send.h, does that at the end of the round).
 */
#ifndef DAEMON_ACT_REPLY_H
#define DAEMON_ACT_REPLY_H

#include <stddef.h>

#include "daemon/conf/conf.h"

struct mime_message;
struct rule_action;
struct state;

/* An auto-reply to m (orig, len: its raw bytes), if it is due (see
 * reply.c); 0 when queued or rightly not due, -1 (logged). */
int	reply_queue(struct state *, const struct config *,
	    const struct account *, const struct rule_action *,
	    const struct mime_message *, const char *orig, size_t len,
	    const char *key);
/* The message forwarded (attached), or with redirect resent as it is
 * to the rule's address; 0, or -1 (logged). */
int	forward_queue(struct state *, const struct config *,
	    const struct account *, const struct rule_action *,
	    const char *orig, size_t len, const char *key, int redirect);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * webhook-send.h - the webhook drain: posting what the webhook target
 * queued in the state (store/queue.h), signed, and writing each outcome
 * back.  The scheduler calls it at the end of an account's round, as it
 * calls the outbox's; it never queues anything itself.
 *
 * Each request carries
 *   X-Mailsift-Delivery: KEY   the delivery id, the same on every retry
 *   X-Mailsift-Signature: t=TIMESTAMP,v1=HEX
 *                       HEX = HMAC-SHA256(secret, "TIMESTAMP.BODY"),
 *                       TIMESTAMP the Unix time of this attempt, so a
 *                       receiver checks origin and freshness
 * and the webhook's own headers.  The answer decides:
 *   2xx                 delivered
 *   408, 429, 5xx, a timeout, no connection, a reset
 *                       tried again after a backoff (retry-min doubled
 *                       per attempt, at most 6 h; 429 and 503: the
 *                       server's Retry-After instead, at most 1 day)
 *   any other answer (4xx, a 3xx: redirects are refused)
 *                       refused for good: recorded "failed", logged
 * and a delivery still not done retry-time after it was queued is given
 * up: recorded "expired", logged.  `mailsift state` counts each status.
 */
#ifndef DAEMON_ACT_WEBHOOK_SEND_H
#define DAEMON_ACT_WEBHOOK_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/conf/conf.h"
#include "daemon/net/http.h"

struct state;

enum webhook_verdict {
	WEBHOOK_DELIVERED,
	WEBHOOK_RETRY,
	WEBHOOK_PERMANENT
};

/* Post one batch of what is due for this account; 1 if the batch was
 * full (more may be due), 0 if not, -1 if some were refused for good or
 * given up (logged).  One to be tried again is no error: it is safe in
 * the queue, and logged as a warning. */
int	webhook_send(const struct config *, struct state *,
	    const char *account);

/* What an answer means (above). */
enum webhook_verdict webhook_classify(const struct http_response *);
/* Seconds until the next attempt after `attempts` failed ones. */
int64_t	webhook_backoff(int attempts, long retry_min, long retry_after);
/* "t=T,v1=HEX" into out; 0, or -1 if it does not fit or OpenSSL
 * fails. */
int	webhook_sign(const char *secret, int64_t t, const char *body,
	    size_t len, char *out, size_t outlen);

#endif

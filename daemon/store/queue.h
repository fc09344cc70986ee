/* SPDX-License-Identifier: ISC */
/*
 * queue.h - the state store's delivery queue: messages a target has
 * handed over for a later send (the webhook target: one HTTP request
 * each), kept until they are delivered, refused for good, or given up.
 *
 * A row goes in with the record of its delivery, in ONE transaction
 * (state_intents_complete_batch(), state.h): either the intent is completed and
 * the row is there, or neither.  So a crash never loses a queued
 * message nor queues it twice; the key (the target's idempotency key,
 * unique) makes a second insert of the same delivery change nothing.
 * The drain (act/webhook-send.c) takes due rows and writes each
 * outcome back, one row update each.  Sending is at least once: a crash
 * between the receiver's 2xx and state_queue_done() sends again, with
 * the same key.
 *
 * Status: "queued" (next_try says when), "delivered", "failed" (refused
 * for good by the receiver), "expired" (given up after the retry time).
 * A row no longer queued keeps its key and outcome, not its bytes.
 */
#ifndef DAEMON_STORE_QUEUE_H
#define DAEMON_STORE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/store/state.h"

/* One message to queue, with the intent it completes. */
struct queue_item {
	const char	*kind;		/* the target's name: "webhook" */
	const char	*key;		/* idempotency key, unique */
	const char	*target;	/* the section it goes to */
	const char	*account;
	const char	*entry;		/* the bytes to send */
	size_t		 len;
};

struct queue_entry {
	int64_t		 id;
	char		*kind;
	char		*key;
	char		*target;
	char		*account;
	char		*entry;		/* NUL-terminated copy */
	size_t		 len;
	int		 attempts;
	int64_t		 created;
};

struct queue_counts {
	uint64_t	 queued;
	uint64_t	 delivered;
	uint64_t	 failed;
	uint64_t	 expired;
	int64_t		 oldest;	/* created of the oldest queued, 0 */
};

/* Queued entries of kind for account (NULL: all) due at now (at most
 * max), oldest first; free each with state_queue_entry_free() and the
 * array with free(). */
int	state_queue_due(struct state *, const char *kind, const char *account,
	    int64_t now, size_t max, struct queue_entry **, size_t *n, char *err,
	    size_t errlen);
void	state_queue_entry_free(struct queue_entry *);
/* 1 if key is in the queue (whatever its status), 0 if not. */
int	state_queue_has(struct state *, const char *key, char *err,
	    size_t errlen);
int	state_queue_done(struct state *, int64_t id, char *err,
	    size_t errlen);
/* A temporary failure: again at next_try. */
int	state_queue_retry(struct state *, int64_t id, int64_t next_try,
	    const char *why, char *err, size_t errlen);
/* A permanent refusal ("failed") or the retry time over ("expired"). */
int	state_queue_failed(struct state *, int64_t id, const char *status,
	    const char *why, char *err, size_t errlen);
int	state_queue_counts(struct state *, const char *kind,
	    struct queue_counts *, char *err, size_t errlen);

#endif

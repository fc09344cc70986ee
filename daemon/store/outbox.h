/* SPDX-License-Identifier: ISC */
/*
 * outbox.h - the state store's queue of outgoing mail (auto-replies,
 * forwards, redirects), the reply rate limit, and the log of actions
 * already done for a message.
 *
 * Every entry has a key naming the message, the rule and the action, so
 * queueing it again after a crash or a refetch changes nothing: a reply
 * is queued once.  Sending is at least once: a crash between the SMTP
 * server's 250 and the end of state_outbox_sent() sends that one
 * message again.  The sender (act/outbox-send.c) records before QUIT
 * (smtp_send_then()), so that window is the one commit.
 */
#ifndef DAEMON_OUTBOX_H
#define DAEMON_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/store/state.h"

struct outbox_entry {
	int64_t		 id;
	char		*account;
	char		*smtp;
	char		*sender;	/* "" for the null sender <> */
	char		*rcpts;		/* one address per line */
	char		*data;
	size_t		 len;
	int		 attempts;
};

/* Queue a message; 1 if queued now, 0 if the key was queued before. */
int	state_outbox_add(struct state *, const char *key, const char *account,
	    const char *smtp, const char *sender, const char *rcpts,
	    const char *data, size_t len, char *err, size_t errlen);
/* Entries of account (NULL: all) due at `now` (at most max), oldest
 * first; free each with state_outbox_entry_free() and the array with
 * free(). */
int	state_outbox_due(struct state *, const char *account, int64_t now,
	    size_t max,
	    struct outbox_entry **, size_t *n, char *err, size_t errlen);
void	state_outbox_entry_free(struct outbox_entry *);
int	state_outbox_sent(struct state *, int64_t id, char *err,
	    size_t errlen);
/* A temporary failure: try again at next_try. */
int	state_outbox_retry(struct state *, int64_t id, int64_t next_try,
	    const char *why, char *err, size_t errlen);
/* A permanent failure: never again. */
int	state_outbox_failed(struct state *, int64_t id, const char *why,
	    char *err, size_t errlen);
/* Counts per status, for `mailsift state`. */
int	state_outbox_counts(struct state *, uint64_t *queued, uint64_t *sent,
	    uint64_t *failed, char *err, size_t errlen);

/* The reply rate limit: 1 if rule may reply to sender now (and the reply
 * is recorded at now, atomically), 0 if it replied within `every`
 * seconds. */
int	state_reply_allow(struct state *, const char *account,
	    const char *rule, const char *sender, int64_t now, int64_t every,
	    char *err, size_t errlen);

/* An auto-reply: in one transaction, take the rate limit (as
 * state_reply_allow) and queue the message under key, so that a crash
 * between them cannot leave the limit taken and no reply queued.  1 if
 * queued now, 0 if rule replied to sender within `every` (nothing
 * changed), 2 if key was queued before (the limit is left alone). */
struct outbox_msg {
	const char	*key;
	const char	*account;
	const char	*smtp;
	const char	*sender;	/* "" for the null sender <> */
	const char	*rcpts;		/* one address per line */
	const char	*data;
	size_t		 len;
};
int	state_reply_queue(struct state *, const struct outbox_msg *,
	    const char *rule, const char *to, int64_t now, int64_t every,
	    char *err, size_t errlen);

/* 1 if the action key was done before, 0 if not; state_action_mark()
 * records it. */
int	state_action_done(struct state *, const char *key, char *err,
	    size_t errlen);
int	state_action_mark(struct state *, const char *key, char *err,
	    size_t errlen);

#endif

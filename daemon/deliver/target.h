/* SPDX-License-Identifier: ISC */
/*
 * target.h - the contract of a delivery target: what one kind of target
 * (maildir.c, mbox.c; later lmtp, imap: APPEND, webhook) provides so that
 * the batch commit (deliver-commit.c, batch_commit()) keeps the order of
 * the guarantee in deliver.h and recovery (recover.c) can settle every
 * intent a crash leaves.  One file per kind, exporting one struct target.
 * A target never calls the dispatcher (deliver.c), the commit or the
 * recovery: it uses only this header (and target.c behind it),
 * target-util.h, the state's types and daemon/util/.  It never writes the state: intents and records are
 * the commit's.
 *
 * THE ORDER.  batch_commit() calls the steps of every kind of target in
 * the batch, one step for all kinds before the next step:
 *   stage     (delivery_stage(), per message, before the commit) hold the
 *             bytes where no reader sees them (Maildir: tmp/NAME; mbox
 *             and network targets: memory, s->entry) and fill the intent
 *             s->in: name, content, length, whatever settle will need.
 *   prepare   take what the batch needs before its intents are written,
 *             because they name it: mbox locks the files and places each
 *             entry at an offset.  A failure here takes the batch back;
 *             nothing was recorded.
 *   -- intent: the commit writes every intent, one transaction --
 *   flush     make the staged bytes durable, still invisible (Maildir:
 *             one syncfs() per file system; mbox: nothing to do).
 *   publish   make each message visible AND durable, in batch order, and
 *             set its state: STAGED_VISIBLE when it is, STAGED_UNDONE
 *             when it was taken back (never seen by a reader),
 *             STAGED_DOUBT when the outcome cannot be known (its intent
 *             stays for recovery).  Maildir: rename into new/, then
 *             fsync new/; mbox: append under the locks, then fsync (cut
 *             back on failure).  If the report has failed already, take
 *             everything back instead.
 *   release   give back what prepare took (unlock, disconnect); also
 *             after a failed prepare, for what it holds by then.
 *   -- record: the commit marks VISIBLE as delivered, drops UNDONE --
 *   -- then the caller flags or deletes on the server --
 * Errors after the intents go to the report (target_report_error()):
 * the first one is the caller's, the others are logged.
 *
 * RECOVERY.  settle() gets the pending intents of its kind (sorted by
 * path, offset, id) and decides each from what it finds: delivered
 * (target_settle_done), not delivered (target_settle_undo: the message
 * is fetched again), or unknown (target_settle_fail: the intent stays).
 * Maildir: the file is in new/ or cur/; mbox: the entry's SHA-256 at its
 * offset, a torn tail cut back.
 *
 * A NETWORK TARGET (LMTP, IMAP APPEND, HTTP) fits the same steps; its
 * "make visible" is the remote's acknowledgement:
 *  - stage formats the message in memory (s->entry, s->in.length) and
 *    sets s->in.name to an idempotency key, the same on every retry of
 *    this delivery (derived from account, folder, UIDVALIDITY, UID or
 *    UIDL and the target), and s->in.path to the address (socket,
 *    host:port, ACCOUNT/FOLDER, webhook name).  IMAP APPEND also puts
 *    the key into the message (X-Mailsift-Id) so it can be looked up.
 *  - open takes what it needs beyond the string from dv->ctx (deliver.h:
 *    the account it delivers for, the configuration's sections it names)
 *    and refuses clearly when ctx is NULL and it needs one.
 *  - prepare connects, authenticates and selects (LHLO, LOGIN, TLS), so
 *    that a server that is down costs no intent: the batch is taken back
 *    and fetched again next round.  nheld counts the connections.
 *  - flush has nothing to do: the bytes become durable at the remote.
 *  - publish sends (one LMTP transaction, MULTIAPPEND or pipelined
 *    APPENDs, one HTTP request per message) and marks a message VISIBLE
 *    only on its positive acknowledgement (LMTP 250 for the recipient,
 *    the tagged OK of APPEND, HTTP 2xx); a refusal, temporary or
 *    permanent, is UNDONE with the error in the report; a connection
 *    lost after the message was sent and before its reply is DOUBT.
 *  - release says QUIT or LOGOUT, or keeps the connection in dv->priv.
 *  - settle looks the key up where a lookup exists (IMAP: SEARCH HEADER
 *    X-Mailsift-Id KEY in the destination folder: found -> done, absent
 *    -> undo: exactly once); where none exists (LMTP, HTTP) it undoes,
 *    and the message is delivered again, with the same key for a
 *    receiver to drop (at least once).  A remote it cannot reach is
 *    settled later (target_settle_later): the intent stays, the daemon
 *    starts, and recovery asks again at the start of later rounds.
 *  The window left: a crash after the acknowledgement and before the
 *  record commit (one state transaction) delivers the message again on
 *  LMTP; a local target has no such window (the intent decides from
 *  what is on disk).
 *
 * A QUEUED TARGET (webhook.c: .queued = 1) does not reach its remote
 * inside the commit: a receiver may be down for days, and a round must
 * not wait for it.  stage formats the request (s->entry, s->in.length:
 * its entity, headers and body) with its key in s->in.name and its
 * section in s->in.path; prepare, flush and release have nothing to
 * do; publish only marks each message VISIBLE.  The record step then
 * writes each VISIBLE message's entry into the state's delivery queue
 * (store/queue.h) in the SAME transaction that records it delivered
 * (state_intents_complete_batch()), so the target still never writes
 * the state and the queue gets each message exactly once: an intent
 * left by a crash means that transaction did not commit, no row is
 * there, and settle undoes it (fetched and queued again).  A drain
 * outside deliver/ (act/webhook-send.c, run by sched/ after each round)
 * sends the queue, retrying with backoff: at least once, the same key
 * on every attempt.
 */
#ifndef DAEMON_DELIVER_TARGET_H
#define DAEMON_DELIVER_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/store/state.h"
#include "daemon/deliver/target-util.h"	/* DELIVERY_CRLF, helpers */

struct target;
struct config;
struct delivery_ctx;	/* deliver.h */

/* A target opened for one folder (deliver.h: delivery_open()). */
struct delivery {
	const struct target	*target;
	char			*path;	/* Maildir dir, mbox file, address */
	const struct delivery_ctx *ctx;	/* the opener's; may be NULL */
	void			*priv;	/* the target's, open to close */
};

enum staged_state {
	STAGED_WRITTEN,		/* in tmp/ or memory; no intent yet */
	STAGED_JOURNALED,	/* intent committed */
	STAGED_VISIBLE,		/* published: visible and durable */
	STAGED_DONE,		/* recorded as delivered */
	STAGED_UNDONE,		/* taken back; its intent is dropped */
	STAGED_DOUBT		/* outcome unknown: the intent stays */
};

/* One message of a batch for one target. */
struct staged {
	struct delivery		*dv;
	struct state_intent	 in;
	char			*entry;	/* bytes held in memory (mbox: the
					 * From_ line and body), in.length */
	enum staged_state	 state;
	/* what the source knows of it (delivery_stage_meta()), for a
	 * target with keeps_meta: its flags ("\\Seen $Label"; NULL:
	 * none known) and its date there (0: none known) */
	char			*src_flags;
	int64_t			 src_date;
	long			 src_zone;	/* seconds east of UTC */
	/* UNDONE by a permanent refusal the account chose to skip (lmtp-
	 * reject = skip): the caller records it as skipped, never
	 * fetched again, never deleted on the server */
	int			 refused;
};

/* The messages of one batch for one kind of target, in batch order. */
struct target_group {
	const struct target	*target;
	struct staged		**v;
	size_t			 n;
	void			*held;	/* the target's, prepare to release */
	size_t			 nheld;	/* locks or connections held */
};

/* The steps' errors after the intents are written. */
struct target_report {
	char		*err;		/* the first error, for the caller */
	size_t		 errlen;
	int		 failed;
	int		 nospace;	/* a full disk: a smaller batch may fit */
};

/* What recovery decided, intent by intent (ids). */
struct target_settle {
	int64_t		*done;		/* delivered: record */
	size_t		 ndone;
	int64_t		*undo;		/* not delivered: drop the intent */
	size_t		 nundo;
	size_t		 unsettled;	/* unknown: the intent stays */
	char		 first[512];	/* the first reason one stayed */
	/* a remote that cannot be reached now (target_settle_later): the
	 * intent stays and is settled again at a later round */
	int64_t		*later;
	size_t		 nlater;
};

struct target {
	const char		*name;	/* "maildir", as in "maildir:PATH" */
	enum state_target	 kind;	/* written in its intents */
	/* 1 if a message taken back keeps its staged bytes (in memory) and
	 * can be committed again (deliver-commit.c: a full disk) */
	int			 keeps_bytes;
	/* 1 if the record step queues s->entry (see A QUEUED TARGET) */
	int			 queued;
	/* 1 if stage and publish use the source's flags and date
	 * (s->src_*): imap: APPEND; the source then fetches them */
	int			 keeps_meta;

	/* dv->path is set; folder is NULL for the target itself */
	int	(*open)(struct delivery *dv, const char *folder, char *err,
		    size_t errlen);
	void	(*close)(struct delivery *dv);
	int	(*stage)(struct delivery *dv, struct staged *s,
		    const char *data, size_t len, int flags, char *err,
		    size_t errlen);
	/* take back a message not visible (remove tmp/NAME) */
	int	(*unstage)(struct staged *s, char *err, size_t errlen);

	int	(*prepare)(struct target_group *g, char *err, size_t errlen);
	void	(*flush)(struct target_group *g, struct target_report *r);
	void	(*publish)(struct target_group *g, struct target_report *r);
	void	(*release)(struct target_group *g);

	/* cfg as delivery_recover() got it, may be NULL */
	void	(*settle)(const struct config *cfg,
		    const struct state_intent *v, size_t n,
		    struct target_settle *s);
};

/* Bookkeeping for the steps (target.c). */
/* Take back a message that is not visible (its target's unstage):
 * UNDONE, or DOUBT if that failed after its intent was written. */
void		 staged_undo(struct staged *);

/* The steps of a target that holds its messages in memory and has
 * nothing to take back, take, flush or give back (network targets). */
int		 target_unstage_none(struct staged *, char *err, size_t errlen);
int		 target_prepare_none(struct target_group *, char *err,
		    size_t errlen);
void		 target_flush_none(struct target_group *,
		    struct target_report *);
void		 target_release_none(struct target_group *);

/* Keep the first error for the caller, log the others. */
void		 target_report_error(struct target_report *, const char *e);

void		 target_settle_done(struct target_settle *, int64_t id);
void		 target_settle_undo(struct target_settle *, int64_t id);
/* Logged; the intent stays. */
void		 target_settle_fail(struct target_settle *, const char *e);
/* Logged; the intent stays, and does not stop the daemon from starting:
 * the remote that decides it is down (a network target), so recovery
 * tries again at a later round's start (deliver.h). */
void		 target_settle_later(struct target_settle *, int64_t id,
		    const char *e);

/* The kinds there are, each in its own file. */
extern const struct target	 target_maildir;	/* maildir.c */
extern const struct target	 target_mbox;		/* mbox.c */
extern const struct target	 target_lmtp;		/* lmtp.c */
extern const struct target	 target_webhook;	/* webhook.c */
extern const struct target	 target_imap;		/* imap.c */

#endif

/* SPDX-License-Identifier: ISC */
/*
 * daemon/deliver/ - delivery: putting messages into their targets in
 * batches, so that a crash at any point loses nothing and duplicates
 * nothing, and settling after a crash what was under way.  Owns the
 * targets (target.h: the contract; maildir.c, mbox.c, lmtp.c, imap.c,
 * webhook.c with webhook-format.c: one file each; lmtp.c and webhook.c
 * are at least once, imap.c exactly once, see their headers; imap.c
 * speaks IMAP only through the client table of imap-client.h, which the
 * daemon hands over at start),
 * the batch and its commit order (deliver-commit.c), recovery
 * (recover.c) and the intents' meaning.  Never talks to a mail source,
 * never flags or deletes on a server (the caller does, after
 * delivery_batch_done()), never parses a message beyond the header
 * fields it records.  Depends on store/ (state.h: intents and records),
 * util/ (log, safepath, msgview for webhook-format.c), rules/ (the
 * target string parser, limits; line.h: lmtp.c's recipient template),
 * conf/ (config.h: the options of the account a target delivers for,
 * webhook.c's section) and net/ (conn.h: lmtp.c's connection).
 * Inside, every arrow one way: deliver-commit.c (the commit order) and
 * recover.c use deliver.c's batch and table of targets (deliver-int.h);
 * all three reach a target only through its struct target; the targets
 * (maildir.c with maildir-write.c, mbox.c, lmtp.c with lmtp-send.c) use
 * target-util.c alone.
 *
 * deliver.h - the front door: opening targets, staging into batches,
 * committing, recovering.
 *
 * A target is "maildir:PATH" or "mbox:PATH" (the account's `deliver`),
 * opened for one folder: NULL or "INBOX" is PATH itself; "Archive/2024"
 * is the Maildir++ folder PATH/.Archive.2024/ (with a maildirfolder file)
 * or, for an mbox target, the file Archive/2024 beside PATH.  Folders and
 * their tmp/, new/, cur/ are created on demand, 0700; files are 0600.
 * Every directory of the path, the folder and the mbox file are opened
 * one at a time without following a symlink that is not root's own
 * (safepath.h): a message's fields never lead a delivery elsewhere.
 *
 * The caller, per batch (e.g. 64 messages or 32 MB):
 *	b = delivery_batch_new(st);
 *	for each message: delivery_stage(b, target, &key, data, len, flags)
 *	delivery_batch_commit(b);	   (0, or -1: some or all failed)
 *	for each i: if delivery_batch_done(b, i): flag/delete on the server
 *	delivery_batch_free(b);
 * and once at startup, before any fetch: delivery_recover(st).
 *
 * THE GUARANTEE.  For every message the order is: written to the
 * target's tmp/ (mbox: kept in memory) -> an intent naming exactly where
 * it goes is committed to the state file -> file data flushed -> renamed
 * into new/ (mbox: appended under fcntl and dot locks) -> directory (mbox
 * file) fsynced -> recorded as delivered, committed -> only then does
 * delivery_batch_done() say yes, so only then may the server copy be
 * flagged or deleted.
 *  - Nothing is lost: the server copy is touched only after the delivery
 *    and its record are both on stable storage.
 *  - Nothing is delivered twice: the intent (Maildir file name; mbox file,
 *    offset, length and SHA-256 of the entry with its From_ line) is on
 *    disk before the message can appear at the target.  After a crash,
 *    delivery_recover() settles each intent from what is on disk.  Maildir:
 *    the file is in new/, or in cur/ with ":2,..." appended -> delivered,
 *    recorded; otherwise tmp/NAME is removed and the intent dropped, and
 *    the message is fetched again.  mbox: the complete entry is at its
 *    offset -> delivered, recorded; the file ends inside the entry and the
 *    bytes after the offset are a start of our entry (our From_ line, no
 *    other) -> truncated back to the offset, intent dropped; otherwise the
 *    intent is dropped and the file left alone.
 *  - A failed batch (disk full, permission denied, read-only file system,
 *    I/O error) records nothing it did not deliver: staged files are
 *    removed, an mbox is truncated back to its size before the batch
 *    (byte-identical), intents are dropped, and the error names the path
 *    and the cause.  In a Maildir each rename is one message's commit
 *    point: messages renamed before a later one failed are delivered and
 *    recorded, and delivery_batch_done() says which.
 *  - When an outcome cannot be known (the fsync of new/ failed, the state
 *    file could not be written after the rename), the intent stays: the
 *    message is neither fetched again (state_uids_delivered() counts it)
 *    nor flagged until the next delivery_recover() settles it.
 * A full disk (ENOSPC, EDQUOT) does not stall every round: a batch
 * spoiled while staging commits the whole messages staged before, and
 * an mbox batch whose append fails is committed in halves, down to one
 * message (deliver-commit.c); a message's deliveries stay together.
 * Limits: recovery must run before any fetch and with no other mailsift
 * on the state file (it takes state_claim()).  A crash after staging and
 * before the intents are committed leaves files in tmp/ that no intent
 * names: never visible, and removed by delivery_open() (the first round
 * after a restart) when the mailsift process that staged them is gone
 * (their names carry our mark, pid, start time and host), and any file
 * once 36 hours old, as the Maildir spec allows.  A reader that deletes or moves a message
 * out of new/ and cur/ between a crash and the recovery makes it look
 * undelivered, so it is fetched again.  A recovered message is recorded
 * but was never flagged or deleted on the server: a source that deletes
 * (keep = no) must also delete known messages it still finds there.
 * File data is flushed with one syncfs() per file system and batch, which
 * on Linux >= 5.8 reports write-back errors as fsync() does, but also
 * waits for other programs' dirty data on that file system.  An mbox lock
 * is waited for up to 120 s; a dot lock is broken when older than 300 s
 * or when it names a process of this host that is gone.
 *
 * A struct delivery may be shared by threads; a batch belongs to one
 * thread, as does the state handle it uses.  Free (or clear) a batch
 * before closing the deliveries it staged into.
 */
#ifndef DAEMON_DELIVER_H
#define DAEMON_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/store/state.h"
/* DELIVERY_CRLF, delivery_digest(), delivery_write(), delivery_hint()
 * and the test hook; the target contract (target.h) stays inside */
#include "daemon/deliver/target-util.h"

struct config;
struct account;
struct delivery;
struct delivery_batch;

/* What a target may take from the configuration: the account it
 * delivers for (LMTP's recipient and TLS) and the sections a target
 * names (imap:ACCOUNT, webhook:NAME).  Both may be NULL (a test, a
 * tool): a target that needs them then refuses to open. */
struct delivery_ctx {
	const struct config	*cfg;
	const struct account	*acct;
};

/* Open a target for a folder (NULL, "" or "INBOX": the target itself).
 * ctx may be NULL; it must outlive the delivery. */
struct delivery	*delivery_open(const struct delivery_ctx *ctx,
		    const char *target, const char *folder, char *err,
		    size_t errlen);
void		 delivery_close(struct delivery *);
/* The Maildir directory or mbox file that messages go to. */
const char	*delivery_path(const struct delivery *);
/* 1 if folder names the target itself: NULL, "" or INBOX in any case. */
int		 delivery_folder_is_inbox(const char *folder);
/* 0 if folder is acceptable: no "..", no leading '.', no '/' at either
 * end or twice in a row, no control characters. */
int		 delivery_folder_check(const char *folder, char *err,
		    size_t errlen);

struct delivery_batch *delivery_batch_new(struct state *);
/* Stage a message (bytes as they are to be delivered, LF line ends, or
 * CRLF with DELIVERY_CRLF).  Maildir: written to tmp/ under a unique
 * name; mbox: formatted in memory.  On error the batch is spoiled: commit
 * fails and delivery_batch_free() removes what was staged. */
int		 delivery_stage(struct delivery_batch *, struct delivery *,
		    const struct msg_key *, const char *data, size_t len,
		    int flags, char *err, size_t errlen);
/* What a source knows of a message beyond its bytes: its flags
 * (IMAP system flags and keywords, space-separated; NULL: none known)
 * and its date there (IMAP INTERNALDATE; 0: none known). */
struct delivery_meta {
	const char	*flags;
	int64_t		 date;
	long		 zone;		/* seconds east of UTC */
};
/* delivery_stage() with meta (may be NULL), which a target that keeps
 * it (imap: APPEND) passes on; the others ignore it. */
int		 delivery_stage_meta(struct delivery_batch *,
		    struct delivery *, const struct msg_key *,
		    const struct delivery_meta *, const char *data, size_t len,
		    int flags, char *err, size_t errlen);
/* 1 if the target uses delivery_meta: the source should fetch it. */
int		 delivery_keeps_meta(const struct delivery *);
size_t		 delivery_batch_count(const struct delivery_batch *);
uint64_t	 delivery_batch_bytes(const struct delivery_batch *);
/* Deliver and record everything staged; 0 if all of it was, else -1
 * with the first error (see the guarantee above). */
int		 delivery_batch_commit(struct delivery_batch *, char *err,
		    size_t errlen);
/* 1 if the i-th staged message (from 0) is delivered and recorded. */
int		 delivery_batch_done(const struct delivery_batch *, size_t i);
/* 1 if the i-th staged message was refused for good by its target and
 * the account chose to skip such messages (lmtp-reject = skip): the
 * caller records it as skipped, and never flags or deletes it. */
int		 delivery_batch_refused(const struct delivery_batch *,
		    size_t i);
/* The unique file name (Maildir) or From_ line (mbox) of message i. */
const char	*delivery_batch_name(const struct delivery_batch *, size_t i);
/* Forget the batch's messages, removing any staged and not committed,
 * so the batch can take the next ones. */
void		 delivery_batch_clear(struct delivery_batch *);
void		 delivery_batch_free(struct delivery_batch *);

/* Settle every pending intent (see above); takes state_claim() first.
 * 0, or -1 if the state could not be read or some intents could not be
 * settled (they stay, and are reported in err and the log). */
int		 delivery_recover(struct state *, const struct config *,
		    char *err, size_t errlen);
/* A shared store (store/lease.h): at the start of an account's round,
 * on a handle fenced for it (state_fence()), settle that account's
 * pending intents - what a daemon that lost the lease, or crashed, left.
 * No state_claim(): the lease is the claim.  Intents whose remote
 * cannot be reached stay, for the next round.  0 or -1 as above. */
int		 delivery_recover_account(struct state *,
		    const struct config *, char *err, size_t errlen);
/* At a round's start: settle again the intents delivery_recover() left
 * to a remote that could not be reached (a network target's
 * destination down at start; those alone do not stop the daemon),
 * at most once a minute, only those: a batch in flight is never
 * judged.  0, or -1 if the state could not be read or written. */
int		 delivery_recover_later(struct state *, const struct config *,
		    char *err, size_t errlen);
/* Tests: seconds between two tries of delivery_recover_later() (-1:
 * the default, a minute). */
void		 delivery_recover_set_interval(int seconds);

#endif

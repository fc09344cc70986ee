/* SPDX-License-Identifier: ISC */
/*
 * deliver.h - putting messages into Maildirs and mbox files, in batches,
 * so that a crash at any point loses nothing and duplicates nothing.
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
 * thread, as does the state handle it uses.
 */
#ifndef DAEMON_DELIVER_H
#define DAEMON_DELIVER_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/store/state.h"

/* Convert CRLF line ends to LF while writing (a lone CR is kept). */
#define DELIVERY_CRLF		0x1
/* Record no SHA-256 of the content: only IMAP folders look for it,
 * after a UIDVALIDITY change (it costs 8% of a fetch's CPU). */
#define DELIVERY_NO_DIGEST	0x2

struct delivery;
struct delivery_batch;

/* Open a target for a folder (NULL, "" or "INBOX": the target itself). */
struct delivery	*delivery_open(const char *target, const char *folder,
		    char *err, size_t errlen);
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
size_t		 delivery_batch_count(const struct delivery_batch *);
uint64_t	 delivery_batch_bytes(const struct delivery_batch *);
/* Deliver and record everything staged; 0 if all of it was, else -1
 * with the first error (see the guarantee above). */
int		 delivery_batch_commit(struct delivery_batch *, char *err,
		    size_t errlen);
/* 1 if the i-th staged message (from 0) is delivered and recorded. */
int		 delivery_batch_done(const struct delivery_batch *, size_t i);
/* The unique file name (Maildir) or From_ line (mbox) of message i. */
const char	*delivery_batch_name(const struct delivery_batch *, size_t i);
/* Forget the batch's messages, removing any staged and not committed,
 * so the batch can take the next ones. */
void		 delivery_batch_clear(struct delivery_batch *);
void		 delivery_batch_free(struct delivery_batch *);

/* Size, SHA-256 (unless DELIVERY_NO_DIGEST) and Message-ID of a message
 * as it would be delivered, for state_seen_content(). */
int		 delivery_digest(const char *data, size_t len, int flags,
		    struct msg_content *);

/* Settle every pending intent (see above); takes state_claim() first.
 * 0, or -1 if the state could not be read or some intents could not be
 * settled (they stay, and are reported in err and the log). */
int		 delivery_recover(struct state *, char *err, size_t errlen);

/* Write all of p, again after EINTR and short writes; -1 with errno. */
int		 delivery_write(int fd, const char *p, size_t len);

/* Tests only: called at each step of a commit (deliver-commit.c) with
 * the number of messages through that step; a test makes it _exit(). */
extern void	(*delivery_test_hook)(const char *step, size_t n);

/*
 * Between deliver.c, deliver-commit.c, recover.c and the backends
 * maildir.c and mbox.c; not for callers.
 */
struct delivery {
	enum state_target	 kind;
	char			*path;		/* Maildir dir, mbox file */
	int			 tmpfd;		/* Maildir: tmp/, new/, cur/ */
	int			 newfd;
	int			 curfd;
	dev_t			 dev;		/* Maildir: file system */
	char			 host[96];	/* Maildir: for unique names */
	char			*wbuf;		/* Maildir: aligned, for writes */
	int			 no_direct;	/* Maildir: O_DIRECT refused */
};

enum staged_state {
	STAGED_WRITTEN,		/* in tmp/ or memory; no intent yet */
	STAGED_JOURNALED,	/* intent committed */
	STAGED_VISIBLE,		/* renamed into new/, or appended and synced */
	STAGED_DONE,		/* recorded as delivered */
	STAGED_UNDONE,		/* taken back; its intent is dropped */
	STAGED_DOUBT		/* outcome unknown: the intent stays */
};

struct staged {
	struct delivery		*dv;
	struct state_intent	 in;
	char			*entry;		/* mbox: From_ line + body */
	enum staged_state	 state;
};

struct delivery_batch {
	struct state	*st;
	struct staged	*v;
	size_t		 n;
	size_t		 cap;
	uint64_t	 bytes;
	int		 spoiled;	/* staging failed: commit nothing */
	int		 nospace;	/* ... for a full disk or quota */
	size_t		 good;		/* ... then: whole messages before it */
};

struct mbox_lock {
	const char	*path;
	int		 dirfd;		/* the directory holding it */
	char		 name[NAME_MAX + 1];	/* its name there */
	int		 fd;
	int		 dotlocked;
	int		 created;	/* by this lock: sync its directory */
	uint64_t	 size;		/* when locked */
};

/* " (disk full: ...)" and the like for errno e, or "". */
const char	*delivery_hint(int e);
/* dir/name into out; -1 with ENAMETOOLONG if it does not fit. */
int		 delivery_join(char *out, size_t outlen, const char *dir,
		    const char *name);
/* Copy from in[*pos..len) to out (room bytes), dropping each CR of a
 * CRLF; returns the bytes written to out. */
size_t		 delivery_crlf_copy(const char *in, size_t len, size_t *pos,
		    char *out, size_t room);
uint64_t	 delivery_converted_size(const char *data, size_t len,
		    int flags);
/* The unfolded, trimmed value of the first header field name, cut to
 * outlen - 1 bytes; "" if absent. */
void		 delivery_header(const char *data, size_t len,
		    const char *name, char *out, size_t outlen);
void		 delivery_hook(const char *step, size_t n);
void		 staged_undo(struct staged *);

int		 maildir_open(struct delivery *, const char *folder, char *err,
		    size_t errlen);
void		 maildir_close(struct delivery *);
int		 maildir_stage(struct delivery *, struct staged *,
		    const char *data, size_t len, int flags, char *err,
		    size_t errlen);
/* maildir-write.c: messages this big are written with O_DIRECT. */
#define MAILDIR_DIRECT_MIN	(256 * 1024)
int		 maildir_direct_wanted(const struct delivery *, uint64_t size);
/* Write data to fd (opened with O_DIRECT if direct), converted as flags
 * say, and its SHA-256 as delivered into sha256 unless that is NULL;
 * -1 with errno. */
int		 maildir_write(struct delivery *, int fd, int direct,
		    const char *data, size_t len, int flags,
		    unsigned char *sha256);
int		 maildir_flush(struct delivery *, char *err, size_t errlen);
int		 maildir_publish(struct delivery *, const char *name,
		    char *err, size_t errlen);
int		 maildir_sync_new(struct delivery *, char *err, size_t errlen);
int		 maildir_unstage(struct delivery *, const char *name, char *err,
		    size_t errlen);
/* Recovery, by path: 1 if name is in new/ or cur/, 0 if not. */
int		 maildir_find(const char *dir, const char *name, char *err,
		    size_t errlen);
int		 maildir_discard(const char *dir, const char *name, char *err,
		    size_t errlen);
int		 maildir_sync_dirs(const char *dir, char *err, size_t errlen);

int		 mbox_open(struct delivery *, const char *folder, char *err,
		    size_t errlen);
int		 mbox_stage(struct delivery *, struct staged *,
		    const char *data, size_t len, int flags, char *err,
		    size_t errlen);
int		 mbox_lock(struct mbox_lock *, const char *path, int create,
		    char *err, size_t errlen);
int		 mbox_unlock(struct mbox_lock *, char *err, size_t errlen);
int		 mbox_append(struct mbox_lock *, const char *entry,
		    size_t len, char *err, size_t errlen);
int		 mbox_sync(struct mbox_lock *, char *err, size_t errlen);
int		 mbox_truncate(struct mbox_lock *, uint64_t size, char *err,
		    size_t errlen);
enum mbox_found {
	MBOX_ABSENT,	/* the file ends at or before the offset */
	MBOX_WHOLE,	/* the entry is there, byte for byte */
	MBOX_TORN,	/* the file ends inside what is a start of the entry */
	MBOX_OTHER	/* something else is there */
};
int		 mbox_find(struct mbox_lock *, const struct state_intent *,
		    enum mbox_found *, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * daemon/store/ - what mailsift remembers between runs.  state.h is the
 * front door; with outbox.h, queue.h, serverops.h and msgid.h it is the whole
 * interface of the store: callers never see a backend's type, statement
 * or query.
 *
 * Owns: per account and folder the UIDVALIDITY (and for IMAP the sync
 * point: HIGHESTMODSEQ, UIDNEXT) and one row per message
 * delivered, skipped or recognised as a duplicate (set-aside rows when a
 * UIDVALIDITY changes), the intent journal, the outbox of outgoing mail
 * with the reply rate limit and the action log, the delivery queue of
 * queued targets (queue.h: webhook requests), the queue of
 * server-side actions, and per account how its rounds went (for
 * `mailsift status`).  Never: touches mail files, the network or the
 * configuration, never logs (errors go to the caller's err buffer).
 * Depends on: libc and the backends' libraries only (SQLite today).
 *
 * Backends.  A backend is one table of functions, struct state_backend
 * (backend.h, the store's inside): one member per operation of these
 * headers, named as the public function, plus open, exists and the
 * OAuth2 grant lock.  struct state is { the table, the backend's own
 * handle }; state.c (and msgid.c, oauth.c, outbox.c, queue.c,
 * serverops.c, one per header) hand each call to the table, one line
 * each, and records.c holds what every backend shares (set lookups,
 * the frees).  state_open() picks the backend from the name: a URL
 * whose scheme is in state.c's table of schemes ("postgresql://",
 * "postgres://") goes to that scheme's backend, any other URL is
 * refused, anything else is a file path for SQLite.  A backend
 * registers by its table (extern in backend.h) and its schemes' line
 * in state.c.
 *   SQLite (sqlite_backend, sqlite-backend.c): sqlite-open.c opens the
 * file and owns the schema and its upgrades, sqlite.c the shared
 * helpers and the folders, sqlite-known.c, sqlite-journal.c,
 * sqlite-admin.c, sqlite-outbox.c, sqlite-queue.c, sqlite-serverops.c,
 * sqlite-msgid.c, sqlite-oauth.c, sqlite-lock.c, sqlite-status.c,
 * sqlite-sync.c and sqlite-lease.c (never shared) implement the rest,
 * all named sqlite_*, and sqlite-int.h is its inside; no SQL and no
 * sqlite3 type exist elsewhere.
 *   PostgreSQL (pg_backend, pg-backend.c; "postgresql://..."): the
 * same records in the tables of pg-schema.c (versioned migrations,
 * applied in one transaction at open), a process-wide connection pool
 * per URL (pg-pool.c: a handle borrows a connection per statement or
 * transaction, so an account in IDLE holds none), pg.c's helpers and
 * pg-*.c's operations, all named pg_*, and pg-int.h its inside.  It
 * can be shared by several daemons (lease.h: leases and the fence).
 *   Messages name the store as state_redact() shows it: never a
 * password.  The contract tests (the unit programs that include
 * tests/unit/state-where.h) run against both backends in make check
 * (tests/integration/test-store-pg.sh sets MSX_STATE_URL).  What every
 * backend must guarantee:
 *   - durability: a function that returned 0 has its change on stable
 *     storage (SQLite: WAL with synchronous=FULL), so it survives a crash
 *     or power loss - the delivery guarantee of deliver.h rests on it
 *     (PostgreSQL: a commit with the server's fsync and
 *     synchronous_commit on, its defaults);
 *   - atomicity, each call all or nothing:
 *     state_folder_reset() (new UIDVALIDITY and moving the old rows
 *     aside), state_mark_skipped(), state_seen_content() (using up a
 *     set-aside row and recording the duplicate), state_intents_record(),
 *     state_intents_complete(), state_intents_complete_batch() (the
 *     intents and the queue rows together) and state_intents_rollback()
 *     (each the whole array), state_forget() (with the sync points it
 *     drops), state_reply_allow() and
 *     state_reply_queue() (the limit and the queued message together),
 *     state_outbox_add() (idempotent on its key), and each single-row
 *     update (state_outbox_sent/retry/failed, state_server_op_add/done,
 *     state_action_mark, state_round_record, state_account_phase,
 *     state_folder_sync_set);
 *   - isolation between processes and threads: concurrent writers wait
 *     for each other, never see half a transaction; state_claim() is
 *     exclusive per store;
 *   - reads (the UID/UIDL sets, the lists) see committed data only, and
 *     the sets come sorted (uidset_has() and uidlset_has() bisect).
 *
 * The data.  For every account and folder the store keeps the folder's
 * UIDVALIDITY and one row per message that was delivered, skipped (too
 * large) or recognised as a duplicate; POP3 accounts use the folder ""
 * and key their messages by UIDL.  Rows are only ever moved aside, never
 * dropped, when a folder's UIDVALIDITY changes; `mailsift state forget`
 * is the one way to delete them.  The intent journal records each
 * delivery before its file becomes visible, so that delivery_recover()
 * can finish or undo it after a crash: see deliver.h for the guarantee.
 *
 * A handle belongs to one thread; open one per thread.  Every function
 * that can fail returns -1 and writes a message naming the store into
 * err.
 */
#ifndef DAEMON_STATE_H
#define DAEMON_STATE_H

#include <stddef.h>
#include <stdint.h>

#define STATE_SHA256_LEN	32
/* Longer Message-IDs are cut: both sides of a comparison are cut alike. */
#define STATE_MSGID_MAX		256

struct state;

/* Where a message comes from.  IMAP: folder, uidvalidity and uid, with
 * uidl NULL.  POP3 and local sources: uidl, with folder "" (or NULL) and
 * uidvalidity and uid 0. */
struct msg_key {
	const char	*account;
	const char	*folder;
	uint32_t	 uidvalidity;
	uint32_t	 uid;
	const char	*uidl;
};

/* What a message is, to recognise it again after a UIDVALIDITY change.
 * The digest covers the bytes as delivered (LF line ends). */
struct msg_content {
	uint64_t	 size;
	int		 hashed;	/* sha256 and message_id are set */
	unsigned char	 sha256[STATE_SHA256_LEN];
	char		 message_id[STATE_MSGID_MAX];	/* "" if none */
};

/* Open (creating the file 0600 and its directory 0700 if needed, unless
 * STATE_EXISTING) and bring the schema up to date.  where is a file
 * path (SQLite) or a URL ("postgresql://..."): see Backends above. */
#define STATE_EXISTING	0x1
struct state	*state_open(const char *where, int flags, char *err,
		    size_t errlen);
void		 state_close(struct state *);
/* The state's name for messages: the path, or the URL as
 * state_redact() shows it. */
const char	*state_path(const struct state *);
/* 1 if the store at where was created (a state_open() with
 * STATE_EXISTING would find it), 0 if not, -1 on error. */
int		 state_exists(const char *where, char *err, size_t errlen);
/* 1 if where is a URL (scheme://), not a file path. */
int		 state_is_url(const char *where);
/* where fit for a message: a URL's password shown as "***"; a path as
 * is.  Returns buf (cut to len). */
const char	*state_redact(const char *where, char *buf, size_t len);
/* Take the store for this process, held until state_close() (SQLite:
 * an exclusive lock on PATH.lock; a server database: its own lock);
 * refused with "another mailsift is running" while another holds it.
 * Recovery needs it: intents of a running daemon
 * must not be "recovered" by another one. */
int		 state_claim(struct state *, char *err, size_t errlen);

/* 1 and *uidvalidity if the folder is known, 0 if not, -1 on error. */
int		 state_folder_uidvalidity(struct state *, const char *account,
		    const char *folder, uint32_t *uidvalidity, char *err,
		    size_t errlen);
/* Start on a folder with the server's UIDVALIDITY.  If the store had
 * another one, the folder's rows move to the set-aside table with the old
 * value and the time, and *set_aside (may be NULL) counts them. */
int		 state_folder_reset(struct state *, const char *account,
		    const char *folder, uint32_t uidvalidity, size_t *set_aside,
		    char *err, size_t errlen);

/*
 * The sync point of an IMAP folder (CONDSTORE, RFC 7162): the server's
 * UIDVALIDITY, HIGHESTMODSEQ and UIDNEXT as they were when the folder
 * was selected, in the last round that went through it completely.  A
 * source compares them with the server's to skip a folder in which
 * nothing changed, and asks only for what changed since.  Recorded only
 * after the round's commits, so a crash in between leaves the older point
 * (or none): a full pass, never a message missed.  state_forget() drops
 * it with the rows it forgets.  A backend must keep HIGHESTMODSEQ as the
 * full 63-bit value (RFC 7162 mod-sequence-value).
 */
struct state_sync {
	uint32_t	 uidvalidity;
	uint64_t	 highestmodseq;	/* 1 .. 2^63-1 */
	uint32_t	 uidnext;
	/* the round looked at unseen messages only: a round that wants
	 * them all cannot start from this point */
	int		 only_unseen;
};
/* 1 and *sync if the folder has a sync point, 0 if not, -1 on error. */
int		 state_folder_sync(struct state *, const char *account,
		    const char *folder, struct state_sync *, char *err,
		    size_t errlen);
/* Record the sync point (replacing the old one); sync NULL drops it. */
int		 state_folder_sync_set(struct state *, const char *account,
		    const char *folder, const struct state_sync *, char *err,
		    size_t errlen);

/* The UIDs of a folder that must not be fetched: delivered, skipped,
 * duplicates, and those with a pending intent (in doubt until recovery).
 * Sorted, for uidset_has().  uidvalidity must be the folder's current
 * one (state_folder_reset() first), else this is an error. */
struct uidset {
	uint32_t	*v;
	size_t		 n;
};
int		 state_uids_delivered(struct state *, const char *account,
		    const char *folder, uint32_t uidvalidity, struct uidset *,
		    char *err, size_t errlen);
/* Only those delivered for sure (not skipped, not in doubt): the ones a
 * source that does not keep mail may delete on the server. */
int		 state_uids_deletable(struct state *, const char *account,
		    const char *folder, uint32_t uidvalidity, struct uidset *,
		    char *err, size_t errlen);
int		 uidset_has(const struct uidset *, uint32_t);
void		 uidset_free(struct uidset *);

/* The same for UIDLs (POP3, local sources); folder "" or NULL. */
struct uidlset {
	char		**v;		/* sorted by strcmp */
	size_t		 n;
	char		*strings;	/* one allocation behind v */
};
int		 state_uidls_delivered(struct state *, const char *account,
		    const char *folder, struct uidlset *, char *err,
		    size_t errlen);
int		 state_uidls_deletable(struct state *, const char *account,
		    const char *folder, struct uidlset *, char *err,
		    size_t errlen);
int		 uidlset_has(const struct uidlset *, const char *);
void		 uidlset_free(struct uidlset *);

/* Record a message that will not be delivered (e.g. "larger than
 * max-size"), so it is not fetched again.  content may be NULL or carry
 * only the size.  Replaces an earlier row for the same key. */
int		 state_mark_skipped(struct state *, const struct msg_key *,
		    const struct msg_content *, const char *reason, char *err,
		    size_t errlen);
/* 1 if the folder has set-aside rows no message matched yet (so new
 * messages must be checked with state_seen_content()), 0 if not. */
int		 state_folder_set_aside(struct state *, const char *account,
		    const char *folder, char *err, size_t errlen);
/* After a UIDVALIDITY change: does the content match a set-aside row of
 * the same account and folder (Message-ID, size and SHA-256) that no
 * other message matched yet?  If so (1), that row is used up and key is
 * recorded as a duplicate, atomically; 0 means deliver it.  -1 on error. */
int		 state_seen_content(struct state *, const struct msg_key *,
		    const struct msg_content *, char *err, size_t errlen);

/*
 * The intent journal.  An intent is one message about to become visible
 * at a target; it is committed before that happens and resolved after:
 * complete (the message row is written, the intent deleted) or rolled
 * back (the intent deleted; the message will be fetched again).
 */
enum state_target {
	STATE_MAILDIR,
	STATE_MBOX,
	STATE_LMTP,
	STATE_IMAP,
	STATE_WEBHOOK,
	STATE_UNKNOWN		/* a kind this build does not know */
};

struct state_intent {
	int64_t			 id;		/* set when recorded */
	char			*account;
	char			*folder;	/* "" for POP3 */
	uint32_t		 uidvalidity;
	uint32_t		 uid;
	char			*uidl;		/* NULL for IMAP */
	struct msg_content	 content;
	enum state_target	 kind;
	char			*path;		/* Maildir dir, mbox file */
	char			*name;		/* file name; mbox: From_ */
	uint64_t		 offset;	/* mbox: entry start */
	uint64_t		 length;	/* mbox: bytes of the entry */
	unsigned char		 entry_sha256[STATE_SHA256_LEN]; /* mbox */
	int64_t			 time;
	/* imap: the destination's APPENDUID (UIDPLUS), set after publish;
	 * 0: none.  Only state_intents_complete_batch() writes it: the
	 * record's location then names the message there. */
	uint32_t		 remote_uidvalidity;
	uint32_t		 remote_uid;
};

/* Record n intents in one transaction; sets each id. */
int		 state_intents_record(struct state *, struct state_intent *,
		    size_t n, char *err, size_t errlen);
/* Resolve intents by id, each set in one transaction: complete writes
 * "delivered" rows (or set-aside rows if the folder's UIDVALIDITY moved
 * on meanwhile), rollback only forgets the intents. */
int		 state_intents_complete(struct state *, const int64_t *ids,
		    size_t n, char *err, size_t errlen);
/* The record step of a batch (deliver-commit.c), in one transaction:
 * state_intents_complete() of ids, each first given the destination's
 * UIDVALIDITY and UID (uv[i], uid[i]; uid NULL or 0: none known) for
 * its record's location ("imap:ACCOUNT/FOLDER;UIDVALIDITY=9/;UID=100"),
 * and items queued (queue.h; a key queued before is left alone). */
struct queue_item;
int		 state_intents_complete_batch(struct state *,
		    const int64_t *ids, const uint32_t *uv, const uint32_t *uid,
		    size_t n, const struct queue_item *items, size_t nitems,
		    char *err, size_t errlen);
int		 state_intents_rollback(struct state *, const int64_t *ids,
		    size_t n, char *err, size_t errlen);
/* Every pending intent, sorted by kind, path, offset and id; free with
 * state_intents_free(). */
int		 state_intents_pending(struct state *, struct state_intent **,
		    size_t *n, char *err, size_t errlen);
void		 state_intent_clear(struct state_intent *);
void		 state_intents_free(struct state_intent *, size_t n);

/* For `mailsift state`: one call per folder (account NULL: all), in order
 * of account and folder.  A callback returning -1 stops the walk. */
struct state_folder_info {
	const char	*account;
	const char	*folder;
	uint32_t	 uidvalidity;
	uint64_t	 delivered;
	uint64_t	 skipped;
	uint64_t	 duplicates;
	uint64_t	 set_aside;
	uint64_t	 pending;
	int64_t		 last;		/* last delivery; 0 if none */
};
int		 state_folders_list(struct state *, const char *account,
		    int (*)(const struct state_folder_info *, void *), void *,
		    char *err, size_t errlen);

struct state_msg_info {
	uint32_t	 uidvalidity;
	uint32_t	 uid;
	const char	*uidl;		/* NULL for IMAP */
	/* delivered, skipped, duplicate, set-aside */
	const char	*status;
	const char	*reason;	/* or NULL */
	const char	*message_id;	/* or NULL */
	uint64_t	 size;
	const char	*location;	/* or NULL */
	int64_t		 time;
};
int		 state_messages_list(struct state *, const char *account,
		    const char *folder,
		    int (*)(const struct state_msg_info *, void *), void *,
		    char *err, size_t errlen);

/* Drop rows so the messages are fetched again.  folder NULL: every
 * folder of the account.  uid or uidl (at most one) selects one message;
 * neither: all of them, the set-aside rows and the UIDVALIDITY too.
 * *removed counts the message rows dropped. */
int		 state_forget(struct state *, const char *account,
		    const char *folder, const uint32_t *uid, const char *uidl,
		    uint64_t *removed, char *err, size_t errlen);

/*
 * How each account's rounds went, for `mailsift status` and the status
 * page: the daemon records every round's end (and its phase: polling,
 * in IDLE, waiting for the next poll); readers get one account's view
 * with the counts the store can tell (delivered today and in all,
 * skipped, outbox, server actions pending).
 */
struct state_round {
	const char	*account;
	int64_t		 end;		/* when the round ended */
	int		 ok;
	uint64_t	 fetched;
	uint64_t	 delivered;
	uint64_t	 skipped;
	uint64_t	 bytes;
	double		 seconds;
	const char	*error;		/* !ok: the last error, or NULL */
	int64_t		 next_poll;	/* 0 if not polling again */
};
/* Record a round; failures in a row count up on !ok, reset on ok. */
int		 state_round_record(struct state *, const struct state_round *,
		    char *err, size_t errlen);
/* The phase of an account now: "polling", "idle" (waiting in IMAP IDLE),
 * "waiting" (for next_poll), "stopped".  Going "idle", the handle also
 * gives back the memory it keeps between statements (SQLite: its page
 * cache): an idle handle may wait for hours. */
int		 state_account_phase(struct state *, const char *account,
		    const char *phase, int64_t next_poll, char *err,
		    size_t errlen);

struct state_account_status {
	char		*phase;		/* NULL if never recorded */
	int64_t		 updated;	/* of the phase */
	int64_t		 next_poll;
	int64_t		 last_ok;	/* end of the last good round; 0 */
	uint64_t	 ok_fetched;	/* that round's figures */
	uint64_t	 ok_delivered;
	uint64_t	 ok_skipped;
	uint64_t	 ok_bytes;
	double		 ok_seconds;
	char		*last_error;	/* NULL if none */
	int64_t		 last_error_time;
	uint64_t	 failures;	/* rounds failed in a row */
	uint64_t	 delivered_all;
	uint64_t	 delivered_since; /* at or after `since` */
	uint64_t	 skipped;	/* too large, never fetched */
	uint64_t	 outbox_queued;
	int64_t		 outbox_oldest;	/* created; 0 if none queued */
	uint64_t	 server_ops;	/* pending */
	/* the webhook queue (queue.h): waiting, and what never will be
	 * delivered (refused for good or given up) */
	uint64_t	 webhook_queued;
	uint64_t	 webhook_failed;
};
int		 state_account_status(struct state *, const char *account,
		    int64_t since, struct state_account_status *, char *err,
		    size_t errlen);
void		 state_account_status_clear(struct state_account_status *);
/* 1 if another handle (a running daemon) holds state_claim(), 0 if not. */
int		 state_claimed(struct state *, char *err, size_t errlen);

#endif

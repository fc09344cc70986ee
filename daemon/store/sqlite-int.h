/* SPDX-License-Identifier: ISC */
/*
 * sqlite-int.h - the inside of the SQLite backend: what sqlite.c and the
 * sqlite-*.c files share - the handle (struct state_impl), its statement
 * cache, the error and transaction helpers, and the operations that
 * sqlite-backend.c collects into sqlite_backend (backend.h).  Nothing
 * outside daemon/store/sqlite*.c includes it; callers see only state.h,
 * outbox.h, queue.h, serverops.h, msgid.h and oauth.h.
 */
#ifndef DAEMON_STORE_SQLITE_INT_H
#define DAEMON_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "daemon/store/backend.h"
#include "daemon/store/state.h"

/* Slots of the statement cache: statements run once per message. */
enum state_slot {
	SLOT_FOLDER_FIND,
	SLOT_FOLDER_ADD,
	SLOT_INTENT_ADD,
	SLOT_INTENT_FOLDER,
	SLOT_INTENT_DONE,
	SLOT_INTENT_DONE_OLD,
	SLOT_INTENT_DEL,
	SLOT_INTENT_REMOTE,
	SLOT_MAX
};

struct state_impl {
	sqlite3		*db;
	char		*path;
	int		 lockfd;	/* sqlite_claim(), or -1 */
	int		 oauth_lockfd;	/* sqlite_oauth_lock(), or -1 */
	sqlite3_stmt	*slot[SLOT_MAX];
};

/*
 * An idle handle (an account waiting in IMAP IDLE, for hours) closes
 * its connection: a connection's parsed schema, statements and page
 * cache are ~40 KB, times thousands of accounts.  The handle stays; the
 * next statement (sqlite_exec, sqlite_prepare) opens the file again.
 * Not inside a transaction.  sqlite_unpark: 0, or -1 with err set.
 */
void		 sqlite_park(struct state_impl *);
int		 sqlite_unpark(struct state_impl *, char *err, size_t errlen);
/* A new connection's settings: the busy timeout, WAL (switched to if
 * need be), synchronous=FULL, foreign keys.  0, or -1 with err set. */
int		 sqlite_pragmas(struct state_impl *, char *err, size_t errlen);
/* Write "state PATH: what: sqlite's reason (hint)" into err; returns -1. */
int		 sqlite_fail(struct state_impl *, const char *what, char *err,
		    size_t errlen);
int		 sqlite_exec(struct state_impl *, const char *sql,
		    const char *what, char *err, size_t errlen);
/* BEGIN IMMEDIATE: writers queue at the start, never deadlock midway. */
int		 sqlite_begin(struct state_impl *, char *err, size_t errlen);
int		 sqlite_commit(struct state_impl *, char *err, size_t errlen);
void		 sqlite_rollback(struct state_impl *);
/* A prepared statement: cached in slot if slot < SLOT_MAX, else fresh
 * (the caller finalizes it).  NULL on error, reported. */
sqlite3_stmt	*sqlite_prepare(struct state_impl *, enum state_slot,
		    const char *sql, char *err, size_t errlen);
void		 sqlite_release(enum state_slot, sqlite3_stmt *);
/* Bind a string that may be NULL; the text must outlive the step. */
int		 sqlite_bind_str(sqlite3_stmt *, int, const char *);
/* A copy of a column: text ("" for NULL), or a blob with a NUL after
 * its *len bytes; NULL when out of memory. */
char		*sqlite_column_str(sqlite3_stmt *, int col);
char		*sqlite_column_blob(sqlite3_stmt *, int col, size_t *len);
/* The id of a folder row, creating it with uidvalidity if create is set;
 * 0 if absent and not created. */
int		 sqlite_folder_id(struct state_impl *, const char *account,
		    const char *folder, uint32_t uidvalidity, int create,
		    int64_t *id, char *err, size_t errlen);
/* 1 with the folder's id and UIDVALIDITY, 0 if unknown, -1 on error. */
int		 sqlite_folder_get(struct state_impl *, const char *account,
		    const char *folder, int64_t *id, uint32_t *uidvalidity,
		    char *err, size_t errlen);
/* Drop the provider message ids (msgid.h) recorded through the
 * account's folder (NULL: all) and uid (NULL: all), in the caller's
 * transaction: for sqlite_forget(). */
int		 sqlite_msgids_forget(struct state_impl *, const char *account,
		    const char *folder, const uint32_t *uid, char *err,
		    size_t errlen);
/* Queue one item (queue.h) in the caller's transaction: for
 * sqlite_intents_complete_batch(). */
struct queue_item;
int		 sqlite_queue_insert(struct state_impl *,
		    const struct queue_item *, char *err, size_t errlen);
/* "" for NULL: POP3 accounts have one folder, "". */
const char	*sqlite_folder_name(const char *);
int64_t		 sqlite_now(void);

/* The operations of sqlite_backend, each the public function of the
 * same name with state_ for sqlite_ (see the headers named).  The
 * backend's own: */
struct state_impl *sqlite_open(const char *path, int flags, char *err,
		    size_t errlen);
int		 sqlite_exists(const char *path, char *err, size_t errlen);
int		 sqlite_oauth_lock(struct state_impl *st, const char *account,
		    char *err, size_t errlen);
void		 sqlite_oauth_unlock(struct state_impl *st);

/* state.h */
void		 sqlite_close(struct state_impl *st);
const char	*sqlite_path(const struct state_impl *st);
int		 sqlite_claim(struct state_impl *st, char *err, size_t errlen);
int		 sqlite_folder_uidvalidity(struct state_impl *st,
		    const char *account, const char *folder,
		    uint32_t *uidvalidity, char *err, size_t errlen);
int		 sqlite_folder_reset(struct state_impl *st, const char *account,
		    const char *folder, uint32_t uidvalidity, size_t *set_aside,
		    char *err, size_t errlen);
int		 sqlite_folder_sync(struct state_impl *st, const char *account,
		    const char *folder, struct state_sync *sync, char *err,
		    size_t errlen);
int		 sqlite_folder_sync_set(struct state_impl *st,
		    const char *account, const char *folder,
		    const struct state_sync *sync, char *err, size_t errlen);
int		 sqlite_uids_delivered(struct state_impl *st,
		    const char *account, const char *folder,
		    uint32_t uidvalidity, struct uidset *set, char *err,
		    size_t errlen);
int		 sqlite_uids_deletable(struct state_impl *st,
		    const char *account, const char *folder,
		    uint32_t uidvalidity, struct uidset *set, char *err,
		    size_t errlen);
int		 sqlite_uidls_delivered(struct state_impl *st,
		    const char *account, const char *folder,
		    struct uidlset *set, char *err, size_t errlen);
int		 sqlite_uidls_deletable(struct state_impl *st,
		    const char *account, const char *folder,
		    struct uidlset *set, char *err, size_t errlen);
int		 sqlite_mark_skipped(struct state_impl *st,
		    const struct msg_key *key,
		    const struct msg_content *content, const char *reason,
		    char *err, size_t errlen);
int		 sqlite_folder_set_aside(struct state_impl *st,
		    const char *account, const char *folder, char *err,
		    size_t errlen);
int		 sqlite_seen_content(struct state_impl *st,
		    const struct msg_key *key,
		    const struct msg_content *content, char *err,
		    size_t errlen);
int		 sqlite_intents_record(struct state_impl *st,
		    struct state_intent *v, size_t n, char *err,
		    size_t errlen);
int		 sqlite_intents_complete(struct state_impl *st,
		    const int64_t *ids, size_t n, char *err, size_t errlen);
int		 sqlite_intents_complete_batch(struct state_impl *st,
		    const int64_t *ids, const uint32_t *uv, const uint32_t *uid,
		    size_t n, const struct queue_item *items, size_t nitems,
		    char *err, size_t errlen);
int		 sqlite_intents_rollback(struct state_impl *st,
		    const int64_t *ids, size_t n, char *err, size_t errlen);
int		 sqlite_intents_pending(struct state_impl *st,
		    struct state_intent **v, size_t *n, char *err,
		    size_t errlen);
int		 sqlite_folders_list(struct state_impl *st, const char *account,
		    int (*fn)(const struct state_folder_info *, void *),
		    void *arg, char *err, size_t errlen);
int		 sqlite_messages_list(struct state_impl *st,
		    const char *account, const char *folder,
		    int (*fn)(const struct state_msg_info *, void *), void *arg,
		    char *err, size_t errlen);
int		 sqlite_forget(struct state_impl *st, const char *account,
		    const char *folder, const uint32_t *uid, const char *uidl,
		    uint64_t *removed, char *err, size_t errlen);
int		 sqlite_round_record(struct state_impl *st,
		    const struct state_round *r, char *err, size_t errlen);
int		 sqlite_account_phase(struct state_impl *st,
		    const char *account, const char *phase, int64_t next_poll,
		    char *err, size_t errlen);
int		 sqlite_account_status(struct state_impl *st,
		    const char *account, int64_t since,
		    struct state_account_status *as, char *err, size_t errlen);
int		 sqlite_claimed(struct state_impl *st, char *err,
		    size_t errlen);

/* outbox.h */
int		 sqlite_outbox_add(struct state_impl *st, const char *key,
		    const char *account, const char *smtp, const char *sender,
		    const char *rcpts, const char *data, size_t len, char *err,
		    size_t errlen);
int		 sqlite_outbox_due(struct state_impl *st, const char *account,
		    int64_t now, size_t max, struct outbox_entry **v, size_t *n,
		    char *err, size_t errlen);
int		 sqlite_outbox_sent(struct state_impl *st, int64_t id,
		    char *err, size_t errlen);
int		 sqlite_outbox_retry(struct state_impl *st, int64_t id,
		    int64_t next_try, const char *why, char *err,
		    size_t errlen);
int		 sqlite_outbox_failed(struct state_impl *st, int64_t id,
		    const char *why, char *err, size_t errlen);
int		 sqlite_outbox_counts(struct state_impl *st, uint64_t *queued,
		    uint64_t *sent, uint64_t *failed, char *err,
		    size_t errlen);
int		 sqlite_reply_allow(struct state_impl *st, const char *account,
		    const char *rule, const char *sender, int64_t now,
		    int64_t every, char *err, size_t errlen);
int		 sqlite_reply_queue(struct state_impl *st,
		    const struct outbox_msg *m, const char *rule,
		    const char *to, int64_t now, int64_t every, char *err,
		    size_t errlen);
int		 sqlite_action_done(struct state_impl *st, const char *key,
		    char *err, size_t errlen);
int		 sqlite_action_mark(struct state_impl *st, const char *key,
		    char *err, size_t errlen);

/* queue.h */
int		 sqlite_queue_due(struct state_impl *st, const char *kind,
		    const char *account, int64_t now, size_t max,
		    struct queue_entry **v, size_t *n, char *err,
		    size_t errlen);
int		 sqlite_queue_has(struct state_impl *st, const char *key,
		    char *err, size_t errlen);
int		 sqlite_queue_done(struct state_impl *st, int64_t id, char *err,
		    size_t errlen);
int		 sqlite_queue_retry(struct state_impl *st, int64_t id,
		    int64_t next_try, const char *why, char *err,
		    size_t errlen);
int		 sqlite_queue_failed(struct state_impl *st, int64_t id,
		    const char *status, const char *why, char *err,
		    size_t errlen);
int		 sqlite_queue_counts(struct state_impl *st, const char *kind,
		    struct queue_counts *c, char *err, size_t errlen);

/* serverops.h */
int		 sqlite_server_op_add(struct state_impl *st,
		    const char *account, const char *folder,
		    uint32_t uidvalidity, uint32_t uid, const char *action,
		    const char *arg, char *err, size_t errlen);
int		 sqlite_server_ops_ready(struct state_impl *st,
		    const char *account, const char *folder,
		    uint32_t uidvalidity, struct server_op **v, size_t *n,
		    char *err, size_t errlen);
int		 sqlite_server_op_done(struct state_impl *st, int64_t id,
		    char *err, size_t errlen);

/* msgid.h */
int		 sqlite_msgids_known(struct state_impl *st, const char *account,
		    const uint64_t *ids, size_t n, unsigned char *known,
		    char *err, size_t errlen);
int		 sqlite_msgid_record(struct state_impl *st, const char *account,
		    uint64_t id, const char *folder, uint32_t uid, char *err,
		    size_t errlen);

/* oauth.h */
int		 sqlite_oauth_get(struct state_impl *st, const char *account,
		    struct oauth_grant *g, char *err, size_t errlen);
int		 sqlite_oauth_put(struct state_impl *st,
		    const struct oauth_grant *g, char *err, size_t errlen);
int		 sqlite_oauth_refreshed(struct state_impl *st,
		    const char *account, const char *refresh_token,
		    const char *access_token, int64_t expires, char *err,
		    size_t errlen);
int		 sqlite_oauth_needs_login(struct state_impl *st,
		    const char *account, const char *why, char *err,
		    size_t errlen);
int		 sqlite_oauth_list(struct state_impl *st,
		    struct oauth_grant **g, size_t *n, char *err,
		    size_t errlen);
int		 sqlite_oauth_forget(struct state_impl *st, const char *account,
		    char *err, size_t errlen);

/* sqlite-lease.c: lease.h on a store that is never shared */
struct lease_row;
int		 sqlite_shared(struct state_impl *st);
int		 sqlite_daemon_beat(struct state_impl *st, const char *id,
		    const char *host, long pid, int ttl, size_t *live,
		    char *err, size_t errlen);
int		 sqlite_daemon_leave(struct state_impl *st, const char *id,
		    char *err, size_t errlen);
int		 sqlite_lease_take(struct state_impl *st, const char *account,
		    const char *id, int ttl, int64_t *epoch, char *err,
		    size_t errlen);
int		 sqlite_leases_renew(struct state_impl *st, const char *id,
		    int ttl, const char *const *accounts,
		    const int64_t *epochs, size_t n, unsigned char *kept,
		    char *err, size_t errlen);
int		 sqlite_lease_release(struct state_impl *st,
		    const char *account, const char *id, int64_t epoch,
		    char *err, size_t errlen);
int		 sqlite_leases_list(struct state_impl *st,
		    int (*fn)(const struct lease_row *, void *), void *arg,
		    char *err, size_t errlen);
int		 sqlite_fence(struct state_impl *st, const char *account,
		    const char *id, int64_t epoch, char *err, size_t errlen);

#endif

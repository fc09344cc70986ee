/* SPDX-License-Identifier: ISC */
/*
 * pg-int.h - the inside of the PostgreSQL backend: what the pg-*.c
 * files share - the handle (struct state_impl), the query, error and
 * transaction helpers (pg.c), and the operations pg-backend.c collects
 * into pg_backend (backend.h).  Nothing outside daemon/store/pg*.c
 * includes it.
 *
 * Conventions of every pg_*() operation:
 *   - parameters go as text through pg_run() (never spliced into SQL),
 *     binary only for BYTEA (sha256, message bytes);
 *   - a write that belongs to an account is one transaction opened with
 *     pg_begin(st, PG_FENCED, ...): the fence of lease.h is checked
 *     first, inside it; round statistics and OAuth2 grants use
 *     PG_UNFENCED;
 *   - errors read "state <URL as state_redact() shows it>: what:
 *     PostgreSQL's message", never the password;
 *   - the schema is pg-schema.c's; its meaning is state.h's, the same
 *     as the SQLite backend's (sqlite-*.c are the reference: same
 *     records, same answers, same errors where a test checks them).
 */
#ifndef DAEMON_STORE_PG_INT_H
#define DAEMON_STORE_PG_INT_H

#include <libpq-fe.h>

#include "daemon/store/backend.h"
#include "daemon/store/lease.h"
#include "daemon/store/pg-pool.h"
#include "daemon/store/state.h"

/*
 * A handle owns no connection: pg-pool.c lends one from the process's
 * pool for the URL, for one statement outside a transaction, from
 * pg_begin() to its commit or rollback, or while pg_oauth_lock() holds
 * an advisory lock; conn is that loan (NULL between them).
 */
struct state_impl {
	struct pg_pool	*pool;
	PGconn		*conn;		/* lent: in_tx or oauth_locked */
	PGconn		*claim;		/* pg_claim()'s own, or NULL */
	char		*url;		/* as given: for libpq only */
	char		*shown;		/* state_redact()ed: for messages */
	int		 in_tx;		/* between pg_begin and commit */
	int		 oauth_locked;	/* pg_oauth_lock() holds one */
	int64_t		 oauth_key;	/* ... on this advisory key */
	/* state_fence(): empty account if the handle is not fenced */
	char		 fence_account[256];
	char		 fence_owner[LEASE_ID_MAX];
	int64_t		 fence_epoch;
};

#define PG_UNFENCED	0
#define PG_FENCED	1

/* Write "state SHOWN: what: PostgreSQL's reason" into err (from r if
 * not NULL, else the connection's); returns -1. */
int		 pg_fail(struct state_impl *, const char *what,
		    const PGresult *r, char *err, size_t errlen);
/* pg_fail() with the reason of connection c when r has none. */
int		 pg_fail_conn(struct state_impl *, PGconn *c, const char *what,
		    const PGresult *r, char *err, size_t errlen);
/*
 * Run one statement with n parameters: vals[i] text (NULL: SQL NULL),
 * or binary of lens[i] bytes where fmts[i] is 1 (lens and fmts NULL:
 * all text); with n 0, sql may be several statements (the result is
 * the last one's).  Returns the result (PGRES_COMMAND_OK or TUPLES_OK; the
 * caller PQclear()s it) or NULL with err set.  Outside a transaction a
 * connection found broken (a server restart) is reset and the
 * statement tried once more.
 */
PGresult	*pg_run(struct state_impl *, const char *what, const char *sql,
		    int n, const char *const *vals, const int *lens,
		    const int *fmts, char *err, size_t errlen);
/* pg_run() for a statement whose rows are not wanted: 0 or -1. */
int		 pg_exec(struct state_impl *, const char *what,
		    const char *sql, int n, const char *const *vals,
		    char *err, size_t errlen);
/* Keep a connection of the pool on the handle (a transaction or an
 * advisory lock needs the same one throughout): 1 if lent now, 0 if
 * it had one, -1 with err set.  pg_release() gives it back unless a
 * transaction or the OAuth2 lock still needs it. */
int		 pg_hold(struct state_impl *, char *err, size_t errlen);
void		 pg_release(struct state_impl *);
/* BEGIN; with PG_FENCED on a fenced handle, then the lease check
 * (lease.h): "lease lost" in err and rolled back if it fails. */
int		 pg_begin(struct state_impl *, int fenced, char *err,
		    size_t errlen);
int		 pg_commit(struct state_impl *, char *err, size_t errlen);
void		 pg_rollback(struct state_impl *);
/* Numbers as parameters and out of results. */
struct pg_num {
	char	 s[24];
};
const char	*pg_i64(struct pg_num *, int64_t);
int64_t		 pg_get_i64(const PGresult *, int row, int col);
/* A copy of a text column ("" for NULL) or of a BYTEA column (text
 * format, unescaped; NUL after its *len bytes); NULL: out of memory. */
char		*pg_get_str(const PGresult *, int row, int col);
unsigned char	*pg_get_bytea(const PGresult *, int row, int col,
		    size_t *len);
/*
 * One write for an account: on a fenced handle in a transaction of its
 * own behind the lease check, else (unfenced, or inside the caller's
 * transaction) the statement alone.  Parameters and result as
 * pg_run()'s; pg_write() (pg-write.c) is the same giving rows changed.
 */
PGresult	*pg_run_fenced(struct state_impl *, const char *what,
		    const char *sql, int n, const char *const *vals,
		    const int *lens, const int *fmts, char *err,
		    size_t errlen);
/*
 * An array parameter in PostgreSQL's text form ("{...}"), for one
 * statement over many rows (unnest()): elements appended in order, hex
 * for bytes (decode(x, 'hex') in SQL), NULL pointers as SQL NULL.
 * pg_array_end() gives the text, NULL if memory ran out.
 */
struct pg_array {
	char	*s;
	size_t	 len;
	size_t	 cap;
	int	 oom;
};
void		 pg_array_str(struct pg_array *, const char *);
void		 pg_array_i64(struct pg_array *, int64_t);
void		 pg_array_hex(struct pg_array *, const unsigned char *,
		    size_t);
const char	*pg_array_end(struct pg_array *);
void		 pg_array_free(struct pg_array *);
/* The folder's row: 1 with its id and UIDVALIDITY, 0 if unknown. */
int		 pg_folder_get(struct state_impl *, const char *account,
		    const char *folder, int64_t *id, uint32_t *uidvalidity,
		    char *err, size_t errlen);
/* "" for NULL: POP3 accounts have one folder, "". */
const char	*pg_folder_name(const char *);

/* The operations, one per member of struct state_backend (backend.h
 * says what each is); pg-backend.c collects them. */
struct state_impl	*pg_open(const char *where, int flags, char *err,
		    size_t errlen);
int		 pg_exists(const char *where, char *err, size_t errlen);
int		 pg_oauth_lock(struct state_impl *st, const char *account,
		    char *err, size_t errlen);
void		 pg_oauth_unlock(struct state_impl *st);
void		 pg_close(struct state_impl *st);
const char	*pg_path(const struct state_impl *st);
int		 pg_claim(struct state_impl *st, char *err, size_t errlen);
int		 pg_folder_uidvalidity(struct state_impl *st,
		    const char *account, const char *folder,
		    uint32_t *uidvalidity, char *err, size_t errlen);
int		 pg_folder_reset(struct state_impl *st, const char *account,
		    const char *folder, uint32_t uidvalidity, size_t *set_aside,
		    char *err, size_t errlen);
int		 pg_folder_sync(struct state_impl *st, const char *account,
		    const char *folder, struct state_sync *sync, char *err,
		    size_t errlen);
int		 pg_folder_sync_set(struct state_impl *st, const char *account,
		    const char *folder, const struct state_sync *sync,
		    char *err, size_t errlen);
int		 pg_uids_delivered(struct state_impl *st, const char *account,
		    const char *folder, uint32_t uidvalidity,
		    struct uidset *set, char *err, size_t errlen);
int		 pg_uids_deletable(struct state_impl *st, const char *account,
		    const char *folder, uint32_t uidvalidity,
		    struct uidset *set, char *err, size_t errlen);
int		 pg_uidls_delivered(struct state_impl *st, const char *account,
		    const char *folder, struct uidlset *set, char *err,
		    size_t errlen);
int		 pg_uidls_deletable(struct state_impl *st, const char *account,
		    const char *folder, struct uidlset *set, char *err,
		    size_t errlen);
int		 pg_mark_skipped(struct state_impl *st,
		    const struct msg_key *key,
		    const struct msg_content *content, const char *reason,
		    char *err, size_t errlen);
int		 pg_folder_set_aside(struct state_impl *st, const char *account,
		    const char *folder, char *err, size_t errlen);
int		 pg_seen_content(struct state_impl *st,
		    const struct msg_key *key,
		    const struct msg_content *content, char *err,
		    size_t errlen);
int		 pg_intents_record(struct state_impl *st,
		    struct state_intent *v, size_t n, char *err,
		    size_t errlen);
int		 pg_intents_complete(struct state_impl *st, const int64_t *ids,
		    size_t n, char *err, size_t errlen);
int		 pg_intents_complete_batch(struct state_impl *st,
		    const int64_t *ids, const uint32_t *uv, const uint32_t *uid,
		    size_t n, const struct queue_item *items, size_t nitems,
		    char *err, size_t errlen);
int		 pg_intents_rollback(struct state_impl *st, const int64_t *ids,
		    size_t n, char *err, size_t errlen);
int		 pg_intents_pending(struct state_impl *st,
		    struct state_intent **v, size_t *n, char *err,
		    size_t errlen);
int		 pg_folders_list(struct state_impl *st, const char *account,
		    int (*fn)(const struct state_folder_info *, void *),
		    void *arg, char *err, size_t errlen);
int		 pg_messages_list(struct state_impl *st, const char *account,
		    const char *folder, int (*fn)(const struct state_msg_info *,
		    void *), void *arg, char *err, size_t errlen);
int		 pg_forget(struct state_impl *st, const char *account,
		    const char *folder, const uint32_t *uid, const char *uidl,
		    uint64_t *removed, char *err, size_t errlen);
int		 pg_round_record(struct state_impl *st,
		    const struct state_round *r, char *err, size_t errlen);
int		 pg_account_phase(struct state_impl *st, const char *account,
		    const char *phase, int64_t next_poll, char *err,
		    size_t errlen);
int		 pg_account_status(struct state_impl *st, const char *account,
		    int64_t since, struct state_account_status *as, char *err,
		    size_t errlen);
int		 pg_claimed(struct state_impl *st, char *err, size_t errlen);
int		 pg_outbox_add(struct state_impl *st, const char *key,
		    const char *account, const char *smtp, const char *sender,
		    const char *rcpts, const char *data, size_t len, char *err,
		    size_t errlen);
int		 pg_outbox_due(struct state_impl *st, const char *account,
		    int64_t now, size_t max, struct outbox_entry **v, size_t *n,
		    char *err, size_t errlen);
int		 pg_outbox_sent(struct state_impl *st, int64_t id, char *err,
		    size_t errlen);
int		 pg_outbox_retry(struct state_impl *st, int64_t id,
		    int64_t next_try, const char *why, char *err,
		    size_t errlen);
int		 pg_outbox_failed(struct state_impl *st, int64_t id,
		    const char *why, char *err, size_t errlen);
int		 pg_outbox_counts(struct state_impl *st, uint64_t *queued,
		    uint64_t *sent, uint64_t *failed, char *err,
		    size_t errlen);
int		 pg_reply_allow(struct state_impl *st, const char *account,
		    const char *rule, const char *sender, int64_t now,
		    int64_t every, char *err, size_t errlen);
int		 pg_reply_queue(struct state_impl *st,
		    const struct outbox_msg *m, const char *rule,
		    const char *to, int64_t now, int64_t every, char *err,
		    size_t errlen);
int		 pg_action_done(struct state_impl *st, const char *key,
		    char *err, size_t errlen);
int		 pg_action_mark(struct state_impl *st, const char *key,
		    char *err, size_t errlen);
int		 pg_queue_due(struct state_impl *st, const char *kind,
		    const char *account, int64_t now, size_t max,
		    struct queue_entry **v, size_t *n, char *err,
		    size_t errlen);
int		 pg_queue_has(struct state_impl *st, const char *key, char *err,
		    size_t errlen);
int		 pg_queue_done(struct state_impl *st, int64_t id, char *err,
		    size_t errlen);
int		 pg_queue_retry(struct state_impl *st, int64_t id,
		    int64_t next_try, const char *why, char *err,
		    size_t errlen);
int		 pg_queue_failed(struct state_impl *st, int64_t id,
		    const char *status, const char *why, char *err,
		    size_t errlen);
int		 pg_queue_counts(struct state_impl *st, const char *kind,
		    struct queue_counts *c, char *err, size_t errlen);
int		 pg_server_op_add(struct state_impl *st, const char *account,
		    const char *folder, uint32_t uidvalidity, uint32_t uid,
		    const char *action, const char *arg, char *err,
		    size_t errlen);
int		 pg_server_ops_ready(struct state_impl *st, const char *account,
		    const char *folder, uint32_t uidvalidity,
		    struct server_op **v, size_t *n, char *err, size_t errlen);
int		 pg_server_op_done(struct state_impl *st, int64_t id, char *err,
		    size_t errlen);
int		 pg_msgids_known(struct state_impl *st, const char *account,
		    const uint64_t *ids, size_t n, unsigned char *known,
		    char *err, size_t errlen);
int		 pg_msgid_record(struct state_impl *st, const char *account,
		    uint64_t id, const char *folder, uint32_t uid, char *err,
		    size_t errlen);
int		 pg_oauth_get(struct state_impl *st, const char *account,
		    struct oauth_grant *g, char *err, size_t errlen);
int		 pg_oauth_put(struct state_impl *st,
		    const struct oauth_grant *g, char *err, size_t errlen);
int		 pg_oauth_refreshed(struct state_impl *st, const char *account,
		    const char *refresh_token, const char *access_token,
		    int64_t expires, char *err, size_t errlen);
int		 pg_oauth_needs_login(struct state_impl *st,
		    const char *account, const char *why, char *err,
		    size_t errlen);
int		 pg_oauth_list(struct state_impl *st, struct oauth_grant **g,
		    size_t *n, char *err, size_t errlen);
int		 pg_oauth_forget(struct state_impl *st, const char *account,
		    char *err, size_t errlen);
int		 pg_shared(struct state_impl *st);
int		 pg_daemon_beat(struct state_impl *st, const char *id,
		    const char *host, long pid, int ttl, size_t *live,
		    char *err, size_t errlen);
int		 pg_daemon_leave(struct state_impl *st, const char *id,
		    char *err, size_t errlen);
int		 pg_lease_take(struct state_impl *st, const char *account,
		    const char *id, int ttl, int64_t *epoch, char *err,
		    size_t errlen);
int		 pg_leases_renew(struct state_impl *st, const char *id, int ttl,
		    const char *const *accounts, const int64_t *epochs,
		    size_t n, unsigned char *kept, char *err, size_t errlen);
int		 pg_lease_release(struct state_impl *st, const char *account,
		    const char *id, int64_t epoch, char *err, size_t errlen);
int		 pg_leases_list(struct state_impl *st,
		    int (*fn)(const struct lease_row *, void *), void *arg,
		    char *err, size_t errlen);
int		 pg_fence(struct state_impl *st, const char *account,
		    const char *id, int64_t epoch, char *err, size_t errlen);
/* Queue one item (queue.h) in the caller's transaction: for
 * pg_intents_complete_batch(). */
int		 pg_queue_insert(struct state_impl *, const struct queue_item *,
		    char *err, size_t errlen);
/* Drop the provider message ids (msgid.h) recorded through the
 * account's folder (NULL: all) and uid (NULL: all), in the caller's
 * transaction: for pg_forget(). */
int		 pg_msgids_forget(struct state_impl *, const char *account,
		    const char *folder, const uint32_t *uid, char *err,
		    size_t errlen);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * backend.h - the inside of the store's front door: what a backend
 * hands state.c.  A backend is one table of functions, struct
 * state_backend, with one member per operation of state.h, outbox.h,
 * queue.h, serverops.h, msgid.h, oauth.h and lease.h (the frees of
 * records.c are shared and are not in it).  state.c picks the table from the
 * state's name (state_open()) and each public function is one call
 * through it.  Nothing outside daemon/store/ includes this file.
 *
 * struct state_impl is each backend's own handle: declared here and
 * left incomplete, completed only inside that backend's files
 * (sqlite-int.h: the sqlite3 connection, its statement cache, the lock
 * fds), so no file ever sees two of them.  Every member keeps the
 * contract and the error convention of the public function it serves
 * (state.h: the guarantees); err names the store as state_redact()
 * shows it, never a password.
 */
#ifndef DAEMON_STORE_BACKEND_H
#define DAEMON_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

/* Only pointers to these cross the table: it needs none of the
 * headers, so no header of the store depends on it. */
struct msg_content;
struct msg_key;
struct oauth_grant;
struct outbox_entry;
struct outbox_msg;
struct queue_counts;
struct queue_entry;
struct queue_item;
struct lease_row;
struct server_op;
struct state_account_status;
struct state_folder_info;
struct state_intent;
struct state_impl;
struct state_msg_info;
struct state_round;
struct state_sync;
struct uidlset;
struct uidset;

/* What callers hold: the table and the backend's own handle. */
struct state {
	const struct state_backend	*be;
	struct state_impl		*impl;
};

struct state_backend {
	const char	*name;		/* "SQLite", for messages */
	/* state_open(): where is the path or URL as the user gave it */
	struct state_impl *(*state_open)(const char *where, int flags,
		    char *err, size_t errlen);
	/* state_exists(): 1 if the store is there, 0 if not, -1 */
	int	(*state_exists)(const char *where, char *err, size_t errlen);
	/* oauth.h: the cross-process lock of one grant's refresh, at
	 * most one per handle at a time */
	int	(*state_oauth_lock)(struct state_impl *st, const char *account,
		    char *err, size_t errlen);
	void	(*state_oauth_unlock)(struct state_impl *st);
	/* state.h */
	void	(*state_close)(struct state_impl *st);
	const char	*(*state_path)(const struct state_impl *st);
	int	(*state_claim)(struct state_impl *st, char *err, size_t errlen);
	int	(*state_folder_uidvalidity)(struct state_impl *st,
		    const char *account, const char *folder,
		    uint32_t *uidvalidity, char *err, size_t errlen);
	int	(*state_folder_reset)(struct state_impl *st,
		    const char *account, const char *folder,
		    uint32_t uidvalidity, size_t *set_aside, char *err,
		    size_t errlen);
	int	(*state_folder_sync)(struct state_impl *st, const char *account,
		    const char *folder, struct state_sync *sync, char *err,
		    size_t errlen);
	int	(*state_folder_sync_set)(struct state_impl *st,
		    const char *account, const char *folder,
		    const struct state_sync *sync, char *err, size_t errlen);
	int	(*state_uids_delivered)(struct state_impl *st,
		    const char *account, const char *folder,
		    uint32_t uidvalidity, struct uidset *set, char *err,
		    size_t errlen);
	int	(*state_uids_deletable)(struct state_impl *st,
		    const char *account, const char *folder,
		    uint32_t uidvalidity, struct uidset *set, char *err,
		    size_t errlen);
	int	(*state_uidls_delivered)(struct state_impl *st,
		    const char *account, const char *folder,
		    struct uidlset *set, char *err, size_t errlen);
	int	(*state_uidls_deletable)(struct state_impl *st,
		    const char *account, const char *folder,
		    struct uidlset *set, char *err, size_t errlen);
	int	(*state_mark_skipped)(struct state_impl *st,
		    const struct msg_key *key,
		    const struct msg_content *content, const char *reason,
		    char *err, size_t errlen);
	int	(*state_folder_set_aside)(struct state_impl *st,
		    const char *account, const char *folder, char *err,
		    size_t errlen);
	int	(*state_seen_content)(struct state_impl *st,
		    const struct msg_key *key,
		    const struct msg_content *content, char *err,
		    size_t errlen);
	int	(*state_intents_record)(struct state_impl *st,
		    struct state_intent *v, size_t n, char *err, size_t errlen);
	int	(*state_intents_complete)(struct state_impl *st,
		    const int64_t *ids, size_t n, char *err, size_t errlen);
	int	(*state_intents_complete_batch)(struct state_impl *st,
		    const int64_t *ids, const uint32_t *uv, const uint32_t *uid,
		    size_t n, const struct queue_item *items, size_t nitems,
		    char *err, size_t errlen);
	int	(*state_intents_rollback)(struct state_impl *st,
		    const int64_t *ids, size_t n, char *err, size_t errlen);
	int	(*state_intents_pending)(struct state_impl *st,
		    struct state_intent **v, size_t *n, char *err,
		    size_t errlen);
	int	(*state_folders_list)(struct state_impl *st,
		    const char *account,
		    int (*fn)(const struct state_folder_info *, void *),
		    void *arg, char *err, size_t errlen);
	int	(*state_messages_list)(struct state_impl *st,
		    const char *account, const char *folder,
		    int (*fn)(const struct state_msg_info *, void *), void *arg,
		    char *err, size_t errlen);
	int	(*state_forget)(struct state_impl *st, const char *account,
		    const char *folder, const uint32_t *uid, const char *uidl,
		    uint64_t *removed, char *err, size_t errlen);
	int	(*state_round_record)(struct state_impl *st,
		    const struct state_round *r, char *err, size_t errlen);
	int	(*state_account_phase)(struct state_impl *st,
		    const char *account, const char *phase, int64_t next_poll,
		    char *err, size_t errlen);
	int	(*state_account_status)(struct state_impl *st,
		    const char *account, int64_t since,
		    struct state_account_status *as, char *err, size_t errlen);
	int	(*state_claimed)(struct state_impl *st, char *err,
	    size_t errlen);
	/* outbox.h */
	int	(*state_outbox_add)(struct state_impl *st, const char *key,
		    const char *account, const char *smtp, const char *sender,
		    const char *rcpts, const char *data, size_t len, char *err,
		    size_t errlen);
	int	(*state_outbox_due)(struct state_impl *st, const char *account,
		    int64_t now, size_t max, struct outbox_entry **v, size_t *n,
		    char *err, size_t errlen);
	int	(*state_outbox_sent)(struct state_impl *st, int64_t id,
		    char *err, size_t errlen);
	int	(*state_outbox_retry)(struct state_impl *st, int64_t id,
		    int64_t next_try, const char *why, char *err,
		    size_t errlen);
	int	(*state_outbox_failed)(struct state_impl *st, int64_t id,
		    const char *why, char *err, size_t errlen);
	int	(*state_outbox_counts)(struct state_impl *st, uint64_t *queued,
		    uint64_t *sent, uint64_t *failed, char *err,
		    size_t errlen);
	int	(*state_reply_allow)(struct state_impl *st, const char *account,
		    const char *rule, const char *sender, int64_t now,
		    int64_t every, char *err, size_t errlen);
	int	(*state_reply_queue)(struct state_impl *st,
		    const struct outbox_msg *m, const char *rule,
		    const char *to, int64_t now, int64_t every, char *err,
		    size_t errlen);
	int	(*state_action_done)(struct state_impl *st, const char *key,
		    char *err, size_t errlen);
	int	(*state_action_mark)(struct state_impl *st, const char *key,
		    char *err, size_t errlen);
	/* queue.h */
	int	(*state_queue_due)(struct state_impl *st, const char *kind,
		    const char *account, int64_t now, size_t max,
		    struct queue_entry **v, size_t *n, char *err,
		    size_t errlen);
	int	(*state_queue_has)(struct state_impl *st, const char *key,
		    char *err, size_t errlen);
	int	(*state_queue_done)(struct state_impl *st, int64_t id,
		    char *err, size_t errlen);
	int	(*state_queue_retry)(struct state_impl *st, int64_t id,
		    int64_t next_try, const char *why, char *err,
		    size_t errlen);
	int	(*state_queue_failed)(struct state_impl *st, int64_t id,
		    const char *status, const char *why, char *err,
		    size_t errlen);
	int	(*state_queue_counts)(struct state_impl *st, const char *kind,
		    struct queue_counts *c, char *err, size_t errlen);
	/* serverops.h */
	int	(*state_server_op_add)(struct state_impl *st,
		    const char *account, const char *folder,
		    uint32_t uidvalidity, uint32_t uid, const char *action,
		    const char *arg, char *err, size_t errlen);
	int	(*state_server_ops_ready)(struct state_impl *st,
		    const char *account, const char *folder,
		    uint32_t uidvalidity, struct server_op **v, size_t *n,
		    char *err, size_t errlen);
	int	(*state_server_op_done)(struct state_impl *st, int64_t id,
		    char *err, size_t errlen);
	/* msgid.h */
	int	(*state_msgids_known)(struct state_impl *st,
		    const char *account, const uint64_t *ids, size_t n,
		    unsigned char *known, char *err, size_t errlen);
	int	(*state_msgid_record)(struct state_impl *st,
		    const char *account, uint64_t id, const char *folder,
		    uint32_t uid, char *err, size_t errlen);
	/* oauth.h */
	int	(*state_oauth_get)(struct state_impl *st, const char *account,
		    struct oauth_grant *g, char *err, size_t errlen);
	int	(*state_oauth_put)(struct state_impl *st,
		    const struct oauth_grant *g, char *err, size_t errlen);
	int	(*state_oauth_refreshed)(struct state_impl *st,
		    const char *account, const char *refresh_token,
		    const char *access_token, int64_t expires, char *err,
		    size_t errlen);
	int	(*state_oauth_needs_login)(struct state_impl *st,
		    const char *account, const char *why, char *err,
		    size_t errlen);
	int	(*state_oauth_list)(struct state_impl *st,
		    struct oauth_grant **g, size_t *n, char *err,
		    size_t errlen);
	int	(*state_oauth_forget)(struct state_impl *st,
		    const char *account, char *err, size_t errlen);
	/* lease.h */
	int	(*state_shared)(struct state_impl *st);
	int	(*state_daemon_beat)(struct state_impl *st, const char *id,
		    const char *host, long pid, int ttl, size_t *live,
		    char *err, size_t errlen);
	int	(*state_daemon_leave)(struct state_impl *st, const char *id,
		    char *err, size_t errlen);
	int	(*state_lease_take)(struct state_impl *st, const char *account,
		    const char *id, int ttl, int64_t *epoch, char *err,
		    size_t errlen);
	int	(*state_leases_renew)(struct state_impl *st, const char *id,
		    int ttl, const char *const *accounts,
		    const int64_t *epochs, size_t n, unsigned char *kept,
		    char *err, size_t errlen);
	int	(*state_lease_release)(struct state_impl *st,
		    const char *account, const char *id, int64_t epoch,
		    char *err, size_t errlen);
	int	(*state_leases_list)(struct state_impl *st,
		    int (*fn)(const struct lease_row *, void *), void *arg,
		    char *err, size_t errlen);
	int	(*state_fence)(struct state_impl *st, const char *account,
		    const char *id, int64_t epoch, char *err, size_t errlen);
};

/* The backends built in; state.c's table of URL schemes says which
 * name goes to which (a file path: SQLite). */
extern const struct state_backend sqlite_backend;
extern const struct state_backend pg_backend;

#endif

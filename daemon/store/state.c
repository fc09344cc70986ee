/* SPDX-License-Identifier: ISC */
/*
 * state.c - the store's front door: picks the backend from the state's
 * name and hands every call of state.h, outbox.h, queue.h, serverops.h,
 * msgid.h and oauth.h to its table (backend.h), one call each.  No
 * storage and no policy here: a backend keeps the guarantees of
 * state.h itself.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/backend.h"

struct state {
	const struct state_backend	*be;
	struct state_impl		*impl;
};

/*
 * The backends by URL scheme; a name that matches none is a file path
 * (SQLite).  A backend this build lacks has be NULL: its URL is
 * refused with a message saying so, never taken for a file name.
 */
static const struct {
	const char			*scheme;
	const char			*name;
	const struct state_backend	*be;
} state_schemes[] = {
	{ "postgresql://",	"PostgreSQL",	NULL },
	{ "postgres://",	"PostgreSQL",	NULL },
};

/* The backend of where; NULL with err set if this build has none. */
static const struct state_backend *
state_backend_of(const char *where, char *err, size_t errlen)
{
	char	 shown[512];
	size_t	 i;

	for (i = 0; i < sizeof(state_schemes) / sizeof(state_schemes[0]);
	    i++) {
		if (strncmp(where, state_schemes[i].scheme,
		    strlen(state_schemes[i].scheme)) != 0)
			continue;
		if (state_schemes[i].be != NULL)
			return state_schemes[i].be;
		snprintf(err, errlen, "state URL %s: this build has no %s "
		    "backend yet", state_redact(where, shown, sizeof(shown)),
		    state_schemes[i].name);
		return NULL;
	}
	if (state_is_url(where)) {
		snprintf(err, errlen, "state URL %s: unknown kind of store "
		    "(a file path, or postgresql://...)",
		    state_redact(where, shown, sizeof(shown)));
		return NULL;
	}
	return &sqlite_backend;
}

int
state_is_url(const char *where)
{
	size_t	 n;

	/* RFC 3986 scheme: a letter, then letters, digits, "+-." */
	if (!isalpha((unsigned char)where[0]))
		return 0;
	n = strspn(where, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
	return strncmp(where + n, "://", 3) == 0;
}

/* The URL's password (between "user:" and "@" of the authority, and a
 * password= parameter) shown as "***". */
const char *
state_redact(const char *where, char *buf, size_t len)
{
	const char	*auth, *end, *at, *colon, *p;
	size_t		 n;

	if (len == 0)
		return "";
	snprintf(buf, len, "%s", where);
	if ((auth = strstr(where, "://")) == NULL)
		return buf;
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	/* the last '@' of the authority ends the user info */
	for (at = NULL, p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL && (colon = memchr(auth, ':', at - auth)) != NULL) {
		n = (size_t)(colon + 1 - where);
		snprintf(buf, len, "%.*s***%s", (int)n, where, at);
	}
	/* libpq also takes password=... among the parameters */
	if ((p = strstr(buf, "password=")) != NULL &&
	    (p == buf || p[-1] == '?' || p[-1] == '&' || p[-1] == ' ')) {
		char	 rest[512];

		p += strlen("password=");
		snprintf(rest, sizeof(rest), "%s", p + strcspn(p, "& "));
		snprintf(buf + (p - buf), len - (size_t)(p - buf), "***%s",
		    rest);
	}
	return buf;
}

struct state *
state_open(const char *where, int flags, char *err, size_t errlen)
{
	const struct state_backend	*be;
	struct state			*st;

	if ((be = state_backend_of(where, err, errlen)) == NULL)
		return NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory opening the state");
		return NULL;
	}
	st->be = be;
	if ((st->impl = be->open(where, flags, err, errlen)) == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

int
state_exists(const char *where, char *err, size_t errlen)
{
	const struct state_backend	*be;

	if ((be = state_backend_of(where, err, errlen)) == NULL)
		return -1;
	return be->exists(where, err, errlen);
}

void
state_close(struct state *st)
{
	if (st == NULL)
		return;
	st->be->close(st->impl);
	free(st);
}

int
state_oauth_lock(struct state *st, const char *account, char *err,
    size_t errlen)
{
	return st->be->oauth_lock(st->impl, account, err, errlen);
}

void
state_oauth_unlock(struct state *st)
{
	st->be->oauth_unlock(st->impl);
}
const char	*
state_path(const struct state *st)
{
	return st->be->path(st->impl);
}

int
state_claim(struct state *st, char *err, size_t errlen)
{
	return st->be->claim(st->impl, err, errlen);
}

int
state_folder_uidvalidity(struct state *st, const char *account,
    const char *folder, uint32_t *uidvalidity, char *err, size_t errlen)
{
	return st->be->folder_uidvalidity(st->impl, account, folder,
	    uidvalidity, err, errlen);
}

int
state_folder_reset(struct state *st, const char *account, const char *folder,
    uint32_t uidvalidity, size_t *set_aside, char *err, size_t errlen)
{
	return st->be->folder_reset(st->impl, account, folder, uidvalidity,
	    set_aside, err, errlen);
}

int
state_folder_sync(struct state *st, const char *account, const char *folder,
    struct state_sync *sync, char *err, size_t errlen)
{
	return st->be->folder_sync(st->impl, account, folder, sync, err,
	    errlen);
}

int
state_folder_sync_set(struct state *st, const char *account, const char *folder,
    const struct state_sync *sync, char *err, size_t errlen)
{
	return st->be->folder_sync_set(st->impl, account, folder, sync, err,
	    errlen);
}

int
state_uids_delivered(struct state *st, const char *account, const char *folder,
    uint32_t uidvalidity, struct uidset *set, char *err, size_t errlen)
{
	return st->be->uids_delivered(st->impl, account, folder, uidvalidity,
	    set, err, errlen);
}

int
state_uids_deletable(struct state *st, const char *account, const char *folder,
    uint32_t uidvalidity, struct uidset *set, char *err, size_t errlen)
{
	return st->be->uids_deletable(st->impl, account, folder, uidvalidity,
	    set, err, errlen);
}

int
state_uidls_delivered(struct state *st, const char *account, const char *folder,
    struct uidlset *set, char *err, size_t errlen)
{
	return st->be->uidls_delivered(st->impl, account, folder, set, err,
	    errlen);
}

int
state_uidls_deletable(struct state *st, const char *account, const char *folder,
    struct uidlset *set, char *err, size_t errlen)
{
	return st->be->uidls_deletable(st->impl, account, folder, set, err,
	    errlen);
}

int
state_mark_skipped(struct state *st, const struct msg_key *key,
    const struct msg_content *content, const char *reason, char *err,
    size_t errlen)
{
	return st->be->mark_skipped(st->impl, key, content, reason, err,
	    errlen);
}

int
state_folder_set_aside(struct state *st, const char *account,
    const char *folder, char *err, size_t errlen)
{
	return st->be->folder_set_aside(st->impl, account, folder, err,
	    errlen);
}

int
state_seen_content(struct state *st, const struct msg_key *key,
    const struct msg_content *content, char *err, size_t errlen)
{
	return st->be->seen_content(st->impl, key, content, err, errlen);
}

int
state_intents_record(struct state *st, struct state_intent *v, size_t n,
    char *err, size_t errlen)
{
	return st->be->intents_record(st->impl, v, n, err, errlen);
}

int
state_intents_complete(struct state *st, const int64_t *ids, size_t n,
    char *err, size_t errlen)
{
	return st->be->intents_complete(st->impl, ids, n, err, errlen);
}

int
state_intents_complete_batch(struct state *st, const int64_t *ids,
    const uint32_t *uv, const uint32_t *uid, size_t n,
    const struct queue_item *items, size_t nitems, char *err, size_t errlen)
{
	return st->be->intents_complete_batch(st->impl, ids, uv, uid, n, items,
	    nitems, err, errlen);
}

int
state_intents_rollback(struct state *st, const int64_t *ids, size_t n,
    char *err, size_t errlen)
{
	return st->be->intents_rollback(st->impl, ids, n, err, errlen);
}

int
state_intents_pending(struct state *st, struct state_intent **v, size_t *n,
    char *err, size_t errlen)
{
	return st->be->intents_pending(st->impl, v, n, err, errlen);
}

int
state_folders_list(struct state *st, const char *account,
    int (*fn)(const struct state_folder_info *, void *), void *arg, char *err,
    size_t errlen)
{
	return st->be->folders_list(st->impl, account, fn, arg, err, errlen);
}

int
state_messages_list(struct state *st, const char *account, const char *folder,
    int (*fn)(const struct state_msg_info *, void *), void *arg, char *err,
    size_t errlen)
{
	return st->be->messages_list(st->impl, account, folder, fn, arg, err,
	    errlen);
}

int
state_forget(struct state *st, const char *account, const char *folder,
    const uint32_t *uid, const char *uidl, uint64_t *removed, char *err,
    size_t errlen)
{
	return st->be->forget(st->impl, account, folder, uid, uidl, removed,
	    err, errlen);
}

int
state_round_record(struct state *st, const struct state_round *r, char *err,
    size_t errlen)
{
	return st->be->round_record(st->impl, r, err, errlen);
}

int
state_account_phase(struct state *st, const char *account, const char *phase,
    int64_t next_poll, char *err, size_t errlen)
{
	return st->be->account_phase(st->impl, account, phase, next_poll, err,
	    errlen);
}

int
state_account_status(struct state *st, const char *account, int64_t since,
    struct state_account_status *as, char *err, size_t errlen)
{
	return st->be->account_status(st->impl, account, since, as, err,
	    errlen);
}

int
state_claimed(struct state *st, char *err, size_t errlen)
{
	return st->be->claimed(st->impl, err, errlen);
}

int
state_outbox_add(struct state *st, const char *key, const char *account,
    const char *smtp, const char *sender, const char *rcpts, const char *data,
    size_t len, char *err, size_t errlen)
{
	return st->be->outbox_add(st->impl, key, account, smtp, sender, rcpts,
	    data, len, err, errlen);
}

int
state_outbox_due(struct state *st, const char *account, int64_t now, size_t max,
    struct outbox_entry **v, size_t *n, char *err, size_t errlen)
{
	return st->be->outbox_due(st->impl, account, now, max, v, n, err,
	    errlen);
}

int
state_outbox_sent(struct state *st, int64_t id, char *err, size_t errlen)
{
	return st->be->outbox_sent(st->impl, id, err, errlen);
}

int
state_outbox_retry(struct state *st, int64_t id, int64_t next_try,
    const char *why, char *err, size_t errlen)
{
	return st->be->outbox_retry(st->impl, id, next_try, why, err, errlen);
}

int
state_outbox_failed(struct state *st, int64_t id, const char *why, char *err,
    size_t errlen)
{
	return st->be->outbox_failed(st->impl, id, why, err, errlen);
}

int
state_outbox_counts(struct state *st, uint64_t *queued, uint64_t *sent,
    uint64_t *failed, char *err, size_t errlen)
{
	return st->be->outbox_counts(st->impl, queued, sent, failed, err,
	    errlen);
}

int
state_reply_allow(struct state *st, const char *account, const char *rule,
    const char *sender, int64_t now, int64_t every, char *err, size_t errlen)
{
	return st->be->reply_allow(st->impl, account, rule, sender, now, every,
	    err, errlen);
}

int
state_reply_queue(struct state *st, const struct outbox_msg *m,
    const char *rule, const char *to, int64_t now, int64_t every, char *err,
    size_t errlen)
{
	return st->be->reply_queue(st->impl, m, rule, to, now, every, err,
	    errlen);
}

int
state_action_done(struct state *st, const char *key, char *err, size_t errlen)
{
	return st->be->action_done(st->impl, key, err, errlen);
}

int
state_action_mark(struct state *st, const char *key, char *err, size_t errlen)
{
	return st->be->action_mark(st->impl, key, err, errlen);
}

int
state_queue_due(struct state *st, const char *kind, const char *account,
    int64_t now, size_t max, struct queue_entry **v, size_t *n, char *err,
    size_t errlen)
{
	return st->be->queue_due(st->impl, kind, account, now, max, v, n, err,
	    errlen);
}

int
state_queue_has(struct state *st, const char *key, char *err, size_t errlen)
{
	return st->be->queue_has(st->impl, key, err, errlen);
}

int
state_queue_done(struct state *st, int64_t id, char *err, size_t errlen)
{
	return st->be->queue_done(st->impl, id, err, errlen);
}

int
state_queue_retry(struct state *st, int64_t id, int64_t next_try,
    const char *why, char *err, size_t errlen)
{
	return st->be->queue_retry(st->impl, id, next_try, why, err, errlen);
}

int
state_queue_failed(struct state *st, int64_t id, const char *status,
    const char *why, char *err, size_t errlen)
{
	return st->be->queue_failed(st->impl, id, status, why, err, errlen);
}

int
state_queue_counts(struct state *st, const char *kind, struct queue_counts *c,
    char *err, size_t errlen)
{
	return st->be->queue_counts(st->impl, kind, c, err, errlen);
}

int
state_server_op_add(struct state *st, const char *account, const char *folder,
    uint32_t uidvalidity, uint32_t uid, const char *action, const char *arg,
    char *err, size_t errlen)
{
	return st->be->server_op_add(st->impl, account, folder, uidvalidity,
	    uid, action, arg, err, errlen);
}

int
state_server_ops_ready(struct state *st, const char *account,
    const char *folder, uint32_t uidvalidity, struct server_op **v, size_t *n,
    char *err, size_t errlen)
{
	return st->be->server_ops_ready(st->impl, account, folder, uidvalidity,
	    v, n, err, errlen);
}

int
state_server_op_done(struct state *st, int64_t id, char *err, size_t errlen)
{
	return st->be->server_op_done(st->impl, id, err, errlen);
}

int
state_msgids_known(struct state *st, const char *account, const uint64_t *ids,
    size_t n, unsigned char *known, char *err, size_t errlen)
{
	return st->be->msgids_known(st->impl, account, ids, n, known, err,
	    errlen);
}

int
state_msgid_record(struct state *st, const char *account, uint64_t id,
    const char *folder, uint32_t uid, char *err, size_t errlen)
{
	return st->be->msgid_record(st->impl, account, id, folder, uid, err,
	    errlen);
}

int
state_oauth_get(struct state *st, const char *account, struct oauth_grant *g,
    char *err, size_t errlen)
{
	return st->be->oauth_get(st->impl, account, g, err, errlen);
}

int
state_oauth_put(struct state *st, const struct oauth_grant *g, char *err,
    size_t errlen)
{
	return st->be->oauth_put(st->impl, g, err, errlen);
}

int
state_oauth_refreshed(struct state *st, const char *account,
    const char *refresh_token, const char *access_token, int64_t expires,
    char *err, size_t errlen)
{
	return st->be->oauth_refreshed(st->impl, account, refresh_token,
	    access_token, expires, err, errlen);
}

int
state_oauth_needs_login(struct state *st, const char *account, const char *why,
    char *err, size_t errlen)
{
	return st->be->oauth_needs_login(st->impl, account, why, err, errlen);
}

int
state_oauth_list(struct state *st, struct oauth_grant **g, size_t *n, char *err,
    size_t errlen)
{
	return st->be->oauth_list(st->impl, g, n, err, errlen);
}

int
state_oauth_forget(struct state *st, const char *account, char *err,
    size_t errlen)
{
	return st->be->oauth_forget(st->impl, account, err, errlen);
}

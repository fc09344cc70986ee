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
#include "daemon/store/state.h"

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
	{ "postgresql://",	"PostgreSQL",	&pg_backend },
	{ "postgres://",	"PostgreSQL",	&pg_backend },
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
	if (!state_is_url(where))
		return buf;
	auth = strstr(where, "://") + 3;
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
	if ((st->impl = be->state_open(where, flags, err, errlen)) == NULL) {
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
	return be->state_exists(where, err, errlen);
}

void
state_close(struct state *st)
{
	if (st == NULL)
		return;
	st->be->state_close(st->impl);
	free(st);
}

const char *
state_path(const struct state *st)
{
	return st->be->state_path(st->impl);
}

int
state_claim(struct state *st, char *err, size_t errlen)
{
	return st->be->state_claim(st->impl, err, errlen);
}

int
state_folder_uidvalidity(struct state *st, const char *account,
    const char *folder, uint32_t *uidvalidity, char *err, size_t errlen)
{
	return st->be->state_folder_uidvalidity(st->impl, account, folder,
	    uidvalidity, err, errlen);
}

int
state_folder_reset(struct state *st, const char *account, const char *folder,
    uint32_t uidvalidity, size_t *set_aside, char *err, size_t errlen)
{
	return st->be->state_folder_reset(st->impl, account, folder,
	    uidvalidity, set_aside, err, errlen);
}

int
state_folder_sync(struct state *st, const char *account, const char *folder,
    struct state_sync *sync, char *err, size_t errlen)
{
	return st->be->state_folder_sync(st->impl, account, folder, sync, err,
	    errlen);
}

int
state_folder_sync_set(struct state *st, const char *account, const char *folder,
    const struct state_sync *sync, char *err, size_t errlen)
{
	return st->be->state_folder_sync_set(st->impl, account, folder, sync,
	    err, errlen);
}

int
state_uids_delivered(struct state *st, const char *account, const char *folder,
    uint32_t uidvalidity, struct uidset *set, char *err, size_t errlen)
{
	return st->be->state_uids_delivered(st->impl, account, folder,
	    uidvalidity, set, err, errlen);
}

int
state_uids_deletable(struct state *st, const char *account, const char *folder,
    uint32_t uidvalidity, struct uidset *set, char *err, size_t errlen)
{
	return st->be->state_uids_deletable(st->impl, account, folder,
	    uidvalidity, set, err, errlen);
}

int
state_uidls_delivered(struct state *st, const char *account, const char *folder,
    struct uidlset *set, char *err, size_t errlen)
{
	return st->be->state_uidls_delivered(st->impl, account, folder, set,
	    err, errlen);
}

int
state_uidls_deletable(struct state *st, const char *account, const char *folder,
    struct uidlset *set, char *err, size_t errlen)
{
	return st->be->state_uidls_deletable(st->impl, account, folder, set,
	    err, errlen);
}

int
state_mark_skipped(struct state *st, const struct msg_key *key,
    const struct msg_content *content, const char *reason, char *err,
    size_t errlen)
{
	return st->be->state_mark_skipped(st->impl, key, content, reason, err,
	    errlen);
}

int
state_folder_set_aside(struct state *st, const char *account,
    const char *folder, char *err, size_t errlen)
{
	return st->be->state_folder_set_aside(st->impl, account, folder, err,
	    errlen);
}

int
state_seen_content(struct state *st, const struct msg_key *key,
    const struct msg_content *content, char *err, size_t errlen)
{
	return st->be->state_seen_content(st->impl, key, content, err, errlen);
}

int
state_intents_record(struct state *st, struct state_intent *v, size_t n,
    char *err, size_t errlen)
{
	return st->be->state_intents_record(st->impl, v, n, err, errlen);
}

int
state_intents_complete(struct state *st, const int64_t *ids, size_t n,
    char *err, size_t errlen)
{
	return st->be->state_intents_complete(st->impl, ids, n, err, errlen);
}

int
state_intents_complete_batch(struct state *st, const int64_t *ids,
    const uint32_t *uv, const uint32_t *uid, size_t n,
    const struct queue_item *items, size_t nitems, char *err, size_t errlen)
{
	return st->be->state_intents_complete_batch(st->impl, ids, uv, uid, n,
	    items, nitems, err, errlen);
}

int
state_intents_rollback(struct state *st, const int64_t *ids, size_t n,
    char *err, size_t errlen)
{
	return st->be->state_intents_rollback(st->impl, ids, n, err, errlen);
}

int
state_intents_pending(struct state *st, struct state_intent **v, size_t *n,
    char *err, size_t errlen)
{
	return st->be->state_intents_pending(st->impl, v, n, err, errlen);
}

int
state_folders_list(struct state *st, const char *account,
    int (*fn)(const struct state_folder_info *, void *), void *arg, char *err,
    size_t errlen)
{
	return st->be->state_folders_list(st->impl, account, fn, arg, err,
	    errlen);
}

int
state_messages_list(struct state *st, const char *account, const char *folder,
    int (*fn)(const struct state_msg_info *, void *), void *arg, char *err,
    size_t errlen)
{
	return st->be->state_messages_list(st->impl, account, folder, fn, arg,
	    err, errlen);
}

int
state_forget(struct state *st, const char *account, const char *folder,
    const uint32_t *uid, const char *uidl, uint64_t *removed, char *err,
    size_t errlen)
{
	return st->be->state_forget(st->impl, account, folder, uid, uidl,
	    removed, err, errlen);
}

int
state_round_record(struct state *st, const struct state_round *r, char *err,
    size_t errlen)
{
	return st->be->state_round_record(st->impl, r, err, errlen);
}

int
state_account_phase(struct state *st, const char *account, const char *phase,
    int64_t next_poll, char *err, size_t errlen)
{
	return st->be->state_account_phase(st->impl, account, phase, next_poll,
	    err, errlen);
}

int
state_account_status(struct state *st, const char *account, int64_t since,
    struct state_account_status *as, char *err, size_t errlen)
{
	return st->be->state_account_status(st->impl, account, since, as, err,
	    errlen);
}

int
state_claimed(struct state *st, char *err, size_t errlen)
{
	return st->be->state_claimed(st->impl, err, errlen);
}

/* SPDX-License-Identifier: ISC */
/* oauth.c - the front door of oauth.h: each call handed to the
 * backend (backend.h). */
#include "daemon/store/backend.h"
#include "daemon/store/oauth.h"

int
state_oauth_get(struct state *st, const char *account, struct oauth_grant *g,
    char *err, size_t errlen)
{
	return st->be->state_oauth_get(st->impl, account, g, err, errlen);
}

int
state_oauth_put(struct state *st, const struct oauth_grant *g, char *err,
    size_t errlen)
{
	return st->be->state_oauth_put(st->impl, g, err, errlen);
}

int
state_oauth_refreshed(struct state *st, const char *account,
    const char *refresh_token, const char *access_token, int64_t expires,
    char *err, size_t errlen)
{
	return st->be->state_oauth_refreshed(st->impl, account, refresh_token,
	    access_token, expires, err, errlen);
}

int
state_oauth_needs_login(struct state *st, const char *account, const char *why,
    char *err, size_t errlen)
{
	return st->be->state_oauth_needs_login(st->impl, account, why, err,
	    errlen);
}

int
state_oauth_list(struct state *st, struct oauth_grant **g, size_t *n, char *err,
    size_t errlen)
{
	return st->be->state_oauth_list(st->impl, g, n, err, errlen);
}

int
state_oauth_forget(struct state *st, const char *account, char *err,
    size_t errlen)
{
	return st->be->state_oauth_forget(st->impl, account, err, errlen);
}

int
state_oauth_lock(struct state *st, const char *account, char *err,
    size_t errlen)
{
	return st->be->state_oauth_lock(st->impl, account, err, errlen);
}

void
state_oauth_unlock(struct state *st)
{
	st->be->state_oauth_unlock(st->impl);
}

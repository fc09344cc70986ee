/* SPDX-License-Identifier: ISC */
/*
 * oauth.h - the state store's OAuth2 grants: one per account, with its
 * provider, scopes, refresh token, last access token and its expiry, the
 * time of the last refresh, and whether the user must log in again.
 *
 * The tokens are secrets: the state file is 0600 (sqlite-open.c), and no
 * error text of these functions holds a value, only what failed.  A
 * rotated refresh token and the access token that came with it are
 * written in one transaction (state_oauth_refreshed()), so the store
 * never holds a refresh token older than the one the provider knows.
 */
#ifndef DAEMON_STORE_OAUTH_H
#define DAEMON_STORE_OAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/store/state.h"

struct oauth_grant {
	char		*account;
	char		*provider;	/* "google", "microsoft", "custom" */
	char		*scopes;	/* as granted, space-separated */
	char		*refresh_token;	/* NULL: none (client credentials) */
	char		*access_token;	/* NULL: none yet, or forgotten */
	int64_t		 expires;	/* of the access token, Unix time */
	int64_t		 last_refresh;	/* Unix time, 0: never */
	int		 needs_login;	/* invalid_grant: stop, ask the user */
	char		*error;		/* why it needs a login, or NULL */
};

/* 1 and *g filled (free with state_oauth_grant_clear()), 0 if the
 * account has no grant, -1 on error. */
int	state_oauth_get(struct state *, const char *account,
	    struct oauth_grant *g, char *err, size_t errlen);
/* The whole grant, after a login: replaces any older one; state ok. */
int	state_oauth_put(struct state *, const struct oauth_grant *,
	    char *err, size_t errlen);
/* After a refresh, in one transaction: the access token and its expiry,
 * the rotated refresh token (NULL: the provider kept the old one), last
 * refresh = now, state ok.  -1 if the grant is gone (logged out). */
int	state_oauth_refreshed(struct state *, const char *account,
	    const char *refresh_token, const char *access_token,
	    int64_t expires, char *err, size_t errlen);
/* The provider refused the grant: needs login with why (no token in
 * it); the access token is forgotten. */
int	state_oauth_needs_login(struct state *, const char *account,
	    const char *why, char *err, size_t errlen);
/* Every grant, by account name, tokens left out (NULL): for `mailsift
 * auth status`. */
int	state_oauth_list(struct state *, struct oauth_grant **, size_t *n,
	    char *err, size_t errlen);
void	state_oauth_list_free(struct oauth_grant *, size_t n);
/* Logout: the grant is gone (0 if there was none). */
int	state_oauth_forget(struct state *, const char *account, char *err,
	    size_t errlen);
/* The grant's lock across processes and hosts sharing the store, held
 * around a refresh so a refresh token is never spent twice: waits for
 * the holder (whose token request is bounded).  One at a time per
 * handle; state_oauth_unlock() (or state_close()) gives it back.
 * SQLite: a byte lock on the file "STATE.oauth-lock" next to the state
 * (none for ":memory:"); a server database: its own advisory lock. */
int	state_oauth_lock(struct state *, const char *account, char *err,
	    size_t errlen);
void	state_oauth_unlock(struct state *);
/* Frees the strings, the tokens wiped first. */
void	state_oauth_grant_clear(struct oauth_grant *);

#endif

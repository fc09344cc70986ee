/* SPDX-License-Identifier: ISC */
/*
 * oauth-session.c - the token a login uses (source/ and send/ at connect
 * time); see oauth.h.  The sessions do not hold the state store or the
 * configuration, so the command that runs them names the state file
 * once, before any session starts; each login opens it, asks
 * oauth_token() and closes it (SQLite opens are cheap next to a TLS
 * handshake, and oauth_token()'s lock is per grant, not per handle).
 */
#include <stdio.h>
#include <string.h>

#include "daemon/conf/conf.h"
#include "daemon/oauth/oauth.h"
#include "daemon/store/oauth.h"
#include "daemon/store/state.h"

/* Written once before the sessions' threads start; read-only after. */
static char	 session_state[4096];

int
oauth_session_init(const char *state_path)
{
	if (state_path == NULL || strlen(state_path) >= sizeof(session_state))
		return -1;
	memcpy(session_state, state_path, strlen(state_path) + 1);
	return 0;
}

enum oauth_status
oauth_login_token(const struct config *cfg, const struct account *a,
    enum oauth2_proto proto, const char *refused, char **token, char *err,
    size_t errlen)
{
	struct oauth_client_buf	 b;
	struct state		*st;
	enum oauth_status	 rv;

	*token = NULL;
	if (session_state[0] == '\0') {
		snprintf(err, errlen, "%s: no state file for OAuth2 grants",
		    a->name);
		return OAUTH_FAILED;
	}
	if (oauth_client_build(cfg, a, proto, &b, err, errlen) == -1) {
		oauth_client_clear(&b);
		return OAUTH_FAILED;
	}
	if ((st = state_open(session_state, 0, err, errlen)) == NULL) {
		oauth_client_clear(&b);
		return OAUTH_FAILED;
	}
	rv = oauth_token(st, &b.c, refused, token, err, errlen);
	state_close(st);
	oauth_client_clear(&b);
	return rv;
}

enum oauth_status
oauth_smtp_token(const struct smtp_server *srv, const char *refused,
    char **token, char *err, size_t errlen)
{
	struct account	 own;

	if (srv->ep.oauth2 == NULL) {
		*token = NULL;
		snprintf(err, errlen, "smtp '%s': auth is not oauth2",
		    srv->name);
		return OAUTH_FAILED;
	}
	if (srv->ep.oauth2->grant != NULL)
		return oauth_login_token(NULL, srv->ep.oauth2->grant,
		    OAUTH2_SMTP, refused, token, err, errlen);
	/* its own oauth2-* settings: a grant in the smtp section's name */
	memset(&own, 0, sizeof(own));
	own.name = srv->name;
	own.ep = srv->ep;
	return oauth_login_token(NULL, &own, OAUTH2_SMTP, refused, token, err,
	    errlen);
}

int
oauth_grant_blocked(const struct account *a, char *err, size_t errlen)
{
	const char		*name = a->name;
	struct oauth_grant	 g;
	struct state		*st;
	int			 rc;

	if (a->ep.oauth2 == NULL)
		return 0;
	if (a->ep.oauth2->grant != NULL)
		name = a->ep.oauth2->grant->name;
	if (session_state[0] == '\0')
		return 0;
	if ((st = state_open(session_state, 0, err, errlen)) == NULL)
		return -1;
	rc = state_oauth_get(st, name, &g, err, errlen);
	state_close(st);
	if (rc <= 0)
		return rc;
	rc = g.needs_login;
	state_oauth_grant_clear(&g);
	return rc;
}

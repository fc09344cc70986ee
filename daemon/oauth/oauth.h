/* SPDX-License-Identifier: ISC */
/*
 * oauth.h - mailsift's own OAuth2 client: the front door of daemon/oauth/.
 *
 * Owns: the grant of each account that logs in with `auth = oauth2`
 * (provider, scopes, refresh token), its access tokens and their
 * refresh.  A caller asks oauth_token() for a valid access token for an
 * account and gets one, refreshed ahead of expiry, or an error that says
 * what the user must do.  Refresh tokens rotate: the new one is
 * committed to the state store before the new access token is handed
 * out, so a crash between the two never loses the grant.  One refresh
 * at a time per grant: threads asking together wait for the one token
 * request in flight and share its answer.  An `invalid_grant` answer
 * (revoked, expired, password changed) puts the grant in "needs login"
 * and logs one line naming `mailsift auth login ACCOUNT`; it is not
 * retried until the user logs in again.
 *
 * Never: a token, a refresh token, a client secret or an authorization
 * code in a log line, an error text or a trace.  It does not speak IMAP,
 * POP3 or SMTP (net/sasl.c turns the token into XOAUTH2/OAUTHBEARER) and
 * never calls up into source/, send/, sched/ or cmd/.
 *
 * Depends on: net/http.c (the token request, a form POST), store/ (the
 * grants, store/oauth.h), conf/ (oauth2-* options, conf/oauth2.h, the
 * client secret through conf_secret) and util/ (log, json).
 * Used by: source/ and send/ at login, cmd/ for `mailsift auth`.
 *
 * Files: oauth-refresh.c (tokens and their refresh), oauth-session.c
 * (the token of a login), oauth-token.c (the
 * token endpoint's answer), oauth-client.c (an account's client from
 * its configuration).  Later: oauth-login.c (code + PKCE with a
 * loopback redirect, device grant), oauth-discover.c (OpenID discovery
 * of oauth2-issuer).
 */
#ifndef DAEMON_OAUTH_OAUTH_H
#define DAEMON_OAUTH_OAUTH_H

#include <stddef.h>
#include <time.h>

#include "daemon/conf/oauth2.h"

struct state;
struct config;
struct account;
struct smtp_server;
struct http_request;
struct http_response;

/* Refresh when fewer than this many seconds of the token are left (a
 * quarter of its life if that is shorter). */
#define OAUTH_REFRESH_AHEAD	300
/* The token's life when the provider does not say (RFC 6749 5.1). */
#define OAUTH_DEFAULT_LIFE	3600

/* What oauth_token() failed on, so that callers choose what to do. */
enum oauth_status {
	OAUTH_OK,
	OAUTH_NEEDS_LOGIN,	/* no grant, or refused: `mailsift auth login` */
	OAUTH_TEMPORARY,	/* provider down, timeout, 5xx: later */
	OAUTH_FAILED		/* client refused, store, memory */
};

/* The token endpoint as oauth_token() needs it.  Later, built from the
 * account's conf/oauth2.h settings (preset or explicit endpoints, the
 * secret through conf_secret()). */
struct oauth_client {
	const char	*account;	/* the grant's name in the store */
	const char	*token_url;
	const char	*client_id;
	const char	*client_secret;	/* NULL: a public client */
	const char	*scopes;	/* sent again on refresh (Microsoft);
					   NULL: not sent */
	const char	*ca_file;	/* NULL: the system store */
	int		 verify;
	long		 timeout_ms;
	/* the user's keyring (oauth2-token-command, oauth2-store-command):
	 * the refresh token is read from and stored there, never in the
	 * state file; NULL: the state file holds it */
	const char	*token_command;
	const char	*store_command;
	/* auth-failure-command: run once when the grant goes to "needs
	 * login"; NULL: none */
	const char	*failure_command;
	/* NULL: net/http.c's http_post(); a test puts a fake here */
	int		(*post)(const struct http_request *,
			    struct http_response *);
};

/* An oauth_client with the storage it points into. */
struct oauth_client_buf {
	struct oauth_client	 c;
	char			 token_url[1024];
	char			*secret;	/* wiped by oauth_client_clear() */
};

/* The client of account a (auth = oauth2) for proto, from its settings
 * (oauth-client.c): the preset's endpoint or oauth2-token-url, the
 * client secret (its command run now), the scopes.  Clear it with
 * oauth_client_clear() even after an error. */
int		 oauth_client_build(const struct config *,
		    const struct account *a, enum oauth2_proto proto,
		    struct oauth_client_buf *, char *err, size_t errlen);
void		 oauth_client_clear(struct oauth_client_buf *);

/*
 * A valid access token for c->account in *token (free with
 * oauth_token_free()): the stored one while it has time left, else a new
 * one from the token endpoint (refresh_token grant, or client_credentials
 * for a grant without a refresh token).  refused: the token the server
 * just refused at login, or NULL; if the store still holds it, it is
 * refreshed even if not expired (the caller asks once per login).
 * Threads asking for one grant at once wait for one token request, and
 * so do processes sharing the state file (`mailsift run` and `mailsift
 * send`): a refresh holds a lock on the grant's byte of the file
 * "STATE.oauth-lock" next to it, and reads the grant again once it has
 * the lock, so a refresh token is never spent twice.
 */
enum oauth_status oauth_token(struct state *, const struct oauth_client *c,
		    const char *refused, char **token, char *err,
		    size_t errlen);
void		 oauth_token_free(char *);
/* With a keyring (c->store_command): give it refresh (a new login's, or
 * a rotated one) on the command's stdin; 0 once it exited 0, else -1
 * with err (never the token).  A login stores the grant with no refresh
 * token in the state file after this. */
int		 oauth_keyring_store(const struct oauth_client *c,
		    const char *refresh, char *err, size_t errlen);
/* 1 if account's grant is in "needs login" (the scheduler skips the
 * account without a connection or a token request until the user logs
 * in again), 0 if not or the account has no oauth2 grant, -1 on error.
 * The state file named by oauth_session_init(). */
int		 oauth_grant_blocked(const struct account *a, char *err,
		    size_t errlen);

/*
 * The token of a login (oauth-session.c), for source/ and send/, which
 * hold neither the store nor the configuration.  oauth_session_init():
 * the state file that holds the grants, named once by the command that
 * runs sessions, before any starts.  oauth_login_token(): oauth_token()
 * for account a's grant (cfg may be NULL for an account's own grant; an
 * smtp section's oauth2-account needs it), the state file opened for
 * the call.  Free the token with oauth_token_free().
 */
int		 oauth_session_init(const char *state_path);
enum oauth_status oauth_login_token(const struct config *cfg,
		    const struct account *a, enum oauth2_proto proto,
		    const char *refused, char **token, char *err,
		    size_t errlen);
/* The same for an smtp section: the grant of its oauth2-account, or
 * its own (in its name) when it has oauth2-* settings itself. */
enum oauth_status oauth_smtp_token(const struct smtp_server *,
		    const char *refused, char **token, char *err,
		    size_t errlen);

#endif

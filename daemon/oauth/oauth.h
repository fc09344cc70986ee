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
 * Depends on: net/http.c (the token request, a form POST; the OpenID
 * discovery document, a GET), store/ (the grants, store/oauth.h), conf/
 * (oauth2-* options, conf/oauth2.h, the client secret through
 * conf_secret), util/ (log) and OpenSSL (PKCE's random bytes and
 * SHA-256).
 * Used by: source/ and send/ at login, cmd/ for `mailsift auth`.
 *
 * Files: oauth-refresh.c (tokens and their refresh), oauth-session.c
 * (the token of a login), oauth-token.c (the
 * token endpoint's answer), oauth-client.c (an account's client from
 * its configuration), oauth-discover.c (the endpoints, OpenID
 * discovery of oauth2-issuer), oauth-login.c (`mailsift auth login`:
 * code + PKCE with a loopback redirect or a pasted one), oauth-device.c
 * (the device grant, RFC 8628), oauth-revoke.c (logout, RFC 7009).
 */
#ifndef DAEMON_OAUTH_OAUTH_H
#define DAEMON_OAUTH_OAUTH_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "daemon/conf/oauth2.h"

struct state;
struct oauth_grant;
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
/* An endpoint URL's room. */
#define OAUTH_URL_MAX		1024

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
	const char	*provider;	/* its name, for a grant made here */
	int		 client_credentials; /* oauth2-flow: the grant is
					   the app's, asked without login */
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
	char			 token_url[OAUTH_URL_MAX];
	char			*secret;	/* wiped by oauth_client_clear() */
};

/*
 * An account's endpoints (oauth-discover.c): the preset's, or a custom
 * provider's explicit oauth2-*-url settings, each missing one taken
 * from OpenID discovery of oauth2-issuer (fetched once per process per
 * issuer, a failure not kept).  "" for an endpoint the provider has
 * not (device, revocation).  Errors name the account and the URL.
 */
struct oauth_endpoints {
	char	authorize_url[OAUTH_URL_MAX];
	char	token_url[OAUTH_URL_MAX];
	char	device_url[OAUTH_URL_MAX];	/* "": none */
	char	revoke_url[OAUTH_URL_MAX];	/* "": none */
};
int		 oauth_endpoints_get(const struct config *,
		    const struct account *a, struct oauth_endpoints *,
		    char *err, size_t errlen);

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
 * so do processes sharing the state (`mailsift run` and `mailsift
 * send`): a refresh holds the store's lock of the grant
 * (state_oauth_lock(): SQLite, a byte of "STATE.oauth-lock"), and reads
 * the grant again once it has the lock, so a refresh token is never
 * spent twice.
 */
enum oauth_status oauth_token(struct state *, const struct oauth_client *c,
		    const char *refused, char **token, char *err,
		    size_t errlen);
void		 oauth_token_free(char *);
/* A new login's grant kept: with a keyring (c->store_command) its
 * refresh token goes to the command's stdin first (0 once it exited 0)
 * and the state file gets the grant without it; else the whole grant
 * goes to the state file.  -1 with err (never a token). */
int		 oauth_grant_save(struct state *, const struct oauth_client *c,
		    const struct oauth_grant *g, char *err, size_t errlen);
/* With a keyring (c->token_command): g's refresh token replaced by the
 * one the command prints; 0 (also without a keyring), or -1 with err. */
int		 oauth_keyring_read(const struct oauth_client *c,
		    struct oauth_grant *g, char *err, size_t errlen);
/* 1 if account's grant is in "needs login" (the scheduler skips the
 * account without a connection or a token request until the user logs
 * in again), 0 if not or the account has no oauth2 grant, -1 on error.
 * The state file named by oauth_session_init(). */
int		 oauth_grant_blocked(const struct account *a, char *err,
		    size_t errlen);

/*
 * `mailsift auth login ACCOUNT` (oauth-login.c): authorization code with
 * PKCE S256 (RFC 7636), a random state, the redirect to a loopback
 * listener on 127.0.0.1 and a port the kernel picks (RFC 8252 7.3), or,
 * no_browser, pasted by the user (a line read from in); for a custom
 * provider its iss checked against oauth2-issuer (RFC 9207); the code
 * exchanged and the grant stored (state_oauth_put()).  Prompts and the
 * URL go to out; a wrong state or another request on the listener is
 * refused and it keeps waiting, up to timeout seconds.  0, or -1 with
 * err naming the account (no code, no token in it).
 */
struct oauth_login_opts {
	int		 no_browser;
	long		 timeout;	/* seconds */
	FILE		*out;
	int		 in;		/* fd of the pasted URL */
};
struct oauth_login_result {
	char		 scopes[512];	/* as granted */
	long		 expires_in;	/* of the access token */
	int		 no_refresh;	/* no refresh token came: warn */
};
int		 oauth_login(struct state *, const struct config *,
		    const struct account *a, const struct oauth_login_opts *,
		    struct oauth_login_result *, char *err, size_t errlen);

/*
 * The device authorization grant (RFC 8628, oauth-device.c), for `auth
 * login --device`: the device endpoint asked for a user code, shown
 * through ui->show (the verification URI and the code as the user types
 * them), then the token endpoint polled every interval (slow_down: 5 s
 * more) until the user approves, denies, or the code expires.  The
 * grant (refresh token, access token, granted scopes) is then stored in
 * c->account's name.  oauth_device_url(): the preset's device endpoint
 * or oauth2-device-url; -1 with why if there is none (Google: its device
 * flow has no mail scope).
 */
struct oauth_device {
	char	*device_code;		/* secret: never shown */
	char	*user_code;
	char	*verification_uri;
	char	*verification_uri_complete;	/* NULL: not given */
	long	 expires_in;		/* -1: not given */
	long	 interval;		/* -1: not given (5 s) */
};
struct oauth_device_ui {
	void		(*show)(const struct oauth_device *, void *arg);
	/* NULL: sleep(3); a test passes one that does not wait */
	unsigned	(*sleep)(unsigned seconds);
	void		*arg;
};
int		 oauth_device_url(const struct config *,
		    const struct account *, char *buf, size_t len,
		    char *err, size_t errlen);
enum oauth_status oauth_device_login(struct state *,
		    const struct oauth_client *c, const char *device_url,
		    const struct oauth_device_ui *, char *err, size_t errlen);

/*
 * Logout (oauth-revoke.c): the refresh token revoked at the provider's
 * revocation endpoint (RFC 7009, token_type_hint=refresh_token, the
 * client authenticated as at the token endpoint) if revoke_url is not
 * NULL, then the grant forgotten in every case but a store error.
 * oauth_revoke_url(): 1 and the preset's URL or oauth2-revoke-url in
 * buf, 0 if the provider has none (Microsoft), -1 on error.
 */
enum oauth_logout {
	OAUTH_LOGOUT_REVOKED,		/* revoked, and forgotten */
	OAUTH_LOGOUT_FORGOTTEN,		/* no revocation endpoint (or no
					   refresh token): forgotten only */
	OAUTH_LOGOUT_REVOKE_FAILED,	/* the provider did not revoke it
					   (err says why): forgotten only */
	OAUTH_LOGOUT_NO_GRANT,		/* nothing stored */
	OAUTH_LOGOUT_FAILED		/* the store: nothing forgotten */
};
int		 oauth_revoke_url(const struct config *,
		    const struct account *, char *buf, size_t len,
		    char *err, size_t errlen);
enum oauth_logout oauth_logout(struct state *, const struct oauth_client *c,
		    const char *revoke_url, char *err, size_t errlen);

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

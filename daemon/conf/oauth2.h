/* SPDX-License-Identifier: ISC */
/*
 * oauth2.h - the oauth2-* options of an account or smtp section (`auth =
 * oauth2`) as conf/ builds them, and the provider presets (Google,
 * Microsoft) with their endpoints and default scopes, written out in
 * oauth2-presets.c.  Plain data: no network, no store; daemon/oauth/
 * reads it.
 */
#ifndef DAEMON_CONF_OAUTH2_H
#define DAEMON_CONF_OAUTH2_H

#include <stddef.h>

struct account;

enum oauth2_provider {
	OAUTH2_GOOGLE,
	OAUTH2_MICROSOFT,
	OAUTH2_CUSTOM
};

/* The protocol a token is for: the default scopes differ. */
enum oauth2_proto {
	OAUTH2_IMAP,
	OAUTH2_POP3,
	OAUTH2_SMTP
};

/* How an account gets its tokens (oauth2-flow). */
enum oauth2_flow {
	OAUTH2_FLOW_LOGIN,		/* a user's grant: auth login */
	OAUTH2_FLOW_CLIENT_CREDENTIALS	/* the app's own (Microsoft 365
					   app-only): no login, a token asked
					   when needed, no refresh token */
};

/*
 * An endpoint's OAuth2 settings; NULL in struct endpoint unless `auth =
 * oauth2`.  An smtp section with `oauth2-account = NAME` has only
 * account set: it uses that account's grant (config_oauth2()).
 */
struct oauth2_conf {
	enum oauth2_provider	 provider;
	enum oauth2_flow	 flow;
	char			*client_id;
	char			*client_secret;
	char			*client_secret_command;
	char			*tenant;	/* microsoft; default "common" */
	char			*scopes;	/* NULL: the preset's */
	char			*issuer;	/* custom: OpenID discovery */
	char			*authorize_url;	/* custom, explicit */
	char			*token_url;
	char			*device_url;
	char			*revoke_url;
	/* the user's keyring: prints the refresh token; gets a rotated one
	 * on stdin.  Both or neither; with them no refresh token is kept in
	 * the state file */
	char			*token_command;
	char			*store_command;
	/* auth-failure-command, the section's or the global one: run once
	 * when the grant goes to "needs login" */
	char			*failure_command;
	char			*account;	/* smtp: oauth2-account */
	/* smtp: the account oauth2-account names, whose grant it uses;
	 * set once all accounts are built (conf_oauth2_check_account) */
	const struct account	*grant;
};

struct oauth2_preset {
	const char	*name;		/* "google" */
	/* "{tenant}" stands for oauth2-tenant */
	const char	*authorize_url;
	const char	*token_url;
	const char	*device_url;	/* NULL: none */
	const char	*revoke_url;	/* NULL: none */
	const char	*scopes[3];	/* by enum oauth2_proto */
	/* the host of the loopback redirect URI; NULL: 127.0.0.1 */
	const char	*redirect_host;
	/* oauth2-flow = client-credentials: the scope of every protocol;
	 * NULL: the provider has no such flow for mail */
	const char	*app_scope;
	const char	*source;	/* where these were taken from */
};

/* NULL for OAUTH2_CUSTOM. */
const struct oauth2_preset *oauth2_preset(enum oauth2_provider);
const char	*oauth2_provider_name(enum oauth2_provider);
/* -1 if unknown. */
int		 oauth2_provider_lookup(const char *);
/* tmpl with "{tenant}" replaced (tenant NULL: "common") into buf; -1 if
 * it does not fit. */
int		 oauth2_url_expand(const char *tmpl, const char *tenant,
		    char *buf, size_t len);
/* The scopes to ask for: oauth2-scopes, else the preset's for proto
 * (its app_scope for client-credentials); NULL for a custom provider
 * without oauth2-scopes. */
const char	*oauth2_scopes(const struct oauth2_conf *, enum oauth2_proto);
void		 oauth2_conf_free(struct oauth2_conf *);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * conf-oauth2.c - the oauth2-* options of account and smtp sections; see
 * conf-oauth2.h and oauth2.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conf/conf-load.h"
#include "daemon/conf/conf-oauth2.h"
#include "daemon/conf/config.h"
#include "daemon/conf/oauth2.h"

/* Every oauth2-* option but oauth2-account, in the order of messages. */
static const char *const oauth2_options[] = {
	"oauth2-provider", "oauth2-client-id", "oauth2-client-secret",
	"oauth2-client-secret-command", "oauth2-tenant", "oauth2-scopes",
	"oauth2-issuer", "oauth2-authorize-url", "oauth2-token-url",
	"oauth2-device-url", "oauth2-revoke-url", "oauth2-flow",
	"oauth2-token-command", "oauth2-store-command", "auth-failure-command",
};
#define NOPTIONS	(sizeof(oauth2_options) / sizeof(oauth2_options[0]))

/* The explicit endpoints of a custom provider. */
static const char *const oauth2_urls[] = {
	"oauth2-issuer", "oauth2-authorize-url", "oauth2-token-url",
	"oauth2-device-url", "oauth2-revoke-url",
};
#define NURLS		(sizeof(oauth2_urls) / sizeof(oauth2_urls[0]))

__attribute__((format(printf, 4, 5)))
static int
oauth2_fail(struct conf_load *ld, cfg_t *sec, int line, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line == 0)
		line = conf_section_line(ld, sec);
	conf_fail(ld, line, "%s '%s': %s", cfg_name(sec), cfg_title(sec), msg);
	return -1;
}

/* The first oauth2-* option set in sec, or NULL. */
static const char *
oauth2_first_set(struct conf_load *ld, cfg_t *sec)
{
	size_t	 i;

	for (i = 0; i < NOPTIONS; i++)
		if (conf_opt_line(ld, sec, oauth2_options[i]) != 0)
			return oauth2_options[i];
	return NULL;
}

static int
oauth2_str(struct conf_load *ld, cfg_t *sec, const char *opt, char **dst)
{
	const char	*v = cfg_getstr(sec, opt);

	*dst = NULL;
	if (v == NULL)
		return 0;
	if ((*dst = strdup(v)) == NULL) {
		conf_fail(ld, 0, "out of memory");
		return -1;
	}
	return 0;
}

/* https, or http to this host only (a test provider). */
static int
oauth2_url_ok(const char *v)
{
	static const char *const loopback[] = {
		"http://127.0.0.1:", "http://127.0.0.1/", "http://[::1]:",
		"http://[::1]/", "http://localhost:", "http://localhost/",
	};
	size_t	 i;

	if (strncmp(v, "https://", 8) == 0 && v[8] != '\0' && v[8] != '/')
		return 1;
	for (i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
		if (strncmp(v, loopback[i], strlen(loopback[i])) == 0)
			return 1;
	return 0;
}

/* A tenant goes into the endpoints' path: a name or a GUID. */
static int
oauth2_tenant_ok(const char *v)
{
	if (*v == '\0')
		return 0;
	for (; *v != '\0'; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		    (*v >= '0' && *v <= '9') || *v == '-' || *v == '.'))
			return 0;
	return 1;
}

static int
oauth2_urls_check(struct conf_load *ld, cfg_t *sec, struct oauth2_conf *oc)
{
	const char	*v;
	size_t		 i;
	int		 line;

	for (i = 0; i < NURLS; i++) {
		line = conf_opt_line(ld, sec, oauth2_urls[i]);
		if (line == 0)
			continue;
		if (oc->provider != OAUTH2_CUSTOM)
			return oauth2_fail(ld, sec, line, "'%s' is for "
			    "oauth2-provider = custom; %s's endpoints are "
			    "built in", oauth2_urls[i],
			    oauth2_provider_name(oc->provider));
		v = cfg_getstr(sec, oauth2_urls[i]);
		if (!oauth2_url_ok(v))
			return oauth2_fail(ld, sec, line, "%s: '%s' is not an "
			    "https:// URL (http:// only to 127.0.0.1, [::1] "
			    "or localhost)", oauth2_urls[i], v);
	}
	if (oc->provider != OAUTH2_CUSTOM)
		return 0;
	if (oc->issuer != NULL && oc->token_url != NULL)
		return oauth2_fail(ld, sec, conf_opt_line(ld, sec,
		    "oauth2-token-url"), "'oauth2-issuer' and "
		    "'oauth2-token-url' are both set; keep the issuer "
		    "(discovery) or the explicit endpoints");
	if (oc->issuer == NULL && oc->token_url == NULL)
		return oauth2_fail(ld, sec, conf_opt_line(ld, sec,
		    "oauth2-provider"), "oauth2-provider = custom needs "
		    "'oauth2-issuer' (OpenID discovery) or 'oauth2-token-url'");
	return 0;
}

static int
oauth2_fields(struct conf_load *ld, cfg_t *sec, struct oauth2_conf *oc)
{
	if (oauth2_str(ld, sec, "oauth2-client-id", &oc->client_id) == -1 ||
	    oauth2_str(ld, sec, "oauth2-client-secret",
	    &oc->client_secret) == -1 ||
	    oauth2_str(ld, sec, "oauth2-client-secret-command",
	    &oc->client_secret_command) == -1 ||
	    oauth2_str(ld, sec, "oauth2-tenant", &oc->tenant) == -1 ||
	    oauth2_str(ld, sec, "oauth2-scopes", &oc->scopes) == -1 ||
	    oauth2_str(ld, sec, "oauth2-issuer", &oc->issuer) == -1 ||
	    oauth2_str(ld, sec, "oauth2-authorize-url",
	    &oc->authorize_url) == -1 ||
	    oauth2_str(ld, sec, "oauth2-token-url", &oc->token_url) == -1 ||
	    oauth2_str(ld, sec, "oauth2-device-url", &oc->device_url) == -1 ||
	    oauth2_str(ld, sec, "oauth2-revoke-url", &oc->revoke_url) == -1 ||
	    oauth2_str(ld, sec, "oauth2-token-command",
	    &oc->token_command) == -1 ||
	    oauth2_str(ld, sec, "oauth2-store-command",
	    &oc->store_command) == -1 ||
	    oauth2_str(ld, sec, "auth-failure-command",
	    &oc->failure_command) == -1)
		return -1;
	return 0;
}

/* oauth2-flow: login (default), or client-credentials, which needs the
 * app's secret and a provider that grants mail scopes to an app. */
static int
oauth2_flow(struct conf_load *ld, cfg_t *sec, struct oauth2_conf *oc)
{
	const char	*v = cfg_getstr(sec, "oauth2-flow");
	int		 line = conf_opt_line(ld, sec, "oauth2-flow");

	oc->flow = OAUTH2_FLOW_LOGIN;
	if (v == NULL || strcmp(v, "login") == 0)
		return 0;
	if (strcmp(v, "client-credentials") != 0)
		return oauth2_fail(ld, sec, line, "oauth2-flow: '%s' is not "
		    "valid; use login or client-credentials", v);
	oc->flow = OAUTH2_FLOW_CLIENT_CREDENTIALS;
	if (oc->provider == OAUTH2_GOOGLE)
		return oauth2_fail(ld, sec, line, "oauth2-flow = "
		    "client-credentials: Google gives no app-only token for "
		    "Gmail; use oauth2-flow = login");
	/* an app-only token is for one organization: not "common" */
	if (oc->provider == OAUTH2_MICROSOFT && (oc->tenant == NULL ||
	    strcmp(oc->tenant, "common") == 0 ||
	    strcmp(oc->tenant, "consumers") == 0 ||
	    strcmp(oc->tenant, "organizations") == 0))
		return oauth2_fail(ld, sec, line, "oauth2-flow = "
		    "client-credentials needs 'oauth2-tenant' set to the "
		    "organization's tenant (its id or domain)");
	if (oc->client_secret == NULL && oc->client_secret_command == NULL)
		return oauth2_fail(ld, sec, line, "oauth2-flow = "
		    "client-credentials needs 'oauth2-client-secret' or "
		    "'oauth2-client-secret-command' (the app's secret)");
	return 0;
}

/* The keyring's two commands go together: one that prints the refresh
 * token without one that stores a rotated one would lose the grant. */
static int
oauth2_keyring_check(struct conf_load *ld, cfg_t *sec,
    const struct oauth2_conf *oc)
{
	if (oc->token_command != NULL &&
	    oc->flow == OAUTH2_FLOW_CLIENT_CREDENTIALS)
		return oauth2_fail(ld, sec, conf_opt_line(ld, sec,
		    "oauth2-token-command"), "'oauth2-token-command' is for "
		    "a login's refresh token; oauth2-flow = client-credentials "
		    "has none");
	if ((oc->token_command == NULL) == (oc->store_command == NULL))
		return 0;
	return oauth2_fail(ld, sec, conf_opt_line(ld, sec,
	    oc->token_command != NULL ? "oauth2-token-command" :
	    "oauth2-store-command"), "'oauth2-token-command' and "
	    "'oauth2-store-command' go together: the provider rotates the "
	    "refresh token and the new one must reach your keyring");
}

static int
oauth2_check(struct conf_load *ld, cfg_t *sec, struct oauth2_conf *oc)
{
	const char	*v = cfg_getstr(sec, "oauth2-provider");
	int		 p;

	if (v == NULL)
		return oauth2_fail(ld, sec, conf_opt_line(ld, sec, "auth"),
		    "auth = oauth2 needs 'oauth2-provider': google, "
		    "microsoft or custom");
	if ((p = oauth2_provider_lookup(v)) == -1)
		return oauth2_fail(ld, sec, conf_opt_line(ld, sec,
		    "oauth2-provider"), "oauth2-provider: '%s' is not valid; "
		    "use google, microsoft or custom", v);
	oc->provider = (enum oauth2_provider)p;
	if (oauth2_fields(ld, sec, oc) == -1)
		return -1;
	if (oc->client_id == NULL)
		return oauth2_fail(ld, sec, conf_opt_line(ld, sec, "auth"),
		    "auth = oauth2 needs 'oauth2-client-id' (from the app "
		    "registered with the provider)");
	if (oc->client_secret != NULL && oc->client_secret_command != NULL)
		return oauth2_fail(ld, sec, conf_opt_line(ld, sec,
		    "oauth2-client-secret-command"), "'oauth2-client-secret' "
		    "and 'oauth2-client-secret-command' are both set; keep "
		    "one");
	if (oc->tenant != NULL && oc->provider != OAUTH2_MICROSOFT)
		return oauth2_fail(ld, sec, conf_opt_line(ld, sec,
		    "oauth2-tenant"), "'oauth2-tenant' is for "
		    "oauth2-provider = microsoft");
	if (oc->tenant != NULL && !oauth2_tenant_ok(oc->tenant))
		return oauth2_fail(ld, sec, conf_opt_line(ld, sec,
		    "oauth2-tenant"), "oauth2-tenant: '%s' is not a tenant "
		    "name or id (letters, digits, '-' and '.')", oc->tenant);
	if (oauth2_flow(ld, sec, oc) == -1 ||
	    oauth2_keyring_check(ld, sec, oc) == -1)
		return -1;
	return oauth2_urls_check(ld, sec, oc);
}

/* smtp: oauth2-account = NAME reuses that account's grant, alone. */
static int
oauth2_account_ref(struct conf_load *ld, cfg_t *sec, struct endpoint *ep)
{
	const char	*first = oauth2_first_set(ld, sec);

	if (first != NULL)
		return oauth2_fail(ld, sec, conf_opt_line(ld, sec, first),
		    "'%s' and 'oauth2-account' are both set; oauth2-account "
		    "uses that account's settings and grant", first);
	if ((ep->oauth2 = calloc(1, sizeof(*ep->oauth2))) == NULL ||
	    oauth2_str(ld, sec, "oauth2-account", &ep->oauth2->account) == -1) {
		conf_fail(ld, 0, "out of memory");
		return -1;
	}
	return 0;
}

int
conf_oauth2_build(struct conf_load *ld, cfg_t *sec, struct endpoint *ep)
{
	const char	*auth = cfg_getstr(sec, "auth"), *first;
	int		 ref;

	ep->oauth2 = NULL;
	/* asking an account section for it would be an error */
	ref = strcmp(cfg_name(sec), "smtp") == 0 &&
	    cfg_getstr(sec, "oauth2-account") != NULL;
	if (auth == NULL || strcmp(auth, "oauth2") != 0) {
		first = ref ? "oauth2-account" : oauth2_first_set(ld, sec);
		if (first == NULL)
			return 0;
		return oauth2_fail(ld, sec, conf_opt_line(ld, sec, first),
		    "'%s' needs auth = oauth2", first);
	}
	if (ref)
		return oauth2_account_ref(ld, sec, ep);
	if ((ep->oauth2 = calloc(1, sizeof(*ep->oauth2))) == NULL) {
		conf_fail(ld, 0, "out of memory");
		return -1;
	}
	return oauth2_check(ld, sec, ep->oauth2);
}

int
conf_oauth2_check_login(struct conf_load *ld, cfg_t *sec,
    const struct endpoint *ep)
{
	const char	*secret = ep->password != NULL ? "password" :
			    ep->password_command != NULL ? "password-command" :
			    NULL;

	if (secret != NULL)
		return oauth2_fail(ld, sec, conf_opt_line(ld, sec, secret),
		    "'%s' is set but auth = oauth2 logs in with a token; "
		    "remove it (or use auth = xoauth2 with password-command)",
		    secret);
	if (ep->user == NULL)
		return oauth2_fail(ld, sec, conf_opt_line(ld, sec, "auth"),
		    "auth = oauth2 needs 'user' (the mailbox to log in to)");
	return 0;
}

int
conf_oauth2_check_account(struct conf_load *ld, const struct config *conf,
    cfg_t *sec, const struct endpoint *ep)
{
	const struct account	*a;

	if (ep->oauth2 == NULL || ep->oauth2->account == NULL)
		return 0;
	if ((a = config_account(conf, ep->oauth2->account)) == NULL)
		return oauth2_fail(ld, sec, conf_opt_line(ld, sec,
		    "oauth2-account"), "oauth2-account: no account '%s'",
		    ep->oauth2->account);
	if (a->ep.oauth2 == NULL || a->ep.oauth2->account != NULL)
		return oauth2_fail(ld, sec, conf_opt_line(ld, sec,
		    "oauth2-account"), "oauth2-account: account '%s' does "
		    "not have auth = oauth2", a->name);
	ep->oauth2->grant = a;
	return 0;
}

const struct oauth2_conf *
config_oauth2(const struct config *conf, const struct endpoint *ep)
{
	const struct account	*a;

	if (ep->oauth2 == NULL || ep->oauth2->account == NULL)
		return ep->oauth2;
	if ((a = config_account(conf, ep->oauth2->account)) == NULL)
		return NULL;
	return a->ep.oauth2;
}

int
conf_oauth2_defaults(struct conf_load *ld, cfg_t *root, struct endpoint *ep)
{
	const char	*v = cfg_getstr(root, "auth-failure-command");

	if (ep->oauth2 == NULL || ep->oauth2->account != NULL ||
	    ep->oauth2->failure_command != NULL || v == NULL)
		return 0;
	if ((ep->oauth2->failure_command = strdup(v)) == NULL) {
		conf_fail(ld, 0, "out of memory");
		return -1;
	}
	return 0;
}

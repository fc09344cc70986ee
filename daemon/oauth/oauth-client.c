/* SPDX-License-Identifier: ISC */
/*
 * oauth-client.c - an account's token endpoint, client and scopes from
 * its oauth2-* settings (conf/oauth2.h); see oauth.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conf/conf.h"
#include "daemon/conf/oauth2.h"
#include "daemon/oauth/oauth.h"

/* Token requests are bounded: a provider that hangs is "down". */
#define OAUTH_TIMEOUT_MS	30000

/* The token endpoint: a preset's or oauth2-token-url as they are, else
 * OpenID discovery of oauth2-issuer (kept for the process). */
static int
client_token_url(const struct config *conf, const struct account *a,
    const struct oauth2_conf *oc, char *buf, size_t len, const char *label,
    char *err, size_t errlen)
{
	const struct oauth2_preset	*p = oauth2_preset(oc->provider);
	struct oauth_endpoints		 e;

	if (p != NULL) {
		if (oauth2_url_expand(p->token_url, oc->tenant, buf, len) == -1) {
			snprintf(err, errlen, "%s: oauth2-tenant is too long",
			    label);
			return -1;
		}
		return 0;
	}
	if (oc->token_url == NULL) {
		if (oauth_endpoints_get(conf, a, &e, err, errlen) == -1)
			return -1;
		if ((size_t)snprintf(buf, len, "%s", e.token_url) >= len) {
			snprintf(err, errlen, "%s: the token endpoint is too "
			    "long", label);
			return -1;
		}
		return 0;
	}
	if ((size_t)snprintf(buf, len, "%s", oc->token_url) >= len) {
		snprintf(err, errlen, "%s: oauth2-token-url is too long",
		    label);
		return -1;
	}
	return 0;
}

/* The client secret: oauth2-client-secret or -command, through
 * conf_secret() like a password. */
static int
client_secret(const struct oauth2_conf *oc, const char *label, char **out,
    char *err, size_t errlen)
{
	struct endpoint	 ep;

	*out = NULL;
	if (oc->client_secret == NULL && oc->client_secret_command == NULL)
		return 0;
	memset(&ep, 0, sizeof(ep));
	ep.label = (char *)label;
	ep.password = oc->client_secret;
	ep.password_command = oc->client_secret_command;
	return (*out = conf_secret(&ep, err, errlen)) == NULL ? -1 : 0;
}

int
oauth_client_build(const struct config *conf, const struct account *a,
    enum oauth2_proto proto, struct oauth_client_buf *b, char *err,
    size_t errlen)
{
	const struct oauth2_conf	*oc = config_oauth2(conf, &a->ep);
	const char			*label = a->ep.label != NULL ?
					    a->ep.label : a->name;

	memset(b, 0, sizeof(*b));
	if (oc == NULL) {
		snprintf(err, errlen, "%s: auth is not oauth2", label);
		return -1;
	}
	if (client_token_url(conf, a, oc, b->token_url,
	    sizeof(b->token_url), label, err, errlen) == -1 ||
	    client_secret(oc, label, &b->secret, err, errlen) == -1)
		return -1;
	b->c.account = a->name;
	b->c.token_url = b->token_url;
	b->c.client_id = oc->client_id;
	b->c.client_secret = b->secret;
	b->c.scopes = oauth2_scopes(oc, proto);
	b->c.provider = oauth2_provider_name(oc->provider);
	b->c.client_credentials = oc->flow == OAUTH2_FLOW_CLIENT_CREDENTIALS;
	/* the provider's certificate is checked like the account's server:
	 * tls-verify and tls-ca-file (a test CA) apply to both */
	b->c.verify = a->ep.tls_verify;
	b->c.ca_file = a->ep.tls_ca_file;
	b->c.timeout_ms = OAUTH_TIMEOUT_MS;
	b->c.token_command = oc->token_command;
	b->c.store_command = oc->store_command;
	b->c.failure_command = oc->failure_command;
	return 0;
}

void
oauth_client_clear(struct oauth_client_buf *b)
{
	conf_secret_free(b->secret);
	memset(b, 0, sizeof(*b));
}

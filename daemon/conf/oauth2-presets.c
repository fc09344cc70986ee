/* SPDX-License-Identifier: ISC */
/*
 * oauth2-presets.c - the endpoints and scopes of the providers mailsift
 * knows by name; see oauth2.h.  Written out here so that a user (and a
 * reviewer) can check them against the providers' documentation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conf/oauth2.h"
#include "daemon/util/wipe.h"

static const struct oauth2_preset presets[] = {
	[OAUTH2_GOOGLE] = {
		.name = "google",
		/* Google hands out a refresh token only for
		 * access_type=offline, and again on a second login only
		 * with prompt=consent */
		.authorize_url = "https://accounts.google.com/o/oauth2/v2/auth"
		    "?access_type=offline&prompt=consent",
		.token_url = "https://oauth2.googleapis.com/token",
		/* Google's device flow ("TVs and limited input devices")
		 * does not allow the Gmail scope: no --device for google */
		.device_url = NULL,
		.revoke_url = "https://oauth2.googleapis.com/revoke",
		/* Gmail's IMAP, POP3 and SMTP take only the full scope;
		 * Google takes no offline_access scope (access_type above) */
		.scopes = { "https://mail.google.com/",
		    "https://mail.google.com/",
		    "https://mail.google.com/" },
		.source = "developers.google.com/identity/protocols/oauth2 "
		    "(endpoints as in Google's oauth2client GOOGLE_*_URI); "
		    "developers.google.com/gmail/imap/xoauth2-protocol",
	},
	[OAUTH2_MICROSOFT] = {
		.name = "microsoft",
		.authorize_url = "https://login.microsoftonline.com/{tenant}"
		    "/oauth2/v2.0/authorize",
		.token_url = "https://login.microsoftonline.com/{tenant}"
		    "/oauth2/v2.0/token",
		.device_url = "https://login.microsoftonline.com/{tenant}"
		    "/oauth2/v2.0/devicecode",
		/* the identity platform has no RFC 7009 endpoint: logout
		 * forgets the grant (revoke with Graph revokeSignInSessions) */
		.revoke_url = NULL,
		/* without offline_access no refresh token comes back */
		.scopes = {
		    "offline_access https://outlook.office.com/"
		    "IMAP.AccessAsUser.All",
		    "offline_access https://outlook.office.com/"
		    "POP.AccessAsUser.All",
		    "offline_access https://outlook.office.com/SMTP.Send" },
		/* Entra matches a loopback redirect's host as registered
		 * and ignores only its port; MSAL and the portal use
		 * http://localhost, so that is what users register */
		.redirect_host = "localhost",
		/* app-only (client credentials) for IMAP, POP3 and SMTP:
		 * the resource's .default, no offline_access (there is no
		 * refresh token); the app needs IMAP.AccessAsApp,
		 * POP.AccessAsApp or SMTP.SendAsApp with admin consent and
		 * an Exchange service principal with mailbox rights.
		 * Source: learn.microsoft.com/exchange/client-developer/
		 * legacy-protocols/how-to-authenticate-an-imap-pop-smtp-
		 * application-by-using-oauth, "Use client credentials grant
		 * flow to authenticate SMTP, IMAP and POP connections" */
		.app_scope = "https://outlook.office365.com/.default",
		.source = "learn.microsoft.com/exchange/client-developer/"
		    "legacy-protocols/how-to-authenticate-an-imap-pop-smtp-"
		    "application-by-using-oauth; learn.microsoft.com/entra/"
		    "identity-platform/v2-oauth2-auth-code-flow",
	},
};

static const char *const provider_names[] = {
	[OAUTH2_GOOGLE] = "google",
	[OAUTH2_MICROSOFT] = "microsoft",
	[OAUTH2_CUSTOM] = "custom",
};

const struct oauth2_preset *
oauth2_preset(enum oauth2_provider p)
{
	if (p == OAUTH2_GOOGLE || p == OAUTH2_MICROSOFT)
		return &presets[p];
	return NULL;
}

const char *
oauth2_provider_name(enum oauth2_provider p)
{
	if ((size_t)p < sizeof(provider_names) / sizeof(provider_names[0]))
		return provider_names[p];
	return "?";
}

int
oauth2_provider_lookup(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(provider_names) / sizeof(provider_names[0]);
	    i++)
		if (strcmp(provider_names[i], name) == 0)
			return (int)i;
	return -1;
}

int
oauth2_url_expand(const char *tmpl, const char *tenant, char *buf,
    size_t len)
{
	const char	*at;
	int		 n;

	if (tenant == NULL)
		tenant = "common";
	if ((at = strstr(tmpl, "{tenant}")) == NULL)
		n = snprintf(buf, len, "%s", tmpl);
	else
		n = snprintf(buf, len, "%.*s%s%s", (int)(at - tmpl), tmpl,
		    tenant, at + strlen("{tenant}"));
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

const char *
oauth2_scopes(const struct oauth2_conf *oc, enum oauth2_proto proto)
{
	const struct oauth2_preset	*p;

	if (oc->scopes != NULL)
		return oc->scopes;
	if ((p = oauth2_preset(oc->provider)) != NULL &&
	    oc->flow == OAUTH2_FLOW_CLIENT_CREDENTIALS)
		return p->app_scope;
	if (p == NULL ||
	    (size_t)proto >= sizeof(p->scopes) / sizeof(p->scopes[0]))
		return NULL;
	return p->scopes[proto];
}

void
oauth2_conf_free(struct oauth2_conf *oc)
{
	if (oc == NULL)
		return;
	free(oc->client_id);
	wipe_free(oc->client_secret);
	free(oc->client_secret_command);
	free(oc->tenant);
	free(oc->scopes);
	free(oc->issuer);
	free(oc->authorize_url);
	free(oc->token_url);
	free(oc->device_url);
	free(oc->revoke_url);
	free(oc->token_command);
	free(oc->store_command);
	free(oc->failure_command);
	free(oc->account);
	free(oc);
}

/* SPDX-License-Identifier: ISC */
/*
 * oauth-discover.h - OpenID Connect Discovery 1.0 of an oauth2-issuer:
 * the issuer's /.well-known/openid-configuration, its "issuer" checked
 * against the configured one (section 4.3), its endpoints taken.
 * Internal to daemon/oauth/; callers use oauth_endpoints_get() (oauth.h).
 */
#ifndef DAEMON_OAUTH_OAUTH_DISCOVER_H
#define DAEMON_OAUTH_OAUTH_DISCOVER_H

#include <stddef.h>

struct oauth_endpoints;

/* The document text[0..len) as issuer's: its endpoints into e (an
 * absent one stays ""); -1 with why in err if it is not JSON, names
 * another issuer, lacks the token endpoint or has a non-https one.
 * label names the account in err. */
int	oauth_discover_parse(const char *issuer, const char *label,
	    const char *url, const char *text, size_t len,
	    struct oauth_endpoints *e, char *err, size_t errlen);

#endif

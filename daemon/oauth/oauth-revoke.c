/* SPDX-License-Identifier: ISC */
/*
 * oauth-revoke.c - `mailsift auth logout`: the refresh token revoked at
 * the provider (RFC 7009) where it has a revocation endpoint, then the
 * grant forgotten; see oauth.h.
 *
 * The grant is forgotten even when the revocation fails: the user asked
 * to log out, and a grant kept would go on being used.  The caller says
 * which of the two happened (OAUTH_LOGOUT_*), so that a user knows when
 * the token may still be live at the provider.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/conf/conf.h"
#include "daemon/conf/oauth2.h"
#include "daemon/net/http.h"
#include "daemon/oauth/oauth.h"
#include "daemon/oauth/oauth-post.h"
#include "daemon/oauth/oauth-token.h"
#include "daemon/store/oauth.h"
#include "daemon/util/log.h"

int
oauth_revoke_url(const struct config *cfg, const struct account *a,
    char *buf, size_t len, char *err, size_t errlen)
{
	struct oauth_endpoints	 ep;

	if (config_oauth2(cfg, &a->ep) == NULL) {
		snprintf(err, errlen, "account '%s': auth is not oauth2",
		    a->name);
		return -1;
	}
	if (oauth_endpoints_get(cfg, a, &ep, err, errlen) == -1)
		return -1;
	if (ep.revoke_url[0] == '\0')
		return 0;
	if ((size_t)snprintf(buf, len, "%s", ep.revoke_url) >= len) {
		snprintf(err, errlen, "account '%s': the revocation URL is "
		    "too long", a->name);
		return -1;
	}
	return 1;
}

/* RFC 7009 2.1: the token, its hint, the client as at the token
 * endpoint.  2.2: 200 whether or not the token was still valid. */
static int
revoke_post(const struct oauth_client *c, const char *url,
    const char *token, char *err, size_t errlen)
{
	const char		*kv[] = { "token", token,
				    "token_type_hint", "refresh_token" };
	struct http_response	 r;
	struct oauth_answer	 a;
	char			 e[256], code[64];
	int			 rc = -1;

	if (oauth_post_form(c, url, kv, 2, &r, e, sizeof(e)) == -1)
		snprintf(err, errlen, "the revocation request failed: %s", e);
	else if (r.status == 200)
		rc = 0;
	else {
		code[0] = '\0';
		if (r.answer != NULL && oauth_answer_parse(r.answer,
		    r.answer_len, &a) == 0) {
			if (a.error != NULL)
				log_clean(a.error, strlen(a.error), code,
				    sizeof(code), LOG_CLEAN_MARK);
			oauth_answer_clear(&a);
		}
		snprintf(err, errlen, "the revocation endpoint answered HTTP "
		    "%ld%s%s", r.status, code[0] != '\0' ? ": " : "", code);
	}
	oauth_post_free(&r);
	return rc;
}

enum oauth_logout
oauth_logout(struct state *st, const struct oauth_client *c,
    const char *revoke_url, char *err, size_t errlen)
{
	struct oauth_grant	 g;
	enum oauth_logout	 out = OAUTH_LOGOUT_FORGOTTEN;
	char			 e[512];
	int			 rc;

	if ((rc = state_oauth_get(st, c->account, &g, err, errlen)) == -1)
		return OAUTH_LOGOUT_FAILED;
	if (rc == 0)
		return OAUTH_LOGOUT_NO_GRANT;
	/* a keyring's token that cannot be read is forgotten unrevoked */
	if (revoke_url != NULL && oauth_keyring_read(c, &g, e,
	    sizeof(e)) == -1) {
		out = OAUTH_LOGOUT_REVOKE_FAILED;
		snprintf(err, errlen, "%s", e);
	} else if (revoke_url != NULL && g.refresh_token != NULL) {
		if (revoke_post(c, revoke_url, g.refresh_token, e,
		    sizeof(e)) == 0)
			out = OAUTH_LOGOUT_REVOKED;
		else {
			out = OAUTH_LOGOUT_REVOKE_FAILED;
			snprintf(err, errlen, "account '%s': %s", c->account,
			    e);
		}
	}
	state_oauth_grant_clear(&g);
	if (state_oauth_forget(st, c->account, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "account '%s': %s", c->account, e);
		return OAUTH_LOGOUT_FAILED;
	}
	return out;
}

/* SPDX-License-Identifier: ISC */
/*
 * oauth-post.h - one form POST to an OAuth2 endpoint other than the
 * token refresh (the device endpoint, the device poll, the revocation
 * endpoint), with the client's TLS settings and timeout.  Internal to
 * daemon/oauth/.
 */
#ifndef DAEMON_OAUTH_OAUTH_POST_H
#define DAEMON_OAUTH_OAUTH_POST_H

#include <stddef.h>

struct oauth_client;
struct http_response;

/* Bytes of an endpoint's answer kept. */
#define OAUTH_POST_MAX_ANSWER	(64 * 1024)

/* POST npairs (at most 8) name, value pairs (a NULL value left out;
 * they may hold secrets, the body is wiped) to url through c->post or
 * http_post(), the client authenticated as RFC 6749 2.3.1 says: a
 * public client by client_id in the form, a confidential one (with a
 * secret) by HTTP Basic, its id and secret form-encoded first (what
 * Google, Microsoft and every RFC 6749 server take):
 * 0 if the server answered (any status), -1 if not, with what failed in
 * err (no value of the form).  Free r with oauth_post_free(), which
 * wipes the answer (it may hold tokens). */
int	oauth_post_form(const struct oauth_client *c, const char *url,
	    const char *const *kv, size_t npairs, struct http_response *r,
	    char *err, size_t errlen);
void	oauth_post_free(struct http_response *);

#endif

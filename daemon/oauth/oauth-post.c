/* SPDX-License-Identifier: ISC */
/*
 * oauth-post.c - a form POST to an OAuth2 endpoint; see oauth-post.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/net/http.h"
#include "daemon/net/sasl.h"
#include "daemon/oauth/oauth.h"
#include "daemon/oauth/oauth-post.h"

#define OAUTH_POST_MAX_PAIRS	8

/* "Authorization: Basic ..." of id and secret, each form-encoded first
 * (RFC 6749 2.3.1); NULL when out of memory.  Free with sasl_free(). */
static char *
basic_header(const char *id, const char *secret)
{
	const char	*kv[] = { id, secret };
	char		*pair, *b64, *h = NULL;
	size_t		 len;

	/* "id=secret", '=' inside either escaped: the first is ours */
	if ((pair = http_form_encode(kv, 1)) == NULL)
		return NULL;
	*strchr(pair, '=') = ':';
	b64 = sasl_base64(pair, strlen(pair));
	http_form_free(pair);
	if (b64 == NULL)
		return NULL;
	len = strlen("Authorization: Basic ") + strlen(b64) + 1;
	if ((h = malloc(len)) != NULL)
		snprintf(h, len, "Authorization: Basic %s", b64);
	sasl_free(b64);
	return h;
}

/* The form with the client's id for a public client. */
static char *
post_body(const struct oauth_client *c, const char *const *kv,
    size_t npairs)
{
	const char	*all[2 * (OAUTH_POST_MAX_PAIRS + 1)];

	if (npairs > OAUTH_POST_MAX_PAIRS)
		return NULL;
	memcpy(all, kv, 2 * npairs * sizeof(*kv));
	all[2 * npairs] = "client_id";
	all[2 * npairs + 1] = c->client_secret == NULL ? c->client_id : NULL;
	return http_form_encode(all, npairs + 1);
}

int
oauth_post_form(const struct oauth_client *c, const char *url,
    const char *const *kv, size_t npairs, struct http_response *r,
    char *err, size_t errlen)
{
	const char		*headers[3] = { HTTP_FORM_TYPE,
				    "Accept: application/json", NULL };
	struct http_request	 rq;
	char			*body, *auth = NULL;
	int			 rc;

	memset(r, 0, sizeof(*r));
	r->outcome = HTTP_LOCAL;
	if ((body = post_body(c, kv, npairs)) == NULL ||
	    (c->client_secret != NULL && (auth = basic_header(c->client_id,
	    c->client_secret)) == NULL)) {
		http_form_free(body);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	headers[2] = auth;
	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.headers = headers;
	rq.nheaders = auth != NULL ? 3 : 2;
	rq.body = body;
	rq.len = strlen(body);
	rq.timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 30000;
	rq.verify = c->verify;
	rq.ca_file = c->ca_file;
	rq.max_answer = OAUTH_POST_MAX_ANSWER;
	rc = (c->post != NULL ? c->post : http_post)(&rq, r);
	http_form_free(body);
	sasl_free(auth);
	if (rc == -1)
		snprintf(err, errlen, "%s", r->error);
	return rc;
}

void
oauth_post_free(struct http_response *r)
{
	if (r->answer != NULL)
		explicit_bzero(r->answer, r->answer_len);
	http_response_free(r);
}

/* SPDX-License-Identifier: ISC */
/*
 * oauth-post.c - a form POST to an OAuth2 endpoint; see oauth-post.h.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/net/http.h"
#include "daemon/oauth/oauth.h"
#include "daemon/oauth/oauth-post.h"

int
oauth_post_form(const struct oauth_client *c, const char *url,
    const char *const *kv, size_t npairs, struct http_response *r,
    char *err, size_t errlen)
{
	const char		*headers[] = { HTTP_FORM_TYPE,
				    "Accept: application/json" };
	struct http_request	 rq;
	char			*body;
	int			 rc;

	memset(r, 0, sizeof(*r));
	if ((body = http_form_encode(kv, npairs)) == NULL) {
		snprintf(err, errlen, "out of memory");
		r->outcome = HTTP_LOCAL;
		return -1;
	}
	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.headers = headers;
	rq.nheaders = 2;
	rq.body = body;
	rq.len = strlen(body);
	rq.timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 30000;
	rq.verify = c->verify;
	rq.ca_file = c->ca_file;
	rq.max_answer = OAUTH_POST_MAX_ANSWER;
	rc = (c->post != NULL ? c->post : http_post)(&rq, r);
	http_form_free(body);
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

/* SPDX-License-Identifier: ISC */
/*
 * oauth-discover.c - an account's endpoints: the preset's, explicit
 * oauth2-*-url settings, or OpenID discovery of oauth2-issuer; see
 * oauth.h and oauth-discover.h.
 *
 * A discovered document is kept for the process, per issuer: endpoints
 * do not move while mailsift runs, and a daemon refreshing every hour
 * should not ask for them every hour.  A failure is not kept: the next
 * use tries again.  One lock covers the cache and the fetch, so threads
 * refreshing grants of one issuer together fetch it once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conf/conf.h"
#include "daemon/conf/oauth2.h"
#include "daemon/net/http.h"
#include "daemon/oauth/oauth.h"
#include "daemon/oauth/oauth-discover.h"
#include "daemon/oauth/oauth-token.h"

#define DISCOVER_PATH		"/.well-known/openid-configuration"
#define DISCOVER_MAX_ANSWER	(256 * 1024)
#define DISCOVER_TIMEOUT_MS	30000

struct discovered {
	struct discovered	*next;
	struct oauth_endpoints	 e;
	char			 issuer[];
};

static pthread_mutex_t	 cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct discovered *cache;

static int
url_copy(char *dst, const char *src, const char *label, const char *what,
    char *err, size_t errlen)
{
	if (src == NULL) {
		dst[0] = '\0';
		return 0;
	}
	if (strlen(src) >= OAUTH_URL_MAX) {
		snprintf(err, errlen, "%s: the %s is too long", label, what);
		return -1;
	}
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

/* A discovered endpoint is https, or http to the loopback only, as
 * conf/ asks of explicit ones: tokens and codes go there. */
static int
url_https(const char *u)
{
	static const char *const loop[] = { "http://127.0.0.1",
	    "http://[::1]", "http://localhost" };
	size_t	 i, n;

	if (u == NULL || strncmp(u, "https://", 8) == 0)
		return 1;
	for (i = 0; i < sizeof(loop) / sizeof(loop[0]); i++) {
		n = strlen(loop[i]);
		if (strncmp(u, loop[i], n) == 0 && (u[n] == '\0' ||
		    u[n] == ':' || u[n] == '/'))
			return 1;
	}
	return 0;
}

int
oauth_discover_parse(const char *issuer, const char *label, const char *url,
    const char *text, size_t len, struct oauth_endpoints *e, char *err,
    size_t errlen)
{
	static const char *const names[] = { "issuer",
	    "authorization_endpoint", "token_endpoint",
	    "device_authorization_endpoint", "revocation_endpoint" };
	char		*v[5];
	size_t		 i;
	int		 rv = -1;

	memset(e, 0, sizeof(*e));
	if (oauth_json_strings(text, len, names, v, 5) == -1) {
		snprintf(err, errlen, "%s: OpenID discovery at %s: the answer "
		    "is not a JSON object", label, url);
		return -1;
	}
	/* OpenID Connect Discovery 4.3, RFC 8414 3.3: identical, or the
	 * document may be someone else's (a mix-up attack) */
	if (v[0] == NULL || strcmp(v[0], issuer) != 0) {
		snprintf(err, errlen, "%s: OpenID discovery at %s: the "
		    "document's issuer '%.200s' is not the configured "
		    "oauth2-issuer '%s'", label, url, v[0] != NULL ? v[0] :
		    "(none)", issuer);
		goto out;
	}
	if (v[2] == NULL) {
		snprintf(err, errlen, "%s: OpenID discovery at %s: no "
		    "token_endpoint", label, url);
		goto out;
	}
	for (i = 1; i < 5; i++)
		if (!url_https(v[i])) {
			snprintf(err, errlen, "%s: OpenID discovery at %s: %s "
			    "is not an https:// URL (http:// only to the "
			    "loopback)", label, url, names[i]);
			goto out;
		}
	if (url_copy(e->authorize_url, v[1], label, names[1], err,
	    errlen) == -1 || url_copy(e->token_url, v[2], label, names[2],
	    err, errlen) == -1 || url_copy(e->device_url, v[3], label,
	    names[3], err, errlen) == -1 || url_copy(e->revoke_url, v[4],
	    label, names[4], err, errlen) == -1)
		goto out;
	rv = 0;
out:
	for (i = 0; i < 5; i++)
		free(v[i]);
	return rv;
}

/* The document's URL: a terminating "/" of the issuer removed first
 * (OpenID Connect Discovery 4.1). */
static int
discover_url(const char *issuer, char *buf, size_t len)
{
	size_t	 n = strlen(issuer);

	if (n > 0 && issuer[n - 1] == '/')
		n--;
	return (size_t)snprintf(buf, len, "%.*s%s", (int)n, issuer,
	    DISCOVER_PATH) >= len ? -1 : 0;
}

static int
discover_fetch(const char *issuer, const struct endpoint *ep,
    const char *label, struct oauth_endpoints *e, char *err, size_t errlen)
{
	const char		*headers[] = { "Accept: application/json" };
	struct http_request	 rq;
	struct http_response	 r;
	char			 url[OAUTH_URL_MAX + 64];
	int			 rv = -1;

	if (discover_url(issuer, url, sizeof(url)) == -1) {
		snprintf(err, errlen, "%s: oauth2-issuer is too long", label);
		return -1;
	}
	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.headers = headers;
	rq.nheaders = 1;
	rq.timeout_ms = DISCOVER_TIMEOUT_MS;
	rq.verify = ep->tls_verify;
	rq.ca_file = ep->tls_ca_file;
	rq.max_answer = DISCOVER_MAX_ANSWER;
	if (http_get(&rq, &r) == -1) {
		snprintf(err, errlen, "%s: OpenID discovery at %s: %s", label,
		    url, r.error);
		goto out;
	}
	if (r.status != 200) {
		snprintf(err, errlen, "%s: OpenID discovery at %s: HTTP %ld "
		    "(is oauth2-issuer right?)", label, url, r.status);
		goto out;
	}
	rv = oauth_discover_parse(issuer, label, url, r.answer != NULL ?
	    r.answer : "", r.answer_len, e, err, errlen);
out:
	http_response_free(&r);
	return rv;
}

/* The issuer's endpoints, from the cache or fetched now. */
static int
discover(const char *issuer, const struct endpoint *ep, const char *label,
    struct oauth_endpoints *e, char *err, size_t errlen)
{
	struct discovered	*d;
	size_t			 len = strlen(issuer) + 1;
	int			 rv = 0;

	if (pthread_mutex_lock(&cache_lock) != 0) {
		snprintf(err, errlen, "%s: cannot lock the discovery cache",
		    label);
		return -1;
	}
	for (d = cache; d != NULL; d = d->next)
		if (strcmp(d->issuer, issuer) == 0)
			break;
	if (d != NULL)
		*e = d->e;
	else if ((rv = discover_fetch(issuer, ep, label, e, err,
	    errlen)) == 0 && (d = malloc(sizeof(*d) + len)) != NULL) {
		/* not kept when out of memory: fetched again next time */
		d->e = *e;
		memcpy(d->issuer, issuer, len);
		d->next = cache;
		cache = d;
	}
	pthread_mutex_unlock(&cache_lock);
	return rv;
}

static int
endpoints_preset(const struct oauth2_preset *p, const char *tenant,
    struct oauth_endpoints *e, const char *label, char *err, size_t errlen)
{
	if (oauth2_url_expand(p->authorize_url, tenant, e->authorize_url,
	    sizeof(e->authorize_url)) == -1 || oauth2_url_expand(p->token_url,
	    tenant, e->token_url, sizeof(e->token_url)) == -1 ||
	    (p->device_url != NULL && oauth2_url_expand(p->device_url, tenant,
	    e->device_url, sizeof(e->device_url)) == -1) ||
	    (p->revoke_url != NULL && oauth2_url_expand(p->revoke_url, tenant,
	    e->revoke_url, sizeof(e->revoke_url)) == -1)) {
		snprintf(err, errlen, "%s: oauth2-tenant is too long", label);
		return -1;
	}
	return 0;
}

/* An explicit setting wins over the discovered endpoint. */
static int
endpoint_pick(char *dst, const char *explicit, const char *what,
    const char *label, char *err, size_t errlen)
{
	if (explicit == NULL)
		return 0;
	return url_copy(dst, explicit, label, what, err, errlen);
}

int
oauth_endpoints_get(const struct config *conf, const struct account *a,
    struct oauth_endpoints *e, char *err, size_t errlen)
{
	const struct oauth2_conf	*oc = config_oauth2(conf, &a->ep);
	const struct oauth2_preset	*p;
	const char			*label = a->ep.label != NULL ?
					    a->ep.label : a->name;

	memset(e, 0, sizeof(*e));
	if (oc == NULL) {
		snprintf(err, errlen, "%s: auth is not oauth2", label);
		return -1;
	}
	if ((p = oauth2_preset(oc->provider)) != NULL)
		return endpoints_preset(p, oc->tenant, e, label, err, errlen);
	if (oc->issuer != NULL && (oc->authorize_url == NULL ||
	    oc->token_url == NULL || oc->device_url == NULL ||
	    oc->revoke_url == NULL) &&
	    discover(oc->issuer, &a->ep, label, e, err, errlen) == -1)
		return -1;
	if (endpoint_pick(e->authorize_url, oc->authorize_url,
	    "oauth2-authorize-url", label, err, errlen) == -1 ||
	    endpoint_pick(e->token_url, oc->token_url, "oauth2-token-url",
	    label, err, errlen) == -1 || endpoint_pick(e->device_url,
	    oc->device_url, "oauth2-device-url", label, err, errlen) == -1 ||
	    endpoint_pick(e->revoke_url, oc->revoke_url, "oauth2-revoke-url",
	    label, err, errlen) == -1)
		return -1;
	if (e->token_url[0] == '\0') {
		snprintf(err, errlen, "%s: no token endpoint: set "
		    "oauth2-issuer or oauth2-token-url", label);
		return -1;
	}
	return 0;
}

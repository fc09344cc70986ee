/* SPDX-License-Identifier: ISC */
/*
 * http.c - one HTTP POST (or GET) through libcurl; see http.h.
 */
#define _XOPEN_SOURCE 700	/* strptime() */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "daemon/net/http.h"
#include "daemon/util/wipe.h"

static pthread_once_t	 http_once = PTHREAD_ONCE_INIT;
static int		 http_init_failed;

static void
http_init(void)
{
	http_init_failed = curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK;
}

/* Collects the answer's body, bounded. */
struct http_sink {
	struct http_response	*r;
	size_t			 max;
	size_t			 cap;
};

static size_t
http_write(char *p, size_t size, size_t n, void *arg)
{
	struct http_sink	*s = arg;
	struct http_response	*r = s->r;
	size_t			 len = size * n, take, cap;
	char			*np;

	take = r->answer_len < s->max ? s->max - r->answer_len : 0;
	if (take > len)
		take = len;
	if (take > 0 && r->answer_len + take + 1 > s->cap) {
		cap = r->answer_len + take + 1 + 4096;
		if ((np = realloc(r->answer, cap)) == NULL)
			return 0;	/* libcurl fails the transfer */
		r->answer = np;
		s->cap = cap;
	}
	if (take > 0) {
		memcpy(r->answer + r->answer_len, p, take);
		r->answer_len += take;
		r->answer[r->answer_len] = '\0';
	}
	return len;
}

static size_t
http_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_response	*r = arg;
	size_t			 len = size * n;
	char			 v[128];
	size_t			 i, k;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		for (i = 12; i < len && (p[i] == ' ' || p[i] == '\t'); i++)
			;
		for (k = 0; i < len && p[i] != '\r' && p[i] != '\n' &&
		    k + 1 < sizeof(v); i++)
			v[k++] = p[i];
		v[k] = '\0';
		r->retry_after = http_retry_after_parse(v, (long)time(NULL));
	} else if (len > 5 && strncmp(p, "HTTP/", 5) == 0)
		r->retry_after = -1;	/* a new answer (after 100) */
	return len;
}

long
http_retry_after_parse(const char *v, long now)
{
	struct tm	 tm;
	const char	*end;
	long		 n = 0;
	time_t		 t;

	if (*v >= '0' && *v <= '9') {
		for (; *v >= '0' && *v <= '9'; v++) {
			if (n > 100000000L)
				return -1;
			n = n * 10 + (*v - '0');
		}
		while (*v == ' ' || *v == '\t')
			v++;
		return *v == '\0' ? n : -1;
	}
	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm)) == NULL ||
	    *end != '\0' || (t = timegm(&tm)) == (time_t)-1)
		return -1;
	return (long)t > now ? (long)t - now : 0;
}

static enum http_outcome
http_classify(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_TIMEOUT;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_WRITE_ERROR:
		return HTTP_LOCAL;
	default:
		return HTTP_NETWORK;
	}
}

/* No body: a GET. */
static int
http_method(CURL *c, const struct http_request *rq)
{
	if (rq->body == NULL)
		return curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) == CURLE_OK ?
		    0 : -1;
	if (curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)rq->len) != CURLE_OK)
		return -1;
	return 0;
}

static int
http_setup(CURL *c, const struct http_request *rq, struct curl_slist *hl,
    struct http_sink *sink, char *ebuf)
{
	/* every setopt below is one libcurl has; a failure is ours */
	if (curl_easy_setopt(c, CURLOPT_URL, rq->url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_2TLS) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER,
	    rq->verify ? 1L : 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST,
	    rq->verify ? 2L : 0L) != CURLE_OK ||
	    (rq->ca_file != NULL &&
	    curl_easy_setopt(c, CURLOPT_CAINFO, rq->ca_file) != CURLE_OK) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, rq->timeout_ms) !=
	    CURLE_OK ||
	    http_method(c, rq) == -1 ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERDATA, sink->r) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "mailsift") != CURLE_OK)
		return -1;
	return 0;
}

static struct curl_slist *
http_headers(const struct http_request *rq)
{
	struct curl_slist	*hl = NULL, *n;
	size_t			 i;

	/* no "Expect: 100-continue": one round trip less */
	if ((hl = curl_slist_append(hl, "Expect:")) == NULL)
		return NULL;
	for (i = 0; i < rq->nheaders; i++) {
		if ((n = curl_slist_append(hl, rq->headers[i])) == NULL) {
			curl_slist_free_all(hl);
			return NULL;
		}
		hl = n;
	}
	return hl;
}

int
http_post(const struct http_request *rq, struct http_response *r)
{
	struct http_sink	 sink;
	struct curl_slist	*hl = NULL;
	char			 ebuf[CURL_ERROR_SIZE];
	CURL			*c = NULL;
	CURLcode		 rc;
	long			 ver = 0;

	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	r->outcome = HTTP_LOCAL;
	ebuf[0] = '\0';
	sink.r = r;
	sink.max = rq->max_answer;
	sink.cap = 0;
	if (pthread_once(&http_once, http_init) != 0 || http_init_failed) {
		snprintf(r->error, sizeof(r->error), "cannot set up libcurl");
		return -1;
	}
	if ((c = curl_easy_init()) == NULL || (hl = http_headers(rq)) == NULL ||
	    http_setup(c, rq, hl, &sink, ebuf) == -1) {
		/* not the URL: it may hold a token */
		snprintf(r->error, sizeof(r->error), "cannot set up the HTTP "
		    "request (out of memory?)");
		goto out;
	}
	if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		r->outcome = http_classify(rc);
		snprintf(r->error, sizeof(r->error), "%s", ebuf[0] != '\0' ?
		    ebuf : curl_easy_strerror(rc));
		goto out;
	}
	r->outcome = HTTP_ANSWERED;
	if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status) !=
	    CURLE_OK)
		r->status = 0;
	if (curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &ver) == CURLE_OK)
		r->http2 = ver == CURL_HTTP_VERSION_2_0;
	snprintf(r->error, sizeof(r->error), "HTTP %ld", r->status);
out:
	curl_slist_free_all(hl);
	if (c != NULL)
		curl_easy_cleanup(c);
	return r->outcome == HTTP_ANSWERED ? 0 : -1;
}

int
http_get(const struct http_request *rq, struct http_response *r)
{
	struct http_request	 get = *rq;

	get.body = NULL;
	get.len = 0;
	return http_post(&get, r);
}

void
http_response_free(struct http_response *r)
{
	free(r->answer);
	r->answer = NULL;
	r->answer_len = 0;
}

/* RFC 3986 unreserved bytes stay; the rest is %XX (a space too). */
static size_t
form_escape(const char *v, char *out)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	size_t			 n = 0;

	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~') {
			if (out != NULL)
				out[n] = (char)*p;
			n++;
			continue;
		}
		if (out != NULL) {
			out[n] = '%';
			out[n + 1] = hex[*p >> 4];
			out[n + 2] = hex[*p & 15];
		}
		n += 3;
	}
	return n;
}

char *
http_form_encode(const char *const *kv, size_t npairs)
{
	size_t	 i, len = 1, off = 0;
	char	*buf;

	for (i = 0; i < npairs; i++)
		if (kv[2 * i + 1] != NULL)
			len += form_escape(kv[2 * i], NULL) +
			    form_escape(kv[2 * i + 1], NULL) + 2;
	if ((buf = malloc(len)) == NULL)
		return NULL;
	for (i = 0; i < npairs; i++) {
		if (kv[2 * i + 1] == NULL)
			continue;
		if (off > 0)
			buf[off++] = '&';
		off += form_escape(kv[2 * i], buf + off);
		buf[off++] = '=';
		off += form_escape(kv[2 * i + 1], buf + off);
	}
	buf[off] = '\0';
	return buf;
}

void
http_form_free(char *s)
{
	wipe_free(s);
}

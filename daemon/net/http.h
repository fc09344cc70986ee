/* SPDX-License-Identifier: ISC */
/*
 * http.h - one HTTP request, POST with headers and a body (or a GET),
 * through libcurl: for the webhook drain (act/webhook-send.c) and
 * whoever else needs a request and its answer (an OAuth2 token
 * endpoint, an OpenID discovery document).  Knows no
 * webhook, no configuration and no store: the caller says what to send
 * and reads what came back.
 *
 * Policy, the same as the rest of daemon/net/: TLS 1.2 or newer, the
 * certificate checked against the system CA store or ca_file and the
 * host name (verify = 0 turns both off, as tls-verify = no does);
 * redirects are refused (a 3xx is returned as it is, never followed);
 * http and https only; proxies from the environment (http_proxy,
 * https_proxy, no_proxy, as libcurl reads them); HTTP/2 where the
 * server offers it over TLS (ALPN), HTTP/1.1 otherwise.  One timeout
 * bounds the whole request, connect included.  No signal is used
 * (threads).  Nothing of the body or the headers is logged.
 */
#ifndef DAEMON_NET_HTTP_H
#define DAEMON_NET_HTTP_H

#include <stddef.h>

struct http_request {
	const char		*url;
	const char *const	*headers;	/* "Name: value" each */
	size_t			 nheaders;
	const char		*body;
	size_t			 len;
	long			 timeout_ms;	/* the whole request */
	int			 verify;	/* check the certificate */
	const char		*ca_file;	/* NULL: system store */
	size_t			 max_answer;	/* bytes of body kept */
};

enum http_outcome {
	HTTP_ANSWERED,		/* status is the server's */
	HTTP_TIMEOUT,		/* no whole answer in time */
	HTTP_NETWORK,		/* could not connect, reset, TLS failed */
	HTTP_LOCAL		/* a bad URL, out of memory: ours */
};

struct http_response {
	enum http_outcome	 outcome;
	long			 status;	/* HTTP status, or 0 */
	long			 retry_after;	/* seconds, or -1 */
	int			 http2;		/* 1 if it went over HTTP/2 */
	char			*answer;	/* body, NUL-terminated, bounded */
	size_t			 answer_len;
	char			 error[256];	/* what failed, for a log */
};

/* POST: 0 if the server answered (any status), -1 if not (outcome and
 * error say why).  Free with http_response_free(). */
int	http_post(const struct http_request *, struct http_response *);
/* GET: the same, body and len ignored (an OpenID discovery document). */
int	http_get(const struct http_request *, struct http_response *);
void	http_response_free(struct http_response *);
/* An application/x-www-form-urlencoded body of npairs name, value pairs
 * (kv[2i], kv[2i + 1]; a NULL value leaves its pair out), or NULL when
 * out of memory.  It may hold secrets: free with http_form_free(),
 * which wipes it. */
#define HTTP_FORM_TYPE	"Content-Type: application/x-www-form-urlencoded"
char	*http_form_encode(const char *const *kv, size_t npairs);
void	 http_form_free(char *);
/* Retry-After: delta-seconds or an HTTP-date, as seconds from now
 * (>= 0), or -1 if it is neither. */
long	http_retry_after_parse(const char *value, long now);

#endif

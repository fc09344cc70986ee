/* SPDX-License-Identifier: ISC */
/*
 * oauth-login.c - `mailsift auth login ACCOUNT`: authorization code with
 * PKCE (RFC 7636) and a loopback redirect (RFC 8252), or the redirected
 * URL pasted by the user; the code exchanged and the grant stored.  See
 * oauth.h.
 *
 * The verifier, the code and the tokens never reach a log or an error
 * text; the authorization URL (which carries only the challenge and the
 * state) is the one thing printed.  The listener binds 127.0.0.1 only,
 * answers one request at a time, bounded in size and time, and takes
 * nothing but a GET of "/" with our state: anything else is answered
 * (404, 400) and it waits on.
 */
#define _GNU_SOURCE		/* accept4() */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/conf/conf.h"
#include "daemon/net/http.h"
#include "daemon/oauth/oauth.h"
#include "daemon/oauth/oauth-login-parse.h"
#include "daemon/oauth/oauth-token.h"
#include "daemon/store/oauth.h"
#include "daemon/util/log.h"

#define LOGIN_HEAD_MAX		8192	/* a browser's request head */
#define LOGIN_PASTE_MAX		8192	/* a pasted URL */
#define LOGIN_CODE_MAX		2048
#define LOGIN_CONN_MS		10000	/* one connection's request */
#define LOGIN_MAX_ANSWER	(64 * 1024)

/* What one login carries from its start to the exchange. */
struct login {
	const char		*label;
	struct oauth_client_buf	 client;
	struct oauth_endpoints	 ep;
	char			 verifier[OAUTH_B64_32];
	char			 challenge[OAUTH_B64_32];
	char			 state[OAUTH_B64_32];
	char			 redirect_uri[64];
	char			 code[LOGIN_CODE_MAX];
	const char		*issuer;	/* custom oauth2-issuer, or NULL */
	int			 fd;		/* the listener, or -1 */
	time_t			 deadline;
};

static void
login_clear(struct login *l)
{
	if (l->fd != -1)
		close(l->fd);
	oauth_client_clear(&l->client);
	explicit_bzero(l->verifier, sizeof(l->verifier));
	explicit_bzero(l->code, sizeof(l->code));
}

/*
 * 127.0.0.1 and a port the kernel picks (RFC 8252 7.3).  host names the
 * listener in the redirect URI: 127.0.0.1, or what the provider wants
 * registered ("localhost" for Microsoft); the socket is on 127.0.0.1
 * either way, as a browser resolves localhost to the loopback.
 */
static int
loopback_open(struct login *l, const char *host, int listening, char *err,
    size_t errlen)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(l->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (listening && listen(l->fd, 8) == -1) ||
	    getsockname(l->fd, (struct sockaddr *)&sin, &slen) == -1) {
		snprintf(err, errlen, "%s: cannot listen on 127.0.0.1 for "
		    "the redirect: %s", l->label, strerror(errno));
		return -1;
	}
	snprintf(l->redirect_uri, sizeof(l->redirect_uri),
	    "http://%s:%u/", host, (unsigned)ntohs(sin.sin_port));
	return 0;
}

/* Milliseconds left before deadline, bounded by cap (if > 0). */
static int
ms_left(time_t deadline, int cap)
{
	time_t	 now = time(NULL);
	long	 ms;

	if (now >= deadline)
		return 0;
	ms = (long)(deadline - now) * 1000;
	return cap > 0 && ms > cap ? cap : (int)ms;
}

static void
conn_answer(int c, int status, const char *title, const char *text)
{
	char	 buf[1024];
	int	 n;

	n = snprintf(buf, sizeof(buf), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Cache-Control: no-store\r\nConnection: close\r\n"
	    "Content-Length: %zu\r\n\r\n%s", status, title,
	    strlen(text), text);
	/* the browser's page only: the result is ours already */
	if (n > 0 && (size_t)n < sizeof(buf))
		(void)send(c, buf, (size_t)n, MSG_NOSIGNAL);
}

#define PAGE(t)	"<!DOCTYPE html><html><head><title>mailsift</title>" \
		"</head><body><p>" t "</p></body></html>\n"

/* One connection's request head, bounded; its target or -1. */
static int
conn_read(int c, time_t deadline, char *target, size_t tlen)
{
	char		 buf[LOGIN_HEAD_MAX];
	size_t		 len = 0;
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 rv, ms;
	time_t		 conn_end = time(NULL) + LOGIN_CONN_MS / 1000;

	if (conn_end > deadline)
		conn_end = deadline;
	for (;;) {
		if ((rv = oauth_request_target(buf, len, target, tlen)) != 0)
			return rv;
		if (len == sizeof(buf) || (ms = ms_left(conn_end, 0)) == 0)
			return -1;
		pfd.fd = c;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, ms) <= 0 ||
		    (n = recv(c, buf + len, sizeof(buf) - len, 0)) <= 0)
			return -1;
		len += (size_t)n;
	}
}

/* One request on the listener: 1 the code is ours, 0 wait on, -1 the
 * provider said no (err). */
static int
listen_one(struct login *l, int c, char *err, size_t errlen)
{
	char	 target[LOGIN_HEAD_MAX], why[512];
	int	 rv;

	if (conn_read(c, l->deadline, target, sizeof(target)) != 1) {
		conn_answer(c, 400, "Bad Request", PAGE("Bad request."));
		return 0;
	}
	if (target[0] != '/' || (target[1] != '\0' && target[1] != '?')) {
		conn_answer(c, 404, "Not Found", PAGE("Not found."));
		return 0;
	}
	rv = oauth_redirect_parse(target, l->state, l->code,
	    sizeof(l->code), why, sizeof(why));
	if (rv == OAUTH_REDIRECT_CODE && oauth_redirect_iss(target,
	    l->issuer, why, sizeof(why)) == -1) {
		explicit_bzero(l->code, sizeof(l->code));
		conn_answer(c, 400, "Bad Request", PAGE("This redirect names "
		    "another issuer: mailsift did not use it."));
		snprintf(err, errlen, "%s: %s; the code was not used",
		    l->label, why);
		return -1;
	}
	switch (rv) {
	case OAUTH_REDIRECT_CODE:
		conn_answer(c, 200, "OK", PAGE("mailsift has the "
		    "authorization: you can close this page."));
		return 1;
	case OAUTH_REDIRECT_ERROR:
		conn_answer(c, 200, "OK", PAGE("The login was refused; "
		    "mailsift says why in its terminal."));
		snprintf(err, errlen, "%s: %s", l->label, why);
		return -1;
	default:
		log_warn("%s: refused a request on the redirect listener: %s",
		    l->label, why);
		conn_answer(c, 400, "Bad Request", PAGE("This is not the "
		    "redirect of the login mailsift is waiting for."));
		return 0;
	}
}

static int
listen_wait(struct login *l, char *err, size_t errlen)
{
	struct pollfd	 pfd;
	int		 c, rv, ms;

	for (;;) {
		if ((ms = ms_left(l->deadline, 0)) == 0) {
			snprintf(err, errlen, "%s: no redirect came to %s in "
			    "time; run the login again (--timeout SECONDS)",
			    l->label, l->redirect_uri);
			return -1;
		}
		pfd.fd = l->fd;
		pfd.events = POLLIN;
		if ((rv = poll(&pfd, 1, ms)) == -1 && errno != EINTR) {
			snprintf(err, errlen, "%s: poll: %s", l->label,
			    strerror(errno));
			return -1;
		}
		if (rv <= 0)
			continue;
		if ((c = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		rv = listen_one(l, c, err, errlen);
		close(c);
		if (rv != 0)
			return rv == 1 ? 0 : -1;
	}
}

/* The pasted URL: one line from fd, bounded, before the deadline. */
static int
paste_read(struct login *l, int fd, char *buf, size_t len, char *err,
    size_t errlen)
{
	struct pollfd	 pfd;
	size_t		 n = 0;
	ssize_t		 r;
	int		 ms;

	for (;;) {
		if ((ms = ms_left(l->deadline, 0)) == 0) {
			snprintf(err, errlen, "%s: no URL pasted in time",
			    l->label);
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, ms) <= 0)
			continue;
		if ((r = read(fd, buf + n, 1)) == -1 && errno == EINTR)
			continue;
		if (r <= 0 || buf[n] == '\n')
			break;
		if (++n == len - 1) {
			snprintf(err, errlen, "%s: the pasted line is longer "
			    "than %zu bytes", l->label, len - 1);
			return -1;
		}
	}
	while (n > 0 && (buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "%s: no URL pasted", l->label);
		return -1;
	}
	return 0;
}

static int
paste_wait(struct login *l, int fd, char *err, size_t errlen)
{
	char		 line[LOGIN_PASTE_MAX], why[512];
	const char	*u = line;
	int		 rv;

	if (paste_read(l, fd, line, sizeof(line), err, errlen) == -1)
		return -1;
	while (*u == ' ' || *u == '\t')
		u++;
	rv = oauth_redirect_parse(u, l->state, l->code, sizeof(l->code), why,
	    sizeof(why));
	if (rv == OAUTH_REDIRECT_CODE && oauth_redirect_iss(u, l->issuer,
	    why, sizeof(why)) == -1) {
		explicit_bzero(l->code, sizeof(l->code));
		rv = OAUTH_REDIRECT_BAD_STATE;
	}
	explicit_bzero(line, sizeof(line));
	if (rv == OAUTH_REDIRECT_CODE)
		return 0;
	snprintf(err, errlen, "%s: %s%s", l->label, why,
	    rv == OAUTH_REDIRECT_BAD_STATE ? "; the code was not used" : "");
	return -1;
}

/* The URL the user opens: the challenge and the state, no secret. */
static char *
login_url(const struct login *l, const char *scopes)
{
	const char	*kv[14];
	char		*q, *url;
	size_t		 len;

	kv[0] = "response_type";
	kv[1] = "code";
	kv[2] = "client_id";
	kv[3] = l->client.c.client_id;
	kv[4] = "redirect_uri";
	kv[5] = l->redirect_uri;
	kv[6] = "scope";
	kv[7] = scopes;
	kv[8] = "state";
	kv[9] = l->state;
	kv[10] = "code_challenge";
	kv[11] = l->challenge;
	kv[12] = "code_challenge_method";
	kv[13] = "S256";
	if ((q = http_form_encode(kv, 7)) == NULL)
		return NULL;
	len = strlen(l->ep.authorize_url) + strlen(q) + 2;
	if ((url = malloc(len)) != NULL)
		snprintf(url, len, "%s%c%s", l->ep.authorize_url,
		    strchr(l->ep.authorize_url, '?') != NULL ? '&' : '?', q);
	free(q);
	return url;
}

static int
exchange_post(const struct login *l, struct http_response *r, char *err,
    size_t errlen)
{
	const char		*headers[] = { HTTP_FORM_TYPE,
				    "Accept: application/json" };
	const char		*kv[12];
	struct http_request	 rq;
	char			*body;
	int			 rv;

	kv[0] = "grant_type";
	kv[1] = "authorization_code";
	kv[2] = "code";
	kv[3] = l->code;
	kv[4] = "redirect_uri";
	kv[5] = l->redirect_uri;
	kv[6] = "client_id";
	kv[7] = l->client.c.client_id;
	kv[8] = "code_verifier";
	kv[9] = l->verifier;
	kv[10] = "client_secret";
	kv[11] = l->client.c.client_secret;
	if ((body = http_form_encode(kv, 6)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", l->label);
		return -1;
	}
	memset(&rq, 0, sizeof(rq));
	rq.url = l->ep.token_url;
	rq.headers = headers;
	rq.nheaders = 2;
	rq.body = body;
	rq.len = strlen(body);
	rq.timeout_ms = l->client.c.timeout_ms;
	rq.verify = l->client.c.verify;
	rq.ca_file = l->client.c.ca_file;
	rq.max_answer = LOGIN_MAX_ANSWER;
	rv = http_post(&rq, r);
	http_form_free(body);
	if (rv == -1)
		snprintf(err, errlen, "%s: token endpoint %s: %s", l->label,
		    l->ep.token_url, r->error);
	return rv;
}

/* The code for tokens; the answer in a (clear it). */
static int
exchange(const struct login *l, struct oauth_answer *a, char *err,
    size_t errlen)
{
	struct http_response	 r;
	int			 rv = -1;

	memset(a, 0, sizeof(*a));
	if (exchange_post(l, &r, err, errlen) == -1)
		goto out;
	if (r.answer == NULL || oauth_answer_parse(r.answer, r.answer_len,
	    a) == -1) {
		snprintf(err, errlen, "%s: token endpoint %s: HTTP %ld, not "
		    "a JSON answer", l->label, l->ep.token_url, r.status);
		goto out;
	}
	if (a->error != NULL || r.status != 200 || a->access_token == NULL) {
		snprintf(err, errlen, "%s: token endpoint %s refused the "
		    "code: HTTP %ld %.64s%s%.200s", l->label, l->ep.token_url,
		    r.status, a->error != NULL ? a->error : "(no access token)",
		    a->error_description != NULL ? ": " : "",
		    a->error_description != NULL ? a->error_description : "");
		goto out;
	}
	rv = 0;
out:
	if (r.answer != NULL)
		explicit_bzero(r.answer, r.answer_len);
	http_response_free(&r);
	return rv;
}

static int
grant_store(struct state *st, const struct account *a,
    const struct oauth_client *c, const struct oauth2_conf *oc, const char *scopes,
    const struct oauth_answer *ans, struct oauth_login_result *res,
    char *err, size_t errlen)
{
	struct oauth_grant	 g;
	time_t			 now = time(NULL);
	long			 life = ans->expires_in > 0 ?
				    ans->expires_in : OAUTH_DEFAULT_LIFE;

	memset(&g, 0, sizeof(g));
	g.account = (char *)a->name;
	g.provider = (char *)oauth2_provider_name(oc->provider);
	/* RFC 6749 5.1: no scope in the answer means as asked */
	g.scopes = (char *)(ans->scope != NULL ? ans->scope :
	    scopes != NULL ? scopes : "");
	g.refresh_token = ans->refresh_token;
	g.access_token = ans->access_token;
	g.expires = (int64_t)now + life;
	g.last_refresh = (int64_t)now;
	if (oauth_grant_save(st, c, &g, err, errlen) == -1)
		return -1;
	snprintf(res->scopes, sizeof(res->scopes), "%s", g.scopes);
	res->expires_in = life;
	res->no_refresh = ans->refresh_token == NULL;
	return 0;
}

static const char *
redirect_host(const struct account *a)
{
	const struct oauth2_preset	*p;

	p = oauth2_preset(a->ep.oauth2->provider);
	return p != NULL && p->redirect_host != NULL ? p->redirect_host :
	    "127.0.0.1";
}

static int
login_start(struct login *l, const struct config *cfg,
    const struct account *a, const struct oauth_login_opts *o, char *err,
    size_t errlen)
{
	if (oauth_client_build(cfg, a, a->type == ACCT_POP3 ? OAUTH2_POP3 :
	    OAUTH2_IMAP, &l->client, err, errlen) == -1 ||
	    oauth_endpoints_get(cfg, a, &l->ep, err, errlen) == -1)
		return -1;
	if (l->ep.authorize_url[0] == '\0') {
		snprintf(err, errlen, "%s: no authorization endpoint: set "
		    "oauth2-issuer or oauth2-authorize-url", l->label);
		return -1;
	}
	/* 32 random bytes: a 43-character verifier (RFC 7636 4.1) */
	if (oauth_random_b64url(32, l->verifier, sizeof(l->verifier)) == -1 ||
	    oauth_random_b64url(16, l->state, sizeof(l->state)) == -1 ||
	    oauth_pkce_s256(l->verifier, l->challenge,
	    sizeof(l->challenge)) == -1) {
		snprintf(err, errlen, "%s: no random bytes for PKCE",
		    l->label);
		return -1;
	}
	l->deadline = time(NULL) + o->timeout;
	/* RFC 9207: known for a custom provider named by its issuer */
	l->issuer = a->ep.oauth2->provider == OAUTH2_CUSTOM ?
	    a->ep.oauth2->issuer : NULL;
	return loopback_open(l, redirect_host(a), !o->no_browser, err,
	    errlen);
}

static void
login_prompt(const struct login *l, const struct oauth_login_opts *o,
    const char *url)
{
	fprintf(o->out, "To log in %s, open this URL in a "
	    "browser%s:\n\n  %s\n\n", l->label, o->no_browser ?
	    " (on any machine)" : "", url);
	if (o->no_browser)
		fprintf(o->out, "After the login, the browser is sent to "
		    "%s?code=...\n(the page will not load: that is "
		    "expected).  Paste that whole URL from the\naddress "
		    "bar here and press Enter:\n", l->redirect_uri);
	else
		fprintf(o->out, "Waiting for the browser's redirect to "
		    "%s (up to %ld s)...\n", l->redirect_uri, o->timeout);
	fflush(o->out);
}

int
oauth_login(struct state *st, const struct config *cfg,
    const struct account *a, const struct oauth_login_opts *o,
    struct oauth_login_result *res, char *err, size_t errlen)
{
	const struct oauth2_conf	*oc = config_oauth2(cfg, &a->ep);
	struct login			 l;
	struct oauth_answer		 ans;
	const char			*scopes;
	char				*url = NULL;
	int				 rv = -1;

	memset(&l, 0, sizeof(l));
	memset(res, 0, sizeof(*res));
	memset(&ans, 0, sizeof(ans));
	l.fd = -1;
	l.label = a->ep.label != NULL ? a->ep.label : a->name;
	if (oc == NULL) {
		snprintf(err, errlen, "%s: auth is not oauth2", l.label);
		return -1;
	}
	if (login_start(&l, cfg, a, o, err, errlen) == -1)
		goto out;
	scopes = l.client.c.scopes;
	if ((url = login_url(&l, scopes)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", l.label);
		goto out;
	}
	login_prompt(&l, o, url);
	if ((o->no_browser ? paste_wait(&l, o->in, err, errlen) :
	    listen_wait(&l, err, errlen)) == -1)
		goto out;
	log_debug("%s: authorization code received, exchanging it at %s",
	    l.label, l.ep.token_url);
	if (exchange(&l, &ans, err, errlen) == -1 ||
	    grant_store(st, a, &l.client.c, oc, scopes, &ans, res, err,
	    errlen) == -1)
		goto out;
	rv = 0;
out:
	oauth_answer_clear(&ans);
	free(url);
	login_clear(&l);
	return rv;
}

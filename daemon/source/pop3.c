/* SPDX-License-Identifier: ISC */
/*
 * pop3.c - POP3 client session: connect (implicit TLS, STLS or
 * plaintext), the greeting, CAPA, login, commands and replies.  The
 * round (UIDL, LIST, RETR, DELE, QUIT) is in pop3-fetch.c; the contract
 * is stated in pop3.h.
 *
 * Credentials never cross a connection without TLS unless
 * allow-plaintext-auth says so, and never reach the log or the trace.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "daemon/conf/conf.h"
#include "daemon/net/conn.h"
#include "daemon/net/pace.h"
#include "daemon/net/reply.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/util/log.h"
#include "daemon/util/stop.h"
#include "daemon/source/pop3-int.h"
#include "daemon/source/pop3.h"
#include "daemon/net/sasl.h"
#include "daemon/oauth/oauth.h"

static int	pop3_timeout_ms = POP3_TIMEOUT_MS;

void
pop3_set_timeout(int ms)
{
	pop3_timeout_ms = ms;
}


/* Every error names the account and the server. */
void
pop3_error(struct pop3 *p, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("account %s: pop3 %s:%s: %s", p->acct->name, p->ep->host,
	    p->ep->port, msg);
}

void
pop3_io_error(struct pop3 *p, const char *what)
{
	/* a transfer given up on SIGTERM (conn_set_stop) is no error */
	if (stop_requested()) {
		log_info("account %s: pop3 %s:%s: %s: %s", p->acct->name,
		    p->ep->host, p->ep->port, what, conn_error(p->conn));
		return;
	}
	pop3_error(p, "%s: %s; if this persists, check the network and "
	    "the server", what, conn_error(p->conn));
}

void
pop3_reply_error(struct pop3 *p, const char *what, const char *line,
    size_t len, const char *hint)
{
	char	 show[LOG_SHOW_SIZE];

	pop3_error(p, "%s failed: server said \"%s\"%s%s", what,
	    reply_show(line, len, show, sizeof(show)),
	    hint[0] ? "; " : "", hint);
}

enum pop3_reply
pop3_reply_kind(const char *line, size_t len)
{
	if (len >= 3 && strncasecmp(line, "+OK", 3) == 0 &&
	    (len == 3 || line[3] == ' '))
		return REPLY_OK;
	if (len >= 4 && strncasecmp(line, "-ERR", 4) == 0 &&
	    (len == 4 || line[4] == ' '))
		return REPLY_ERR;
	if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' '))
		return REPLY_MORE;
	return REPLY_BAD;
}

/* Read one status line; -1 on I/O error (logged). */
int
pop3_reply(struct pop3 *p, const char *what, const char **line, size_t *len)
{
	char	 ctx[128];

	if (conn_read_line(p->conn, line, len, POP3_LINE_MAX) == -1) {
		snprintf(ctx, sizeof(ctx), "reading the reply to %s", what);
		pop3_io_error(p, ctx);
		return -1;
	}
	return (int)pop3_reply_kind(*line, *len);
}

/* Read a status line that must be +OK. */
int
pop3_expect_ok(struct pop3 *p, const char *what, const char *hint)
{
	const char	*line;
	size_t		 len;
	int		 r;

	if ((r = pop3_reply(p, what, &line, &len)) == -1)
		return -1;
	if (r != REPLY_OK) {
		pop3_reply_error(p, what, line, len, hint);
		return -1;
	}
	return 0;
}

/* Queue a command that holds no secret; pop3_flush() sends. */
int
pop3_queue(struct pop3 *p, const char *cmd)
{
	char	 ctx[128];

	if (conn_printf(p->conn, "%s\r\n", cmd) == -1) {
		snprintf(ctx, sizeof(ctx), "sending %s", cmd);
		pop3_io_error(p, ctx);
		return -1;
	}
	return 0;
}

int
pop3_flush(struct pop3 *p, const char *what)
{
	char	 ctx[128];

	if (conn_flush(p->conn) == -1) {
		snprintf(ctx, sizeof(ctx), "sending %s", what);
		pop3_io_error(p, ctx);
		return -1;
	}
	return 0;
}

int
pop3_send(struct pop3 *p, const char *cmd)
{
	if (pop3_queue(p, cmd) == -1)
		return -1;
	return pop3_flush(p, cmd);
}

/*
 * Next line of a multi-line response, dot-unstuffed: 1, or 0 at the
 * terminating ".", or -1 on I/O error (logged).  Any line starting with
 * "." loses it (RFC 1939 3), so "..x" is ".x" and a stray ".x" is "x".
 */
int
pop3_next_line(struct pop3 *p, const char *what, size_t max,
    const char **line, size_t *len)
{
	char	 ctx[128];

	if (conn_read_line(p->conn, line, len, max) == -1) {
		snprintf(ctx, sizeof(ctx), "reading the response to %s",
		    what);
		pop3_io_error(p, ctx);
		return -1;
	}
	if (*len > 0 && (*line)[0] == '.') {
		if (*len == 1)
			return 0;
		(*line)++;
		(*len)--;
	}
	return 1;
}

/* Decimal number at s[*pos], at most max; advances *pos. */
int
pop3_parse_number(const char *s, size_t len, size_t *pos, uint64_t max,
    uint64_t *out)
{
	uint64_t	 v = 0, d;
	size_t		 i = *pos;

	if (i >= len || s[i] < '0' || s[i] > '9')
		return -1;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		d = (uint64_t)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*pos = i;
	*out = v;
	return 0;
}

size_t
pop3_skip_spaces(const char *s, size_t len, size_t pos)
{
	while (pos < len && (s[pos] == ' ' || s[pos] == '\t'))
		pos++;
	return pos;
}

static int
pop3_connect(struct pop3 *p)
{
	struct tls_opts	 tls;
	char		 err[512];

	p->conn = conn_open(p->ep->host, p->ep->port, pop3_timeout_ms, err,
	    sizeof(err));
	if (p->conn == NULL) {
		pop3_error(p, "cannot connect: %s; check host and port "
		    "(POP3 is 995 with tls implicit, 110 otherwise)", err);
		return -1;
	}
	conn_set_trace(p->conn, p->trace, log_enabled(LOG_LEVEL_TRACE));
	/* on SIGTERM a stalled transfer is given up, not waited out */
	conn_set_stop(p->conn, stop_requested);
	if (p->ep->tls != TLS_IMPLICIT)
		return 0;
	tls.verify = p->ep->tls_verify;
	tls.ca_file = p->ep->tls_ca_file;
	tls.fingerprint = p->ep->tls_fingerprint;
	if (conn_starttls(p->conn, &tls) == -1) {
		pop3_error(p, "TLS failed: %s", conn_error(p->conn));
		return -1;
	}
	return 0;
}

/* The greeting; keeps the APOP timestamp "<...>" if there is one. */
static int
pop3_greeting(struct pop3 *p)
{
	const char	*line, *lt, *gt;
	size_t		 len, n, i;
	int		 r;

	if ((r = pop3_reply(p, "the greeting", &line, &len)) == -1)
		return -1;
	if (r != REPLY_OK) {
		pop3_reply_error(p, "the greeting", line, len,
		    "the server refuses the session; try again later, or "
		    "check host and port");
		return -1;
	}
	p->stamp[0] = '\0';
	if ((lt = memchr(line, '<', len)) == NULL)
		return 0;
	if ((gt = memchr(lt, '>', len - (size_t)(lt - line))) == NULL)
		return 0;
	n = (size_t)(gt - lt) + 1;
	if (n >= sizeof(p->stamp))
		return 0;
	for (i = 0; i < n; i++)
		if (lt[i] < 0x21 || lt[i] > 0x7e)
			return 0;
	memcpy(p->stamp, lt, n);
	p->stamp[n] = '\0';
	return 0;
}

static void
pop3_capa_reset(struct pop3 *p)
{
	p->has_capa = 0;
	p->capa_user = 0;
	p->capa_stls = 0;
	p->capa_pipelining = 0;
	p->capa_sasl = 0;
	p->capa_utf8 = 0;
	p->sasl_plain = 0;
	p->sasl_oauthbearer = 0;
	p->sasl_list[0] = '\0';
}

/* "SASL PLAIN LOGIN ...": note PLAIN, keep the list for messages. */
static void
pop3_capa_sasl(struct pop3 *p, const char *line, size_t len)
{
	size_t	 pos, start;

	p->capa_sasl = 1;
	pos = pop3_skip_spaces(line, len, 4);
	log_clean(line + pos, len - pos, p->sasl_list, sizeof(p->sasl_list),
	    LOG_CLEAN_MARK);
	for (;;) {
		pos = pop3_skip_spaces(line, len, pos);
		if (pos >= len)
			break;
		start = pos;
		while (pos < len && line[pos] != ' ' && line[pos] != '\t')
			pos++;
		if (pos - start == 5 &&
		    strncasecmp(line + start, "PLAIN", 5) == 0)
			p->sasl_plain = 1;
		if (pos - start == 11 &&
		    strncasecmp(line + start, "OAUTHBEARER", 11) == 0)
			p->sasl_oauthbearer = 1;
	}
}

static int
capa_is(const char *line, size_t len, const char *word)
{
	size_t	 n = strlen(word);

	return len >= n && strncasecmp(line, word, n) == 0 &&
	    (len == n || line[n] == ' ' || line[n] == '\t');
}

/* RFC 2449.  A server that answers -ERR is a plain RFC 1939 one. */
static int
pop3_capa(struct pop3 *p)
{
	const char	*line;
	size_t		 len, n = 0;
	int		 r;

	pop3_capa_reset(p);
	if (pop3_send(p, "CAPA") == -1)
		return -1;
	if ((r = pop3_reply(p, "CAPA", &line, &len)) == -1)
		return -1;
	if (r == REPLY_ERR)
		return 0;
	if (r != REPLY_OK) {
		pop3_reply_error(p, "CAPA", line, len, "");
		return -1;
	}
	p->has_capa = 1;
	while ((r = pop3_next_line(p, "CAPA", POP3_LINE_MAX, &line,
	    &len)) == 1) {
		if (++n > POP3_CAPA_MAX) {
			pop3_error(p, "CAPA: more than %d capabilities; "
			    "the server is confused", POP3_CAPA_MAX);
			return -1;
		}
		if (capa_is(line, len, "USER"))
			p->capa_user = 1;
		else if (capa_is(line, len, "STLS"))
			p->capa_stls = 1;
		else if (capa_is(line, len, "PIPELINING"))
			p->capa_pipelining = 1;
		else if (capa_is(line, len, "SASL"))
			pop3_capa_sasl(p, line, len);
		else if (capa_is(line, len, "UTF8"))
			p->capa_utf8 = 1;
	}
	return r;
}

/* RFC 2595: STLS, then forget what was said in the clear and ask again. */
static int
pop3_stls(struct pop3 *p)
{
	struct tls_opts	 tls;

	if (!p->capa_stls) {
		pop3_error(p, "the server does not offer STLS, so the "
		    "connection cannot be secured; use tls implicit (port "
		    "995), or tls none only on a network you trust");
		return -1;
	}
	if (pop3_send(p, "STLS") == -1)
		return -1;
	if (pop3_expect_ok(p, "STLS", "use tls implicit (port 995)") == -1)
		return -1;
	tls.verify = p->ep->tls_verify;
	tls.ca_file = p->ep->tls_ca_file;
	tls.fingerprint = p->ep->tls_fingerprint;
	if (conn_starttls(p->conn, &tls) == -1) {
		pop3_error(p, "TLS after STLS failed: %s", conn_error(p->conn));
		return -1;
	}
	return pop3_capa(p);
}

/* What to log in with, from auth and what the server offers. */
static int
pop3_choose_login(struct pop3 *p, enum pop3_login *how,
    enum auth_mech *mech)
{
	*how = LOGIN_SASL;
	*mech = AUTH_PLAIN;
	/* auth = oauth2: OAUTHBEARER (RFC 7628) where offered, else
	 * XOAUTH2, which older servers know */
	if (p->ep->oauth2 != NULL && p->ep->auth == AUTH_AUTO) {
		*mech = p->sasl_oauthbearer ? AUTH_OAUTHBEARER : AUTH_XOAUTH2;
		return 0;
	}
	switch (p->ep->auth) {
	case AUTH_AUTO:
	case AUTH_PLAIN:
		/* "plain" means the password itself: SASL PLAIN where
		 * offered, else the USER/PASS every server has. */
		if (p->sasl_plain)
			return 0;
		*how = LOGIN_USER;
		if (p->ep->auth == AUTH_PLAIN || p->capa_user ||
		    !p->has_capa)
			return 0;
		*how = LOGIN_APOP;
		if (p->stamp[0] != '\0')
			return 0;
		pop3_error(p, "the server offers no login mailsift can choose "
		    "by itself (SASL: %s); set auth to a mechanism it offers",
		    p->capa_sasl ? p->sasl_list : "none");
		return -1;
	case AUTH_LOGIN:
	case AUTH_XOAUTH2:
	case AUTH_OAUTHBEARER:
		*mech = p->ep->auth;
		return 0;
	case AUTH_APOP:
		*how = LOGIN_APOP;
		if (p->stamp[0] != '\0')
			return 0;
		pop3_error(p, "auth is apop but the greeting has no APOP "
		    "timestamp; set auth to auto");
		return -1;
	}
	pop3_error(p, "unknown auth setting %d", (int)p->ep->auth);
	return -1;
}

/* A CR or LF would end the command early and start another. */
static int
has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

static int
pop3_auth_user(struct pop3 *p, const char *secret)
{
	char	 cmd[POP3_AUTH_MAX + 1];
	int	 n;

	n = snprintf(cmd, sizeof(cmd), "USER %s", p->ep->user);
	if (n < 0 || (size_t)n >= sizeof(cmd)) {
		pop3_error(p, "the user name is too long for USER");
		return -1;
	}
	if (pop3_send(p, cmd) == -1)
		return -1;
	if (pop3_expect_ok(p, "USER", "check user") == -1)
		return -1;
	if (conn_printf_secret(p->conn, 5, "PASS %s\r\n", secret) == -1) {
		pop3_io_error(p, "sending PASS");
		return -1;
	}
	if (pop3_flush(p, "PASS") == -1)
		return -1;
	return pop3_expect_ok(p, "login (PASS)",
	    "check user and password (or password-command)");
}

/* RFC 1939 7: MD5 of the greeting's timestamp and the secret, in hex. */
static int
pop3_auth_apop(struct pop3 *p, const char *secret)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	char		 hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int	 mdlen = 0, i;
	EVP_MD_CTX	*ctx;
	int		 ok, r;

	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		pop3_error(p, "APOP: out of memory");
		return -1;
	}
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, p->stamp, strlen(p->stamp)) == 1 &&
	    EVP_DigestUpdate(ctx, secret, strlen(secret)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		pop3_error(p, "APOP: MD5 is not available in this OpenSSL "
		    "(FIPS mode?); set auth to plain or a SASL mechanism");
		return -1;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * mdlen] = '\0';
	r = conn_printf_secret(p->conn, 6 + strlen(p->ep->user),
	    "APOP %s %s\r\n", p->ep->user, hex);
	explicit_bzero(md, sizeof(md));
	explicit_bzero(hex, sizeof(hex));
	if (r == -1) {
		pop3_io_error(p, "sending APOP");
		return -1;
	}
	if (pop3_flush(p, "APOP") == -1)
		return -1;
	return pop3_expect_ok(p, "login (APOP)",
	    "check user and password (or password-command), or set auth "
	    "to plain");
}

/*
 * Send the AUTH command: with the initial response when the server
 * speaks RFC 5034 (it lists SASL) and the command fits 255 octets, else
 * bare, the response then answering the server's empty challenge.
 * Returns the number of the next response to send, or -1.
 */
static int
pop3_auth_start(struct pop3 *p, enum auth_mech mech, const char *secret)
{
	const char	*name = sasl_name(mech);
	char		*resp, err[256];
	int		 r;

	if (!sasl_client_first(mech) || !p->capa_sasl)
		goto bare;
	resp = sasl_response(mech, 0, p->ep->user, secret, err, sizeof(err));
	if (resp == NULL) {
		pop3_error(p, "AUTH %s: %s", name, err);
		return -1;
	}
	if (5 + strlen(name) + 1 + strlen(resp) + 2 > POP3_AUTH_MAX) {
		sasl_free(resp);
		goto bare;
	}
	r = conn_printf_secret(p->conn, 6 + strlen(name), "AUTH %s %s\r\n",
	    name, resp[0] != '\0' ? resp : "=");
	sasl_free(resp);
	if (r == -1 || conn_flush(p->conn) == -1) {
		pop3_io_error(p, "sending AUTH");
		return -1;
	}
	return 1;
bare:
	if (conn_printf(p->conn, "AUTH %s\r\n", name) == -1 ||
	    conn_flush(p->conn) == -1) {
		pop3_io_error(p, "sending AUTH");
		return -1;
	}
	return 0;
}

/* RFC 5034 exchange, ending in +OK or -ERR. */
static int
pop3_auth_sasl(struct pop3 *p, enum auth_mech mech, const char *secret)
{
	const char	*line, *name = sasl_name(mech);
	char		*resp, err[256], said[LOG_SHOW_SIZE] = "", what[64];
	char		 hint[LOG_SHOW_SIZE + 128];
	size_t		 len;
	int		 r, step, round;

	snprintf(what, sizeof(what), "login (AUTH %s)", name);
	if ((step = pop3_auth_start(p, mech, secret)) == -1)
		return -1;
	for (round = 0; round < POP3_SASL_ROUNDS; round++) {
		if ((r = pop3_reply(p, what, &line, &len)) == -1)
			return -1;
		if (r == REPLY_OK)
			return 0;
		if (r != REPLY_MORE)
			break;
		/* An OAuth challenge after the token is an error report
		 * (JSON): keep it, the -ERR that follows says less. */
		if (step > 0 && (mech == AUTH_XOAUTH2 ||
		    mech == AUTH_OAUTHBEARER) && len > 2)
			sasl_challenge_text(line + 2, len - 2, said,
			    sizeof(said));
		resp = sasl_response(mech, (unsigned)step, p->ep->user,
		    secret, err, sizeof(err));
		if (resp == NULL) {
			/* Nothing to answer: closing ends the exchange. */
			pop3_error(p, "%s: %s", what, err);
			return -1;
		}
		r = conn_printf_secret(p->conn, 0, "%s\r\n", resp);
		sasl_free(resp);
		if (r == -1 || conn_flush(p->conn) == -1) {
			pop3_io_error(p, "sending an AUTH response");
			return -1;
		}
		step++;
	}
	if (round == POP3_SASL_ROUNDS) {
		pop3_error(p, "%s: the server never ends the exchange", what);
		return -1;
	}
	/* auth = oauth2 asks for a new token and tries again: the first
	 * refusal is no error yet */
	if (p->oauth_first) {
		log_debug("account %s: %s refused; asking for a new token",
		    p->acct->name, what);
		return -2;
	}
	if (said[0] != '\0' && p->ep->oauth2 != NULL)
		snprintf(hint, sizeof(hint), "the token was refused (%s) "
		    "even after a refresh; check user and the grant's scopes "
		    "(mailsift auth status)", said);
	else if (said[0] != '\0')
		snprintf(hint, sizeof(hint), "the token was refused (%s); "
		    "renew it (password-command) or check user", said);
	else
		snprintf(hint, sizeof(hint), "check user, auth and password "
		    "(or password-command)");
	pop3_reply_error(p, what, line, len, hint);
	return -2;	/* refused; the connection goes on */
}

/*
 * auth = oauth2: the token from oauth_token(), never a password.  A
 * refused token is named in a second ask (oauth_token() refreshes it)
 * and the login is tried once more on the same connection.
 */
static int
pop3_login_oauth2(struct pop3 *p, enum auth_mech mech)
{
	char			*token, *again, err[512];
	int			 r;

	if (oauth_login_token(NULL, p->acct, OAUTH2_POP3, NULL, &token, err,
	    sizeof(err)) != OAUTH_OK) {
		pop3_error(p, "%s", err);
		return -1;
	}
	p->oauth_first = 1;
	r = pop3_auth_sasl(p, mech, token);
	p->oauth_first = 0;
	if (r == -2) {
		if (oauth_login_token(NULL, p->acct, OAUTH2_POP3, token,
		    &again, err, sizeof(err)) != OAUTH_OK) {
			pop3_error(p, "%s", err);
			r = -1;
		} else {
			r = pop3_auth_sasl(p, mech, again);
			oauth_token_free(again);
		}
	}
	oauth_token_free(token);
	return r == 0 ? 0 : -1;
}

static int
pop3_login(struct pop3 *p)
{
	enum pop3_login	 how;
	enum auth_mech	 mech;
	char		*secret, err[512];
	int		 r;

	if (!conn_is_tls(p->conn) && !p->ep->allow_plaintext_auth) {
		pop3_error(p, "refusing to send credentials in plaintext to "
		    "%s; use tls implicit/starttls or set "
		    "allow-plaintext-auth", p->ep->host);
		return -1;
	}
	if (p->ep->user == NULL || p->ep->user[0] == '\0' ||
	    has_line_break(p->ep->user)) {
		pop3_error(p, "user is missing or holds a line break");
		return -1;
	}
	if (pop3_choose_login(p, &how, &mech) == -1)
		return -1;
	if (p->ep->oauth2 != NULL)
		return pop3_login_oauth2(p, mech);
	/* Fetched on every connect: password-command may rotate it. */
	if ((secret = conf_secret(p->ep, err, sizeof(err))) == NULL) {
		pop3_error(p, "no password: %s", err);
		return -1;
	}
	/* SASL sends it in base64; USER/PASS and APOP as text. */
	if (how != LOGIN_SASL && has_line_break(secret)) {
		conf_secret_free(secret);
		pop3_error(p, "the password holds a line break, which %s "
		    "cannot carry; try auth login", how == LOGIN_USER ?
		    "PASS" : "APOP");
		return -1;
	}
	if (how == LOGIN_USER)
		r = pop3_auth_user(p, secret);
	else if (how == LOGIN_APOP)
		r = pop3_auth_apop(p, secret);
	else
		r = pop3_auth_sasl(p, mech, secret) == 0 ? 0 : -1;
	conf_secret_free(secret);
	return r;
}

/*
 * RFC 6856: in UTF-8 mode the server serves messages as stored; without
 * it, it may serve a downgraded copy or a notice of its own (Courier
 * does).  The command belongs to the AUTHORIZATION state; a server that
 * refuses it there is asked once more after login.  -ERR is no failure:
 * the session goes on, and source_substitute() catches known notices.
 */
static int
pop3_utf8(struct pop3 *p, int again)
{
	const char	*line;
	size_t		 len;
	int		 r;

	if (!p->capa_utf8 || p->utf8)
		return 0;
	if (pop3_send(p, "UTF8") == -1 ||
	    (r = pop3_reply(p, "UTF8", &line, &len)) == -1)
		return -1;
	if (r == REPLY_OK)
		p->utf8 = 1;
	else if (r != REPLY_ERR) {
		pop3_reply_error(p, "UTF8", line, len, "");
		return -1;
	} else
		log_debug("account %s: pop3 %s: UTF8 refused%s",
		    p->acct->name, p->ep->host, again ? " after login too" :
		    " before login");
	return 0;
}

static int
pop3_setup(struct pop3 *p)
{
	if (pop3_connect(p) == -1 || pop3_greeting(p) == -1 ||
	    pop3_capa(p) == -1)
		return -1;
	if (p->ep->tls == TLS_STARTTLS && pop3_stls(p) == -1)
		return -1;
	if (pop3_utf8(p, 0) == -1 || pop3_login(p) == -1)
		return -1;
	return pop3_utf8(p, 1);
}

/* Connect, greet, CAPA, STLS if asked, UTF8 if offered, and log in;
 * paced per server (net/pace.h), as IMAP sessions are. */
int
pop3_open(struct pop3 *p)
{
	struct pace_ticket	 t;
	int			 rv;

	if (pace_begin(p->ep->host, p->ep->port, stop_requested, &t) == -1) {
		pop3_error(p, "stopping");
		return -1;
	}
	rv = pop3_setup(p);
	pace_end(&t);
	return rv;
}


/* SPDX-License-Identifier: ISC */
/*
 * smtp.c - the SMTP submission client: the session (connect, greeting,
 * EHLO, STARTTLS, AUTH, QUIT), replies, errors and results; see smtp.h.
 * The mail transaction itself is in smtp-tx.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "daemon/conf/conf.h"
#include "daemon/net/conn.h"
#include "daemon/util/log.h"
#include "daemon/net/sasl.h"
#include "daemon/send/smtp.h"
#include "daemon/send/smtp-int.h"

#define SMTP_COMMAND_MS		120000
#define SMTP_DATA_END_MS	600000
/* RFC 5321 4.5.3.1.5 says 512 octets a reply line; servers go beyond. */
#define SMTP_LINE_MAX		4096
/* Guards against a server that never ends a reply. */
#define SMTP_REPLY_LINES	256
/* RFC 5321 4.5.3.1.4: a command line is at most 512 octets; an AUTH
 * with its initial response must fit too (RFC 4954 4). */
#define SMTP_COMMAND_MAX	512
/* SASL exchanges longer than this are a confused server. */
#define SMTP_SASL_ROUNDS	8
#define SMTP_HOST_MAX		255

static int	smtp_command_ms = SMTP_COMMAND_MS;
static int	smtp_data_end_ms = SMTP_DATA_END_MS;

void
smtp_set_timeouts(int command_ms, int data_end_ms)
{
	smtp_command_ms = command_ms;
	smtp_data_end_ms = data_end_ms;
}

const char *
smtp_status_name(enum smtp_status st)
{
	switch (st) {
	case SMTP_OK:
		return "ok";
	case SMTP_TEMPFAIL:
		return "temporary failure";
	case SMTP_PERMFAIL:
		return "permanent failure";
	}
	return "unknown";
}

enum smtp_status
smtp_code_status(int code)
{
	/* A 5xx will not change by trying again; anything else might. */
	return code >= 500 && code <= 599 ? SMTP_PERMFAIL : SMTP_TEMPFAIL;
}

void
smtp_fail(struct smtp *s, enum smtp_status st, const char *fmt, ...)
{
	struct smtp_result	*res = s->res;
	char			 msg[768];
	va_list			 ap;

	if (s->failed)
		return;
	s->failed = 1;
	s->fail_status = st;
	s->fail_code = 0;
	s->fail_reply[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (res->error[0] == '\0')
		snprintf(res->error, sizeof(res->error), "%s %s:%s: %s",
		    s->ep->label, s->ep->host, s->ep->port, msg);
}

void
smtp_io_fail(struct smtp *s, const char *what)
{
	smtp_fail(s, SMTP_TEMPFAIL, "%s: %s", what,
	    s->c != NULL ? conn_error(s->c) : "no connection");
	s->broken = 1;
}

void
smtp_reply_fail(struct smtp *s, const char *what, const char *hint)
{
	if (s->failed)
		return;
	smtp_fail(s, smtp_code_status(s->code), "%s: server said \"%s\"%s%s",
	    what, s->reply, hint[0] != '\0' ? "; " : "", hint);
	s->fail_code = s->code;
	memcpy(s->fail_reply, s->reply, sizeof(s->fail_reply));
}

int
smtp_queue(struct smtp *s, const char *what, const char *fmt, ...)
{
	char	 ctx[128];
	va_list	 ap;
	char	 line[SMTP_COMMAND_MAX * 2];
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		smtp_fail(s, SMTP_PERMFAIL, "%s: the command is too long",
		    what);
		return -1;
	}
	if (conn_printf(s->c, "%s", line) == -1) {
		snprintf(ctx, sizeof(ctx), "sending %s", what);
		smtp_io_fail(s, ctx);
		return -1;
	}
	return 0;
}

int
smtp_flush(struct smtp *s, const char *what)
{
	char	 ctx[128];

	if (conn_flush(s->c) == -1) {
		snprintf(ctx, sizeof(ctx), "sending %s", what);
		smtp_io_fail(s, ctx);
		return -1;
	}
	return 0;
}

/* "250", "250 text" or "250-text": a code of 2xx to 5xx. */
static int
reply_line_valid(const char *line, size_t len)
{
	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9')
		return 0;
	return len == 3 || line[3] == ' ' || line[3] == '-';
}

static size_t
word_len(const char *s, size_t len)
{
	size_t	 n = 0;

	while (n < len && s[n] != ' ' && s[n] != '=')
		n++;
	return n;
}

static int
keyword_is(const char *s, size_t n, const char *kw)
{
	return n == strlen(kw) && strncasecmp(s, kw, n) == 0;
}

/* "AUTH PLAIN LOGIN ..." (or the old "AUTH=PLAIN ..."). */
static void
ehlo_auth(struct smtp *s, const char *p, size_t len)
{
	char	 word[32];
	size_t	 n, used = strlen(s->auth_list);

	s->ext |= EXT_AUTH;
	while (len > 0) {
		while (len > 0 && (*p == ' ' || *p == '=')) {
			p++;
			len--;
		}
		if ((n = word_len(p, len)) == 0)
			break;
		if (keyword_is(p, n, "PLAIN"))
			s->auth |= AUTH_HAS_PLAIN;
		else if (keyword_is(p, n, "LOGIN"))
			s->auth |= AUTH_HAS_LOGIN;
		/* The list, printable, is for messages only. */
		if (n + 4 < sizeof(word) &&
		    used + n + 2 < sizeof(s->auth_list)) {
			log_clean(p, n, word, sizeof(word), LOG_CLEAN_MARK);
			snprintf(s->auth_list + used, sizeof(s->auth_list) -
			    used, "%s%s", used > 0 ? " " : "", word);
			used = strlen(s->auth_list);
		}
		p += n;
		len -= n;
	}
}

/* "SIZE" or "SIZE 10240000" (RFC 1870 4); 0 means no limit given. */
static void
ehlo_size(struct smtp *s, const char *p, size_t len)
{
	uint64_t	 v = 0;
	size_t		 i = 0;

	s->ext |= EXT_SIZE;
	while (i < len && p[i] == ' ')
		i++;
	for (; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	s->size_max = v;
}

static void
ehlo_keyword(struct smtp *s, const char *p, size_t len)
{
	size_t	 n = word_len(p, len);

	if (keyword_is(p, n, "PIPELINING"))
		s->ext |= EXT_PIPELINING;
	else if (keyword_is(p, n, "8BITMIME"))
		s->ext |= EXT_8BITMIME;
	else if (keyword_is(p, n, "SMTPUTF8"))
		s->ext |= EXT_SMTPUTF8;
	else if (keyword_is(p, n, "STARTTLS"))
		s->ext |= EXT_STARTTLS;
	else if (keyword_is(p, n, "SIZE"))
		ehlo_size(s, p + n, len - n);
	else if (keyword_is(p, n, "AUTH"))
		ehlo_auth(s, p + n, len - n);
}

/* Add a line's text to s->reply: "code text text ...". */
static void
reply_add(struct smtp *s, const char *line, size_t len, int first)
{
	size_t	 used = strlen(s->reply), room;

	if (first) {
		/* "550-text" reads as "550 text" in a message. */
		memcpy(s->reply, line, 3);
		s->reply[3] = '\0';
		if (len > 4) {
			s->reply[3] = ' ';
			log_clean(line + 4, len - 4, s->reply + 4,
			    sizeof(s->reply) - 4, LOG_CLEAN_MARK);
		}
		return;
	}
	if (len <= 4 || used + 8 >= sizeof(s->reply))
		return;
	room = sizeof(s->reply) - used - 1;
	s->reply[used] = ' ';
	log_clean(line + 4, len - 4, s->reply + used + 1, room,
	    LOG_CLEAN_MARK);
}

int
smtp_reply(struct smtp *s, const char *what, int ehlo)
{
	const char	*line;
	char		 ctx[128], show[SMTP_REPLY_MAX];
	size_t		 len, nlines;
	int		 code;

	s->code = 0;
	s->reply[0] = '\0';
	for (nlines = 0;; nlines++) {
		if (conn_read_line(s->c, &line, &len, SMTP_LINE_MAX) == -1) {
			snprintf(ctx, sizeof(ctx), "reading the reply to %s",
			    what);
			smtp_io_fail(s, ctx);
			return -1;
		}
		if (!reply_line_valid(line, len)) {
			log_clean(line, len, show, sizeof(show),
			    LOG_CLEAN_MARK);
			smtp_fail(s, SMTP_TEMPFAIL, "%s: the reply \"%s\" is "
			    "not SMTP", what, show);
			s->broken = 1;
			return -1;
		}
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (nlines == 0)
			s->code = code;
		else if (code != s->code) {
			/* RFC 5321 4.2: one code for all the lines; which
			 * one the server meant is anyone's guess, so never
			 * success, never final */
			smtp_fail(s, SMTP_TEMPFAIL, "%s: the reply mixes "
			    "reply codes %d and %d (RFC 5321 4.2 wants one); "
			    "the server is confused", what, s->code, code);
			s->broken = 1;
			return -1;
		}
		reply_add(s, line, len, nlines == 0);
		if (ehlo && nlines > 0 && len > 4)
			ehlo_keyword(s, line + 4, len - 4);
		if (len == 3 || line[3] == ' ')
			return s->code;
		if (nlines + 1 == SMTP_REPLY_LINES) {
			smtp_fail(s, SMTP_TEMPFAIL, "%s: a reply of more than "
			    "%d lines; the server is confused", what,
			    SMTP_REPLY_LINES);
			s->broken = 1;
			return -1;
		}
	}
}

static int
smtp_tls(struct smtp *s, const char *what)
{
	struct tls_opts	 tls;

	tls.verify = s->ep->tls_verify;
	tls.ca_file = s->ep->tls_ca_file;
	tls.fingerprint = s->ep->tls_fingerprint;
	if (conn_starttls(s->c, &tls) == 0)
		return 0;
	smtp_fail(s, SMTP_TEMPFAIL, "%s failed: %s", what, conn_error(s->c));
	s->broken = 1;
	return -1;
}

static int
smtp_connect(struct smtp *s)
{
	char	 err[512];

	s->c = conn_open(s->ep->host, s->ep->port, smtp_command_ms, err,
	    sizeof(err));
	if (s->c == NULL) {
		smtp_fail(s, SMTP_TEMPFAIL, "cannot connect: %s (check host "
		    "and port: submission is 587 with tls starttls, 465 with "
		    "tls implicit)", err);
		s->broken = 1;
		return -1;
	}
	conn_set_trace(s->c, s->trace, log_enabled(LOG_LEVEL_TRACE));
	if (s->ep->tls == TLS_IMPLICIT)
		return smtp_tls(s, "TLS");
	return 0;
}

static int
smtp_greeting(struct smtp *s)
{
	int	 code;

	if ((code = smtp_reply(s, "the greeting", 0)) == -1)
		return -1;
	if (code == 220)
		return 0;
	smtp_reply_fail(s, "the greeting", "the server refuses the session");
	return -1;
}

/* Our name for EHLO: the host name when it is one, else localhost. */
static void
helo_name(char *out, size_t outlen)
{
	size_t	 i, n;

	if (gethostname(out, outlen - 1) == -1)
		out[0] = '\0';
	out[outlen - 1] = '\0';
	n = strlen(out);
	for (i = 0; i < n; i++)
		if (!((out[i] >= 'a' && out[i] <= 'z') ||
		    (out[i] >= 'A' && out[i] <= 'Z') ||
		    (out[i] >= '0' && out[i] <= '9') || out[i] == '-' ||
		    out[i] == '.'))
			break;
	if (n == 0 || i < n)
		snprintf(out, outlen, "localhost");
}

/* RFC 5321 4.1.1.1: a server that does not know EHLO gets HELO, but
 * then there are no extensions, so neither STARTTLS nor AUTH. */
static int
smtp_helo(struct smtp *s, const char *name)
{
	int	 code;

	s->ext = 0;
	s->auth = 0;
	if (smtp_queue(s, "HELO", "HELO %s\r\n", name) == -1 ||
	    smtp_flush(s, "HELO") == -1)
		return -1;
	if ((code = smtp_reply(s, "HELO", 0)) == -1)
		return -1;
	if (code == 250)
		return 0;
	smtp_reply_fail(s, "HELO", "");
	return -1;
}

static int
smtp_ehlo(struct smtp *s)
{
	char	 name[SMTP_HOST_MAX + 1];
	int	 code;

	s->ext = 0;
	s->size_max = 0;
	s->auth = 0;
	s->auth_list[0] = '\0';
	helo_name(name, sizeof(name));
	if (smtp_queue(s, "EHLO", "EHLO %s\r\n", name) == -1 ||
	    smtp_flush(s, "EHLO") == -1)
		return -1;
	if ((code = smtp_reply(s, "EHLO", 1)) == -1)
		return -1;
	if (code == 250)
		return 0;
	if (code >= 500 && s->ep->user == NULL &&
	    s->ep->tls != TLS_STARTTLS && !conn_is_tls(s->c))
		return smtp_helo(s, name);
	smtp_reply_fail(s, "EHLO", "");
	return -1;
}

/* RFC 3207: STARTTLS, then forget what was said in the clear. */
static int
smtp_starttls(struct smtp *s)
{
	int	 code;

	if (!(s->ext & EXT_STARTTLS)) {
		smtp_fail(s, SMTP_TEMPFAIL, "the server does not offer "
		    "STARTTLS, so the connection cannot be secured (someone "
		    "on the way may have removed it); try again later, or "
		    "use tls implicit (port 465)");
		return -1;
	}
	if (smtp_queue(s, "STARTTLS", "STARTTLS\r\n") == -1 ||
	    smtp_flush(s, "STARTTLS") == -1)
		return -1;
	if ((code = smtp_reply(s, "STARTTLS", 0)) == -1)
		return -1;
	if (code != 220) {
		smtp_reply_fail(s, "STARTTLS", "use tls implicit (port 465)");
		return -1;
	}
	if (smtp_tls(s, "TLS after STARTTLS") == -1)
		return -1;
	return smtp_ehlo(s);
}

static int
smtp_choose_mech(struct smtp *s, enum auth_mech *mech)
{
	*mech = s->ep->auth;
	if (*mech != AUTH_AUTO)
		return 0;
	if (s->auth & AUTH_HAS_PLAIN)
		*mech = AUTH_PLAIN;
	else if (s->auth & AUTH_HAS_LOGIN)
		*mech = AUTH_LOGIN;
	else {
		smtp_fail(s, SMTP_PERMFAIL, "the server offers no AUTH "
		    "mechanism mailsift chooses by itself (AUTH %s); set auth "
		    "to one it offers", s->auth_list);
		return -1;
	}
	return 0;
}

/*
 * Send AUTH, with the initial response when the mechanism has one and
 * the line stays within 512 octets, else bare (the response then
 * answers the server's empty challenge).  Returns the number of the
 * next response to send, or -1.
 */
static int
smtp_auth_start(struct smtp *s, enum auth_mech mech, const char *secret)
{
	const char	*name = sasl_name(mech);
	char		*resp, err[256];
	int		 r;

	if (sasl_client_first(mech)) {
		resp = sasl_response(mech, 0, s->ep->user, secret, err,
		    sizeof(err));
		if (resp == NULL) {
			smtp_fail(s, SMTP_PERMFAIL, "AUTH %s: %s", name, err);
			return -1;
		}
		if (5 + strlen(name) + 1 + strlen(resp) + 2 <=
		    SMTP_COMMAND_MAX) {
			r = conn_printf_secret(s->c, 6 + strlen(name),
			    "AUTH %s %s\r\n", name, resp[0] != '\0' ? resp :
			    "=");
			sasl_free(resp);
			if (r == -1 || conn_flush(s->c) == -1) {
				smtp_io_fail(s, "sending AUTH");
				return -1;
			}
			return 1;
		}
		sasl_free(resp);
	}
	if (smtp_queue(s, "AUTH", "AUTH %s\r\n", name) == -1 ||
	    smtp_flush(s, "AUTH") == -1)
		return -1;
	return 0;
}

/* Answer the challenge with response `step`; the exchange is cancelled
 * ("*", RFC 4954 4) when the mechanism has nothing more to say. */
static int
smtp_auth_step(struct smtp *s, enum auth_mech mech, unsigned step,
    const char *secret, const char *what)
{
	char	*resp, err[256];
	int	 r;

	resp = sasl_response(mech, step, s->ep->user, secret, err,
	    sizeof(err));
	if (resp == NULL) {
		smtp_fail(s, SMTP_PERMFAIL, "%s: %s", what, err);
		if (smtp_queue(s, what, "*\r\n") == 0 &&
		    smtp_flush(s, what) == 0)
			(void)smtp_reply(s, what, 0);
		return -1;
	}
	r = conn_printf_secret(s->c, 0, "%s\r\n", resp);
	sasl_free(resp);
	if (r == -1 || conn_flush(s->c) == -1) {
		smtp_io_fail(s, "sending an AUTH response");
		return -1;
	}
	return 0;
}

static int
smtp_sasl(struct smtp *s, enum auth_mech mech, const char *secret)
{
	char	 what[64], said[SMTP_REPLY_MAX] = "", hint[SMTP_REPLY_MAX + 96];
	int	 step, round, code;

	snprintf(what, sizeof(what), "AUTH %s", sasl_name(mech));
	if ((step = smtp_auth_start(s, mech, secret)) == -1)
		return -1;
	for (round = 0; round < SMTP_SASL_ROUNDS; round++) {
		if ((code = smtp_reply(s, what, 0)) == -1)
			return -1;
		if (code == 235)
			return 0;
		if (code != 334)
			break;
		/* An OAuth challenge after the token is its error report:
		 * keep it, the 535 that follows says less. */
		if (step > 0 && mech == AUTH_XOAUTH2 && strlen(s->reply) > 4)
			sasl_challenge_text(s->reply + 4, strlen(s->reply + 4),
			    said, sizeof(said));
		if (smtp_auth_step(s, mech, (unsigned)step, secret, what) == -1)
			return -1;
		step++;
	}
	if (round == SMTP_SASL_ROUNDS) {
		smtp_fail(s, SMTP_PERMFAIL, "%s: the server never ends the "
		    "exchange", what);
		return -1;
	}
	if (said[0] != '\0')
		snprintf(hint, sizeof(hint), "the token was refused (%s); "
		    "renew it (password-command) or check user", said);
	else
		snprintf(hint, sizeof(hint), "check user, auth and password "
		    "(or password-command)");
	smtp_reply_fail(s, what, hint);
	return -1;
}

static int
smtp_auth(struct smtp *s)
{
	enum auth_mech	 mech;
	char		*secret, err[512];
	int		 r;

	if (s->ep->user == NULL)
		return 0;
	if (!conn_is_tls(s->c) && !s->ep->allow_plaintext_auth) {
		smtp_fail(s, SMTP_PERMFAIL, "refusing to send credentials in "
		    "plaintext to %s; use tls starttls or implicit, or set "
		    "allow-plaintext-auth", s->ep->host);
		return -1;
	}
	if (!(s->ext & EXT_AUTH)) {
		smtp_fail(s, SMTP_PERMFAIL, "the server offers no AUTH, but "
		    "user is set; remove user and password if it needs no "
		    "login");
		return -1;
	}
	if (smtp_choose_mech(s, &mech) == -1)
		return -1;
	/* Fetched on every connect: password-command may rotate it, and a
	 * failing command may work next time. */
	if ((secret = conf_secret(s->ep, err, sizeof(err))) == NULL) {
		smtp_fail(s, SMTP_TEMPFAIL, "no password: %s", err);
		return -1;
	}
	r = smtp_sasl(s, mech, secret);
	conf_secret_free(secret);
	return r;
}

/* Polite end; what the server says to it changes nothing. */
static void
smtp_quit(struct smtp *s)
{
	const char	*line;
	size_t		 len;

	if (s->c == NULL || s->broken)
		return;
	if (conn_printf(s->c, "QUIT\r\n") == -1 || conn_flush(s->c) == -1)
		return;
	while (conn_read_line(s->c, &line, &len, SMTP_LINE_MAX) == 0)
		if (len < 4 || line[3] != '-')
			break;
}

static int
smtp_session(struct smtp *s)
{
	if (smtp_connect(s) == -1 || smtp_greeting(s) == -1 ||
	    smtp_ehlo(s) == -1)
		return -1;
	if (s->ep->tls == TLS_STARTTLS && smtp_starttls(s) == -1)
		return -1;
	if (smtp_auth(s) == -1)
		return -1;
	return smtp_transaction(s);
}

/* Recipients without a final answer share the session's failure. */
static void
result_finish(struct smtp *s)
{
	struct smtp_result	*res = s->res;
	struct smtp_rcpt_result	*r;
	size_t			 i;

	res->status = SMTP_OK;
	res->naccepted = 0;
	for (i = 0; i < res->nrcpts; i++) {
		r = &res->rcpts[i];
		if (s->state[i] != RCPT_DONE) {
			r->status = s->failed ? s->fail_status : SMTP_TEMPFAIL;
			r->code = s->fail_code;
			memcpy(r->reply, s->fail_reply, sizeof(r->reply));
		}
		if (r->status == SMTP_OK)
			res->naccepted++;
		else if (res->status != SMTP_PERMFAIL)
			res->status = r->status;
	}
	if (res->status != SMTP_OK && res->error[0] == '\0')
		snprintf(res->error, sizeof(res->error), "%s %s:%s: the "
		    "session ended without an answer", s->ep->label,
		    s->ep->host, s->ep->port);
}

int
smtp_send(const struct smtp_server *srv, const char *from,
    const char *const *rcpts, size_t n, const char *msg, size_t len,
    struct smtp_result *res)
{
	return smtp_send_then(srv, from, rcpts, n, msg, len, res, NULL, NULL);
}

int
smtp_send_then(const struct smtp_server *srv, const char *from,
    const char *const *rcpts, size_t n, const char *msg, size_t len,
    struct smtp_result *res, smtp_done_fn done, void *ctx)
{
	struct smtp	 s;

	memset(res, 0, sizeof(*res));
	res->status = SMTP_PERMFAIL;
	if (n == 0) {
		snprintf(res->error, sizeof(res->error), "%s: no recipients",
		    srv->ep.label);
		if (done != NULL)
			done(ctx, res);
		return -1;
	}
	memset(&s, 0, sizeof(s));
	res->rcpts = calloc(n, sizeof(*res->rcpts));
	s.state = calloc(n, sizeof(*s.state));
	if (res->rcpts == NULL || s.state == NULL) {
		free(s.state);
		res->status = SMTP_TEMPFAIL;
		snprintf(res->error, sizeof(res->error), "%s: out of memory",
		    srv->ep.label);
		if (done != NULL)
			done(ctx, res);
		return -1;
	}
	res->nrcpts = n;
	s.ep = &srv->ep;
	s.res = res;
	s.from = from != NULL ? from : srv->from;
	s.rcpts = rcpts;
	s.nrcpts = n;
	s.msg = msg;
	s.len = len;
	s.data_end_ms = smtp_data_end_ms;
	snprintf(s.trace, sizeof(s.trace), "smtp %s", srv->name);
	if (smtp_envelope_check(&s) == 0)
		(void)smtp_session(&s);
	/* QUIT changes no outcome: the result is final here */
	result_finish(&s);
	if (done != NULL)
		done(ctx, res);
	smtp_quit(&s);
	if (s.c != NULL)
		conn_close(s.c);
	free(s.state);
	return res->status == SMTP_OK ? 0 : -1;
}

void
smtp_result_free(struct smtp_result *res)
{
	free(res->rcpts);
	res->rcpts = NULL;
	res->nrcpts = 0;
}

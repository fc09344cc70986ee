/* SPDX-License-Identifier: ISC */
/*
 * smtp.c - the SMTP submission client: the session (connect, greeting,
 * EHLO, STARTTLS, AUTH, QUIT) and smtp_send(); see smtp.h.  Below it:
 * the mail transaction (smtp-tx.c), the wire - commands, replies,
 * failures - (smtp-wire.c) and the result (smtp-result.c).
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
#include "daemon/oauth/oauth.h"
#include "daemon/send/smtp.h"
#include "daemon/send/smtp-tx.h"
#include "daemon/send/smtp-wire.h"

#define SMTP_COMMAND_MS		120000
#define SMTP_DATA_END_MS	600000
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
	/* auth = oauth2: OAUTHBEARER (RFC 7628) where offered, else
	 * XOAUTH2, which older servers know */
	if (s->ep->oauth2 != NULL)
		*mech = (s->auth & AUTH_HAS_OAUTHB) ? AUTH_OAUTHBEARER :
		    AUTH_XOAUTH2;
	else if (s->auth & AUTH_HAS_PLAIN)
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
		if (step > 0 && (mech == AUTH_XOAUTH2 ||
		    mech == AUTH_OAUTHBEARER) && strlen(s->reply) > 4)
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

/* A refused login (535) leaves the session usable: forget the error
 * so that the second try reports its own. */
static void
smtp_fail_reset(struct smtp *s)
{
	s->failed = 0;
	s->fail_status = SMTP_OK;
	s->fail_code = 0;
	s->fail_reply[0] = '\0';
	s->res->error[0] = '\0';
}

/*
 * auth = oauth2: the token from oauth_token(), never a password.  A
 * refused token (535) is named in a second ask, which refreshes it, and
 * the login is tried once more in the same session.
 */
static int
smtp_auth_oauth2(struct smtp *s, enum auth_mech mech)
{
	char	*token, *again, err[512];
	int	 r;

	if (oauth_smtp_token(s->srv, NULL, &token, err, sizeof(err)) !=
	    OAUTH_OK) {
		smtp_fail(s, SMTP_TEMPFAIL, "no token: %s", err);
		return -1;
	}
	r = smtp_sasl(s, mech, token);
	if (r == -1 && !s->broken && s->code == 535) {
		if (oauth_smtp_token(s->srv, token, &again, err,
		    sizeof(err)) == OAUTH_OK) {
			smtp_fail_reset(s);
			r = smtp_sasl(s, mech, again);
			oauth_token_free(again);
		}
	}
	oauth_token_free(token);
	return r;
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
	if (s->ep->oauth2 != NULL)
		return smtp_auth_oauth2(s, mech);
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
	s.srv = srv;
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

/* SPDX-License-Identifier: ISC */
/*
 * smtp-tx.c - the mail transaction of the SMTP client: MAIL FROM with
 * its parameters, RCPT TO for each recipient, DATA, the dot-stuffed
 * message and the end of data; see smtp-tx.h and smtp-wire.h.
 *
 * With PIPELINING (RFC 2920) MAIL, every RCPT and DATA go out in one
 * group, at most SMTP_WINDOW commands ahead of the replies so that
 * neither side's socket buffers can fill and deadlock us; the replies
 * are then matched to the commands in order, every one of them checked.
 * Without it, each command waits for its reply, and DATA is not sent
 * when no recipient was accepted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/net/conn.h"
#include "daemon/util/log.h"
#include "daemon/send/smtp-tx.h"

/* Commands in flight when pipelining. */
#define SMTP_WINDOW	32
/* RFC 5321 4.5.3.1.3: a path is at most 256 octets with "<>". */
#define SMTP_ADDR_MAX	254
/* Bytes of the message handed to conn_write() at a time. */
#define SMTP_CHUNK	16384
#define SMTP_SHOW	80

enum tx_cmd {
	CMD_MAIL,
	CMD_RCPT,
	CMD_DATA
};

/* NULL if addr can go between "<" and ">", else why not. */
static const char *
addr_problem(const char *addr, int may_be_empty)
{
	size_t	 len = strlen(addr), i;

	if (len == 0)
		return may_be_empty ? NULL : "is empty";
	if (len > SMTP_ADDR_MAX)
		return "is longer than 254 bytes";
	for (i = 0; i < len; i++)
		if ((unsigned char)addr[i] <= 0x20 || addr[i] == 0x7f ||
		    addr[i] == '<' || addr[i] == '>')
			return "holds a space, a control character, '<' or '>'";
	return NULL;
}

static int
is_ascii(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* Recipient i has its final answer; the first refusal is the error. */
static void
rcpt_done(struct smtp *s, size_t i, enum smtp_status st, int code,
    const char *reply, const char *what)
{
	struct smtp_rcpt_result	*r = &s->res->rcpts[i];
	char			 addr[SMTP_SHOW + 4];

	s->state[i] = RCPT_DONE;
	r->status = st;
	r->code = code;
	snprintf(r->reply, sizeof(r->reply), "%s", reply);
	if (st == SMTP_OK || s->res->error[0] != '\0')
		return;
	log_clean(s->rcpts[i], strlen(s->rcpts[i]), addr, sizeof(addr),
	    LOG_CLEAN_MARK);
	snprintf(s->res->error, sizeof(s->res->error), "%s %s:%s: RCPT "
	    "TO:<%s>: %s", s->ep->label, s->ep->host, s->ep->port, addr, what);
}

int
smtp_envelope_check(struct smtp *s)
{
	char		 show[SMTP_SHOW + 4], what[SMTP_REPLY_MAX];
	const char	*why;
	size_t		 i, left = 0;

	if (s->from == NULL) {
		smtp_fail(s, SMTP_PERMFAIL, "no envelope sender; set from");
		return -1;
	}
	if ((why = addr_problem(s->from, 1)) != NULL) {
		log_clean(s->from, strlen(s->from), show, sizeof(show),
		    LOG_CLEAN_MARK);
		smtp_fail(s, SMTP_PERMFAIL, "the envelope sender '%s' %s",
		    show, why);
		return -1;
	}
	for (i = 0; i < s->nrcpts; i++) {
		if ((why = addr_problem(s->rcpts[i], 0)) == NULL) {
			left++;
			continue;
		}
		snprintf(what, sizeof(what), "not sent: the address %s", why);
		rcpt_done(s, i, SMTP_PERMFAIL, 0, what, what);
	}
	return left > 0 ? 0 : -1;
}

/* The size RFC 1870 means: CRLF line ends, no dot-stuffing. */
static uint64_t
wire_size(const char *msg, size_t len)
{
	uint64_t	 n = len;
	size_t		 i;

	for (i = 0; i < len; i++) {
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			n++;
		else if (msg[i] == '\r' && (i + 1 == len || msg[i + 1] != '\n'))
			n++;
	}
	if (len > 0 && msg[len - 1] != '\n' && msg[len - 1] != '\r')
		n += 2;
	return n;
}

static int
envelope_is_ascii(const struct smtp *s)
{
	size_t	 i;

	if (!is_ascii(s->from, strlen(s->from)))
		return 0;
	for (i = 0; i < s->nrcpts; i++)
		if (s->state[i] != RCPT_DONE &&
		    !is_ascii(s->rcpts[i], strlen(s->rcpts[i])))
			return 0;
	return 1;
}

/* Append src to dst (room for size bytes), cutting if need be. */
static void
param_add(char *dst, const char *src, size_t size)
{
	size_t	 n = strlen(dst);

	if (n + 1 < size)
		snprintf(dst + n, size - n, "%s", src);
}

/*
 * MAIL FROM parameters; what the message needs the server must offer.
 * SMTPUTF8 only for a UTF-8 envelope, which cannot go any other way.
 * UTF-8 in the header alone goes as 8BITMIME: asking for SMTPUTF8 then
 * makes the next hop refuse what it would have delivered (Postfix took
 * such mail as SMTPUTF8 and bounced it at Dovecot 2.3's LMTP, which
 * lacks it; see test-mta.sh), and a forwarded legacy message with raw
 * 8-bit headers would fail for good.  Postfix's own client does the same.
 */
static int
mail_params(struct smtp *s, char *out, size_t outlen)
{
	uint64_t	 size = wire_size(s->msg, s->len);
	int		 utf8 = !envelope_is_ascii(s);
	int		 eight = !is_ascii(s->msg, s->len);

	if (utf8 && !(s->ext & EXT_SMTPUTF8)) {
		smtp_fail(s, SMTP_PERMFAIL, "an envelope address is not ASCII "
		    "and the server does not offer SMTPUTF8 (RFC 6531)");
		return -1;
	}
	if (eight && !(s->ext & EXT_8BITMIME)) {
		smtp_fail(s, SMTP_PERMFAIL, "the message holds 8-bit data and "
		    "the server does not offer 8BITMIME (RFC 6152)");
		return -1;
	}
	if ((s->ext & EXT_SIZE) && s->size_max > 0 && size > s->size_max) {
		smtp_fail(s, SMTP_PERMFAIL, "the message (%llu bytes) is over "
		    "the server's limit of %llu bytes (SIZE)",
		    (unsigned long long)size,
		    (unsigned long long)s->size_max);
		return -1;
	}
	out[0] = '\0';
	if (s->ext & EXT_SIZE)
		snprintf(out, outlen, " SIZE=%llu", (unsigned long long)size);
	if (eight)
		param_add(out, " BODY=8BITMIME", outlen);
	if (utf8)
		param_add(out, " SMTPUTF8", outlen);
	return 0;
}

static int
mail_send(struct smtp *s, const char *params)
{
	return smtp_queue(s, "MAIL FROM", "MAIL FROM:<%s>%s\r\n", s->from,
	    params);
}

static int
mail_reply(struct smtp *s)
{
	int	 code;

	if ((code = smtp_reply(s, "MAIL FROM", 0)) == -1)
		return -1;
	if (code / 100 == 2)
		return 0;
	smtp_reply_fail(s, "MAIL FROM", code == 530 || code == 550 ?
	    "check the envelope sender (from) and the login" : "");
	return -1;
}

static int
rcpt_send(struct smtp *s, size_t i)
{
	return smtp_queue(s, "RCPT TO", "RCPT TO:<%s>\r\n", s->rcpts[i]);
}

/* -1 only when the connection failed: a refusal is the recipient's. */
static int
rcpt_reply(struct smtp *s, size_t i)
{
	char	 what[SMTP_REPLY_MAX + 32];
	int	 code;

	if ((code = smtp_reply(s, "RCPT TO", 0)) == -1)
		return -1;
	/* After a failed MAIL the answers say nothing of the recipient. */
	if (s->failed)
		return 0;
	if (code / 100 == 2) {
		s->state[i] = RCPT_ACCEPTED;
		s->nrcpt_ok++;
		return 0;
	}
	snprintf(what, sizeof(what), "server said \"%s\"", s->reply);
	rcpt_done(s, i, smtp_code_status(code), code, s->reply, what);
	return 0;
}

static int
data_send(struct smtp *s)
{
	return smtp_queue(s, "DATA", "DATA\r\n");
}

/* Write buf to the connection; -1 after smtp_io_fail(). */
static int
body_put(struct smtp *s, const char *buf, size_t n)
{
	if (conn_write(s->c, buf, n) == 0)
		return 0;
	smtp_io_fail(s, "sending the message");
	return -1;
}

/*
 * The message as DATA wants it: every line end CRLF (a bare LF or CR
 * too: RFC 5321 2.3.8, and so "\n.\n" cannot end the data early), a
 * line starting with "." gets another (RFC 5321 4.5.2), a last line
 * without an end gets one, then ".".
 */
static int
data_body(struct smtp *s)
{
	char		 buf[SMTP_CHUNK + 8];
	const char	*m = s->msg;
	size_t		 i, n = 0;
	int		 bol = 1;

	for (i = 0; i < s->len; i++) {
		if (n + 3 > SMTP_CHUNK) {
			if (body_put(s, buf, n) == -1)
				return -1;
			n = 0;
		}
		if (m[i] == '\r' || m[i] == '\n') {
			if (m[i] == '\r' && i + 1 < s->len && m[i + 1] == '\n')
				i++;
			buf[n++] = '\r';
			buf[n++] = '\n';
			bol = 1;
			continue;
		}
		if (bol && m[i] == '.')
			buf[n++] = '.';
		buf[n++] = m[i];
		bol = 0;
	}
	if (!bol) {
		buf[n++] = '\r';
		buf[n++] = '\n';
	}
	memcpy(buf + n, ".\r\n", 3);
	n += 3;
	if (body_put(s, buf, n) == -1)
		return -1;
	return smtp_flush(s, "the message");
}

/* The answer to the end of data may take long: content filters. */
static int
data_end(struct smtp *s)
{
	size_t	 i;
	int	 r, code;

	if ((r = conn_wait_readable(s->c, s->data_end_ms)) == 0) {
		smtp_fail(s, SMTP_TEMPFAIL, "no answer to the end of the data "
		    "within %d s; the message may have been taken and may "
		    "arrive twice", s->data_end_ms / 1000);
		s->broken = 1;
		return -1;
	}
	if (r == -1) {
		smtp_io_fail(s, "waiting for the answer to the end of the "
		    "data (the message may have been taken)");
		return -1;
	}
	if ((code = smtp_reply(s, "the end of the data", 0)) == -1)
		return -1;
	if (code / 100 != 2) {
		smtp_reply_fail(s, "the end of the data", "");
		return -1;
	}
	for (i = 0; i < s->nrcpts; i++)
		if (s->state[i] == RCPT_ACCEPTED)
			rcpt_done(s, i, SMTP_OK, code, s->reply, "");
	return 0;
}

/*
 * The answer to DATA.  A 354 when no recipient is left (only possible
 * when pipelining) still opens the data, which RFC 2920 3.1 says to
 * close at once with "." alone.
 */
static int
data_reply(struct smtp *s)
{
	int	 code, nothing = s->failed || s->nrcpt_ok == 0;

	if ((code = smtp_reply(s, "DATA", 0)) == -1)
		return -1;
	if (code == 354 && nothing) {
		if (smtp_queue(s, "the end of the data", ".\r\n") == 0 &&
		    smtp_flush(s, "the end of the data") == 0)
			(void)smtp_reply(s, "the end of the data", 0);
		return -1;
	}
	if (nothing)
		return -1;
	if (code != 354) {
		smtp_reply_fail(s, "DATA", "");
		return -1;
	}
	if (data_body(s) == -1)
		return -1;
	return data_end(s);
}

static int
tx_lockstep(struct smtp *s, const char *params)
{
	size_t	 i;

	if (mail_send(s, params) == -1 || smtp_flush(s, "MAIL FROM") == -1 ||
	    mail_reply(s) == -1)
		return -1;
	for (i = 0; i < s->nrcpts; i++) {
		if (s->state[i] == RCPT_DONE)
			continue;
		if (rcpt_send(s, i) == -1 || smtp_flush(s, "RCPT TO") == -1 ||
		    rcpt_reply(s, i) == -1)
			return -1;
	}
	if (s->nrcpt_ok == 0)
		return -1;	/* each refusal is its recipient's result */
	if (data_send(s) == -1 || smtp_flush(s, "DATA") == -1)
		return -1;
	return data_reply(s);
}

/* Command k of the group: MAIL, the recipients still to try, DATA. */
static enum tx_cmd
tx_cmd(const size_t *todo, size_t ntodo, size_t k, size_t *rcpt)
{
	if (k == 0)
		return CMD_MAIL;
	if (k <= ntodo) {
		*rcpt = todo[k - 1];
		return CMD_RCPT;
	}
	return CMD_DATA;
}

static int
tx_send(struct smtp *s, const size_t *todo, size_t ntodo, size_t k,
    const char *params)
{
	size_t	 i = 0;

	switch (tx_cmd(todo, ntodo, k, &i)) {
	case CMD_MAIL:
		return mail_send(s, params);
	case CMD_RCPT:
		return rcpt_send(s, i);
	case CMD_DATA:
		return data_send(s);
	}
	return -1;
}

/* -1 on a failed connection, else 0 (MAIL's refusal is kept and the
 * other replies are still read). */
static int
tx_read(struct smtp *s, const size_t *todo, size_t ntodo, size_t k)
{
	size_t	 i = 0;

	switch (tx_cmd(todo, ntodo, k, &i)) {
	case CMD_MAIL:
		return mail_reply(s) == -1 && s->broken ? -1 : 0;
	case CMD_RCPT:
		return rcpt_reply(s, i);
	case CMD_DATA:
		return data_reply(s);
	}
	return -1;
}

static int
tx_pipelined(struct smtp *s, const char *params)
{
	size_t	*todo, ntodo = 0, i, sent = 0, got = 0, total;
	int	 rc = -1;

	if ((todo = calloc(s->nrcpts, sizeof(*todo))) == NULL) {
		smtp_fail(s, SMTP_TEMPFAIL, "out of memory");
		return -1;
	}
	for (i = 0; i < s->nrcpts; i++)
		if (s->state[i] != RCPT_DONE)
			todo[ntodo++] = i;
	total = ntodo + 2;
	while (got < total) {
		while (sent < total && sent - got < SMTP_WINDOW)
			if (tx_send(s, todo, ntodo, sent++, params) == -1)
				goto done;
		if (smtp_flush(s, "MAIL, RCPT and DATA") == -1)
			goto done;
		if (tx_read(s, todo, ntodo, got++) == -1)
			goto done;
	}
	rc = 0;
done:
	free(todo);
	return rc;
}

int
smtp_transaction(struct smtp *s)
{
	char	 params[128];

	if (mail_params(s, params, sizeof(params)) == -1)
		return -1;
	if (s->ext & EXT_PIPELINING)
		return tx_pipelined(s, params);
	return tx_lockstep(s, params);
}

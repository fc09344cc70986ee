/* SPDX-License-Identifier: ISC */
/*
 * smtp-wire.c - the SMTP client's wire: queueing commands, reading
 * (multi-line) replies and the EHLO keywords, and keeping the first
 * failure; see smtp-wire.h.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "daemon/net/conn.h"
#include "daemon/net/reply.h"
#include "daemon/util/log.h"
#include "daemon/send/smtp-wire.h"

/* Guards against a server that never ends a reply. */
#define SMTP_REPLY_LINES	256

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
		else if (keyword_is(p, n, "XOAUTH2"))
			s->auth |= AUTH_HAS_XOAUTH2;
		else if (keyword_is(p, n, "OAUTHBEARER"))
			s->auth |= AUTH_HAS_OAUTHB;
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
			reply_show(line + 4, len - 4, s->reply + 4,
			    sizeof(s->reply) - 4);
		}
		return;
	}
	if (len <= 4 || used + 8 >= sizeof(s->reply))
		return;
	room = sizeof(s->reply) - used - 1;
	s->reply[used] = ' ';
	reply_show(line + 4, len - 4, s->reply + used + 1, room);
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
			reply_show(line, len, show, sizeof(show));
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

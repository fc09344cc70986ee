/* SPDX-License-Identifier: ISC */
/*
 * smtp-wire.h - the SMTP client's wire, shared by the session (smtp.c)
 * and the mail transaction (smtp-tx.c): the session state, commands
 * out, replies in (with the EHLO keywords they announce), and the first
 * failure kept for the result.  Not for other modules; smtp.h is the
 * API.  It knows nothing of the session's steps or of the transaction:
 * both call down into it, never the other way.
 *
 * Every reply goes through smtp_reply(); every failure through
 * smtp_fail(), smtp_io_fail() or smtp_reply_fail(), which keep the first
 * one for the result, so an odd server lands in one place.  Server text
 * is shown through reply_show() (net/reply.h), bounded and printable.
 */
#ifndef DAEMON_SEND_SMTP_WIRE_H
#define DAEMON_SEND_SMTP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/conf/conf.h"
#include "daemon/send/smtp-result.h"

/* RFC 5321 4.5.3.1.5 says 512 octets a reply line; servers go beyond. */
#define SMTP_LINE_MAX		4096
/* RFC 5321 4.5.3.1.4: a command line is at most 512 octets; an AUTH
 * with its initial response must fit too (RFC 4954 4). */
#define SMTP_COMMAND_MAX	512

#define EXT_PIPELINING	0x01
#define EXT_SIZE	0x02
#define EXT_8BITMIME	0x04
#define EXT_SMTPUTF8	0x08
#define EXT_STARTTLS	0x10
#define EXT_AUTH	0x20

#define AUTH_HAS_PLAIN	0x01
#define AUTH_HAS_LOGIN	0x02
#define AUTH_HAS_XOAUTH2 0x04
#define AUTH_HAS_OAUTHB	0x08

enum rcpt_state {
	RCPT_PENDING,		/* no answer yet */
	RCPT_ACCEPTED,		/* RCPT said yes; DATA decides */
	RCPT_DONE		/* its result is final */
};

struct conn;

struct smtp {
	const struct smtp_server *srv;
	const struct endpoint	*ep;
	struct conn		*c;
	struct smtp_result	*res;
	char			 trace[160];

	/* What EHLO said. */
	unsigned		 ext;
	uint64_t		 size_max;	/* 0: no limit given */
	unsigned		 auth;		/* AUTH_HAS_* */
	char			 auth_list[128];	/* for messages */

	/* The reply just read: code and printable text. */
	int			 code;
	char			 reply[SMTP_REPLY_MAX];

	/* The transaction. */
	const char		*from;
	const char *const	*rcpts;
	size_t			 nrcpts;
	unsigned char		*state;		/* enum rcpt_state each */
	size_t			 nrcpt_ok;	/* accepted at RCPT */
	const char		*msg;
	size_t			 len;
	int			 data_end_ms;

	/* How the session went. */
	int			 failed;	/* stop: the error is kept */
	int			 broken;	/* the connection is unusable */
	enum smtp_status	 fail_status;
	int			 fail_code;
	char			 fail_reply[SMTP_REPLY_MAX];
};

void	smtp_fail(struct smtp *, enum smtp_status, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* The connection failed while doing `what`: temporary, no QUIT. */
void	smtp_io_fail(struct smtp *, const char *what);
/* The reply just read refused `what`: temporary for 4xx, else
 * permanent for 5xx; hint (may be "") says what the user can do. */
void	smtp_reply_fail(struct smtp *, const char *what, const char *hint);
/* Read one whole (multi-line) reply into s->code and s->reply; the
 * code, or -1 after smtp_io_fail().  With ehlo set, the lines after the
 * first are read as EHLO keywords. */
int	smtp_reply(struct smtp *, const char *what, int ehlo);
/* Queue a command without secrets; -1 after smtp_io_fail(). */
int	smtp_queue(struct smtp *, const char *what, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	smtp_flush(struct smtp *, const char *what);

#endif

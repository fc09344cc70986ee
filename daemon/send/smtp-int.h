/* SPDX-License-Identifier: ISC */
/*
 * smtp-int.h - internals shared by the SMTP client's files (smtp.c: the
 * session, EHLO, STARTTLS, AUTH, results; smtp-tx.c: MAIL, RCPT, DATA
 * and pipelining).  Not for other modules; smtp.h is the API.
 *
 * Every reply goes through smtp_reply(); every failure through
 * smtp_fail(), smtp_io_fail() or smtp_reply_fail(), which keep the first
 * one for the result, so an odd server lands in one place.
 */
#ifndef DAEMON_SMTP_INT_H
#define DAEMON_SMTP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/conf/conf.h"
#include "daemon/send/smtp.h"

#define EXT_PIPELINING	0x01
#define EXT_SIZE	0x02
#define EXT_8BITMIME	0x04
#define EXT_SMTPUTF8	0x08
#define EXT_STARTTLS	0x10
#define EXT_AUTH	0x20

#define AUTH_HAS_PLAIN	0x01
#define AUTH_HAS_LOGIN	0x02

enum rcpt_state {
	RCPT_PENDING,		/* no answer yet */
	RCPT_ACCEPTED,		/* RCPT said yes; DATA decides */
	RCPT_DONE		/* its result is final */
};

struct conn;

struct smtp {
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

/* smtp.c */
void	smtp_fail(struct smtp *, enum smtp_status, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* The connection failed while doing `what`: temporary, no QUIT. */
void	smtp_io_fail(struct smtp *, const char *what);
/* The reply just read refused `what`: temporary for 4xx, else
 * permanent for 5xx; hint (may be "") says what the user can do. */
void	smtp_reply_fail(struct smtp *, const char *what, const char *hint);
enum smtp_status smtp_code_status(int code);
/* Read one whole (multi-line) reply into s->code and s->reply; the
 * code, or -1 after smtp_io_fail().  With ehlo set, the lines after the
 * first are read as EHLO keywords. */
int	smtp_reply(struct smtp *, const char *what, int ehlo);
/* Queue a command without secrets; -1 after smtp_io_fail(). */
int	smtp_queue(struct smtp *, const char *what, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	smtp_flush(struct smtp *, const char *what);

/* smtp-tx.c: the envelope's addresses, before connecting: a bad sender
 * fails the whole message, a bad recipient only itself; -1 when there
 * is nothing left to send. */
int	smtp_envelope_check(struct smtp *);
/* MAIL, RCPT, DATA and the end of data. */
int	smtp_transaction(struct smtp *);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * smtp-result.h - what an SMTP send comes back with: the outcome of the
 * message and of each recipient, with the server's reply kept bounded
 * and printable.  Plain data: it never talks to a server, and it knows
 * nothing of the session that filled it (smtp.c, smtp-wire.c,
 * smtp-tx.c).  smtp.h includes it; callers include smtp.h.
 */
#ifndef DAEMON_SEND_SMTP_RESULT_H
#define DAEMON_SEND_SMTP_RESULT_H

#include <stddef.h>

enum smtp_status {
	SMTP_OK,		/* the server took the message */
	SMTP_TEMPFAIL,		/* try again later: 4xx, network, TLS */
	SMTP_PERMFAIL		/* do not retry as it is: 5xx, or refused
				 * here for a reason waiting cannot fix */
};

/* How much of a server's reply is kept. */
#define SMTP_REPLY_MAX	256

struct smtp_rcpt_result {
	enum smtp_status status;
	int		 code;		/* the deciding reply code, 0: none */
	char		 reply[SMTP_REPLY_MAX];	/* that reply, printable */
};

struct smtp_result {
	/* SMTP_OK when every recipient has it; else the worst outcome,
	 * SMTP_PERMFAIL beating SMTP_TEMPFAIL. */
	enum smtp_status	 status;
	/* The first thing that went wrong: "smtp 'NAME' host:port: RCPT
	 * TO:<x>: server said "550 ..."" ("" when all went well). */
	char			 error[1024];
	struct smtp_rcpt_result	*rcpts;		/* one per recipient */
	size_t			 nrcpts;
	size_t			 naccepted;	/* recipients with SMTP_OK */
};

void		 smtp_result_free(struct smtp_result *);
/* "ok", "temporary failure", "permanent failure". */
const char	*smtp_status_name(enum smtp_status);
/* What a reply code means for retrying: 5xx is permanent, anything else
 * may change by trying again. */
enum smtp_status smtp_code_status(int code);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * smtp-tx.h - the mail transaction of the SMTP client (smtp-tx.c), run
 * by the session (smtp.c) once the server greeted, EHLO, STARTTLS and
 * AUTH are done.  Not for other modules; smtp.h is the API.
 */
#ifndef DAEMON_SEND_SMTP_TX_H
#define DAEMON_SEND_SMTP_TX_H

#include "daemon/send/smtp-wire.h"

/* The envelope's addresses, before connecting: a bad sender
 * fails the whole message, a bad recipient only itself; -1 when there
 * is nothing left to send. */
int	smtp_envelope_check(struct smtp *);
/* MAIL, RCPT, DATA and the end of data. */
int	smtp_transaction(struct smtp *);

#endif

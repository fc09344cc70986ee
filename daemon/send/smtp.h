/* SPDX-License-Identifier: ISC */
/*
 * daemon/send/ - mail that mailsift writes and sends itself (auto-
 * replies, forwards, redirects, `mailsift send`): smtp.h is the front
 * door, compose.h the other public header.  Owns: composing a message
 * (compose*.c, with the mime.types table in mimetypes.c) and one SMTP
 * submission session per message (smtp.c -> smtp-tx.c -> smtp-wire.c ->
 * smtp-result.c, one way down).  Never: decides whether or when to send
 * (act/reply.c, act/outbox-send.c and the store's outbox do),
 * retries, touches the store or mail files, or logs (results and err
 * buffers carry every failure).  Depends on: net/ (conn, sasl, reply), conf/ (struct
 * smtp_server, conf_secret), util/ (log_clean), mime/ (addresses,
 * encodings), OpenSSL (random), libc.
 *
 * smtp.h - sending a message by SMTP submission (RFC 5321, 6409).
 *
 * smtp_send() runs one whole session per message: connect (implicit TLS,
 * STARTTLS (RFC 3207) or none, as the smtp section says), EHLO, AUTH
 * (RFC 4954), MAIL, RCPT for each recipient, DATA, QUIT.  MAIL, RCPT
 * and DATA go pipelined when the server offers PIPELINING (RFC 2920).
 * SIZE= is sent when SIZE is offered (RFC 1870), BODY=8BITMIME when the
 * message holds 8-bit bytes (RFC 6152), SMTPUTF8 when an envelope
 * address is not ASCII (RFC 6531); without the extension it needs, the
 * message is refused here, permanently, instead of being mangled.
 *
 * Contract: credentials never cross a connection without TLS unless
 * allow-plaintext-auth says so, and never reach the trace or any error
 * text.  HELO is tried (after EHLO is refused) only when no login and
 * no STARTTLS is wanted.  The message goes out with CRLF line ends
 * (a bare LF or CR becomes CRLF, so no one can smuggle an end of data
 * through) and dot-stuffed; its bytes are otherwise untouched.  Errors
 * name the server, the command and the reply (bounded, printable).
 * smtp_send() never logs; the caller decides what to say and when to
 * retry.  It may run in several threads at once (one session each).
 */
#ifndef DAEMON_SMTP_H
#define DAEMON_SMTP_H

#include <stddef.h>

#include "daemon/conf/conf.h"
#include "daemon/send/smtp-result.h"

/*
 * Send msg (a whole RFC 5322 message, CRLF or LF line ends) from the
 * envelope sender `from` (NULL: the smtp section's from; "": the null
 * sender "<>", for auto-replies and bounces) to the n envelope
 * recipients (bare addresses).  Returns 0 when every recipient was
 * accepted, else -1; res says what happened to each recipient either
 * way.  A recipient refused at RCPT gets that reply; one accepted at
 * RCPT gets the outcome of DATA.  A connection lost after the data was
 * sent and before the server answered is SMTP_TEMPFAIL: the message may
 * then arrive twice, which RFC 5321 6.1 prefers to losing it.  Free res
 * with smtp_result_free() in any case.
 */
int		 smtp_send(const struct smtp_server *, const char *from,
		    const char *const *rcpts, size_t n, const char *msg,
		    size_t len, struct smtp_result *res);
/*
 * smtp_send, calling done(ctx, res) exactly once, as soon as res is
 * complete: before QUIT (res as smtp_send leaves it, whatever the
 * outcome).  A caller records there what the server took: a crash can
 * then repeat a message only between the server's 250 and the end of
 * that record, not through QUIT, its answer and the hang-up as well.
 */
typedef void	 (*smtp_done_fn)(void *ctx, const struct smtp_result *);
int		 smtp_send_then(const struct smtp_server *, const char *from,
		    const char *const *rcpts, size_t n, const char *msg,
		    size_t len, struct smtp_result *res, smtp_done_fn done,
		    void *ctx);

/* Milliseconds to wait for the server at each step (default 120000),
 * and for its answer to the end of the data, when it may be busy
 * scanning the message (default 600000, RFC 5321 4.5.3.2.6).  Set before
 * sessions start; tests make them short. */
void		 smtp_set_timeouts(int command_ms, int data_end_ms);

#endif

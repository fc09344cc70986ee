/* SPDX-License-Identifier: ISC */
/*
 * sasl.h - client side of the SASL mechanisms mailsift speaks: PLAIN
 * (RFC 4616), LOGIN, XOAUTH2 (Google's) and OAUTHBEARER (RFC 7628),
 * named by the auth setting of conf.h.
 *
 * Pure: builds the base64 responses a client sends and turns a server's
 * base64 challenge into printable text for an error message.  It never
 * does I/O and never logs.  POP3, IMAP and SMTP share it; each protocol
 * frames the responses itself ("AUTH X resp", "a1 AUTHENTICATE X resp").
 * Responses hold secrets: free them with sasl_free(), which wipes them.
 */
#ifndef DAEMON_SASL_H
#define DAEMON_SASL_H

#include <stddef.h>

#include "daemon/conf/conf.h"

/* "PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"; "" for auto and apop,
 * which are not SASL mechanisms. */
const char	*sasl_name(enum auth_mech);
/* 1 if the client speaks first, so its first response may go with the
 * command as an initial response: every mechanism here but LOGIN. */
int		 sasl_client_first(enum auth_mech);

/* The first response, base64: PLAIN "\0user\0secret", XOAUTH2
 * "user=U\1auth=Bearer T\1\1", OAUTHBEARER "n,a=U,\1auth=Bearer T\1\1";
 * for LOGIN the user name.  NULL if the mechanism is not SASL, the user
 * or token cannot be carried, or memory ran out. */
char		*sasl_encode(enum auth_mech, const char *user,
		    const char *secret);
/*
 * The client's response number `step`, base64 (possibly "").  Step 0 is
 * sasl_encode().  Later steps:
 *   LOGIN        1: the password.
 *   XOAUTH2      1: "" - the server sent an error challenge; the client
 *                   acknowledges it and the server then fails the command.
 *   OAUTHBEARER  1: "\1" (RFC 7628 3.2.3), for the same reason.
 * Any other step means the server asked for more than the mechanism has:
 * NULL with the reason in err, and the caller cancels the exchange.
 */
char		*sasl_response(enum auth_mech, unsigned step, const char *user,
		    const char *secret, char *err, size_t errlen);
/* Wipe and free a response (NULL is fine). */
void		 sasl_free(char *);

/* Printable text of a base64 server challenge, e.g. the JSON error of
 * XOAUTH2/OAUTHBEARER: decoded and made safe by reply_show() (outlen - 1
 * bytes at most); "(not base64)" if it does not decode. */
void		 sasl_challenge_text(const char *b64, size_t len, char *out,
		    size_t outlen);

/* Plain base64 (RFC 4648, padded, no line breaks).  NULL when out of
 * memory or over 64 KB of input; free with sasl_free(). */
char		*sasl_base64(const void *, size_t);
/* Decode len bytes of base64 into out (room for outlen bytes): the
 * decoded length, or -1 if it is not base64 or does not fit. */
long		 sasl_unbase64(const char *, size_t len, unsigned char *out,
		    size_t outlen);

#endif

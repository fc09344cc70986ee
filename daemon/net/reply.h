/* SPDX-License-Identifier: ISC */
/*
 * reply.h - a server's reply made fit for an error or log message: the
 * one display policy of every protocol client (IMAP, POP3, SMTP and the
 * SASL challenges they relay).
 *
 * A reply is hostile text: it may hold control bytes (ESC sequences, a
 * CR or LF that would fake a second log line), C1 controls, bidi
 * overrides, invalid UTF-8, and be of any length.  reply_show() keeps
 * printable ASCII and well-formed UTF-8, marks every other byte with
 * '?' (log_clean()'s policy, LOG_CLEAN_MARK), cuts what does not fit on
 * a character boundary ending in "...", and takes any input: NULL, an
 * empty or a one-byte line gives what it holds, never a read before or
 * past it.  It never logs and keeps no state.
 */
#ifndef DAEMON_NET_REPLY_H
#define DAEMON_NET_REPLY_H

#include <stddef.h>

#include "daemon/util/log.h"

/* Room for a reply in a message: the same as any shown server text. */
#define REPLY_SHOW_SIZE	LOG_SHOW_SIZE

/* line[0..len) (line may be NULL when len is 0) shown into out, always
 * NUL-terminated when outlen > 0, at most outlen - 1 bytes; returns
 * out, so it can be an argument of a printf. */
char	*reply_show(const char *line, size_t len, char *out, size_t outlen);

#endif

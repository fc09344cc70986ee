/* SPDX-License-Identifier: ISC */
/*
 * imap-mutf7.h - modified UTF-7 (RFC 3501 5.1.3), the encoding of
 * mailbox names (and Gmail's labels) when UTF8=ACCEPT is not on
 * (imap-mutf7.c).  Pure: buffers in, buffers out; it never quotes (the
 * caller does) and never touches the session.
 *
 * The decoder is strict: a name is taken only in its one canonical
 * form, so it comes back byte for byte when sent again.
 */
#ifndef DAEMON_IMAP_MUTF7_H
#define DAEMON_IMAP_MUTF7_H

#include <stddef.h>

/* Modified UTF-7 in[0..len) as NUL-terminated UTF-8 in out: 0, or -1
 * if it does not fit or is not canonical: a byte outside printable
 * ASCII, a '&' run that is not modified base64 closed by '-', with
 * padding left over or non-zero, empty ("&-" is the '&'), next to
 * another run, a lone surrogate, or a unit that is printable ASCII or
 * a control (C0 or C1). */
int	imap_mutf7_decode(const char *in, size_t len, char *out,
	    size_t outlen);
/* The NUL-terminated UTF-8 utf8 as modified UTF-7, unquoted and
 * NUL-terminated, in out: 0, or -1 if it does not fit, is not valid
 * UTF-8 or holds a C0 control or DEL (no decoder would take it back). */
int	imap_mutf7_encode(const char *utf8, char *out, size_t outlen);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * substitute.h - recognise a message a server made up in place of the
 * stored one.  A server that has a message with raw UTF-8 headers
 * (RFC 6532) and a client that did not turn on UTF-8 mode (POP3 UTF8,
 * RFC 6856; IMAP ENABLE UTF8=ACCEPT, RFC 6855) may serve something else
 * (RFC 6856 section 3.1, RFC 6855 section 5 allow it).  A fetcher must
 * deliver what the mailbox holds, so the sources refuse what this
 * recognises.  Only notices we know are recognised: a guess would
 * refuse real mail.
 */
#ifndef DAEMON_SOURCE_SUBSTITUTE_H
#define DAEMON_SOURCE_SUBSTITUTE_H

#include <stddef.h>

/* The name of the server whose notice msg[0..len) is, or NULL if it
 * is no notice we know. */
const char	*source_substitute(const char *msg, size_t len);

#endif

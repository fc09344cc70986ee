/* SPDX-License-Identifier: ISC */
/*
 * daemon/net/ - talking to a server, for any protocol: conn.h is the
 * front door.  Owns: the TCP connection with its timeouts and deadlines
 * (conn.c, conn-buf.c, sock.c), TLS and its verification policy (tls.c, behind
 * conn.c), COMPRESS=DEFLATE (deflate.c, zlib, behind conn.c, above
 * TLS), the SASL responses and base64 (sasl.c), how a server's reply is shown in a message (reply.c), and its one server side: the
 * small HTTP responder of the metrics listener (httpd.c, httpd-parse.c),
 * and one HTTP client request through libcurl (http.c: the webhook
 * drain's POST, with its own TLS policy of the same rules).  Never: speaks a mail protocol
 * (IMAP, POP3, SMTP live in source/ and send/), reads the configuration
 * file, touches the store or mail files, or logs a secret (the trace
 * redacts what the caller marks secret).  Depends on: util/ (log),
 * conf/ (only the enum auth_mech of conf.h, in sasl.h), OpenSSL, zlib,
 * libcurl (http.c), libc.
 *
 * conn.h - a client connection: TCP with timeouts, optionally TLS.
 *
 * TLS is OpenSSL 3, 1.2 or newer, verified by default against the system
 * CA store (or tls-ca-file): a host name must match a DNS SAN, an IP
 * literal an IP SAN; SNI is sent for names.  A sha256 fingerprint pin,
 * when given, replaces chain verification.  A verification failure is an
 * error naming the host, the reason and the option that would change it.
 *
 * Reads are buffered; lines end at LF (a CR before it is dropped).  With
 * tracing on, every line sent and received is logged at trace level,
 * except those marked secret, which appear as "<secret redacted>".
 * Every function returning int gives 0 on success and -1 on failure, with
 * the reason in conn_error(); after a failure the connection is unusable.
 * A peer that went away is an error, never SIGPIPE (MSG_NOSIGNAL, for TLS
 * too).  A struct conn belongs to one thread at a time.
 */
#ifndef DAEMON_CONN_H
#define DAEMON_CONN_H

#include <stddef.h>

#include "daemon/net/tls.h"	/* struct tls_opts */

struct conn;

/* Connect to host:port (names, IPv4 and IPv6 literals, "[::1]" too;
 * every address is tried in turn, each within timeout_ms, which must be
 * positive; a host starting with / is a unix-domain socket, port
 * unused).  Later every wait for the peer - to read, to send, for the
 * TLS handshake - gives up after timeout_ms without progress. */
struct conn	*conn_open(const char *host, const char *port, int timeout_ms,
		    char *err, size_t errlen);
/* Unflushed writes are dropped; a healthy TLS session gets close_notify. */
void		 conn_close(struct conn *);
const char	*conn_error(const struct conn *);
/* Start TLS on the connection (implicit TLS: right after conn_open;
 * STARTTLS: after the protocol said go).  Unread buffered plaintext at
 * this point is an error (a STARTTLS injection attempt). */
int		 conn_starttls(struct conn *, const struct tls_opts *);
int		 conn_is_tls(const struct conn *);
/* Compress with raw deflate (COMPRESS=DEFLATE, RFC 4978) from the next
 * byte either way, above TLS: call it right after the server's OK to
 * COMPRESS.  Bytes already read ahead are taken as compressed ones.
 * Every conn_flush then ends with a sync flush.  The limits below (line
 * length, exact byte counts) apply to the inflated bytes; a corrupt or
 * ended stream is an error.  Closing logs, at debug level, the bytes
 * read and sent on each side of the compression.  The deadlines below
 * count inflated bytes.  A secret sent once compression is on stays in
 * zlib's window until the close: IMAP compresses only after login. */
int		 conn_compress(struct conn *);
int		 conn_is_compressed(const struct conn *);
/* Prefix for trace lines ("imap user@host"), and whether to trace. */
void		 conn_set_trace(struct conn *, const char *prefix, int on);

/* Next line, without its CR LF, valid until the next read.  Lines longer
 * than max are an error.  The line is NUL-terminated for convenience, but
 * len is what counts: a line may hold NUL bytes. */
int		 conn_read_line(struct conn *, const char **line, size_t *len,
		    size_t max);
/* The unread bytes in the buffer, reading from the peer first if fewer
 * than want are there (one read: the caller loops).  Valid until the
 * next call on the connection.  For scanning bulk data in place. */
int		 conn_peek(struct conn *, size_t want, const char **data,
		    size_t *len);
/* Mark n of the peeked bytes as read. */
void		 conn_consume(struct conn *, size_t n);
/* Exactly n bytes into buf (IMAP literals, counted bodies); traced as
 * "<n bytes>". */
int		 conn_read_bytes(struct conn *, char *buf, size_t n);
/* Buffered writes; conn_flush sends them.  conn_write is for data and is
 * traced as "<n bytes>"; commands go through conn_printf, traced line by
 * line.  A formatted command longer than the write buffer (64 KB) is an
 * error, never truncated. */
int		 conn_write(struct conn *, const void *, size_t);
int		 conn_printf(struct conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* Like conn_printf, traced as "<secret redacted>" after the given
 * visible prefix length (e.g. the "a1 LOGIN user " part). */
int		 conn_printf_secret(struct conn *, size_t visible,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
int		 conn_flush(struct conn *);
/* Wait until data can be read (buffered counts): 1, or 0 after
 * timeout_ms (0: just look), or -1 on error, the peer closing included.
 * The connection stays usable on timeout.  TLS records without data
 * (session tickets) do not count as readable. */
int		 conn_wait_readable(struct conn *, int timeout_ms);
/* The same, also ending (0) as soon as one of the nwake descriptors
 * wake[] is readable (at most SOCK_WAKE_MAX, -1 entries skipped): a
 * stop, another thread's news.  The caller looks at why it woke. */
int		 conn_wait_readable_or(struct conn *, int timeout_ms,
		    const int *wake, size_t nwake);
/* The connection is about to wait long for its peer (IMAP IDLE): the
 * memory of its buffers is given back, all but a small read buffer;
 * the next command sent takes them again.  Buffered bytes are kept. */
void		 conn_idle(struct conn *);
/* Bytes already buffered and unread (pipelining decisions, tests). */
size_t		 conn_pending(const struct conn *);

/*
 * Overall deadlines.  timeout_ms bounds each wait, so a server sending
 * a byte a second never trips it.  So each exchange must be over within
 * a floor plus its size (bytes read and sent in it) at the slowest rate
 * accepted.  An exchange begins at the connect (the greeting), at the
 * STARTTLS handshake, at the first flush after something was read (a
 * command and its reply or response: login, a FETCH, RETR; a message
 * sent in many flushes is one), and when conn_wait_readable() finds
 * data (an answer after IDLE or a long wait).  A wait past the deadline
 * fails, saying how many bytes came in how long; the connection is
 * then unusable.
 */
struct conn_pace {
	int		 floor_ms;	/* default 180 s */
	unsigned	 rate;		/* bytes a second, default 8 KB */
	int		 stop_grace_ms;	/* see conn_set_stop; default 2 s */
};
/* For connections opened from now on (NULL: the defaults).  Set before
 * sessions start; tests make the floor short. */
void		 conn_set_pace(const struct conn_pace *);
/* While stop() says yes (SIGTERM), a wait in which nothing has come or
 * gone for stop_grace_ms gives up ("stopping: ..."): a transfer that
 * makes no progress is abandoned, so the caller records nothing for
 * it; one that moves goes on to its end. */
void		 conn_set_stop(struct conn *, int (*stop)(void));

#endif

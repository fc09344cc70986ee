/* SPDX-License-Identifier: ISC */
/*
 * tls.h - OpenSSL glue behind conn.c.  conn.h includes it for struct
 * tls_opts; nothing but conn.c calls its functions.  It knows nothing
 * of conn.c (the dependency goes one way: conn -> tls).
 *
 * tls owns the SSL object and the policy: TLS 1.2 or newer, the CA store
 * (system or tls-ca-file), host name or IP checks against the SANs, the
 * sha256 pin, the wording of every failure.  It never waits: each call
 * reports TLS_IO_WANT_READ or TLS_IO_WANT_WRITE and conn.c polls the
 * socket and calls again.  Its socket BIO sends with MSG_NOSIGNAL, so a
 * peer that went away gives an error, never SIGPIPE.  It keeps no global
 * mutable state (the BIO method is built once under pthread_once).
 */
#ifndef DAEMON_TLS_H
#define DAEMON_TLS_H

#include <stddef.h>

struct tls;

/* The TLS policy of one connection, as the user configured it. */
struct tls_opts {
	int		 verify;	/* 0: accept any certificate */
	const char	*ca_file;	/* NULL: system store */
	const char	*fingerprint;	/* "sha256:HEX" (colons allowed) */
};

enum tls_io {
	TLS_IO_OK,
	TLS_IO_WANT_READ,
	TLS_IO_WANT_WRITE,
	TLS_IO_EOF,		/* the peer closed; no message set */
	TLS_IO_ERROR		/* message in err */
};

/* A session on the connected socket fd, ready for tls_handshake.  host is
 * what the user asked for (checked against the certificate, sent as SNI
 * if it is a name); where ("host:port") names the peer in messages.
 * NULL on error (bad option, unreadable CA file), message in err. */
struct tls	*tls_new(int fd, const char *host, const char *where,
		    const struct tls_opts *, char *err, size_t errlen);
/* Drive the handshake; on TLS_IO_OK the peer has passed every check. */
enum tls_io	 tls_handshake(struct tls *, char *err, size_t errlen);
/* At most len bytes; *done is set on TLS_IO_OK only. */
enum tls_io	 tls_read(struct tls *, void *, size_t len, size_t *done,
		    char *err, size_t errlen);
enum tls_io	 tls_write(struct tls *, const void *, size_t len,
		    size_t *done, char *err, size_t errlen);
/* Decrypted bytes held inside OpenSSL, not yet read. */
size_t		 tls_pending(const struct tls *);
/* Bytes held by OpenSSL not yet returned, even a partial record. */
int		 tls_has_buffered(const struct tls *);
/* Say goodbye (close_notify) only if the session is still healthy; the
 * socket stays open: it belongs to the caller. */
void		 tls_free(struct tls *);

#endif

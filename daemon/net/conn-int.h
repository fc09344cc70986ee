/* SPDX-License-Identifier: ISC */
/*
 * conn-int.h - the inside of a connection: struct conn and what conn.c
 * (opening, TLS, compression, the bytes through them with their waits
 * and deadlines, the trace) lends to conn-buf.c (the buffered reads and
 * writes).  Nothing outside daemon/net/conn*.c includes it; callers see
 * only conn.h.
 */
#ifndef DAEMON_CONN_INT_H
#define DAEMON_CONN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/net/conn.h"
#include "daemon/net/tls.h"	/* enum tls_io */

struct deflate;

#define CONN_WBUF_SIZE	65536
#define CONN_RBUF_SIZE	65536
/* What an idle connection keeps of its read buffer (conn_idle()): an
 * IDLE session hears one short line now and then. */
#define CONN_RBUF_IDLE	1024

struct conn {
	int		 fd;
	struct tls	*tls;
	struct deflate	*zip;		/* COMPRESS=DEFLATE, above tls */
	char		*zout;		/* compressed bytes to send */
	int		 zdirty;	/* compressed since the last sync */
	char		*zahead;	/* read ahead before compression began */
	size_t		 zahead_pos, zahead_len;
	int		 timeout_ms;
	int		 failed;
	int		 trace;
	int		 wsecret;	/* wbuf holds a secret: wipe it */
	char		 host[256];
	char		 where[320];	/* "host:port", for messages */
	char		 prefix[320];
	char		 err[1024];
	char		*rbuf;
	size_t		 rcap;
	size_t		 rpos;		/* first unread byte */
	size_t		 rend;		/* end of the bytes read */
	size_t		 wlen;
	char		*wbuf;		/* CONN_WBUF_SIZE; NULL while idle */
	struct conn_pace pace;
	int		(*stop)(void);
	long long	 ex_start;	/* the exchange began (ms) */
	uint64_t	 ex_bytes;	/* bytes read and sent in it */
	uint64_t	 ex_read;	/* of which read */
	long long	 last_io;	/* a byte came or went (ms) */
};

/* In conn.c.  Set the connection's error and mark it unusable: -1. */
int		 conn_fail(struct conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* A command goes out, or an answer came after a wait: the exchange's
 * clock starts again.  n bytes moved in it. */
void		 exchange_begin(struct conn *);
void		 exchange_moved(struct conn *, size_t n, int read);
/* One read through the layers (socket, TLS, compression), in the terms
 * of tls_read; conn_io_wait() waits as it asked, -1 when done for. */
enum tls_io	 layer_read(struct conn *, char *buf, size_t len,
		    size_t *done);
int		 conn_io_wait(struct conn *, enum tls_io, const char *what);
/* Some bytes, at most len, waiting as needed. */
int		 conn_recv(struct conn *, char *buf, size_t len,
		    size_t *done);
/* All of buf, through compression if it is on. */
int		 conn_send(struct conn *, const char *buf, size_t len);
/* Trace on for this connection and at trace level; one line received
 * or sent (a secret one cut to its visible part). */
int		 conn_tracing(const struct conn *);
void		 conn_trace_line(const struct conn *, const char *dir,
		    const char *p, size_t len, const char *suffix);
void		 conn_trace_sent(const struct conn *, const char *p,
		    size_t len, int secret, size_t visible);

#endif

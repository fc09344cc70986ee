/* SPDX-License-Identifier: ISC */
/*
 * conn.c - TCP connections: opening and closing, TLS and compression
 * switched on, the bytes through the socket, TLS and compression with
 * their waits and deadlines, flushing the write buffer, the trace; see
 * conn.h.  The buffered reads and writes callers use (lines, peeks,
 * counted bytes, printf) are in conn-buf.c.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/net/conn-int.h"
#include "daemon/net/deflate.h"
#include "daemon/util/log.h"
#include "daemon/net/sock.h"
#include "daemon/net/tls.h"

/* Bytes of one line shown in a trace; log lines are at most 4 KB. */
#define CONN_TRACE_MAX	512
/* Compressed output is sent in pieces of this size. */
#define CONN_ZOUT_SIZE	16384

static struct conn_pace	 conn_pace_default = { 180 * 1000, 8192, 2000 };
static struct conn_pace	 conn_pace_now = { 180 * 1000, 8192, 2000 };

void
conn_set_pace(const struct conn_pace *p)
{
	conn_pace_now = p != NULL ? *p : conn_pace_default;
	if (conn_pace_now.rate == 0)
		conn_pace_now.rate = 1;
}

/* A command goes out, an answer is found after a long wait: the clock
 * of the exchange starts again. */
void
exchange_begin(struct conn *c)
{
	c->ex_start = c->last_io = sock_now_ms();
	c->ex_bytes = c->ex_read = 0;
}

void
exchange_moved(struct conn *c, size_t n, int read)
{
	c->ex_bytes += n;
	if (read)
		c->ex_read += n;
	c->last_io = sock_now_ms();
}

void
conn_set_stop(struct conn *c, int (*stop)(void))
{
	c->stop = stop;
}

int
conn_fail(struct conn *c, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	c->failed = 1;
	return -1;
}

static const char *
duration_format(int ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%d s", ms / 1000);
	else
		snprintf(buf, len, "%d ms", ms);
	return buf;
}

/* A unix-domain socket (LMTP to a local server): host is its path. */
static int
conn_connect_unix(struct conn *c, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 ai;
	int			 reason = 0;

	if (sock_unix_addr(c->host, &sun, &ai) == -1)
		reason = errno;
	else
		c->fd = sock_connect(&ai, c->timeout_ms, &reason);
	if (c->fd != -1)
		return 0;
	snprintf(err, errlen, "cannot connect to %s: %s (check the path and "
	    "that the server is up)", c->where, strerror(reason));
	return -1;
}

static int
conn_connect(struct conn *c, const char *port, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	char		 dur[32], why[128], many[32] = "";
	int		 r, reason = 0, tried = 0;

	if (c->host[0] == '/')
		return conn_connect_unix(c, err, errlen);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(c->host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s (check the host "
		    "name and the port)", c->where,
		    r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return -1;
	}
	c->fd = -1;
	for (ai = res; ai != NULL && c->fd == -1; ai = ai->ai_next) {
		tried++;
		c->fd = sock_connect(ai, c->timeout_ms, &reason);
	}
	freeaddrinfo(res);
	if (c->fd != -1)
		return 0;
	if (reason == ETIMEDOUT)
		snprintf(why, sizeof(why), "timed out after %s",
		    duration_format(c->timeout_ms, dur, sizeof(dur)));
	else
		snprintf(why, sizeof(why), "%s", strerror(reason));
	if (tried > 1)
		snprintf(many, sizeof(many), "tried %d addresses; ", tried);
	snprintf(err, errlen, "cannot connect to %s: %s (%scheck the host, "
	    "the port and that the server is up)", c->where, why, many);
	return -1;
}

struct conn *
conn_open(const char *host, const char *port, int timeout_ms, char *err,
    size_t errlen)
{
	struct conn	*c;
	int		 one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "cannot connect to %s:%s: %s", host, port,
		    strerror(errno));
		return NULL;
	}
	c->fd = -1;
	if ((c->rbuf = malloc(CONN_RBUF_SIZE)) == NULL) {
		snprintf(err, errlen, "cannot connect to %s:%s: %s", host, port,
		    strerror(errno));
		goto fail;
	}
	c->rcap = CONN_RBUF_SIZE;
	c->timeout_ms = timeout_ms;
	if (sock_host_copy(c->host, sizeof(c->host), host) == -1) {
		snprintf(err, errlen, "cannot connect to %.300s:%s: host name "
		    "empty or too long", host, port);
		goto fail;
	}
	if (c->host[0] == '/')
		snprintf(c->where, sizeof(c->where), "%s", c->host);
	else if (strchr(c->host, ':') != NULL)
		snprintf(c->where, sizeof(c->where), "[%s]:%s", c->host, port);
	else
		snprintf(c->where, sizeof(c->where), "%s:%s", c->host, port);
	snprintf(c->prefix, sizeof(c->prefix), "%s", c->where);
	if (timeout_ms <= 0) {
		snprintf(err, errlen, "cannot connect to %s: the timeout must "
		    "be positive, not %d ms", c->where, timeout_ms);
		goto fail;
	}
	if (conn_connect(c, port, err, errlen) == -1)
		goto fail;
	c->pace = conn_pace_now;
	exchange_begin(c);	/* the greeting */
	/* Commands are small and each waits for its answer: no Nagle. */
	if (c->host[0] != '/' && setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) == -1) {
		snprintf(err, errlen, "cannot set TCP_NODELAY on the "
		    "connection to %s: %s", c->where, strerror(errno));
		goto fail;
	}
	return c;

fail:
	conn_close(c);
	return NULL;
}

/* What compression did for this connection, for the debug log (the
 * bench reads it), then the layer goes. */
static void
conn_compress_end(struct conn *c)
{
	struct deflate_counts	 n;

	if (c->zip == NULL)
		return;
	deflate_counts(c->zip, &n);
	log_debug("%s: compressed session: %llu bytes read (%llu inflated), "
	    "%llu sent (%llu before compression)", c->prefix,
	    (unsigned long long)n.wire_in, (unsigned long long)n.plain_in,
	    (unsigned long long)n.wire_out, (unsigned long long)n.plain_out);
	deflate_free(c->zip);
	free(c->zout);
	free(c->zahead);
	c->zip = NULL;
	c->zout = NULL;
	c->zahead = NULL;
}

void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	conn_compress_end(c);
	tls_free(c->tls);
	/* Nothing useful can be done about a failing close of a socket. */
	if (c->fd != -1)
		(void)close(c->fd);
	if (c->wsecret)
		explicit_bzero(c->wbuf, c->wlen);
	free(c->wbuf);
	free(c->rbuf);
	free(c);
}

const char *
conn_error(const struct conn *c)
{
	return c->err;
}

int
conn_is_tls(const struct conn *c)
{
	return c->tls != NULL;
}

void
conn_set_trace(struct conn *c, const char *prefix, int on)
{
	snprintf(c->prefix, sizeof(c->prefix), "%s",
	    prefix != NULL ? prefix : c->where);
	c->trace = on;
}

size_t
conn_pending(const struct conn *c)
{
	return c->rend - c->rpos + (c->tls != NULL ? tls_pending(c->tls) : 0) +
	    (c->zip != NULL ? deflate_pending(c->zip) : 0) +
	    c->zahead_len - c->zahead_pos;
}

int
conn_tracing(const struct conn *c)
{
	return c->trace && log_enabled(LOG_LEVEL_TRACE);
}

/* One traced line, cleaned by log_clean() so that a hostile server
 * cannot paint the terminal (bytes dropped show as "\x1b"), long lines
 * cut. */
void
conn_trace_line(const struct conn *c, const char *dir, const char *p,
    size_t len, const char *suffix)
{
	char	 out[CONN_TRACE_MAX * 4 + 1], more[64] = "";
	size_t	 shown;

	shown = len < CONN_TRACE_MAX ? len : CONN_TRACE_MAX;
	log_clean(p, shown, out, sizeof(out), LOG_CLEAN_HEX);
	if (shown < len)
		snprintf(more, sizeof(more), "... (%zu bytes)", len);
	log_trace("%s %s %s%s%s", c->prefix, dir, out, more, suffix);
}

void
conn_trace_sent(const struct conn *c, const char *p, size_t len, int secret,
    size_t visible)
{
	const char	*eol;
	size_t		 n, shown;

	while (len > 0) {
		eol = memchr(p, '\n', len);
		n = eol != NULL ? (size_t)(eol - p) : len;
		shown = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
		if (secret) {
			/* Only the first line, only its visible part. */
			conn_trace_line(c, ">", p,
			    visible < shown ? visible : shown,
			    "<secret redacted>");
			return;
		}
		conn_trace_line(c, ">", p, shown, "");
		if (eol == NULL)
			return;
		p += n + 1;
		len -= n + 1;
	}
}

/* Past the exchange's deadline: floor + its bytes at the slowest rate. */
static long long
exchange_left(const struct conn *c, long long now)
{
	uint64_t	 extra = c->ex_bytes / c->pace.rate * 1000 +
			    c->ex_bytes % c->pace.rate * 1000 / c->pace.rate;

	if (extra > (uint64_t)INT64_MAX / 2)
		extra = (uint64_t)INT64_MAX / 2;
	return c->ex_start + c->pace.floor_ms + (long long)extra - now;
}

/*
 * Wait for the socket, within the timeout of this wait, the deadline
 * of the exchange, and - once a stop is asked - the grace time since
 * the last byte.  Short slices while a stop may come: another thread
 * may have taken the signal, so no EINTR wakes this one.
 */
static int
conn_wait(struct conn *c, short events, const char *what)
{
	char		 dur[32], dur2[32];
	long long	 start = sock_now_ms(), now, left, wait, idle;
	int		 r;

	for (;;) {
		now = sock_now_ms();
		if (exchange_left(c, now) <= 0)
			return conn_fail(c, "%s is too slow: %llu bytes in "
			    "%lld s, where %s plus a second for every %u "
			    "bytes is allowed (waiting %s it); giving up",
			    c->where, (unsigned long long)c->ex_bytes,
			    (now - c->ex_start) / 1000,
			    duration_format(c->pace.floor_ms, dur,
			    sizeof(dur)), c->pace.rate, what);
		if ((left = start + c->timeout_ms - now) <= 0)
			return conn_fail(c, "timed out after %s waiting %s %s "
			    "(the server stopped responding)",
			    duration_format(c->timeout_ms, dur, sizeof(dur)),
			    what, c->where);
		wait = left;
		if (exchange_left(c, now) < wait)
			wait = exchange_left(c, now);
		if (c->stop != NULL && c->stop()) {
			idle = now - c->last_io;
			if (idle >= c->pace.stop_grace_ms)
				return conn_fail(c, "stopping: nothing came "
				    "from or went to %s for %s; the transfer "
				    "is abandoned", c->where,
				    duration_format((int)(idle < INT32_MAX ?
				    idle : INT32_MAX), dur2, sizeof(dur2)));
			if (c->pace.stop_grace_ms - idle < wait)
				wait = c->pace.stop_grace_ms - idle;
		} else if (c->stop != NULL && wait > 1000)
			wait = 1000;
		if ((r = sock_wait(c->fd, events, (int)wait)) == 1)
			return 0;
		if (r == -1)
			return conn_fail(c, "waiting %s %s failed: %s", what,
			    c->where, strerror(errno));
	}
}

/* Plain sockets answer in the same terms as tls_read and tls_write. */
static enum tls_io
plain_read(struct conn *c, char *buf, size_t len, size_t *done)
{
	ssize_t	 n;

	do
		n = recv(c->fd, buf, len, 0);
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		*done = (size_t)n;
		return TLS_IO_OK;
	}
	if (n == 0)
		return TLS_IO_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return TLS_IO_WANT_READ;
	snprintf(c->err, sizeof(c->err), "read from %s failed: %s", c->where,
	    strerror(errno));
	return TLS_IO_ERROR;
}

static enum tls_io
plain_write(struct conn *c, const char *buf, size_t len, size_t *done)
{
	ssize_t	 n;

	do
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n >= 0) {
		*done = (size_t)n;
		return TLS_IO_OK;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return TLS_IO_WANT_WRITE;
	snprintf(c->err, sizeof(c->err), "write to %s failed: %s", c->where,
	    strerror(errno));
	return TLS_IO_ERROR;
}

/* Wait as the last step asked; -1 when the connection is done for. */
int
conn_io_wait(struct conn *c, enum tls_io io, const char *what)
{
	switch (io) {
	case TLS_IO_OK:
		return 0;
	case TLS_IO_WANT_READ:
		return conn_wait(c, POLLIN, what);
	case TLS_IO_WANT_WRITE:
		return conn_wait(c, POLLOUT, what);
	case TLS_IO_EOF:
		return conn_fail(c, "%s closed the connection", c->where);
	case TLS_IO_ERROR:
		break;
	}
	c->failed = 1;
	return -1;
}

/* One read from below compression: TLS or the socket. */
static enum tls_io
wire_read(struct conn *c, char *buf, size_t len, size_t *done)
{
	if (c->tls != NULL)
		return tls_read(c->tls, buf, len, done, c->err,
		    sizeof(c->err));
	return plain_read(c, buf, len, done);
}

/*
 * One read above compression, in the terms of tls_read: inflated bytes,
 * or TLS_IO_WANT_READ once everything below is taken and gave none (a
 * sync flush alone inflates to nothing, and must not wake a wait).
 */
static enum tls_io
zip_read(struct conn *c, char *buf, size_t len, size_t *done)
{
	enum tls_io	 io;
	size_t		 room, got;
	char		*space;

	for (;;) {
		if (deflate_inflate(c->zip, buf, len, done, c->err,
		    sizeof(c->err)) == -1)
			return TLS_IO_ERROR;
		if (*done > 0)
			return TLS_IO_OK;
		space = deflate_in_space(c->zip, &room);
		if (room == 0) {
			snprintf(c->err, sizeof(c->err), "the compressed "
			    "stream from %s is stuck", c->where);
			return TLS_IO_ERROR;
		}
		if (c->zahead_pos < c->zahead_len) {
			got = c->zahead_len - c->zahead_pos;
			got = got < room ? got : room;
			memcpy(space, c->zahead + c->zahead_pos, got);
			c->zahead_pos += got;
		} else if ((io = wire_read(c, space, room, &got)) != TLS_IO_OK)
			return io;
		deflate_in_added(c->zip, got);
	}
}

enum tls_io
layer_read(struct conn *c, char *buf, size_t len, size_t *done)
{
	if (c->zip != NULL)
		return zip_read(c, buf, len, done);
	return wire_read(c, buf, len, done);
}

/* Some bytes, at most len. */
int
conn_recv(struct conn *c, char *buf, size_t len, size_t *done)
{
	enum tls_io	 io;

	for (;;) {
		io = layer_read(c, buf, len, done);
		if (io == TLS_IO_OK) {
			exchange_moved(c, *done, 1);
			return 0;
		}
		if (conn_io_wait(c, io, "for data from") == -1)
			return -1;
	}
}

static int
wire_send(struct conn *c, const char *buf, size_t len)
{
	enum tls_io	 io;
	size_t		 done;

	while (len > 0) {
		if (c->tls != NULL)
			io = tls_write(c->tls, buf, len, &done, c->err,
			    sizeof(c->err));
		else
			io = plain_write(c, buf, len, &done);
		if (io == TLS_IO_OK) {
			exchange_moved(c, done, 0);
			buf += done;
			len -= done;
			continue;
		}
		if (conn_io_wait(c, io, "to send to") == -1)
			return -1;
	}
	return 0;
}

/* Compressed; with sync, everything given so far can be inflated by the
 * peer once it is sent (a sync flush, after each command). */
static int
zip_send(struct conn *c, const char *buf, size_t len, int sync)
{
	size_t	 out;
	int	 more;

	if (len > 0)
		c->zdirty = 1;
	do {
		more = deflate_compress(c->zip, &buf, &len, sync, c->zout,
		    CONN_ZOUT_SIZE, &out, c->err, sizeof(c->err));
		if (more == -1) {
			c->failed = 1;
			return -1;
		}
		if (out > 0 && wire_send(c, c->zout, out) == -1)
			return -1;
	} while (more);
	if (sync)
		c->zdirty = 0;
	return 0;
}

int
conn_send(struct conn *c, const char *buf, size_t len)
{
	if (c->zip != NULL)
		return zip_send(c, buf, len, 0);
	return wire_send(c, buf, len);
}

int
conn_starttls(struct conn *c, const struct tls_opts *opts)
{
	enum tls_io	 io;

	if (c->failed)
		return -1;
	if (c->tls != NULL)
		return conn_fail(c, "TLS is already on for %s", c->where);
	/* Bytes the server sent before TLS would later pass for answers it
	 * gave inside TLS (CVE-2011-0411). */
	if (c->rend > c->rpos)
		return conn_fail(c, "%s sent %zu unexpected bytes before TLS "
		    "began (a STARTTLS injection attempt, or a broken server); "
		    "refusing to go on", c->where, c->rend - c->rpos);
	if (conn_flush(c) == -1)
		return -1;
	exchange_begin(c);	/* the handshake */
	c->tls = tls_new(c->fd, c->host, c->where, opts, c->err,
	    sizeof(c->err));
	if (c->tls == NULL) {
		c->failed = 1;
		return -1;
	}
	for (;;) {
		io = tls_handshake(c->tls, c->err, sizeof(c->err));
		if (io == TLS_IO_OK)
			break;
		if (io == TLS_IO_EOF)
			return conn_fail(c, "%s closed the connection during "
			    "the TLS handshake", c->where);
		if (conn_io_wait(c, io, "for the TLS handshake with") == -1)
			return -1;
	}
	if (conn_tracing(c))
		log_trace("%s: TLS started", c->prefix);
	return 0;
}

int
conn_flush(struct conn *c)
{
	int	 r;

	if (c->failed)
		return -1;
	if (c->wlen == 0 && !c->zdirty)
		return 0;
	/* A command after an answer starts the next exchange; a message
	 * sent in many flushes is one, whose clock runs on. */
	if (c->ex_read > 0)
		exchange_begin(c);
	if (c->zip != NULL)
		r = zip_send(c, c->wbuf, c->wlen, 1);
	else
		r = conn_send(c, c->wbuf, c->wlen);
	if (c->wsecret)
		explicit_bzero(c->wbuf, c->wlen);
	c->wsecret = 0;
	c->wlen = 0;
	return r;
}

int
conn_compress(struct conn *c)
{
	size_t	 n;

	if (c->failed)
		return -1;
	if (c->zip != NULL)
		return conn_fail(c, "compression is already on for %s",
		    c->where);
	if (conn_flush(c) == -1)
		return -1;
	if ((c->zip = deflate_new(c->where, c->err, sizeof(c->err))) == NULL ||
	    (c->zout = malloc(CONN_ZOUT_SIZE)) == NULL) {
		if (c->zip != NULL)
			snprintf(c->err, sizeof(c->err), "no memory for "
			    "compression with %s", c->where);
		c->failed = 1;
		return -1;
	}
	/* Bytes read ahead after the OK are the first compressed ones. */
	if ((n = c->rend - c->rpos) > 0) {
		if ((c->zahead = malloc(n)) == NULL)
			return conn_fail(c, "no memory for compression with "
			    "%s", c->where);
		memcpy(c->zahead, c->rbuf + c->rpos, n);
		c->zahead_len = n;
	}
	c->rpos = c->rend = 0;
	if (conn_tracing(c))
		log_trace("%s: COMPRESS=DEFLATE started", c->prefix);
	return 0;
}

int
conn_is_compressed(const struct conn *c)
{
	return c->zip != NULL;
}

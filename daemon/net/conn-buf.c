/* SPDX-License-Identifier: ISC */
/*
 * conn-buf.c - a connection's buffered reads and writes, as callers of
 * conn.h see them: lines, peeks and counted bytes out of the read
 * buffer, commands formatted into the write buffer (a secret wiped from
 * it and redacted in the trace), and the wait for data while idle.
 * What lies below the buffers - the socket, TLS, compression, deadlines,
 * the trace - is conn.c's; conn.c never calls in here.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/net/conn-int.h"
#include "daemon/net/sock.h"
#include "daemon/util/log.h"

/* A read of at least this much goes straight into the caller's buffer:
 * a 5 MB body should not pass through ours first. */
#define CONN_DIRECT_MIN	16384

static int	 conn_vprintf(struct conn *, int, size_t, const char *,
		    va_list) __attribute__((format(printf, 4, 0)));

/* Make room at the end of rbuf for a line that may grow to limit bytes. */
static int
conn_make_room(struct conn *c, size_t limit)
{
	size_t	 cap;
	char	*p;

	if (c->rpos > 0) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rend - c->rpos);
		c->rend -= c->rpos;
		c->rpos = 0;
		return 0;
	}
	cap = c->rcap > limit / 2 ? limit : c->rcap * 2;
	if ((p = realloc(c->rbuf, cap)) == NULL)
		return conn_fail(c, "no memory for a line of %zu bytes from %s",
		    cap, c->where);
	c->rbuf = p;
	c->rcap = cap;
	return 0;
}

int
conn_read_line(struct conn *c, const char **line, size_t *len, size_t max)
{
	char	*start, *lf;
	size_t	 scanned = 0, avail, n, got, limit;

	if (c->failed)
		return -1;
	/* The line, its CR and LF must fit in the buffer. */
	limit = max < (size_t)-1 / 4 ? max + 2 : (size_t)-1 / 4;
	for (;;) {
		avail = c->rend - c->rpos;
		lf = memchr(c->rbuf + c->rpos + scanned, '\n', avail - scanned);
		if (lf != NULL)
			break;
		scanned = avail;
		if (avail >= limit)
			return conn_fail(c, "a line from %s is longer than %zu "
			    "bytes", c->where, max);
		if (c->rpos == c->rend)
			c->rpos = c->rend = 0;
		if (c->rend == c->rcap && conn_make_room(c, limit) == -1)
			return -1;
		if (conn_recv(c, c->rbuf + c->rend, c->rcap - c->rend,
		    &got) == -1)
			return -1;
		c->rend += got;
	}
	start = c->rbuf + c->rpos;
	n = (size_t)(lf - start);
	c->rpos += n + 1;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	if (n > max)
		return conn_fail(c, "a line from %s is longer than %zu bytes",
		    c->where, max);
	start[n] = '\0';
	if (conn_tracing(c))
		conn_trace_line(c, "<", start, n, "");
	*line = start;
	*len = n;
	return 0;
}

int
conn_peek(struct conn *c, size_t want, const char **data, size_t *len)
{
	size_t	 got;

	if (c->failed)
		return -1;
	if (c->rend - c->rpos < want) {
		if (c->rpos == c->rend)
			c->rpos = c->rend = 0;
		if (c->rcap - c->rend < want - (c->rend - c->rpos) &&
		    conn_make_room(c, c->rcap + want) == -1)
			return -1;
		if (conn_recv(c, c->rbuf + c->rend, c->rcap - c->rend,
		    &got) == -1)
			return -1;
		c->rend += got;
	}
	*data = c->rbuf + c->rpos;
	*len = c->rend - c->rpos;
	return 0;
}

void
conn_consume(struct conn *c, size_t n)
{
	if (n > c->rend - c->rpos)
		n = c->rend - c->rpos;
	c->rpos += n;
}

int
conn_read_bytes(struct conn *c, char *buf, size_t n)
{
	size_t	 take, got, total = n;

	if (c->failed)
		return -1;
	take = c->rend - c->rpos < n ? c->rend - c->rpos : n;
	if (take > 0) {
		memcpy(buf, c->rbuf + c->rpos, take);
		c->rpos += take;
		buf += take;
		n -= take;
	}
	while (n > 0) {
		if (n >= CONN_DIRECT_MIN) {
			if (conn_recv(c, buf, n, &got) == -1)
				return -1;
			buf += got;
			n -= got;
			continue;
		}
		/* A small rest: read ahead into rbuf (empty here), so the
		 * line after it costs no extra system call. */
		c->rpos = c->rend = 0;
		if (conn_recv(c, c->rbuf, c->rcap, &got) == -1)
			return -1;
		c->rend = got;
		take = got < n ? got : n;
		memcpy(buf, c->rbuf, take);
		c->rpos = take;
		buf += take;
		n -= take;
	}
	if (conn_tracing(c))
		log_trace("%s < <%zu bytes>", c->prefix, total);
	return 0;
}

/*
 * Whatever is there is read into rbuf: only then is it known whether it
 * was data.  A TLS record may hold none (a session ticket after the
 * handshake) and must not wake an IDLE loop into a read that then waits;
 * and records OpenSSL already holds are data the socket no longer shows.
 */
int
conn_wait_readable(struct conn *c, int timeout_ms)
{
	return conn_wait_readable_or(c, timeout_ms, NULL, 0);
}

int
conn_wait_readable_or(struct conn *c, int timeout_ms, const int *wake,
    size_t nwake)
{
	enum tls_io	 io;
	long long	 deadline, left;
	size_t		 got;
	int		 r;

	if (c->failed)
		return -1;
	/* Compressed bytes held may inflate to nothing: they are read
	 * below like any others. */
	if (c->rend > c->rpos || (c->zip == NULL && conn_pending(c) > 0)) {
		exchange_begin(c);
		return 1;
	}
	c->rpos = c->rend = 0;
	deadline = sock_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	/*
	 * Nothing held anywhere (an IDLE session, the usual case): wait on
	 * the socket first.  Asking TLS first would, with
	 * SSL_MODE_RELEASE_BUFFERS, take and give back its read buffer on
	 * every empty try, once a second for every idle session.
	 */
	if (c->zip == NULL && (c->tls == NULL || !tls_has_buffered(c->tls))) {
		r = sock_wait_or(c->fd, POLLIN, timeout_ms > 0 ? timeout_ms :
		    0, wake, nwake);
		if (r == 0 || r == 2)
			return 0;
		if (r == -1)
			return conn_fail(c, "waiting for data from %s failed: "
			    "%s", c->where, strerror(errno));
	}
	for (;;) {
		io = layer_read(c, c->rbuf, c->rcap, &got);
		if (io == TLS_IO_OK) {
			c->rend = got;
			exchange_begin(c);	/* an answer after a wait */
			exchange_moved(c, got, 1);
			return 1;
		}
		if (io != TLS_IO_WANT_READ) {
			if (conn_io_wait(c, io, "to send to") == -1)
				return -1;
			continue;
		}
		left = deadline - sock_now_ms();
		r = sock_wait_or(c->fd, POLLIN, left > 0 ? (int)left : 0,
		    wake, nwake);
		if (r == 0 || r == 2)
			return 0;
		if (r == -1)
			return conn_fail(c, "waiting for data from %s failed: "
			    "%s", c->where, strerror(errno));
	}
}

/*
 * An idle connection (conn_idle()) gave its buffers back; the command
 * that ends the wait takes them again, for the answer may be large.  A
 * read buffer that cannot grow stays small: slower, still correct.
 */
static int
conn_wake(struct conn *c)
{
	char	*p;

	if (c->wbuf != NULL)
		return 0;
	if ((c->wbuf = malloc(CONN_WBUF_SIZE)) == NULL)
		return conn_fail(c, "no memory for the write buffer of the "
		    "connection to %s", c->where);
	if (c->rcap < CONN_RBUF_SIZE &&
	    (p = realloc(c->rbuf, CONN_RBUF_SIZE)) != NULL) {
		c->rbuf = p;
		c->rcap = CONN_RBUF_SIZE;
	}
	return 0;
}

void
conn_idle(struct conn *c)
{
	char	*p;

	if (c->failed)
		return;
	if (c->wlen == 0) {
		free(c->wbuf);
		c->wbuf = NULL;
	}
	if (c->rpos != c->rend || c->rcap <= CONN_RBUF_IDLE)
		return;
	c->rpos = c->rend = 0;
	/* a shrinking realloc that fails leaves the block as it was */
	if ((p = realloc(c->rbuf, CONN_RBUF_IDLE)) != NULL) {
		c->rbuf = p;
		c->rcap = CONN_RBUF_IDLE;
	}
}

int
conn_write(struct conn *c, const void *data, size_t n)
{
	if (c->failed || conn_wake(c) == -1)
		return -1;
	if (conn_tracing(c))
		log_trace("%s > <%zu bytes>", c->prefix, n);
	if (n > CONN_WBUF_SIZE - c->wlen && conn_flush(c) == -1)
		return -1;
	if (n >= CONN_WBUF_SIZE)
		return conn_send(c, data, n);
	if (n > 0)
		memcpy(c->wbuf + c->wlen, data, n);
	c->wlen += n;
	return 0;
}

static int
conn_vprintf(struct conn *c, int secret, size_t visible, const char *fmt,
    va_list ap)
{
	va_list	 copy;
	size_t	 room;
	int	 n;

	if (c->failed || conn_wake(c) == -1)
		return -1;
	room = CONN_WBUF_SIZE - c->wlen;
	va_copy(copy, ap);
	n = vsnprintf(c->wbuf + c->wlen, room, fmt, copy);
	va_end(copy);
	if (n >= 0 && (size_t)n >= room && (size_t)n < CONN_WBUF_SIZE) {
		if (conn_flush(c) == -1)
			return -1;
		room = CONN_WBUF_SIZE;
		va_copy(copy, ap);
		n = vsnprintf(c->wbuf, room, fmt, copy);
		va_end(copy);
	}
	if (n < 0 || (size_t)n >= room) {
		if (secret)
			explicit_bzero(c->wbuf + c->wlen, room);
		if (n < 0)
			return conn_fail(c, "cannot format a command for %s",
			    c->where);
		return conn_fail(c, "a command of %d bytes for %s does not "
		    "fit the %d-byte write buffer", n, c->where,
		    CONN_WBUF_SIZE);
	}
	if (conn_tracing(c))
		conn_trace_sent(c, c->wbuf + c->wlen, (size_t)n, secret,
		    visible);
	c->wlen += (size_t)n;
	c->wsecret |= secret;
	return 0;
}

int
conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = conn_vprintf(c, 0, 0, fmt, ap);
	va_end(ap);
	return r;
}

int
conn_printf_secret(struct conn *c, size_t visible, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = conn_vprintf(c, 1, visible, fmt, ap);
	va_end(ap);
	return r;
}

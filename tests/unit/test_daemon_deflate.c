/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_deflate.c - COMPRESS=DEFLATE: the layer alone
 * (daemon/net/deflate.c) and through a connection (daemon/net/conn.c)
 * against a server forked from this process on an ephemeral loopback
 * port, which speaks raw deflate with zlib directly (plain TCP: TLS
 * below compression is conn.c's business and tested in test_daemon_conn).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "daemon/net/conn.h"
#include "daemon/net/deflate.h"
#include "daemon/util/log.h"

#define TIMEOUT_MS	5000
#define BIG_SIZE	(3 * 1024 * 1024)
#define BOMB_SIZE	(64 * 1024 * 1024)

/* Deterministic bytes that compress somewhat (text-like). */
static void
payload_fill(char *buf, size_t n)
{
	static const char	 words[] = "the quick brown fox jumps over "
				    "a lazy dog; 0123456789 QWERTY\r\n";
	uint64_t		 s = 0x9e3779b97f4a7c15ULL;
	size_t			 i;

	for (i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		buf[i] = (s >> 60) < 3 ? (char)(s >> 24) :
		    words[(s >> 32) % (sizeof(words) - 1)];
	}
}

/* Raw deflate of buf, as a server would send it (sync-flushed, or
 * finished: a stream the peer ends). */
static unsigned char *
zlib_deflate(const void *buf, size_t len, int flush, size_t *outlen)
{
	z_stream	 z;
	unsigned char	*out;
	size_t		 cap;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	cap = deflateBound(&z, len) + 64;
	out = malloc(cap);
	assert_non_null(out);
	z.next_in = (Bytef *)(uintptr_t)buf;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_true(deflate(&z, flush) != Z_STREAM_ERROR);
	assert_int_equal(z.avail_in, 0);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* Everything compressed goes into d (in pieces of step bytes), and what
 * inflates comes out into out, in calls of at most cap bytes; returns
 * the bytes inflated, or -1 on an error (message in err). */
static long long
layer_inflate_all(struct deflate *d, const unsigned char *z, size_t zlen,
    size_t step, char *out, size_t outcap, size_t cap, char *err,
    size_t errlen)
{
	size_t		 room, n, done, total = 0;
	char		*space;

	for (;;) {
		do {
			if (deflate_inflate(d, out + (total < outcap ? total :
			    0), cap, &done, err, errlen) == -1)
				return -1;
			assert_true(done <= cap);
			total += done;
			if (total > outcap)	/* a bomb: count, keep nothing */
				total = outcap + (total - outcap);
		} while (done > 0);
		if (zlen == 0)
			return (long long)total;
		space = deflate_in_space(d, &room);
		assert_true(room > 0);
		n = zlen < step ? zlen : step;
		n = n < room ? n : room;
		memcpy(space, z, n);
		deflate_in_added(d, n);
		z += n;
		zlen -= n;
	}
}

static void
test_layer_round_trip(void **state)
{
	struct deflate		*a, *b;
	struct deflate_counts	 ca, cb;
	char			*plain, *back, err[256];
	char			 out[1000];
	const char		*in;
	unsigned char		*wire;
	size_t			 inlen, outlen, wlen = 0, wcap;
	int			 more;

	(void)state;
	plain = malloc(BIG_SIZE);
	back = malloc(BIG_SIZE);
	wcap = BIG_SIZE + 65536;
	wire = malloc(wcap);
	assert_true(plain && back && wire);
	payload_fill(plain, BIG_SIZE);
	a = deflate_new("test", err, sizeof(err));
	b = deflate_new("test", err, sizeof(err));
	assert_true(a && b);
	/* In pieces, each sync-flushed, with a small output buffer. */
	in = plain;
	inlen = BIG_SIZE;
	while (inlen > 0) {
		size_t	 piece = inlen < 70000 ? inlen : 70000;
		size_t	 left = piece;

		do {
			more = deflate_compress(a, &in, &left, 1, out,
			    sizeof(out), &outlen, err, sizeof(err));
			assert_int_not_equal(more, -1);
			assert_true(wlen + outlen <= wcap);
			memcpy(wire + wlen, out, outlen);
			wlen += outlen;
		} while (more);
		inlen -= piece;
	}
	/* a sync flush ends in 00 00 ff ff */
	assert_memory_equal(wire + wlen - 4, "\0\0\377\377", 4);
	assert_true(wlen < BIG_SIZE);
	assert_int_equal(layer_inflate_all(b, wire, wlen, 4096, back,
	    BIG_SIZE, 65536, err, sizeof(err)), BIG_SIZE);
	assert_memory_equal(plain, back, BIG_SIZE);
	deflate_counts(a, &ca);
	deflate_counts(b, &cb);
	assert_int_equal(ca.plain_out, BIG_SIZE);
	assert_int_equal(ca.wire_out, wlen);
	assert_int_equal(cb.wire_in, wlen);
	assert_int_equal(cb.plain_in, BIG_SIZE);
	assert_int_equal(deflate_pending(b), 0);
	deflate_free(a);
	deflate_free(b);
	free(plain);
	free(back);
	free(wire);
}

/* A byte at a time in, a byte at a time out: nothing is lost or
 * doubled at any boundary. */
static void
test_layer_split(void **state)
{
	static const char	 msg[] = "* 1 FETCH (UID 7 BODY[] {11}\r\n"
				    "hello world)\r\na1 OK done\r\n";
	struct deflate		*d;
	unsigned char		*z;
	char			 back[sizeof(msg)], err[256];
	size_t			 zlen;

	(void)state;
	z = zlib_deflate(msg, sizeof(msg) - 1, Z_SYNC_FLUSH, &zlen);
	assert_non_null(d = deflate_new("test", err, sizeof(err)));
	assert_int_equal(layer_inflate_all(d, z, zlen, 1, back, sizeof(back),
	    1, err, sizeof(err)), sizeof(msg) - 1);
	assert_memory_equal(back, msg, sizeof(msg) - 1);
	deflate_free(d);
	free(z);
}

static void
test_layer_corrupt(void **state)
{
	static const unsigned char junk[] = { 0xff, 0xff, 0xff, 0x00, 0x42,
					    0x13, 0x37, 0xde, 0xad, 0xbe };
	struct deflate	*d;
	char		 back[256], err[256];

	(void)state;
	assert_non_null(d = deflate_new("imap.example:993", err,
	    sizeof(err)));
	assert_int_equal(layer_inflate_all(d, junk, sizeof(junk), 4, back,
	    sizeof(back), sizeof(back), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "corrupt compressed data from "
	    "imap.example:993"));
	deflate_free(d);
}

/* RFC 4978 streams never end; one that does is refused, after the
 * bytes that came before its end. */
static void
test_layer_ended(void **state)
{
	struct deflate	*d;
	unsigned char	*z;
	char		 back[64], err[256];
	size_t		 zlen, done;

	(void)state;
	z = zlib_deflate("a1 OK\r\n", 7, Z_FINISH, &zlen);
	assert_non_null(d = deflate_new("x:1", err, sizeof(err)));
	assert_int_equal(layer_inflate_all(d, z, zlen, zlen, back,
	    sizeof(back), sizeof(back), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ended its compressed stream"));
	deflate_free(d);
	/* and the 7 bytes came first */
	assert_non_null(d = deflate_new("x:1", err, sizeof(err)));
	memcpy(deflate_in_space(d, &done), z, zlen);
	deflate_in_added(d, zlen);
	assert_int_equal(deflate_inflate(d, back, sizeof(back), &done, err,
	    sizeof(err)), 0);
	assert_int_equal(done, 7);
	assert_true(deflate_pending(d) > 0);
	assert_int_equal(deflate_inflate(d, back, sizeof(back), &done, err,
	    sizeof(err)), -1);
	deflate_free(d);
	free(z);
}

/*
 * A bomb: 64 MB of one byte is ~64 KB compressed (ratio ~1000:1, about
 * deflate's maximum).  Each call gives at most the caller's buffer, and
 * the layer takes no memory as it goes: the caller's limits decide.
 */
static void
test_layer_bomb_ratio(void **state)
{
	struct deflate	*d;
	unsigned char	*z;
	char		*zeros, back[65536], err[256];
	size_t		 zlen;

	(void)state;
	zeros = calloc(1, BOMB_SIZE);
	assert_non_null(zeros);
	z = zlib_deflate(zeros, BOMB_SIZE, Z_SYNC_FLUSH, &zlen);
	free(zeros);
	assert_true(zlen * 500 < BOMB_SIZE);
	assert_non_null(d = deflate_new("x:1", err, sizeof(err)));
	assert_int_equal(layer_inflate_all(d, z, zlen, 8192, back,
	    sizeof(back), sizeof(back), err, sizeof(err)), BOMB_SIZE);
	assert_int_equal(deflate_pending(d), 0);
	deflate_free(d);
	free(z);
}

/* --- through a connection ------------------------------------------- */

struct peer {
	int		 fd;
	z_stream	 zin, zout;
};

typedef int	(*script_fn)(struct peer *);
static pid_t	 srv_pid;
static char	 srv_port[16];

static int
peer_send(struct peer *p, const void *buf, size_t len)
{
	const char	*b = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = send(p->fd, b, len, MSG_NOSIGNAL)) <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Compressed and sync-flushed, through the peer's own stream. */
static int
peer_zsend(struct peer *p, const void *buf, size_t len)
{
	unsigned char	 out[16384];
	int		 r;

	p->zout.next_in = (Bytef *)(uintptr_t)buf;
	p->zout.avail_in = (uInt)len;
	do {
		p->zout.next_out = out;
		p->zout.avail_out = sizeof(out);
		r = deflate(&p->zout, Z_SYNC_FLUSH);
		if (r != Z_OK && r != Z_BUF_ERROR)
			return -1;
		if (peer_send(p, out, sizeof(out) - p->zout.avail_out) == -1)
			return -1;
	} while (p->zout.avail_out == 0);
	return 0;
}

/* The next line the client sends, inflated ("" on EOF). */
static int
peer_zline(struct peer *p, char *line, size_t cap)
{
	unsigned char	 in[1];
	size_t		 n = 0;
	ssize_t		 got;

	p->zin.next_out = (Bytef *)line;
	p->zin.avail_out = (uInt)cap - 1;
	while (n == 0 || line[n - 1] != '\n') {
		if (p->zin.avail_out == 0)
			return -1;
		if ((got = recv(p->fd, in, 1, 0)) <= 0)
			return -1;
		p->zin.next_in = in;
		p->zin.avail_in = 1;
		if (inflate(&p->zin, Z_SYNC_FLUSH) < 0 && p->zin.avail_in)
			return -1;
		n = cap - 1 - p->zin.avail_out;
	}
	line[n] = '\0';
	return 0;
}

/* The plain command line before compression. */
static int
peer_line(struct peer *p, char *line, size_t cap)
{
	size_t	 n = 0;

	while (n + 1 < cap) {
		if (recv(p->fd, line + n, 1, 0) != 1)
			return -1;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	return 0;
}

/* "a1 COMPRESS DEFLATE" in plain, then "a1 OK" with extra (already
 * compressed bytes, sent in the same segment) right after it. */
static int
peer_start(struct peer *p, const void *extra, size_t extralen)
{
	char	 line[256], seg[65536];

	if (peer_line(p, line, sizeof(line)) == -1 ||
	    strcmp(line, "a1 COMPRESS DEFLATE\r\n") != 0)
		return -1;
	if (extralen > sizeof(seg) - 7)
		return -1;
	memcpy(seg, "a1 OK\r\n", 7);
	memcpy(seg + 7, extra, extralen);
	return peer_send(p, seg, 7 + extralen);
}

static void
server_child(int lfd, script_fn fn)
{
	struct peer	 p;
	int		 r;

	alarm(20);
	signal(SIGPIPE, SIG_IGN);
	memset(&p, 0, sizeof(p));
	if ((p.fd = accept(lfd, NULL, NULL)) == -1)
		_exit(2);
	close(lfd);
	if (deflateInit2(&p.zout, 6, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK || inflateInit2(&p.zin, -15) != Z_OK)
		_exit(3);
	r = fn(&p);
	close(p.fd);
	_exit(r == 0 ? 0 : 1);
}

static void
server_start(script_fn fn)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >=
	    0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, len), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(srv_port, sizeof(srv_port), "%u", ntohs(sin.sin_port));
	fflush(stdout);
	fflush(stderr);
	srv_pid = fork();
	assert_true(srv_pid != -1);
	if (srv_pid == 0)
		server_child(fd, fn);
	close(fd);
}

static int
server_wait(void)
{
	int	 status;

	assert_int_equal(waitpid(srv_pid, &status, 0), srv_pid);
	srv_pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int
teardown(void **state)
{
	(void)state;
	if (srv_pid > 0) {
		kill(srv_pid, SIGKILL);
		(void)waitpid(srv_pid, NULL, 0);
		srv_pid = 0;
	}
	return 0;
}

/* The client's side up to compression on: "a1 OK" read, then on. */
static struct conn *
client_start(void)
{
	struct conn	*c;
	const char	*line;
	size_t		 len;
	char		 err[512];

	c = conn_open("127.0.0.1", srv_port, TIMEOUT_MS, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(conn_printf(c, "a1 COMPRESS DEFLATE\r\n"), 0);
	assert_int_equal(conn_flush(c), 0);
	assert_int_equal(conn_read_line(c, &line, &len, 1024), 0);
	assert_string_equal(line, "a1 OK");
	assert_int_equal(conn_is_compressed(c), 0);
	assert_int_equal(conn_compress(c), 0);
	assert_int_equal(conn_is_compressed(c), 1);
	return c;
}

/* Lines both ways; the server's first compressed bytes came in the same
 * segment as its OK, and were read ahead with it. */
static int
script_lines(struct peer *p)
{
	static const char	 first[] = "* OK [CAPABILITY IMAP4rev1] hi\r\n";
	char			 line[256];

	if (peer_start(p, "", 0) == -1 ||
	    peer_zsend(p, first, sizeof(first) - 1) == -1)
		return -1;
	if (peer_zline(p, line, sizeof(line)) == -1 ||
	    strcmp(line, "a2 NOOP\r\n") != 0)
		return -1;
	if (peer_zline(p, line, sizeof(line)) == -1 ||
	    strcmp(line, "a3 LOGOUT\r\n") != 0)
		return -1;
	return peer_zsend(p, "a3 OK bye\r\n", 11);
}

static void
test_conn_lines(void **state)
{
	struct conn	*c;
	const char	*line;
	size_t		 len;

	(void)state;
	server_start(script_lines);
	c = client_start();
	assert_int_equal(conn_read_line(c, &line, &len, 1024), 0);
	assert_string_equal(line, "* OK [CAPABILITY IMAP4rev1] hi");
	/* one command, one flush, one sync each */
	assert_int_equal(conn_printf(c, "a2 NOOP\r\n"), 0);
	assert_int_equal(conn_flush(c), 0);
	assert_int_equal(conn_printf(c, "a3 LOGOUT\r\n"), 0);
	assert_int_equal(conn_flush(c), 0);
	assert_int_equal(conn_read_line(c, &line, &len, 1024), 0);
	assert_string_equal(line, "a3 OK bye");
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

/* The first compressed bytes arrive glued to the OK. */
static int
script_glued(struct peer *p)
{
	unsigned char	 out[256];
	char		 line[256];

	p->zout.next_in = (Bytef *)(uintptr_t)"* 1 EXISTS\r\n";
	p->zout.avail_in = 12;
	p->zout.next_out = out;
	p->zout.avail_out = sizeof(out);
	if (deflate(&p->zout, Z_SYNC_FLUSH) != Z_OK)
		return -1;
	if (peer_start(p, out, sizeof(out) - p->zout.avail_out) == -1)
		return -1;
	return peer_zline(p, line, sizeof(line)) == -1 ||
	    strcmp(line, "a2 LOGOUT\r\n") != 0 ? -1 : 0;
}

static void
test_conn_read_ahead(void **state)
{
	struct conn	*c;
	const char	*line;
	size_t		 len;

	(void)state;
	server_start(script_glued);
	c = client_start();
	assert_int_equal(conn_read_line(c, &line, &len, 1024), 0);
	assert_string_equal(line, "* 1 EXISTS");
	assert_int_equal(conn_printf(c, "a2 LOGOUT\r\n"), 0);
	assert_int_equal(conn_flush(c), 0);
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

/* A literal of 3 MB both ways, byte for byte: conn_write's direct path
 * (bigger than the write buffer) is compressed too. */
static int
script_literal(struct peer *p)
{
	static const char	 logout[] = "a2 LOGOUT\r\n";
	const size_t		 want = BIG_SIZE + sizeof(logout) - 1;
	char			*big, *got;
	size_t			 n = 0;
	ssize_t			 r;
	int			 rv = -1;

	big = malloc(BIG_SIZE);
	got = malloc(want);
	if (big == NULL || got == NULL)
		goto out;
	payload_fill(big, BIG_SIZE);
	if (peer_start(p, "", 0) == -1 ||
	    peer_zsend(p, "* 1 FETCH {3145728}\r\n", 21) == -1 ||
	    peer_zsend(p, big, BIG_SIZE) == -1 ||
	    peer_zsend(p, ")\r\n", 3) == -1)
		goto out;
	/* the client's copy back, then its LOGOUT */
	p->zin.next_out = (Bytef *)got;
	p->zin.avail_out = (uInt)want;
	while (n < want) {
		unsigned char	 in[4096];

		if ((r = recv(p->fd, in, sizeof(in), 0)) <= 0)
			goto out;
		p->zin.next_in = in;
		p->zin.avail_in = (uInt)r;
		if (inflate(&p->zin, Z_SYNC_FLUSH) < 0 || p->zin.avail_in)
			goto out;
		n = want - p->zin.avail_out;
	}
	if (memcmp(big, got, BIG_SIZE) == 0 &&
	    memcmp(got + BIG_SIZE, logout, sizeof(logout) - 1) == 0)
		rv = 0;
out:
	free(big);
	free(got);
	return rv;
}

static void
test_conn_literal(void **state)
{
	struct conn	*c;
	const char	*line;
	char		*want, *got;
	size_t		 len;

	(void)state;
	want = malloc(BIG_SIZE);
	got = malloc(BIG_SIZE);
	assert_true(want && got);
	payload_fill(want, BIG_SIZE);
	server_start(script_literal);
	c = client_start();
	assert_int_equal(conn_read_line(c, &line, &len, 1024), 0);
	assert_string_equal(line, "* 1 FETCH {3145728}");
	assert_int_equal(conn_read_bytes(c, got, BIG_SIZE), 0);
	assert_memory_equal(want, got, BIG_SIZE);
	assert_int_equal(conn_read_line(c, &line, &len, 1024), 0);
	assert_string_equal(line, ")");
	assert_int_equal(conn_write(c, got, BIG_SIZE), 0);
	assert_int_equal(conn_flush(c), 0);
	assert_int_equal(conn_printf(c, "a2 LOGOUT\r\n"), 0);
	assert_int_equal(conn_flush(c), 0);
	conn_close(c);
	assert_int_equal(server_wait(), 0);
	free(want);
	free(got);
}

/* A bomb: 64 MB with no line end in ~64 KB compressed.  The line limit
 * holds on the inflated bytes: an error, and memory stays bounded by
 * the limit (1 MB here), not by what the server sends. */
static int
script_bomb(struct peer *p)
{
	char	*as;
	int	 r;

	if ((as = malloc(BOMB_SIZE)) == NULL)
		return -1;
	memset(as, 'A', BOMB_SIZE);
	r = peer_start(p, "", 0) == -1 ? -1 : 0;
	/* the client gives up early; what it leaves unread is not ours */
	if (r == 0)
		(void)peer_zsend(p, as, BOMB_SIZE);
	free(as);
	return r;
}

static void
test_conn_bomb(void **state)
{
	struct conn	*c;
	const char	*line;
	size_t		 len;

	(void)state;
	server_start(script_bomb);
	c = client_start();
	assert_int_equal(conn_read_line(c, &line, &len, 1024 * 1024), -1);
	assert_non_null(strstr(conn_error(c), "longer than 1048576 bytes"));
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

static int
script_corrupt(struct peer *p)
{
	static const unsigned char junk[] = { 0xff, 0xfe, 0xfd, 0x00, 0x42,
					    0x13, 0x37, 0xde, 0xad, 0xbe };

	if (peer_start(p, "", 0) == -1 ||
	    peer_zsend(p, "* 1 EXISTS\r\n", 12) == -1)
		return -1;
	/* raw bytes inside the stream: no valid deflate block */
	return peer_send(p, junk, sizeof(junk));
}

static void
test_conn_corrupt(void **state)
{
	struct conn	*c;
	const char	*line;
	size_t		 len;

	(void)state;
	server_start(script_corrupt);
	c = client_start();
	assert_int_equal(conn_read_line(c, &line, &len, 1024), 0);
	assert_string_equal(line, "* 1 EXISTS");
	assert_int_equal(conn_read_line(c, &line, &len, 1024), -1);
	assert_non_null(strstr(conn_error(c), "corrupt compressed data from "
	    "127.0.0.1:"));
	/* unusable after the failure */
	assert_int_equal(conn_read_line(c, &line, &len, 1024), -1);
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

/* A sync flush alone inflates to nothing: not "readable" (an IDLE loop
 * would wake into a read that waits); a line after it is. */
static int
script_empty_flush(struct peer *p)
{
	char	 line[64];

	if (peer_start(p, "", 0) == -1 ||
	    peer_zsend(p, "", 0) == -1)
		return -1;
	if (peer_zline(p, line, sizeof(line)) == -1 ||
	    strcmp(line, "a2 DONE\r\n") != 0)
		return -1;
	return peer_zsend(p, "* 2 EXISTS\r\n", 12);
}

static void
test_conn_wait_readable(void **state)
{
	struct conn	*c;
	const char	*line;
	size_t		 len;

	(void)state;
	server_start(script_empty_flush);
	c = client_start();
	assert_int_equal(conn_wait_readable(c, 300), 0);
	assert_int_equal(conn_printf(c, "a2 DONE\r\n"), 0);
	assert_int_equal(conn_flush(c), 0);
	assert_int_equal(conn_wait_readable(c, TIMEOUT_MS), 1);
	assert_int_equal(conn_read_line(c, &line, &len, 1024), 0);
	assert_string_equal(line, "* 2 EXISTS");
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layer_round_trip),
		cmocka_unit_test(test_layer_split),
		cmocka_unit_test(test_layer_corrupt),
		cmocka_unit_test(test_layer_ended),
		cmocka_unit_test(test_layer_bomb_ratio),
		cmocka_unit_test_teardown(test_conn_lines, teardown),
		cmocka_unit_test_teardown(test_conn_read_ahead, teardown),
		cmocka_unit_test_teardown(test_conn_literal, teardown),
		cmocka_unit_test_teardown(test_conn_bomb, teardown),
		cmocka_unit_test_teardown(test_conn_corrupt, teardown),
		cmocka_unit_test_teardown(test_conn_wait_readable, teardown),
	};

	log_set_level(LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: ISC */
/*
 * rawfetch.c - the ceiling for bench-fetch.sh: fetch every message of
 * INBOX as fast as one connection allows, and write nothing.
 *
 *   rawfetch imap|pop3 implicit|starttls HOST PORT TLSNAME CAFILE USER
 *
 * The password comes from $RAWFETCH_PASSWORD (not argv, which ps shows).
 * IMAP: LOGIN, EXAMINE INBOX, one `UID FETCH 1:* (BODY.PEEK[])`, each
 * literal skipped in the read buffer.  POP3: USER/PASS, STAT, then RETR
 * 1..n pipelined (a window of commands in flight, RFC 2449 PIPELINING),
 * each reply read up to its "." line.  TLS is verified exactly as the
 * other clients are told to: chain against CAFILE only, and TLSNAME
 * against the certificate (a DNS name or an IP address).
 *
 * Prints "MESSAGES BYTES" (BYTES = message bytes as served, CRLF, POP3
 * dot-stuffing removed) on stdout; exit 1 on any error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* Large enough that one read usually drains several TLS records. */
#define BUFSZ (256 * 1024)
/* POP3 commands in flight: enough to keep the server busy between two
 * of our reads, small enough that our writes never block on a full
 * socket while the server waits for us to read. */
#define POP3_WINDOW 32

struct conn {
	int fd;
	SSL *ssl;
	char buf[BUFSZ];
	size_t r, w;	/* unread bytes are buf[r..w) */
};

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("rawfetch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static int
tcp_connect(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		die("%s: %s", host, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		die("connect %s:%s: %s", host, port, strerror(errno));
	return fd;
}

/* Fill the buffer with at least one more byte; compacts first. */
static void
fill(struct conn *c)
{
	ssize_t n;

	if (c->r > 0) {
		memmove(c->buf, c->buf + c->r, c->w - c->r);
		c->w -= c->r;
		c->r = 0;
	}
	if (c->w == sizeof(c->buf))
		die("line longer than %d bytes", BUFSZ);
	if (c->ssl != NULL) {
		int k = SSL_read(c->ssl, c->buf + c->w,
		    (int)(sizeof(c->buf) - c->w));
		if (k <= 0)
			die("TLS read failed (%d)", SSL_get_error(c->ssl, k));
		n = k;
	} else {
		do
			n = read(c->fd, c->buf + c->w, sizeof(c->buf) - c->w);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			die("read: %s", strerror(errno));
		if (n == 0)
			die("server closed the connection");
	}
	c->w += (size_t)n;
}

/* Next line, CRLF included; *len its length.  Valid until the next read. */
static const char *
getline_(struct conn *c, size_t *len)
{
	const char *nl;
	const char *line;

	while ((nl = memchr(c->buf + c->r, '\n', c->w - c->r)) == NULL)
		fill(c);
	line = c->buf + c->r;
	*len = (size_t)(nl + 1 - line);
	c->r += *len;
	return line;
}

/* Skip n bytes (an IMAP literal) without copying them. */
static void
skip(struct conn *c, size_t n)
{
	while (n > 0) {
		size_t have = c->w - c->r, k;

		if (have == 0) {
			c->r = c->w = 0;
			fill(c);
			continue;
		}
		k = have < n ? have : n;
		c->r += k;
		n -= k;
	}
}

static void
put(struct conn *c, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t k;

		if (c->ssl != NULL) {
			int m = SSL_write(c->ssl, s, (int)n);
			if (m <= 0)
				die("TLS write failed (%d)", SSL_get_error(c->ssl, m));
			k = m;
		} else {
			k = write(c->fd, s, n);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				die("write: %s", strerror(errno));
		}
		s += k;
		n -= (size_t)k;
	}
}

static void
putf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
putf(struct conn *c, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		die("command too long");
	put(c, line, (size_t)n);
}

static void
start_tls(struct conn *c, const char *name, const char *cafile)
{
	SSL_CTX *ctx;
	unsigned char ip[16];
	int r;

	/* A STARTTLS reply followed by more bytes would be plaintext
	 * injected before the handshake: refuse it. */
	if (c->r != c->w)
		die("data after the STARTTLS reply");
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		die("SSL_CTX_new");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* The test CA only, never the system store. */
	if (SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1)
		die("%s: cannot load CA file", cafile);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if ((c->ssl = SSL_new(ctx)) == NULL)
		die("SSL_new");
	SSL_CTX_free(ctx);	/* the SSL holds a reference */
	if (inet_pton(AF_INET, name, ip) == 1 ||
	    inet_pton(AF_INET6, name, ip) == 1) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
		    name) != 1)
			die("%s: bad IP address", name);
	} else {
		SSL_set_tlsext_host_name(c->ssl, name);
		if (SSL_set1_host(c->ssl, name) != 1)
			die("%s: bad host name", name);
	}
	SSL_set_fd(c->ssl, c->fd);
	if ((r = SSL_connect(c->ssl)) != 1)
		die("TLS handshake failed: %s",
		    X509_verify_cert_error_string(SSL_get_verify_result(c->ssl)));
	c->r = c->w = 0;
}

/* An IMAP quoted string: only " and \ need a backslash. */
static void
imap_quote(char *dst, size_t size, const char *s)
{
	size_t n = 0;

	dst[n++] = '"';
	for (; *s != '\0'; s++) {
		if (n + 4 >= size)
			die("string too long");
		if (*s == '"' || *s == '\\')
			dst[n++] = '\\';
		dst[n++] = *s;
	}
	dst[n++] = '"';
	dst[n] = '\0';
}

/* Literal size if the line ends in {N}\r\n (or {N+}), else -1. */
static long long
literal_at_end(const char *line, size_t len)
{
	const char *p;
	long long v = 0, mult = 1;

	if (len < 5 || line[len - 2] != '\r' || line[len - 3] != '}')
		return -1;
	p = line + len - 4;
	if (*p == '+')
		p--;
	if (p < line || *p < '0' || *p > '9')
		return -1;
	for (; p >= line && *p >= '0' && *p <= '9'; p--) {
		v += (*p - '0') * mult;
		mult *= 10;
	}
	return p >= line && *p == '{' ? v : -1;
}

/* Read responses up to the tagged one for TAG; fail unless it is OK.
 * Literals inside are counted in *nlit / *bytes when given. */
static void
imap_wait(struct conn *c, const char *tag, long *nlit, long long *bytes)
{
	size_t taglen = strlen(tag), len;
	const char *line;
	long long lit;

	for (;;) {
		line = getline_(c, &len);
		if (len > taglen && memcmp(line, tag, taglen) == 0 &&
		    line[taglen] == ' ') {
			if (len < taglen + 3 || memcmp(line + taglen + 1, "OK", 2))
				die("%.*s", (int)len - 2, line);
			return;
		}
		while ((lit = literal_at_end(line, len)) >= 0) {
			skip(c, (size_t)lit);
			if (nlit != NULL) {
				(*nlit)++;
				*bytes += lit;
			}
			line = getline_(c, &len);	/* rest of the response */
		}
	}
}

static void
imap_fetch(struct conn *c, int implicit, const char *name, const char *ca,
    const char *user, const char *pass)
{
	char qu[1024], qp[1024];
	long n = 0;
	long long bytes = 0;
	size_t len;
	const char *line;

	line = getline_(c, &len);
	if (len < 4 || memcmp(line, "* OK", 4) != 0)
		die("greeting: %.*s", (int)len, line);
	if (!implicit) {
		putf(c, "s STARTTLS\r\n");
		imap_wait(c, "s", NULL, NULL);
		start_tls(c, name, ca);
	}
	imap_quote(qu, sizeof(qu), user);
	imap_quote(qp, sizeof(qp), pass);
	putf(c, "l LOGIN %s %s\r\n", qu, qp);
	imap_wait(c, "l", NULL, NULL);
	/* Read-only: the benchmark leaves the mailbox as it found it. */
	putf(c, "e EXAMINE INBOX\r\n");
	imap_wait(c, "e", NULL, NULL);
	putf(c, "f UID FETCH 1:* (BODY.PEEK[])\r\n");
	imap_wait(c, "f", &n, &bytes);
	putf(c, "o LOGOUT\r\n");
	imap_wait(c, "o", NULL, NULL);
	printf("%ld %lld\n", n, bytes);
}

static void
pop3_ok(struct conn *c, const char *what)
{
	size_t len;
	const char *line = getline_(c, &len);

	if (len < 3 || memcmp(line, "+OK", 3) != 0)
		die("%s: %.*s", what, (int)len, line);
}

/* One RETR reply after its +OK line: bytes of the message. */
static long long
pop3_body(struct conn *c)
{
	long long bytes = 0;
	size_t len;
	const char *line;

	for (;;) {
		line = getline_(c, &len);
		if (line[0] == '.') {
			if (len == 3 && line[1] == '\r')
				return bytes;
			len--;	/* dot-stuffed */
		}
		bytes += (long long)len;
	}
}

static void
pop3_fetch(struct conn *c, int implicit, const char *name, const char *ca,
    const char *user, const char *pass)
{
	long n, sent = 1, got;
	long long bytes = 0, total;
	size_t len;
	const char *line;

	pop3_ok(c, "greeting");
	if (!implicit) {
		putf(c, "STLS\r\n");
		pop3_ok(c, "STLS");
		start_tls(c, name, ca);
	}
	putf(c, "USER %s\r\n", user);
	pop3_ok(c, "USER");
	putf(c, "PASS %s\r\n", pass);
	pop3_ok(c, "PASS");
	putf(c, "STAT\r\n");
	line = getline_(c, &len);
	if (sscanf(line, "+OK %ld %lld", &n, &total) != 2)
		die("STAT: %.*s", (int)len, line);
	for (got = 1; got <= n; got++) {
		/* Keep the window full before waiting on the next reply. */
		while (sent <= n && sent < got + POP3_WINDOW)
			putf(c, "RETR %ld\r\n", sent++);
		pop3_ok(c, "RETR");
		bytes += pop3_body(c);
	}
	putf(c, "QUIT\r\n");
	pop3_ok(c, "QUIT");
	printf("%ld %lld\n", n, bytes);
}

int
main(int argc, char **argv)
{
	static struct conn c;	/* static: the buffer is large */
	const char *pass = getenv("RAWFETCH_PASSWORD");
	int implicit;

	if (argc != 8) {
		fprintf(stderr, "usage: rawfetch imap|pop3 implicit|starttls "
		    "HOST PORT TLSNAME CAFILE USER\n"
		    "(password in $RAWFETCH_PASSWORD)\n");
		return 2;
	}
	if (pass == NULL)
		die("RAWFETCH_PASSWORD is not set");
	if (strcmp(argv[2], "implicit") == 0)
		implicit = 1;
	else if (strcmp(argv[2], "starttls") == 0)
		implicit = 0;
	else
		die("%s: not implicit or starttls", argv[2]);
	c.fd = tcp_connect(argv[3], argv[4]);
	if (implicit)
		start_tls(&c, argv[5], argv[6]);
	if (strcmp(argv[1], "imap") == 0)
		imap_fetch(&c, implicit, argv[5], argv[6], argv[7], pass);
	else if (strcmp(argv[1], "pop3") == 0)
		pop3_fetch(&c, implicit, argv[5], argv[6], argv[7], pass);
	else
		die("%s: not imap or pop3", argv[1]);
	if (c.ssl != NULL) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	close(c.fd);
	return 0;
}

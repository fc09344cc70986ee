/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_httpd.c - the metrics listener's HTTP responder
 * (daemon/net/httpd.c, httpd-parse.c): the request parser on good and
 * hostile heads (huge, binary, without CRLF, with a body, odd methods
 * and versions), the listen address, and a live listener on loopback
 * answering, refusing and surviving a client that says nothing.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/net/httpd.h"

static int
parse(const char *s, char *path)
{
	return httpd_request_parse(s, strlen(s), path, HTTPD_PATH_MAX);
}

static void
test_parse_good(void **state)
{
	char	 path[HTTPD_PATH_MAX];

	(void)state;
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n", path),
	    200);
	assert_string_equal(path, "/");
	assert_int_equal(parse("GET /metrics?name[]=x HTTP/1.0\r\n"
	    "Accept: text/plain\r\nUser-Agent: Prometheus/2.42\r\n\r\n",
	    path), 200);
	assert_string_equal(path, "/metrics");
	/* bare LF, as some tools send */
	assert_int_equal(parse("GET /metrics HTTP/1.1\nHost: x\n\n", path),
	    200);
	assert_string_equal(path, "/metrics");
	/* a path the handler will answer 404 to is still a request */
	assert_int_equal(parse("GET /../../etc/passwd HTTP/1.1\r\n\r\n",
	    path), 200);
	assert_string_equal(path, "/../../etc/passwd");
}

static void
test_parse_incomplete(void **state)
{
	char	 path[HTTPD_PATH_MAX];

	(void)state;
	assert_int_equal(parse("", path), HTTPD_MORE);
	assert_int_equal(parse("GET / HTTP/1.1", path), HTTPD_MORE);
	assert_int_equal(parse("GET / HTTP/1.1\r\n", path), HTTPD_MORE);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n\r", path),
	    HTTPD_MORE);
}

static void
test_parse_refused(void **state)
{
	char	 path[HTTPD_PATH_MAX];

	(void)state;
	assert_int_equal(parse("POST /metrics HTTP/1.1\r\n\r\n", path), 405);
	assert_int_equal(parse("HEAD / HTTP/1.1\r\n\r\n", path), 405);
	assert_int_equal(parse("get / HTTP/1.1\r\n\r\n", path), 405);
	assert_int_equal(parse("GET / HTTP/2.0\r\n\r\n", path), 505);
	assert_int_equal(parse("GET / HTTP/1.1 \r\n\r\n", path), 400);
	assert_int_equal(parse("GET / FTP/1.0\r\n\r\n", path), 400);
	assert_int_equal(parse("GET /\r\n\r\n", path), 400);
	assert_int_equal(parse("GET  / HTTP/1.1\r\n\r\n", path), 400);
	assert_int_equal(parse(" / HTTP/1.1\r\n\r\n", path), 400);
	assert_int_equal(parse("GET http://x/ HTTP/1.1\r\n\r\n", path), 400);
	assert_int_equal(parse("GET * HTTP/1.1\r\n\r\n", path), 400);
	assert_int_equal(parse("\r\n\r\n", path), 400);
	/* headers: a colon, no space in the name, no body */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost\r\n\r\n", path), 400);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost : x\r\n\r\n", path),
	    400);
	assert_int_equal(parse("GET / HTTP/1.1\r\n folded\r\n\r\n", path),
	    400);
	assert_int_equal(parse("GET / HTTP/1.1\r\n: x\r\n\r\n", path), 400);
	assert_int_equal(parse("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"
	    "hello", path), 400);
	assert_int_equal(parse("GET / HTTP/1.1\r\ntransfer-encoding: "
	    "chunked\r\n\r\n", path), 400);
}

static void
test_parse_hostile(void **state)
{
	char	 path[HTTPD_PATH_MAX], *big;
	size_t	 i;

	(void)state;
	/* binary: refused at once, before the head is whole */
	assert_int_equal(httpd_request_parse("GET /\0 HTTP/1.1", 15, path,
	    sizeof(path)), 400);
	assert_int_equal(parse("\x16\x03\x01\x02\x00\x01", path), 400);
	assert_int_equal(parse("GET /\xff HTTP/1.1\r\n\r\n", path), 400);
	assert_int_equal(parse("GET / HTTP/1.1\r\nX: \x1b[2J\r\n\r\n", path),
	    400);
	/* a long target */
	big = malloc(HTTPD_HEAD_MAX * 4);
	assert_non_null(big);
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', 300);
	memcpy(big + 305, " HTTP/1.1\r\n\r\n", 14);
	assert_int_equal(parse(big, path), 414);
	/* the target must fit the caller's buffer too */
	assert_int_equal(httpd_request_parse("GET /abcdef HTTP/1.1\r\n\r\n",
	    24, path, 4), 414);
	/* no end of head within the limit, with or without line ends */
	memset(big, 'A', HTTPD_HEAD_MAX * 4);
	assert_int_equal(httpd_request_parse(big, HTTPD_HEAD_MAX - 1, path,
	    sizeof(path)), HTTPD_MORE);
	assert_int_equal(httpd_request_parse(big, HTTPD_HEAD_MAX, path,
	    sizeof(path)), 431);
	assert_int_equal(httpd_request_parse(big, HTTPD_HEAD_MAX * 4, path,
	    sizeof(path)), 431);
	memcpy(big, "GET / HTTP/1.1\r\n", 16);
	for (i = 16; i + 10 < HTTPD_HEAD_MAX * 4; i += 10)
		memcpy(big + i, "X-Aaaa: b\n", 10);
	assert_int_equal(httpd_request_parse(big, HTTPD_HEAD_MAX * 4, path,
	    sizeof(path)), 431);
	/* CR alone ends nothing */
	memset(big, '\r', HTTPD_HEAD_MAX);
	assert_int_equal(httpd_request_parse(big, HTTPD_HEAD_MAX, path,
	    sizeof(path)), 431);
	free(big);
}

static void
test_listen_split(void **state)
{
	char	 host[64], port[8], err[256];

	(void)state;
	assert_int_equal(httpd_listen_split("127.0.0.1:9532", host,
	    sizeof(host), port, sizeof(port), err, sizeof(err)), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_string_equal(port, "9532");
	/* no host: the loopback, never every address */
	assert_int_equal(httpd_listen_split(":9532", host, sizeof(host), port,
	    sizeof(port), err, sizeof(err)), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(httpd_listen_split("9532", host, sizeof(host), port,
	    sizeof(port), err, sizeof(err)), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(httpd_listen_split("[::1]:80", host, sizeof(host),
	    port, sizeof(port), err, sizeof(err)), 0);
	assert_string_equal(host, "::1");
	assert_string_equal(port, "80");
	assert_int_equal(httpd_listen_split("0.0.0.0:9532", host,
	    sizeof(host), port, sizeof(port), err, sizeof(err)), 0);
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(httpd_listen_split("::1:80", host, sizeof(host),
	    port, sizeof(port), err, sizeof(err)), -1);
	assert_int_equal(httpd_listen_split("[::1]80", host, sizeof(host),
	    port, sizeof(port), err, sizeof(err)), -1);
	assert_int_equal(httpd_listen_split("h:0", host, sizeof(host), port,
	    sizeof(port), err, sizeof(err)), -1);
	assert_int_equal(httpd_listen_split("h:65536", host, sizeof(host),
	    port, sizeof(port), err, sizeof(err)), -1);
	assert_int_equal(httpd_listen_split("h:", host, sizeof(host), port,
	    sizeof(port), err, sizeof(err)), -1);
	assert_int_equal(httpd_listen_split("h:9x", host, sizeof(host), port,
	    sizeof(port), err, sizeof(err)), -1);
	assert_int_equal(httpd_listen_split("[]:80", host, sizeof(host), port,
	    sizeof(port), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "HOST:PORT"));
}

/* A live listener. */

static void
handler(void *ctx, const char *path, struct httpd_reply *r)
{
	int	*calls = ctx;

	(*calls)++;
	if (strcmp(path, "/metrics") != 0) {
		r->status = 404;
		r->body = strdup("should not be sent");
		return;
	}
	r->status = 200;
	r->type = "text/plain; version=0.0.4";
	r->body = strdup("x_total 1\n");
	r->len = strlen(r->body);
}

/* A port nobody listens on now (the kernel's pick, released). */
static int
free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static int
dial(int port)
{
	struct sockaddr_in	 sin;
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/* Send req (len bytes), read the answer until the server closes. */
static char *
exchange(int port, const char *req, size_t len)
{
	static char	 buf[65536];
	struct pollfd	 p;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd = dial(port);

	assert_int_equal(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
	for (;;) {
		p.fd = fd;
		p.events = POLLIN;
		/* a bound, not a measurement: the server's own is 5 s */
		assert_int_equal(poll(&p, 1, 30000), 1);
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return buf;
}

static void
test_live(void **state)
{
	struct httpd	*h;
	char		 spec[32], err[256], *big, *r;
	int		 port = free_port(), calls = 0, silent;

	(void)state;
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
	h = httpd_start(spec, handler, &calls, err, sizeof(err));
	if (h == NULL)
		fail_msg("%s", err);
	r = exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 35);
	assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4"
	    "\r\n"));
	assert_non_null(strstr(r, "Content-Length: 10\r\n"));
	assert_non_null(strstr(r, "Connection: close\r\n"));
	assert_non_null(strstr(r, "\r\n\r\nx_total 1\n"));
	r = exchange(port, "GET /other HTTP/1.1\r\n\r\n", 23);
	assert_non_null(strstr(r, "HTTP/1.1 404 Not Found\r\n"));
	assert_null(strstr(r, "should not be sent"));
	r = exchange(port, "DELETE /metrics HTTP/1.1\r\n\r\n", 28);
	assert_non_null(strstr(r, "HTTP/1.1 405 "));
	assert_non_null(strstr(r, "Allow: GET\r\n"));
	r = exchange(port, "\x16\x03\x01\x00\xff\x01\x00", 7);
	assert_non_null(strstr(r, "HTTP/1.1 400 "));
	assert_int_equal(calls, 2);
	/* huge: answered 431 after HTTPD_HEAD_MAX bytes, the rest dropped */
	big = malloc(20000);
	assert_non_null(big);
	memset(big, 'A', 20000);
	r = exchange(port, big, 20000);
	assert_non_null(strstr(r, "HTTP/1.1 431 "));
	free(big);
	/* a client that says nothing holds the listener for its time at
	 * most: the next one is answered */
	silent = dial(port);
	r = exchange(port, "GET /metrics HTTP/1.1\r\n\r\n", 25);
	assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
	close(silent);
	assert_int_equal(calls, 3);
	httpd_stop(h);
	/* a port in use is an error that says so */
	h = httpd_start(spec, handler, &calls, err, sizeof(err));
	assert_non_null(h);
	assert_null(httpd_start(spec, handler, &calls, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot listen"));
	httpd_stop(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_incomplete),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_listen_split),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

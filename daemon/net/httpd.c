/* SPDX-License-Identifier: ISC */
/*
 * httpd.c - the metrics listener's socket and thread; see httpd.h.  One
 * connection at a time: a scrape is a few kilobytes, and a client that
 * dawdles holds the others back for HTTPD_TIMEOUT_MS at most.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/net/httpd.h"

struct httpd {
	int			 fd;
	pthread_t		 th;
	atomic_int		 stop;
	httpd_handler_fn	 handler;
	void			*ctx;
};

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline: 1 ready, 0 timed out, -1. */
static int
wait_until(int fd, short events, long long deadline)
{
	struct pollfd	 p;
	long long	 left;
	int		 r;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			return 0;
		p.fd = fd;
		p.events = events;
		p.revents = 0;
		r = poll(&p, 1, (int)left);
		if (r == -1 && errno == EINTR)
			continue;
		return r == -1 ? -1 : r > 0;
	}
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Internal Server Error";
	}
}

static int
send_all(int fd, const char *p, size_t len, long long deadline)
{
	ssize_t	 n;

	while (len > 0) {
		if (wait_until(fd, POLLOUT, deadline) != 1)
			return -1;
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
respond(int fd, const struct httpd_reply *r, long long deadline)
{
	char		 head[512];
	const char	*body = r->body;
	size_t		 len = r->len;
	int		 n;

	if (body == NULL) {
		body = status_text(r->status);
		len = strlen(body);
	}
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
	    "Content-Security-Policy: default-src 'none'; "
	    "style-src 'unsafe-inline'\r\n"
	    "%sConnection: close\r\n\r\n", r->status, status_text(r->status),
	    r->body != NULL && r->type != NULL ? r->type :
	    "text/plain; charset=utf-8", len + (r->body == NULL),
	    r->status == 405 ? "Allow: GET\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    send_all(fd, head, (size_t)n, deadline) == -1 ||
	    send_all(fd, body, len, deadline) == -1)
		return;
	if (r->body == NULL)
		(void)send_all(fd, "\n", 1, deadline);
}

/* Read a head within the deadline: the status to answer, or -1 to hang
 * up without a word (timed out, gone). */
static int
read_request(int fd, char *path, size_t pathlen, long long deadline)
{
	char	 buf[HTTPD_HEAD_MAX];
	size_t	 len = 0;
	ssize_t	 n;
	int	 r;

	for (;;) {
		if (wait_until(fd, POLLIN, deadline) != 1)
			return -1;
		if ((n = recv(fd, buf + len, sizeof(buf) - len, 0)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (n == 0)
			return -1;
		len += (size_t)n;
		if ((r = httpd_request_parse(buf, len, path, pathlen)) !=
		    HTTPD_MORE)
			return r;
	}
}

/*
 * Closing with unread bytes from the client (a refused huge request)
 * makes the kernel send a reset, which can destroy the answer before
 * the client read it: end our side, then read and drop what is left,
 * within a second and HTTPD_LINGER_MAX bytes.
 */
#define HTTPD_LINGER_MAX	(64 * 1024)
static void
linger_close(int fd, long long deadline)
{
	char		 buf[4096];
	long long	 end = now_ms() + 1000;
	size_t		 total = 0;
	ssize_t		 n;

	if (end > deadline + 1000)
		end = deadline + 1000;
	if (shutdown(fd, SHUT_WR) == -1)
		return;
	while (total < HTTPD_LINGER_MAX && wait_until(fd, POLLIN, end) == 1) {
		if ((n = recv(fd, buf, sizeof(buf), 0)) <= 0)
			break;
		total += (size_t)n;
	}
}

static void
serve_one(struct httpd *h, int fd)
{
	struct httpd_reply	 r;
	char			 path[HTTPD_PATH_MAX];
	long long		 deadline = now_ms() + HTTPD_TIMEOUT_MS;
	int			 status;

	memset(&r, 0, sizeof(r));
	if ((status = read_request(fd, path, sizeof(path), deadline)) == -1)
		return;
	r.status = status;
	if (status == 200)
		h->handler(h->ctx, path, &r);
	if (r.status != 200) {
		free(r.body);
		r.body = NULL;
		r.len = 0;
	}
	respond(fd, &r, deadline);
	free(r.body);
	linger_close(fd, deadline);
}

static void *
httpd_loop(void *arg)
{
	struct httpd	*h = arg;
	int		 fd;

	while (!atomic_load(&h->stop)) {
		if (wait_until(h->fd, POLLIN, now_ms() + 500) != 1)
			continue;
		if ((fd = accept(h->fd, NULL, NULL)) == -1)
			continue;	/* gone before we got to it, or EMFILE */
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 &&
		    fcntl(fd, F_SETFL, O_NONBLOCK) == 0)
			serve_one(h, fd);
		(void)close(fd);
	}
	return NULL;
}

static int
listen_on(const char *host, const char *port, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	int		 fd = -1, on = 1, rc, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "metrics-listen: %s: %s", host,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol)) == -1) {
			saved = errno;
			continue;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == 0 &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 8) == 0)
			break;
		saved = errno;
		(void)close(fd);	/* nothing was written */
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(err, errlen, "metrics-listen: cannot listen on %s "
		    "port %s: %s", host, port, strerror(saved));
	return fd;
}

struct httpd *
httpd_start(const char *spec, httpd_handler_fn handler, void *ctx, char *err,
    size_t errlen)
{
	struct httpd	*h;
	char		 host[256], port[16];

	if (httpd_listen_split(spec, host, sizeof(host), port, sizeof(port),
	    err, errlen) == -1)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "metrics-listen: out of memory");
		return NULL;
	}
	h->handler = handler;
	h->ctx = ctx;
	atomic_init(&h->stop, 0);
	if ((h->fd = listen_on(host, port, err, errlen)) == -1) {
		free(h);
		return NULL;
	}
	if ((errno = pthread_create(&h->th, NULL, httpd_loop, h)) != 0) {
		snprintf(err, errlen, "metrics-listen: cannot start a thread: "
		    "%s", strerror(errno));
		(void)close(h->fd);
		free(h);
		return NULL;
	}
	return h;
}

void
httpd_stop(struct httpd *h)
{
	if (h == NULL)
		return;
	atomic_store(&h->stop, 1);
	pthread_join(h->th, NULL);
	(void)close(h->fd);
	free(h);
}

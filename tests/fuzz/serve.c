/* SPDX-License-Identifier: ISC */
/*
 * serve.c - the fake server of the protocol targets; see fuzz.h.
 *
 * One thread per input: accept, send the input while draining what the
 * client writes (a client writing a large DATA while we write could
 * otherwise deadlock both), shut down our side, drain until the client
 * closes.  Every wait has a timeout, so a client that never connects
 * costs seconds, not a hang.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/conf/conf.h"
#include "tests/fuzz/fuzz.h"

#define SERVE_WAIT_MS	10000

static int		 serve_fd = -1;
static char		 serve_port[16];
static pthread_t	 serve_thread;
static const uint8_t	*serve_data;
static size_t		 serve_size;

static void
serve_die(const char *what)
{
	perror(what);
	abort();
}

const char *
fuzz_serve_init(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);

	if (serve_fd != -1)
		return serve_port;
	if ((serve_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		serve_die("socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(serve_fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(serve_fd, 8) == -1 ||
	    getsockname(serve_fd, (struct sockaddr *)&sin, &slen) == -1)
		serve_die("listen on 127.0.0.1");
	snprintf(serve_port, sizeof(serve_port), "%u", ntohs(sin.sin_port));
	return serve_port;
}

/* Drop what the client sent; -1 once it closed or failed. */
static int
serve_drain(int fd)
{
	char	 buf[16384];
	ssize_t	 n;

	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n > 0 || (n == -1 && (errno == EAGAIN || errno == EINTR)))
		return 0;
	return -1;
}

static void
serve_conn(int fd)
{
	struct pollfd	 pfd;
	size_t		 off = 0;
	ssize_t		 n;
	int		 open_in = 1;

	pfd.fd = fd;
	while (off < serve_size) {
		pfd.events = POLLOUT | (open_in ? POLLIN : 0);
		if (poll(&pfd, 1, SERVE_WAIT_MS) <= 0 ||
		    (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
			return;
		if ((pfd.revents & POLLIN) && open_in &&
		    serve_drain(fd) == -1)
			open_in = 0;
		if (!(pfd.revents & POLLOUT))
			continue;
		n = send(fd, serve_data + off, serve_size - off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return;
		if (n > 0)
			off += (size_t)n;
	}
	(void)shutdown(fd, SHUT_WR);
	pfd.events = POLLIN;
	while (open_in && poll(&pfd, 1, SERVE_WAIT_MS) > 0)
		if (serve_drain(fd) == -1)
			break;
}

static void *
serve_main(void *arg)
{
	struct pollfd	 pfd;
	int		 fd;

	(void)arg;
	pfd.fd = serve_fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, SERVE_WAIT_MS) <= 0)
		return NULL;
	if ((fd = accept(serve_fd, NULL, NULL)) == -1)
		return NULL;
	serve_conn(fd);
	close(fd);
	return NULL;
}

void
fuzz_serve_begin(const uint8_t *data, size_t size)
{
	serve_data = data;
	serve_size = size;
	if (pthread_create(&serve_thread, NULL, serve_main, NULL) != 0)
		serve_die("pthread_create");
}

void
fuzz_serve_end(void)
{
	if (pthread_join(serve_thread, NULL) != 0)
		serve_die("pthread_join");
}

void
fuzz_opts_take(const uint8_t **data, size_t *size, struct fuzz_opts *o)
{
	static const int mechs[] = { AUTH_AUTO, AUTH_PLAIN, AUTH_LOGIN,
	    AUTH_XOAUTH2, AUTH_OAUTHBEARER, AUTH_APOP, AUTH_AUTO, AUTH_AUTO };
	unsigned	 b = 0;

	if (*size > 0) {
		b = (*data)[0];
		(*data)++;
		(*size)--;
	}
	o->starttls = b & 1;
	o->keep = (b >> 1) & 1;
	o->pipelining = (b >> 2) & 1;
	o->auth = mechs[(b >> 3) & 7];
	o->idle = (b >> 6) & 1;
	o->stop = (b >> 7) & 1;
}

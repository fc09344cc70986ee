/* SPDX-License-Identifier: ISC */
/*
 * sock.c - the socket steps under conn.c: waiting on a descriptor with a
 * timeout that signals do not restart, a non-blocking connect with a
 * timeout, and host names as the resolver wants them; see sock.h.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/net/sock.h"

long long
sock_now_ms(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 when fd is ready (or in error: the next call says which), 0 after
 * timeout_ms, -1 with errno.  A signal does not restart the clock. */
int
sock_wait(int fd, short events, int timeout_ms)
{
	return sock_wait_or(fd, events, timeout_ms, NULL, 0);
}

int
sock_wait_or(int fd, short events, int timeout_ms, const int *wake,
    size_t nwake)
{
	struct pollfd	 pfd[1 + SOCK_WAKE_MAX];
	long long	 deadline, left;
	size_t		 i, n = 0;
	int		 r;

	pfd[n].fd = fd;
	pfd[n++].events = events;
	for (i = 0; i < nwake; i++) {
		if (wake[i] == -1)
			continue;
		if (n == 1 + SOCK_WAKE_MAX) {
			errno = EINVAL;
			return -1;
		}
		pfd[n].fd = wake[i];
		pfd[n++].events = POLLIN;
	}
	deadline = sock_now_ms() + timeout_ms;
	left = timeout_ms;
	for (;;) {
		for (i = 0; i < n; i++)
			pfd[i].revents = 0;
		if ((r = poll(pfd, (nfds_t)n, (int)left)) > 0)
			return pfd[0].revents != 0 ? 1 : 2;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
		if ((left = deadline - sock_now_ms()) <= 0)
			return 0;
	}
}

/* A connected non-blocking socket, or -1 with the reason in *reason. */
int
sock_connect(const struct addrinfo *ai, int timeout_ms, int *reason)
{
	socklen_t	 len;
	int		 fd, r, soerr;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd == -1) {
		*reason = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	/* After EINTR the connect goes on in the background, as it does
	 * after EINPROGRESS. */
	if (errno != EINPROGRESS && errno != EINTR) {
		*reason = errno;
		goto fail;
	}
	if ((r = sock_wait(fd, POLLOUT, timeout_ms)) != 1) {
		*reason = r == 0 ? ETIMEDOUT : errno;
		goto fail;
	}
	len = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1) {
		*reason = errno;
		goto fail;
	}
	if (soerr != 0) {
		*reason = soerr;
		goto fail;
	}
	return fd;

fail:
	close(fd);
	return -1;
}

/* "[::1]" is how people write an IPv6 address next to a port; the
 * resolver wants it bare. */
int
sock_host_copy(char *dst, size_t size, const char *host)
{
	size_t	 len = strlen(host);

	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len == 0 || len >= size)
		return -1;
	memcpy(dst, host, len);
	dst[len] = '\0';
	return 0;
}

int
sock_unix_addr(const char *path, struct sockaddr_un *sun, struct addrinfo *ai)
{
	size_t	 len = strlen(path);

	memset(sun, 0, sizeof(*sun));
	memset(ai, 0, sizeof(*ai));
	if (len >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len + 1);
	ai->ai_family = AF_UNIX;
	ai->ai_socktype = SOCK_STREAM;
	ai->ai_addr = (struct sockaddr *)sun;
	ai->ai_addrlen = sizeof(*sun);
	return 0;
}

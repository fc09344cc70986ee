/* SPDX-License-Identifier: ISC */
/*
 * sock.h - socket steps for conn.c: no buffering, no TLS, no logging;
 * errors come back as errno values.
 */
#ifndef DAEMON_SOCK_H
#define DAEMON_SOCK_H

#include <stddef.h>

struct addrinfo;

/* The monotonic clock in milliseconds (0 if it cannot be read). */
long long	 sock_now_ms(void);
/* 1 when fd is ready for events (or in error: the next call says which),
 * 0 after timeout_ms, -1 with errno.  A signal does not restart the
 * clock. */
int		 sock_wait(int fd, short events, int timeout_ms);
/* The most descriptors sock_wait_or() watches besides fd. */
#define SOCK_WAKE_MAX	4
/* sock_wait(), also ending with 2 as soon as one of the nwake
 * descriptors wake[] (-1 entries skipped) is readable: a stop, news
 * from another thread.  fd ready counts first. */
int		 sock_wait_or(int fd, short events, int timeout_ms,
		    const int *wake, size_t nwake);
/* A connected non-blocking socket to ai, or -1 with the errno value in
 * *reason (ETIMEDOUT after timeout_ms). */
int		 sock_connect(const struct addrinfo *ai, int timeout_ms,
		    int *reason);
/* ai (and sun behind it) for the unix-domain socket at path, for
 * sock_connect(); -1 with ENAMETOOLONG if path does not fit. */
struct sockaddr_un;
int		 sock_unix_addr(const char *path, struct sockaddr_un *sun,
		    struct addrinfo *ai);
/* host into dst without the brackets people put around an IPv6 address
 * ("[::1]"); -1 if empty or too long. */
int		 sock_host_copy(char *dst, size_t size, const char *host);

#endif

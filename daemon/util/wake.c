/* SPDX-License-Identifier: ISC */
/* wake.c - a pollable flag, a pipe; see wake.h. */
#define _GNU_SOURCE		/* pipe2() */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "daemon/util/wake.h"

int
wake_open(struct wake *w)
{
	int	 fd[2];

	w->rd = w->wr = -1;
	if (pipe2(fd, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	w->rd = fd[0];
	w->wr = fd[1];
	return 0;
}

void
wake_close(struct wake *w)
{
	/* nothing buffered is worth keeping: a close cannot lose data */
	if (w->rd != -1)
		(void)close(w->rd);
	if (w->wr != -1)
		(void)close(w->wr);
	w->rd = w->wr = -1;
}

void
wake_raise(const struct wake *w)
{
	int	 saved = errno;	/* a signal handler must leave it alone */
	ssize_t	 n;

	if (w->wr == -1)
		return;
	/* EAGAIN: the pipe is full, so already readable */
	do
		n = write(w->wr, "!", 1);
	while (n == -1 && errno == EINTR);
	errno = saved;
}

void
wake_clear(const struct wake *w)
{
	char	 buf[64];
	ssize_t	 n;

	if (w->rd == -1)
		return;
	do
		n = read(w->rd, buf, sizeof(buf));
	while (n > 0 || (n == -1 && errno == EINTR));
}

int
wake_is_up(const struct wake *w)
{
	struct pollfd	 pfd;

	if (w->rd == -1)
		return 0;
	pfd.fd = w->rd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

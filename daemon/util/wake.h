/* SPDX-License-Identifier: ISC */
/*
 * wake.h - a flag another thread (or a signal handler) can raise and a
 * waiting thread can poll(2) for along with its socket: a pipe, its
 * read end readable while the flag is up.  So a thread can sleep long
 * on its connection and still hear at once of a stop or of news, with
 * no wake-up every second to look.
 *
 * wake_raise() only write(2)s to a non-blocking pipe: safe in a signal
 * handler and from any thread; a full pipe is still readable, so a
 * raise is never lost.  wake_clear() belongs to one thread, the one
 * that acts on the news.  Never logs.
 */
#ifndef DAEMON_UTIL_WAKE_H
#define DAEMON_UTIL_WAKE_H

struct wake {
	int	 rd;		/* poll this; -1 when closed */
	int	 wr;
};

/* 0, or -1 with errno (out of descriptors). */
int	wake_open(struct wake *);
void	wake_close(struct wake *);
/* Up: rd becomes readable (and stays so until wake_clear). */
void	wake_raise(const struct wake *);
/* Down: rd is no longer readable, unless raised again meanwhile. */
void	wake_clear(const struct wake *);
/* 1 if up now. */
int	wake_is_up(const struct wake *);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * maildir-write.h - writing a message into its Maildir tmp/ file in one
 * pass (maildir-write.c), for maildir.c alone: line ends converted,
 * SHA-256 taken, big messages written with O_DIRECT.  Knows a file
 * descriptor and a buffer; never a directory, a name or the state.
 */
#ifndef DAEMON_DELIVER_MAILDIR_WRITE_H
#define DAEMON_DELIVER_MAILDIR_WRITE_H

#include <stddef.h>
#include <stdint.h>

/* Messages this big are written with O_DIRECT. */
#define MAILDIR_DIRECT_MIN	(256 * 1024)

/* One per opened Maildir; zeroed to start. */
struct maildir_writer {
	char	*wbuf;		/* aligned, for writes; made on first use */
	int	 no_direct;	/* the file system refused O_DIRECT */
};

void		 maildir_writer_free(struct maildir_writer *);
int		 maildir_direct_wanted(const struct maildir_writer *,
		    uint64_t size);
/* Write data to fd (opened with O_DIRECT if direct), converted as flags
 * say (DELIVERY_CRLF), and its SHA-256 as delivered into sha256 unless
 * that is NULL; -1 with errno. */
int		 maildir_write(struct maildir_writer *, int fd, int direct,
		    const char *data, size_t len, int flags,
		    unsigned char *sha256);

#endif

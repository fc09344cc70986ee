/* SPDX-License-Identifier: ISC */
/*
 * mailfile.h - a message file in memory, read-only.
 *
 * Small files are read into a heap buffer; large ones are mapped, so a
 * 50 MB message costs its pages once and never a second copy.
 */
#ifndef DAEMON_MAILFILE_H
#define DAEMON_MAILFILE_H

#include <stddef.h>

struct mailfile {
	const char	*data;
	size_t		 len;
	void		*map;		/* mmap'ed region, or NULL */
	char		*heap;		/* malloc'ed copy, or NULL */
};

/* Open path; on error -1 with a message naming the file in err. */
int	mailfile_open(struct mailfile *, const char *path, char *err,
	    size_t errlen);
void	mailfile_close(struct mailfile *);

#endif

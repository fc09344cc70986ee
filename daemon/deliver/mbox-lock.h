/* SPDX-License-Identifier: ISC */
/*
 * mbox-lock.h - holding an mbox file for appending (mbox-lock.c), for
 * mbox.c alone: its dot lock and fcntl() lock, and its descriptor.
 * Knows a path; never what is in the file, never the state.
 */
#ifndef DAEMON_DELIVER_MBOX_LOCK_H
#define DAEMON_DELIVER_MBOX_LOCK_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct mbox_lock {
	const char	*path;
	int		 dirfd;		/* the directory holding it */
	char		 name[NAME_MAX + 1];	/* its name there */
	int		 fd;		/* the file, O_RDWR | O_APPEND */
	int		 dotlocked;
	int		 created;	/* by this lock: sync its directory */
	uint64_t	 size;		/* when locked */
};

/* Lock path (created if create and absent); on error nothing is held. */
int		 mbox_lock(struct mbox_lock *, const char *path, int create,
		    char *err, size_t errlen);
/* Close and remove the locks; -1 if the dot lock stays (err says). */
int		 mbox_unlock(struct mbox_lock *, char *err, size_t errlen);

#endif

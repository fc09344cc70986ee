/* SPDX-License-Identifier: ISC */
/*
 * safepath.h - opening the directories of a path that a message helped
 * name ({from.domain}, a folder, an attachment's directory) without
 * going through a symlink that someone other than root put there.
 *
 * The path is opened one component at a time, from "/" (a relative path:
 * from the given directory) with openat(O_NOFOLLOW | O_DIRECTORY), each
 * missing directory created 0700 with mkdirat() when asked.  A symlink
 * met on the way is followed only under the trusted-path rule: the link
 * is owned by root or by the effective uid, and so is the directory
 * holding it, which no group or other user may write (a sticky,
 * world-writable /tmp is not trusted).  Its target is then walked by the
 * same rules, at most 8 links deep, nothing created behind a link.  So a
 * link of your own (~/Maildir to another disk) or root's (/home ->
 * /usr/home) works, while one planted by another local user ends the
 * walk with ELOOP and an error naming it; a sender chooses names, never
 * links.
 *
 * Nothing here logs; errors go to err.
 */
#ifndef DAEMON_SAFEPATH_H
#define DAEMON_SAFEPATH_H

#include <stddef.h>

/* Open the directory path (below dirfd when relative; AT_FDCWD is fine),
 * creating what is missing if create.  Returns an O_DIRECTORY descriptor,
 * or -1 with errno set and a message naming the component in err. */
int	safepath_open_dir(int dirfd, const char *path, int create, char *err,
	    size_t errlen);
/* The same for the directory holding path's last component, whose name
 * goes to name (room for NAME_MAX + 1 bytes). */
int	safepath_open_parent(int dirfd, const char *path, int create,
	    char *name, char *err, size_t errlen);

#endif

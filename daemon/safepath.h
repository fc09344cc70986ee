/*
 * safepath.h - opening the directories of a path that a message helped
 * name ({from.domain}, a folder, an attachment's directory) without
 * going through a symlink that someone other than root put there.
 *
 * The path is opened one component at a time, from "/" (a relative path:
 * from the given directory) with openat(O_NOFOLLOW | O_DIRECTORY), each
 * missing directory created 0700 with mkdirat() when asked.  A symlink is
 * followed only in the leading part of the path that root alone
 * controls: a link owned by root, in a directory owned by root that no
 * group or other user may write, reached through such directories only
 * (/home -> /usr/home).  From the first directory that is not root's (a
 * home directory, /tmp) on, a symlink ends the walk with ELOOP and an
 * error naming it.  A relative walk trusts nothing.
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

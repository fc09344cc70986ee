/* SPDX-License-Identifier: ISC */
/* safepath.c - directories opened without foreign symlinks; see
 * safepath.h. */
#define _GNU_SOURCE		/* O_PATH */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/util/safepath.h"

/* On the way, search permission is all a directory needs to be passed
 * through (as for an ordinary path lookup): O_PATH; the last one is
 * opened for reading. */
#ifdef O_PATH
#define DIR_FLAGS	(O_PATH | O_DIRECTORY | O_CLOEXEC)
#else
#define DIR_FLAGS	(O_RDONLY | O_DIRECTORY | O_CLOEXEC)
#endif

/* Links followed on the way to one directory, targets' links included. */
#define SAFEPATH_LINKS_MAX	8

static int	walk_path(int, const char *, int, int, char *, size_t);

static int
owner_trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/*
 * The trusted-path rule for the symlink name in dirfd: the link is
 * root's or ours, and so is the directory holding it, which no group or
 * other user may write (a sticky /tmp is out: anyone can create there).
 * Only a link that we or root placed passes; who may replace it later
 * could as well have written the mail.
 */
static int
link_trusted(int dirfd, const char *name)
{
	struct stat	 dsb, sb;

	if (fstat(dirfd, &dsb) == -1 || !owner_trusted(dsb.st_uid) ||
	    (dsb.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return 0;
	return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(sb.st_mode) && owner_trusted(sb.st_uid);
}

static int
is_link(int dirfd, const char *name)
{
	struct stat	 sb;

	return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(sb.st_mode);
}

/* A trusted link: its target walked by the same rules (relative to the
 * directory holding it), so a link of ours into another user's tree
 * still meets that tree's links as untrusted.  Nothing is created
 * behind a link. */
static int
walk_link(int dirfd, const char *name, int depth, const char *where,
    char *err, size_t errlen)
{
	char	 target[PATH_MAX];
	ssize_t	 n;

	if (depth >= SAFEPATH_LINKS_MAX) {
		snprintf(err, errlen, "%s: too many levels of symlinks", where);
		errno = ELOOP;
		return -1;
	}
	n = readlinkat(dirfd, name, target, sizeof(target));
	if (n <= 0 || (size_t)n >= sizeof(target)) {
		snprintf(err, errlen, "%s: cannot read the symlink: %s", where,
		    n == -1 ? strerror(errno) : "empty or too long");
		errno = n == -1 ? errno : ENAMETOOLONG;
		return -1;
	}
	target[n] = '\0';
	return walk_path(dirfd, target, 0, depth + 1, err, errlen);
}

/* Open (and create) the component name below dirfd; where is the path
 * up to and including it, for messages. */
static int
walk_step(int dirfd, const char *name, int create, int depth,
    const char *where, char *err, size_t errlen)
{
	int	 fd, e;

	fd = openat(dirfd, name, DIR_FLAGS | O_NOFOLLOW);
	if (fd == -1 && errno == ENOENT && create) {
		if (mkdirat(dirfd, name, 0700) == -1 && errno != EEXIST) {
			e = errno;
			snprintf(err, errlen, "cannot create directory %s: %s",
			    where, strerror(e));
			errno = e;
			return -1;
		}
		fd = openat(dirfd, name, DIR_FLAGS | O_NOFOLLOW);
	}
	if (fd != -1 || (errno != ELOOP && errno != ENOTDIR) ||
	    !is_link(dirfd, name)) {
		if (fd == -1) {
			e = errno;
			snprintf(err, errlen, "cannot open directory %s: %s",
			    where, strerror(e));
			errno = e;
		}
		return fd;
	}
	if (link_trusted(dirfd, name))
		return walk_link(dirfd, name, depth, where, err, errlen);
	snprintf(err, errlen, "%s is a symlink: not followed (only a link "
	    "owned by you or root, in a directory of yours or root's that "
	    "no group or other user may write, is; give the real "
	    "directory)", where);
	errno = ELOOP;
	return -1;
}

/* Walk path from dirfd (from "/" when absolute); an O_PATH descriptor. */
static int
walk_path(int dirfd, const char *path, int create, int depth, char *err,
    size_t errlen)
{
	char	 buf[PATH_MAX], where[PATH_MAX];
	char	*p, *next;
	size_t	 len = strlen(path);
	int	 fd, nfd, e;

	if (len == 0 || len >= sizeof(buf)) {
		snprintf(err, errlen, "%.200s: bad path length", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	fd = path[0] == '/' ? openat(AT_FDCWD, "/", DIR_FLAGS) :
	    openat(dirfd, ".", DIR_FLAGS);
	if (fd == -1) {
		e = errno;
		snprintf(err, errlen, "%s: cannot open the starting directory: "
		    "%s", path, strerror(e));
		errno = e;
		return -1;
	}
	for (p = buf; p != NULL; p = next) {
		if ((next = strchr(p, '/')) != NULL)
			*next++ = '\0';
		if (*p == '\0' || strcmp(p, ".") == 0)
			continue;
		snprintf(where, sizeof(where), "%.*s", (int)(p - buf +
		    strlen(p)), path);
		nfd = walk_step(fd, p, create, depth, where, err, errlen);
		e = errno;
		(void)close(fd);	/* a directory, read-only */
		if ((fd = nfd) == -1) {
			errno = e;
			return -1;
		}
	}
	return fd;
}

int
safepath_open_dir(int dirfd, const char *path, int create, char *err,
    size_t errlen)
{
	int	 fd, nfd, e;

	if ((fd = walk_path(dirfd, path, create, 0, err, errlen)) == -1)
		return -1;
	nfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e = errno;
	(void)close(fd);	/* a directory, read-only */
	if (nfd == -1) {
		snprintf(err, errlen, "cannot open directory %s: %s", path,
		    strerror(e));
		errno = e;
	}
	return nfd;
}

int
safepath_open_parent(int dirfd, const char *path, int create, char *name,
    char *err, size_t errlen)
{
	char		 dir[PATH_MAX];
	const char	*slash = strrchr(path, '/'), *base;
	size_t		 dlen;

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
		base = path;
	} else {
		dlen = slash == path ? 1 : (size_t)(slash - path);
		if (dlen >= sizeof(dir)) {
			snprintf(err, errlen, "%.200s: path too long", path);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, dlen);
		dir[dlen] = '\0';
		base = slash + 1;
	}
	if (*base == '\0' || strlen(base) > NAME_MAX) {
		snprintf(err, errlen, "%.200s: no file name, or one longer "
		    "than %d bytes", path, NAME_MAX);
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(name, NAME_MAX + 1, "%s", base);
	return safepath_open_dir(dirfd, dir, create, err, errlen);
}

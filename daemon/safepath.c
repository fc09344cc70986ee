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

#include "daemon/safepath.h"

/* On the way, search permission is all a directory needs to be passed
 * through (as for an ordinary path lookup): O_PATH; the last one is
 * opened for reading. */
#ifdef O_PATH
#define DIR_FLAGS	(O_PATH | O_DIRECTORY | O_CLOEXEC)
#else
#define DIR_FLAGS	(O_RDONLY | O_DIRECTORY | O_CLOEXEC)
#endif

/* Whether the walk may still follow root's symlinks after entering fd. */
static int
dir_trusted(int fd)
{
	struct stat	 sb;

	return fstat(fd, &sb) == 0 && sb.st_uid == 0 &&
	    (sb.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

static int
link_is_roots(int dirfd, const char *name)
{
	struct stat	 sb;

	return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(sb.st_mode) && sb.st_uid == 0;
}

static int
is_link(int dirfd, const char *name)
{
	struct stat	 sb;

	return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(sb.st_mode);
}

/* Open (and create) the component name below dirfd; where is the path
 * up to and including it, for messages. */
static int
walk_step(int dirfd, const char *name, int create, int *trusted,
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
	if (fd == -1 && (errno == ELOOP || errno == ENOTDIR) && *trusted &&
	    link_is_roots(dirfd, name))
		fd = openat(dirfd, name, DIR_FLAGS);
	if (fd == -1) {
		e = errno;
		if ((e == ELOOP || e == ENOTDIR) && is_link(dirfd, name)) {
			snprintf(err, errlen, "%s is a symlink: not followed "
			    "(only root's own links are; give the real "
			    "directory)", where);
			e = ELOOP;
		} else
			snprintf(err, errlen, "cannot open directory %s: %s",
			    where, strerror(e));
		errno = e;
		return -1;
	}
	if (*trusted && !dir_trusted(fd))
		*trusted = 0;
	return fd;
}

int
safepath_open_dir(int dirfd, const char *path, int create, char *err,
    size_t errlen)
{
	char	 buf[PATH_MAX], where[PATH_MAX];
	char	*p, *next;
	size_t	 len = strlen(path);
	int	 fd, nfd, trusted, e;

	if (len == 0 || len >= sizeof(buf)) {
		snprintf(err, errlen, "%.200s: bad path length", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	trusted = path[0] == '/';
	fd = openat(trusted ? AT_FDCWD : dirfd, trusted ? "/" : ".",
	    DIR_FLAGS);
	if (fd == -1) {
		e = errno;
		snprintf(err, errlen, "%s: cannot open the starting directory: "
		    "%s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (trusted && !dir_trusted(fd))
		trusted = 0;
	for (p = buf; p != NULL; p = next) {
		if ((next = strchr(p, '/')) != NULL)
			*next++ = '\0';
		if (*p == '\0' || strcmp(p, ".") == 0)
			continue;
		snprintf(where, sizeof(where), "%.*s", (int)(p - buf +
		    strlen(p)), path);
		nfd = walk_step(fd, p, create, &trusted, where, err, errlen);
		e = errno;
		(void)close(fd);	/* a directory, read-only */
		if ((fd = nfd) == -1) {
			errno = e;
			return -1;
		}
	}
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

/* SPDX-License-Identifier: ISC */
/* trust.c - files only root and we can change; see trust.h. */
#define _GNU_SOURCE		/* O_PATH: a directory we may only search */

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/conf/trust.h"

/* As the kernel: more links than this on one path is a loop. */
#define TRUST_LINKS	40

struct trust_walk {
	const char	*path;		/* as the caller gave it */
	uid_t		 euid, also;
	char		 at[PATH_MAX];	/* the directory reached */
	char		 rest[PATH_MAX];	/* what is left to walk */
	int		 dirfd;
	unsigned	 links;
	char		*err;
	size_t		 errlen;
};

__attribute__((format(printf, 2, 3)))
static int
trust_fail(struct trust_walk *w, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(w->err, w->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* "root", the user's name, or "uid N", for messages. */
static void
trust_user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd	 pw, *res = NULL;
	char		 pwbuf[4096];

	if (uid == 0)
		snprintf(buf, len, "root");
	else if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 &&
	    res != NULL)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "%u", (unsigned)uid);
}

static int
trust_owner_ok(const struct trust_walk *w, uid_t uid)
{
	return uid == 0 || uid == w->euid ||
	    (w->also != TRUST_NOBODY && uid == w->also);
}

/* Whoever can write to a directory can replace what is in it, unless
 * the sticky bit keeps them to their own files. */
static int
trust_dir_check(struct trust_walk *w, const struct stat *st)
{
	char	 me[64];

	if (!S_ISDIR(st->st_mode))
		return trust_fail(w, "%s is not a directory", w->at);
	if (!trust_owner_ok(w, st->st_uid)) {
		trust_user_name(w->euid, me, sizeof(me));
		return trust_fail(w, "its directory %s is owned by uid %u, "
		    "who could replace the file, but mailsift runs as %s; "
		    "chown %s %s", w->at, (unsigned)st->st_uid, me, me, w->at);
	}
	if ((st->st_mode & 022) != 0 && (st->st_mode & S_ISVTX) == 0)
		return trust_fail(w, "its directory %s is writable by group "
		    "or others, who could replace the file; chmod go-w %s",
		    w->at, w->at);
	return 0;
}

static int
trust_leaf_check(struct trust_walk *w, const struct stat *st)
{
	char	 me[64];

	if (S_ISDIR(st->st_mode))
		return trust_fail(w, "is a directory, not a file");
	if (!S_ISREG(st->st_mode))
		return trust_fail(w, "not a regular file");
	if (trust_owner_ok(w, st->st_uid) && (st->st_mode & 022) == 0)
		return 0;
	trust_user_name(w->euid, me, sizeof(me));
	if (!trust_owner_ok(w, st->st_uid))
		return trust_fail(w, "owned by uid %u, but mailsift runs as "
		    "%s and would run its commands as %s; chown %s %s",
		    (unsigned)st->st_uid, me, me, me, w->path);
	return trust_fail(w, "writable by group or others, but mailsift "
	    "runs as %s; chmod go-w %s", me, w->path);
}

/* Make fd (a directory just opened) the current one, once checked. */
static int
trust_enter(struct trust_walk *w, int fd)
{
	struct stat	 st;

	if (fd == -1)
		return trust_fail(w, "cannot open %s: %s", w->at,
		    strerror(errno));
	if (w->dirfd != -1)
		(void)close(w->dirfd);
	w->dirfd = fd;
	if (fstat(fd, &st) == -1)
		return trust_fail(w, "cannot stat %s: %s", w->at,
		    strerror(errno));
	return trust_dir_check(w, &st);
}

static int
trust_root(struct trust_walk *w)
{
	snprintf(w->at, sizeof(w->at), "/");
	return trust_enter(w, open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
}

/* Step into the directory name (not "." or a link) of the current one. */
static int
trust_down(struct trust_walk *w, const char *name)
{
	size_t	 n = strlen(w->at);
	char	*slash;

	if (strcmp(name, "..") == 0) {
		if ((slash = strrchr(w->at, '/')) != NULL)
			*slash = '\0';
		if (w->at[0] == '\0')
			snprintf(w->at, sizeof(w->at), "/");
	} else if (snprintf(w->at + n, sizeof(w->at) - n, "%s%s",
	    n > 1 ? "/" : "", name) >= (int)(sizeof(w->at) - n))
		return trust_fail(w, "%s", strerror(ENAMETOOLONG));
	return trust_enter(w, openat(w->dirfd, name,
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

/* The link name in the current directory: its target goes before the
 * rest of the walk. */
static int
trust_follow(struct trust_walk *w, const char *name, const char *next)
{
	char	 target[PATH_MAX], rest[PATH_MAX];
	ssize_t	 n;

	if (++w->links > TRUST_LINKS)
		return trust_fail(w, "cannot open: %s", strerror(ELOOP));
	n = readlinkat(w->dirfd, name, target, sizeof(target) - 1);
	if (n == -1)
		return trust_fail(w, "cannot read the link %s in %s: %s", name,
		    w->at, strerror(errno));
	target[n] = '\0';
	if (snprintf(rest, sizeof(rest), "%s/%s", target, next) >=
	    (int)sizeof(rest))
		return trust_fail(w, "%s", strerror(ENAMETOOLONG));
	memcpy(w->rest, rest, sizeof(rest));
	return target[0] == '/' ? trust_root(w) : 0;
}

/* The last component: the file itself. */
static int
trust_leaf(struct trust_walk *w, const char *name, unsigned flags,
    struct stat *st)
{
	int	 fd, oflags = O_NOFOLLOW | O_CLOEXEC;

	if (flags & TRUST_EXEC)
		oflags |= O_PATH;
	else
		oflags |= O_RDONLY | O_NOCTTY | O_NONBLOCK;
	if ((fd = openat(w->dirfd, name, oflags)) == -1)
		return trust_fail(w, "cannot open: %s", strerror(errno));
	if (fstat(fd, st) == -1) {
		trust_fail(w, "cannot stat: %s", strerror(errno));
		(void)close(fd);
		return -1;
	}
	if (trust_leaf_check(w, st) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* One component off the front of w->rest into name; 1 if it was the
 * last one, 0 if more follow, -1 if it is too long. */
static int
trust_next(struct trust_walk *w, char *name, size_t len, char *next,
    size_t nextlen)
{
	const char	*p = w->rest, *end;

	while (*p == '/')
		p++;
	end = p + strcspn(p, "/");
	if ((size_t)(end - p) >= len)
		return -1;
	memcpy(name, p, (size_t)(end - p));
	name[end - p] = '\0';
	while (*end == '/')
		end++;
	snprintf(next, nextlen, "%s", end);
	return *end == '\0';
}

static int
trust_walk(struct trust_walk *w, unsigned flags, struct stat *st)
{
	struct stat	 lst;
	char		 name[NAME_MAX + 1], next[PATH_MAX];
	int		 last;

	for (;;) {
		if ((last = trust_next(w, name, sizeof(name), next,
		    sizeof(next))) == -1)
			return trust_fail(w, "%s", strerror(ENAMETOOLONG));
		/* "", ".", "..": a path that ends with one names a
		 * directory, which its caller will find is not a file. */
		if (name[0] == '\0' || strcmp(name, ".") == 0 ||
		    strcmp(name, "..") == 0) {
			if (strcmp(name, "..") == 0 && trust_down(w, "..") == -1)
				return -1;
			if (last)
				return trust_leaf(w, ".", flags, st);
		} else if (fstatat(w->dirfd, name, &lst,
		    AT_SYMLINK_NOFOLLOW) == -1)
			return trust_fail(w, "cannot open: %s",
			    strerror(errno));
		else if (S_ISLNK(lst.st_mode)) {
			if (trust_follow(w, name, next) == -1)
				return -1;
			continue;
		} else if (last)
			return trust_leaf(w, name, flags, st);
		else if (trust_down(w, name) == -1)
			return -1;
		memmove(w->rest, next, strlen(next) + 1);
	}
}

int
trust_file_open(const char *path, unsigned flags, uid_t also,
    struct stat *st, char *err, size_t errlen)
{
	struct trust_walk	 w;
	char			 cwd[PATH_MAX];
	int			 fd, n;

	memset(&w, 0, sizeof(w));
	w.path = path;
	w.euid = geteuid();
	w.also = also;
	w.dirfd = -1;
	w.err = err;
	w.errlen = errlen;
	if (path[0] == '/')
		n = snprintf(w.rest, sizeof(w.rest), "%s", path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		return trust_fail(&w, "cannot open: getcwd: %s",
		    strerror(errno));
	else
		n = snprintf(w.rest, sizeof(w.rest), "%s/%s", cwd, path);
	if (n < 0 || (size_t)n >= sizeof(w.rest))
		return trust_fail(&w, "cannot open: %s",
		    strerror(ENAMETOOLONG));
	fd = trust_root(&w) == -1 ? -1 : trust_walk(&w, flags, st);
	if (w.dirfd != -1)
		(void)close(w.dirfd);
	return fd;
}

char *
trust_file_read(const char *path, size_t max, uid_t also, struct stat *st,
    size_t *len, char *err, size_t errlen)
{
	char	*buf = NULL;
	size_t	 off = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = trust_file_open(path, 0, also, st, err, errlen)) == -1)
		return NULL;
	if (!S_ISREG(st->st_mode))
		snprintf(err, errlen, "not a regular file");
	else if ((uintmax_t)st->st_size > max)
		snprintf(err, errlen, "larger than %zu bytes", max);
	else if ((buf = malloc((size_t)st->st_size + 1)) == NULL)
		snprintf(err, errlen, "out of memory");
	while (buf != NULL && off < (size_t)st->st_size) {
		if ((n = read(fd, buf + off, (size_t)st->st_size - off)) == -1 &&
		    errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "read: %s", strerror(errno));
			explicit_bzero(buf, off);	/* it may hold a password */
			free(buf);
			buf = NULL;
		} else if (n == 0)
			break;
		else
			off += (size_t)n;
	}
	(void)close(fd);
	if (buf != NULL) {
		buf[off] = '\0';
		*len = off;
	}
	return buf;
}

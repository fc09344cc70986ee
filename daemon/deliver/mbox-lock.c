/* SPDX-License-Identifier: ISC */
/*
 * mbox-lock.c - locking an mbox file as mutt, procmail and Dovecot do: a
 * dot lock (PATH.lock, created with O_EXCL and holding "pid:host"), then
 * an fcntl() lock on the file, both waited for up to MBOX_LOCK_WAIT
 * seconds; a dot lock older than MBOX_LOCK_STALE or naming a process of
 * this host that is gone is broken.  The file and its lock are opened in
 * their directory, reached as safepath.h says; the file itself is never
 * a symlink.  See mbox-lock.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/deliver/mbox-lock.h"
#include "daemon/deliver/target-util.h"
#include "daemon/util/safepath.h"

/* Give up waiting for a lock after this; break a dot lock older than
 * that (its owner is gone or hung: Postfix uses 500 s). */
#define MBOX_LOCK_WAIT		120
#define MBOX_LOCK_STALE		300
#define MBOX_LOCK_POLL_NS	50000000L

static void
lock_pause(void)
{
	struct timespec	 ts = { 0, MBOX_LOCK_POLL_NS };

	(void)nanosleep(&ts, NULL);	/* woken early: just try again */
}

/* A dot lock is stale when old, or held by a dead process of this host. */
static int
dotlock_stale(int dirfd, const char *lockname)
{
	char		 buf[320], host[256];
	struct stat	 sb;
	ssize_t		 n;
	long		 pid;
	int		 fd, used;

	if (fstatat(dirfd, lockname, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT;
	if (time(NULL) - sb.st_mtime > MBOX_LOCK_STALE)
		return 1;
	if ((fd = openat(dirfd, lockname, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);	/* read-only */
	if (n <= 0 || gethostname(host, sizeof(host)) == -1)
		return 0;
	buf[n] = '\0';
	host[sizeof(host) - 1] = '\0';
	if (sscanf(buf, "%ld:%n", &pid, &used) != 1 || pid <= 0 ||
	    strncmp(buf + used, host, strlen(host)) != 0 ||
	    (buf[used + strlen(host)] != '\n' &&
	    buf[used + strlen(host)] != '\0'))
		return 0;
	return kill((pid_t)pid, 0) == -1 && errno == ESRCH;
}

static int
dotlock_write(int fd)
{
	char	 buf[320], host[256];
	int	 len;

	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	len = snprintf(buf, sizeof(buf), "%ld:%s\n", (long)getpid(), host);
	return delivery_write(fd, buf, (size_t)len);
}

static int
dotlock_take(struct mbox_lock *lk, const char *lockname, char *err,
    size_t errlen)
{
	time_t	 deadline = time(NULL) + MBOX_LOCK_WAIT;
	int	 fd, e;

	for (;;) {
		fd = openat(lk->dirfd, lockname, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1)
			break;
		if (errno != EEXIST) {
			snprintf(err, errlen, "mbox %s: cannot create the lock "
			    "file %s.lock: %s%s", lk->path, lk->path,
			    strerror(errno), delivery_hint(errno));
			return -1;
		}
		if (dotlock_stale(lk->dirfd, lockname)) {
			if (unlinkat(lk->dirfd, lockname, 0) == -1 &&
			    errno != ENOENT) {
				snprintf(err, errlen, "mbox %s: cannot remove "
				    "the stale lock %s.lock: %s", lk->path,
				    lk->path, strerror(errno));
				return -1;
			}
			continue;
		}
		if (time(NULL) >= deadline) {
			snprintf(err, errlen, "mbox %s: locked by another "
			    "program for %d s (%s.lock exists; remove it if no "
			    "program is using the file)", lk->path,
			    MBOX_LOCK_WAIT, lk->path);
			return -1;
		}
		lock_pause();
	}
	if (dotlock_write(fd) == -1 || close(fd) == -1) {
		e = errno;
		(void)unlinkat(lk->dirfd, lockname, 0);	/* ours, useless */
		snprintf(err, errlen, "mbox %s: cannot write the lock file "
		    "%s.lock: %s%s", lk->path, lk->path, strerror(e),
		    delivery_hint(e));
		return -1;
	}
	return 0;
}

static int
fcntl_take(int fd, const char *path, char *err, size_t errlen)
{
	struct flock	 fl;
	time_t		 deadline = time(NULL) + MBOX_LOCK_WAIT;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_SETLK, &fl) == -1) {
		if ((errno != EAGAIN && errno != EACCES && errno != EINTR) ||
		    time(NULL) >= deadline) {
			snprintf(err, errlen, "mbox %s: cannot lock (fcntl): "
			    "%s", path, errno == EAGAIN || errno == EACCES ?
			    "held by another program" : strerror(errno));
			return -1;
		}
		lock_pause();
	}
	return 0;
}

/* name.lock beside the file; -1 if that is longer than a name can be. */
static int
lock_name(const struct mbox_lock *lk, char *out, size_t outlen)
{
	int	 n;

	n = snprintf(out, outlen, "%s.lock", lk->name);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* The directory holding the file, reached without foreign symlinks
 * (safepath.h), and the file's name in it. */
static int
mbox_lock_dir(struct mbox_lock *lk, char *lockname, size_t locklen,
    char *err, size_t errlen)
{
	char	 e[PATH_MAX + 128];

	if ((lk->dirfd = safepath_open_parent(AT_FDCWD, lk->path, 0,
	    lk->name, e, sizeof(e))) == -1) {
		snprintf(err, errlen, "mbox %s: %s%s", lk->path, e,
		    delivery_hint(errno));
		return -1;
	}
	if (lock_name(lk, lockname, locklen) == -1) {
		snprintf(err, errlen, "mbox %s: the name is too long for a "
		    "lock file beside it", lk->path);
		return -1;
	}
	return 0;
}

static int
mbox_lock_open(struct mbox_lock *lk, int create, char *err, size_t errlen)
{
	struct stat	 sb;
	int		 flags = O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK |
			    O_CLOEXEC;

	lk->created = create && fstatat(lk->dirfd, lk->name, &sb,
	    AT_SYMLINK_NOFOLLOW) == -1 && errno == ENOENT;
	if ((lk->fd = openat(lk->dirfd, lk->name, create ? flags | O_CREAT :
	    flags, 0600)) == -1) {
		snprintf(err, errlen, "mbox %s: cannot open: %s%s", lk->path,
		    errno == ELOOP ? "it is a symlink: not followed" :
		    strerror(errno), delivery_hint(errno));
		return -1;
	}
	if (fstat(lk->fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "mbox %s: not a regular file", lk->path);
		return -1;
	}
	return 0;
}

int
mbox_lock(struct mbox_lock *lk, const char *path, int create, char *err,
    size_t errlen)
{
	char		 lockname[NAME_MAX + 1], ignored[512];
	struct stat	 sb;

	lk->path = path;
	lk->fd = -1;
	lk->dirfd = -1;
	lk->dotlocked = 0;
	if (mbox_lock_dir(lk, lockname, sizeof(lockname), err, errlen) == -1)
		goto fail;
	if (dotlock_take(lk, lockname, err, errlen) == -1)
		goto fail;
	lk->dotlocked = 1;
	if (mbox_lock_open(lk, create, err, errlen) == -1)
		goto fail;
	if (fcntl_take(lk->fd, path, err, errlen) == -1)
		goto fail;
	if (fstat(lk->fd, &sb) == -1) {
		snprintf(err, errlen, "mbox %s: %s", path, strerror(errno));
		goto fail;
	}
	lk->size = (uint64_t)sb.st_size;
	return 0;
fail:
	/* the first error is the one to report */
	(void)mbox_unlock(lk, ignored, sizeof(ignored));
	return -1;
}

int
mbox_unlock(struct mbox_lock *lk, char *err, size_t errlen)
{
	char	 lockname[NAME_MAX + 1];
	int	 rv = 0;

	/* Closing the descriptor drops the fcntl lock. */
	if (lk->fd != -1 && close(lk->fd) == -1) {
		snprintf(err, errlen, "mbox %s: close: %s", lk->path,
		    strerror(errno));
		rv = -1;
	}
	lk->fd = -1;
	if (lk->dotlocked && (lock_name(lk, lockname, sizeof(lockname)) ==
	    -1 || unlinkat(lk->dirfd, lockname, 0) == -1)) {
		snprintf(err, errlen, "mbox %s: cannot remove the lock file "
		    "%s.lock: %s (remove it by hand)", lk->path, lk->path,
		    strerror(errno));
		rv = -1;
	}
	lk->dotlocked = 0;
	if (lk->dirfd != -1)
		(void)close(lk->dirfd);	/* a directory, read-only */
	lk->dirfd = -1;
	return rv;
}

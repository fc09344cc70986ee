/* SPDX-License-Identifier: ISC */
/*
 * mbox.c - delivery into mbox files (mboxrd).
 *
 * Each message becomes an entry: a From_ line (the Return-Path address or
 * MAILER-DAEMON, and the time in asctime() form), the message with every
 * line matching ^>*From  quoted by one more '>', and an empty line.  A
 * batch's entries are appended under a dot lock (PATH.lock, created with
 * O_EXCL and holding "pid:host") and an fcntl() lock, in that order, as
 * mutt, procmail and Dovecot do; a failed append is cut off again so the
 * file never keeps half a batch.  The file and its lock are opened in
 * their directory, reached as safepath.h says; the file itself is never
 * a symlink.
 */
#define _GNU_SOURCE		/* syncfs(2) */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "daemon/deliver/deliver.h"
#include "daemon/util/safepath.h"

/* Give up waiting for a lock after this; break a dot lock older than
 * that (its owner is gone or hung: Postfix uses 500 s). */
#define MBOX_LOCK_WAIT		120
#define MBOX_LOCK_STALE		300
#define MBOX_LOCK_POLL_NS	50000000L
#define MBOX_SENDER_MAX		256

struct entry_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

int
mbox_open(struct delivery *dv, const char *folder, char *err, size_t errlen)
{
	char		 path[PATH_MAX], name[NAME_MAX + 1], e[PATH_MAX + 128];
	const char	*base;
	size_t		 dirlen, len;
	int		 fd;

	if (folder != NULL) {
		/* a folder is a file beside the mbox */
		base = strrchr(dv->path, '/');
		dirlen = base == NULL ? 0 : (size_t)(base - dv->path) + 1;
		len = strlen(folder);
		if (dirlen + len >= sizeof(path)) {
			snprintf(err, errlen, "mbox %s: folder %s: path too "
			    "long", dv->path, folder);
			return -1;
		}
		memcpy(path, dv->path, dirlen);
		memcpy(path + dirlen, folder, len + 1);
		free(dv->path);
		if ((dv->path = strdup(path)) == NULL) {
			snprintf(err, errlen, "mbox %s: out of memory", path);
			return -1;
		}
	}
	/* the directories above the file, created, never through a
	 * symlink; the file itself is opened when a batch is locked */
	if ((fd = safepath_open_parent(AT_FDCWD, dv->path, 1, name, e,
	    sizeof(e))) == -1) {
		snprintf(err, errlen, "mbox %s: %s%s", dv->path, e,
		    delivery_hint(errno));
		return -1;
	}
	(void)close(fd);	/* a directory, read-only */
	return 0;
}

static int
entry_add(struct entry_buf *e, const char *p, size_t n)
{
	char	*np;
	size_t	 cap;

	if (e->cap - e->len < n) {
		cap = e->cap * 2 > e->len + n ? e->cap * 2 : e->len + n + 4096;
		if ((np = realloc(e->p, cap)) == NULL)
			return -1;
		e->p = np;
		e->cap = cap;
	}
	memcpy(e->p + e->len, p, n);
	e->len += n;
	return 0;
}

/* The envelope sender from Return-Path, if it is one plain word. */
static void
mbox_sender(const char *data, size_t len, char *out, size_t outlen)
{
	char	 rp[MBOX_SENDER_MAX];
	char	*p = rp, *end;
	size_t	 i;

	delivery_header(data, len, "Return-Path", rp, sizeof(rp));
	if (*p == '<' && (end = strchr(p, '>')) != NULL) {
		p++;
		*end = '\0';
	}
	for (i = 0; p[i] != '\0'; i++)
		if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f)
			break;
	snprintf(out, outlen, "%s", *p == '\0' || p[i] != '\0' ?
	    "MAILER-DAEMON" : p);
}

/* "From sender Www Mmm dd hh:mm:ss yyyy", asctime() without the LF. */
static void
mbox_from_line(const char *data, size_t len, char *out, size_t outlen)
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	char		 sender[MBOX_SENDER_MAX];
	struct tm	 tm;
	time_t		 now = time(NULL);

	mbox_sender(data, len, sender, sizeof(sender));
	if (localtime_r(&now, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(out, outlen, "From %s %s %s %2d %02d:%02d:%02d %d", sender,
	    days[tm.tm_wday % 7], months[tm.tm_mon % 12], tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

static int
from_quoted(const char *line, size_t n)
{
	size_t	 i = 0;

	while (i < n && line[i] == '>')
		i++;
	return n - i >= 5 && memcmp(line + i, "From ", 5) == 0;
}

/* The body: line by line, CRLF to LF if asked, ^>*From  quoted. */
static int
entry_body(struct entry_buf *e, const char *data, size_t len, int flags)
{
	const char	*p = data, *end = data + len, *nl;
	size_t		 n;
	int		 has_nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		has_nl = nl != NULL;
		n = has_nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (has_nl && (flags & DELIVERY_CRLF) && n > 0 &&
		    p[n - 1] == '\r')
			n--;
		if ((from_quoted(p, n) && entry_add(e, ">", 1) == -1) ||
		    entry_add(e, p, n) == -1 ||
		    (has_nl && entry_add(e, "\n", 1) == -1))
			return -1;
		p = has_nl ? nl + 1 : end;
	}
	if (e->p[e->len - 1] != '\n' && entry_add(e, "\n", 1) == -1)
		return -1;
	return entry_add(e, "\n", 1);
}

int
mbox_stage(struct delivery *dv, struct staged *s, const char *data,
    size_t len, int flags, char *err, size_t errlen)
{
	struct entry_buf	 e = { NULL, 0, 0 };
	char			 from[MBOX_SENDER_MAX + 64];

	if (delivery_digest(data, len, flags, &s->in.content) == -1) {
		snprintf(err, errlen, "mbox %s: cannot compute SHA-256",
		    dv->path);
		return -1;
	}
	mbox_from_line(data, len, from, sizeof(from));
	e.cap = strlen(from) + len + len / 32 + 64;
	if ((e.p = malloc(e.cap)) == NULL ||
	    entry_add(&e, from, strlen(from)) == -1 ||
	    entry_add(&e, "\n", 1) == -1 ||
	    entry_body(&e, data, len, flags) == -1 ||
	    (s->in.name = strdup(from)) == NULL)
		goto fail;
	if (EVP_Digest(e.p, e.len, s->in.entry_sha256, NULL, EVP_sha256(),
	    NULL) != 1) {
		snprintf(err, errlen, "mbox %s: cannot compute SHA-256",
		    dv->path);
		free(e.p);
		return -1;
	}
	s->entry = e.p;
	s->in.length = e.len;
	return 0;
fail:
	snprintf(err, errlen, "mbox %s: out of memory for a message of %zu "
	    "bytes", dv->path, len);
	free(e.p);
	return -1;
}

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

int
mbox_append(struct mbox_lock *lk, const char *entry, size_t len, char *err,
    size_t errlen)
{
	if (delivery_write(lk->fd, entry, len) == -1) {
		snprintf(err, errlen, "mbox %s: cannot append: %s%s", lk->path,
		    strerror(errno), delivery_hint(errno));
		return -1;
	}
	return 0;
}

/* A new file needs its directory entry (and maybe new directories)
 * synced too: syncfs() does both. */
int
mbox_sync(struct mbox_lock *lk, char *err, size_t errlen)
{
	if ((lk->created ? syncfs(lk->fd) : fsync(lk->fd)) == -1) {
		snprintf(err, errlen, "mbox %s: cannot sync: %s%s", lk->path,
		    strerror(errno), delivery_hint(errno));
		return -1;
	}
	return 0;
}

int
mbox_truncate(struct mbox_lock *lk, uint64_t size, char *err, size_t errlen)
{
	if (ftruncate(lk->fd, (off_t)size) == -1 || fsync(lk->fd) == -1) {
		snprintf(err, errlen, "mbox %s: cannot cut the file back to "
		    "%llu bytes: %s%s (it may end with a partial message)",
		    lk->path, (unsigned long long)size, strerror(errno),
		    delivery_hint(errno));
		return -1;
	}
	return 0;
}

static int
mbox_read(int fd, uint64_t off, char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = pread(fd, buf, len, (off_t)off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;	/* shrank under the lock */
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Whether the whole entry is at its offset: its SHA-256 matches. */
static int
entry_whole(struct mbox_lock *lk, const struct state_intent *in, int *whole)
{
	unsigned char	 md[STATE_SHA256_LEN];
	char		 buf[65536];
	EVP_MD_CTX	*ctx;
	uint64_t	 off = in->offset, left = in->length;
	size_t		 n;
	int		 rv = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while (left > 0) {
		n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		if (mbox_read(lk->fd, off, buf, n) == -1 ||
		    EVP_DigestUpdate(ctx, buf, n) != 1)
			goto out;
		off += n;
		left -= n;
	}
	if (EVP_DigestFinal_ex(ctx, md, NULL) != 1)
		goto out;
	*whole = memcmp(md, in->entry_sha256, sizeof(md)) == 0;
	rv = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rv;
}

/*
 * Whether the n bytes at the offset can only be the start of our entry:
 * they begin with its From_ line and hold no other line starting "From ".
 * Our quoting keeps such lines out of the entry, and every other mbox
 * writer starts its messages with one, so what follows a torn append is
 * never cut away.
 */
static int
entry_start(const char *p, size_t n, const char *from)
{
	size_t	 flen = strlen(from), i;

	if (n <= flen)
		return memcmp(p, from, n) == 0;
	if (memcmp(p, from, flen) != 0 || p[flen] != '\n')
		return 0;
	for (i = flen; i < n; i++)
		if (p[i] == '\n' && n - i > 5 &&
		    memcmp(p + i + 1, "From ", 5) == 0)
			return 0;
	return 1;
}

int
mbox_find(struct mbox_lock *lk, const struct state_intent *in,
    enum mbox_found *found, char *err, size_t errlen)
{
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 n;
	int		 whole;

	if (fstat(lk->fd, &sb) == -1)
		goto fail;
	if ((uint64_t)sb.st_size <= in->offset) {
		*found = MBOX_ABSENT;
		return 0;
	}
	if ((uint64_t)sb.st_size >= in->offset + in->length) {
		if (entry_whole(lk, in, &whole) == -1)
			goto fail;
		*found = whole ? MBOX_WHOLE : MBOX_OTHER;
		return 0;
	}
	n = (size_t)((uint64_t)sb.st_size - in->offset);
	if ((buf = malloc(n)) == NULL || mbox_read(lk->fd, in->offset, buf,
	    n) == -1)
		goto fail;
	*found = entry_start(buf, n, in->name) ? MBOX_TORN : MBOX_OTHER;
	free(buf);
	return 0;
fail:
	snprintf(err, errlen, "mbox %s: cannot read at offset %llu: %s",
	    lk->path, (unsigned long long)in->offset, strerror(errno));
	free(buf);
	return -1;
}

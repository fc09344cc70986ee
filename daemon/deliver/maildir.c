/* SPDX-License-Identifier: ISC */
/*
 * maildir.c - delivery into Maildir and Maildir++ folders.
 *
 * A message is written to tmp/ under a name no other delivery uses
 * (time.M<usec>P<pid>Q<counter>.<host>,S=<size>, as Dovecot does), made
 * durable, and renamed into new/; the rename is the moment it exists for
 * readers.  Names stay the same in new/, so recovery can look for them.
 */
#define _GNU_SOURCE		/* syncfs(2), O_DIRECT */

#include <sys/stat.h>
#include <sys/time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/deliver/maildir-write.h"
#include "daemon/deliver/target.h"
#include "daemon/deliver/target-util.h"
#include "daemon/util/log.h"
#include "daemon/util/safepath.h"

#define MAILDIR_NAME_MAX	256
#define MAILDIR_TRIES		8
/* The Maildir spec: a file left in tmp/ this long is garbage. */
#define MAILDIR_TMP_STALE	(36 * 60 * 60)

/* An open Maildir: the target's dv->priv. */
struct maildir {
	int			 tmpfd;		/* tmp/, new/, cur/ */
	int			 newfd;
	int			 curfd;
	dev_t			 dev;		/* its file system */
	char			 host[96];	/* for unique names */
	struct maildir_writer	 w;
};

/* Q<counter>: distinct for every delivery of this process, any thread. */
static atomic_ulong	 maildir_counter;

/*
 * Xmsx<start>: our mark in a name, with this process's start time (in
 * clock ticks since boot, /proc/PID/stat), so that a later process can
 * tell that the one which staged a file in tmp/ is gone even when its
 * pid was reused.  0 when /proc cannot say: such files are only swept
 * after MAILDIR_TMP_STALE.
 */
#define MAILDIR_MARK	"Xmsx"

/* The start time of process pid: 0, or -1 with errno (ENOENT: gone). */
static int
maildir_proc_start(long pid, unsigned long long *start)
{
	char	 path[64], buf[1024], *p, *end;
	ssize_t	 n;
	int	 fd, i, e;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	e = errno;
	(void)close(fd);	/* read-only */
	if (n <= 0) {
		errno = n == 0 ? ENOENT : e;	/* exited meanwhile */
		return -1;
	}
	buf[n] = '\0';
	/* after "pid (comm) ": state is field 3, starttime field 22 */
	if ((p = strrchr(buf, ')')) == NULL) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < 20 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	*start = strtoull(p + 1, &end, 10);
	if (errno != 0 || end == p + 1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static unsigned long long
maildir_self_start(void)
{
	static unsigned long long	 start;
	static pid_t			 known;	/* whose start it is */
	unsigned long long		 s;
	pid_t				 self = getpid();

	/* a fork() child has its own; a race between threads computes the
	 * same value twice */
	if (known != self && maildir_proc_start((long)self, &s) == 0) {
		start = s;
		known = self;
	}
	return known == self ? start : 0;
}

/* Digits at p into *v; the end, or NULL when there are none. */
static const char *
maildir_number(const char *p, unsigned long long *v)
{
	char	*end;

	if (*p < '0' || *p > '9')
		return NULL;
	errno = 0;
	*v = strtoull(p, &end, 10);
	return errno != 0 ? NULL : end;
}

/*
 * Whether tmp/name was staged by an earlier mailsift process on this host
 * that is gone: our mark, our host, a known start time, and that pid no
 * longer running or running since another time.  Anything else (another
 * program's file, another host's, a live process's) is not ours to take.
 */
static int
maildir_tmp_orphan(const struct maildir *md, const char *name)
{
	unsigned long long	 v, pid, start, now;
	const char		*p = name;
	size_t			 hlen = strlen(md->host);

	if ((p = maildir_number(p, &v)) == NULL || strncmp(p, ".M", 2) != 0 ||
	    (p = maildir_number(p + 2, &v)) == NULL || *p != 'P' ||
	    (p = maildir_number(p + 1, &pid)) == NULL || *p != 'Q' ||
	    (p = maildir_number(p + 1, &v)) == NULL ||
	    strncmp(p, MAILDIR_MARK, strlen(MAILDIR_MARK)) != 0 ||
	    (p = maildir_number(p + strlen(MAILDIR_MARK), &start)) == NULL ||
	    *p != '.' || strncmp(p + 1, md->host, hlen) != 0 ||
	    (p[1 + hlen] != ',' && p[1 + hlen] != '\0'))
		return 0;
	if (start == 0 || pid == 0 || pid > LONG_MAX ||
	    maildir_self_start() == 0)
		return 0;
	if (maildir_proc_start((long)pid, &now) == -1)
		return errno == ENOENT;
	return now != start;
}

/* The host name with '/' and ':' escaped, as the Maildir spec asks. */
static void
maildir_host(char *out, size_t outlen)
{
	char	 host[256];
	size_t	 i, o = 0;

	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0' && o + 5 < outlen; i++) {
		if (host[i] == '/')
			o += (size_t)snprintf(out + o, outlen - o, "\\057");
		else if (host[i] == ':')
			o += (size_t)snprintf(out + o, outlen - o, "\\072");
		else
			out[o++] = host[i];
	}
	out[o] = '\0';
}

/* Open the directory path below dirfd (AT_FDCWD: path as it is), as
 * safepath.h says, creating it if create; the error names the Maildir. */
static int
maildir_opendir_at(int dirfd, const char *md, const char *path, int create,
    char *err, size_t errlen)
{
	char	 e[PATH_MAX + 128];
	int	 fd, saved;

	if ((fd = safepath_open_dir(dirfd, path, create, e, sizeof(e))) == -1) {
		saved = errno;	/* the callers look at it */
		snprintf(err, errlen, "maildir %s: %s%s", md, e,
		    delivery_hint(saved));
		errno = saved;
	}
	return fd;
}

/* tmp/, new/ and cur/ of the Maildir open at mdfd, created as needed;
 * kept open in fds if it is not NULL. */
static int
maildir_subdirs(int mdfd, const char *md, int *fds, char *err,
    size_t errlen)
{
	static const char *const subs[] = { "tmp", "new", "cur" };
	size_t		 i;
	int		 fd;

	for (i = 0; i < 3; i++) {
		if ((fd = maildir_opendir_at(mdfd, md, subs[i], 1, err,
		    errlen)) == -1) {
			while (fds != NULL && i-- > 0)
				(void)close(fds[i]);	/* read-only */
			return -1;
		}
		if (fds != NULL)
			fds[i] = fd;
		else
			(void)close(fd);	/* a directory, read-only */
	}
	return 0;
}

/* Maildir++: "a/b" is PATH/.a.b, marked by an empty maildirfolder;
 * returns the folder's descriptor and its path in dir. */
static int
maildir_folder(int rootfd, const char *root, const char *folder, char *dir,
    size_t dirlen, char *err, size_t errlen)
{
	char	 name[NAME_MAX + 1];
	size_t	 i, len;
	int	 fd, mf;

	len = (size_t)snprintf(name, sizeof(name), ".%s", folder);
	for (i = 1; i < len && i < sizeof(name); i++)
		if (name[i] == '/')
			name[i] = '.';
	if (len >= sizeof(name) || (size_t)snprintf(dir, dirlen, "%s/%s",
	    root, name) >= dirlen) {
		snprintf(err, errlen, "maildir %s: folder %s: name too long",
		    root, folder);
		return -1;
	}
	if ((fd = maildir_opendir_at(rootfd, root, name, 1, err,
	    errlen)) == -1)
		return -1;
	if ((mf = openat(fd, "maildirfolder", O_WRONLY | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0600)) == -1 || close(mf) == -1) {
		snprintf(err, errlen, "maildir %s: cannot create "
		    "maildirfolder: %s%s", dir, strerror(errno),
		    delivery_hint(errno));
		(void)close(fd);	/* a directory, read-only */
		return -1;
	}
	return fd;
}

/* By path, for recovery: sub/ of the Maildir dir, never through a
 * symlink (safepath.h). */
static int
maildir_opendir(const char *dir, const char *sub, int *fd, char *err,
    size_t errlen)
{
	char	 path[PATH_MAX];

	if (delivery_join(path, sizeof(path), dir, sub) == -1) {
		snprintf(err, errlen, "maildir %s: cannot open %s: %s", dir,
		    sub, strerror(errno));
		return -1;
	}
	*fd = maildir_opendir_at(AT_FDCWD, dir, path, 0, err, errlen);
	return *fd == -1 ? -1 : 0;
}

/*
 * A process that dies between staging and journaling leaves files in tmp/
 * that no intent names; nobody else will remove them.  Ours from a
 * process that is gone go at once (an intent that still names one is
 * settled by recovery just as if the file had never been written: not
 * delivered, fetched again); any file goes after MAILDIR_TMP_STALE.
 */
static void
maildir_clean_tmp(struct delivery *dv)
{
	struct maildir	*md = dv->priv;
	struct dirent	*de;
	struct stat	 sb;
	time_t		 now = time(NULL);
	DIR		*d;
	int		 fd;

	if ((fd = openat(md->tmpfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);	/* read-only */
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || fstatat(md->tmpfd, de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(sb.st_mode) ||
		    (now - sb.st_mtime <= MAILDIR_TMP_STALE &&
		    !maildir_tmp_orphan(md, de->d_name)))
			continue;
		if (unlinkat(md->tmpfd, de->d_name, 0) == -1)
			log_warn("maildir %s: cannot remove the stale tmp/%s: "
			    "%s", dv->path, de->d_name, strerror(errno));
	}
	(void)closedir(d);	/* read-only */
}

static int
maildir_open(struct delivery *dv, const char *folder, char *err,
    size_t errlen)
{
	struct maildir	*md;
	char		 dir[PATH_MAX];
	char		*path;
	struct stat	 sb;
	int		 rootfd, fd = -1, fds[3], rv = -1;

	if ((md = calloc(1, sizeof(*md))) == NULL) {
		snprintf(err, errlen, "maildir %s: out of memory", dv->path);
		return -1;
	}
	md->tmpfd = md->newfd = md->curfd = -1;
	dv->priv = md;
	if ((rootfd = maildir_opendir_at(AT_FDCWD, dv->path, dv->path, 1, err,
	    errlen)) == -1)
		return -1;
	if (maildir_subdirs(rootfd, dv->path, folder == NULL ? fds : NULL,
	    err, errlen) == -1)
		goto out;
	if (folder != NULL) {
		if ((fd = maildir_folder(rootfd, dv->path, folder, dir,
		    sizeof(dir), err, errlen)) == -1)
			goto out;
		if ((path = strdup(dir)) == NULL) {
			snprintf(err, errlen, "maildir %s: out of memory", dir);
			goto out;
		}
		free(dv->path);
		dv->path = path;
		if (maildir_subdirs(fd, dv->path, fds, err, errlen) == -1)
			goto out;
	}
	md->tmpfd = fds[0];
	md->newfd = fds[1];
	md->curfd = fds[2];
	if (fstat(md->tmpfd, &sb) == -1) {
		snprintf(err, errlen, "maildir %s: tmp: %s", dv->path,
		    strerror(errno));
		goto out;
	}
	md->dev = sb.st_dev;
	maildir_host(md->host, sizeof(md->host));
	maildir_clean_tmp(dv);
	rv = 0;
out:
	/* directories, read-only */
	if (fd != -1)
		(void)close(fd);
	(void)close(rootfd);
	return rv;
}

static void
maildir_close(struct delivery *dv)
{
	struct maildir	*md = dv->priv;

	if (md == NULL)
		return;
	/* Directories opened read-only: closing them loses nothing. */
	if (md->tmpfd != -1)
		(void)close(md->tmpfd);
	if (md->newfd != -1)
		(void)close(md->newfd);
	if (md->curfd != -1)
		(void)close(md->curfd);
	maildir_writer_free(&md->w);
	free(md);
	dv->priv = NULL;
}

/* Create tmp/NAME for a message of size bytes; the name goes to name.
 * *direct: asks for O_DIRECT, and says whether the file has it. */
static int
maildir_create(struct delivery *dv, uint64_t size, int *direct, char *name,
    size_t namelen, char *err, size_t errlen)
{
	struct maildir	*md = dv->priv;
	struct timeval	 tv;
	int		 fd, tries;

	for (tries = 0; tries < MAILDIR_TRIES; tries++) {
		if (gettimeofday(&tv, NULL) == -1) {
			snprintf(err, errlen, "maildir %s: clock: %s",
			    dv->path, strerror(errno));
			return -1;
		}
		snprintf(name, namelen, "%lld.M%ldP%ldQ%lu" MAILDIR_MARK
		    "%llu.%s,S=%llu", (long long)tv.tv_sec, (long)tv.tv_usec,
		    (long)getpid(), atomic_fetch_add(&maildir_counter, 1) + 1,
		    maildir_self_start(), md->host,
		    (unsigned long long)size);
		fd = openat(md->tmpfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC | (*direct ? O_DIRECT : 0), 0600);
		if (fd != -1)
			return fd;
		if (errno == EINVAL && *direct) {
			/* no O_DIRECT on this file system */
			md->w.no_direct = 1;
			*direct = 0;
			tries--;
			continue;
		}
		if (errno != EEXIST)
			break;
	}
	snprintf(err, errlen, "maildir %s: cannot create tmp/%s: %s%s",
	    dv->path, name, strerror(errno), delivery_hint(errno));
	return -1;
}

static int
maildir_stage(struct delivery *dv, struct staged *s, const char *data,
    size_t len, int flags, char *err, size_t errlen)
{
	struct maildir	*md = dv->priv;
	struct msg_content *c = &s->in.content;
	char		 name[MAILDIR_NAME_MAX];
	int		 fd, e, direct;

	/* size and Message-ID; the SHA-256 comes with the write */
	if (delivery_digest(data, len, flags | DELIVERY_NO_DIGEST, c) == -1) {
		snprintf(err, errlen, "maildir %s: cannot describe the message",
		    dv->path);
		return -1;
	}
	direct = maildir_direct_wanted(&md->w, c->size);
	if ((fd = maildir_create(dv, c->size, &direct, name, sizeof(name),
	    err, errlen)) == -1)
		return -1;
	if (maildir_write(&md->w, fd, direct, data, len, flags,
	    flags & DELIVERY_NO_DIGEST ? NULL : c->sha256) == -1) {
		e = errno;
		(void)close(fd);	/* the write error says it all */
		goto fail;
	}
	c->hashed = !(flags & DELIVERY_NO_DIGEST);
	if (close(fd) == -1) {
		e = errno;
		goto fail;
	}
	if ((s->in.name = strdup(name)) == NULL) {
		e = ENOMEM;
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "maildir %s: cannot write tmp/%s: %s%s",
	    dv->path, name, strerror(e), delivery_hint(e));
	if (unlinkat(md->tmpfd, name, 0) == -1 && errno != ENOENT)
		snprintf(err + strlen(err), errlen - strlen(err), "; and "
		    "cannot remove it: %s", strerror(errno));
	errno = e;	/* the caller tells a full disk from the rest */
	return -1;
}

static int
maildir_flush_one(struct delivery *dv, char *err, size_t errlen)
{
	struct maildir	*md = dv->priv;

	if (syncfs(md->tmpfd) == -1) {
		snprintf(err, errlen, "maildir %s: cannot flush the new files "
		    "to disk (syncfs): %s%s", dv->path, strerror(errno),
		    delivery_hint(errno));
		return -1;
	}
	return 0;
}

static int
maildir_rename(struct delivery *dv, const char *name, char *err,
    size_t errlen)
{
	struct maildir	*md = dv->priv;

	if (renameat(md->tmpfd, name, md->newfd, name) == -1) {
		snprintf(err, errlen, "maildir %s: cannot move tmp/%s to new/:"
		    " %s%s", dv->path, name, strerror(errno),
		    delivery_hint(errno));
		return -1;
	}
	return 0;
}

static int
maildir_sync_new(struct delivery *dv, char *err, size_t errlen)
{
	struct maildir	*md = dv->priv;

	if (fsync(md->newfd) == -1) {
		snprintf(err, errlen, "maildir %s: cannot sync new/: %s%s",
		    dv->path, strerror(errno), delivery_hint(errno));
		return -1;
	}
	return 0;
}

static int
maildir_unstage(struct staged *s, char *err, size_t errlen)
{
	struct maildir	*md = s->dv->priv;

	if (unlinkat(md->tmpfd, s->in.name, 0) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "maildir %s: cannot remove tmp/%s: %s%s",
		    s->dv->path, s->in.name, strerror(errno),
		    delivery_hint(errno));
		return -1;
	}
	return 0;
}

/* Nothing to take before the intents: a file's name is its place. */
static int
maildir_prepare(struct target_group *g, char *err, size_t errlen)
{
	(void)g;
	(void)err;
	(void)errlen;
	return 0;
}

static void
maildir_release(struct target_group *g)
{
	(void)g;
}

/* Whether an earlier message of the group shares the file system
 * (same_dev) or the Maildir. */
static int
seen_before(const struct target_group *g, size_t i, int same_dev)
{
	const struct maildir	*a, *b = g->v[i]->dv->priv;
	size_t			 j;

	for (j = 0; j < i; j++) {
		a = g->v[j]->dv->priv;
		if (same_dev ? a->dev == b->dev : g->v[j]->dv == g->v[i]->dv)
			return 1;
	}
	return 0;
}

/*
 * One syncfs() per file system and batch instead of one fsync() per
 * file: it writes back and waits for all dirty data and metadata of the
 * file system, so every file written to tmp/ before it is on disk after
 * it, and since Linux 5.8 it reports write-back errors that occurred
 * since the descriptor (tmp/, opened before any file) was opened.  For
 * 2048 files of 47 KB on ext4 it took 0.35 s against 2.0 s for fsync()
 * per file.  The cost: it also waits for other programs' dirty data.
 */
static void
maildir_flush(struct target_group *g, struct target_report *r)
{
	char	 e[512];
	size_t	 i;

	for (i = 0; i < g->n && !r->failed; i++)
		if (!seen_before(g, i, 1) &&
		    maildir_flush_one(g->v[i]->dv, e, sizeof(e)) == -1)
			target_report_error(r, e);
}

/*
 * Rename each file into new/: its commit point; after a failure the
 * rest is taken back.  The renames are durable once each new/ is
 * synced; a new/ that cannot be synced leaves its messages in doubt.
 */
static void
maildir_publish(struct target_group *g, struct target_report *r)
{
	struct staged	*s;
	char		 e[512];
	size_t		 i, j, n = 0;
	int		 ok;

	for (i = 0; i < g->n; i++) {
		s = g->v[i];
		if (s->state != STAGED_JOURNALED)
			continue;
		if (!r->failed && maildir_rename(s->dv, s->in.name, e,
		    sizeof(e)) == -1)
			target_report_error(r, e);
		if (r->failed) {
			staged_undo(s);
			continue;
		}
		s->state = STAGED_VISIBLE;
		delivery_hook("published", ++n);
	}
	for (i = 0; i < g->n; i++) {
		if (g->v[i]->state != STAGED_VISIBLE || seen_before(g, i, 0))
			continue;
		if ((ok = maildir_sync_new(g->v[i]->dv, e, sizeof(e))) == -1)
			target_report_error(r, e);
		for (j = i; ok == -1 && j < g->n; j++)
			if (g->v[j]->dv == g->v[i]->dv &&
			    g->v[j]->state == STAGED_VISIBLE)
				g->v[j]->state = STAGED_DOUBT;
	}
	delivery_hook("dirsynced", 0);
}

/* A reader moving a message to cur/ appends ":2,FLAGS" to its name. */
static int
maildir_find_cur(const char *dir, const char *name, char *err,
    size_t errlen)
{
	DIR		*d = NULL;
	struct dirent	*de;
	size_t		 len = strlen(name);
	int		 fd, found = 0;

	if (maildir_opendir(dir, "cur", &fd, err, errlen) == 0 &&
	    (d = fdopendir(fd)) == NULL)
		(void)close(fd);	/* read-only */
	if (d == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		snprintf(err, errlen, "maildir %s: cannot read cur/: %s", dir,
		    strerror(errno));
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strncmp(de->d_name, name, len) == 0 &&
		    (de->d_name[len] == '\0' || de->d_name[len] == ':')) {
			found = 1;
			break;
		}
	}
	if (de == NULL && errno != 0) {
		snprintf(err, errlen, "maildir %s: cannot read cur/: %s", dir,
		    strerror(errno));
		found = -1;
	}
	(void)closedir(d);	/* read-only */
	return found;
}

static int
maildir_find(const char *dir, const char *name, char *err, size_t errlen)
{
	struct stat	 sb;
	int		 fd, r, e;

	if (maildir_opendir(dir, "new", &fd, err, errlen) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return maildir_find_cur(dir, name, err, errlen);
		return -1;
	}
	r = fstatat(fd, name, &sb, AT_SYMLINK_NOFOLLOW);
	e = errno;
	if (r == -1 && e != ENOENT)
		snprintf(err, errlen, "maildir %s: cannot look at new/%s: %s",
		    dir, name, strerror(e));
	(void)close(fd);	/* read-only */
	if (r == 0)
		return 1;
	if (e != ENOENT)
		return -1;
	return maildir_find_cur(dir, name, err, errlen);
}

static int
maildir_discard(const char *dir, const char *name, char *err, size_t errlen)
{
	int	 fd, e = 0;

	if (maildir_opendir(dir, "tmp", &fd, err, errlen) == -1)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	if (unlinkat(fd, name, 0) == -1 && errno != ENOENT)
		e = errno;
	(void)close(fd);	/* read-only */
	if (e != 0) {
		snprintf(err, errlen, "maildir %s: cannot remove tmp/%s: %s%s",
		    dir, name, strerror(e), delivery_hint(e));
		return -1;
	}
	return 0;
}

static int
maildir_sync_dir(const char *dir, const char *sub, char *err, size_t errlen)
{
	int	 fd, rv = 0;

	if (maildir_opendir(dir, sub, &fd, err, errlen) == -1)
		return -1;
	if (fsync(fd) == -1) {
		snprintf(err, errlen, "maildir %s: cannot sync %s/: %s%s", dir,
		    sub, strerror(errno), delivery_hint(errno));
		rv = -1;
	}
	(void)close(fd);	/* read-only; the sync said what matters */
	return rv;
}

/* After a crash, a rename may sit in the page cache only: make it
 * durable before recording the message. */
static int
maildir_sync_dirs(const char *dir, char *err, size_t errlen)
{
	if (maildir_sync_dir(dir, "new", err, errlen) == -1 ||
	    maildir_sync_dir(dir, "cur", err, errlen) == -1)
		return -1;
	return 0;
}

/* Recovery: the file is in new/ or cur/ -> delivered (made durable
 * first); otherwise tmp/NAME goes and the message is fetched again. */
static void
maildir_settle(const struct config *cfg, const struct state_intent *v,
    size_t n, struct target_settle *st)
{
	char	 e[512];
	size_t	 i;
	int	 r;

	(void)cfg;
	for (i = 0; i < n; i++) {
		if ((r = maildir_find(v[i].path, v[i].name, e,
		    sizeof(e))) == -1) {
			target_settle_fail(st, e);
			continue;
		}
		if (r == 1) {
			if (maildir_sync_dirs(v[i].path, e, sizeof(e)) == -1) {
				target_settle_fail(st, e);
				continue;
			}
			log_info("recovery: maildir %s: %s was delivered "
			    "before the crash", v[i].path, v[i].name);
			target_settle_done(st, v[i].id);
			continue;
		}
		if (maildir_discard(v[i].path, v[i].name, e, sizeof(e)) == -1) {
			target_settle_fail(st, e);
			continue;
		}
		target_settle_undo(st, v[i].id);
	}
}

const struct target target_maildir = {
	.name = "maildir",
	.kind = STATE_MAILDIR,
	.keeps_bytes = 0,
	.open = maildir_open,
	.close = maildir_close,
	.stage = maildir_stage,
	.unstage = maildir_unstage,
	.prepare = maildir_prepare,
	.flush = maildir_flush,
	.publish = maildir_publish,
	.release = maildir_release,
	.settle = maildir_settle,
};

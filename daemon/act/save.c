/* SPDX-License-Identifier: ISC */
/*
 * save.c - save-attachments: the decoded bytes of the parts the rule
 * selected, written under a directory (created, 0700) with safe names,
 * never overwriting (safename.c) and never through a symlink
 * (safepath.c); with dedupe, content already saved there (by SHA-256)
 * is not saved again.  Each file is written whole under a temporary
 * name first and only then linked under its own (see save_part()), so a
 * kill never leaves a short file under a real name, and the next round
 * neither saves it twice nor leaves the temporary behind.  A save that
 * no later round could make work (a symlink in the way, a name the file
 * system refuses) is logged with the message's key, recorded as done
 * and skipped: it never holds the message back.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "mime/mime.h"
#include "rules/rules.h"
#include "daemon/act/save.h"
#include "daemon/conf/conf-text.h"
#include "daemon/deliver/deliver.h"
#include "daemon/util/guard.h"
#include "daemon/util/log.h"
#include "daemon/store/outbox.h"
#include "daemon/util/safename.h"
#include "daemon/util/safepath.h"

/* Our temporaries: hidden, and never a name safename_make() gives. */
#define SAVE_TMP_PREFIX	".mailsift-tmp."
/* A temporary of ours this old with no second name is a partial file of
 * a message never fetched again: removed (as the Maildir spec does for
 * tmp/).  One with a second name costs no space and still tells a later
 * round that its file is in place: kept. */
#define SAVE_TMP_STALE	(36 * 60 * 60)
/* Directories swept once per process; beyond these, none. */
#define SAVE_SWEPT_MAX	64

static pthread_mutex_t	 save_swept_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	dev_t	 dev;
	ino_t	 ino;
}			 save_swept[SAVE_SWEPT_MAX];
static size_t		 save_nswept;

/* "~/x" to "$HOME/x" into out. */
static int
expand_home(const char *path, char *out, size_t outlen)
{
	char	*p;
	int	 n;

	/* the same rules as the configuration's paths */
	if (conf_path_expand(path, &p) != NULL)
		return -1;
	n = snprintf(out, outlen, "%s", p);
	free(p);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

struct save_sink {
	int		 fd;
	EVP_MD_CTX	*md;
	int		 error;
};

static int
save_write(void *ctx, const char *data, size_t len)
{
	struct save_sink	*s = ctx;

	if (s->md != NULL && EVP_DigestUpdate(s->md, data, len) != 1)
		return -1;
	if (s->fd != -1 && delivery_write(s->fd, data, len) == -1) {
		s->error = errno;
		return -1;
	}
	return 0;
}

/* SHA-256 of a part's decoded bytes, as hex. */
static int
part_digest(const struct mime_part *p, char *hex)
{
	struct save_sink s = { -1, NULL, 0 };
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned	 n = 0, i;
	int		 rv = -1;

	if ((s.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s.md, EVP_sha256(), NULL) != 1)
		goto out;
	if (mime_part_decode(p, save_write, &s) == -1 ||
	    EVP_DigestFinal_ex(s.md, md, &n) != 1)
		goto out;
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	rv = 0;
out:
	EVP_MD_CTX_free(s.md);
	return rv;
}

/*
 * Errors no later round can fix: the path or the name is wrong for this
 * file system or goes through a symlink.  Such a save is reported,
 * recorded as done and skipped, so the rest of the plan goes on; the
 * others (disk full, I/O, permissions) leave the message for the next
 * round.
 */
static int
save_error_lasting(int e)
{
	switch (e) {
	case ELOOP:
	case ENOTDIR:
	case EISDIR:
	case ENAMETOOLONG:
	case EEXIST:
	case EILSEQ:
	case EINVAL:
		return 1;
	default:
		return 0;
	}
}

/*
 * The temporary of part i of the action key: ".mailsift-tmp." and 24 hex
 * digits of SHA-256(key, i), the same in every round, so the round after
 * a kill finds what the killed one left.  A sender chooses neither.
 */
static int
save_tmp_name(const char *key, size_t i, char *out, size_t outlen)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	char		 buf[4200];
	unsigned	 n = 0, j;
	int		 len;

	len = snprintf(buf, sizeof(buf), "%s%c%zu", key, '\0', i);
	if (len < 0 || (size_t)len >= sizeof(buf) ||
	    EVP_Digest(buf, (size_t)len, md, &n, EVP_sha256(), NULL) != 1 ||
	    outlen < sizeof(SAVE_TMP_PREFIX) + 24)
		return -1;
	len = snprintf(out, outlen, "%s", SAVE_TMP_PREFIX);
	for (j = 0; j < 12; j++)
		snprintf(out + len + 2 * j, 3, "%02x", md[j]);
	return 0;
}

/*
 * What an earlier, killed round left under tmp: 1 when the file is also
 * linked under its real name (saved; only the record was missing), 0
 * when nothing is there any more (a partial file is removed), -1 with
 * errno when it is not ours to judge.
 */
static int
save_tmp_settle(int dirfd, const char *tmp)
{
	struct stat	 sb;

	if (fstatat(dirfd, tmp, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISREG(sb.st_mode) || sb.st_uid != geteuid()) {
		errno = EEXIST;		/* not our temporary */
		return -1;
	}
	if (sb.st_nlink >= 2)
		return 1;
	if (unlinkat(dirfd, tmp, 0) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

/* The part's file under its own name, or when the file system refuses
 * that name, under the part's fallback name. */
static int
save_link(int dirfd, const char *tmp, const char *name, const char *fallback,
    char *used)
{
	if (safename_link(dirfd, tmp, name, used) == 0)
		return 0;
	if (!save_error_lasting(errno) || strcmp(name, fallback) == 0)
		return -1;
	return safename_link(dirfd, tmp, fallback, used);
}

/* Write the decoded part to tmp and make it durable; -1 with errno, the
 * temporary removed. */
static int
save_write_tmp(int dirfd, const char *tmp, const struct mime_part *p)
{
	struct save_sink s = { -1, NULL, 0 };
	int		 e;

	if ((s.fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		return -1;
	if (mime_part_decode(p, save_write, &s) == -1 ||
	    fdatasync(s.fd) == -1) {
		e = s.error != 0 ? s.error : errno;
		goto fail;
	}
	if (close(s.fd) == -1) {
		e = errno;
		s.fd = -1;
		goto fail;
	}
	return 0;
fail:
	if (s.fd != -1)
		(void)close(s.fd);	/* failed already */
	(void)unlinkat(dirfd, tmp, 0);
	errno = e;
	return -1;
}

/*
 * Part i: written whole to its temporary, flushed, then linked under a
 * safe name that replaces nothing.  The temporary stays (a second link)
 * until the action is recorded, so a kill at any point leaves either no
 * file under a real name or a whole one that the next round recognises.
 * 0 saved, 1 given up for good (reported), -1 failed for this round.
 */
static int
save_part(int dirfd, const char *dir, const struct mime_part *p,
    const char *key, size_t i)
{
	char		 path[64], fallback[96], name[SAFENAME_MAX + 1];
	char		 used[SAFENAME_OUT_MAX], tmp[64];
	int		 e, r;

	if (save_tmp_name(key, i, tmp, sizeof(tmp)) == -1) {
		log_error("%s: save-attachments: key too long", key);
		return -1;
	}
	if ((r = save_tmp_settle(dirfd, tmp)) == 1) {
		log_info("%s: save-attachments: part %zu was saved in %s "
		    "before a crash", key, i + 1, dir);
		return 0;
	}
	if (mime_part_path(p, path, sizeof(path)) == -1)
		snprintf(path, sizeof(path), "x");
	snprintf(fallback, sizeof(fallback), "part-%s.bin", path);
	safename_make(mime_part_filename(p), fallback, name);
	if (r == -1 || save_write_tmp(dirfd, tmp, p) == -1) {
		/* EEXIST: a file of someone else's under our temporary */
		e = errno;
		log_error("%s: save-attachments: writing %s/%s: %s%s%s", key,
		    dir, tmp, strerror(e), delivery_hint(e),
		    e == EEXIST ? "; not saved, and not tried again" : "");
		return e == EEXIST ? 1 : -1;
	}
	delivery_hook("save-written", i);
	if (save_link(dirfd, tmp, name, fallback, used) == -1) {
		e = errno;
		(void)unlinkat(dirfd, tmp, 0);
		log_error("%s: save-attachments: cannot create %s/%s: %s%s",
		    key, dir, name, strerror(e), save_error_lasting(e) ?
		    "; not saved, and not tried again" : "");
		return save_error_lasting(e) ? 1 : -1;
	}
	delivery_hook("save-linked", i);
	log_info("%s: saved %s/%s", key, dir, used);
	return 0;
}

/* Whether dirfd is still to be swept by this process (and now is not). */
static int
save_sweep_due(int dirfd)
{
	struct stat	 sb;
	size_t		 i;
	int		 due = 0;

	if (fstat(dirfd, &sb) == -1 ||
	    pthread_mutex_lock(&save_swept_lock) != 0)
		return 0;
	for (i = 0; i < save_nswept; i++)
		if (save_swept[i].dev == sb.st_dev &&
		    save_swept[i].ino == sb.st_ino)
			break;
	if (i == save_nswept && save_nswept < SAVE_SWEPT_MAX) {
		save_swept[save_nswept].dev = sb.st_dev;
		save_swept[save_nswept++].ino = sb.st_ino;
		due = 1;
	}
	(void)pthread_mutex_unlock(&save_swept_lock);
	return due;
}

/* The first save into a directory in this process removes the stale
 * partial temporaries there (see SAVE_TMP_STALE). */
static void
save_sweep(int dirfd, const char *dir)
{
	struct dirent	*de;
	struct stat	 sb;
	time_t		 now = time(NULL);
	DIR		*d;
	int		 fd;

	if (!save_sweep_due(dirfd) || (fd = openat(dirfd, ".", O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);	/* read-only */
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, SAVE_TMP_PREFIX,
		    strlen(SAVE_TMP_PREFIX)) != 0 ||
		    fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
		    sb.st_nlink != 1 || now - sb.st_mtime <= SAVE_TMP_STALE)
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == -1)
			log_warn("save-attachments: cannot remove the stale "
			    "%s/%s: %s", dir, de->d_name, strerror(errno));
		else
			log_info("save-attachments: removed the stale %s/%s",
			    dir, de->d_name);
	}
	(void)closedir(d);	/* read-only */
}

/* Remove the temporaries of the action's parts: its record is made. */
static void
save_tmps_remove(int dirfd, const char *key, size_t n)
{
	char	 tmp[64];
	size_t	 i;

	for (i = 0; i < n; i++)
		if (save_tmp_name(key, i, tmp, sizeof(tmp)) == 0)
			(void)unlinkat(dirfd, tmp, 0);	/* ENOENT: none */
}

static int
save_one(struct state *st, int dirfd, const char *dir,
    const struct mime_part *p, int dedupe, const char *key, size_t i)
{
	char	 hex[2 * EVP_MAX_MD_SIZE + 1], dkey[4600], err[512];
	int	 r;

	if (!dedupe)
		return save_part(dirfd, dir, p, key, i);
	if (part_digest(p, hex) == -1)
		return -1;
	snprintf(dkey, sizeof(dkey), "saved:%s:%s", dir, hex);
	if ((r = state_action_done(st, dkey, err, sizeof(err))) == -1) {
		log_error("%s", err);
		return -1;
	}
	if (r == 1)
		return 0;	/* the same bytes are there already */
	if ((r = save_part(dirfd, dir, p, key, i)) != 0)
		return r;
	/* recorded only once its name is durable */
	if (fsync(dirfd) == -1) {
		log_error("%s: save-attachments: %s: %s", key, dir,
		    strerror(errno));
		return -1;
	}
	if (state_action_mark(st, dkey, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

/* The directory, created as needed and never through a symlink (see
 * safepath.h); -1 for this round, -2 for good (reported). */
static int
save_dir_open(const struct rule_action *a, const char *key, int create,
    char *dir, size_t dirlen)
{
	char	 err[PATH_MAX + 256];
	int	 fd;

	if (expand_home(rule_action_target(a), dir, dirlen) == -1) {
		log_error("%s: save-attachments: directory %s: not / or ~/ "
		    "with HOME set, or too long", key, rule_action_target(a));
		return -1;
	}
	if ((fd = safepath_open_dir(AT_FDCWD, dir, create, err,
	    sizeof(err))) != -1 || !create)
		return fd;
	if (!save_error_lasting(errno)) {
		log_error("%s: save-attachments: %s", key, err);
		return -1;
	}
	log_error("%s: save-attachments: %s; nothing saved, and not tried "
	    "again", key, err);
	return -2;
}

/* Recorded before a kill took the temporaries' removal with it. */
static void
save_done_before(const struct rule_action *a, const char *key)
{
	char	 dir[4096];
	int	 dirfd;

	if ((dirfd = save_dir_open(a, key, 0, dir, sizeof(dir))) < 0)
		return;
	save_tmps_remove(dirfd, key, rule_action_part_count(a));
	(void)close(dirfd);	/* a directory, read-only */
}

/*
 * The order, as for a delivery: every file whole and flushed under its
 * temporary, linked into place, the directory fsynced, the action
 * recorded; only then are the temporaries removed.
 */
int
save_attachments(struct state *st, const struct rule_action *a,
    const char *key, const char *account)
{
	char	 dir[4096], err[512];
	size_t	 i, n = rule_action_part_count(a);
	int	 dirfd, r, rv = 0;

	(void)account;		/* key names the account and the message */
	if ((r = state_action_done(st, key, err, sizeof(err))) != 0) {
		if (r == -1)
			log_error("%s", err);
		else
			save_done_before(a, key);
		return r == 1 ? 0 : -1;
	}
	/* the message is left for the lease's next holder */
	if (!guard_ok()) {
		log_warn("%s: save-attachments: not saved: the account's lease "
		    "is lost or given back", key);
		return -1;
	}
	if ((dirfd = save_dir_open(a, key, 1, dir, sizeof(dir))) == -1)
		return -1;
	if (dirfd >= 0)
		save_sweep(dirfd, dir);
	for (i = 0; dirfd >= 0 && i < n && rv != -1; i++)
		rv = save_one(st, dirfd, dir, rule_action_part(a, i),
		    rule_action_dedupe(a), key, i);
	if (dirfd >= 0 && rv != -1 && fsync(dirfd) == -1) {
		log_error("%s: save-attachments: %s: %s", key, dir,
		    strerror(errno));
		rv = -1;
	}
	if (rv != -1) {
		delivery_hook("save-synced", 0);
		if (state_action_mark(st, key, err, sizeof(err)) == -1) {
			log_error("%s", err);
			rv = -1;
		} else
			delivery_hook("save-marked", 0);
	}
	if (dirfd >= 0) {
		if (rv != -1)
			save_tmps_remove(dirfd, key, n);
		(void)close(dirfd);	/* a directory, read-only */
	}
	return rv == -1 ? -1 : 0;
}

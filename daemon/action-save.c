/*
 * action-save.c - save-attachments: the decoded bytes of the parts the rule
 * selected, written under a directory (created, 0700) with safe names,
 * never overwriting (safename.c) and never through a symlink
 * (safepath.c); with dedupe, content already saved there (by SHA-256)
 * is not saved again.  Each file is fsynced before the action counts as
 * done.  A save that no later round could make work (a symlink in the
 * way, a name the file system refuses) is logged with the message's key,
 * recorded as done and skipped: it never holds the message back.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "mime/mime.h"
#include "rules/rules.h"
#include "daemon/action.h"
#include "daemon/deliver.h"
#include "daemon/log.h"
#include "daemon/outbox.h"
#include "daemon/safename.h"
#include "daemon/safepath.h"

int
action_expand_home(const char *path, char *out, size_t outlen)
{
	const char	*home = getenv("HOME");
	int		 n;

	if (strncmp(path, "~/", 2) != 0)
		n = snprintf(out, outlen, "%s", path);
	else if (home == NULL || *home == '\0')
		return -1;
	else
		n = snprintf(out, outlen, "%s/%s", home, path + 2);
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

/* The file for a part: its own name, or when the file system refuses
 * that name, the part's fallback name. */
static int
save_create(int dirfd, const char *name, const char *fallback, char *used)
{
	int	 fd;

	if ((fd = safename_create(dirfd, name, used)) != -1 ||
	    !save_error_lasting(errno) || strcmp(name, fallback) == 0)
		return fd;
	return safename_create(dirfd, fallback, used);
}

/* 0 saved, 1 given up for good (reported), -1 failed for this round. */
static int
save_part(int dirfd, const char *dir, const struct mime_part *p,
    const char *key)
{
	struct save_sink s = { -1, NULL, 0 };
	char		 path[64], fallback[96], name[SAFENAME_MAX + 1];
	char		 used[SAFENAME_OUT_MAX];
	int		 e;

	if (mime_part_path(p, path, sizeof(path)) == -1)
		snprintf(path, sizeof(path), "x");
	snprintf(fallback, sizeof(fallback), "part-%s.bin", path);
	safename_make(mime_part_filename(p), fallback, name);
	if ((s.fd = save_create(dirfd, name, fallback, used)) == -1) {
		e = errno;
		log_error("%s: save-attachments: cannot create %s/%s: %s%s",
		    key, dir, name, strerror(e), save_error_lasting(e) ?
		    "; not saved, and not tried again" : "");
		return save_error_lasting(e) ? 1 : -1;
	}
	if (mime_part_decode(p, save_write, &s) == -1 || fsync(s.fd) == -1) {
		log_error("%s: save-attachments: writing %s/%s: %s", key,
		    dir, used, strerror(s.error != 0 ? s.error : errno));
		close(s.fd);
		unlinkat(dirfd, used, 0);
		return -1;
	}
	if (close(s.fd) == -1) {
		log_error("%s: save-attachments: %s/%s: %s", key, dir,
		    used, strerror(errno));
		return -1;
	}
	log_info("%s: saved %s/%s", key, dir, used);
	return 0;
}

static int
save_one(struct state *st, int dirfd, const char *dir,
    const struct mime_part *p, int dedupe, const char *key)
{
	char	 hex[2 * EVP_MAX_MD_SIZE + 1], dkey[4600], err[512];
	int	 r;

	if (!dedupe)
		return save_part(dirfd, dir, p, key);
	if (part_digest(p, hex) == -1)
		return -1;
	snprintf(dkey, sizeof(dkey), "saved:%s:%s", dir, hex);
	if ((r = state_action_done(st, dkey, err, sizeof(err))) == -1) {
		log_error("%s", err);
		return -1;
	}
	if (r == 1)
		return 0;	/* the same bytes are there already */
	if ((r = save_part(dirfd, dir, p, key)) != 0)
		return r;
	if (state_action_mark(st, dkey, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

/* The directory, created as needed and never through a symlink (see
 * safepath.h); -1 for this round, -2 for good (reported). */
static int
save_dir_open(const struct rule_action *a, const char *key, char *dir,
    size_t dirlen)
{
	char	 err[PATH_MAX + 256];
	int	 fd;

	if (action_expand_home(rule_action_target(a), dir, dirlen) == -1) {
		log_error("%s: save-attachments: directory %s: HOME not set "
		    "or path too long", key, rule_action_target(a));
		return -1;
	}
	if ((fd = safepath_open_dir(AT_FDCWD, dir, 1, err,
	    sizeof(err))) != -1)
		return fd;
	if (!save_error_lasting(errno)) {
		log_error("%s: save-attachments: %s", key, err);
		return -1;
	}
	log_error("%s: save-attachments: %s; nothing saved, and not tried "
	    "again", key, err);
	return -2;
}

int
action_save_attachments(struct state *st, const struct rule_action *a,
    const char *key, const char *account)
{
	char	 dir[4096], err[512];
	size_t	 i;
	int	 dirfd, r, rv = 0;

	(void)account;		/* key names the account and the message */
	if ((r = state_action_done(st, key, err, sizeof(err))) != 0) {
		if (r == -1)
			log_error("%s", err);
		return r == 1 ? 0 : -1;
	}
	if ((dirfd = save_dir_open(a, key, dir, sizeof(dir))) == -1)
		return -1;
	for (i = 0; dirfd >= 0 && i < rule_action_part_count(a) && rv != -1;
	    i++)
		rv = save_one(st, dirfd, dir, rule_action_part(a, i),
		    rule_action_dedupe(a), key);
	if (dirfd >= 0) {
		if (rv != -1 && fsync(dirfd) == -1)
			rv = -1;
		close(dirfd);
	}
	if (rv == -1)
		return -1;
	if (state_action_mark(st, key, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

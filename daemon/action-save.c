/*
 * action-save.c - save-attachments: the decoded bytes of the parts the rule
 * selected, written under a directory (created, 0700) with safe names,
 * never overwriting and never through a symlink (safename.c); with
 * dedupe, content already saved there (by SHA-256) is not saved again.
 * Each file is fsynced before the action counts as done.
 */
#include <errno.h>
#include <fcntl.h>
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

static int
save_part(int dirfd, const char *dir, const struct mime_part *p,
    const char *account)
{
	struct save_sink s = { -1, NULL, 0 };
	char		 path[64], fallback[96], name[SAFENAME_MAX + 1];
	char		 used[SAFENAME_MAX + 16];

	if (mime_part_path(p, path, sizeof(path)) == -1)
		snprintf(path, sizeof(path), "x");
	snprintf(fallback, sizeof(fallback), "part-%s.bin", path);
	safename_make(mime_part_filename(p), fallback, name);
	if ((s.fd = safename_create(dirfd, name, used)) == -1) {
		log_error("%s: save-attachments: cannot create %s/%s: %s",
		    account, dir, name, strerror(errno));
		return -1;
	}
	if (mime_part_decode(p, save_write, &s) == -1 || fsync(s.fd) == -1) {
		log_error("%s: save-attachments: writing %s/%s: %s", account,
		    dir, used, strerror(s.error != 0 ? s.error : errno));
		close(s.fd);
		unlinkat(dirfd, used, 0);
		return -1;
	}
	if (close(s.fd) == -1) {
		log_error("%s: save-attachments: %s/%s: %s", account, dir,
		    used, strerror(errno));
		return -1;
	}
	log_info("%s: saved %s/%s", account, dir, used);
	return 0;
}

static int
save_one(struct state *st, int dirfd, const char *dir,
    const struct mime_part *p, int dedupe, const char *account)
{
	char	 hex[2 * EVP_MAX_MD_SIZE + 1], key[4600], err[512];
	int	 r;

	if (!dedupe)
		return save_part(dirfd, dir, p, account);
	if (part_digest(p, hex) == -1)
		return -1;
	snprintf(key, sizeof(key), "saved:%s:%s", dir, hex);
	if ((r = state_action_done(st, key, err, sizeof(err))) == -1) {
		log_error("%s", err);
		return -1;
	}
	if (r == 1)
		return 0;	/* the same bytes are there already */
	if (save_part(dirfd, dir, p, account) == -1 ||
	    state_action_mark(st, key, err, sizeof(err)) == -1)
		return -1;
	return 0;
}

int
action_save_attachments(struct state *st, const struct rule_action *a,
    const char *key, const char *account)
{
	char	 dir[4096], err[512];
	size_t	 i;
	int	 dirfd, r, rv = 0;

	if ((r = state_action_done(st, key, err, sizeof(err))) != 0) {
		if (r == -1)
			log_error("%s", err);
		return r == 1 ? 0 : -1;
	}
	if (action_expand_home(rule_action_target(a), dir, sizeof(dir)) == -1) {
		log_error("%s: save-attachments: directory %s: HOME not set "
		    "or path too long", account, rule_action_target(a));
		return -1;
	}
	if (delivery_mkdirs(dir, err, sizeof(err)) == -1) {
		log_error("%s: save-attachments: %s", account, err);
		return -1;
	}
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_error("%s: save-attachments: directory %s: %s", account,
		    dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < rule_action_part_count(a) && rv == 0; i++)
		rv = save_one(st, dirfd, dir, rule_action_part(a, i),
		    rule_action_dedupe(a), account);
	if (rv == 0 && fsync(dirfd) == -1)
		rv = -1;
	close(dirfd);
	if (rv == 0 && state_action_mark(st, key, err, sizeof(err)) == -1) {
		log_error("%s", err);
		rv = -1;
	}
	return rv;
}

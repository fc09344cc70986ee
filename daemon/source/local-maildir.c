/* SPDX-License-Identifier: ISC */
/*
 * local-maildir.c - the maildir source: the messages in a Maildir's new/
 * and cur/.
 *
 * A message is keyed by its unique name (the part before ':'), so it is
 * delivered once however often the Maildir is read, whatever flags a
 * reader adds to its name.  With keep = no (or a delete rule) a file is
 * unlinked only after its delivery is committed, or when an earlier
 * round recorded it delivered.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/pipeline/pipeline.h"
#include "daemon/source/local.h"
#include "daemon/source/source.h"
#include "daemon/util/guard.h"
#include "daemon/util/log.h"
#include "daemon/util/mailfile.h"
#include "daemon/util/stop.h"

struct maildir_src {
	const struct account	*acct;
	struct pipeline		*pl;
	char			**paths;	/* files by seq */
	size_t			 npaths;
};

static void
maildir_remove(struct maildir_src *m, size_t i)
{
	/* recorded: the lease's next holder removes it (known) */
	if (!guard_ok()) {
		log_warn("%s: %s not removed: the account's lease is lost or "
		    "given back", m->acct->name, m->paths[i]);
		return;
	}
	if (unlink(m->paths[i]) == -1 && errno != ENOENT)
		log_warn("%s: cannot remove %s: %s", m->acct->name,
		    m->paths[i], strerror(errno));
}

static void
maildir_committed(void *ctx, const struct fetch_key *k)
{
	struct maildir_src *m = ctx;

	if ((m->acct->keep && !k->remove) || k->seq >= m->npaths)
		return;
	maildir_remove(m, k->seq);
}

/* "1700000000.M1P2.host:2,S" -> "1700000000.M1P2.host" */
static void
maildir_key(const char *name, char *out, size_t len)
{
	size_t	 n = strcspn(name, ":");

	if (n >= len)
		n = len - 1;
	memcpy(out, name, n);
	out[n] = '\0';
}

static int
maildir_paths_add(struct maildir_src *m, const char *dir, const char *name)
{
	char	**np, *p;
	size_t	 len = strlen(dir) + strlen(name) + 2;

	if ((np = reallocarray(m->paths, m->npaths + 1, sizeof(*np))) == NULL)
		return -1;
	m->paths = np;
	if ((p = malloc(len)) == NULL)
		return -1;
	snprintf(p, len, "%s/%s", dir, name);
	m->paths[m->npaths++] = p;
	return 0;
}

static int
maildir_scan(struct maildir_src *m, const char *sub)
{
	char		 dir[4096];
	DIR		*d;
	struct dirent	*e;

	snprintf(dir, sizeof(dir), "%s/%s", m->acct->path, sub);
	if ((d = opendir(dir)) == NULL) {
		log_error("%s: cannot read %s: %s", m->acct->name, dir,
		    strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (maildir_paths_add(m, dir, e->d_name) == -1) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static int
maildir_one(struct maildir_src *m, size_t i, const char *key)
{
	struct mailfile	 mf;
	char		 err[512];
	int		 rv;

	if (mailfile_open(&mf, m->paths[i], err, sizeof(err)) == -1) {
		/* a reader moved it meanwhile: it is not lost, just gone */
		log_warn("%s: %s", m->acct->name, err);
		return 0;
	}
	rv = local_add(m->pl, key, (unsigned)i, mf.data, mf.len);
	mailfile_close(&mf);
	return rv;
}

/* keys[i]: the key of paths[i], in kbuf[i] (freed by the caller). */
static int
maildir_keys(struct maildir_src *m, char **kbuf, const char **keys)
{
	char	*base;
	size_t	 i;

	for (i = 0; i < m->npaths; i++) {
		base = strrchr(m->paths[i], '/') + 1;
		if ((kbuf[i] = malloc(strlen(base) + 1)) == NULL)
			return -1;
		maildir_key(base, kbuf[i], strlen(base) + 1);
		keys[i] = kbuf[i];
	}
	return 0;
}

static int
maildir_deliver_new(struct maildir_src *m)
{
	const char	**keys = NULL;
	unsigned char	*known = NULL;
	char		**kbuf = NULL;
	size_t		 i;
	int		 rv = -1;

	keys = calloc(m->npaths, sizeof(*keys));
	kbuf = calloc(m->npaths, sizeof(*kbuf));
	known = calloc(m->npaths, 1);
	if (keys == NULL || kbuf == NULL || known == NULL ||
	    maildir_keys(m, kbuf, keys) == -1 ||
	    pipeline_known_uidls(m->pl, keys, m->npaths, known) == -1)
		goto out;
	for (i = 0; i < m->npaths && !stop_requested(); i++) {
		if (known[i]) {
			/* delivered in an earlier round: gone with keep = no */
			if (known[i] == 1 && !m->acct->keep)
				maildir_remove(m, i);
			continue;
		}
		if (maildir_one(m, i, keys[i]) == -1)
			goto out;
	}
	rv = pipeline_flush(m->pl);
out:
	for (i = 0; kbuf != NULL && i < m->npaths; i++)
		free(kbuf[i]);
	free(kbuf);
	free(keys);
	free(known);
	return rv;
}

static int
maildir_fetch(const struct account *acct, struct pipeline *pl)
{
	struct maildir_src m;
	size_t		 i;
	int		 rv = 0;

	memset(&m, 0, sizeof(m));
	m.acct = acct;
	m.pl = pl;
	pipeline_set_committed(pl, maildir_committed, &m);
	if (maildir_scan(&m, "new") == -1 || maildir_scan(&m, "cur") == -1)
		rv = -1;
	else if (m.npaths > 0)
		rv = maildir_deliver_new(&m);
	pipeline_set_committed(pl, NULL, NULL);
	for (i = 0; i < m.npaths; i++)
		free(m.paths[i]);
	free(m.paths);
	return rv;
}

const struct source source_maildir = {
	ACCT_MAILDIR, "maildir", SOURCE_PATH | SOURCE_DELETE, maildir_fetch
};

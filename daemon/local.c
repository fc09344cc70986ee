/*
 * local.c - local sources: a Maildir, an mbox file, or one message on
 * standard input (mailsift as an MDA).
 *
 * Maildir messages are keyed by their unique name (the part before ':'),
 * mbox messages by the SHA-256 of their bytes, so a message is delivered
 * once however often the source is read.  With keep = no a Maildir file
 * is unlinked after its delivery is committed; an mbox is emptied only if
 * every message in it was committed and nobody appended meanwhile.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "daemon/fetch.h"
#include "daemon/log.h"
#include "daemon/mailfile.h"

struct local {
	const struct account	*acct;
	struct pipeline		*pl;
	char			**paths;	/* Maildir: files by seq */
	size_t			 npaths;
	size_t			 ncommitted;
};

static void
on_committed(void *ctx, const struct fetch_key *k)
{
	struct local	*l = ctx;

	l->ncommitted++;
	if ((l->acct->keep && !k->remove) || l->acct->type != ACCT_MAILDIR ||
	    k->seq >= l->npaths)
		return;
	if (unlink(l->paths[k->seq]) == -1 && errno != ENOENT)
		log_warn("%s: cannot remove %s: %s", l->acct->name,
		    l->paths[k->seq], strerror(errno));
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
paths_add(struct local *l, const char *dir, const char *name)
{
	char	**np, *p;
	size_t	 len = strlen(dir) + strlen(name) + 2;

	if ((np = reallocarray(l->paths, l->npaths + 1, sizeof(*np))) == NULL)
		return -1;
	l->paths = np;
	if ((p = malloc(len)) == NULL)
		return -1;
	snprintf(p, len, "%s/%s", dir, name);
	l->paths[l->npaths++] = p;
	return 0;
}

static int
maildir_scan(struct local *l, const char *sub)
{
	char		 dir[4096];
	DIR		*d;
	struct dirent	*e;

	snprintf(dir, sizeof(dir), "%s/%s", l->acct->path, sub);
	if ((d = opendir(dir)) == NULL) {
		log_error("%s: cannot read %s: %s", l->acct->name, dir,
		    strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (paths_add(l, dir, e->d_name) == -1) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static int
deliver_file(struct local *l, size_t i, const char *key)
{
	struct mailfile	 mf;
	struct fetch_key k;
	char		 err[512], *copy;
	int		 rv;

	if (mailfile_open(&mf, l->paths[i], err, sizeof(err)) == -1) {
		/* a reader moved it meanwhile: it is not lost, just gone */
		log_warn("%s: %s", l->acct->name, err);
		return 0;
	}
	if ((copy = malloc(mf.len + 1)) == NULL) {
		mailfile_close(&mf);
		return -1;
	}
	memcpy(copy, mf.data, mf.len);
	memset(&k, 0, sizeof(k));
	k.folder = "";
	k.uidl = key;
	k.seq = (unsigned)i;
	rv = pipeline_add(l->pl, &k, copy, mf.len);
	free(copy);
	mailfile_close(&mf);
	return rv;
}

static int
maildir_fetch(struct local *l)
{
	const char	**keys = NULL;
	unsigned char	*known = NULL;
	char		**kbuf = NULL, *base;
	size_t		 i;
	int		 rv = -1;

	if (maildir_scan(l, "new") == -1 || maildir_scan(l, "cur") == -1)
		return -1;
	if (l->npaths == 0)
		return 0;
	keys = calloc(l->npaths, sizeof(*keys));
	kbuf = calloc(l->npaths, sizeof(*kbuf));
	known = calloc(l->npaths, 1);
	if (keys == NULL || kbuf == NULL || known == NULL)
		goto out;
	for (i = 0; i < l->npaths; i++) {
		base = strrchr(l->paths[i], '/') + 1;
		if ((kbuf[i] = malloc(strlen(base) + 1)) == NULL)
			goto out;
		maildir_key(base, kbuf[i], strlen(base) + 1);
		keys[i] = kbuf[i];
	}
	if (pipeline_known_uidls(l->pl, keys, l->npaths, known) == -1)
		goto out;
	for (i = 0; i < l->npaths && !fetch_should_stop(); i++) {
		if (known[i]) {
			if (known[i] == 1 && !l->acct->keep)
				on_committed(l, &(struct fetch_key){ "", 0, 0,
				    keys[i], (unsigned)i, 0 });
			continue;
		}
		if (deliver_file(l, i, keys[i]) == -1)
			goto out;
	}
	rv = pipeline_flush(l->pl);
out:
	for (i = 0; kbuf != NULL && i < l->npaths; i++)
		free(kbuf[i]);
	free(kbuf);
	free(keys);
	free(known);
	return rv;
}

static void
hex_sha256(const char *data, size_t len, char *out)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned	 mdlen = 0, i;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		mdlen = 0;
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[2 * mdlen] = '\0';
}

/* The next "From " line at a line start from off, or len. */
static size_t
mbox_next(const char *s, size_t len, size_t off)
{
	const char	*p;

	while (off < len) {
		if (len - off >= 5 && memcmp(s + off, "From ", 5) == 0 &&
		    (off == 0 || s[off - 1] == '\n'))
			return off;
		if ((p = memchr(s + off, '\n', len - off)) == NULL)
			return len;
		off = (size_t)(p - s) + 1;
	}
	return len;
}

static int
mbox_one(struct local *l, const char *s, size_t start, size_t end,
    unsigned seq)
{
	struct fetch_key k;
	unsigned char	 known = 0;
	const char	*body, *nl;
	char		 key[72], *copy;
	const char	*keys[1] = { key };
	size_t		 len;
	int		 rv;

	/* the From_ line is the envelope, not part of the message */
	nl = memchr(s + start, '\n', end - start);
	body = nl == NULL ? s + end : nl + 1;
	len = (size_t)(s + end - body);
	if (len > 0 && body[len - 1] == '\n')
		len--;	/* the separating blank line */
	snprintf(key, sizeof(key), "sha256:");
	hex_sha256(body, len, key + 7);
	if (pipeline_known_uidls(l->pl, keys, 1, &known) == -1)
		return -1;
	if (known) {
		/* skipped or in doubt: the mbox must not be emptied */
		if (known == 1)
			l->ncommitted++;
		return 0;
	}
	if ((copy = malloc(len + 1)) == NULL)
		return -1;
	memcpy(copy, body, len);
	memset(&k, 0, sizeof(k));
	k.folder = "";
	k.uidl = key;
	k.seq = seq;
	rv = pipeline_add(l->pl, &k, copy, len);
	free(copy);
	return rv;
}

static int
mbox_fetch(struct local *l)
{
	struct mailfile	 mf;
	struct stat	 st;
	char		 err[512];
	size_t		 off, next;
	unsigned	 seq = 0;
	int		 rv = -1;

	if (mailfile_open(&mf, l->acct->path, err, sizeof(err)) == -1) {
		log_error("%s: %s", l->acct->name, err);
		return -1;
	}
	for (off = mbox_next(mf.data, mf.len, 0); off < mf.len &&
	    !fetch_should_stop(); off = next, seq++) {
		next = mbox_next(mf.data, mf.len, off + 5);
		if (mbox_one(l, mf.data, off, next, seq) == -1)
			goto out;
	}
	if (pipeline_flush(l->pl) == -1)
		goto out;
	rv = 0;
	/* empty it only if all went and nothing was appended meanwhile */
	if (!l->acct->keep && l->ncommitted == seq && seq > 0 &&
	    stat(l->acct->path, &st) == 0 && (size_t)st.st_size == mf.len &&
	    truncate(l->acct->path, 0) == -1)
		log_warn("%s: cannot empty %s: %s", l->acct->name,
		    l->acct->path, strerror(errno));
out:
	mailfile_close(&mf);
	return rv;
}

/* One message on standard input, as an MDA gets it. */
static int
stdin_fetch(struct local *l)
{
	struct fetch_key k;
	char		*buf = NULL, *nb, key[96];
	size_t		 len = 0, cap = 0;
	ssize_t		 n;
	int		 rv;

	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
		}
		if ((n = read(STDIN_FILENO, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			log_error("%s: reading standard input: %s",
			    l->acct->name, strerror(errno));
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	memset(&k, 0, sizeof(k));
	k.folder = "";
	snprintf(key, sizeof(key), "stdin:%lld.%ld", (long long)time(NULL),
	    (long)getpid());
	k.uidl = key;
	rv = pipeline_add(l->pl, &k, buf, len);
	free(buf);
	return rv == -1 ? -1 : pipeline_flush(l->pl);
}

int
local_fetch(const struct account *acct, struct pipeline *pl)
{
	struct local	 l;
	size_t		 i;
	int		 rv;

	memset(&l, 0, sizeof(l));
	l.acct = acct;
	l.pl = pl;
	pipeline_set_committed(pl, on_committed, &l);
	switch (acct->type) {
	case ACCT_MAILDIR:
		rv = maildir_fetch(&l);
		break;
	case ACCT_MBOX:
		rv = mbox_fetch(&l);
		break;
	default:
		rv = stdin_fetch(&l);
		break;
	}
	pipeline_set_committed(pl, NULL, NULL);
	for (i = 0; i < l.npaths; i++)
		free(l.paths[i]);
	free(l.paths);
	return rv;
}

/* SPDX-License-Identifier: ISC */
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

#include "daemon/pipeline/pipeline.h"
#include "daemon/util/log.h"
#include "daemon/util/mailfile.h"

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

/* One message of an mbox: its bytes without the From_ line and the
 * separating blank line, and its key. */
struct mbox_msg {
	const char	*body;
	size_t		 len;
	char		 key[72];
};

static int
mbox_key_cmp(const void *a, const void *b)
{
	const struct mbox_msg *const *x = a, *const *y = b;
	int		 c = strcmp((*x)->key, (*y)->key);

	/* equal keys stay in file order: the first one is delivered */
	if (c == 0)
		c = *x < *y ? -1 : *x > *y;
	return c;
}

/* Split the mbox into its messages; n of them into *out (freed by the
 * caller), or -1 when memory runs out. */
static int
mbox_split(const char *s, size_t slen, struct mbox_msg **out, size_t *n)
{
	struct mbox_msg	*v = NULL, *nv, *m;
	const char	*nl;
	size_t		 off, next, cap = 0;

	*n = 0;
	for (off = mbox_next(s, slen, 0); off < slen; off = next) {
		next = mbox_next(s, slen, off + 5);
		if (*n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				free(v);
				return -1;
			}
			v = nv;
		}
		m = &v[(*n)++];
		/* the From_ line is the envelope, not part of the message */
		nl = memchr(s + off, '\n', next - off);
		m->body = nl == NULL ? s + next : nl + 1;
		m->len = (size_t)(s + next - m->body);
		if (m->len > 0 && m->body[m->len - 1] == '\n')
			m->len--;	/* the separating blank line */
		snprintf(m->key, sizeof(m->key), "sha256:");
		hex_sha256(m->body, m->len, m->key + 7);
	}
	*out = v;
	return 0;
}

/*
 * Which messages to deliver: not known to the state (one look-up for
 * the whole file), and not a copy of an earlier one in the same file
 * (same bytes, same key: delivered once).  known[i]: 0 deliver, 1
 * delivered before (a copy counts as its first), 2 skipped or in doubt.
 */
static int
mbox_plan(struct local *l, struct mbox_msg *v, size_t n, unsigned char *known)
{
	struct mbox_msg	**byk;
	const char	**keys;
	size_t		 i;
	int		 rv = -1;

	keys = calloc(n, sizeof(*keys));
	byk = calloc(n, sizeof(*byk));
	if (keys == NULL || byk == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		keys[i] = v[i].key;
		byk[i] = &v[i];
	}
	if (pipeline_known_uidls(l->pl, keys, n, known) == -1)
		goto out;
	qsort(byk, n, sizeof(*byk), mbox_key_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(byk[i]->key, byk[i - 1]->key) == 0 &&
		    known[byk[i] - v] == 0)
			known[byk[i] - v] = 1;
	rv = 0;
out:
	free(keys);
	free(byk);
	return rv;
}

static int
mbox_one(struct local *l, const struct mbox_msg *m, unsigned seq)
{
	struct fetch_key k;
	char		*copy;
	int		 rv;

	if ((copy = malloc(m->len + 1)) == NULL)
		return -1;
	memcpy(copy, m->body, m->len);
	memset(&k, 0, sizeof(k));
	k.folder = "";
	k.uidl = m->key;
	k.seq = seq;
	rv = pipeline_add(l->pl, &k, copy, m->len);
	free(copy);
	return rv;
}

static int
mbox_fetch(struct local *l)
{
	struct mailfile	 mf;
	struct mbox_msg	*v = NULL;
	struct stat	 st;
	unsigned char	*known = NULL;
	char		 err[512];
	size_t		 i, n;
	int		 rv = -1;

	if (mailfile_open(&mf, l->acct->path, err, sizeof(err)) == -1) {
		log_error("%s: %s", l->acct->name, err);
		return -1;
	}
	if (mbox_split(mf.data, mf.len, &v, &n) == -1 ||
	    (n > 0 && (known = calloc(n, 1)) == NULL) ||
	    (n > 0 && mbox_plan(l, v, n, known) == -1))
		goto out;
	for (i = 0; i < n && !fetch_should_stop(); i++) {
		if (known[i]) {
			/* skipped or in doubt: the mbox must not be emptied */
			if (known[i] == 1)
				l->ncommitted++;
			continue;
		}
		if (mbox_one(l, &v[i], (unsigned)i) == -1)
			goto out;
	}
	if (pipeline_flush(l->pl) == -1)
		goto out;
	rv = 0;
	/* empty it only if all went and nothing was appended meanwhile */
	if (!l->acct->keep && l->ncommitted == n && n > 0 &&
	    stat(l->acct->path, &st) == 0 && (size_t)st.st_size == mf.len &&
	    truncate(l->acct->path, 0) == -1)
		log_warn("%s: cannot empty %s: %s", l->acct->name,
		    l->acct->path, strerror(errno));
out:
	free(v);
	free(known);
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

/* SPDX-License-Identifier: ISC */
/*
 * local-mbox.c - the mbox source: the messages of an mbox file.
 *
 * A message is keyed by the SHA-256 of its bytes, so it is delivered once
 * however often the file is read; two copies of one message in the file
 * are delivered once.  With keep = no the file is emptied only if every
 * message in it was committed and nobody appended meanwhile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "daemon/pipeline/pipeline.h"
#include "daemon/source/local.h"
#include "daemon/source/source.h"
#include "daemon/util/guard.h"
#include "daemon/util/log.h"
#include "daemon/util/mailfile.h"
#include "daemon/util/stop.h"

struct mbox_src {
	const struct account	*acct;
	struct pipeline		*pl;
	size_t			 ncommitted;	/* delivered, now or before */
};

static void
mbox_committed(void *ctx, const struct fetch_key *k)
{
	struct mbox_src	*l = ctx;

	(void)k;
	l->ncommitted++;
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
mbox_plan(struct mbox_src *l, struct mbox_msg *v, size_t n, unsigned char *known)
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
mbox_read(struct mbox_src *l)
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
	for (i = 0; i < n && !stop_requested(); i++) {
		if (known[i]) {
			/* skipped or in doubt: the mbox must not be emptied */
			if (known[i] == 1)
				l->ncommitted++;
			continue;
		}
		if (local_add(l->pl, v[i].key, (unsigned)i, v[i].body,
		    v[i].len) == -1)
			goto out;
	}
	if (pipeline_flush(l->pl) == -1)
		goto out;
	rv = 0;
	/* empty it only if all went and nothing was appended meanwhile */
	if (!l->acct->keep && l->ncommitted == n && n > 0 && guard_ok() &&
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

static int
mbox_fetch(const struct account *acct, struct pipeline *pl)
{
	struct mbox_src	 l;
	int		 rv;

	memset(&l, 0, sizeof(l));
	l.acct = acct;
	l.pl = pl;
	pipeline_set_committed(pl, mbox_committed, &l);
	rv = mbox_read(&l);
	pipeline_set_committed(pl, NULL, NULL);
	return rv;
}

const struct source source_mbox = {
	ACCT_MBOX, "mbox", SOURCE_PATH | SOURCE_DELETE, mbox_fetch
};

/* SPDX-License-Identifier: ISC */
/*
 * mbox.c - delivery into mbox files (mboxrd): the mbox target.
 *
 * Each message becomes an entry: a From_ line (the Return-Path address or
 * MAILER-DAEMON, and the time in asctime() form), the message with every
 * line matching ^>*From  quoted by one more '>', and an empty line.
 * Entries are kept in memory until the commit; a batch's entries are
 * appended under the file's locks (mbox-lock.c), which are taken before
 * the intents are written so that each intent names the offset of its
 * entry; a failed append is cut off again so the file never keeps half
 * a batch.  Recovery compares the SHA-256 of what is at the offset.
 */
#define _GNU_SOURCE		/* syncfs(2) */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "daemon/deliver/mbox-lock.h"
#include "daemon/deliver/target.h"
#include "daemon/deliver/target-util.h"
#include "daemon/util/log.h"
#include "daemon/util/safepath.h"

#define MBOX_SENDER_MAX		256

enum mbox_found {
	MBOX_ABSENT,	/* the file ends at or before the offset */
	MBOX_WHOLE,	/* the entry is there, byte for byte */
	MBOX_TORN,	/* the file ends inside what is a start of the entry */
	MBOX_OTHER	/* something else is there */
};

struct entry_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static int
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

/* Nothing is held open between batches. */
static void
mbox_close(struct delivery *dv)
{
	(void)dv;
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

static int
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

static int
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
static int
mbox_sync(struct mbox_lock *lk, char *err, size_t errlen)
{
	if ((lk->created ? syncfs(lk->fd) : fsync(lk->fd)) == -1) {
		snprintf(err, errlen, "mbox %s: cannot sync: %s%s", lk->path,
		    strerror(errno), delivery_hint(errno));
		return -1;
	}
	return 0;
}

static int
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

static int
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

/* Nothing on disk before the commit: the entry is in memory. */
static int
mbox_unstage(struct staged *s, char *err, size_t errlen)
{
	(void)s;
	(void)err;
	(void)errlen;
	return 0;
}

static int
lock_cmp(const void *a, const void *b)
{
	const struct mbox_lock	*x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* Each entry of the file goes after its end as it is now, in order. */
static void
entries_place(struct target_group *g, const struct mbox_lock *lk)
{
	uint64_t	 off = lk->size;
	size_t		 i;

	for (i = 0; i < g->n; i++) {
		if (strcmp(g->v[i]->in.path, lk->path) != 0)
			continue;
		g->v[i]->in.offset = off;
		off += g->v[i]->in.length;
	}
}

/* Lock every mbox of the batch, in path order so that two batches never
 * wait for each other, and place each entry after the current end: the
 * intents name the offsets. */
static int
mbox_prepare(struct target_group *g, char *err, size_t errlen)
{
	struct mbox_lock	*locks;
	size_t			 i, j, n = 0;

	if ((locks = calloc(g->n, sizeof(*locks))) == NULL) {
		snprintf(err, errlen, "out of memory locking mbox files");
		return -1;
	}
	for (i = 0; i < g->n; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(locks[j].path, g->v[i]->in.path) == 0)
				break;
		if (j == n)
			locks[n++].path = g->v[i]->in.path;
	}
	qsort(locks, n, sizeof(*locks), lock_cmp);
	g->held = locks;
	for (i = 0; i < n; i++) {
		if (mbox_lock(&locks[i], locks[i].path, 1, err, errlen) == -1)
			return -1;
		g->nheld = i + 1;
		entries_place(g, &locks[i]);
	}
	return 0;
}

static void
mbox_release(struct target_group *g)
{
	struct mbox_lock	*locks = g->held;
	char			 e[512];
	size_t			 i;

	for (i = 0; i < g->nheld; i++)
		if (mbox_unlock(&locks[i], e, sizeof(e)) == -1)
			log_warn("%s", e);
	free(locks);
	g->held = NULL;
}

/* Nothing to flush: the entries are in memory until they are appended
 * (and then synced) in mbox_publish(). */
static void
mbox_flush(struct target_group *g, struct target_report *r)
{
	(void)g;
	(void)r;
}

static int
is_nospace(int e)
{
	return e == ENOSPC || e == EDQUOT;
}

/* Append one file's entries and sync; on failure cut it back. */
static void
mbox_publish_one(struct target_group *g, struct mbox_lock *lk,
    struct target_report *r, size_t *appended)
{
	struct staged	*s;
	char		 e[512];
	size_t		 i;
	int		 bad = r->failed;
	enum staged_state after;

	for (i = 0; i < g->n && !bad; i++) {
		s = g->v[i];
		if (strcmp(s->in.path, lk->path) != 0)
			continue;
		if (mbox_append(lk, s->entry, s->in.length, e,
		    sizeof(e)) == -1) {
			r->nospace = r->nospace || is_nospace(errno);
			target_report_error(r, e);
			bad = 1;
		} else
			delivery_hook("appended", ++*appended);
	}
	if (!bad && mbox_sync(lk, e, sizeof(e)) == -1) {
		r->nospace = r->nospace || is_nospace(errno);
		target_report_error(r, e);
		bad = 1;
	}
	after = STAGED_VISIBLE;
	if (bad) {
		after = STAGED_UNDONE;
		if (mbox_truncate(lk, lk->size, e, sizeof(e)) == -1) {
			target_report_error(r, e);
			after = STAGED_DOUBT;
		}
	}
	for (i = 0; i < g->n; i++) {
		s = g->v[i];
		if (s->state == STAGED_JOURNALED &&
		    strcmp(s->in.path, lk->path) == 0)
			s->state = after;
	}
}

static void
mbox_publish(struct target_group *g, struct target_report *r)
{
	struct mbox_lock	*locks = g->held;
	size_t			 i, appended = 0;

	for (i = 0; i < g->nheld; i++)
		mbox_publish_one(g, &locks[i], r, &appended);
	if (g->nheld > 0)
		delivery_hook("mbox-synced", appended);
}

/* Settle one entry under the lock; 1 if it counts as delivered. */
static int
settle_entry(struct target_settle *st, struct mbox_lock *lk,
    const struct state_intent *in)
{
	enum mbox_found	 found;
	char		 e[512];

	if (mbox_find(lk, in, &found, e, sizeof(e)) == -1) {
		target_settle_fail(st, e);
		return 0;
	}
	switch (found) {
	case MBOX_WHOLE:
		target_settle_done(st, in->id);
		return 1;
	case MBOX_TORN:
		if (mbox_truncate(lk, in->offset, e, sizeof(e)) == -1) {
			target_settle_fail(st, e);
			return 0;
		}
		log_warn("recovery: mbox %s: cut off a partial message at "
		    "offset %llu", in->path, (unsigned long long)in->offset);
		break;
	case MBOX_OTHER:
		log_warn("recovery: mbox %s: what is at offset %llu is not "
		    "the message mailsift was writing; left alone",
		    in->path, (unsigned long long)in->offset);
		break;
	case MBOX_ABSENT:
		break;
	}
	target_settle_undo(st, in->id);
	return 0;
}

/* The intents of one mbox file, in offset order. */
static void
settle_file(struct target_settle *st, const struct state_intent *v,
    size_t n)
{
	struct mbox_lock	 lk;
	struct stat		 sb;
	char			 e[512];
	size_t			 i, first = st->ndone;
	int			 delivered = 0;

	if (stat(v[0].path, &sb) == -1 && errno == ENOENT) {
		for (i = 0; i < n; i++)
			target_settle_undo(st, v[i].id);
		return;
	}
	if (mbox_lock(&lk, v[0].path, 0, e, sizeof(e)) == -1) {
		for (i = 0; i < n; i++)
			target_settle_fail(st, e);
		return;
	}
	for (i = 0; i < n; i++)
		delivered |= settle_entry(st, &lk, &v[i]);
	if (delivered && mbox_sync(&lk, e, sizeof(e)) == -1) {
		/* not known to be durable: leave them for next time */
		st->unsettled += st->ndone - first;
		st->ndone = first;
		target_settle_fail(st, e);
	} else if (delivered)
		log_info("recovery: mbox %s: %zu message(s) were delivered "
		    "before the crash", v[0].path, st->ndone - first);
	if (mbox_unlock(&lk, e, sizeof(e)) == -1)
		log_warn("recovery: %s", e);
}

/* Recovery: the intents come sorted by path and offset. */
static void
mbox_settle(const struct config *cfg, const struct state_intent *v,
    size_t n, struct target_settle *st)
{
	size_t	 i, j;

	(void)cfg;
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(v[j].path, v[i].path) == 0;
		    j++)
			;
		settle_file(st, &v[i], j - i);
	}
}

const struct target target_mbox = {
	.name = "mbox",
	.kind = STATE_MBOX,
	.keeps_bytes = 1,
	.open = mbox_open,
	.close = mbox_close,
	.stage = mbox_stage,
	.unstage = mbox_unstage,
	.prepare = mbox_prepare,
	.flush = mbox_flush,
	.publish = mbox_publish,
	.release = mbox_release,
	.settle = mbox_settle,
};

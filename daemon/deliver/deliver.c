/* SPDX-License-Identifier: ISC */
/*
 * deliver.c - targets, folders, staging into batches, and the helpers
 * the backends share; the order of a commit is in deliver-commit.c, the
 * Maildir and mbox specifics in maildir.c and mbox.c, recovery in
 * recover.c.  See deliver.h for the guarantee.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "rules/template.h"	/* RULE_TPL_FOLDER_MAX: one limit */
#include "daemon/deliver/deliver.h"
#include "daemon/util/log.h"

void	(*delivery_test_hook)(const char *, size_t);

void
delivery_hook(const char *step, size_t n)
{
	if (delivery_test_hook != NULL)
		delivery_test_hook(step, n);
}

const char *
delivery_hint(int e)
{
	switch (e) {
	case ENOSPC:
		return " (disk full: free some space; nothing was recorded, "
		    "the messages stay on the server)";
	case EDQUOT:
		return " (disk quota exceeded: free some space or raise the "
		    "quota)";
	case EACCES:
	case EPERM:
		return " (permission denied: check the owner and mode of the "
		    "directory)";
	case EROFS:
		return " (read-only file system)";
	case EFBIG:
		return " (file too large for the file system or the process "
		    "limit, ulimit -f)";
	case EIO:
		return " (I/O error: check the disk)";
	case ENOTDIR:
		return " (a component of the path is not a directory)";
	default:
		return "";
	}
}

int
delivery_join(char *out, size_t outlen, const char *dir, const char *name)
{
	int	 n;

	n = snprintf(out, outlen, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
delivery_write(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

size_t
delivery_crlf_copy(const char *in, size_t len, size_t *pos, char *out,
    size_t room)
{
	const char	*cr;
	size_t		 i = *pos, o = 0, n, span;

	while (i < len && o < room) {
		span = len - i < room - o ? len - i : room - o;
		cr = memchr(in + i, '\r', span);
		n = cr == NULL ? span : (size_t)(cr - (in + i));
		memcpy(out + o, in + i, n);
		o += n;
		i += n;
		if (cr == NULL)
			continue;
		if (i + 1 < len && in[i + 1] == '\n')
			i++;			/* the LF comes next round */
		else
			out[o++] = in[i++];	/* a lone CR stays */
	}
	*pos = i;
	return o;
}

uint64_t
delivery_converted_size(const char *data, size_t len, int flags)
{
	const char	*p = data, *end = data + len, *cr;
	uint64_t	 size = len;

	if (!(flags & DELIVERY_CRLF))
		return size;
	while (p < end && (cr = memchr(p, '\r', (size_t)(end - p))) != NULL) {
		if (cr + 1 < end && cr[1] == '\n')
			size--;
		p = cr + 1;
	}
	return size;
}

/* The end of the header line at p: the byte after its LF, or end. */
static const char *
line_next(const char *p, const char *end)
{
	const char	*nl = memchr(p, '\n', (size_t)(end - p));

	return nl == NULL ? end : nl + 1;
}

static void
header_copy(const char *p, const char *end, char *out, size_t outlen)
{
	size_t	 o = 0;
	int	 space = 0;

	for (; p < end && o + 1 < outlen; p++) {
		if (*p == '\r' || *p == '\n' || *p == ' ' || *p == '\t') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < outlen)
			out[o++] = ' ';
		space = 0;
		out[o++] = *p;
	}
	out[o] = '\0';
}

void
delivery_header(const char *data, size_t len, const char *name, char *out,
    size_t outlen)
{
	const char	*p = data, *end = data + len, *next;
	size_t		 nlen = strlen(name);

	out[0] = '\0';
	while (p < end && *p != '\n' && !(*p == '\r' && p + 1 < end &&
	    p[1] == '\n')) {
		next = line_next(p, end);
		if ((size_t)(next - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			/* the value runs on over folded lines */
			while (next < end && (*next == ' ' || *next == '\t'))
				next = line_next(next, end);
			header_copy(p + nlen + 1, next, out, outlen);
			return;
		}
		p = next;
	}
}

static int
digest_crlf(EVP_MD_CTX *md, const char *data, size_t len)
{
	char	 buf[16384];
	size_t	 pos = 0, n;

	while (pos < len) {
		n = delivery_crlf_copy(data, len, &pos, buf, sizeof(buf));
		if (EVP_DigestUpdate(md, buf, n) != 1)
			return -1;
	}
	return 0;
}

int
delivery_digest(const char *data, size_t len, int flags,
    struct msg_content *c)
{
	EVP_MD_CTX	*md;
	int		 rv = -1;

	memset(c, 0, sizeof(*c));
	c->size = delivery_converted_size(data, len, flags);
	delivery_header(data, len, "Message-ID", c->message_id,
	    sizeof(c->message_id));
	if (flags & DELIVERY_NO_DIGEST)
		return 0;
	if ((md = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	if (flags & DELIVERY_CRLF) {
		if (digest_crlf(md, data, len) == -1)
			goto out;
	} else if (EVP_DigestUpdate(md, data, len) != 1)
		goto out;
	if (EVP_DigestFinal_ex(md, c->sha256, NULL) != 1)
		goto out;
	c->hashed = 1;
	rv = 0;
out:
	EVP_MD_CTX_free(md);
	return rv;
}

int
delivery_folder_is_inbox(const char *folder)
{
	return folder == NULL || *folder == '\0' ||
	    strcasecmp(folder, "INBOX") == 0;
}

int
delivery_folder_check(const char *folder, char *err, size_t errlen)
{
	const char	*why = NULL, *p;
	size_t		 len = strlen(folder);

	if (len == 0 || len > RULE_TPL_FOLDER_MAX) {
		snprintf(err, errlen, "folder \"%.200s\" is not allowed: "
		    "empty or longer than %d bytes", folder,
		    RULE_TPL_FOLDER_MAX);
		return -1;
	}
	if (folder[0] == '.' || strstr(folder, "/.") != NULL)
		why = "a name starts with '.'";
	else if (folder[0] == '/' || folder[len - 1] == '/')
		why = "'/' at the start or end";
	else if (strstr(folder, "//") != NULL)
		why = "an empty name between two '/'";
	else if (strstr(folder, "..") != NULL)
		why = "'..'";
	for (p = folder; why == NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			why = "a control character";
	if (why == NULL)
		return 0;
	snprintf(err, errlen, "folder \"%.200s\" is not allowed: %s", folder,
	    why);
	return -1;
}

struct delivery *
delivery_open(const char *target, const char *folder, char *err,
    size_t errlen)
{
	struct delivery	*dv;
	const char	*path;
	int		 r;

	if ((dv = calloc(1, sizeof(*dv))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", target);
		return NULL;
	}
	dv->tmpfd = dv->newfd = dv->curfd = -1;
	if (strncmp(target, "maildir:", 8) == 0) {
		dv->kind = STATE_MAILDIR;
		path = target + 8;
	} else if (strncmp(target, "mbox:", 5) == 0) {
		dv->kind = STATE_MBOX;
		path = target + 5;
	} else {
		snprintf(err, errlen, "deliver target \"%s\": must be "
		    "maildir:PATH or mbox:PATH", target);
		goto fail;
	}
	if (*path == '\0') {
		snprintf(err, errlen, "deliver target \"%s\": no path",
		    target);
		goto fail;
	}
	if (!delivery_folder_is_inbox(folder) &&
	    delivery_folder_check(folder, err, errlen) == -1)
		goto fail;
	if ((dv->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", target);
		goto fail;
	}
	if (delivery_folder_is_inbox(folder))
		folder = NULL;
	if (dv->kind == STATE_MAILDIR)
		r = maildir_open(dv, folder, err, errlen);
	else
		r = mbox_open(dv, folder, err, errlen);
	if (r == -1)
		goto fail;
	return dv;
fail:
	delivery_close(dv);
	return NULL;
}

void
delivery_close(struct delivery *dv)
{
	if (dv == NULL)
		return;
	maildir_close(dv);
	free(dv->path);
	free(dv);
}

const char *
delivery_path(const struct delivery *dv)
{
	return dv->path;
}

struct delivery_batch *
delivery_batch_new(struct state *st)
{
	struct delivery_batch	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->st = st;
	return b;
}

static int
key_equal(const struct state_intent *in, const struct msg_key *key)
{
	const char	*folder = key->folder == NULL ? "" : key->folder;

	if (strcmp(in->account, key->account) != 0 ||
	    strcmp(in->folder, folder) != 0)
		return 0;
	if (key->uidl != NULL)
		return in->uidl != NULL && strcmp(in->uidl, key->uidl) == 0;
	return in->uidl == NULL && in->uidvalidity == key->uidvalidity &&
	    in->uid == key->uid;
}

static int
staged_init(struct staged *s, struct delivery *dv, const struct msg_key *key)
{
	memset(s, 0, sizeof(*s));
	s->dv = dv;
	s->state = STAGED_WRITTEN;
	s->in.kind = dv->kind;
	s->in.uidvalidity = key->uidvalidity;
	s->in.uid = key->uid;
	s->in.time = (int64_t)time(NULL);
	if ((s->in.account = strdup(key->account)) == NULL ||
	    (s->in.folder = strdup(key->folder == NULL ? "" :
	    key->folder)) == NULL ||
	    (key->uidl != NULL && (s->in.uidl = strdup(key->uidl)) == NULL) ||
	    (s->in.path = strdup(dv->path)) == NULL)
		return -1;
	return 0;
}

static int
batch_grow(struct delivery_batch *b)
{
	struct staged	*v;
	size_t		 cap;

	if (b->n < b->cap)
		return 0;
	cap = b->cap == 0 ? 64 : b->cap * 2;
	if ((v = reallocarray(b->v, cap, sizeof(*v))) == NULL)
		return -1;
	b->v = v;
	b->cap = cap;
	return 0;
}

int
delivery_stage(struct delivery_batch *b, struct delivery *dv,
    const struct msg_key *key, const char *data, size_t len, int flags,
    char *err, size_t errlen)
{
	struct staged	*s;
	size_t		 i;
	int		 r;

	if (b->spoiled) {
		snprintf(err, errlen, "%s: batch failed before", dv->path);
		return -1;
	}
	/* a message may go to several targets, but only once to each */
	for (i = 0; i < b->n; i++) {
		if (b->v[i].dv == dv && key_equal(&b->v[i].in, key)) {
			snprintf(err, errlen, "%s: internal error: account %s "
			    "UID %u UIDL %s staged twice", dv->path,
			    key->account, key->uid,
			    key->uidl == NULL ? "-" : key->uidl);
			b->spoiled = 1;
			return -1;
		}
	}
	if (batch_grow(b) == -1 || staged_init(&b->v[b->n], dv, key) == -1) {
		snprintf(err, errlen, "%s: out of memory", dv->path);
		if (b->n < b->cap)
			state_intent_clear(&b->v[b->n].in);
		b->spoiled = 1;
		return -1;
	}
	s = &b->v[b->n];
	if (dv->kind == STATE_MAILDIR)
		r = maildir_stage(dv, s, data, len, flags, err, errlen);
	else
		r = mbox_stage(dv, s, data, len, flags, err, errlen);
	if (r == -1) {
		/* on a full disk, what was staged before this message can
		 * still be delivered (delivery_batch_commit()) */
		b->nospace = errno == ENOSPC || errno == EDQUOT;
		for (b->good = b->n; b->good > 0 &&
		    key_equal(&b->v[b->good - 1].in, key); b->good--)
			;
		state_intent_clear(&s->in);
		free(s->entry);
		b->spoiled = 1;
		return -1;
	}
	b->n++;
	b->bytes += len;
	return 0;
}

size_t
delivery_batch_count(const struct delivery_batch *b)
{
	return b->n;
}

uint64_t
delivery_batch_bytes(const struct delivery_batch *b)
{
	return b->bytes;
}

int
delivery_batch_done(const struct delivery_batch *b, size_t i)
{
	return i < b->n && b->v[i].state == STAGED_DONE;
}

const char *
delivery_batch_name(const struct delivery_batch *b, size_t i)
{
	return i < b->n ? b->v[i].in.name : NULL;
}

/* Take back a message that is not visible: remove its tmp/ file (mbox:
 * nothing on disk).  If even that fails, recovery will. */
void
staged_undo(struct staged *s)
{
	char	 e[512];

	if (s->in.kind == STATE_MAILDIR &&
	    maildir_unstage(s->dv, s->in.name, e, sizeof(e)) == -1) {
		log_warn("%s", e);
		s->state = s->in.id != 0 ? STAGED_DOUBT : STAGED_UNDONE;
		return;
	}
	s->state = STAGED_UNDONE;
}

void
delivery_batch_clear(struct delivery_batch *b)
{
	size_t	 i;

	for (i = 0; i < b->n; i++) {
		if (b->v[i].state == STAGED_WRITTEN)
			staged_undo(&b->v[i]);
		state_intent_clear(&b->v[i].in);
		free(b->v[i].entry);
	}
	b->n = 0;
	b->bytes = 0;
	b->spoiled = 0;
	b->nospace = 0;
	b->good = 0;
}

void
delivery_batch_free(struct delivery_batch *b)
{
	if (b == NULL)
		return;
	delivery_batch_clear(b);
	free(b->v);
	free(b);
}

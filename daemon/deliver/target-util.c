/* SPDX-License-Identifier: ISC */
/*
 * target-util.c - the helpers the delivery targets share; see
 * target-util.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "daemon/deliver/target-util.h"

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

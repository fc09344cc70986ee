/* SPDX-License-Identifier: ISC */
/* utf8.c - valid UTF-8 for regex subjects; see utf8.h. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mime/buf.h"
#include "mime/charset.h"
#include "rules/arena.h"
#include "rules/utf8.h"

static const char replacement[] = "\xef\xbf\xbd";

size_t
rule_utf8_seq(const unsigned char *s, size_t len)
{
	return mime_utf8_seq((const char *)s, len);
}

/* Bytes of s[0..len) that are valid from the start. */
static size_t
valid_prefix(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	uint64_t		 w;
	size_t			 i = 0, n;

	while (i < len) {
		/* Most text is ASCII: eight bytes at a time. */
		if (len - i >= 8) {
			memcpy(&w, u + i, 8);
			if ((w & 0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = rule_utf8_seq(u + i, len - i)) == 0)
			break;
		i += n;
	}
	return i;
}

/* Append s[0..len) to out, invalid bytes replaced. */
static int
append_fixed(struct mime_buf *out, const char *s, size_t len)
{
	size_t	 i = 0, n;

	while (i < len) {
		n = valid_prefix(s + i, len - i);
		if (mime_buf_append(out, s + i, n) == -1)
			return -1;
		i += n;
		if (i < len) {
			if (mime_buf_append(out, replacement, 3) == -1)
				return -1;
			i++;
		}
	}
	return 0;
}

char *
rule_utf8_copy(struct rule_arena *a, const char *s, size_t len,
    size_t *outlen)
{
	struct mime_buf	 b;
	char		*p;

	if (valid_prefix(s, len) == len) {
		*outlen = len;
		return rule_arena_strndup(a, s, len);
	}
	mime_buf_init(&b);
	if (append_fixed(&b, s, len) == -1) {
		mime_buf_free(&b);
		return NULL;
	}
	p = rule_arena_strndup(a, b.data, b.len);
	*outlen = b.len;
	mime_buf_free(&b);
	return p;
}

int
rule_utf8_fix(struct mime_buf *buf, size_t from)
{
	struct mime_buf	 b;
	size_t		 n;

	if (buf->len == from)
		return 0;
	n = valid_prefix(buf->data + from, buf->len - from);
	if (from + n == buf->len)
		return 0;
	mime_buf_init(&b);
	if (append_fixed(&b, buf->data + from + n,
	    buf->len - from - n) == -1) {
		mime_buf_free(&b);
		return -1;
	}
	buf->len = from + n;
	buf->data[buf->len] = '\0';
	if (mime_buf_append(buf, b.data, b.len) == -1) {
		mime_buf_free(&b);
		return -1;
	}
	mime_buf_free(&b);
	return 0;
}

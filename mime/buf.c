/* SPDX-License-Identifier: ISC */
/* buf.c - growable byte buffer; see buf.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
mime_buf_init(struct mime_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
mime_buf_free(struct mime_buf *b)
{
	free(b->data);
	mime_buf_init(b);
}

void
mime_buf_reset(struct mime_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

int
mime_buf_reserve(struct mime_buf *b, size_t extra)
{
	size_t	 need, cap;
	char	*p;

	if (extra > SIZE_MAX - b->len - 1)
		return -1;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap < 64 ? 64 : b->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if ((p = realloc(b->data, cap)) == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int
mime_buf_append(struct mime_buf *b, const void *p, size_t len)
{
	if (mime_buf_reserve(b, len) == -1)
		return -1;
	if (len > 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
mime_buf_append_str(struct mime_buf *b, const char *s)
{
	return mime_buf_append(b, s, strlen(s));
}

int
mime_buf_append_char(struct mime_buf *b, char c)
{
	return mime_buf_append(b, &c, 1);
}

char *
mime_buf_steal(struct mime_buf *b)
{
	char	*p;

	if (b->data == NULL) {
		if (mime_buf_reserve(b, 0) == -1)
			return NULL;
		b->data[0] = '\0';
	}
	p = b->data;
	mime_buf_init(b);
	return p;
}

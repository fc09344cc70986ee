/* SPDX-License-Identifier: ISC */
/*
 * message.c - the parsed message: ownership, navigation and the answers
 * callers ask of a part.  The parsing itself is in parse.c.
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "param.h"
#include "part.h"

#define ARENA_FIRST	4096
#define DECODE_CHUNK	32768

struct arena_block {
	struct arena_block	*next;
	size_t			 used;
	size_t			 size;
	max_align_t		 data[];
};

void
mime_limits_init(struct mime_limits *lim)
{
	lim->max_depth = 256;
	lim->max_parts = 10000;
	lim->max_header_bytes = 1024 * 1024;
	lim->fallback_charset = "windows-1252";
}

void *
mime_arena_alloc(struct mime_message *msg, size_t n)
{
	struct arena_block	*b = msg->arena;
	size_t			 size;
	char			*p;

	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	if (b == NULL || b->size - b->used < n) {
		size = b == NULL ? ARENA_FIRST : b->size * 2;
		if (size > 1024 * 1024)
			size = 1024 * 1024;
		if (size < n)
			size = n;
		if ((b = malloc(sizeof(*b) + size)) == NULL)
			return NULL;
		b->next = msg->arena;
		b->used = 0;
		b->size = size;
		msg->arena = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

char *
mime_arena_strndup(struct mime_message *msg, const char *s, size_t len)
{
	char	*p;

	if (len == SIZE_MAX || (p = mime_arena_alloc(msg, len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

int
mime_message_add_defect(struct mime_message *msg, size_t offset,
    const struct mime_part *part, enum mime_defect_code code)
{
	struct mime_defect	*d;
	size_t			 cap;

	if (msg->ndefects == msg->defects_cap) {
		cap = msg->defects_cap == 0 ? 8 : msg->defects_cap * 2;
		d = reallocarray(msg->defects, cap, sizeof(*d));
		if (d == NULL)
			return -1;
		msg->defects = d;
		msg->defects_cap = cap;
	}
	d = &msg->defects[msg->ndefects++];
	d->offset = offset;
	d->part = part;
	d->code = code;
	return 0;
}

struct mime_message *
mime_message_parse(const char *buf, size_t len, const struct mime_limits *lim)
{
	struct mime_message	*msg;
	const char		*fb;

	if ((msg = calloc(1, sizeof(*msg))) == NULL)
		return NULL;
	msg->buf = buf;
	msg->len = len;
	if (lim != NULL)
		msg->limits = *lim;
	else
		mime_limits_init(&msg->limits);
	if (msg->limits.max_depth == 0)
		msg->limits.max_depth = 1;
	if (msg->limits.max_parts < 2)
		msg->limits.max_parts = 2;
	fb = msg->limits.fallback_charset;
	if (fb != NULL) {
		fb = mime_arena_strndup(msg, fb, strlen(fb));
		if (fb == NULL)
			goto fail;
		msg->limits.fallback_charset = fb;
	}
	if (mime_parse_run(msg) == -1)
		goto fail;
	return msg;
fail:
	mime_message_free(msg);
	return NULL;
}

void
mime_message_free(struct mime_message *msg)
{
	struct arena_block	*b, *next;

	if (msg == NULL)
		return;
	for (b = msg->arena; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(msg->fields);
	free(msg->defects);
	free(msg);
}

const struct mime_part *
mime_message_root(const struct mime_message *msg)
{
	return msg->root;
}

size_t
mime_message_part_count(const struct mime_message *msg)
{
	return msg->nparts;
}

size_t
mime_message_defect_count(const struct mime_message *msg)
{
	return msg->ndefects;
}

const struct mime_defect *
mime_message_defect(const struct mime_message *msg, size_t i)
{
	if (i >= msg->ndefects)
		return NULL;
	return &msg->defects[i];
}

const char *
mime_message_fallback_charset(const struct mime_message *msg)
{
	return msg->limits.fallback_charset;
}

const struct mime_part *
mime_part_parent(const struct mime_part *p)
{
	return p->parent;
}

const struct mime_part *
mime_part_first_child(const struct mime_part *p)
{
	return p->first_child;
}

const struct mime_part *
mime_part_next_sibling(const struct mime_part *p)
{
	return p->next;
}

const struct mime_part *
mime_part_walk_next(const struct mime_part *p)
{
	if (p->first_child != NULL)
		return p->first_child;
	while (p != NULL && p->next == NULL)
		p = p->parent;
	return p == NULL ? NULL : p->next;
}

unsigned
mime_part_depth(const struct mime_part *p)
{
	return p->depth;
}

int
mime_part_is_multipart(const struct mime_part *p)
{
	return (p->flags & PART_MULTIPART) != 0;
}

int
mime_part_is_message(const struct mime_part *p)
{
	return (p->flags & PART_MESSAGE) != 0;
}

int
mime_part_is_leaf(const struct mime_part *p)
{
	return (p->flags & (PART_MULTIPART | PART_MESSAGE)) == 0;
}

int
mime_part_is_message_top(const struct mime_part *p)
{
	return (p->flags & PART_TOP) != 0;
}

/*
 * IMAP numbering (RFC 3501 6.4.5): a child of a multipart is numbered by
 * its position; a non-multipart top entity (of the message or of a nested
 * message) is "1" below its container; a multipart top entity adds nothing.
 */
static int
path_component(const struct mime_part *p)
{
	if (p->parent != NULL && (p->parent->flags & PART_MULTIPART))
		return (int)p->ordinal;
	return (p->flags & PART_MULTIPART) ? 0 : 1;
}

static size_t
decimal_len(unsigned v)
{
	size_t	 n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

int
mime_part_path(const struct mime_part *part, char *buf, size_t size)
{
	const struct mime_part	*p;
	size_t			 len = 0, at;
	unsigned		 c;

	for (p = part; p != NULL; p = p->parent) {
		if ((c = (unsigned)path_component(p)) == 0)
			continue;
		len += decimal_len(c) + (len > 0);
	}
	if (len >= size || len > INT32_MAX)
		return -1;
	buf[len] = '\0';
	at = len;
	for (p = part; p != NULL; p = p->parent) {
		if ((c = (unsigned)path_component(p)) == 0)
			continue;
		if (at != len)
			buf[--at] = '.';
		do {
			buf[--at] = (char)('0' + c % 10);
			c /= 10;
		} while (c != 0);
	}
	return (int)len;
}

const char *
mime_part_type(const struct mime_part *p)
{
	return p->type;
}

const char *
mime_part_subtype(const struct mime_part *p)
{
	return p->subtype;
}

const char *
mime_part_param(const struct mime_part *p, const char *name)
{
	if (p->ct == NULL)
		return NULL;
	return mime_param_get(p->ct, p->ct_n, name);
}

const char *
mime_part_charset(const struct mime_part *p)
{
	return mime_part_param(p, "charset");
}

const char *
mime_part_disposition(const struct mime_part *p)
{
	if (p->cd == NULL || *p->cd == '\0')
		return NULL;
	return p->cd;
}

const char *
mime_part_disposition_param(const struct mime_part *p, const char *name)
{
	if (p->cd == NULL)
		return NULL;
	return mime_param_get(p->cd, p->cd_n, name);
}

const char *
mime_part_filename(const struct mime_part *p)
{
	const char	*s;

	if ((s = mime_part_disposition_param(p, "filename")) != NULL)
		return s;
	return mime_part_param(p, "name");
}

enum mime_encoding
mime_part_encoding(const struct mime_part *p)
{
	return p->enc;
}

void
mime_part_header_block(const struct mime_part *p, const char **s, size_t *len)
{
	*s = p->msg->buf + p->hdr_start;
	*len = p->hdr_end - p->hdr_start;
}

void
mime_part_body(const struct mime_part *p, const char **s, size_t *len)
{
	*s = p->msg->buf + p->body_start;
	*len = p->body_end - p->body_start;
}

void
mime_part_preamble(const struct mime_part *p, const char **s, size_t *len)
{
	*s = p->msg->buf + p->body_start;
	*len = 0;
	if (p->flags & PART_MULTIPART)
		*len = p->preamble_end - p->body_start;
}

void
mime_part_epilogue(const struct mime_part *p, const char **s, size_t *len)
{
	*s = p->msg->buf + p->body_end;
	*len = 0;
	if ((p->flags & PART_MULTIPART) && p->closed &&
	    p->epilogue_start < p->body_end) {
		*s = p->msg->buf + p->epilogue_start;
		*len = p->body_end - p->epilogue_start;
	}
}

size_t
mime_part_offset(const struct mime_part *p)
{
	return p->hdr_start;
}

size_t
mime_part_body_offset(const struct mime_part *p)
{
	return p->body_start;
}

size_t
mime_part_header_count(const struct mime_part *p)
{
	return p->nfields;
}

void
mime_part_header_at(const struct mime_part *p, size_t i, const char **name,
    size_t *nlen, const char **val, size_t *vlen)
{
	const struct mime_field	*f;

	if (i >= p->nfields) {
		*name = *val = p->msg->buf;
		*nlen = *vlen = 0;
		return;
	}
	f = &p->msg->fields[p->field0 + i];
	*name = p->msg->buf + f->name_off;
	*nlen = f->name_len;
	*val = p->msg->buf + f->val_off;
	*vlen = f->val_len;
}

long
mime_part_header_find(const struct mime_part *p, const char *name,
    size_t from)
{
	const struct mime_field	*f;
	size_t			 i;

	for (i = from; i < p->nfields; i++) {
		f = &p->msg->fields[p->field0 + i];
		if (mime_name_eq(p->msg->buf + f->name_off, f->name_len, name))
			return (long)i;
	}
	return -1;
}

int
mime_part_decode(const struct mime_part *p, mime_sink_fn sink, void *ctx)
{
	struct mime_decoder	 dec;
	const char		*s;
	size_t			 len, n, out;
	char			 buf[DECODE_CHUNK + 128];

	mime_part_body(p, &s, &len);
	if (p->enc != MIME_ENC_BASE64 && p->enc != MIME_ENC_QP) {
		/* Identity encodings: hand out the buffer itself, no copy. */
		if (len > 0 && sink(ctx, s, len) == -1)
			return -1;
		return p->enc == MIME_ENC_UNKNOWN ?
		    (int)(1u << MIME_DEFECT_UNKNOWN_ENCODING) : 0;
	}
	mime_decoder_init(&dec, p->enc);
	while (len > 0) {
		n = len < DECODE_CHUNK ? len : DECODE_CHUNK;
		out = mime_decoder_step(&dec, s, n, buf);
		if (out > 0 && sink(ctx, buf, out) == -1)
			return -1;
		s += n;
		len -= n;
	}
	out = mime_decoder_finish(&dec, buf);
	if (out > 0 && sink(ctx, buf, out) == -1)
		return -1;
	return (int)dec.defects;
}

/* SPDX-License-Identifier: ISC */
/* view.c - message values computed on first use; see view.h. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mime/mime.h"
#include "rules/arena.h"
#include "rules/body.h"
#include "rules/date.h"
#include "rules/utf8.h"
#include "rules/view.h"

#define VIEW_SUBJECT	0x01
#define VIEW_BODY	0x02
#define VIEW_LEAVES	0x04
#define VIEW_DEFECTS	0x08
#define VIEW_DATE	0x10
#define VIEW_MSGID	0x20
#define VIEW_ACCOUNT	0x40
#define VIEW_FOLDER	0x80
#define VIEW_ADDRS	0x1000	/* << enum rule_addr_field */

struct rule_header_cache {
	int			 done;
	struct rule_span	*v;
	size_t			 n;
};

static const char *const addr_headers[RULE_ADDR_NFIELDS] = {
	"From", "To", "Cc", "Sender"
};

int
rule_view_init(struct rule_view *v, const struct rule_input *in,
    size_t nheaders, struct rule_arena *arena)
{
	memset(v, 0, sizeof(*v));
	mime_buf_init(&v->body);
	mime_buf_init(&v->scratch);
	v->in = in;
	v->arena = arena;
	v->top = mime_message_root(in->msg);
	v->fallback = mime_message_fallback_charset(in->msg);
	v->nheaders = nheaders;
	if (nheaders > 0 && (v->headers = rule_arena_alloc(arena,
	    nheaders * sizeof(*v->headers))) == NULL)
		return -1;
	if (nheaders > 0)
		memset(v->headers, 0, nheaders * sizeof(*v->headers));
	return 0;
}

/* Every value handed out is valid UTF-8 (utf8.h). */
static int
span_copy(struct rule_view *v, const char *s, size_t len,
    struct rule_span *out)
{
	if ((out->p = rule_utf8_copy(v->arena, s, len, &out->len)) == NULL)
		return -1;
	return 0;
}

/* Raw value of the first field named name, or NULL. */
static const char *
header_raw(const struct mime_part *p, const char *name, size_t *len)
{
	const char	*n, *val;
	size_t		 nlen;
	long		 i;

	if ((i = mime_part_header_find(p, name, 0)) == -1)
		return NULL;
	mime_part_header_at(p, (size_t)i, &n, &nlen, &val, len);
	return val;
}

/* Decode an unstructured value into the arena. */
static int
decode_text(struct rule_view *v, const char *raw, size_t len,
    struct rule_span *out)
{
	int	 bits;

	mime_buf_reset(&v->scratch);
	if ((bits = mime_header_decode(raw, len, v->fallback,
	    &v->scratch)) == -1)
		return -1;
	v->defects |= (unsigned)bits;
	return span_copy(v, v->scratch.data, v->scratch.len, out);
}

int
rule_view_subject(struct rule_view *v, struct rule_span *out)
{
	const char	*raw;
	size_t		 len;

	if (!(v->done & VIEW_SUBJECT)) {
		v->subject.p = "";
		v->subject.len = 0;
		if ((raw = header_raw(v->top, "Subject", &len)) != NULL &&
		    decode_text(v, raw, len, &v->subject) == -1)
			return -1;
		v->done |= VIEW_SUBJECT;
	}
	*out = v->subject;
	return 0;
}

int
rule_view_header(struct rule_view *v, size_t slot, const char *name,
    const struct rule_span **vals, size_t *n)
{
	struct rule_header_cache *hc;
	const char	*fn, *raw;
	size_t		 fnlen, len, count = 0, i;
	long		 at;

	if (slot >= v->nheaders)
		return -1;
	hc = &v->headers[slot];
	if (!hc->done) {
		for (at = -1; (at = mime_part_header_find(v->top, name,
		    (size_t)(at + 1))) != -1; )
			count++;
		if (count > 0 && (hc->v = rule_arena_alloc(v->arena,
		    count * sizeof(*hc->v))) == NULL)
			return -1;
		for (at = -1, i = 0; i < count; i++) {
			at = mime_part_header_find(v->top, name,
			    (size_t)(at + 1));
			mime_part_header_at(v->top, (size_t)at, &fn, &fnlen,
			    &raw, &len);
			if (decode_text(v, raw, len, &hc->v[i]) == -1)
				return -1;
		}
		hc->n = count;
		hc->done = 1;
	}
	*vals = hc->v;
	*n = hc->n;
	return 0;
}

static int
addr_make(struct rule_view *v, const char *name, const char *addr,
    struct rule_addr *a)
{
	size_t	 nlen, alen, flen;
	char	*full;

	/* Raw 8-bit bytes of an address stay as they are in mime/. */
	if (span_copy(v, name, strlen(name), &a->name) == -1 ||
	    span_copy(v, addr, strlen(addr), &a->address) == -1)
		return -1;
	nlen = a->name.len;
	alen = a->address.len;
	flen = (nlen > 0 ? nlen + 1 : 0) + alen + 2;
	if ((full = rule_arena_alloc(v->arena, flen + 1)) == NULL)
		return -1;
	if (nlen > 0) {
		memcpy(full, a->name.p, nlen);
		full[nlen] = ' ';
	}
	full[flen - alen - 2] = '<';
	memcpy(full + flen - alen - 1, a->address.p, alen);
	full[flen - 1] = '>';
	full[flen] = '\0';
	a->full.p = full;
	a->full.len = flen;
	return 0;
}

/* Append the addresses of one raw field to the field's list. */
static int
addrs_add(struct rule_view *v, enum rule_addr_field f, const char *raw,
    size_t len)
{
	struct mime_address_list *al;
	struct rule_addr	*nv;
	const char		*addr;
	size_t			 i, n, old = v->addrs[f].n;
	unsigned		 bits = 0;
	int			 rv = -1;

	if ((al = mime_address_list_parse(raw, len, v->fallback,
	    &bits)) == NULL)
		return -1;
	v->defects |= bits;
	n = mime_address_list_count(al);
	if (n > SIZE_MAX / sizeof(*nv) - old ||
	    (nv = rule_arena_alloc(v->arena, (old + n) * sizeof(*nv))) == NULL)
		goto fail;
	if (old > 0)
		memcpy(nv, v->addrs[f].v, old * sizeof(*nv));
	v->addrs[f].v = nv;
	for (i = 0; i < n; i++) {
		addr = mime_address_list_address(al, i);
		if (addr == NULL || *addr == '\0')
			continue;	/* an empty group */
		if (addr_make(v, mime_address_list_name(al, i), addr,
		    &nv[v->addrs[f].n]) == -1)
			goto fail;
		v->addrs[f].n++;
	}
	rv = 0;
fail:
	mime_address_list_free(al);
	return rv;
}

int
rule_view_addrs(struct rule_view *v, enum rule_addr_field f,
    const struct rule_addr **out, size_t *n)
{
	const char	*fn, *raw;
	size_t		 fnlen, len;
	long		 at;

	if (!(v->done & (VIEW_ADDRS << f))) {
		for (at = -1; (at = mime_part_header_find(v->top,
		    addr_headers[f], (size_t)(at + 1))) != -1; ) {
			mime_part_header_at(v->top, (size_t)at, &fn, &fnlen,
			    &raw, &len);
			if (addrs_add(v, f, raw, len) == -1)
				return -1;
		}
		v->done |= VIEW_ADDRS << f;
	}
	*out = v->addrs[f].v;
	*n = v->addrs[f].n;
	return 0;
}

void
rule_view_free(struct rule_view *v)
{
	mime_buf_free(&v->body);
	mime_buf_free(&v->scratch);
}

int
rule_view_body(struct rule_view *v, struct rule_span *out)
{
	unsigned	 bits;

	if (!(v->done & VIEW_BODY)) {
		if (rule_body_extract(v->in->msg, RULE_BODY_MAX, &v->body,
		    &bits, &v->body_cut) == -1 ||
		    rule_utf8_fix(&v->body, 0) == -1)
			return -1;
		v->defects |= bits;
		v->done |= VIEW_BODY;
	}
	out->p = v->body.data != NULL ? v->body.data : "";
	out->len = v->body.len;
	return 0;
}

static int
leaf_make(struct rule_view *v, const struct mime_part *p,
    struct rule_leaf *l)
{
	const char	*t = mime_part_type(p), *s = mime_part_subtype(p);
	const char	*name = mime_part_filename(p);
	size_t		 tl = strlen(t), sl = strlen(s), len;
	char		*type;

	if ((type = rule_arena_alloc(v->arena, tl + sl + 2)) == NULL)
		return -1;
	memcpy(type, t, tl);
	type[tl] = '/';
	memcpy(type + tl + 1, s, sl + 1);
	l->part = p;
	l->filename = NULL;
	if (name != NULL && (l->filename = rule_utf8_copy(v->arena, name,
	    strlen(name), &len)) == NULL)
		return -1;
	if ((l->type = rule_utf8_copy(v->arena, type, tl + sl + 1,
	    &len)) == NULL)
		return -1;
	l->size = -1;
	return 0;
}

int
rule_view_leaves(struct rule_view *v, struct rule_leaf **out, size_t *n)
{
	const struct mime_part	*p;
	size_t			 count = 0;

	if (!(v->done & VIEW_LEAVES)) {
		for (p = v->top; p != NULL; p = mime_part_walk_next(p))
			if (mime_part_is_leaf(p) && rule_part_is_attachment(p))
				count++;
		if (count > 0 && (v->leaves = rule_arena_alloc(v->arena,
		    count * sizeof(*v->leaves))) == NULL)
			return -1;
		for (p = v->top; p != NULL; p = mime_part_walk_next(p)) {
			if (!mime_part_is_leaf(p) ||
			    !rule_part_is_attachment(p))
				continue;
			if (leaf_make(v, p, &v->leaves[v->nleaves]) == -1)
				return -1;
			v->nleaves++;
		}
		v->done |= VIEW_LEAVES;
	}
	*out = v->leaves;
	*n = v->nleaves;
	return 0;
}

static int
count_sink(void *ctx, const char *data, size_t len)
{
	long long	*n = ctx;

	(void)data;
	*n += (long long)len;
	return 0;
}

/* Decoded size of a part; its decoding defects go to the view. */
static long long
part_size(struct rule_view *v, const struct mime_part *p)
{
	long long	 n = 0;
	int		 bits;

	if ((bits = mime_part_decode(p, count_sink, &n)) > 0)
		v->defects |= (unsigned)bits;
	return n;
}

long long
rule_view_leaf_size_max(const struct rule_leaf *l)
{
	const char	*body;
	size_t		 len;

	/* No transfer encoding makes data bigger when it decodes. */
	if (l->size != -1)
		return l->size;
	mime_part_body(l->part, &body, &len);
	return (long long)len;
}

int
rule_view_leaf_size(struct rule_view *v, struct rule_leaf *l,
    long long *size)
{
	if (l->size == -1)
		l->size = part_size(v, l->part);
	*size = l->size;
	return 0;
}

int
rule_view_defects(struct rule_view *v, unsigned *out)
{
	const struct mime_message	*m = v->in->msg;
	const struct rule_addr		*a;
	const struct mime_part		*p;
	struct rule_span		 s;
	size_t				 i, n;
	int				 f;

	if (!(v->done & VIEW_DEFECTS)) {
		for (i = 0; i < mime_message_defect_count(m); i++)
			v->defects |= 1u << mime_message_defect(m, i)->code;
		if (rule_view_subject(v, &s) == -1 ||
		    rule_view_body(v, &s) == -1)
			return -1;
		for (f = 0; f < RULE_ADDR_NFIELDS; f++)
			if (rule_view_addrs(v, f, &a, &n) == -1)
				return -1;
		for (p = v->top; p != NULL; p = mime_part_walk_next(p))
			if (mime_part_is_leaf(p))
				(void)part_size(v, p);
		v->done |= VIEW_DEFECTS;
	}
	*out = v->defects;
	return 0;
}

static int
caller_text(struct rule_view *v, const char *s, unsigned bit,
    struct rule_span *cache, struct rule_span *out)
{
	if (!(v->done & bit)) {
		if (span_copy(v, s != NULL ? s : "", s != NULL ? strlen(s) : 0,
		    cache) == -1)
			return -1;
		v->done |= bit;
	}
	*out = *cache;
	return 0;
}

int
rule_view_account(struct rule_view *v, struct rule_span *out)
{
	return caller_text(v, v->in->account, VIEW_ACCOUNT, &v->account, out);
}

int
rule_view_folder(struct rule_view *v, struct rule_span *out)
{
	return caller_text(v, v->in->folder, VIEW_FOLDER, &v->folder, out);
}

void
rule_view_date(struct rule_view *v, time_t *t, long *offset, int *valid)
{
	const char	*raw;
	size_t		 len;

	if (!(v->done & VIEW_DATE)) {
		v->date = v->in->now;
		v->date_offset = 0;
		v->date_valid = 0;
		mime_buf_reset(&v->scratch);
		/* Without memory for the unfolded value, the fallback. */
		if ((raw = header_raw(v->top, "Date", &len)) != NULL &&
		    mime_header_unfold(raw, len, &v->scratch) == 0 &&
		    rule_date_parse(v->scratch.data, v->scratch.len, &v->date,
		    &v->date_offset) == 0)
			v->date_valid = 1;
		v->done |= VIEW_DATE;
	}
	*t = v->date;
	*offset = v->date_offset;
	*valid = v->date_valid;
}

int
rule_view_message_id(struct rule_view *v, struct rule_span *out)
{
	const char	*raw, *s;
	size_t		 len, n;

	if (!(v->done & VIEW_MSGID)) {
		v->message_id.p = "";
		v->message_id.len = 0;
		if ((raw = header_raw(v->top, "Message-ID", &len)) != NULL) {
			mime_buf_reset(&v->scratch);
			if (mime_header_unfold(raw, len, &v->scratch) == -1)
				return -1;
			s = v->scratch.data;
			n = v->scratch.len;
			if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
				s++;
				n -= 2;
			}
			if (span_copy(v, s, n, &v->message_id) == -1)
				return -1;
		}
		v->done |= VIEW_MSGID;
	}
	*out = v->message_id;
	return 0;
}

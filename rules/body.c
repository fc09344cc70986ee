/* SPDX-License-Identifier: ISC */
/* body.c - the text of a message for body conditions; see body.h. */
#include <stddef.h>
#include <string.h>

#include "mime/mime.h"
#include "rules/body.h"
#include "rules/html.h"

/* Transfer-decoded text of one part. */
struct rule_span_text {
	const char	*p;
	size_t		 len;
	int		 cut;
	unsigned	 defects;
};

struct sink {
	struct mime_buf	*buf;
	size_t		 max;
	int		 cut;
	int		 nomem;
};

static int
sink_append(void *ctx, const char *data, size_t len)
{
	struct sink	*s = ctx;
	size_t		 room = s->max - s->buf->len;

	if (len > room) {
		s->cut = 1;
		len = room;
	}
	if (mime_buf_append(s->buf, data, len) == -1) {
		s->nomem = 1;
		return -1;
	}
	return s->cut ? -1 : 0;	/* cut: enough, stop decoding */
}

int
rule_part_is_attachment(const struct mime_part *p)
{
	const char	*d = mime_part_disposition(p);

	return (d != NULL && strcmp(d, "attachment") == 0) ||
	    mime_part_filename(p) != NULL;
}

int
rule_body_is_text(const struct mime_part *p)
{
	const char	*sub;

	if (!mime_part_is_leaf(p) || strcmp(mime_part_type(p), "text") != 0)
		return 0;
	sub = mime_part_subtype(p);
	if (strcmp(sub, "plain") != 0 && strcmp(sub, "html") != 0)
		return 0;
	return !rule_part_is_attachment(p);
}

/* Line ends of out[from..] made LF, in place. */
static void
normalize_newlines(struct mime_buf *out, size_t from)
{
	char	*s = out->data, *end, *w;

	/* nothing added: data may still be NULL, and NULL + 0 is UB */
	if (out->len == from ||
	    (s = memchr(s + from, '\r', out->len - from)) == NULL)
		return;
	end = out->data + out->len;
	for (w = s; s < end; s++) {
		if (*s != '\r') {
			*w++ = *s;
			continue;
		}
		if (s + 1 < end && s[1] == '\n')
			continue;	/* CRLF: the LF follows */
		*w++ = '\n';
	}
	out->len = (size_t)(w - out->data);
	out->data[out->len] = '\0';
}

/* Cut out back to max bytes on a UTF-8 boundary. */
static void
cut_utf8(struct mime_buf *out, size_t max)
{
	size_t	 n = max;

	if (out->len <= max)
		return;
	while (n > 0 && ((unsigned char)out->data[n] & 0xc0) == 0x80)
		n--;
	out->len = n;
	out->data[n] = '\0';
}

/* The transfer-decoded text of p, at most room bytes: the part's own
 * bytes when it has no encoding to undo, else decoded into raw. */
static int
part_text(const struct mime_part *p, size_t room, struct mime_buf *raw,
    struct rule_span_text *t)
{
	struct sink	 s = { raw, room, 0, 0 };
	enum mime_encoding enc = mime_part_encoding(p);
	int		 bits;

	if (enc != MIME_ENC_BASE64 && enc != MIME_ENC_QP) {
		mime_part_body(p, &t->p, &t->len);
		t->cut = t->len > room;
		if (t->cut)
			t->len = room;
		t->defects = enc == MIME_ENC_UNKNOWN ?
		    1u << MIME_DEFECT_UNKNOWN_ENCODING : 0;
		return 0;
	}
	mime_buf_reset(raw);
	if ((bits = mime_part_decode(p, sink_append, &s)) == -1 && s.nomem)
		return -1;
	t->p = raw->data;
	t->len = raw->len;
	t->cut = s.cut;
	t->defects = bits > 0 ? (unsigned)bits : 0;
	return 0;
}

static int
add_part(const struct mime_message *m, const struct mime_part *p,
    size_t max, struct mime_buf *raw, struct mime_buf *html,
    struct mime_buf *out, unsigned *defects, int *cut)
{
	struct rule_span_text	 t;
	const char		*cs = mime_part_charset(p);
	size_t			 start;
	int			 bits;

	if (part_text(p, max - out->len, raw, &t) == -1)
		return -1;
	*defects |= t.defects;
	*cut |= t.cut;
	if (out->len > 0 && mime_buf_append_char(out, '\n') == -1)
		return -1;
	start = out->len;
	/* Text without a charset is us-ascii (RFC 2045), which mime/
	 * reads as UTF-8 when it is. */
	if (cs == NULL)
		cs = "us-ascii";
	if (strcmp(mime_part_subtype(p), "html") == 0) {
		mime_buf_reset(html);
		bits = mime_charset_to_utf8(cs, t.p, t.len,
		    mime_message_fallback_charset(m), html);
		if (bits == -1 || rule_html_to_text(html->data, html->len,
		    out) == -1)
			return -1;
	} else if ((bits = mime_charset_to_utf8(cs, t.p, t.len,
	    mime_message_fallback_charset(m), out)) == -1)
		return -1;
	*defects |= (unsigned)bits;
	normalize_newlines(out, start);
	return 0;
}

static int
is_alternative(const struct mime_part *p)
{
	return mime_part_is_multipart(p) &&
	    strcmp(mime_part_subtype(p), "alternative") == 0;
}

static int
is_plain(const struct mime_part *p)
{
	return rule_body_is_text(p) &&
	    strcmp(mime_part_subtype(p), "plain") == 0;
}

/* The alternative whose text is the body: the first text/plain, else
 * the first HTML or multipart one (HTML with its images), else the
 * first.  Only the first children are looked at, so a hostile message
 * with thousands of alternatives costs linear time. */
static const struct mime_part *
alternative_chosen(const struct mime_part *alt)
{
	const struct mime_part	*c, *rich = NULL;
	int			 n;

	for (c = mime_part_first_child(alt), n = 0; c != NULL && n < 16;
	    c = mime_part_next_sibling(c), n++) {
		if (is_plain(c))
			return c;
		if (rich == NULL && (mime_part_is_multipart(c) ||
		    rule_body_is_text(c)))
			rich = c;
	}
	return rich != NULL ? rich : mime_part_first_child(alt);
}

/* The part after p and all it contains, in a walk of top. */
static const struct mime_part *
after_subtree(const struct mime_part *top, const struct mime_part *p)
{
	while (p != top && mime_part_next_sibling(p) == NULL)
		p = mime_part_parent(p);
	return p == top ? NULL : mime_part_next_sibling(p);
}

int
rule_body_extract(const struct mime_message *m, size_t max,
    struct mime_buf *out, unsigned *defects, int *cut)
{
	const struct mime_part	*root = mime_message_root(m), *p, *parent;
	struct mime_buf		 raw, html;
	size_t			 base = out->len;
	int			 rv = -1;

	*defects = 0;
	*cut = 0;
	mime_buf_init(&raw);
	mime_buf_init(&html);
	for (p = root; p != NULL; ) {
		parent = mime_part_parent(p);
		if (p != root && parent != NULL && is_alternative(parent) &&
		    p != alternative_chosen(parent)) {
			p = after_subtree(root, p);
			continue;
		}
		if (!rule_body_is_text(p)) {
			p = mime_part_walk_next(p);
			continue;
		}
		if (out->len - base >= max) {
			*cut = 1;
			break;
		}
		if (add_part(m, p, max + base, &raw, &html, out, defects,
		    cut) == -1)
			goto fail;
		p = mime_part_walk_next(p);
	}
	if (out->len - base > max) {
		*cut = 1;
		cut_utf8(out, base + max);
	}
	rv = 0;
fail:
	mime_buf_free(&raw);
	mime_buf_free(&html);
	return rv;
}

/* SPDX-License-Identifier: ISC */
/*
 * parse.c - the MIME structure parser.
 *
 * One forward pass over the buffer, no recursion: a stack of open
 * multipart frames holds the boundaries that may end the current body,
 * and `cur` is the deepest entity still open.  A delimiter line of any
 * open frame ends every entity below that frame (RFC 2046 5.1.2: parent
 * boundaries close children), so a missing close delimiter costs nothing
 * but a defect.  Boundary lines are found with memchr for '-', which never
 * occurs in base64 bodies, so attachments are skipped at memchr speed.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "header.h"
#include "param.h"
#include "part.h"

struct frame {
	struct mime_part	*part;
	const char		*bnd;
	size_t			 blen;
	int			 seen;		/* a delimiter was found */
};

struct parser {
	struct mime_message	*msg;
	const char		*buf;
	size_t			 len;
	struct frame		*frames;
	size_t			 nframes, cap;
	struct mime_part	*cur;
	struct mime_buf		 scratch;
};

struct bmatch {
	size_t	 line;		/* offset of the delimiter line */
	size_t	 next;		/* offset of the line after it */
	size_t	 level;		/* index of the frame it belongs to */
	int	 close;		/* close delimiter "--b--" */
};

static int
defect(struct parser *ps, size_t off, const struct mime_part *p,
    enum mime_defect_code code)
{
	return mime_message_add_defect(ps->msg, off, p, code);
}

static int
defect_bits(struct parser *ps, size_t off, const struct mime_part *p,
    unsigned bits)
{
	int	 i;

	for (i = 0; i < MIME_DEFECT_COUNT; i++)
		if ((bits & (1u << i)) && defect(ps, off, p, i) == -1)
			return -1;
	return 0;
}

static struct mime_part *
part_new(struct parser *ps, struct mime_part *parent, size_t off)
{
	struct mime_part	*p;

	if ((p = mime_arena_alloc(ps->msg, sizeof(*p))) == NULL)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->msg = ps->msg;
	p->parent = parent;
	p->hdr_start = p->hdr_end = p->body_start = p->body_end = off;
	p->type = "text";
	p->subtype = "plain";
	p->enc = MIME_ENC_7BIT;
	if (parent != NULL) {
		p->depth = parent->depth + 1;
		if (parent->last_child == NULL)
			parent->first_child = p;
		else
			parent->last_child->next = p;
		p->ordinal = parent->last_child == NULL ? 1 :
		    parent->last_child->ordinal + 1;
		parent->last_child = p;
	}
	ps->msg->nparts++;
	return p;
}

/* Does the line at off (starting with '-') match an open boundary? */
static int
boundary_at(const struct parser *ps, size_t off, struct bmatch *m)
{
	const char		*s = ps->buf + off, *end = ps->buf + ps->len;
	const char		*r;
	const struct frame	*f;
	size_t			 i, avail = ps->len - off;

	if (avail < 2 || s[0] != '-' || s[1] != '-')
		return 0;
	for (i = ps->nframes; i-- > 0;) {
		f = &ps->frames[i];
		if (avail - 2 < f->blen || memcmp(s + 2, f->bnd, f->blen) != 0)
			continue;
		r = s + 2 + f->blen;
		m->close = 0;
		if (end - r >= 2 && r[0] == '-' && r[1] == '-') {
			m->close = 1;
			r += 2;
		}
		while (r < end && (*r == ' ' || *r == '\t'))
			r++;
		if (r < end && *r == '\r')
			r++;
		if (r < end && *r != '\n')
			continue;	/* longer line: not this boundary */
		m->line = off;
		m->next = r < end ? (size_t)(r + 1 - ps->buf) : ps->len;
		m->level = i;
		return 1;
	}
	return 0;
}

static int
boundary_find(const struct parser *ps, size_t pos, struct bmatch *m)
{
	const char	*buf = ps->buf, *end = buf + ps->len;
	const char	*p = buf + pos, *q, *nl;

	while (p < end) {
		if ((q = memchr(p, '-', (size_t)(end - p))) == NULL)
			return 0;
		if ((q == buf + pos || q[-1] == '\n') &&
		    boundary_at(ps, (size_t)(q - buf), m))
			return 1;
		if ((nl = memchr(q, '\n', (size_t)(end - q))) == NULL)
			return 0;
		p = nl + 1;
	}
	return 0;
}

static int
field_add(struct parser *ps, size_t name, size_t nlen, size_t val,
    size_t vlen)
{
	struct mime_message	*msg = ps->msg;
	struct mime_field	*f;
	size_t			 cap;

	if (msg->nfields == msg->fields_cap) {
		cap = msg->fields_cap == 0 ? 32 : msg->fields_cap * 2;
		f = reallocarray(msg->fields, cap, sizeof(*f));
		if (f == NULL)
			return -1;
		msg->fields = f;
		msg->fields_cap = cap;
	}
	f = &msg->fields[msg->nfields++];
	f->name_off = name;
	f->name_len = nlen;
	f->val_off = val;
	f->val_len = vlen;
	return 0;
}

/* Length of the field name on a line "Name: value", or 0 if none. */
static size_t
field_name(const char *s, size_t len, size_t *colon)
{
	size_t	 i, n;

	for (i = 0; i < len && s[i] > 32 && s[i] < 127 && s[i] != ':'; i++)
		;
	n = i;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;	/* obsolete syntax allows WSP before the colon */
	if (n == 0 || i >= len || s[i] != ':')
		return 0;
	*colon = i;
	return n;
}

/*
 * Split the header block at off into fields.  Ends at the empty line, or
 * at the first line that is not a field (body with no separator line).
 */
static int
headers_parse(struct parser *ps, struct mime_part *p, size_t off)
{
	struct mime_message	*msg = ps->msg;
	const char		*buf = ps->buf, *nl;
	size_t			 line = off, next, eol, nlen, colon, val;
	struct bmatch		 m;
	int			 have = 0;

	p->hdr_start = off;
	p->field0 = msg->nfields;
	if (p->parent == NULL && ps->len - off >= 5 &&
	    memcmp(buf + off, "From ", 5) == 0) {
		/* mbox envelope line, not a header */
		nl = memchr(buf + off, '\n', ps->len - off);
		line = nl == NULL ? ps->len : (size_t)(nl - buf) + 1;
	}
	for (; line < ps->len; line = next) {
		nl = memchr(buf + line, '\n', ps->len - line);
		next = nl == NULL ? ps->len : (size_t)(nl - buf) + 1;
		eol = nl == NULL ? ps->len : (size_t)(nl - buf);
		if (eol > line && buf[eol - 1] == '\r')
			eol--;
		if (eol == line) {
			p->hdr_end = line;
			p->body_start = next;
			goto done;
		}
		if (line - off > msg->limits.max_header_bytes) {
			p->flags |= PART_OPAQUE;
			if (defect(ps, line, p, MIME_DEFECT_HEADER_LIMIT) == -1)
				return -1;
			break;
		}
		if (buf[line] == ' ' || buf[line] == '\t') {
			if (have)
				msg->fields[msg->nfields - 1].val_len =
				    eol - msg->fields[msg->nfields - 1].val_off;
			else if (defect(ps, line, p,
			    MIME_DEFECT_BAD_HEADER_LINE) == -1)
				return -1;
			continue;
		}
		if ((buf[line] == '-' && boundary_at(ps, line, &m)) ||
		    (nlen = field_name(buf + line, eol - line, &colon)) == 0) {
			if (defect(ps, line, p, MIME_DEFECT_NO_HEADER_END) == -1)
				return -1;
			break;
		}
		val = line + colon + 1;
		while (val < eol && (buf[val] == ' ' || buf[val] == '\t'))
			val++;
		if (field_add(ps, line, nlen, val, eol - val) == -1)
			return -1;
		have = 1;
	}
	/* No empty line: the body, if any, starts right here. */
	p->hdr_end = p->body_start = line;
done:
	p->nfields = msg->nfields - p->field0;
	p->body_end = p->body_start;
	return 0;
}

static const struct mime_field *
field_get(const struct parser *ps, const struct mime_part *p,
    const char *name)
{
	const struct mime_field	*f;
	size_t			 i, n = strlen(name);

	for (i = 0; i < p->nfields; i++) {
		f = &ps->msg->fields[p->field0 + i];
		if (f->name_len == n &&
		    mime_name_eq(ps->buf + f->name_off, n, name))
			return f;
	}
	return NULL;
}

/* Parse a parameterised field into a packed block in the arena. */
static const char *
params_get(struct parser *ps, struct mime_part *p, const struct mime_field *f,
    int *n)
{
	unsigned	 bits = 0;
	int		 r;

	mime_buf_reset(&ps->scratch);
	r = mime_param_parse(ps->buf + f->val_off, f->val_len,
	    ps->msg->limits.fallback_charset, &ps->scratch, &bits);
	if (r == -1)
		return NULL;
	if (bits != 0 && defect_bits(ps, f->name_off, p, bits) == -1)
		return NULL;
	*n = r;
	if (ps->scratch.len == 0)
		return mime_arena_strndup(ps->msg, "", 0);
	return mime_arena_strndup(ps->msg, ps->scratch.data, ps->scratch.len);
}

static int
content_type(struct parser *ps, struct mime_part *p)
{
	const struct mime_field	*f;
	const char		*slash;
	char			*t;
	size_t			 len;

	if (p->parent != NULL && (p->parent->flags & PART_DIGEST)) {
		p->type = "message";
		p->subtype = "rfc822";
	}
	if ((f = field_get(ps, p, "Content-Type")) == NULL)
		return 0;
	if ((p->ct = params_get(ps, p, f, &p->ct_n)) == NULL)
		return -1;
	len = strlen(p->ct);
	slash = memchr(p->ct, '/', len);
	if (slash == NULL || slash == p->ct || slash == p->ct + len - 1 ||
	    memchr(slash + 1, '/', len - (size_t)(slash + 1 - p->ct)) != NULL)
		return defect(ps, f->name_off, p, MIME_DEFECT_BAD_CONTENT_TYPE);
	if ((t = mime_arena_strndup(ps->msg, p->ct, len)) == NULL)
		return -1;
	t[slash - p->ct] = '\0';
	p->type = t;
	p->subtype = t + (slash - p->ct) + 1;
	return 0;
}

static int
classify(struct parser *ps, struct mime_part *p)
{
	const struct mime_field	*f;
	const char		*bnd;
	unsigned		 max = ps->msg->limits.max_depth;

	if (content_type(ps, p) == -1)
		return -1;
	if ((f = field_get(ps, p, "Content-Transfer-Encoding")) != NULL) {
		p->enc = mime_encoding_from_name(ps->buf + f->val_off,
		    f->val_len);
		if (p->enc == MIME_ENC_UNKNOWN && defect(ps, f->name_off, p,
		    MIME_DEFECT_UNKNOWN_ENCODING) == -1)
			return -1;
	}
	if ((f = field_get(ps, p, "Content-Disposition")) != NULL &&
	    (p->cd = params_get(ps, p, f, &p->cd_n)) == NULL)
		return -1;
	if (p->flags & PART_OPAQUE)
		return 0;
	if (strcmp(p->type, "multipart") == 0) {
		bnd = mime_part_param(p, "boundary");
		if (bnd == NULL || *bnd == '\0')
			return defect(ps, p->hdr_start, p,
			    MIME_DEFECT_NO_BOUNDARY_PARAM);
		if (p->depth >= max)
			return defect(ps, p->body_start, p,
			    MIME_DEFECT_DEPTH_LIMIT);
		p->flags |= PART_MULTIPART;
		if (strcmp(p->subtype, "digest") == 0)
			p->flags |= PART_DIGEST;
		return 0;
	}
	if (strcmp(p->type, "message") == 0 &&
	    (strcmp(p->subtype, "rfc822") == 0 ||
	    strcmp(p->subtype, "global") == 0) &&
	    p->enc != MIME_ENC_BASE64 && p->enc != MIME_ENC_QP &&
	    p->enc != MIME_ENC_UNKNOWN) {
		if (p->depth >= max)
			return defect(ps, p->body_start, p,
			    MIME_DEFECT_DEPTH_LIMIT);
		p->flags |= PART_MESSAGE;
	}
	return 0;
}

static int
frame_push(struct parser *ps, struct mime_part *p)
{
	struct frame	*f;
	size_t		 cap;
	const char	*bnd = mime_part_param(p, "boundary");

	if (ps->nframes == ps->cap) {
		cap = ps->cap == 0 ? 8 : ps->cap * 2;
		if ((f = reallocarray(ps->frames, cap, sizeof(*f))) == NULL)
			return -1;
		ps->frames = f;
		ps->cap = cap;
	}
	f = &ps->frames[ps->nframes++];
	f->part = p;
	f->bnd = bnd;
	f->blen = strlen(bnd);
	f->seen = 0;
	return 0;
}

/*
 * Parse the headers of p and of every entity it opens right away: the
 * top entity of a message/rfc822 body.  Leaves `cur` at the deepest one.
 */
static int
entity_open(struct parser *ps, struct mime_part *p, size_t off)
{
	for (;;) {
		if (headers_parse(ps, p, off) == -1 || classify(ps, p) == -1)
			return -1;
		ps->cur = p;
		if (p->flags & PART_MULTIPART)
			return frame_push(ps, p);
		if (!(p->flags & PART_MESSAGE))
			return 0;
		off = p->body_start;
		if (ps->msg->nparts + 1 >= ps->msg->limits.max_parts) {
			p->flags &= ~(unsigned)PART_MESSAGE;
			return defect(ps, off, p, MIME_DEFECT_PART_LIMIT);
		}
		if ((p = part_new(ps, p, off)) == NULL)
			return -1;
		p->flags |= PART_TOP;
	}
}

/* End the body of every open entity from cur up to (not including) top. */
static void
chain_close(struct parser *ps, const struct mime_part *top, size_t end)
{
	struct mime_part	*p;

	for (p = ps->cur; p != NULL && p != top; p = p->parent) {
		if (p->body_ended)
			continue;
		p->body_end = end < p->body_start ? p->body_start : end;
		p->body_ended = 1;
	}
}

/* A frame left open: its part never saw a delimiter, or never closed. */
static int
frame_abandon(struct parser *ps, struct frame *f, size_t off)
{
	if (f->seen)
		return defect(ps, off, f->part, MIME_DEFECT_NO_END_BOUNDARY);
	/* No structure at all: keep the body as a leaf, never drop it. */
	f->part->flags &= ~(unsigned)(PART_MULTIPART | PART_DIGEST);
	return defect(ps, off, f->part, MIME_DEFECT_NO_START_BOUNDARY);
}

/* Where a body ends before a delimiter line: its line break is the
 * delimiter's (RFC 2046 5.1.1). */
static size_t
break_before(const struct parser *ps, size_t line)
{
	if (line > 0 && ps->buf[line - 1] == '\n') {
		line--;
		if (line > 0 && ps->buf[line - 1] == '\r')
			line--;
	}
	return line;
}

static int
part_limit(struct parser *ps, struct mime_part *parent, size_t off)
{
	struct mime_part	*p;

	if ((p = part_new(ps, parent, off)) == NULL)
		return -1;
	p->type = "application";
	p->subtype = "octet-stream";
	p->flags |= PART_OPAQUE;
	ps->cur = p;
	ps->nframes = 0;
	return defect(ps, off, p, MIME_DEFECT_PART_LIMIT);
}

static int
delimiter(struct parser *ps, const struct bmatch *m, size_t *pos)
{
	struct frame		*f = &ps->frames[m->level];
	struct mime_part	*mp = f->part, *p;
	struct bmatch		 next;
	size_t			 brk = break_before(ps, m->line), i;

	for (i = ps->nframes; i-- > m->level + 1;)
		if (frame_abandon(ps, &ps->frames[i], m->line) == -1)
			return -1;
	chain_close(ps, mp, brk);
	ps->nframes = m->level + 1;
	ps->cur = mp;
	if (!f->seen) {
		mp->preamble_end = brk < mp->body_start ? mp->body_start : brk;
		f->seen = 1;
	}
	*pos = m->next;
	if (m->close) {
		mp->closed = 1;
		mp->epilogue_start = m->next;
		ps->nframes--;
		return 0;
	}
	/* Nothing, not even a line break, before the next delimiter: no
	 * part a reader or a rule wants (Python's email and GMime drop it
	 * too), so keep the defect and no part. */
	if (boundary_at(ps, m->next, &next))
		return defect(ps, m->next, mp, MIME_DEFECT_EMPTY_PART);
	if (ps->msg->nparts + 1 >= ps->msg->limits.max_parts)
		return part_limit(ps, mp, m->next);
	if ((p = part_new(ps, mp, m->next)) == NULL ||
	    entity_open(ps, p, m->next) == -1)
		return -1;
	*pos = ps->cur->body_start;
	return 0;
}

int
mime_parse_run(struct mime_message *msg)
{
	struct parser	 ps;
	struct bmatch	 m;
	size_t		 pos, i;
	int		 rv = -1;

	memset(&ps, 0, sizeof(ps));
	ps.msg = msg;
	ps.buf = msg->buf;
	ps.len = msg->len;
	mime_buf_init(&ps.scratch);
	if ((msg->root = part_new(&ps, NULL, 0)) == NULL)
		goto out;
	msg->root->flags |= PART_TOP;
	if (entity_open(&ps, msg->root, 0) == -1)
		goto out;
	pos = ps.cur->body_start;
	while (ps.nframes > 0 && boundary_find(&ps, pos, &m))
		if (delimiter(&ps, &m, &pos) == -1)
			goto out;
	for (i = ps.nframes; i-- > 0;)
		if (frame_abandon(&ps, &ps.frames[i], ps.len) == -1)
			goto out;
	chain_close(&ps, NULL, ps.len);
	rv = 0;
out:
	free(ps.frames);
	mime_buf_free(&ps.scratch);
	return rv;
}

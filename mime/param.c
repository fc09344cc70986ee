/* SPDX-License-Identifier: ISC */
/*
 * param.c - Content-Type and Content-Disposition values; see param.h.
 *
 * Parameters are first collected raw (name split into base, section and
 * '*' flag; value unquoted), then sorted by name so that RFC 2231
 * sections can be joined in order and duplicates found in O(n log n),
 * then turned into UTF-8 and packed in order of first appearance.
 *
 * Real-world junk and what is done with it (with MIME_DEFECT_BAD_PARAM
 * where the syntax is broken):
 * - "text/plain name=x": the leading value ends at its first word, the
 *   parameter is read as if the ';' were there;
 * - an unquoted value runs to the next ';' and is trimmed, so
 *   "name=My File.pdf" keeps its inner space; a comment at either end is
 *   dropped ("us-ascii (Plain text)", RFC 2045), one inside is kept
 *   ("report (1).pdf"); whitespace then "token=" starts a new parameter;
 * - a parameter without '=' or without a name is skipped;
 * - duplicate names: the first wins; name* or name*0... wins over name;
 *   missing sections are joined without what is missing;
 * - a trailing ';' and empty parameters (";;") are not defects.
 * "boundary" is never RFC 2047-decoded nor trimmed: it is a literal
 * delimiter and must stay what the other readers of the message use.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "charset.h"
#include "defect.h"
#include "header.h"
#include "param.h"

#define DEFAULT_FALLBACK	"windows-1252"
#define CHARSET_MAX		64
#define SECTION_DIGITS		9
#define BIT(d)			(1u << (d))
#define BAD			BIT(MIME_DEFECT_BAD_PARAM)

enum param_kind {
	P_PLAIN,	/* name */
	P_EXTENDED,	/* name* */
	P_SECTION	/* name*0, name*1*, ... */
};

struct rawparam {
	size_t		 name;		/* offsets into scratch */
	size_t		 namelen;	/* base name only, lower-cased */
	size_t		 val;
	size_t		 vallen;
	enum param_kind	 kind;
	long		 section;
	int		 ext;		/* '*' suffix: %XX encoded */
	size_t		 order;
	const char	*namep;		/* once scratch is final */
};

struct result {
	size_t		 order;
	const char	*name;
	size_t		 namelen;
	size_t		 val;		/* offset into vals */
	size_t		 vallen;
};

struct pparser {
	const char	*s;
	size_t		 len;
	size_t		 pos;
	const char	*fallback;
	unsigned	 defects;
	struct mime_buf	 scratch;
	struct rawparam	*v;
	size_t		 n;
	size_t		 cap;
};

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 token character. */
static int
is_token(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	switch (c) {
	case '(': case ')': case '<': case '>': case '@': case ',': case ';':
	case ':': case '\\': case '"': case '/': case '[': case ']': case '?':
	case '=':
		return 0;
	default:
		return 1;
	}
}

static unsigned char
lower(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	return c;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Index after the comment at s[i], nested comments counted, not
 * recursed into. */
static size_t
skip_comment(const char *s, size_t len, size_t i, unsigned *defects)
{
	size_t	 depth = 0;

	for (; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && --depth == 0)
			return i + 1;
	}
	*defects |= BAD;
	return len;
}

/* Skip whitespace and comments; 1 if there were any. */
static int
skip_cfws(struct pparser *p)
{
	size_t	 start = p->pos;

	while (p->pos < p->len) {
		if (is_wsp(p->s[p->pos]))
			p->pos++;
		else if (p->s[p->pos] == '(')
			p->pos = skip_comment(p->s, p->len, p->pos,
			    &p->defects);
		else
			break;
	}
	return p->pos != start;
}

/* Index after the quoted string at s[i]. */
static size_t
skip_quoted(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return len;
}

/* Skip a broken parameter up to the next ';', quotes and comments
 * included.  Moves at least one byte unless at ';' or the end. */
static void
skip_param(struct pparser *p)
{
	p->defects |= BAD;
	while (p->pos < p->len && p->s[p->pos] != ';') {
		if (p->s[p->pos] == '(')
			p->pos = skip_comment(p->s, p->len, p->pos,
			    &p->defects);
		else if (p->s[p->pos] == '"')
			p->pos = skip_quoted(p->s, p->len, p->pos);
		else
			p->pos++;
	}
}

/* A "token =" at s[i]: a parameter whose ';' is missing. */
static int
param_follows(const struct pparser *p, size_t i)
{
	size_t	 t = i;

	while (t < p->len && is_token(p->s[t]))
		t++;
	if (t == i)
		return 0;
	while (t < p->len && is_wsp(p->s[t]))
		t++;
	return t < p->len && p->s[t] == '=';
}

/* type "/" subtype, or a disposition: tokens and '/', lower-cased, CFWS
 * dropped.  A second word after whitespace begins the parameters. */
static int
parse_value(struct pparser *p, struct mime_buf *out)
{
	int		 ws, words = 0, slash = 0;
	unsigned char	 c;

	for (;;) {
		ws = skip_cfws(p);
		if (p->pos >= p->len)
			break;
		c = p->s[p->pos];
		if (c == '/') {
			if (mime_buf_append_char(out, '/') == -1)
				return -1;
			slash = 1;
			p->pos++;
			continue;
		}
		if (!is_token(c) || (ws && words > 0 && !slash))
			break;
		for (; p->pos < p->len && is_token(p->s[p->pos]); p->pos++)
			if (mime_buf_append_char(out,
			    lower(p->s[p->pos])) == -1)
				return -1;
		words++;
		slash = 0;
	}
	return mime_buf_append_char(out, '\0');
}

/* Quoted string at pos: its content, pairs unescaped, folding dropped. */
static int
parse_quoted(struct pparser *p)
{
	size_t	 i;
	char	 c;

	for (i = p->pos + 1; i < p->len; i++) {
		c = p->s[i];
		if (c == '"') {
			p->pos = i + 1;
			return 0;
		}
		if (c == '\\') {
			if (i + 1 >= p->len)
				break;
			c = p->s[++i];
		}
		if (c != '\r' && c != '\n' &&
		    mime_buf_append_char(&p->scratch, c) == -1)
			return -1;
	}
	p->defects |= BAD;
	p->pos = p->len;
	return 0;
}

/* Unquoted value at pos: see the comment at the top. */
static int
parse_unquoted(struct pparser *p)
{
	size_t	 i = p->pos, q, first = SIZE_MAX, last = p->pos;

	while (i < p->len && p->s[i] != ';') {
		if (is_wsp(p->s[i])) {
			for (q = i; q < p->len && is_wsp(p->s[q]); q++)
				;
			if (first != SIZE_MAX && param_follows(p, q))
				break;
			i = q;
		} else if (p->s[i] == '(')
			i = skip_comment(p->s, p->len, i, &p->defects);
		else {
			if (first == SIZE_MAX)
				first = i;
			last = ++i;
		}
	}
	p->pos = i;
	if (first == SIZE_MAX)
		return 0;
	for (i = first; i < last; i++)
		if (p->s[i] != '\r' && p->s[i] != '\n' &&
		    mime_buf_append_char(&p->scratch, p->s[i]) == -1)
			return -1;
	return 0;
}

/* Split "name*3*" into base name, section and the '*' flag. */
static void
split_name(struct pparser *p, struct rawparam *r)
{
	const char	*n = p->scratch.data + r->name, *star, *rest;
	size_t		 base, restlen, d = 0;
	long		 sec = 0;

	r->kind = P_PLAIN;
	r->section = -1;
	r->ext = 0;
	if ((star = memchr(n, '*', r->namelen)) == NULL)
		return;
	base = star - n;
	rest = star + 1;
	restlen = r->namelen - base - 1;
	if (base == 0)
		goto bad;
	if (restlen == 0) {
		r->kind = P_EXTENDED;
		r->ext = 1;
		r->namelen = base;
		return;
	}
	for (; d < restlen && d < SECTION_DIGITS && rest[d] >= '0' &&
	    rest[d] <= '9'; d++)
		sec = sec * 10 + (rest[d] - '0');
	if (d == 0 || (d != restlen && (d + 1 != restlen || rest[d] != '*')))
		goto bad;
	r->kind = P_SECTION;
	r->section = sec;
	r->ext = d + 1 == restlen;
	r->namelen = base;
	return;
bad:
	/* Not RFC 2231: keep the whole name as a plain one. */
	p->defects |= BAD;
}

static int
add_raw(struct pparser *p, size_t name, size_t namelen, size_t val)
{
	struct rawparam	*v, *r;
	size_t		 cap;

	if (p->n == p->cap) {
		cap = p->cap == 0 ? 8 : p->cap * 2;
		if (cap > SIZE_MAX / sizeof *v ||
		    (v = realloc(p->v, cap * sizeof *v)) == NULL)
			return -1;
		p->v = v;
		p->cap = cap;
	}
	r = &p->v[p->n];
	r->name = name;
	r->namelen = namelen;
	r->val = val;
	r->vallen = p->scratch.len - val;
	r->order = p->n;
	split_name(p, r);
	p->n++;
	return 0;
}

/* One "name = value" at pos. */
static int
parse_param(struct pparser *p)
{
	size_t	 name = p->scratch.len, namelen, val;

	for (; p->pos < p->len && is_token(p->s[p->pos]); p->pos++)
		if (mime_buf_append_char(&p->scratch,
		    lower(p->s[p->pos])) == -1)
			return -1;
	namelen = p->scratch.len - name;
	if (namelen == 0) {
		skip_param(p);
		return 0;
	}
	skip_cfws(p);
	if (p->pos >= p->len || p->s[p->pos] != '=') {
		p->scratch.len = name;
		if (param_follows(p, p->pos))
			p->defects |= BAD;
		else
			skip_param(p);
		return 0;
	}
	p->pos++;
	skip_cfws(p);
	val = p->scratch.len;
	if (p->pos < p->len && p->s[p->pos] == '"') {
		if (parse_quoted(p) == -1)
			return -1;
		skip_cfws(p);
		if (p->pos < p->len && p->s[p->pos] != ';' &&
		    !param_follows(p, p->pos))
			skip_param(p);
	} else if (parse_unquoted(p) == -1)
		return -1;
	return add_raw(p, name, namelen, val);
}

static int
parse_params(struct pparser *p)
{
	int	 sep = 0;

	for (;;) {
		skip_cfws(p);
		if (p->pos >= p->len)
			return 0;
		if (p->s[p->pos] == ';') {
			p->pos++;
			sep = 1;
			continue;
		}
		if (!sep)
			p->defects |= BAD;
		sep = 0;
		if (parse_param(p) == -1)
			return -1;
	}
}

static int
cmp_name(const struct rawparam *x, const struct rawparam *y)
{
	int	 c;

	c = memcmp(x->namep, y->namep,
	    x->namelen < y->namelen ? x->namelen : y->namelen);
	if (c != 0)
		return c;
	if (x->namelen != y->namelen)
		return x->namelen < y->namelen ? -1 : 1;
	return 0;
}

/* By name, then plain < name* < sections, by section, by order. */
static int
cmp_raw(const void *a, const void *b)
{
	const struct rawparam	*x = *(const struct rawparam *const *)a;
	const struct rawparam	*y = *(const struct rawparam *const *)b;
	int			 c;

	if ((c = cmp_name(x, y)) != 0)
		return c;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->section != y->section)
		return x->section < y->section ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return 0;
}

static int
cmp_result(const void *a, const void *b)
{
	const struct result	*x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return 0;
}

/* Controls become spaces, NUL goes, as in header values. */
static void
sanitize(struct pparser *p, struct mime_buf *b, size_t from)
{
	size_t		 i, j;
	unsigned char	 c;

	for (i = j = from; i < b->len; i++) {
		c = b->data[i];
		if (c == '\0') {
			p->defects |= BIT(MIME_DEFECT_NUL_BYTE);
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			c = ' ';
		b->data[j++] = c;
	}
	if (b->data != NULL) {
		b->len = j;
		b->data[j] = '\0';
	}
}

/* Percent-decode v[0..len) into b; a bad escape stays as it is. */
static int
pct_decode(struct pparser *p, const char *v, size_t len, struct mime_buf *b)
{
	size_t	 i;
	int	 hi, lo;

	for (i = 0; i < len; i++) {
		if (v[i] == '%' && len - i >= 3 &&
		    (hi = hexval(v[i + 1])) >= 0 &&
		    (lo = hexval(v[i + 2])) >= 0) {
			if (mime_buf_append_char(b, (char)(hi << 4 | lo)) == -1)
				return -1;
			i += 2;
			continue;
		}
		if (v[i] == '%')
			p->defects |= BAD;
		if (mime_buf_append_char(b, v[i]) == -1)
			return -1;
	}
	return 0;
}

/*
 * Append the bytes of one RFC 2231 value or section to b.  In the first
 * one, "charset'language'" comes first: the charset goes to cs.
 */
static int
add_segment(struct pparser *p, const struct rawparam *r, int first,
    struct mime_buf *b, char *cs)
{
	const char	*v = p->scratch.data + r->val, *q1, *q2;
	size_t		 len = r->vallen;

	if (!r->ext)
		return mime_buf_append(b, v, len);
	if (!first)
		return pct_decode(p, v, len, b);
	if ((q1 = memchr(v, '\'', len)) == NULL) {
		/* No "charset'lang'" at all: every byte is text. */
		p->defects |= BAD;
		return pct_decode(p, v, len, b);
	}
	if ((size_t)(q1 - v) > CHARSET_MAX)
		p->defects |= BIT(MIME_DEFECT_UNKNOWN_CHARSET);
	else {
		memcpy(cs, v, q1 - v);
		cs[q1 - v] = '\0';
	}
	if ((q2 = memchr(q1 + 1, '\'', len - (q1 + 1 - v))) == NULL) {
		/* "charset'text": the language and its quote are missing. */
		p->defects |= BAD;
		q2 = q1;
	}
	len -= q2 + 1 - v;
	v = q2 + 1;
	return pct_decode(p, v, len, b);
}

/* Join sections in numeric order; the first of a number wins. */
static int
join_sections(struct pparser *p, struct rawparam **g, size_t n,
    struct mime_buf *b, char *cs, int *ext)
{
	long	 next = 0;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (g[i]->kind != P_SECTION)
			continue;
		if (g[i]->section < next) {
			p->defects |= BAD;
			continue;
		}
		if (g[i]->section != next)
			p->defects |= BAD;
		next = g[i]->section + 1;
		*ext |= g[i]->ext;
		if (add_segment(p, g[i], g[i]->section == 0, b, cs) == -1)
			return -1;
	}
	return 0;
}

/* Bytes without a declared charset: UTF-8 if valid, else fallback. */
static int
undeclared_to_utf8(struct pparser *p, const char *in, size_t len,
    struct mime_buf *out)
{
	int	 r;

	if (mime_utf8_valid(in, len))
		return mime_buf_append(out, in, len);
	r = mime_charset_to_utf8(p->fallback != NULL ? p->fallback :
	    DEFAULT_FALLBACK, in, len, NULL, out);
	if (r == -1)
		return -1;
	p->defects |= r | BIT(MIME_DEFECT_HEADER_8BIT);
	return 0;
}

/* The value of an RFC 2231 parameter (name* or sections) into out. */
static int
rfc2231_value(struct pparser *p, struct rawparam **g, size_t n,
    const struct rawparam *extended, struct mime_buf *out)
{
	struct mime_buf	 b;
	char		 cs[CHARSET_MAX + 1];
	size_t		 start = out->len;
	int		 ext = 1, r;

	cs[0] = '\0';
	mime_buf_init(&b);
	if (extended != NULL)
		r = add_segment(p, extended, 1, &b, cs);
	else {
		ext = 0;
		r = join_sections(p, g, n, &b, cs, &ext);
	}
	if (r == -1 || b.len == 0)
		goto done;
	if (cs[0] != '\0') {
		r = mime_charset_to_utf8(cs, b.data, b.len, p->fallback, out);
		if (r != -1)
			p->defects |= r;
	} else if (!ext) {
		/* Plain sections read like a plain value. */
		r = mime_phrase_decode(b.data, b.len, p->fallback, out);
		if (r != -1)
			p->defects |= r;
	} else
		r = undeclared_to_utf8(p, b.data, b.len, out);
	if (r != -1)
		sanitize(p, out, start);
done:
	mime_buf_free(&b);
	return r == -1 ? -1 : 0;
}

static int
plain_value(struct pparser *p, const struct rawparam *r, struct mime_buf *out)
{
	const char	*v = p->scratch.data + r->val;
	size_t		 start = out->len;
	int		 d;

	if (mime_name_eq(r->namep, r->namelen, "boundary")) {
		if (mime_buf_append(out, v, r->vallen) == -1)
			return -1;
		sanitize(p, out, start);
		return 0;
	}
	if ((d = mime_phrase_decode(v, r->vallen, p->fallback, out)) == -1)
		return -1;
	p->defects |= d;
	return 0;
}

/* All the raw parameters g[0..n) of one name give one value. */
static int
assemble(struct pparser *p, struct rawparam **g, size_t n,
    struct mime_buf *vals, struct result *res)
{
	const struct rawparam *plain = NULL, *extended = NULL;
	size_t		 i, sections = 0;

	res->order = g[0]->order;
	for (i = 0; i < n; i++) {
		if (g[i]->order < res->order)
			res->order = g[i]->order;
		if (g[i]->kind == P_SECTION)
			sections++;
		else if (g[i]->kind == P_EXTENDED && extended == NULL)
			extended = g[i];
		else if (g[i]->kind == P_PLAIN && plain == NULL)
			plain = g[i];
		else
			p->defects |= BAD;
	}
	if (extended != NULL && sections > 0)
		p->defects |= BAD;
	res->name = g[0]->namep;
	res->namelen = g[0]->namelen;
	res->val = vals->len;
	if (extended != NULL || sections > 0) {
		if (rfc2231_value(p, g, n, extended, vals) == -1)
			return -1;
	} else if (plain_value(p, plain, vals) == -1)
		return -1;
	res->vallen = vals->len - res->val;
	return 0;
}

/* Group the raw parameters by name and pack them into out. */
static int
pack(struct pparser *p, struct mime_buf *out)
{
	struct rawparam	**idx = NULL;
	struct result	*res = NULL;
	struct mime_buf	 vals;
	size_t		 i, j, nres = 0;
	int		 r = -1;

	mime_buf_init(&vals);
	if (p->n == 0)
		return 0;
	/* Values are offsets into vals: give it storage even if all are
	 * empty. */
	if (mime_buf_append(&vals, "", 0) == -1)
		return -1;
	if ((idx = calloc(p->n, sizeof *idx)) == NULL ||
	    (res = calloc(p->n, sizeof *res)) == NULL)
		goto fail;
	for (i = 0; i < p->n; i++) {
		p->v[i].namep = p->scratch.data + p->v[i].name;
		idx[i] = &p->v[i];
	}
	qsort(idx, p->n, sizeof *idx, cmp_raw);
	for (i = 0; i < p->n; i = j) {
		for (j = i + 1; j < p->n && cmp_name(idx[i], idx[j]) == 0; j++)
			;
		if (assemble(p, idx + i, j - i, &vals, &res[nres++]) == -1)
			goto fail;
	}
	qsort(res, nres, sizeof *res, cmp_result);
	for (i = 0; i < nres; i++) {
		if (mime_buf_append(out, res[i].name, res[i].namelen) == -1 ||
		    mime_buf_append_char(out, '\0') == -1 ||
		    mime_buf_append(out, vals.data + res[i].val,
		    res[i].vallen) == -1 ||
		    mime_buf_append_char(out, '\0') == -1)
			goto fail;
	}
	r = (int)nres;
fail:
	free(idx);
	free(res);
	mime_buf_free(&vals);
	return r;
}

int
mime_param_parse(const char *raw, size_t len, const char *fallback,
    struct mime_buf *out, unsigned *defects)
{
	struct pparser	 p;
	size_t		 mark = out->len;
	int		 r = -1;

	memset(&p, 0, sizeof p);
	p.s = raw;
	p.len = raw == NULL ? 0 : len;
	p.fallback = fallback;
	mime_buf_init(&p.scratch);
	if (parse_value(&p, out) == -1 || parse_params(&p) == -1)
		goto done;
	/* Counts are returned as int: absurd inputs lose their tail. */
	if (p.n > INT_MAX / 2) {
		p.n = INT_MAX / 2;
		p.defects |= BAD;
	}
	r = pack(&p, out);
done:
	free(p.v);
	mime_buf_free(&p.scratch);
	if (r == -1) {
		out->len = mark;
		if (out->data != NULL)
			out->data[mark] = '\0';
		return -1;
	}
	if (defects != NULL)
		*defects = p.defects;
	return r;
}

const char *
mime_param_get(const char *packed, int nparams, const char *name)
{
	const char	*n, *v;
	int		 i;

	if (packed == NULL || name == NULL)
		return NULL;
	n = packed + strlen(packed) + 1;
	for (i = 0; i < nparams; i++) {
		v = n + strlen(n) + 1;
		if (mime_name_eq(n, strlen(n), name))
			return v;
		n = v + strlen(v) + 1;
	}
	return NULL;
}

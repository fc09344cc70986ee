/* SPDX-License-Identifier: ISC */
/*
 * address.c - RFC 5322 address lists; see address.h.
 *
 * One pass of a lexer over the raw value (comments and quoted strings are
 * scanned with a depth counter, never by recursion), and a parser that
 * looks one token ahead.  A display name or local part is remembered as a
 * span of the raw value and re-read when it is turned into text, so the
 * work stays linear in the input.
 *
 * Where RFC 5322 leaves garbage undefined, the choices follow Python's
 * email.headerregistry (policy=default):
 * - words without '@' ("John Smith") give an entry whose address is those
 *   words, quoted when there are several ("\"John Smith\"");
 * - so does an unquoted local part with spaces ("first last@x" gives
 *   "\"first last\"@x");
 * - text after a complete mailbox ("a@b c@d", "<a@b> junk") is skipped up
 *   to the next ',';
 * - "<>" and "<foo>" give an entry with address "" or "foo".
 * Where the task asks otherwise, it wins over Python: a comment after the
 * address names a mailbox that has no display name, quotes in a local
 * part are kept as written, and adjacent encoded words in a display name
 * are joined without their space (RFC 2047).  More than one '@'
 * ("a@b@c") is kept literally rather than cut, so a rule matching on the
 * domain never sees a part of it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "buf.h"
#include "charset.h"
#include "defect.h"
#include "header.h"

#define DEFAULT_FALLBACK	"windows-1252"
#define NO_GROUP		SIZE_MAX
#define BIT(d)			(1u << (d))
#define BAD			BIT(MIME_DEFECT_BAD_ADDRESS)

struct address {
	size_t		 name;		/* offsets into str */
	size_t		 addr;
	size_t		 group;		/* or NO_GROUP */
};

struct mime_address_list {
	struct address	*v;
	size_t		 n;
	size_t		 cap;
	struct mime_buf	 str;		/* NUL-terminated strings */
};

enum token_type {
	T_END,
	T_ATOM,
	T_QUOTED,	/* "..." */
	T_LITERAL,	/* [...] */
	T_SPECIAL	/* one of < > @ , ; : */
};

struct token {
	enum token_type	 type;
	size_t		 start;
	size_t		 end;
	int		 ws;		/* CFWS before it */
	size_t		 cstart;	/* its comments: [cstart, cend) */
	size_t		 cend;
};

struct parser {
	const char	*s;
	size_t		 len;
	size_t		 pos;
	const char	*fallback;
	unsigned	 defects;
	struct token	 cur;
	struct mime_address_list *list;
	struct mime_buf	 tmp;		/* text before decoding */
	struct mime_buf	 comment;	/* comments naming a mailbox */
	size_t		 group;
	int		 ingroup;
};

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_special(unsigned char c)
{
	switch (c) {
	case '(':
	case '"':
	case '[':
	case '<':
	case '>':
	case '@':
	case ',':
	case ';':
	case ':':
		return 1;
	default:
		return is_wsp(c);
	}
}

/* Index after the comment, quoted string or literal opened at s[i]. */
static size_t
skip_delimited(const char *s, size_t len, size_t i, unsigned *defects)
{
	char	 open = s[i], close;
	size_t	 depth = 1;

	close = open == '(' ? ')' : open == '[' ? ']' : '"';
	for (i++; i < len; i++) {
		if (s[i] == '\\') {
			i++;
			continue;
		}
		if (s[i] == close && --depth == 0)
			return i + 1;
		if (open == '(' && s[i] == '(')
			depth++;
	}
	*defects |= BAD;
	return len;
}

static void
lex(const char *s, size_t len, size_t *posp, struct token *t,
    unsigned *defects)
{
	size_t	 i = *posp;

	t->ws = 0;
	t->cstart = t->cend = i;
	while (i < len && (is_wsp(s[i]) || s[i] == '(')) {
		t->ws = 1;
		if (s[i] != '(') {
			i++;
			continue;
		}
		if (t->cend == t->cstart)
			t->cstart = i;
		i = skip_delimited(s, len, i, defects);
		t->cend = i;
	}
	t->start = i;
	if (i >= len)
		t->type = T_END;
	else if (s[i] == '"' || s[i] == '[') {
		t->type = s[i] == '"' ? T_QUOTED : T_LITERAL;
		i = skip_delimited(s, len, i, defects);
	} else if (is_special(s[i])) {
		t->type = T_SPECIAL;
		i++;
	} else {
		t->type = T_ATOM;
		for (; i < len && !is_special(s[i]); i++)
			if (s[i] == ')' || s[i] == ']')
				*defects |= BAD;
	}
	t->end = i;
	*posp = i;
}

static void
advance(struct parser *p)
{
	lex(p->s, p->len, &p->pos, &p->cur, &p->defects);
}

static int
at_special(const struct parser *p, char c)
{
	return p->cur.type == T_SPECIAL && p->s[p->cur.start] == c;
}

static int
is_word(const struct token *t)
{
	return t->type == T_ATOM || t->type == T_QUOTED ||
	    t->type == T_LITERAL;
}

/*
 * Append the inside of the quoted string, comment or literal at
 * s[start..end), up to its unescaped close.  Quoted pairs keep their
 * backslash when keep_pairs; CR and LF (folding) go, and so does a
 * backslash cut off by the end of input.
 */
static int
append_inner(struct mime_buf *b, const char *s, size_t start, size_t end,
    int keep_pairs)
{
	char	 open = s[start], close, c;
	size_t	 i, depth = 1;

	close = open == '(' ? ')' : open == '[' ? ']' : '"';
	for (i = start + 1; i < end; i++) {
		c = s[i];
		if (c == '\r' || c == '\n')
			continue;
		if (c == '\\') {
			if (i + 1 >= end)
				break;
			c = s[++i];
			if (c == '\r' || c == '\n')
				continue;
			if (keep_pairs && mime_buf_append_char(b, '\\') == -1)
				return -1;
		} else if (c == close && --depth == 0)
			break;
		else if (c == '(' && open == '(')
			depth++;
		if (mime_buf_append_char(b, c) == -1)
			return -1;
	}
	return 0;
}

/* Text of the phrase s[start..end): words joined by one space where
 * whitespace or a comment separated them, quoted strings unquoted. */
static int
phrase_text(struct mime_buf *b, const char *s, size_t start, size_t end,
    unsigned *defects)
{
	struct token	 t;
	size_t		 pos = start;
	int		 n = 0;

	for (lex(s, end, &pos, &t, defects); t.type != T_END;
	    lex(s, end, &pos, &t, defects)) {
		if (n++ > 0 && t.ws && mime_buf_append_char(b, ' ') == -1)
			return -1;
		if (t.type == T_QUOTED) {
			if (append_inner(b, s, t.start, t.end, 0) == -1)
				return -1;
		} else if (mime_buf_append(b, s + t.start,
		    t.end - t.start) == -1)
			return -1;
	}
	return 0;
}

static int
dot_joined(const char *s, const struct token *prev, const struct token *t)
{
	return s[prev->end - 1] == '.' || s[t->start] == '.';
}

/* A local part as written, less CFWS; an unterminated quote is closed. */
static int
local_as_written(struct mime_buf *b, const char *s, size_t start,
    size_t end, unsigned *defects)
{
	struct token	 t;
	size_t		 pos = start;

	for (lex(s, end, &pos, &t, defects); t.type != T_END;
	    lex(s, end, &pos, &t, defects)) {
		if (t.type != T_QUOTED) {
			if (mime_buf_append(b, s + t.start,
			    t.end - t.start) == -1)
				return -1;
			continue;
		}
		if (mime_buf_append_char(b, '"') == -1 ||
		    append_inner(b, s, t.start, t.end, 1) == -1 ||
		    mime_buf_append_char(b, '"') == -1)
			return -1;
	}
	return 0;
}

/* Words that are no local part ("John Smith"), in one quoted string. */
static int
local_quoted(struct mime_buf *b, const char *s, size_t start, size_t end,
    unsigned *defects)
{
	struct token	 t;
	size_t		 pos = start, i;
	int		 n = 0;

	if (mime_buf_append_char(b, '"') == -1)
		return -1;
	for (lex(s, end, &pos, &t, defects); t.type != T_END;
	    lex(s, end, &pos, &t, defects)) {
		if (n++ > 0 && t.ws && mime_buf_append_char(b, ' ') == -1)
			return -1;
		if (t.type == T_QUOTED) {
			if (append_inner(b, s, t.start, t.end, 1) == -1)
				return -1;
			continue;
		}
		for (i = t.start; i < t.end; i++) {
			if ((s[i] == '\\' || s[i] == '"') &&
			    mime_buf_append_char(b, '\\') == -1)
				return -1;
			if (mime_buf_append_char(b, s[i]) == -1)
				return -1;
		}
	}
	return mime_buf_append_char(b, '"');
}

/*
 * Append the local part s[start..end).  Words may be split by CFWS only
 * around dots (obsolete syntax); "first last" is garbage, quoted whole as
 * Python does.
 */
static int
local_text(struct mime_buf *b, const char *s, size_t start, size_t end,
    unsigned *defects)
{
	struct token	 t, prev;
	size_t		 pos = start;
	int		 n = 0, words = 0;

	memset(&prev, 0, sizeof prev);
	for (lex(s, end, &pos, &t, defects); t.type != T_END;
	    lex(s, end, &pos, &t, defects)) {
		if (n++ > 0 && t.ws && !dot_joined(s, &prev, &t))
			words = 1;
		prev = t;
	}
	if (!words)
		return local_as_written(b, s, start, end, defects);
	*defects |= BAD;
	return local_quoted(b, s, start, end, defects);
}

/* Store a NUL-terminated string begun at start; give its offset. */
static int
str_end(struct mime_address_list *l, size_t start, size_t *off)
{
	if (mime_buf_append_char(&l->str, '\0') == -1)
		return -1;
	*off = start;
	return 0;
}

/* Decode text as a phrase (trimmed: as unstructured text) into the
 * string block. */
static int
put_phrase(struct parser *p, const struct mime_buf *text, int trimmed,
    size_t *off)
{
	struct mime_address_list *l = p->list;
	size_t		 start = l->str.len;
	int		 r;

	if (text->len == 0) {
		*off = 0;
		return 0;
	}
	if (trimmed)
		r = mime_header_decode(text->data, text->len, p->fallback,
		    &l->str);
	else
		r = mime_phrase_decode(text->data, text->len, p->fallback,
		    &l->str);
	if (r == -1)
		return -1;
	p->defects |= r;
	return str_end(l, start, off);
}

/* Drop the controls that a charset conversion may have produced. */
static void
drop_controls(struct mime_buf *b, size_t start)
{
	size_t		 i, j;
	unsigned char	 c;

	for (i = j = start; i < b->len; i++) {
		c = b->data[i];
		if ((c >= 0x20 && c != 0x7f) || c == '\t')
			b->data[j++] = c;
	}
	b->len = j;
	b->data[j] = '\0';
}

/* Convert the string begun at start from the fallback charset. */
static int
reread_8bit(struct parser *p, size_t start)
{
	struct mime_buf	*str = &p->list->str;
	struct mime_buf	 conv;
	int		 r;

	mime_buf_init(&conv);
	r = mime_charset_to_utf8(p->fallback != NULL ? p->fallback :
	    DEFAULT_FALLBACK, str->data + start, str->len - start, NULL, &conv);
	if (r != -1) {
		p->defects |= r | BIT(MIME_DEFECT_HEADER_8BIT);
		str->len = start;
		if (mime_buf_append(str, conv.data, conv.len) == -1)
			r = -1;
		else
			drop_controls(str, start);
	}
	mime_buf_free(&conv);
	return r == -1 ? -1 : 0;
}

/* An address goes in as written, less controls; 8-bit text that is not
 * UTF-8 is read in the fallback charset. */
static int
put_address(struct parser *p, const struct mime_buf *text, size_t *off)
{
	struct mime_buf	*str = &p->list->str;
	size_t		 start = str->len, i;
	unsigned char	 c;
	int		 has8 = 0;

	if (mime_buf_reserve(str, text->len) == -1)
		return -1;
	for (i = 0; i < text->len; i++) {
		c = text->data[i];
		if (c == '\0')
			p->defects |= BIT(MIME_DEFECT_NUL_BYTE);
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			p->defects |= BAD;
		else if (mime_buf_append_char(str, c) == -1)
			return -1;
		if (c >= 0x80)
			has8 = 1;
	}
	if (has8 && !mime_utf8_valid(str->data + start, str->len - start) &&
	    reread_8bit(p, start) == -1)
		return -1;
	return str_end(p->list, start, off);
}

static int
add_entry(struct parser *p, size_t name, size_t addr)
{
	struct mime_address_list *l = p->list;
	struct address	*v;
	size_t		 cap;

	if (l->n == l->cap) {
		cap = l->cap == 0 ? 4 : l->cap * 2;
		if (cap > SIZE_MAX / sizeof *v ||
		    (v = realloc(l->v, cap * sizeof *v)) == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].name = name;
	l->v[l->n].addr = addr;
	l->v[l->n].group = p->ingroup ? p->group : NO_GROUP;
	l->n++;
	return 0;
}

/* Keep the text of the comments before the current token: they name a
 * mailbox that has no display name. */
static int
keep_comments(struct parser *p)
{
	size_t	 i = p->cur.cstart, end;

	while (i < p->cur.cend) {
		if (p->s[i] != '(') {
			i++;
			continue;
		}
		end = skip_delimited(p->s, p->cur.cend, i, &p->defects);
		if (p->comment.len > 0 &&
		    mime_buf_append_char(&p->comment, ' ') == -1)
			return -1;
		if (append_inner(&p->comment, p->s, i, end, 0) == -1)
			return -1;
		i = end;
	}
	return 0;
}

/* A domain literal loses its inner whitespace, as in Python. */
static int
append_domain_word(struct parser *p)
{
	const struct token *t = &p->cur;
	size_t		 i;

	if (t->type != T_LITERAL)
		return mime_buf_append(&p->tmp, p->s + t->start,
		    t->end - t->start);
	for (i = t->start; i < t->end; i++)
		if (!is_wsp(p->s[i]) &&
		    mime_buf_append_char(&p->tmp, p->s[i]) == -1)
			return -1;
	if (p->s[t->end - 1] != ']' || t->end - t->start < 2)
		return mime_buf_append_char(&p->tmp, ']');
	return 0;
}

/* The domain after '@', appended to tmp.  Its words may be split by CFWS
 * only around dots (obsolete syntax); another '@' glued to it is kept. */
static int
parse_domain(struct parser *p)
{
	struct token	 prev = p->cur;
	int		 n = 0;

	for (;;) {
		if (is_word(&p->cur) && (n == 0 || !p->cur.ws ||
		    dot_joined(p->s, &prev, &p->cur))) {
			if (p->cur.type == T_QUOTED)
				p->defects |= BAD;
		} else if (n > 0 && at_special(p, '@') && !p->cur.ws)
			p->defects |= BAD;
		else
			break;
		if (append_domain_word(p) == -1)
			return -1;
		prev = p->cur;
		n++;
		advance(p);
	}
	if (n == 0)
		p->defects |= BAD;
	return 0;
}

/* What follows a complete mailbox, up to the next ',' or ';', is junk. */
static void
skip_junk(struct parser *p)
{
	while (p->cur.type != T_END && !at_special(p, ',') &&
	    !at_special(p, ';')) {
		p->defects |= BAD;
		advance(p);
	}
}

/* Store the mailbox whose address is in tmp.  Its name is the phrase
 * s[ns..ne) if named, else the comments kept. */
static int
mailbox_end(struct parser *p, size_t ns, size_t ne, int named)
{
	size_t	 name, addr;

	if (put_address(p, &p->tmp, &addr) == -1)
		return -1;
	if (named) {
		mime_buf_reset(&p->tmp);
		if (phrase_text(&p->tmp, p->s, ns, ne, &p->defects) == -1 ||
		    put_phrase(p, &p->tmp, 0, &name) == -1)
			return -1;
	} else if (put_phrase(p, &p->comment, 1, &name) == -1)
		return -1;
	if (add_entry(p, name, addr) == -1)
		return -1;
	skip_junk(p);
	return 0;
}

static void
mailbox_begin(struct parser *p)
{
	mime_buf_reset(&p->tmp);
	mime_buf_reset(&p->comment);
}

/* addr-spec without brackets; the current token is the '@'. */
static int
parse_addrspec(struct parser *p, size_t ls, size_t le, int nlocal)
{
	mailbox_begin(p);
	if (nlocal == 0)
		p->defects |= BAD;
	if (local_text(&p->tmp, p->s, ls, le, &p->defects) == -1 ||
	    mime_buf_append_char(&p->tmp, '@') == -1)
		return -1;
	advance(p);
	if (parse_domain(p) == -1 || keep_comments(p) == -1)
		return -1;
	return mailbox_end(p, 0, 0, 0);
}

/* Words with no '@' after them: the address is the words (Python). */
static int
parse_bare(struct parser *p, size_t ls, size_t le)
{
	mailbox_begin(p);
	p->defects |= BAD;
	if (local_text(&p->tmp, p->s, ls, le, &p->defects) == -1 ||
	    keep_comments(p) == -1)
		return -1;
	return mailbox_end(p, 0, 0, 0);
}

/* Drop an obsolete route "@a,@b:"; without its ':' it was no route and
 * the tokens are read again. */
static void
skip_route(struct parser *p)
{
	struct token	 save = p->cur;
	size_t		 pos = p->pos;

	while (at_special(p, '@')) {
		advance(p);
		while (is_word(&p->cur))
			advance(p);
		while (at_special(p, ','))
			advance(p);
	}
	if (at_special(p, ':')) {
		advance(p);
		return;
	}
	p->defects |= BAD;
	p->cur = save;
	p->pos = pos;
}

/* [phrase] "<" [route] addr-spec ">"; the current token is the '<'. */
static int
parse_angle(struct parser *p, size_t ns, size_t ne, int named)
{
	size_t	 ls, le;
	int	 nlocal = 0;

	mailbox_begin(p);
	advance(p);
	if (at_special(p, '@'))
		skip_route(p);
	ls = le = p->cur.start;
	for (; is_word(&p->cur); nlocal++, advance(p))
		le = p->cur.end;
	if (local_text(&p->tmp, p->s, ls, le, &p->defects) == -1)
		return -1;
	if (at_special(p, '@')) {
		if (nlocal == 0)
			p->defects |= BAD;
		if (mime_buf_append_char(&p->tmp, '@') == -1)
			return -1;
		advance(p);
		if (parse_domain(p) == -1)
			return -1;
	} else
		p->defects |= BAD;
	if (!named && keep_comments(p) == -1)
		return -1;
	if (!at_special(p, '>'))
		p->defects |= BAD;
	else {
		advance(p);
		if (!named && keep_comments(p) == -1)
			return -1;
	}
	return mailbox_end(p, ns, ne, named);
}

/* display-name ":"; groups do not nest, an inner one loses its name. */
static int
group_open(struct parser *p, size_t ns, size_t ne, int nwords)
{
	if (p->ingroup || nwords == 0)
		p->defects |= BAD;
	if (!p->ingroup) {
		mime_buf_reset(&p->tmp);
		if (phrase_text(&p->tmp, p->s, ns, ne, &p->defects) == -1 ||
		    put_phrase(p, &p->tmp, 0, &p->group) == -1)
			return -1;
		p->ingroup = 1;
	}
	advance(p);
	return 0;
}

/* One mailbox or the start of a group.  Consumes at least one token. */
static int
parse_member(struct parser *p)
{
	size_t	 start = p->cur.start, end = start;
	int	 n = 0;

	for (; is_word(&p->cur); n++, advance(p))
		end = p->cur.end;
	if (at_special(p, ':'))
		return group_open(p, start, end, n);
	if (at_special(p, '<'))
		return parse_angle(p, start, end, n > 0);
	if (at_special(p, '@'))
		return parse_addrspec(p, start, end, n);
	if (n > 0)
		return parse_bare(p, start, end);
	/* A stray '>'. */
	p->defects |= BAD;
	advance(p);
	return 0;
}

static int
parse_list(struct parser *p)
{
	for (advance(p); p->cur.type != T_END;) {
		if (at_special(p, ',')) {
			advance(p);
			continue;
		}
		if (at_special(p, ';')) {
			if (!p->ingroup)
				p->defects |= BAD;
			p->ingroup = 0;
			advance(p);
			continue;
		}
		if (parse_member(p) == -1)
			return -1;
	}
	if (p->ingroup)
		p->defects |= BAD;
	return 0;
}

struct mime_address_list *
mime_address_list_parse(const char *raw, size_t len, const char *fallback,
    unsigned *defects)
{
	struct mime_address_list *l;
	struct parser	 p;
	int		 r;

	if ((l = calloc(1, sizeof *l)) == NULL)
		return NULL;
	mime_buf_init(&l->str);
	/* Offset 0 is the empty string. */
	if (mime_buf_append_char(&l->str, '\0') == -1) {
		free(l);
		return NULL;
	}
	memset(&p, 0, sizeof p);
	p.s = raw;
	p.len = raw == NULL ? 0 : len;
	p.fallback = fallback;
	p.list = l;
	p.group = NO_GROUP;
	mime_buf_init(&p.tmp);
	mime_buf_init(&p.comment);
	r = parse_list(&p);
	mime_buf_free(&p.tmp);
	mime_buf_free(&p.comment);
	if (r == -1) {
		mime_address_list_free(l);
		return NULL;
	}
	if (defects != NULL)
		*defects = p.defects;
	return l;
}

void
mime_address_list_free(struct mime_address_list *l)
{
	if (l == NULL)
		return;
	free(l->v);
	mime_buf_free(&l->str);
	free(l);
}

size_t
mime_address_list_count(const struct mime_address_list *l)
{
	return l == NULL ? 0 : l->n;
}

const char *
mime_address_list_name(const struct mime_address_list *l, size_t i)
{
	if (l == NULL || i >= l->n)
		return NULL;
	return l->str.data + l->v[i].name;
}

const char *
mime_address_list_address(const struct mime_address_list *l, size_t i)
{
	if (l == NULL || i >= l->n)
		return NULL;
	return l->str.data + l->v[i].addr;
}

const char *
mime_address_list_group(const struct mime_address_list *l, size_t i)
{
	if (l == NULL || i >= l->n || l->v[i].group == NO_GROUP)
		return NULL;
	return l->str.data + l->v[i].group;
}

/* SPDX-License-Identifier: ISC */
/* imap-resp.c - IMAP response reader and scanner; see imap-resp.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/net/conn.h"
#include "daemon/source/imap-resp.h"

void
imap_resp_init(struct imap_resp *r)
{
	mime_buf_init(&r->text);
	r->lits = NULL;
	r->nlits = r->cap = 0;
}

/* The first literal buffers are kept for the next response: a fresh
 * allocation per message body means fresh pages, each faulted in and
 * zeroed by the kernel (7% of an IMAP fetch's time).  Very large ones,
 * and those of responses with many literals, go back. */
void
imap_resp_clear(struct imap_resp *r)
{
	size_t	 i;

	for (i = 0; i < r->nlits; i++) {
		r->lits[i].len = 0;
		if (i >= IMAP_LIT_SLOTS || r->lits[i].cap > IMAP_LIT_KEEP) {
			free(r->lits[i].data);
			r->lits[i].data = NULL;
			r->lits[i].cap = 0;
		}
	}
	r->nlits = 0;
	mime_buf_reset(&r->text);
}

void
imap_resp_free(struct imap_resp *r)
{
	size_t	 i;

	for (i = 0; i < r->cap; i++)
		free(r->lits[i].data);
	free(r->lits);
	mime_buf_free(&r->text);
	imap_resp_init(r);
}

char *
imap_resp_literal(struct imap_resp *r, size_t i, size_t *len)
{
	if (i >= r->nlits)
		return NULL;
	*len = r->lits[i].len;
	return r->lits[i].data;
}

/* Does the line end in a literal announcement "{N}" or "{N+}"? */
static int
literal_size(const char *s, size_t len, uint64_t *n)
{
	size_t	 i;
	uint64_t v = 0;

	if (len < 3 || s[len - 1] != '}')
		return 0;
	i = len - 1;
	if (s[i - 1] == '+')
		i--;
	if (i == 0 || s[i - 1] < '0' || s[i - 1] > '9')
		return 0;
	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
		i--;
	if (i == 0 || s[i - 1] != '{')
		return 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*n = v;
	return 1;
}

static int
literal_add(struct imap_resp *r, struct conn *c, uint64_t n)
{
	struct imap_literal	*l;
	size_t			 cap;

	if (r->nlits == r->cap) {
		cap = r->cap == 0 ? 4 : r->cap * 2;
		if ((l = reallocarray(r->lits, cap, sizeof(*l))) == NULL)
			return -1;
		memset(l + r->cap, 0, (cap - r->cap) * sizeof(*l));
		r->lits = l;
		r->cap = cap;
	}
	l = &r->lits[r->nlits];
	if (l->cap < (size_t)n + 1) {
		/* free first: the old bytes need no copying */
		free(l->data);
		l->cap = 0;
		if ((l->data = malloc((size_t)n + 1)) == NULL)
			return -1;
		l->cap = (size_t)n + 1;
	}
	l->len = (size_t)n;
	r->nlits++;
	if (conn_read_bytes(c, l->data, (size_t)n) == -1)
		return -1;
	l->data[n] = '\0';
	return 0;
}

int
imap_resp_read(struct conn *c, struct imap_resp *r, size_t max_line,
    uint64_t max_literal, char *err, size_t errlen)
{
	const char	*line;
	size_t		 len;
	uint64_t	 n, total = 0;
	int		 lit;

	imap_resp_clear(r);
	err[0] = '\0';
	for (;;) {
		if (conn_read_line(c, &line, &len, max_line) == -1) {
			snprintf(err, errlen, "%s", conn_error(c));
			return -1;
		}
		if (r->text.len + len > max_line * 4 ||
		    mime_buf_append(&r->text, line, len) == -1) {
			snprintf(err, errlen, "response too long");
			return -1;
		}
		if ((lit = literal_size(line, len, &n)) == 0)
			return 0;
		if (lit == -1 || n > max_literal) {
			snprintf(err, errlen, "literal over the limit of %llu "
			    "bytes", (unsigned long long)max_literal);
			return -1;
		}
		/* one FETCH can carry any number of literals: 40 bodies of
		 * max-size each would all be held at once */
		if (n > max_literal - total) {
			snprintf(err, errlen, "the literals of one response "
			    "come to more than %llu bytes in all (the "
			    "limit is max-size + 64 KB)",
			    (unsigned long long)max_literal);
			return -1;
		}
		total += n;
		if (literal_add(r, c, n) == -1) {
			snprintf(err, errlen, "reading a %llu-byte literal: %s",
			    (unsigned long long)n, conn_error(c));
			return -1;
		}
		if (mime_buf_append_char(&r->text, '\n') == -1)
			return -1;
	}
}

void
imap_scan_init(struct imap_scan *sc, const struct imap_resp *r)
{
	sc->r = r;
	sc->p = r->text.data != NULL ? r->text.data : "";
	sc->end = sc->p + r->text.len;
	sc->next_lit = 0;
}

static int
is_atom_char(char ch)
{
	return ch != ' ' && ch != '(' && ch != ')' && ch != '"' &&
	    ch != '{' && ch != '\n' && (unsigned char)ch > 31 && ch != 127;
}

static int
scan_quoted(struct imap_scan *sc, struct imap_tok *t)
{
	const char	*p = sc->p + 1;

	t->type = IMAP_TOK_STRING;
	t->s = p;
	while (p < sc->end && *p != '"') {
		if (*p == '\\' && p + 1 < sc->end)
			p++;
		if (*p == '\n')
			return -1;
		p++;
	}
	if (p >= sc->end)
		return -1;
	t->len = (size_t)(p - t->s);
	sc->p = p + 1;
	return 0;
}

static int
scan_literal(struct imap_scan *sc, struct imap_tok *t)
{
	const char	*nl;

	/* "{N}" then the '\n' we put where the literal was */
	nl = memchr(sc->p, '\n', (size_t)(sc->end - sc->p));
	if (nl == NULL || nl[-1] != '}' || sc->next_lit >= sc->r->nlits)
		return -1;
	t->type = IMAP_TOK_LITERAL;
	t->lit = sc->next_lit++;
	t->s = sc->r->lits[t->lit].data;
	t->len = sc->r->lits[t->lit].len;
	sc->p = nl + 1;
	return 0;
}

int
imap_scan_next(struct imap_scan *sc, struct imap_tok *t)
{
	const char	*s;

	while (sc->p < sc->end && *sc->p == ' ')
		sc->p++;
	t->s = sc->p;
	t->len = 0;
	if (sc->p >= sc->end) {
		t->type = IMAP_TOK_END;
		return 0;
	}
	switch (*sc->p) {
	case '(':
		t->type = IMAP_TOK_LPAREN;
		sc->p++;
		return 0;
	case ')':
		t->type = IMAP_TOK_RPAREN;
		sc->p++;
		return 0;
	case '"':
		if (scan_quoted(sc, t) == -1)
			break;
		return 0;
	case '{':
		if (scan_literal(sc, t) == -1)
			break;
		return 0;
	default:
		break;
	}
	if (*sc->p == '"' || *sc->p == '{' || !is_atom_char(*sc->p)) {
		t->type = IMAP_TOK_ERROR;
		return -1;
	}
	s = sc->p;
	/* BODY[...] sections may hold spaces and parens: keep them whole */
	while (sc->p < sc->end && is_atom_char(*sc->p)) {
		if (*sc->p == '[') {
			while (sc->p < sc->end && *sc->p != ']' &&
			    *sc->p != '\n')
				sc->p++;
			if (sc->p >= sc->end || *sc->p != ']')
				break;
		}
		sc->p++;
	}
	t->type = IMAP_TOK_ATOM;
	t->s = s;
	t->len = (size_t)(sc->p - s);
	return 0;
}

int
imap_scan_skip(struct imap_scan *sc, const struct imap_tok *first)
{
	struct imap_tok	 t;
	size_t		 depth;

	if (first->type == IMAP_TOK_RPAREN || first->type == IMAP_TOK_END ||
	    first->type == IMAP_TOK_ERROR)
		return -1;
	if (first->type != IMAP_TOK_LPAREN)
		return 0;
	for (depth = 1; depth > 0;) {
		if (imap_scan_next(sc, &t) == -1 || t.type == IMAP_TOK_END)
			return -1;
		if (t.type == IMAP_TOK_LPAREN)
			depth++;
		else if (t.type == IMAP_TOK_RPAREN)
			depth--;
	}
	return 0;
}

void
imap_scan_rest(struct imap_scan *sc, const char **s, size_t *len)
{
	const char	*nl;

	while (sc->p < sc->end && *sc->p == ' ')
		sc->p++;
	nl = memchr(sc->p, '\n', (size_t)(sc->end - sc->p));
	*s = sc->p;
	*len = nl == NULL ? (size_t)(sc->end - sc->p) : (size_t)(nl - sc->p);
}

int
imap_tok_is(const struct imap_tok *t, const char *atom)
{
	return t->type == IMAP_TOK_ATOM && strlen(atom) == t->len &&
	    strncasecmp(t->s, atom, t->len) == 0;
}

int
imap_tok_u64(const struct imap_tok *t, uint64_t *out)
{
	uint64_t v = 0;
	size_t	 i;

	if (t->type != IMAP_TOK_ATOM || t->len == 0 || t->len > 20)
		return -1;
	for (i = 0; i < t->len; i++) {
		if (t->s[i] < '0' || t->s[i] > '9')
			return -1;
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(t->s[i] - '0');
	}
	*out = v;
	return 0;
}

int
imap_tok_u32(const struct imap_tok *t, uint32_t *out)
{
	uint64_t v;

	if (imap_tok_u64(t, &v) == -1 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
imap_quote(const char *s, char *out, size_t outlen)
{
	size_t	 o = 0, n;

	if (outlen < 3)
		return -1;
	out[o++] = '"';
	for (; *s != '\0'; s++) {
		if (*s == '\r' || *s == '\n')
			return -1;
		n = (*s == '"' || *s == '\\') ? 2 : 1;
		if (o + n + 2 > outlen)		/* and the closing '"', NUL */
			return -1;
		if (n == 2)
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o++] = '"';
	out[o] = '\0';
	return 0;
}

int
imap_modseq_parse(const struct imap_tok *t, uint64_t *out)
{
	struct imap_tok	 n = *t;
	uint64_t	 v;

	if (n.type != IMAP_TOK_ATOM)
		return -1;
	if (n.len > 0 && n.s[n.len - 1] == ']')
		n.len--;
	/* no leading zero: mod-sequence-value is a number, 63 bits */
	if (n.len == 0 || n.s[0] == '0' || imap_tok_u64(&n, &v) == -1 ||
	    v > (uint64_t)INT64_MAX)
		return -1;
	*out = v;
	return 0;
}

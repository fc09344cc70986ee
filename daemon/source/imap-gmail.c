/* SPDX-License-Identifier: ISC */
/*
 * imap-gmail.c - Gmail's X-GM-EXT-1 labels on the wire, and SPECIAL-USE
 * attributes of LIST; see imap-gmail.h.  Pure: it reads tokens and
 * writes buffers, nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "mime/charset.h"
#include "daemon/source/imap-gmail.h"
#include "daemon/source/imap-mutf7.h"

int
gm_msgid_parse(const struct imap_tok *t, uint64_t *out)
{
	uint64_t	 v = 0, d;
	size_t		 i;

	if (t->type != IMAP_TOK_ATOM || t->len == 0 || t->len > 20)
		return -1;
	for (i = 0; i < t->len; i++) {
		if (t->s[i] < '0' || t->s[i] > '9')
			return -1;
		d = (uint64_t)(t->s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* The text of a quoted string, unescaped, into out: 0 or -1. */
static int
unquote(const char *s, size_t len, char *out, size_t outlen)
{
	size_t	 i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		if (o + 1 >= outlen)
			return -1;
		out[o++] = s[i];
	}
	out[o] = '\0';
	return 0;
}

/* A label's text as the server sent it, as UTF-8 in out; -1 if it is
 * not text a rule or a later STORE may use. */
static int
label_text(const struct imap_tok *t, int utf8, char *out, size_t outlen)
{
	char	 raw[1024];
	size_t	 i, n;

	if (t->type == IMAP_TOK_STRING) {
		if (unquote(t->s, t->len, raw, sizeof(raw)) == -1)
			return -1;
	} else if (t->type == IMAP_TOK_ATOM || t->type == IMAP_TOK_LITERAL) {
		if (t->len >= sizeof(raw))
			return -1;
		memcpy(raw, t->s, t->len);
		raw[t->len] = '\0';
	} else
		return -1;
	n = strlen(raw);
	if (n == 0 || (t->type == IMAP_TOK_LITERAL && n != t->len))
		return -1;	/* empty, or a NUL in a literal */
	for (i = 0; i < n; i++)
		if ((unsigned char)raw[i] < 0x20 || raw[i] == 0x7f)
			return -1;
	/* a system label (\Inbox) is an atom: never decoded */
	if (utf8 || raw[0] == '\\') {
		if (!mime_utf8_valid(raw, n) || n >= outlen)
			return -1;
		memcpy(out, raw, n + 1);
		return 0;
	}
	return imap_mutf7_decode(raw, n, out, outlen);
}

static void
label_keep(struct gm_labels *l, const char *text)
{
	size_t	 n = strlen(text) + 1;

	if (l->n == GM_LABELS_MAX || l->used + n > sizeof(l->buf)) {
		l->dropped++;
		return;
	}
	memcpy(l->buf + l->used, text, n);
	l->v[l->n++] = l->buf + l->used;
	l->used += n;
}

int
gm_labels_parse(struct imap_scan *sc, const struct imap_tok *first, int utf8,
    struct gm_labels *l)
{
	struct imap_tok	 t;
	char		 text[1024];

	l->n = l->dropped = l->used = 0;
	if (imap_tok_is(first, "NIL"))
		return 0;
	if (first->type != IMAP_TOK_LPAREN)
		return -1;
	for (;;) {
		if (imap_scan_next(sc, &t) == -1 || t.type == IMAP_TOK_END ||
		    t.type == IMAP_TOK_LPAREN)
			return -1;
		if (t.type == IMAP_TOK_RPAREN)
			return 0;
		if (label_text(&t, utf8, text, sizeof(text)) == -1)
			l->dropped++;
		else
			label_keep(l, text);
	}
}

static int
system_label(const char *s)
{
	size_t	 i;

	if (s[0] != '\\' || s[1] == '\0')
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z')))
			return 0;
	return 1;
}

int
gm_label_wire(const char *label, int utf8, char *out, size_t outlen)
{
	char		 enc[1024];
	const char	*p;
	size_t		 i;

	if (outlen == 0 || label[0] == '\0')
		return -1;
	for (i = 0; label[i] != '\0'; i++)
		if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
			return -1;
	if (system_label(label)) {
		if (strlen(label) >= outlen)
			return -1;
		memcpy(out, label, strlen(label) + 1);
		return 0;
	}
	if (utf8) {
		if (!mime_utf8_valid(label, strlen(label)))
			return -1;
		p = label;
	} else {
		if (imap_mutf7_encode(label, enc, sizeof(enc)) == -1)
			return -1;
		p = enc;
	}
	return imap_quote(p, out, outlen);
}

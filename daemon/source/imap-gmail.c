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

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;	/* modified BASE64: ',' for '/' */
	return -1;
}

struct obuf {
	char	*p;
	size_t	 len, cap;
	int	 overflow;
};

static void
obuf_put(struct obuf *o, char c)
{
	if (o->len + 1 >= o->cap) {
		o->overflow = 1;
		return;
	}
	o->p[o->len++] = c;
}

static void
utf8_put(struct obuf *o, uint32_t cp)
{
	if (cp < 0x80)
		obuf_put(o, (char)cp);
	else if (cp < 0x800) {
		obuf_put(o, (char)(0xc0 | (cp >> 6)));
		obuf_put(o, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		obuf_put(o, (char)(0xe0 | (cp >> 12)));
		obuf_put(o, (char)(0x80 | ((cp >> 6) & 0x3f)));
		obuf_put(o, (char)(0x80 | (cp & 0x3f)));
	} else {
		obuf_put(o, (char)(0xf0 | (cp >> 18)));
		obuf_put(o, (char)(0x80 | ((cp >> 12) & 0x3f)));
		obuf_put(o, (char)(0x80 | ((cp >> 6) & 0x3f)));
		obuf_put(o, (char)(0x80 | (cp & 0x3f)));
	}
}

/* One UTF-16 unit of a shifted run; *hi holds a pending high
 * surrogate.  -1 on a lone surrogate or a character that must not be
 * shifted (printable ASCII). */
static int
utf16_unit(struct obuf *o, uint32_t u, uint32_t *hi)
{
	if (*hi != 0) {
		if (u < 0xdc00 || u > 0xdfff)
			return -1;
		utf8_put(o, 0x10000 + ((*hi - 0xd800) << 10) + (u - 0xdc00));
		*hi = 0;
		return 0;
	}
	if (u >= 0xd800 && u <= 0xdbff) {
		*hi = u;
		return 0;
	}
	if ((u >= 0xdc00 && u <= 0xdfff) || (u >= 0x20 && u < 0x7f) ||
	    u < 0x20)
		return -1;
	utf8_put(o, u);
	return 0;
}

/* The shifted run at s[*i..len) up to its '-'. */
static int
mutf7_run(const char *s, size_t len, size_t *i, struct obuf *o)
{
	uint32_t	 bits = 0, hi = 0;
	int		 nbits = 0, v, units = 0;

	for (; *i < len && s[*i] != '-'; (*i)++) {
		if ((v = b64_value((unsigned char)s[*i])) == -1)
			return -1;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits >= 16) {
			nbits -= 16;
			if (utf16_unit(o, (bits >> nbits) & 0xffff, &hi) == -1)
				return -1;
			units++;
		}
	}
	/* closed by '-', whole units, zero padding, no half pair */
	if (*i == len || units == 0 || nbits >= 6 ||
	    (bits & ((1u << nbits) - 1)) != 0 || hi != 0)
		return -1;
	return 0;
}

int
gm_mutf7_decode(const char *s, size_t len, char *out, size_t outlen)
{
	struct obuf	 o = { out, 0, outlen, 0 };
	size_t		 i;

	if (outlen == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return -1;
		if (s[i] != '&') {
			obuf_put(&o, s[i]);
			continue;
		}
		if (i + 1 < len && s[i + 1] == '-') {
			obuf_put(&o, '&');
			i++;
			continue;
		}
		i++;
		if (mutf7_run(s, len, &i, &o) == -1)
			return -1;
	}
	if (o.overflow)
		return -1;
	out[o.len] = '\0';
	return 0;
}

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
	return gm_mutf7_decode(raw, n, out, outlen);
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

/* Modified UTF-7 of a UTF-8 label, unquoted, into o. */
static int
mutf7_encode(const char *s, struct obuf *o)
{
	const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+,";
	uint32_t	 cp, bits = 0, u[2];
	size_t		 seq, k, nu;
	int		 nbits = 0, shifted = 0;

	while (*s != '\0') {
		if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f) {
			if (shifted) {
				if (nbits > 0)
					obuf_put(o, b64[(bits << (6 - nbits)) &
					    0x3f]);
				obuf_put(o, '-');
				shifted = nbits = 0;
				bits = 0;
			}
			obuf_put(o, *s);
			if (*s++ == '&')
				obuf_put(o, '-');
			continue;
		}
		if ((seq = mime_utf8_seq(s, strlen(s))) == 0)
			return -1;
		cp = (unsigned char)s[0] & (seq == 2 ? 0x1f : seq == 3 ? 0x0f :
		    0x07);
		for (k = 1; k < seq; k++)
			cp = (cp << 6) | ((unsigned char)s[k] & 0x3f);
		if (cp < 0x20)
			return -1;
		s += seq;
		nu = 1;
		u[0] = cp;
		if (cp >= 0x10000) {
			u[0] = 0xd800 | ((cp - 0x10000) >> 10);
			u[1] = 0xdc00 | ((cp - 0x10000) & 0x3ff);
			nu = 2;
		}
		if (!shifted)
			obuf_put(o, '&');
		shifted = 1;
		for (k = 0; k < nu; k++) {
			bits = (bits << 16) | u[k];
			nbits += 16;
			while (nbits >= 6) {
				nbits -= 6;
				obuf_put(o, b64[(bits >> nbits) & 0x3f]);
			}
			bits &= (1u << nbits) - 1;
		}
	}
	if (shifted) {
		if (nbits > 0)
			obuf_put(o, b64[(bits << (6 - nbits)) & 0x3f]);
		obuf_put(o, '-');
	}
	return 0;
}

int
gm_label_wire(const char *label, int utf8, char *out, size_t outlen)
{
	struct obuf	 o = { out, 0, outlen, 0 };
	char		 enc[1024];
	struct obuf	 e = { enc, 0, sizeof(enc), 0 };
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
		if (mutf7_encode(label, &e) == -1 || e.overflow)
			return -1;
		enc[e.len] = '\0';
		p = enc;
	}
	obuf_put(&o, '"');
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			obuf_put(&o, '\\');
		obuf_put(&o, *p);
	}
	obuf_put(&o, '"');
	if (o.overflow)
		return -1;
	out[o.len] = '\0';
	return 0;
}

/* SPDX-License-Identifier: ISC */
/*
 * compose-enc.c - encoders for composed messages: folded header fields,
 * RFC 2047 encoded words, RFC 2231 parameters, base64 and
 * quoted-printable bodies; see compose-enc.h.
 *
 * Encoded words carry UTF-8, Q or B, whichever is shorter for the whole
 * text, never more than 75 characters (RFC 2047 2) and never splitting
 * a character (RFC 2047 5).  Q words use only the characters RFC 2047
 * 5(3) allows in a phrase, so one encoder serves Subject, display names
 * and quoted parameters alike.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "daemon/send/compose-enc.h"
#include "mime/charset.h"

/* RFC 2047 2: an encoded word is at most 75 characters. */
#define WORD_MAX	75
/* "=?UTF-8?Q?" and "?=" */
#define WORD_FRAME	12
/* The longest character (4 bytes) Q-encoded, framed. */
#define WORD_MIN	(WORD_FRAME + 12)
/* RFC 2045 6.7 (5): encoded lines are at most 76 characters. */
#define QP_LINE_MAX	76
/* RFC 5322 2.1.1: never more than 998 characters on a line. */
#define LINE_HARD_MAX	998
/* A plain parameter value longer than this goes as RFC 2231. */
#define PARAM_PLAIN_MAX	60
/* A plain display name longer than this goes as encoded words. */
#define PHRASE_PLAIN_MAX 70
/* Text before and after encoded words in a quoted parameter. */
#define PREFIX_MAX	32
/* base64: 57 bytes make one 76-character line. */
#define B64_LINE_IN	57

static const char hexdig[] = "0123456789ABCDEF";

void
compose_put(struct mime_buf *b, int *nomem, const char *s, size_t len)
{
	if (*nomem)
		return;
	if (mime_buf_append(b, s, len) == -1)
		*nomem = 1;
}

void
compose_puts(struct mime_buf *b, int *nomem, const char *s)
{
	compose_put(b, nomem, s, strlen(s));
}

int
compose_is_ascii(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

void
compose_mbox_skip(const char **s, size_t *len)
{
	const char	*nl;

	if (*len < 5 || memcmp(*s, "From ", 5) != 0 ||
	    (nl = memchr(*s, '\n', *len)) == NULL)
		return;
	*len -= (size_t)(nl - *s) + 1;
	*s = nl + 1;
}

void
compose_hdr_begin(struct hdr *h, struct mime_buf *out, int *nomem,
    const char *name)
{
	h->out = out;
	h->nomem = nomem;
	h->col = 0;
	compose_hdr_raw(h, name, strlen(name));
	compose_hdr_raw(h, ":", 1);
}

void
compose_hdr_raw(struct hdr *h, const char *s, size_t len)
{
	compose_put(h->out, h->nomem, s, len);
	h->col += len;
}

/* Fold before a token that starts with its own whitespace. */
static void
hdr_token(struct hdr *h, const char *s, size_t len)
{
	if (h->col + len > HDR_LINE_MAX && h->col > 1) {
		compose_put(h->out, h->nomem, "\r\n", 2);
		h->col = 0;
	}
	compose_hdr_raw(h, s, len);
}

void
compose_hdr_word(struct hdr *h, const char *s, size_t len)
{
	if (h->col + 1 + len > HDR_LINE_MAX && h->col > 1) {
		compose_put(h->out, h->nomem, "\r\n", 2);
		h->col = 0;
	}
	compose_hdr_raw(h, " ", 1);
	compose_hdr_raw(h, s, len);
}

void
compose_hdr_end(struct hdr *h)
{
	compose_put(h->out, h->nomem, "\r\n", 2);
	h->col = 0;
}

/* RFC 2047 5(3): what a Q word may hold as itself, even in a phrase. */
static int
q_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
	    c == '-' || c == '/';
}

static size_t
q_cost(unsigned char c)
{
	return q_safe(c) || c == ' ' ? 1 : 3;
}

static size_t
q_encode(const unsigned char *s, size_t len, char *out)
{
	size_t	 i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == ' ')
			out[o++] = '_';
		else if (q_safe(s[i]))
			out[o++] = (char)s[i];
		else {
			out[o++] = '=';
			out[o++] = hexdig[s[i] >> 4];
			out[o++] = hexdig[s[i] & 0x0f];
		}
	}
	return o;
}

/* Length of the longest run of whole characters from s whose encoded
 * word fits in room characters (at least one character). */
static size_t
word_take(const unsigned char *s, size_t len, int use_b, size_t room)
{
	size_t	 take = 0, n, cost = 0, c;

	while (take < len) {
		/* input is valid UTF-8 (checked before): 0 cannot
		 * happen, but a stray byte counts as one */
		if ((n = mime_utf8_seq((const char *)s + take, len - take)) ==
		    0)
			n = 1;
		if (use_b)
			c = 4 * ((take + n + 2) / 3);
		else {
			size_t	 k;

			for (c = cost, k = 0; k < n; k++)
				c += q_cost(s[take + k]);
		}
		if (WORD_FRAME + c > room && take > 0)
			break;
		cost = c;
		take += n;
	}
	return take;
}

/*
 * Encoded words for s, separated by folding white space (which readers
 * drop between encoded words).  prefix goes before the first word and
 * suffix after the last one, on the same line (for quoted parameters).
 */
static void
hdr_words(struct hdr *h, const char *str, size_t len, const char *prefix,
    const char *suffix)
{
	const unsigned char	*s = (const unsigned char *)str;
	char			 word[PREFIX_MAX + WORD_MAX + 8];
	char			 b64[WORD_MAX + 4];
	size_t			 i, qlen = 0, blen, room, take, n, extra;
	int			 use_b, first = 1;

	if (len == 0)
		return;
	for (i = 0; i < len; i++)
		qlen += q_cost(s[i]);
	blen = 4 * ((len + 2) / 3);
	use_b = blen < qlen;
	do {
		extra = (first ? strlen(prefix) : 0) + strlen(suffix);
		room = h->col + 1 + WORD_MIN + extra > HDR_LINE_MAX ?
		    HDR_LINE_MAX - 1 : HDR_LINE_MAX - h->col - 1;
		room = room > extra ? room - extra : 0;
		if (room > WORD_MAX)
			room = WORD_MAX;
		take = word_take(s, len, use_b, room);
		n = 0;
		if (first) {
			memcpy(word, prefix, strlen(prefix));
			n = strlen(prefix);
		}
		memcpy(word + n, use_b ? "=?UTF-8?B?" : "=?UTF-8?Q?", 10);
		n += 10;
		if (use_b) {
			EVP_EncodeBlock((unsigned char *)b64, s, (int)take);
			memcpy(word + n, b64, 4 * ((take + 2) / 3));
			n += 4 * ((take + 2) / 3);
		} else
			n += q_encode(s, take, word + n);
		memcpy(word + n, "?=", 2);
		n += 2;
		s += take;
		len -= take;
		if (len == 0) {
			memcpy(word + n, suffix, strlen(suffix));
			n += strlen(suffix);
		}
		compose_hdr_word(h, word, n);
		first = 0;
	} while (len > 0);
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Plain text works for Subject when it is printable ASCII, every word
 * fits a line, nothing looks like an encoded word and there is no
 * white space at the ends (readers trim it). */
static int
text_is_plain(const char *s, size_t len)
{
	size_t	 i, token = 0;

	if (len == 0)
		return 1;
	if (is_wsp(s[0]) || is_wsp(s[len - 1]))
		return 0;
	for (i = 0; i < len; i++) {
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] >= 0x7f)
			return 0;
		if (s[i] == '=' && i + 1 < len && s[i + 1] == '?')
			return 0;
		/* A token is white space and the word after it. */
		if (is_wsp(s[i]) && i > 0 && !is_wsp(s[i - 1]))
			token = 0;
		if (++token > HDR_LINE_MAX - 2)
			return 0;
	}
	return 1;
}

void
compose_hdr_text(struct hdr *h, const char *utf8)
{
	size_t	 len = strlen(utf8), i, start;

	if (len == 0)
		return;
	if (!text_is_plain(utf8, len)) {
		hdr_words(h, utf8, len, "", "");
		return;
	}
	/* Tokens keep their own leading white space: folding puts CRLF
	 * before it, so unfolding gives back the exact text. */
	for (i = 0; i < len && !is_wsp(utf8[i]); i++)
		;
	compose_hdr_word(h, utf8, i);
	while (i < len) {
		start = i;
		while (i < len && is_wsp(utf8[i]))
			i++;
		while (i < len && !is_wsp(utf8[i]))
			i++;
		hdr_token(h, utf8 + start, i - start);
	}
}

/* RFC 5322 3.2.3 atext. */
static int
is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* 1: atoms separated by single spaces; 2: needs a quoted string;
 * 0: needs encoded words. */
static int
phrase_kind(const char *s, size_t len)
{
	size_t	 i;
	int	 atoms = 1;

	if (len == 0 || len > PHRASE_PLAIN_MAX || s[0] == ' ' ||
	    s[len - 1] == ' ')
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] >= 0x7f)
			return 0;
		if (s[i] == '=' && i + 1 < len && s[i + 1] == '?')
			return 0;
		if (s[i] == ' ' && i + 1 < len && s[i + 1] == ' ')
			atoms = 0;
		else if (s[i] != ' ' && !is_atext(s[i]))
			atoms = 0;
	}
	return atoms ? 1 : 2;
}

void
compose_hdr_phrase(struct hdr *h, const char *utf8)
{
	char	 q[2 * PHRASE_PLAIN_MAX + 3];
	size_t	 len = strlen(utf8), i, n = 0, start;

	switch (phrase_kind(utf8, len)) {
	case 1:
		for (i = 0; i < len; i = start) {
			for (start = i; start < len && utf8[start] != ' ';
			    start++)
				;
			compose_hdr_word(h, utf8 + i, start - i);
			start++;
		}
		return;
	case 2:
		q[n++] = '"';
		for (i = 0; i < len; i++) {
			if (utf8[i] == '"' || utf8[i] == '\\')
				q[n++] = '\\';
			q[n++] = utf8[i];
		}
		q[n++] = '"';
		compose_hdr_word(h, q, n);
		return;
	default:
		hdr_words(h, utf8, len, "", "");
		return;
	}
}

/* RFC 2231 7 attribute-char: a token character but "*'%". */
static int
is_attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$&+-.^_`|~", c) != NULL;
}

static int
param_is_plain(const char *s, size_t len)
{
	size_t	 i;

	if (len > PARAM_PLAIN_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] >= 0x7f)
			return 0;
		if (s[i] == '=' && i + 1 < len && s[i + 1] == '?')
			return 0;
	}
	return 1;
}

static void
param_plain(struct hdr *h, const char *name, const char *s, size_t len)
{
	char	 w[2 * PARAM_PLAIN_MAX + 64];
	size_t	 i, n;

	n = (size_t)snprintf(w, sizeof(w), "%s=\"", name);
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			w[n++] = '\\';
		w[n++] = s[i];
	}
	w[n++] = '"';
	compose_hdr_raw(h, ";", 1);
	compose_hdr_word(h, w, n);
}

void
compose_hdr_param(struct hdr *h, const char *name, const char *utf8)
{
	const unsigned char	*s = (const unsigned char *)utf8;
	char			 w[HDR_LINE_MAX + 8];
	size_t			 len = strlen(utf8), i = 0, n, budget;
	unsigned		 section = 0;
	int			 single;

	if (param_is_plain(utf8, len)) {
		param_plain(h, name, utf8, len);
		return;
	}
	/* One "name*=utf-8''..." if it fits a continuation line. */
	for (n = 0, i = 0; i < len; i++)
		n += is_attr_char(s[i]) ? 1 : 3;
	single = strlen(name) + 9 + n <= HDR_LINE_MAX - 2;
	for (i = 0; i < len || section == 0; section++) {
		if (single)
			n = (size_t)snprintf(w, sizeof(w), "%s*=utf-8''", name);
		else
			n = (size_t)snprintf(w, sizeof(w), "%s*%u*=%s", name,
			    section, section == 0 ? "utf-8''" : "");
		budget = HDR_LINE_MAX - 2;
		/* An escape "%XX" is never split across sections. */
		while (i < len && n + (is_attr_char(s[i]) ? 1 : 3) <= budget) {
			if (is_attr_char(s[i]))
				w[n++] = (char)s[i];
			else {
				w[n++] = '%';
				w[n++] = hexdig[s[i] >> 4];
				w[n++] = hexdig[s[i] & 0x0f];
			}
			i++;
		}
		compose_hdr_raw(h, ";", 1);
		compose_hdr_word(h, w, n);
	}
}

void
compose_hdr_param_2047(struct hdr *h, const char *name, const char *utf8)
{
	char	 prefix[PREFIX_MAX];

	snprintf(prefix, sizeof(prefix), "%s=\"", name);
	compose_hdr_raw(h, ";", 1);
	hdr_words(h, utf8, strlen(utf8), prefix, "\"");
}

void
compose_base64(struct mime_buf *b, int *nomem, const char *data,
    size_t len)
{
	unsigned char	 line[4 * B64_LINE_IN / 3 + 4];
	size_t		 take;
	int		 n, first = 1;

	while (len > 0) {
		take = len < B64_LINE_IN ? len : B64_LINE_IN;
		n = EVP_EncodeBlock(line, (const unsigned char *)data,
		    (int)take);
		if (!first)
			compose_put(b, nomem, "\r\n", 2);
		compose_put(b, nomem, (const char *)line, (size_t)n);
		first = 0;
		data += take;
		len -= take;
	}
}

/* Length of the line break at s[i], 0 if none: CRLF, LF or a bare CR. */
static size_t
line_break(const char *s, size_t len, size_t i)
{
	if (s[i] == '\n')
		return 1;
	if (s[i] != '\r')
		return 0;
	return i + 1 < len && s[i + 1] == '\n' ? 2 : 1;
}

void
compose_crlf(struct mime_buf *b, int *nomem, const char *s, size_t len)
{
	size_t	 i, start = 0, lb;

	for (i = 0; i < len; i++) {
		if ((lb = line_break(s, len, i)) == 0)
			continue;
		compose_put(b, nomem, s + start, i - start);
		compose_put(b, nomem, "\r\n", 2);
		i += lb - 1;
		start = i + 1;
	}
	compose_put(b, nomem, s + start, len - start);
}

int
compose_is_7bit(const char *s, size_t len)
{
	size_t	 i, col = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\0' || (unsigned char)s[i] >= 0x80)
			return 0;
		if (s[i] == '\r' || s[i] == '\n')
			col = 0;
		else if (++col > LINE_HARD_MAX)
			return 0;
	}
	return 1;
}

/*
 * RFC 2045 6.7: '=' and bytes outside printable ASCII as =XX, white
 * space before a line break too, soft breaks ("=" CRLF) keep lines at
 * 76.  "From " at a line start is written "=46rom " so that an mbox
 * on the way cannot mangle it.
 */
void
compose_qp(struct mime_buf *b, int *nomem, const char *s, size_t len)
{
	char		 tok[4];
	size_t		 i, col = 0, n, lb;
	unsigned char	 c;

	for (i = 0; i < len; i++) {
		if ((lb = line_break(s, len, i)) > 0) {
			compose_put(b, nomem, "\r\n", 2);
			i += lb - 1;
			col = 0;
			continue;
		}
		c = (unsigned char)s[i];
		if ((c >= 0x21 && c <= 0x7e && c != '=') ||
		    ((c == ' ' || c == '\t') && i + 1 < len &&
		    line_break(s, len, i + 1) == 0))
			n = 1;
		else
			n = 3;
		if (col == 0 && c == 'F' && len - i >= 5 &&
		    memcmp(s + i, "From ", 5) == 0)
			n = 3;
		if (n == 1)
			tok[0] = (char)c;
		else {
			tok[0] = '=';
			tok[1] = hexdig[c >> 4];
			tok[2] = hexdig[c & 0x0f];
		}
		/* Room for the token and a soft break's "=". */
		if (col + n > QP_LINE_MAX - 1) {
			compose_put(b, nomem, "=\r\n", 3);
			col = 0;
		}
		compose_put(b, nomem, tok, n);
		col += n;
	}
}

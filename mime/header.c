/* SPDX-License-Identifier: ISC */
/*
 * header.c - decoding header field values; see header.h.
 *
 * Choices beyond RFC 2047, made to read what deployed mailers write:
 * - An encoded word is recognised even when glued to the text around it
 *   ("Re:=?utf-8?q?x?=", "=?utf-8?q?x?=," ...): strict RFC 2047 wants
 *   whitespace, but mailers that omit it are common and readers decode.
 * - Encoded text ends at the first '?' and never spans whitespace, so a
 *   word with a raw space inside ("=?utf-8?q?a b?=") stays literal.
 * - A recognised but broken word (bad encoding letter, no closing "?=",
 *   base64 outside the alphabet) is kept literally, with a defect.
 * - CR and LF are line folding and are removed; a decoded word can still
 *   carry them, so after decoding every C0 control but TAB, and DEL,
 *   becomes a space and NUL is dropped.  The output is therefore safe to
 *   write back into a header.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "charset.h"
#include "decode.h"
#include "defect.h"
#include "header.h"

/* Raw 8-bit text that is not UTF-8 is most often Windows Latin-1. */
#define DEFAULT_FALLBACK	"windows-1252"
/* RFC 2047 words are at most 75 characters; a longer charset is junk. */
#define CHARSET_MAX		64

#define BIT(d)			(1u << (d))

/* One parsed encoded word: spans into the raw value. */
struct eword {
	const char	*cs;
	size_t		 cslen;		/* no RFC 2231 "*lang" */
	int		 enc;		/* 'B' or 'Q' */
	const char	*text;
	size_t		 textlen;
	size_t		 len;		/* of the whole word */
};

struct hdec {
	const char	*fallback;
	struct mime_buf	*out;
	unsigned	 defects;
	struct mime_buf	 word;		/* pending bytes, in cs */
	struct mime_buf	 tmp;		/* one word being decoded */
	char		 cs[CHARSET_MAX + 1];
	int		 inword;	/* last item was an encoded word */
	size_t		 run;		/* plain run start in out */
	int		 run8;		/* the run has 8-bit bytes */
};

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static unsigned char
lower(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	return c;
}

int
mime_name_eq(const char *s, size_t len, const char *name)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (name[i] == '\0')
			return 0;
		if (lower(s[i]) != lower(name[i]))
			return 0;
	}
	return name[len] == '\0';
}

static void
trim(const char **raw, size_t *len)
{
	const char	*p = *raw;
	size_t		 n = *len;

	while (n > 0 && is_wsp(p[0])) {
		p++;
		n--;
	}
	while (n > 0 && is_wsp(p[n - 1]))
		n--;
	*raw = p;
	*len = n;
}

/* Append raw without its CR and LF bytes. */
static int
append_unfolded(struct mime_buf *out, const char *raw, size_t len)
{
	const char	*p = raw, *end = raw + len, *nl;

	while (p < end) {
		nl = p;
		while (nl < end && *nl != '\r' && *nl != '\n')
			nl++;
		if (mime_buf_append(out, p, nl - p) == -1)
			return -1;
		p = nl + 1;
	}
	return 0;
}

int
mime_header_unfold(const char *raw, size_t len, struct mime_buf *out)
{
	size_t	 mark = out->len;

	trim(&raw, &len);
	/* The final empty append leaves out NUL-terminated, even when the
	 * value is empty. */
	if (mime_buf_reserve(out, len) == -1 ||
	    append_unfolded(out, raw, len) == -1 ||
	    mime_buf_append(out, "", 0) == -1) {
		out->len = mark;
		if (out->data != NULL)
			out->data[mark] = '\0';
		return -1;
	}
	return 0;
}

/*
 * The quick path applies to printable ASCII without "=?": decoding it is
 * unfolding.  Sets *folded when there is a CR or LF to remove.  Most
 * values have no '?' at all, which memchr finds fast.
 */
static int
is_plain(const char *raw, size_t len, int *folded)
{
	const unsigned char	*p = (const unsigned char *)raw, *q;
	size_t			 i;

	*folded = 0;
	for (i = 0; i < len; i++) {
		if (p[i] - 0x20u < 0x5fu)
			continue;
		if (p[i] == '\r' || p[i] == '\n')
			*folded = 1;
		else if (p[i] != '\t')
			return 0;
	}
	if (len < 2)
		return 1;
	q = p + 1;
	while (q < p + len && (q = memchr(q, '?', p + len - q)) != NULL) {
		if (q[-1] == '=')
			return 0;
		q++;
	}
	return 1;
}

/*
 * Parse an encoded word at p.  Returns 1 for a word, 0 when p does not
 * start one, -1 for a word that is recognised ("=?charset?") but broken.
 */
static int
eword_parse(const char *p, size_t len, struct eword *w)
{
	size_t	 i = 2, cs, star;

	if (len < 2 || p[0] != '=' || p[1] != '?')
		return 0;
	while (i < len && p[i] > 0x20 && p[i] < 0x7f && p[i] != '?')
		i++;
	if (i == 2 || i >= len || p[i] != '?')
		return 0;
	cs = i - 2;
	i++;
	if (i + 1 >= len || p[i + 1] != '?')
		return -1;
	switch (p[i]) {
	case 'b':
	case 'B':
		w->enc = 'B';
		break;
	case 'q':
	case 'Q':
		w->enc = 'Q';
		break;
	default:
		return -1;
	}
	i += 2;
	w->text = p + i;
	while (i < len && (unsigned char)p[i] > 0x20 && p[i] != 0x7f &&
	    p[i] != '?')
		i++;
	if (i + 1 >= len || p[i] != '?' || p[i + 1] != '=')
		return -1;
	w->textlen = (size_t)(p + i - w->text);
	w->len = i + 2;
	/* RFC 2231 section 5: "charset*language"; the language is dropped. */
	for (star = 0; star < cs && p[2 + star] != '*'; star++)
		;
	if (star == 0 || star > CHARSET_MAX)
		return -1;
	w->cs = p + 2;
	w->cslen = star;
	return 1;
}

/* Convert the pending bytes of encoded words to UTF-8. */
static int
convert_word(struct hdec *h)
{
	int	 r;

	/* Empty words ("=?utf-8?q??=") leave nothing to convert. */
	if (h->word.len > 0) {
		r = mime_charset_to_utf8(h->cs, h->word.data, h->word.len,
		    h->fallback, h->out);
		if (r == -1)
			return -1;
		h->defects |= r;
	}
	mime_buf_reset(&h->word);
	h->run = h->out->len;
	h->run8 = 0;
	return 0;
}

/* Plain text follows: the pending words are done. */
static int
flush_word(struct hdec *h)
{
	if (!h->inword)
		return 0;
	h->inword = 0;
	return convert_word(h);
}

/* A plain run with 8-bit bytes is kept if UTF-8, else re-read. */
static int
flush_plain(struct hdec *h)
{
	struct mime_buf	*out = h->out;
	char		*copy;
	size_t		 n = out->len - h->run;
	int		 r;

	if (!h->run8)
		return 0;
	h->run8 = 0;
	if (mime_utf8_valid(out->data + h->run, n))
		return 0;
	if ((copy = malloc(n)) == NULL)
		return -1;
	memcpy(copy, out->data + h->run, n);
	out->len = h->run;
	out->data[out->len] = '\0';
	r = mime_charset_to_utf8(h->fallback != NULL ? h->fallback :
	    DEFAULT_FALLBACK, copy, n, NULL, out);
	free(copy);
	if (r == -1)
		return -1;
	h->defects |= r | BIT(MIME_DEFECT_HEADER_8BIT);
	h->run = out->len;
	return 0;
}

/*
 * Decode the text of w into h->tmp.  Returns 0, 1 when the word does not
 * decode (it is then kept literally), -1 on ENOMEM.
 */
static int
decode_text(struct hdec *h, const struct eword *w)
{
	unsigned	 d = 0;
	size_t		 n;

	mime_buf_reset(&h->tmp);
	if (mime_buf_reserve(&h->tmp, mime_decode_bound(w->textlen)) == -1)
		return -1;
	if (w->enc == 'B')
		n = mime_base64_decode(w->text, w->textlen, h->tmp.data, &d);
	else
		n = mime_qword_decode(w->text, w->textlen, h->tmp.data, &d);
	h->tmp.len = n;
	h->tmp.data[n] = '\0';
	/* Padding is often left out; only a lone trailing sextet is bad. */
	if (w->enc == 'B' && w->textlen % 4 != 1)
		d &= ~BIT(MIME_DEFECT_BASE64_PARTIAL);
	if (d & BIT(MIME_DEFECT_BAD_BASE64))
		return 1;
	if (d != 0)
		h->defects |= BIT(MIME_DEFECT_BAD_ENCODED_WORD);
	return 0;
}

static int
same_charset(const struct hdec *h, const struct eword *w)
{
	return mime_name_eq(w->cs, w->cslen, h->cs);
}

/*
 * Take in a decoded word.  ws is the whitespace before it: dropped after
 * another word, else part of the plain text before.
 */
static int
add_word(struct hdec *h, const struct eword *w, const char *ws, size_t wslen)
{
	int	 same = h->inword && same_charset(h, w);

	if (h->inword && !same && convert_word(h) == -1)
		return -1;
	if (!h->inword && (append_unfolded(h->out, ws, wslen) == -1 ||
	    flush_plain(h) == -1))
		return -1;
	if (!same) {
		memcpy(h->cs, w->cs, w->cslen);
		h->cs[w->cslen] = '\0';
	}
	h->inword = 1;
	return mime_buf_append(&h->word, h->tmp.data, h->tmp.len);
}

/* Append plain bytes p[0..n) with the whitespace before them. */
static int
add_plain(struct hdec *h, const char *ws, size_t wslen, const char *p,
    size_t n)
{
	size_t	 i;

	if (flush_word(h) == -1)
		return -1;
	if (append_unfolded(h->out, ws, wslen) == -1 ||
	    mime_buf_append(h->out, p, n) == -1)
		return -1;
	for (i = 0; i < n && !h->run8; i++)
		if ((unsigned char)p[i] >= 0x80)
			h->run8 = 1;
	return 0;
}

/* Length of the plain text at p: up to whitespace or a possible word. */
static size_t
plain_span(const char *p, size_t len)
{
	size_t	 i;

	for (i = 1; i < len; i++) {
		if (is_wsp(p[i]))
			break;
		if (p[i] == '=' && i + 1 < len && p[i + 1] == '?')
			break;
	}
	return i;
}

/* Controls become spaces, NUL goes: see the comment at the top. */
static unsigned
sanitize(struct mime_buf *out, size_t from)
{
	unsigned	 defects = 0;
	size_t		 i, j;
	unsigned char	 c;

	for (i = j = from; i < out->len; i++) {
		c = out->data[i];
		if (c == '\0') {
			defects |= BIT(MIME_DEFECT_NUL_BYTE);
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			c = ' ';
		out->data[j++] = c;
	}
	if (out->data != NULL) {
		out->len = j;
		out->data[j] = '\0';
	}
	return defects;
}

static int
decode_slow(struct hdec *h, const char *raw, size_t len)
{
	struct eword	 w;
	const char	*ws = raw;
	size_t		 i = 0, wslen = 0, n;
	int		 r;

	while (i < len) {
		if (is_wsp(raw[i])) {
			ws = raw + i;
			for (wslen = 0; i < len && is_wsp(raw[i]); i++)
				wslen++;
			continue;
		}
		if ((r = eword_parse(raw + i, len - i, &w)) == 1) {
			if ((r = decode_text(h, &w)) == -1)
				return -1;
			if (r == 0) {
				if (add_word(h, &w, ws, wslen) == -1)
					return -1;
				i += w.len;
				wslen = 0;
				continue;
			}
		}
		/* Not a word: "=?" and what follows are plain text. */
		if (r != 0)
			h->defects |= BIT(MIME_DEFECT_BAD_ENCODED_WORD);
		n = r != 0 ? 2 : plain_span(raw + i, len - i);
		if (add_plain(h, ws, wslen, raw + i, n) == -1)
			return -1;
		i += n;
		wslen = 0;
	}
	if (h->inword)
		return flush_word(h);
	return flush_plain(h);
}

static int
decode_value(const char *raw, size_t len, const char *fallback,
    struct mime_buf *out, int trimmed)
{
	struct hdec	 h;
	size_t		 mark = out->len;
	int		 folded, r;

	if (trimmed)
		trim(&raw, &len);
	if (is_plain(raw, len, &folded)) {
		if (!folded)
			r = mime_buf_append(out, raw, len);
		else if ((r = mime_buf_reserve(out, len)) == 0 &&
		    (r = append_unfolded(out, raw, len)) == 0)
			r = mime_buf_append(out, "", 0);
		if (r == -1)
			goto fail;
		return 0;
	}
	memset(&h, 0, sizeof h);
	h.fallback = fallback;
	h.out = out;
	h.run = out->len;
	mime_buf_init(&h.word);
	mime_buf_init(&h.tmp);
	r = decode_slow(&h, raw, len);
	mime_buf_free(&h.word);
	mime_buf_free(&h.tmp);
	if (r == -1 || mime_buf_append(out, "", 0) == -1)
		goto fail;
	return (int)(h.defects | sanitize(out, mark));
fail:
	out->len = mark;
	if (out->data != NULL)
		out->data[mark] = '\0';
	return -1;
}

int
mime_header_decode(const char *raw, size_t len, const char *fallback,
    struct mime_buf *out)
{
	return decode_value(raw, len, fallback, out, 1);
}

/* Like mime_header_decode, but the phrase keeps its outer whitespace:
 * the caller extracted it and it may be meaningful (a quoted string). */
int
mime_phrase_decode(const char *raw, size_t len, const char *fallback,
    struct mime_buf *out)
{
	return decode_value(raw, len, fallback, out, 0);
}

/* SPDX-License-Identifier: ISC */
/* html.c - the text of an HTML part; see html.h. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mime/buf.h"
#include "rules/html.h"

struct html {
	const char	*s;
	size_t		 len, i;
	struct mime_buf	*out;
	int		 space;		/* a blank is pending */
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

/* Emit c, first the pending blank unless at the start of a line. */
static int
put_char(struct html *h, char c)
{
	struct mime_buf	*o = h->out;

	if (h->space && o->len > 0 && o->data[o->len - 1] != '\n' &&
	    mime_buf_append_char(o, ' ') == -1)
		return -1;
	h->space = 0;
	return mime_buf_append_char(o, c);
}

static int
put_newline(struct html *h)
{
	struct mime_buf	*o = h->out;

	h->space = 0;
	if (o->len == 0 || o->data[o->len - 1] == '\n')
		return 0;	/* already at the start of a line */
	return mime_buf_append_char(o, '\n');
}

static int
put_utf8(struct html *h, uint32_t cp)
{
	char	 b[4];
	size_t	 n, i;

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (put_char(h, b[0]) == -1)
		return -1;
	for (i = 1; i < n; i++)
		if (mime_buf_append_char(h->out, b[i]) == -1)
			return -1;
	return 0;
}

/* Code point of a numeric reference body ("#38", "#x26"), or -1. */
static long
numeric_ref(const char *s, size_t len)
{
	long	 v = 0;
	size_t	 i = 1;
	int	 base = 10, d;

	if (len > 1 && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i >= len)
		return -1;
	for (; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (base == 16 && (s[i] | 0x20) >= 'a' &&
		    (s[i] | 0x20) <= 'f')
			d = (s[i] | 0x20) - 'a' + 10;
		else
			return -1;
		if (v > 0x10ffff)
			continue;	/* out of range: U+FFFD below */
		v = v * base + d;
	}
	return v;
}

static long
named_ref(const char *s, size_t len)
{
	static const struct {
		const char	*name;
		long		 cp;
	} refs[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
		{ "apos", '\'' }, { "nbsp", ' ' }, { "copy", 0xa9 },
		{ "reg", 0xae }, { "euro", 0x20ac }, { "hellip", 0x2026 },
		{ "mdash", 0x2014 }, { "ndash", 0x2013 }, { "laquo", 0xab },
		{ "raquo", 0xbb }, { "shy", -2 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		if (strlen(refs[i].name) == len &&
		    memcmp(refs[i].name, s, len) == 0)
			return refs[i].cp;
	return -1;
}

/* At '&': decode a reference, or emit the '&' as text. */
static int
entity(struct html *h)
{
	size_t	 j, max = h->i + 12 < h->len ? h->i + 12 : h->len;
	long	 cp;

	for (j = h->i + 1; j < max && h->s[j] != ';' && h->s[j] != '&' &&
	    !is_blank(h->s[j]) && h->s[j] != '<'; j++)
		;
	if (j >= max || h->s[j] != ';' || j == h->i + 1) {
		h->i++;
		return put_char(h, '&');
	}
	if (h->s[h->i + 1] == '#')
		cp = numeric_ref(h->s + h->i + 1, j - h->i - 1);
	else
		cp = named_ref(h->s + h->i + 1, j - h->i - 1);
	if (cp == -1) {
		h->i++;
		return put_char(h, '&');
	}
	h->i = j + 1;
	if (cp == -2)
		return 0;	/* soft hyphen: nothing */
	if (cp == ' ') {
		h->space = 1;
		return 0;
	}
	return put_utf8(h, (uint32_t)cp);
}

/* Skip past the first occurrence of end (case-insensitive), or to the
 * end of the input. */
static void
skip_past(struct html *h, const char *end)
{
	size_t	 n = strlen(end);

	for (; h->i + n <= h->len; h->i++)
		if (strncasecmp(h->s + h->i, end, n) == 0) {
			h->i += n;
			return;
		}
	h->i = h->len;
}

static int
is_block(const char *name, size_t len)
{
	static const char *const blocks[] = {
		"p", "br", "div", "li", "tr", "td", "th", "table", "ul",
		"ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
		"hr", "pre", "title", "section", "article", "header",
		"footer", "dd", "dt", "dl"
	};
	size_t	 i;

	for (i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
		if (strlen(blocks[i]) == len &&
		    strncasecmp(blocks[i], name, len) == 0)
			return 1;
	return 0;
}

/* At '<': a tag, a comment or a declaration. */
static int
tag(struct html *h)
{
	size_t		 start, nlen;
	const char	*name;
	char		 quote = 0;
	int		 closing = 0;

	if (h->i + 4 <= h->len && memcmp(h->s + h->i, "<!--", 4) == 0) {
		h->i += 4;
		skip_past(h, "-->");
		return 0;
	}
	start = h->i + 1;
	if (start < h->len && h->s[start] == '/') {
		closing = 1;
		start++;
	}
	for (nlen = 0; start + nlen < h->len; nlen++) {
		char	 c = h->s[start + nlen];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9')))
			break;
	}
	name = h->s + start;
	if (nlen == 0 && !closing && (start >= h->len ||
	    (h->s[start] != '!' && h->s[start] != '?'))) {
		h->i++;
		return put_char(h, '<');	/* "a < b" is text */
	}
	for (h->i = start + nlen; h->i < h->len; h->i++) {
		char	 c = h->s[h->i];

		if (quote != 0 && c == quote)
			quote = 0;
		else if (quote == 0 && (c == '"' || c == '\''))
			quote = c;
		else if (quote == 0 && c == '>')
			break;
	}
	if (h->i < h->len)
		h->i++;
	if (!closing && nlen == 6 && strncasecmp(name, "script", 6) == 0) {
		skip_past(h, "</script");
		skip_past(h, ">");
	} else if (!closing && nlen == 5 &&
	    strncasecmp(name, "style", 5) == 0) {
		skip_past(h, "</style");
		skip_past(h, ">");
	} else if (is_block(name, nlen))
		return put_newline(h);
	return 0;	/* inline: "Rech<b>nung</b>" is one word */
}

/* Plain text up to the next markup or blank, in one append. */
static int
text_run(struct html *h)
{
	size_t	 j;

	for (j = h->i + 1; j < h->len; j++)
		if (h->s[j] == '<' || h->s[j] == '&' || is_blank(h->s[j]))
			break;
	if (put_char(h, h->s[h->i]) == -1 ||
	    mime_buf_append(h->out, h->s + h->i + 1, j - h->i - 1) == -1)
		return -1;
	h->i = j;
	return 0;
}

int
rule_html_to_text(const char *in, size_t len, struct mime_buf *out)
{
	struct html	 h = { in, len, 0, out, 0 };

	while (h.i < h.len) {
		char	 c = h.s[h.i];

		if (c == '<') {
			if (tag(&h) == -1)
				return -1;
		} else if (c == '&') {
			if (entity(&h) == -1)
				return -1;
		} else if (is_blank(c)) {
			h.space = 1;
			h.i++;
		} else if (text_run(&h) == -1)
			return -1;
	}
	return 0;
}

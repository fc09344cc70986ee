/* SPDX-License-Identifier: ISC */
/*
 * imap-mutf7.c - modified UTF-7 (RFC 3501 5.1.3) both ways; see
 * imap-mutf7.h.  Printable ASCII stands for itself ('&' as "&-"); any
 * other character is UTF-16 in base64 with ',' for '/', between '&'
 * and '-'.
 */
#include <stdint.h>
#include <string.h>

#include "mime/charset.h"
#include "daemon/source/imap-mutf7.h"

static const char mutf7_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* A bounded output: the first byte that does not fit (with room for
 * the NUL) sets overflow, and nothing more is written. */
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

static int
obuf_end(struct obuf *o)
{
	if (o->overflow || o->cap == 0)
		return -1;
	o->p[o->len] = '\0';
	return 0;
}

/* --- decoding -------------------------------------------------------- */

static int
b64_value(unsigned char c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(mutf7_alphabet, c)) == NULL)
		return -1;
	return (int)(p - mutf7_alphabet);
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
 * surrogate.  What printable ASCII says directly must not be shifted,
 * and a control is no part of a name. */
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
	if ((u >= 0xdc00 && u <= 0xdfff) || u <= 0x9f)
		return -1;	/* lone surrogate, ASCII, C0 or C1 */
	utf8_put(o, u);
	return 0;
}

/* The shifted run after '&' at in[*i], up to and past its '-'. */
static int
mutf7_run(const char *in, size_t len, size_t *i, struct obuf *o)
{
	uint32_t	 bits = 0, hi = 0;
	int		 nbits = 0, v, units = 0;

	for (; *i < len && in[*i] != '-'; (*i)++) {
		if ((v = b64_value((unsigned char)in[*i])) == -1)
			return -1;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits >= 16) {
			nbits -= 16;
			if (utf16_unit(o, (bits >> nbits) & 0xffff, &hi) == -1)
				return -1;
			bits &= (1u << nbits) - 1;
			units++;
		}
	}
	/* closed by '-', whole units, zero padding, no half pair */
	if (*i >= len || units == 0 || nbits >= 6 || bits != 0 || hi != 0)
		return -1;
	(*i)++;
	return 0;
}

int
imap_mutf7_decode(const char *in, size_t len, char *out, size_t outlen)
{
	struct obuf	 o = { out, 0, outlen, 0 };
	size_t		 i = 0;

	if (outlen == 0)
		return -1;
	while (i < len) {
		if ((unsigned char)in[i] < 0x20 || (unsigned char)in[i] > 0x7e)
			return -1;
		if (in[i] != '&') {
			obuf_put(&o, in[i++]);
			continue;
		}
		if (i + 1 < len && in[i + 1] == '-') {
			obuf_put(&o, '&');
			i += 2;
			continue;
		}
		i++;
		if (mutf7_run(in, len, &i, &o) == -1)
			return -1;
		/* two runs in a row are one in canonical form */
		if (i + 1 < len && in[i] == '&' && in[i + 1] != '-')
			return -1;
	}
	return obuf_end(&o);
}

/* --- encoding -------------------------------------------------------- */

/* One UTF-8 sequence at p: its length and code point, or 0 if invalid.
 * mime/ says whether it is well-formed; only the bits are ours. */
static size_t
utf8_get(const char *p, uint32_t *cp)
{
	static const unsigned char lead[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	size_t	 n, i;

	if ((n = mime_utf8_seq(p, strnlen(p, 4))) == 0 || n > 4)
		return 0;
	*cp = (unsigned char)p[0] & lead[n];
	for (i = 1; i < n; i++)
		*cp = (*cp << 6) | ((unsigned char)p[i] & 0x3f);
	return n;
}

/* Append one 16-bit unit in modified base64. */
static void
b64_unit(struct obuf *o, uint32_t *bits, int *nbits, uint32_t u)
{
	*bits = (*bits << 16) | u;
	*nbits += 16;
	while (*nbits >= 6) {
		*nbits -= 6;
		obuf_put(o, mutf7_alphabet[(*bits >> *nbits) & 0x3f]);
	}
	*bits &= (1u << *nbits) - 1;
}

/* Close a shifted run: the last bits zero-padded, then '-'. */
static void
b64_end(struct obuf *o, uint32_t *bits, int *nbits)
{
	if (*nbits > 0)
		obuf_put(o, mutf7_alphabet[(*bits << (6 - *nbits)) & 0x3f]);
	obuf_put(o, '-');
	*bits = 0;
	*nbits = 0;
}

int
imap_mutf7_encode(const char *utf8, char *out, size_t outlen)
{
	struct obuf	 o = { out, 0, outlen, 0 };
	const char	*p = utf8;
	uint32_t	 cp, bits = 0;
	size_t		 n;
	int		 nbits = 0, shifted = 0;

	while (*p != '\0') {
		if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f) {
			if (shifted)
				b64_end(&o, &bits, &nbits);
			shifted = 0;
			obuf_put(&o, *p);
			if (*p++ == '&')
				obuf_put(&o, '-');
			continue;
		}
		if ((n = utf8_get(p, &cp)) == 0 || cp < 0x20 || cp == 0x7f)
			return -1;
		p += n;
		if (!shifted)
			obuf_put(&o, '&');
		shifted = 1;
		if (cp < 0x10000)
			b64_unit(&o, &bits, &nbits, cp);
		else {
			b64_unit(&o, &bits, &nbits,
			    0xd800 | ((cp - 0x10000) >> 10));
			b64_unit(&o, &bits, &nbits,
			    0xdc00 | ((cp - 0x10000) & 0x3ff));
		}
	}
	if (shifted)
		b64_end(&o, &bits, &nbits);
	return obuf_end(&o);
}

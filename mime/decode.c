/* SPDX-License-Identifier: ISC */
/*
 * decode.c - Content-Transfer-Encoding decoders; see decode.h.
 *
 * Base64 is where the library spends its time (attachments are most of
 * the bytes of a mailbox), so it has a fast path: while the decoder sits
 * on a group boundary it decodes eight characters at a time through four
 * lookup tables, one per position in a group.  Each table entry holds the
 * bits its character contributes to the three output bytes, already in
 * little-endian memory order, plus 1 << 29 if the character is in the
 * alphabet.  The data bits of the four positions never overlap, so the sum
 * of four entries is the decoded group and its top bit is set only when
 * all four characters were valid: one test per eight characters catches
 * line breaks, padding and junk, which then go through the careful
 * one-character path below.
 */
#include <stdint.h>
#include <string.h>

#include "decode.h"
#include "defect.h"

#define B64_GROUP_OK	0x80000000u

static const uint32_t b64_dec0[256] = {
	['A'] = 0x20000000, ['B'] = 0x20000004, ['C'] = 0x20000008,
	['D'] = 0x2000000c, ['E'] = 0x20000010, ['F'] = 0x20000014,
	['G'] = 0x20000018, ['H'] = 0x2000001c, ['I'] = 0x20000020,
	['J'] = 0x20000024, ['K'] = 0x20000028, ['L'] = 0x2000002c,
	['M'] = 0x20000030, ['N'] = 0x20000034, ['O'] = 0x20000038,
	['P'] = 0x2000003c, ['Q'] = 0x20000040, ['R'] = 0x20000044,
	['S'] = 0x20000048, ['T'] = 0x2000004c, ['U'] = 0x20000050,
	['V'] = 0x20000054, ['W'] = 0x20000058, ['X'] = 0x2000005c,
	['Y'] = 0x20000060, ['Z'] = 0x20000064, ['a'] = 0x20000068,
	['b'] = 0x2000006c, ['c'] = 0x20000070, ['d'] = 0x20000074,
	['e'] = 0x20000078, ['f'] = 0x2000007c, ['g'] = 0x20000080,
	['h'] = 0x20000084, ['i'] = 0x20000088, ['j'] = 0x2000008c,
	['k'] = 0x20000090, ['l'] = 0x20000094, ['m'] = 0x20000098,
	['n'] = 0x2000009c, ['o'] = 0x200000a0, ['p'] = 0x200000a4,
	['q'] = 0x200000a8, ['r'] = 0x200000ac, ['s'] = 0x200000b0,
	['t'] = 0x200000b4, ['u'] = 0x200000b8, ['v'] = 0x200000bc,
	['w'] = 0x200000c0, ['x'] = 0x200000c4, ['y'] = 0x200000c8,
	['z'] = 0x200000cc, ['0'] = 0x200000d0, ['1'] = 0x200000d4,
	['2'] = 0x200000d8, ['3'] = 0x200000dc, ['4'] = 0x200000e0,
	['5'] = 0x200000e4, ['6'] = 0x200000e8, ['7'] = 0x200000ec,
	['8'] = 0x200000f0, ['9'] = 0x200000f4, ['+'] = 0x200000f8,
	['/'] = 0x200000fc,
};

static const uint32_t b64_dec1[256] = {
	['A'] = 0x20000000, ['B'] = 0x20001000, ['C'] = 0x20002000,
	['D'] = 0x20003000, ['E'] = 0x20004000, ['F'] = 0x20005000,
	['G'] = 0x20006000, ['H'] = 0x20007000, ['I'] = 0x20008000,
	['J'] = 0x20009000, ['K'] = 0x2000a000, ['L'] = 0x2000b000,
	['M'] = 0x2000c000, ['N'] = 0x2000d000, ['O'] = 0x2000e000,
	['P'] = 0x2000f000, ['Q'] = 0x20000001, ['R'] = 0x20001001,
	['S'] = 0x20002001, ['T'] = 0x20003001, ['U'] = 0x20004001,
	['V'] = 0x20005001, ['W'] = 0x20006001, ['X'] = 0x20007001,
	['Y'] = 0x20008001, ['Z'] = 0x20009001, ['a'] = 0x2000a001,
	['b'] = 0x2000b001, ['c'] = 0x2000c001, ['d'] = 0x2000d001,
	['e'] = 0x2000e001, ['f'] = 0x2000f001, ['g'] = 0x20000002,
	['h'] = 0x20001002, ['i'] = 0x20002002, ['j'] = 0x20003002,
	['k'] = 0x20004002, ['l'] = 0x20005002, ['m'] = 0x20006002,
	['n'] = 0x20007002, ['o'] = 0x20008002, ['p'] = 0x20009002,
	['q'] = 0x2000a002, ['r'] = 0x2000b002, ['s'] = 0x2000c002,
	['t'] = 0x2000d002, ['u'] = 0x2000e002, ['v'] = 0x2000f002,
	['w'] = 0x20000003, ['x'] = 0x20001003, ['y'] = 0x20002003,
	['z'] = 0x20003003, ['0'] = 0x20004003, ['1'] = 0x20005003,
	['2'] = 0x20006003, ['3'] = 0x20007003, ['4'] = 0x20008003,
	['5'] = 0x20009003, ['6'] = 0x2000a003, ['7'] = 0x2000b003,
	['8'] = 0x2000c003, ['9'] = 0x2000d003, ['+'] = 0x2000e003,
	['/'] = 0x2000f003,
};

static const uint32_t b64_dec2[256] = {
	['A'] = 0x20000000, ['B'] = 0x20400000, ['C'] = 0x20800000,
	['D'] = 0x20c00000, ['E'] = 0x20000100, ['F'] = 0x20400100,
	['G'] = 0x20800100, ['H'] = 0x20c00100, ['I'] = 0x20000200,
	['J'] = 0x20400200, ['K'] = 0x20800200, ['L'] = 0x20c00200,
	['M'] = 0x20000300, ['N'] = 0x20400300, ['O'] = 0x20800300,
	['P'] = 0x20c00300, ['Q'] = 0x20000400, ['R'] = 0x20400400,
	['S'] = 0x20800400, ['T'] = 0x20c00400, ['U'] = 0x20000500,
	['V'] = 0x20400500, ['W'] = 0x20800500, ['X'] = 0x20c00500,
	['Y'] = 0x20000600, ['Z'] = 0x20400600, ['a'] = 0x20800600,
	['b'] = 0x20c00600, ['c'] = 0x20000700, ['d'] = 0x20400700,
	['e'] = 0x20800700, ['f'] = 0x20c00700, ['g'] = 0x20000800,
	['h'] = 0x20400800, ['i'] = 0x20800800, ['j'] = 0x20c00800,
	['k'] = 0x20000900, ['l'] = 0x20400900, ['m'] = 0x20800900,
	['n'] = 0x20c00900, ['o'] = 0x20000a00, ['p'] = 0x20400a00,
	['q'] = 0x20800a00, ['r'] = 0x20c00a00, ['s'] = 0x20000b00,
	['t'] = 0x20400b00, ['u'] = 0x20800b00, ['v'] = 0x20c00b00,
	['w'] = 0x20000c00, ['x'] = 0x20400c00, ['y'] = 0x20800c00,
	['z'] = 0x20c00c00, ['0'] = 0x20000d00, ['1'] = 0x20400d00,
	['2'] = 0x20800d00, ['3'] = 0x20c00d00, ['4'] = 0x20000e00,
	['5'] = 0x20400e00, ['6'] = 0x20800e00, ['7'] = 0x20c00e00,
	['8'] = 0x20000f00, ['9'] = 0x20400f00, ['+'] = 0x20800f00,
	['/'] = 0x20c00f00,
};

static const uint32_t b64_dec3[256] = {
	['A'] = 0x20000000, ['B'] = 0x20010000, ['C'] = 0x20020000,
	['D'] = 0x20030000, ['E'] = 0x20040000, ['F'] = 0x20050000,
	['G'] = 0x20060000, ['H'] = 0x20070000, ['I'] = 0x20080000,
	['J'] = 0x20090000, ['K'] = 0x200a0000, ['L'] = 0x200b0000,
	['M'] = 0x200c0000, ['N'] = 0x200d0000, ['O'] = 0x200e0000,
	['P'] = 0x200f0000, ['Q'] = 0x20100000, ['R'] = 0x20110000,
	['S'] = 0x20120000, ['T'] = 0x20130000, ['U'] = 0x20140000,
	['V'] = 0x20150000, ['W'] = 0x20160000, ['X'] = 0x20170000,
	['Y'] = 0x20180000, ['Z'] = 0x20190000, ['a'] = 0x201a0000,
	['b'] = 0x201b0000, ['c'] = 0x201c0000, ['d'] = 0x201d0000,
	['e'] = 0x201e0000, ['f'] = 0x201f0000, ['g'] = 0x20200000,
	['h'] = 0x20210000, ['i'] = 0x20220000, ['j'] = 0x20230000,
	['k'] = 0x20240000, ['l'] = 0x20250000, ['m'] = 0x20260000,
	['n'] = 0x20270000, ['o'] = 0x20280000, ['p'] = 0x20290000,
	['q'] = 0x202a0000, ['r'] = 0x202b0000, ['s'] = 0x202c0000,
	['t'] = 0x202d0000, ['u'] = 0x202e0000, ['v'] = 0x202f0000,
	['w'] = 0x20300000, ['x'] = 0x20310000, ['y'] = 0x20320000,
	['z'] = 0x20330000, ['0'] = 0x20340000, ['1'] = 0x20350000,
	['2'] = 0x20360000, ['3'] = 0x20370000, ['4'] = 0x20380000,
	['5'] = 0x20390000, ['6'] = 0x203a0000, ['7'] = 0x203b0000,
	['8'] = 0x203c0000, ['9'] = 0x203d0000, ['+'] = 0x203e0000,
	['/'] = 0x203f0000,
};

/*
 * Everything a step can emit beyond one byte per input byte is what an
 * earlier step held back: a quoted-printable escape with its whitespace
 * ("=", pend, CR) and, for base64, the four-byte store of the fast path.
 */
#define DECODE_SLACK	(sizeof(((struct mime_decoder *)0)->pend) + 8)

enum qp_state {
	QP_TEXT,	/* nothing held */
	QP_WS,		/* pend holds blanks that may be trailing */
	QP_WS_CR,	/* ... followed by a CR */
	QP_EQ,		/* "=" and the whitespace in pend */
	QP_EQ_HEX,	/* "=" and one hex digit, kept in acc */
	QP_EQ_CR	/* "=", the whitespace in pend and a CR */
};

/* Hex digit value plus one; zero for anything else. */
static const unsigned char qp_hex[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16
};

/* Characters that stop the quoted-printable copy loop. */
static const unsigned char qp_special[256] = {
	['='] = 1, [' '] = 1, ['\t'] = 1
};

/* Characters after which a space is not trailing whitespace. */
static const unsigned char qp_line_ws[256] = {
	[' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1
};

static const char *const encoding_names[] = {
	[MIME_ENC_7BIT] = "7bit",
	[MIME_ENC_8BIT] = "8bit",
	[MIME_ENC_BINARY] = "binary",
	[MIME_ENC_BASE64] = "base64",
	[MIME_ENC_QP] = "quoted-printable",
	[MIME_ENC_UNKNOWN] = "unknown"
};

static int
host_little_endian(void)
{
	const uint32_t	 probe = 1;
	unsigned char	 first;

	memcpy(&first, &probe, 1);
	return first == 1;
}

/*
 * Store a decoded group.  On little-endian hosts this writes a fourth,
 * meaningless byte that the next group overwrites; DECODE_SLACK pays for
 * it at the end of the output.
 */
static void
b64_put(unsigned char *o, uint32_t v)
{
	if (host_little_endian()) {
		memcpy(o, &v, sizeof(v));
		return;
	}
	o[0] = v & 0xff;
	o[1] = (v >> 8) & 0xff;
	o[2] = (v >> 16) & 0xff;
}

static uint32_t
b64_group(const unsigned char *p)
{
	return b64_dec0[p[0]] + b64_dec1[p[1]] + b64_dec2[p[2]] +
	    b64_dec3[p[3]];
}

/*
 * Decode clean groups, and the line breaks between them, starting on a
 * group boundary; returns where the first character that needs the
 * careful path is.  Eight characters a round; when a round fails, its
 * first group may still be clean (a 76-column line ends in mid-round).
 */
static const unsigned char *
b64_fast(const unsigned char *p, const unsigned char *end,
    unsigned char **outp)
{
	const unsigned char	*line, *last;
	unsigned char		*o = *outp;
	uint32_t		 v, w;

	do {
		/* v: the first half of a failed round, else zero. */
		v = 0;
		last = end - p >= 8 ? end - 8 : NULL;
		while (last != NULL && p <= last) {
			v = b64_group(p);
			w = b64_group(p + 4);
			if ((v & w) < B64_GROUP_OK)
				break;
			b64_put(o, v);
			b64_put(o + 3, w);
			p += 8;
			o += 6;
			v = 0;
		}
		if (v == 0 && end - p >= 4)
			v = b64_group(p);
		if (v >= B64_GROUP_OK) {
			b64_put(o, v);
			p += 4;
			o += 3;
		}
		line = p;
		while (p < end && (*p == '\n' || *p == '\r'))
			p++;
	} while (p != line);
	*outp = o;
	return p;
}

/* Emit the bytes of a group cut short by padding or the end of input. */
static unsigned char *
b64_flush(struct mime_decoder *d, unsigned char *o)
{
	if (d->nacc == 2)
		*o++ = (d->acc >> 4) & 0xff;
	else if (d->nacc == 3) {
		*o++ = (d->acc >> 10) & 0xff;
		*o++ = (d->acc >> 2) & 0xff;
	} else if (d->nacc == 1)
		d->defects |= 1u << MIME_DEFECT_BASE64_PARTIAL;
	d->acc = 0;
	d->nacc = 0;
	return o;
}

static unsigned char *
b64_pad(struct mime_decoder *d, unsigned char *o)
{
	/* More '=' after padding is tolerated; a '=' out of nowhere is not. */
	if (d->nacc == 0) {
		if (!d->pad)
			d->defects |= 1u << MIME_DEFECT_BAD_BASE64;
		return o;
	}
	d->pad = 1;
	return b64_flush(d, o);
}

static unsigned char *
b64_char(struct mime_decoder *d, unsigned char c, unsigned char *o)
{
	uint32_t	 e = b64_dec3[c];

	if (e != 0) {
		d->pad = 0;
		d->acc = (d->acc << 6) | ((e >> 16) & 0x3f);
		if (++d->nacc < 4)
			return o;
		o[0] = (d->acc >> 16) & 0xff;
		o[1] = (d->acc >> 8) & 0xff;
		o[2] = d->acc & 0xff;
		d->acc = 0;
		d->nacc = 0;
		return o + 3;
	}
	switch (c) {
	case '\r':
	case '\n':
	case ' ':
	case '\t':
		return o;
	case '=':
		return b64_pad(d, o);
	default:
		d->defects |= 1u << MIME_DEFECT_BAD_BASE64;
		return o;
	}
}

static size_t
b64_step(struct mime_decoder *d, const unsigned char *p, size_t len,
    unsigned char *out)
{
	const unsigned char	*end = p + len;
	unsigned char		*o = out;

	while (p < end) {
		if (d->nacc == 0 && !d->pad) {
			p = b64_fast(p, end, &o);
			if (p == end)
				break;
		}
		o = b64_char(d, *p++, o);
	}
	return o - out;
}

static unsigned char *
qp_emit_pend(struct mime_decoder *d, unsigned char *o)
{
	memcpy(o, d->pend, d->npend);
	o += d->npend;
	d->npend = 0;
	return o;
}

/*
 * Copy plain text until something needs the state machine; consumes the
 * character that starts a state.  Called in QP_TEXT only.
 */
static const unsigned char *
qp_text(struct mime_decoder *d, const unsigned char *p,
    const unsigned char *end, unsigned char **outp)
{
	unsigned char	*o = *outp;
	unsigned char	 c;

	while (p < end) {
		c = *p;
		if (!qp_special[c]) {
			*o++ = c;
			p++;
			continue;
		}
		if (c == '=') {
			d->state = QP_EQ;
			d->npend = 0;
			p++;
			break;
		}
		/* A space followed by text is not trailing: skip the state. */
		if (end - p >= 2 && !qp_line_ws[p[1]]) {
			*o++ = c;
			p++;
			continue;
		}
		d->pend[0] = (char)c;
		d->npend = 1;
		d->state = QP_WS;
		p++;
		break;
	}
	*outp = o;
	return p;
}

static void
qp_hold_ws(struct mime_decoder *d, unsigned char c, unsigned char **outp)
{
	/* A run longer than any legal line is kept rather than held. */
	if (d->npend == sizeof(d->pend))
		*outp = qp_emit_pend(d, *outp);
	d->pend[d->npend++] = (char)c;
}

static unsigned char *
qp_bad_escape(struct mime_decoder *d, unsigned char *o)
{
	d->defects |= 1u << MIME_DEFECT_BAD_QP;
	*o++ = '=';
	return o;
}

/* One character in any state; a character that ends a state is fed
 * again to the state it leads to. */
static unsigned char *
qp_char(struct mime_decoder *d, unsigned char c, unsigned char *o)
{
	for (;;) {
		switch (d->state) {
		case QP_TEXT:
			if (c == '=') {
				d->state = QP_EQ;
				d->npend = 0;
			} else if (c == ' ' || c == '\t') {
				d->state = QP_WS;
				qp_hold_ws(d, c, &o);
			} else
				*o++ = c;
			return o;
		case QP_WS:
			if (c == ' ' || c == '\t') {
				qp_hold_ws(d, c, &o);
				return o;
			}
			if (c == '\r') {
				d->state = QP_WS_CR;
				return o;
			}
			if (c == '\n')
				d->npend = 0;
			else
				o = qp_emit_pend(d, o);
			d->state = QP_TEXT;
			break;
		case QP_WS_CR:
			if (c == '\n')
				d->npend = 0;
			else
				o = qp_emit_pend(d, o);
			*o++ = '\r';
			d->state = QP_TEXT;
			break;
		case QP_EQ:
			if (d->npend == 0 && qp_hex[c] != 0) {
				d->acc = c;
				d->state = QP_EQ_HEX;
				return o;
			}
			if ((c == ' ' || c == '\t') &&
			    d->npend < sizeof(d->pend)) {
				d->pend[d->npend++] = (char)c;
				return o;
			}
			if (c == '\r') {
				d->state = QP_EQ_CR;
				return o;
			}
			if (c == '\n') {
				/* Soft line break. */
				d->npend = 0;
				d->state = QP_TEXT;
				return o;
			}
			o = qp_bad_escape(d, o);
			d->state = d->npend > 0 ? QP_WS : QP_TEXT;
			break;
		case QP_EQ_HEX:
			if (qp_hex[c] != 0) {
				*o++ = ((qp_hex[d->acc] - 1) << 4) |
				    (qp_hex[c] - 1);
				d->state = QP_TEXT;
				return o;
			}
			o = qp_bad_escape(d, o);
			*o++ = d->acc & 0xff;
			d->state = QP_TEXT;
			break;
		case QP_EQ_CR:
			if (c == '\n') {
				d->npend = 0;
				d->state = QP_TEXT;
				return o;
			}
			o = qp_bad_escape(d, o);
			o = qp_emit_pend(d, o);
			*o++ = '\r';
			d->state = QP_TEXT;
			break;
		}
	}
}

static size_t
qp_step(struct mime_decoder *d, const unsigned char *p, size_t len,
    unsigned char *out)
{
	const unsigned char	*end = p + len;
	unsigned char		*o = out;

	while (p < end) {
		if (d->state == QP_TEXT)
			p = qp_text(d, p, end, &o);
		else
			o = qp_char(d, *p++, o);
	}
	return o - out;
}

static size_t
qp_finish(struct mime_decoder *d, unsigned char *out)
{
	unsigned char	*o = out;

	switch (d->state) {
	case QP_TEXT:
	case QP_WS:
		/* The end of the body ends a line: its whitespace goes. */
		break;
	case QP_WS_CR:
		*o++ = '\r';
		break;
	case QP_EQ:
	case QP_EQ_CR:
		/* A soft line break whose newline the parser took away. */
		break;
	case QP_EQ_HEX:
		o = qp_bad_escape(d, o);
		*o++ = d->acc & 0xff;
		break;
	}
	d->state = QP_TEXT;
	d->npend = 0;
	return o - out;
}

static int
is_cfws_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip whitespace and (possibly nested) comments; returns the new index. */
static size_t
skip_cfws(const char *s, size_t len, size_t i)
{
	unsigned	 depth = 0;

	for (; i < len; i++) {
		if (depth > 0 && s[i] == '\\') {
			i++;
			continue;
		}
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0 && !is_cfws_space((unsigned char)s[i]))
			break;
	}
	return i;
}

static int
token_equal(const char *s, size_t len, const char *name)
{
	size_t		 i;
	unsigned char	 c;

	if (len != strlen(name))
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		if (c != (unsigned char)name[i])
			return 0;
	}
	return 1;
}

enum mime_encoding
mime_encoding_from_name(const char *s, size_t len)
{
	size_t	 start, end;
	int	 e;

	if (s == NULL)
		return MIME_ENC_7BIT;
	start = skip_cfws(s, len, 0);
	for (end = start; end < len; end++)
		if (is_cfws_space((unsigned char)s[end]) || s[end] == '(' ||
		    s[end] == ';')
			break;
	if (end == start)
		return MIME_ENC_7BIT;
	for (e = MIME_ENC_7BIT; e < MIME_ENC_UNKNOWN; e++)
		if (token_equal(s + start, end - start, encoding_names[e]))
			return e;
	return MIME_ENC_UNKNOWN;
}

const char *
mime_encoding_name(enum mime_encoding e)
{
	if ((unsigned)e > MIME_ENC_UNKNOWN)
		return "unknown";
	return encoding_names[e];
}

void
mime_decoder_init(struct mime_decoder *d, enum mime_encoding enc)
{
	memset(d, 0, sizeof(*d));
	if ((unsigned)enc > MIME_ENC_UNKNOWN)
		enc = MIME_ENC_UNKNOWN;
	d->enc = enc;
	d->state = QP_TEXT;
	if (enc == MIME_ENC_UNKNOWN)
		d->defects |= 1u << MIME_DEFECT_UNKNOWN_ENCODING;
}

size_t
mime_decode_bound(size_t len)
{
	if (len > SIZE_MAX - DECODE_SLACK)
		return SIZE_MAX;
	return len + DECODE_SLACK;
}

size_t
mime_decoder_step(struct mime_decoder *d, const char *in, size_t len,
    char *out)
{
	if (len == 0)
		return 0;
	switch (d->enc) {
	case MIME_ENC_BASE64:
		return b64_step(d, (const unsigned char *)in, len,
		    (unsigned char *)out);
	case MIME_ENC_QP:
		return qp_step(d, (const unsigned char *)in, len,
		    (unsigned char *)out);
	default:
		memcpy(out, in, len);
		return len;
	}
}

size_t
mime_decoder_finish(struct mime_decoder *d, char *out)
{
	unsigned char	*o = (unsigned char *)out;

	switch (d->enc) {
	case MIME_ENC_BASE64:
		if (d->nacc != 0)
			d->defects |= 1u << MIME_DEFECT_BASE64_PARTIAL;
		d->pad = 0;
		return b64_flush(d, o) - o;
	case MIME_ENC_QP:
		return qp_finish(d, o);
	default:
		return 0;
	}
}

size_t
mime_base64_decode(const char *in, size_t len, char *out, unsigned *defects)
{
	struct mime_decoder	 d;
	size_t			 n;

	mime_decoder_init(&d, MIME_ENC_BASE64);
	n = mime_decoder_step(&d, in, len, out);
	n += mime_decoder_finish(&d, out + n);
	if (defects != NULL)
		*defects |= d.defects;
	return n;
}

size_t
mime_qword_decode(const char *in, size_t len, char *out, unsigned *defects)
{
	const unsigned char	*p = (const unsigned char *)in;
	unsigned char		*o = (unsigned char *)out;
	unsigned		 bad = 0;
	size_t			 i;

	for (i = 0; i < len; i++) {
		if (p[i] == '_')
			*o++ = ' ';
		else if (p[i] != '=')
			*o++ = p[i];
		else if (len - i >= 3 && qp_hex[p[i + 1]] != 0 &&
		    qp_hex[p[i + 2]] != 0) {
			*o++ = ((qp_hex[p[i + 1]] - 1) << 4) |
			    (qp_hex[p[i + 2]] - 1);
			i += 2;
		} else {
			bad = 1u << MIME_DEFECT_BAD_QP;
			*o++ = '=';
		}
	}
	if (defects != NULL)
		*defects |= bad;
	return o - (unsigned char *)out;
}

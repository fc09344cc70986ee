/* SPDX-License-Identifier: ISC */
/*
 * test_mime_decode.c - transfer decoders (mime/decode.c).
 *
 * Every streaming test compares against one-shot decoding and against a
 * slow, obviously correct reference written here, and every step writes
 * into a buffer of exactly mime_decode_bound() bytes followed by a canary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/decode.h"
#include "mime/defect.h"

#define BIT(c)		(1u << (c))
#define CANARY		16

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct out {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

static uint64_t
rnd_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
out_append(struct out *o, const char *p, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->data = realloc(o->data, o->cap);
		assert_non_null(o->data);
	}
	if (n > 0)
		memcpy(o->data + o->len, p, n);
	o->len += n;
}

/* One step into a buffer of exactly the promised size plus a canary. */
static void
step_checked(struct mime_decoder *d, const char *in, size_t n, struct out *o,
    int finish)
{
	size_t	 room, got, i;
	char	*buf;

	room = mime_decode_bound(finish ? 0 : n);
	buf = malloc(room + CANARY);
	assert_non_null(buf);
	memset(buf + room, 0xa5, CANARY);
	if (finish)
		got = mime_decoder_finish(d, buf);
	else
		got = mime_decoder_step(d, in, n, buf);
	assert_true(got <= room);
	for (i = 0; i < CANARY; i++)
		assert_int_equal((unsigned char)buf[room + i], 0xa5);
	out_append(o, buf, got);
	free(buf);
}

/* Decode in chunks ending at the given cut offsets (ascending). */
static unsigned
decode_cuts(enum mime_encoding enc, const char *in, size_t len,
    const size_t *cuts, size_t ncuts, struct out *o)
{
	struct mime_decoder	 d;
	size_t			 prev = 0, i;

	mime_decoder_init(&d, enc);
	for (i = 0; i < ncuts; i++) {
		step_checked(&d, in + prev, cuts[i] - prev, o, 0);
		prev = cuts[i];
	}
	step_checked(&d, in + prev, len - prev, o, 0);
	step_checked(&d, NULL, 0, o, 1);
	return d.defects;
}

static unsigned
decode_all(enum mime_encoding enc, const char *in, size_t len, struct out *o)
{
	return decode_cuts(enc, in, len, NULL, 0, o);
}

static void
check_decode(enum mime_encoding enc, const char *in, const char *want,
    size_t wantlen, unsigned wantdef)
{
	struct out	 o = { NULL, 0, 0 };
	unsigned	 def;

	def = decode_all(enc, in, strlen(in), &o);
	assert_int_equal(o.len, wantlen);
	if (wantlen > 0)
		assert_memory_equal(o.data, want, wantlen);
	assert_int_equal(def, wantdef);
	free(o.data);
}

/* Split at every offset, at every pair of offsets, and byte by byte. */
static void
check_splits(enum mime_encoding enc, const char *in, size_t len)
{
	struct out	 whole = { NULL, 0, 0 }, part;
	unsigned	 def, pdef;
	size_t		 cuts[2], i, j, *bytes;

	def = decode_all(enc, in, len, &whole);
	for (i = 0; i <= len; i++) {
		for (j = i; j <= len; j++) {
			if (len > 120 && j != i)
				break;
			cuts[0] = i;
			cuts[1] = j;
			memset(&part, 0, sizeof(part));
			pdef = decode_cuts(enc, in, len, cuts, 2, &part);
			assert_int_equal(part.len, whole.len);
			if (whole.len > 0)
				assert_memory_equal(part.data, whole.data,
				    whole.len);
			assert_int_equal(pdef, def);
			free(part.data);
		}
	}
	bytes = calloc(len + 1, sizeof(*bytes));
	assert_non_null(bytes);
	for (i = 0; i < len; i++)
		bytes[i] = i;
	memset(&part, 0, sizeof(part));
	pdef = decode_cuts(enc, in, len, bytes, len, &part);
	assert_int_equal(part.len, whole.len);
	if (whole.len > 0)
		assert_memory_equal(part.data, whole.data, whole.len);
	assert_int_equal(pdef, def);
	free(part.data);
	free(bytes);
	free(whole.data);
}

/* Base64 with a line break of eol after every linelen characters. */
static char *
b64_encode(const unsigned char *p, size_t n, size_t linelen, const char *eol,
    size_t *outlen)
{
	size_t		 cap, len = 0, col = 0, i, k;
	uint32_t	 v;
	char		*s, quad[4];

	cap = (n + 2) / 3 * 4 * 3 + 16;
	s = malloc(cap);
	assert_non_null(s);
	for (i = 0; i < n; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		quad[0] = b64_alphabet[(v >> 18) & 63];
		quad[1] = b64_alphabet[(v >> 12) & 63];
		quad[2] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		quad[3] = i + 2 < n ? b64_alphabet[v & 63] : '=';
		for (k = 0; k < 4; k++) {
			if (linelen > 0 && col == linelen) {
				memcpy(s + len, eol, strlen(eol));
				len += strlen(eol);
				col = 0;
			}
			s[len++] = quad[k];
			col++;
		}
	}
	if (linelen > 0 && len > 0) {
		memcpy(s + len, eol, strlen(eol));
		len += strlen(eol);
	}
	assert_true(len < cap);
	s[len] = '\0';
	*outlen = len;
	return s;
}

/* The slow reference: sextets in, bytes out, no tables, no streaming. */
static size_t
b64_reference(const char *in, size_t len, unsigned char *out)
{
	const char	*q;
	uint32_t	 acc = 0;
	size_t		 n = 0, i;
	int		 nacc = 0;

	for (i = 0; i < len; i++) {
		if (in[i] == '\0' ||
		    (q = strchr(b64_alphabet, in[i])) == NULL) {
			if (in[i] == '=') {
				if (nacc >= 2)
					out[n++] = (acc >> (nacc * 6 - 8)) &
					    0xff;
				if (nacc == 3)
					out[n++] = (acc >> 2) & 0xff;
				acc = 0;
				nacc = 0;
			}
			continue;
		}
		acc = (acc << 6) | (uint32_t)(q - b64_alphabet);
		if (++nacc == 4) {
			out[n++] = (acc >> 16) & 0xff;
			out[n++] = (acc >> 8) & 0xff;
			out[n++] = acc & 0xff;
			acc = 0;
			nacc = 0;
		}
	}
	if (nacc >= 2)
		out[n++] = (acc >> (nacc * 6 - 8)) & 0xff;
	if (nacc == 3)
		out[n++] = (acc >> 2) & 0xff;
	return n;
}

static void
test_b64_rfc4648(void **state)
{
	(void)state;
	check_decode(MIME_ENC_BASE64, "", "", 0, 0);
	check_decode(MIME_ENC_BASE64, "Zg==", "f", 1, 0);
	check_decode(MIME_ENC_BASE64, "Zm8=", "fo", 2, 0);
	check_decode(MIME_ENC_BASE64, "Zm9v", "foo", 3, 0);
	check_decode(MIME_ENC_BASE64, "Zm9vYg==", "foob", 4, 0);
	check_decode(MIME_ENC_BASE64, "Zm9vYmE=", "fooba", 5, 0);
	check_decode(MIME_ENC_BASE64, "Zm9vYmFy", "foobar", 6, 0);
	check_decode(MIME_ENC_BASE64, "+/+/", "\xfb\xff\xbf", 3, 0);
	check_decode(MIME_ENC_BASE64, "AAAA", "\0\0\0", 3, 0);
	check_decode(MIME_ENC_BASE64, "////////", "\xff\xff\xff\xff\xff\xff",
	    6, 0);
}

static void
test_b64_line_breaks(void **state)
{
	(void)state;
	check_decode(MIME_ENC_BASE64, "Zm9v\r\nYmFy\r\n", "foobar", 6, 0);
	check_decode(MIME_ENC_BASE64, "Zm9v\nYmFy\n", "foobar", 6, 0);
	check_decode(MIME_ENC_BASE64, "Zm\r\n9vYm\nFy", "foobar", 6, 0);
	check_decode(MIME_ENC_BASE64, " Zm9v\tYm Fy \r\n", "foobar", 6, 0);
	check_decode(MIME_ENC_BASE64, "\r\n\r\nZm9vYmFyZm9vYmFy\r\n\r\n",
	    "foobarfoobar", 12, 0);
}

static void
test_b64_junk(void **state)
{
	(void)state;
	check_decode(MIME_ENC_BASE64, "Zm9v!YmFy", "foobar", 6,
	    BIT(MIME_DEFECT_BAD_BASE64));
	check_decode(MIME_ENC_BASE64, "Zm\x80\xff" "9vYmFy", "foobar", 6,
	    BIT(MIME_DEFECT_BAD_BASE64));
	check_decode(MIME_ENC_BASE64, "Zm9vYmFy-_.", "foobar", 6,
	    BIT(MIME_DEFECT_BAD_BASE64));
	check_decode(MIME_ENC_BASE64, "Z\x0bm9v", "foo", 3,
	    BIT(MIME_DEFECT_BAD_BASE64));
	/* Junk only: nothing out, nothing partial. */
	check_decode(MIME_ENC_BASE64, "!!!!????", "", 0,
	    BIT(MIME_DEFECT_BAD_BASE64));
}

static void
test_b64_every_byte(void **state)
{
	char		 in[6], out[128];
	unsigned	 def, want;
	size_t		 n;
	int		 c;

	(void)state;
	for (c = 0; c < 256; c++) {
		memcpy(in, "Zm", 2);
		in[2] = (char)c;
		memcpy(in + 3, "9v", 2);
		in[5] = '\0';
		def = 0;
		n = mime_base64_decode(in, 5, out, &def);
		if (c != 0 && strchr(b64_alphabet, c) != NULL) {
			/* Four sextets and one left over. */
			assert_int_equal(n, 3);
			assert_int_equal(def, BIT(MIME_DEFECT_BASE64_PARTIAL));
			continue;
		}
		if (c == '=') {
			/* "Zm=" gives "f", then "9v" is a new, partial blob. */
			assert_int_equal(n, 2);
			assert_int_equal(def, BIT(MIME_DEFECT_BASE64_PARTIAL));
			continue;
		}
		assert_int_equal(n, 3);
		assert_memory_equal(out, "foo", 3);
		want = (c == ' ' || c == '\t' || c == '\r' || c == '\n') ? 0 :
		    BIT(MIME_DEFECT_BAD_BASE64);
		assert_int_equal(def, want);
	}
}

static void
test_b64_missing_padding(void **state)
{
	(void)state;
	check_decode(MIME_ENC_BASE64, "Zm9vYg", "foob", 4,
	    BIT(MIME_DEFECT_BASE64_PARTIAL));
	check_decode(MIME_ENC_BASE64, "Zm9vYmE", "fooba", 5,
	    BIT(MIME_DEFECT_BASE64_PARTIAL));
	check_decode(MIME_ENC_BASE64, "Zm9vYmE\r\n", "fooba", 5,
	    BIT(MIME_DEFECT_BASE64_PARTIAL));
	/* A single sextet cannot make a byte. */
	check_decode(MIME_ENC_BASE64, "Zm9vY", "foo", 3,
	    BIT(MIME_DEFECT_BASE64_PARTIAL));
	check_decode(MIME_ENC_BASE64, "Z", "", 0,
	    BIT(MIME_DEFECT_BASE64_PARTIAL));
	/* Only one of two '=': the group is complete enough. */
	check_decode(MIME_ENC_BASE64, "Zg=", "f", 1, 0);
}

static void
test_b64_padding(void **state)
{
	(void)state;
	/* Concatenated blobs go on decoding. */
	check_decode(MIME_ENC_BASE64, "Zg==Zm8=", "ffo", 3, 0);
	check_decode(MIME_ENC_BASE64, "Zm8=\r\nZm9vYmFy\r\n", "fofoobar", 8,
	    0);
	check_decode(MIME_ENC_BASE64, "Zg==\nZm9v", "ffoo", 4, 0);
	/* A blob after padding starts afresh: a stray '=' is still junk. */
	check_decode(MIME_ENC_BASE64, "Zg==Zm9v=", "ffoo", 4,
	    BIT(MIME_DEFECT_BAD_BASE64));
	/* Surplus padding after a group is tolerated. */
	check_decode(MIME_ENC_BASE64, "Zg====", "f", 1, 0);
	check_decode(MIME_ENC_BASE64, "Zm8==", "fo", 2, 0);
	/* '=' with no group before it is junk. */
	check_decode(MIME_ENC_BASE64, "=Zm9v", "foo", 3,
	    BIT(MIME_DEFECT_BAD_BASE64));
	check_decode(MIME_ENC_BASE64, "Zm9v=", "foo", 3,
	    BIT(MIME_DEFECT_BAD_BASE64));
	/* '=' after one sextet: the sextet is lost. */
	check_decode(MIME_ENC_BASE64, "Z=Zm9v", "foo", 3,
	    BIT(MIME_DEFECT_BASE64_PARTIAL));
}

static void
test_b64_streaming_splits(void **state)
{
	static const char *const inputs[] = {
		"Zm9vYmFy",
		"Zm9vYmFyZm9vYmFyZm9vYmFy\r\nZm9vYmFyZm9vYmFy\r\nZm9vYg==\r\n",
		"Zm9v\nYmFy\nZm8=\nZg==\nZm9vYmE",
		"Zm!9v\x80YmF y\t=Zg===Z=Zm9vYmFyZm9vYmFyZm9vYmFy",
		"\r\n\r\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\r\n",
		"QUJD\r\nREVG\r\nR0hJ\r\nSktM\r\nTU5P\r\n",
		"Q",
		"=",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		check_splits(MIME_ENC_BASE64, inputs[i], strlen(inputs[i]));
}

/* Random data, several line layouts, odd chunkings. */
static void
test_b64_random_round_trip(void **state)
{
	static const size_t	 linelens[] = { 76, 64, 72, 73, 0, 4, 1 };
	static const char *const eols[] = { "\r\n", "\n" };
	struct out		 o;
	unsigned char		*data, *ref;
	uint64_t		 seed = 0x9e3779b97f4a7c15ull;
	size_t			 n, enclen, refn, cuts[8], i, k, round;
	char			*enc;
	unsigned		 def;

	(void)state;
	for (round = 0; round < 300; round++) {
		n = rnd_next(&seed) % 5000;
		if (round < 10)
			n = round;
		data = malloc(n + 1);
		assert_non_null(data);
		for (i = 0; i < n; i++)
			data[i] = rnd_next(&seed) & 0xff;
		enc = b64_encode(data, n, linelens[round % 7],
		    eols[(round / 7) % 2], &enclen);
		for (k = 0; k < 8; k++)
			cuts[k] = enclen == 0 ? 0 : rnd_next(&seed) % enclen;
		/* Cuts must ascend. */
		for (i = 1; i < 8; i++)
			for (k = i; k > 0 && cuts[k - 1] > cuts[k]; k--) {
				refn = cuts[k];
				cuts[k] = cuts[k - 1];
				cuts[k - 1] = refn;
			}
		memset(&o, 0, sizeof(o));
		def = decode_cuts(MIME_ENC_BASE64, enc, enclen, cuts, 8, &o);
		assert_int_equal(def, 0);
		assert_int_equal(o.len, n);
		if (n > 0)
			assert_memory_equal(o.data, data, n);
		ref = malloc(enclen + 1);
		assert_non_null(ref);
		refn = b64_reference(enc, enclen, ref);
		assert_int_equal(refn, n);
		free(ref);
		free(o.data);
		free(enc);
		free(data);
	}
}

/* The fast path against the slow reference on dense junk-free text. */
static void
test_b64_tables_match_reference(void **state)
{
	struct out	 o;
	unsigned char	 ref[4096];
	char		 text[4096];
	uint64_t	 seed = 12345;
	size_t		 len, refn, i, round;

	(void)state;
	for (round = 0; round < 200; round++) {
		len = rnd_next(&seed) % 4000;
		for (i = 0; i < len; i++)
			text[i] = b64_alphabet[rnd_next(&seed) % 64];
		/* Sometimes a break, a pad or junk somewhere. */
		if (len > 10 && round % 3 == 0)
			text[rnd_next(&seed) % len] = "\n=*"[round % 9 / 3];
		memset(&o, 0, sizeof(o));
		(void)decode_all(MIME_ENC_BASE64, text, len, &o);
		refn = b64_reference(text, len, ref);
		assert_int_equal(o.len, refn);
		if (refn > 0)
			assert_memory_equal(o.data, ref, refn);
		free(o.data);
	}
}

/* Every alphabet character in every position of a group. */
static void
test_b64_every_position(void **state)
{
	char		 text[16], out[128];
	unsigned char	 ref[16];
	size_t		 n, refn;
	int		 c, pos;

	(void)state;
	for (c = 0; c < 64; c++) {
		for (pos = 0; pos < 8; pos++) {
			memcpy(text, "QUJDREVG", 8);
			text[pos] = b64_alphabet[c];
			n = mime_base64_decode(text, 8, out, NULL);
			refn = b64_reference(text, 8, ref);
			assert_int_equal(n, 6);
			assert_int_equal(refn, 6);
			assert_memory_equal(out, ref, 6);
		}
	}
}

/* Not a benchmark: 10 MB of 76-column base64 decodes exactly. */
static void
test_b64_ten_megabytes(void **state)
{
	struct mime_decoder	 d;
	unsigned char		*data;
	char			*enc, *out;
	uint64_t		 seed = 42;
	size_t			 n = 7500000, enclen, got = 0, off, chunk;
	size_t			 i;

	(void)state;
	data = malloc(n);
	assert_non_null(data);
	for (i = 0; i < n; i++)
		data[i] = rnd_next(&seed) >> 24 & 0xff;
	enc = b64_encode(data, n, 76, "\r\n", &enclen);
	assert_true(enclen > 10000000);
	out = malloc(mime_decode_bound(enclen));
	assert_non_null(out);
	mime_decoder_init(&d, MIME_ENC_BASE64);
	for (off = 0; off < enclen; off += chunk) {
		chunk = 65536 + off % 7;
		if (chunk > enclen - off)
			chunk = enclen - off;
		got += mime_decoder_step(&d, enc + off, chunk, out + got);
	}
	got += mime_decoder_finish(&d, out + got);
	assert_int_equal(d.defects, 0);
	assert_int_equal(got, n);
	assert_memory_equal(out, data, n);
	free(out);
	free(enc);
	free(data);
}

static void
test_qp_basic(void **state)
{
	(void)state;
	check_decode(MIME_ENC_QP, "Hello=20World", "Hello World", 11, 0);
	check_decode(MIME_ENC_QP, "caf=C3=A9", "caf\xc3\xa9", 5, 0);
	check_decode(MIME_ENC_QP, "caf=c3=a9", "caf\xc3\xa9", 5, 0);
	check_decode(MIME_ENC_QP, "=3D=3d", "==", 2, 0);
	check_decode(MIME_ENC_QP, "=00x", "\0x", 2, 0);
	check_decode(MIME_ENC_QP, "a b  c\td", "a b  c\td", 8, 0);
	check_decode(MIME_ENC_QP, "raw\x80\xff", "raw\x80\xff", 5, 0);
}

static void
test_qp_line_breaks(void **state)
{
	(void)state;
	check_decode(MIME_ENC_QP, "one\r\ntwo\nthree\r\n",
	    "one\r\ntwo\nthree\r\n", 16, 0);
	check_decode(MIME_ENC_QP, "a\rb", "a\rb", 3, 0);
	check_decode(MIME_ENC_QP, "\r\n\r\n", "\r\n\r\n", 4, 0);
}

static void
test_qp_soft_breaks(void **state)
{
	(void)state;
	check_decode(MIME_ENC_QP, "abc=\r\ndef", "abcdef", 6, 0);
	check_decode(MIME_ENC_QP, "abc=\ndef", "abcdef", 6, 0);
	check_decode(MIME_ENC_QP, "abc=  \t\r\ndef", "abcdef", 6, 0);
	check_decode(MIME_ENC_QP, "abc= \ndef", "abcdef", 6, 0);
	check_decode(MIME_ENC_QP, "abc=          \t\r\ndef", "abcdef", 6, 0);
	/* Whitespace before a soft break is data. */
	check_decode(MIME_ENC_QP, "abc  =\r\ndef", "abc  def", 8, 0);
	/* The parser strips the line break before a boundary. */
	check_decode(MIME_ENC_QP, "abc=", "abc", 3, 0);
	check_decode(MIME_ENC_QP, "abc= \t", "abc", 3, 0);
	check_decode(MIME_ENC_QP, "abc=\r", "abc", 3, 0);
}

static void
test_qp_bad_escapes(void **state)
{
	(void)state;
	check_decode(MIME_ENC_QP, "a=G1b", "a=G1b", 5,
	    BIT(MIME_DEFECT_BAD_QP));
	check_decode(MIME_ENC_QP, "a=4g", "a=4g", 4, BIT(MIME_DEFECT_BAD_QP));
	check_decode(MIME_ENC_QP, "a=4", "a=4", 3, BIT(MIME_DEFECT_BAD_QP));
	check_decode(MIME_ENC_QP, "a= b", "a= b", 4, BIT(MIME_DEFECT_BAD_QP));
	check_decode(MIME_ENC_QP, "a==41", "a=A", 3, BIT(MIME_DEFECT_BAD_QP));
	check_decode(MIME_ENC_QP, "a=\rb", "a=\rb", 4,
	    BIT(MIME_DEFECT_BAD_QP));
	check_decode(MIME_ENC_QP, "a=  =41", "a=  A", 5,
	    BIT(MIME_DEFECT_BAD_QP));
	check_decode(MIME_ENC_QP, "=4\r\n", "=4\r\n", 4,
	    BIT(MIME_DEFECT_BAD_QP));
}

static void
test_qp_trailing_whitespace(void **state)
{
	(void)state;
	check_decode(MIME_ENC_QP, "abc  \r\ndef\t\nghi ", "abc\r\ndef\nghi",
	    12, 0);
	check_decode(MIME_ENC_QP, " \t \r\n", "\r\n", 2, 0);
	check_decode(MIME_ENC_QP, "a \rb", "a \rb", 4, 0);
	check_decode(MIME_ENC_QP, "a \r", "a\r", 2, 0);
	check_decode(MIME_ENC_QP, "a =20\r\n", "a  \r\n", 5, 0);
}

static void
test_qp_long_whitespace(void **state)
{
	struct out	 o = { NULL, 0, 0 };
	char		 in[300];
	size_t		 i;

	(void)state;
	/* Not trailing: every byte kept. */
	memset(in, ' ', 200);
	memcpy(in + 200, "x\r\n", 3);
	(void)decode_all(MIME_ENC_QP, in, 203, &o);
	assert_int_equal(o.len, 203);
	assert_memory_equal(o.data, in, 203);
	free(o.data);
	check_splits(MIME_ENC_QP, in, 203);
	/* Trailing but longer than any legal line: some is kept, bounded. */
	memcpy(in + 200, "\r\n", 2);
	memset(&o, 0, sizeof(o));
	(void)decode_all(MIME_ENC_QP, in, 202, &o);
	assert_true(o.len >= 2 && o.len < 202);
	assert_memory_equal(o.data + o.len - 2, "\r\n", 2);
	for (i = 0; i + 2 < o.len; i++)
		assert_int_equal(o.data[i], ' ');
	free(o.data);
	check_splits(MIME_ENC_QP, in, 202);
}

static void
test_qp_streaming_splits(void **state)
{
	static const char *const inputs[] = {
		"Hello=20World=\r\nnext line  \r\nend=3D=3d\n",
		"a=G1b=4=\r=  \t\r\nx =\n\ty\t \r\nz=",
		"caf=C3=A9 =E2=82=AC  \t\r\n  =\r\n",
		"= =  x=\r\n=4",
		"abc \r",
		"trailing \t",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		check_splits(MIME_ENC_QP, inputs[i], strlen(inputs[i]));
}

/* A small encoder: hex for the unsafe, =CRLF every 76 columns. */
static char *
qp_encode(const unsigned char *p, size_t n, size_t *outlen)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 len = 0, col = 0, i;
	char			*s;
	int			 esc;

	s = malloc(n * 3 + n / 20 * 3 + 16);
	assert_non_null(s);
	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			s[len++] = '\n';
			col = 0;
			continue;
		}
		/* Whitespace at the end of a line must be escaped. */
		esc = p[i] == '=' || p[i] < 32 || p[i] > 126;
		if ((p[i] == ' ' || p[i] == '\t') &&
		    (i + 1 == n || p[i + 1] == '\n'))
			esc = 1;
		if (col + (esc ? 3 : 1) > 75) {
			memcpy(s + len, "=\r\n", 3);
			len += 3;
			col = 0;
		}
		if (esc) {
			s[len++] = '=';
			s[len++] = hex[p[i] >> 4];
			s[len++] = hex[p[i] & 15];
			col += 3;
		} else {
			s[len++] = (char)p[i];
			col++;
		}
	}
	*outlen = len;
	return s;
}

static void
test_qp_random_round_trip(void **state)
{
	static const char	 sample[] = "ab =\t\n\xe9\x80\r";
	struct out		 o;
	unsigned char		*data;
	uint64_t		 seed = 777;
	size_t			 n, enclen, cuts[4], i, round;
	char			*enc;
	unsigned		 def;

	(void)state;
	for (round = 0; round < 300; round++) {
		n = rnd_next(&seed) % 2000;
		data = malloc(n + 1);
		assert_non_null(data);
		for (i = 0; i < n; i++)
			data[i] = round % 2 ? rnd_next(&seed) & 0xff :
			    (unsigned char)sample[rnd_next(&seed) %
			    (sizeof(sample) - 1)];
		enc = qp_encode(data, n, &enclen);
		for (i = 0; i < 4; i++)
			cuts[i] = enclen == 0 ? 0 :
			    enclen * (i + 1) / 5 + round % 3;
		for (i = 0; i < 4; i++)
			if (cuts[i] > enclen)
				cuts[i] = enclen;
		memset(&o, 0, sizeof(o));
		def = decode_cuts(MIME_ENC_QP, enc, enclen, cuts, 4, &o);
		assert_int_equal(def, 0);
		assert_int_equal(o.len, n);
		if (n > 0)
			assert_memory_equal(o.data, data, n);
		free(o.data);
		free(enc);
		free(data);
	}
}

/* Hostile mixes of the characters that matter: chunked equals whole. */
static void
test_random_garbage_streaming(void **state)
{
	static const char	 mix[] = "=== \t\r\n\r\nAz09+/Ff\x80\xff_";
	struct out		 whole, part;
	uint64_t		 seed = 31337;
	size_t			 len, cuts[6], i, k, round;
	char			 in[600];
	unsigned		 def, pdef;
	int			 enc;

	(void)state;
	for (round = 0; round < 2000; round++) {
		enc = round % 2 ? MIME_ENC_QP : MIME_ENC_BASE64;
		len = rnd_next(&seed) % sizeof(in);
		for (i = 0; i < len; i++)
			in[i] = mix[rnd_next(&seed) % (sizeof(mix) - 1)];
		for (k = 0; k < 6; k++)
			cuts[k] = len == 0 ? 0 : len * k / 6 +
			    rnd_next(&seed) % (len / 6 + 1);
		for (k = 0; k < 6; k++)
			if (cuts[k] > len)
				cuts[k] = len;
		for (k = 1; k < 6; k++)
			if (cuts[k] < cuts[k - 1])
				cuts[k] = cuts[k - 1];
		memset(&whole, 0, sizeof(whole));
		memset(&part, 0, sizeof(part));
		def = decode_all(enc, in, len, &whole);
		pdef = decode_cuts(enc, in, len, cuts, 6, &part);
		assert_int_equal(part.len, whole.len);
		if (whole.len > 0)
			assert_memory_equal(part.data, whole.data, whole.len);
		assert_int_equal(pdef, def);
		/* Neither decoder ever makes more than it is given. */
		assert_true(whole.len <= len);
		free(whole.data);
		free(part.data);
	}
}

static void
test_identity(void **state)
{
	static const char	 raw[] = "=41 \r\nQUJD  \n\x80\0x=";
	size_t			 len = sizeof(raw) - 1;
	struct out		 o;
	unsigned		 def;
	int			 e;

	(void)state;
	for (e = MIME_ENC_7BIT; e <= MIME_ENC_UNKNOWN; e++) {
		if (e == MIME_ENC_BASE64 || e == MIME_ENC_QP)
			continue;
		memset(&o, 0, sizeof(o));
		def = decode_all(e, raw, len, &o);
		assert_int_equal(o.len, len);
		assert_memory_equal(o.data, raw, len);
		assert_int_equal(def, e == MIME_ENC_UNKNOWN ?
		    BIT(MIME_DEFECT_UNKNOWN_ENCODING) : 0);
		free(o.data);
		check_splits(e, raw, len);
	}
	/* Even an empty body of unknown encoding says so. */
	memset(&o, 0, sizeof(o));
	def = decode_all(MIME_ENC_UNKNOWN, "", 0, &o);
	assert_int_equal(def, BIT(MIME_DEFECT_UNKNOWN_ENCODING));
	assert_int_equal(o.len, 0);
	free(o.data);
}

static void
test_encoding_names(void **state)
{
	static const struct {
		const char		*name;
		enum mime_encoding	 enc;
	} cases[] = {
		{ "base64", MIME_ENC_BASE64 },
		{ "BASE64", MIME_ENC_BASE64 },
		{ "  Base64\r\n ", MIME_ENC_BASE64 },
		{ "base64 (sent by Foo (v2) \\) mailer)", MIME_ENC_BASE64 },
		{ "(comment) quoted-printable", MIME_ENC_QP },
		{ "Quoted-Printable;", MIME_ENC_QP },
		{ "7bit", MIME_ENC_7BIT },
		{ "8BIT", MIME_ENC_8BIT },
		{ "binary", MIME_ENC_BINARY },
		{ "", MIME_ENC_7BIT },
		{ " \t ", MIME_ENC_7BIT },
		{ "(only a comment)", MIME_ENC_7BIT },
		{ "x-uuencode", MIME_ENC_UNKNOWN },
		{ "uuencode", MIME_ENC_UNKNOWN },
		{ "base64x", MIME_ENC_UNKNOWN },
		{ "base6", MIME_ENC_UNKNOWN },
		{ "quoted printable", MIME_ENC_UNKNOWN },
		{ "unknown", MIME_ENC_UNKNOWN },
	};
	size_t	 i;
	int	 e;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(mime_encoding_from_name(cases[i].name,
		    strlen(cases[i].name)), cases[i].enc);
	assert_int_equal(mime_encoding_from_name(NULL, 0), MIME_ENC_7BIT);
	/* Only len bytes are read. */
	assert_int_equal(mime_encoding_from_name("base64xyz", 6),
	    MIME_ENC_BASE64);
	assert_int_equal(mime_encoding_from_name("8bitx", 4), MIME_ENC_8BIT);
	for (e = MIME_ENC_7BIT; e < MIME_ENC_UNKNOWN; e++)
		assert_int_equal(mime_encoding_from_name(mime_encoding_name(e),
		    strlen(mime_encoding_name(e))), e);
	assert_string_equal(mime_encoding_name(MIME_ENC_QP),
	    "quoted-printable");
	assert_string_equal(mime_encoding_name(MIME_ENC_UNKNOWN), "unknown");
	assert_string_equal(mime_encoding_name((enum mime_encoding)99),
	    "unknown");
}

static void
test_qword(void **state)
{
	char		 out[256];
	unsigned	 def;
	size_t		 n;

	(void)state;
	def = 0;
	n = mime_qword_decode("Caf=C3=A9_au_lait", 17, out, &def);
	assert_int_equal(n, 13);
	assert_memory_equal(out, "Caf\xc3\xa9 au lait", 13);
	assert_int_equal(def, 0);
	n = mime_qword_decode("=e2=82=ac", 9, out, &def);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "\xe2\x82\xac", 3);
	assert_int_equal(def, 0);
	n = mime_qword_decode("a=ZZ_=4", 7, out, &def);
	assert_int_equal(n, 7);
	assert_memory_equal(out, "a=ZZ =4", 7);
	assert_int_equal(def, BIT(MIME_DEFECT_BAD_QP));
	/* Bits are added, not assigned; NULL is allowed. */
	def = BIT(MIME_DEFECT_NUL_BYTE);
	n = mime_qword_decode("=", 1, out, &def);
	assert_int_equal(n, 1);
	assert_int_equal(def, BIT(MIME_DEFECT_NUL_BYTE) |
	    BIT(MIME_DEFECT_BAD_QP));
	n = mime_qword_decode("x=41", 4, out, NULL);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "xA", 2);
	/* Only len bytes are read. */
	n = mime_qword_decode("ab=41", 3, out, &def);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "ab=", 3);
}

static void
test_base64_whole_buffer(void **state)
{
	char		 out[64];
	unsigned	 def;
	size_t		 n;

	(void)state;
	def = BIT(MIME_DEFECT_BAD_QP);
	n = mime_base64_decode("w6lw\r\nw6k=", 10, out, &def);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "\xc3\xa9p\xc3\xa9", 5);
	assert_int_equal(def, BIT(MIME_DEFECT_BAD_QP));
	n = mime_base64_decode("w6", 2, out, &def);
	assert_int_equal(n, 1);
	assert_int_equal((unsigned char)out[0], 0xc3);
	assert_int_equal(def, BIT(MIME_DEFECT_BAD_QP) |
	    BIT(MIME_DEFECT_BASE64_PARTIAL));
	n = mime_base64_decode("Zm9v", 2, out, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 'f');
}

static void
test_bound(void **state)
{
	(void)state;
	assert_true(mime_decode_bound(0) >= 2);
	assert_true(mime_decode_bound(100) >= 100 + mime_decode_bound(0));
	assert_true(mime_decode_bound(SIZE_MAX) == SIZE_MAX);
	assert_true(mime_decode_bound(SIZE_MAX - 3) == SIZE_MAX);
}

/* A finished decoder starts over cleanly; its defects stay. */
static void
test_finish_resets(void **state)
{
	struct mime_decoder	 d;
	char			 out[256];
	size_t			 n;

	(void)state;
	mime_decoder_init(&d, MIME_ENC_BASE64);
	n = mime_decoder_step(&d, "Zm9vY", 5, out);
	n += mime_decoder_finish(&d, out + n);
	assert_int_equal(n, 3);
	assert_int_equal(d.defects, BIT(MIME_DEFECT_BASE64_PARTIAL));
	n = mime_decoder_step(&d, "Zm9v", 4, out);
	n += mime_decoder_finish(&d, out + n);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "foo", 3);
	mime_decoder_init(&d, MIME_ENC_QP);
	n = mime_decoder_step(&d, "a=4", 3, out);
	n += mime_decoder_finish(&d, out + n);
	assert_int_equal(n, 3);
	assert_int_equal(d.defects, BIT(MIME_DEFECT_BAD_QP));
	n = mime_decoder_step(&d, "=41", 3, out);
	n += mime_decoder_finish(&d, out + n);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 'A');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_rfc4648),
		cmocka_unit_test(test_b64_line_breaks),
		cmocka_unit_test(test_b64_junk),
		cmocka_unit_test(test_b64_every_byte),
		cmocka_unit_test(test_b64_missing_padding),
		cmocka_unit_test(test_b64_padding),
		cmocka_unit_test(test_b64_streaming_splits),
		cmocka_unit_test(test_b64_random_round_trip),
		cmocka_unit_test(test_b64_tables_match_reference),
		cmocka_unit_test(test_b64_every_position),
		cmocka_unit_test(test_b64_ten_megabytes),
		cmocka_unit_test(test_qp_basic),
		cmocka_unit_test(test_qp_line_breaks),
		cmocka_unit_test(test_qp_soft_breaks),
		cmocka_unit_test(test_qp_bad_escapes),
		cmocka_unit_test(test_qp_trailing_whitespace),
		cmocka_unit_test(test_qp_long_whitespace),
		cmocka_unit_test(test_qp_streaming_splits),
		cmocka_unit_test(test_qp_random_round_trip),
		cmocka_unit_test(test_random_garbage_streaming),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_encoding_names),
		cmocka_unit_test(test_qword),
		cmocka_unit_test(test_base64_whole_buffer),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_finish_resets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

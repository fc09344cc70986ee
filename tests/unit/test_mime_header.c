/* SPDX-License-Identifier: ISC */
/*
 * test_mime_header.c - header value decoding (mime/header.c).
 *
 * Hand-written cases for RFC 2047 (including the examples of its section
 * 8), raw 8-bit text, malformed words and control characters, then a
 * seeded random walk over hostile inputs checking the invariants every
 * output must keep: no CR, LF or NUL, valid UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mime/buf.h"
#include "mime/charset.h"
#include "mime/defect.h"
#include "mime/header.h"

#define BIT(c)		(1u << (c))

/* Decode s (n bytes) into a fresh buffer; returns the defects. */
static int
decode_n(const char *s, size_t n, const char *fallback, struct mime_buf *b)
{
	int	 r;

	mime_buf_init(b);
	r = mime_header_decode(s, n, fallback, b);
	assert_int_not_equal(r, -1);
	assert_non_null(b->data);
	assert_int_equal(strlen(b->data), b->len);
	return r;
}

/* Decoding s gives want with exactly the defects want_defects. */
static void
check(const char *s, const char *fallback, const char *want,
    unsigned want_defects)
{
	struct mime_buf	 b;
	int		 r;

	r = decode_n(s, strlen(s), fallback, &b);
	assert_string_equal(b.data, want);
	assert_int_equal((unsigned)r, want_defects);
	mime_buf_free(&b);
}

static void
unfold_is(const char *s, size_t n, const char *want)
{
	struct mime_buf	 b;

	mime_buf_init(&b);
	assert_int_equal(mime_header_unfold(s, n, &b), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, want);
	assert_int_equal(b.len, strlen(want));
	mime_buf_free(&b);
}

static void
test_unfold(void **state)
{
	(void)state;
	unfold_is("a\r\n b", 5, "a b");
	unfold_is("a\n\tb", 4, "a\tb");
	unfold_is("  x y \t", 7, "x y");
	unfold_is("\r\n x\r\n", 6, "x");
	unfold_is("a\rb", 3, "ab");
	unfold_is("a\r\n\r\n  b", 8, "a  b");
	unfold_is("", 0, "");
	/* The span is bounded by its length, not by a NUL. */
	unfold_is("abcdef", 3, "abc");
}

static void
test_unfold_appends(void **state)
{
	struct mime_buf	 b;

	(void)state;
	mime_buf_init(&b);
	assert_int_equal(mime_buf_append_str(&b, "X:"), 0);
	assert_int_equal(mime_header_unfold(" v\r\n w ", 7, &b), 0);
	assert_string_equal(b.data, "X:v w");
	mime_buf_free(&b);
}

static void
test_plain(void **state)
{
	(void)state;
	check("Hello world", NULL, "Hello world", 0);
	check("  Hello\r\n world  ", NULL, "Hello world", 0);
	check("a\tb", NULL, "a\tb", 0);
	check("", NULL, "", 0);
	check("x = ? y ?= z", NULL, "x = ? y ?= z", 0);
	/* Same result on the quick path and the slow one. */
	check("Hello\r\n world\x01", NULL, "Hello world ", 0);
}

/* RFC 2047 section 8, as unstructured text. */
static void
test_rfc2047_examples(void **state)
{
	(void)state;
	check("(=?ISO-8859-1?Q?a?=)", NULL, "(a)", 0);
	check("(=?ISO-8859-1?Q?a?= b)", NULL, "(a b)", 0);
	check("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", NULL, "(ab)", 0);
	check("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", NULL, "(ab)", 0);
	check("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", NULL, "(ab)",
	    0);
	check("(=?ISO-8859-1?Q?a_b?=)", NULL, "(a b)", 0);
	check("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", NULL, "(a b)", 0);
	check("=?US-ASCII?Q?Keith_Moore?=", NULL, "Keith Moore", 0);
	check("=?ISO-8859-1?Q?Andr=E9?= Pirard", NULL, "Andr\xc3\xa9 Pirard",
	    0);
	check("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
	    " =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=", NULL,
	    "If you can read this you understand the example.", 0);
}

static void
test_adjacent_words(void **state)
{
	(void)state;
	check("=?iso-8859-1?q?a?= =?iso-8859-1?q?b?=", NULL, "ab", 0);
	check("=?iso-8859-1?q?a?=\n\t=?iso-8859-1?q?b?=", NULL, "ab", 0);
	check("=?utf-8?q?a?==?utf-8?q?b?=", NULL, "ab", 0);
	/* Between a word and plain text the whitespace stays. */
	check("=?utf-8?q?a?= b", NULL, "a b", 0);
	check("a  =?utf-8?q?b?=", NULL, "a  b", 0);
	check("=?utf-8?q?a?= b =?utf-8?q?c?=", NULL, "a b c", 0);
	/* Different charsets: converted apart, still joined. */
	check("=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?=", NULL,
	    "\xc3\xa9\xc3\xa9", 0);
}

/* U+20AC is E2 82 AC: "4oI=" holds E2 82 and "rA==" holds AC. */
static void
test_split_character(void **state)
{
	struct mime_buf	 b;
	int		 r;

	(void)state;
	check("=?utf-8?B?4oI=?= =?utf-8?B?rA==?=", NULL, "\xe2\x82\xac", 0);
	check("=?UTF-8?b?4oI=?=\r\n =?utf-8?B?rA==?=", NULL, "\xe2\x82\xac",
	    0);
	check("=?utf-8?B?4oI=?= =?utf-8?Q?=AC?=", NULL, "\xe2\x82\xac", 0);
	/* With text between, the halves are two broken characters. */
	r = decode_n("=?utf-8?B?4oI=?= x =?utf-8?B?rA==?=", 35, NULL, &b);
	assert_true(r & BIT(MIME_DEFECT_BAD_CHARSET_DATA));
	assert_null(strstr(b.data, "\xe2\x82\xac"));
	assert_non_null(strstr(b.data, " x "));
	mime_buf_free(&b);
}

static void
test_glued_words(void **state)
{
	(void)state;
	check("Re:=?utf-8?q?x?=", NULL, "Re:x", 0);
	check("=?utf-8?q?x?=, y", NULL, "x, y", 0);
	check("a=?utf-8?q?b?=c", NULL, "abc", 0);
	/* Not encoded words at all: no defect. */
	check("=? x ?=", NULL, "=? x ?=", 0);
	check("a=?", NULL, "a=?", 0);
	/* A raw space ends the encoded text: the word stays literal. */
	check("=?utf-8?q?a b?=", NULL, "=?utf-8?q?a b?=",
	    BIT(MIME_DEFECT_BAD_ENCODED_WORD));
}

static void
test_word_forms(void **state)
{
	(void)state;
	check("=?utf-8*en?q?caf=C3=A9?=", NULL, "caf\xc3\xa9", 0);
	check("=?UTF-8*en-us?B?Y2Fmw6k=?=", NULL, "caf\xc3\xa9", 0);
	check("=?utf-8?Q?a_b=5F?=", NULL, "a b_", 0);
	check("=?utf-8?q?\?=", NULL, "", 0);
	check("x =?utf-8?b?\?= y", NULL, "x  y", 0);
	/* Missing base64 padding is common and harmless. */
	check("=?utf-8?b?Y2Fmw6k?=", NULL, "caf\xc3\xa9", 0);
}

static void
test_malformed_words(void **state)
{
	unsigned	 bad = BIT(MIME_DEFECT_BAD_ENCODED_WORD);

	(void)state;
	check("=?utf-8?x?abc?=", NULL, "=?utf-8?x?abc?=", bad);
	check("=?utf-8?q?abc", NULL, "=?utf-8?q?abc", bad);
	check("a =?utf-8?q?abc?", NULL, "a =?utf-8?q?abc?", bad);
	check("=?utf-8?b?!!!!?=", NULL, "=?utf-8?b?!!!!?=", bad);
	check("=?utf-8?qq?abc?=", NULL, "=?utf-8?qq?abc?=", bad);
	check("=?*en?q?abc?=", NULL, "=?*en?q?abc?=", bad);
	/* A broken word does not spoil the good one after it. */
	check("=?utf-8?z?x?= =?utf-8?q?ok?=", NULL, "=?utf-8?z?x?= ok", bad);
	/* Bad Q escapes decode literally, flagged. */
	check("=?utf-8?q?a=ZZ?=", NULL, "a=ZZ", bad);
}

static void
test_unknown_charset(void **state)
{
	struct mime_buf	 b;
	int		 r;

	(void)state;
	r = decode_n("=?x-no-such-charset?q?abc?=", 27, NULL, &b);
	assert_string_equal(b.data, "abc");
	assert_true(r & BIT(MIME_DEFECT_UNKNOWN_CHARSET));
	assert_false(r & BIT(MIME_DEFECT_BAD_ENCODED_WORD));
	mime_buf_free(&b);
}

static void
test_8bit(void **state)
{
	(void)state;
	/* Valid UTF-8 is kept (RFC 6532). */
	check("Gr\xc3\xbc\xc3\x9f" "e", NULL, "Gr\xc3\xbc\xc3\x9f" "e", 0);
	/* Latin-1 is read in the fallback charset. */
	check("Gr\xfc\xdf" "e", "iso-8859-1", "Gr\xc3\xbc\xc3\x9f" "e",
	    BIT(MIME_DEFECT_HEADER_8BIT));
	/* Without one, in windows-1252: 0x80 is the euro sign. */
	check("5\x80 caf\xe9", NULL, "5\xe2\x82\xac caf\xc3\xa9",
	    BIT(MIME_DEFECT_HEADER_8BIT));
	/* Raw text around an encoded word. */
	check("caf\xe9 =?utf-8?q?x?= caf\xe9", "iso-8859-1",
	    "caf\xc3\xa9 x caf\xc3\xa9", BIT(MIME_DEFECT_HEADER_8BIT));
	check("=?utf-8?q?x?= \xc3\xa9", NULL, "x \xc3\xa9", 0);
}

static void
test_controls(void **state)
{
	struct mime_buf	 b;
	int		 r;

	(void)state;
	r = decode_n("a\0b", 3, NULL, &b);
	assert_string_equal(b.data, "ab");
	assert_int_equal(r, BIT(MIME_DEFECT_NUL_BYTE));
	mime_buf_free(&b);
	check("=?utf-8?q?a=00b?=", NULL, "ab", BIT(MIME_DEFECT_NUL_BYTE));
	/* No header injection through an encoded word... */
	check("=?utf-8?q?x=0D=0ABcc:_a@b?=", NULL, "x  Bcc: a@b", 0);
	check("=?utf-8?b?eA0KQmNjOiBh?=", NULL, "x  Bcc: a", 0);
	/* ...nor through a bare line break, which is folding removed. */
	check("x\r\nBcc: a", NULL, "xBcc: a", 0);
	check("a\x01" "b\x1b" "c\x7f" "d\te", NULL, "a b c d\te", 0);
	check("=?utf-8?q?a=09b=7F?=", NULL, "a\tb ", 0);
}

static void
test_appends(void **state)
{
	struct mime_buf	 b;

	(void)state;
	mime_buf_init(&b);
	assert_int_equal(mime_buf_append_str(&b, "pre|"), 0);
	assert_int_equal(mime_header_decode(" =?utf-8?q?a?= ", 15, NULL, &b),
	    0);
	assert_int_equal(mime_header_decode("b\0", 2, NULL, &b),
	    BIT(MIME_DEFECT_NUL_BYTE));
	assert_string_equal(b.data, "pre|ab");
	assert_int_equal(b.len, 6);
	mime_buf_free(&b);
}

static void
test_phrase(void **state)
{
	struct mime_buf	 b;

	(void)state;
	mime_buf_init(&b);
	/* A phrase keeps the whitespace its caller extracted. */
	assert_int_equal(mime_phrase_decode(" a ", 3, NULL, &b), 0);
	assert_string_equal(b.data, " a ");
	mime_buf_reset(&b);
	assert_int_equal(mime_phrase_decode("=?utf-8?q?J=C3=B6rg?= "
	    "=?utf-8?q?_M?=", 36, NULL, &b), 0);
	assert_string_equal(b.data, "J\xc3\xb6rg M");
	mime_buf_reset(&b);
	assert_int_equal(mime_phrase_decode("J\xf6rg", 4, "iso-8859-1", &b),
	    BIT(MIME_DEFECT_HEADER_8BIT));
	assert_string_equal(b.data, "J\xc3\xb6rg");
	mime_buf_free(&b);
}

static void
test_name_eq(void **state)
{
	(void)state;
	assert_true(mime_name_eq("Content-Type", 12, "content-type"));
	assert_true(mime_name_eq("SUBJECT", 7, "Subject"));
	assert_true(mime_name_eq("Content-Typex", 12, "content-type"));
	assert_false(mime_name_eq("Content", 7, "content-type"));
	assert_false(mime_name_eq("Content-Types", 13, "content-type"));
	assert_false(mime_name_eq("Content_Type", 12, "content-type"));
	assert_true(mime_name_eq("", 0, ""));
	assert_false(mime_name_eq("", 0, "a"));
	/* Only ASCII letters fold. */
	assert_false(mime_name_eq("\xc9", 1, "\xe9"));
}

/* Many "=?" starts that never finish must not cost quadratic time. */
static void
test_long_values(void **state)
{
	static const char *pat[] = { "=?a?q?", "=?", "=?utf-8?q?=", "=?a?" };
	struct mime_buf	 b;
	size_t		 n = 1 << 20, i, k;
	char		*s;
	clock_t		 t0;
	int		 r;

	(void)state;
	assert_non_null(s = malloc(n));
	for (k = 0; k < sizeof pat / sizeof pat[0]; k++) {
		for (i = 0; i < n; i++)
			s[i] = pat[k][i % strlen(pat[k])];
		t0 = clock();
		r = decode_n(s, n, NULL, &b);
		assert_true(r >= 0);
		assert_int_equal(b.len, n);
		assert_true(clock() - t0 < 10 * CLOCKS_PER_SEC);
		mime_buf_free(&b);
	}
	/* A megabyte of encoded words joins into one value. */
	for (i = 0; i + 16 <= n; i += 16)
		memcpy(s + i, "=?utf-8?q?ab?=  ", 16);
	r = decode_n(s, i, NULL, &b);
	assert_int_equal(r, 0);
	assert_int_equal(b.len, i / 16 * 2);
	mime_buf_free(&b);
	free(s);
}

static uint64_t
rnd_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random values built from pieces that exercise the decoder. */
static void
test_random_invariants(void **state)
{
	static const char *piece[] = {
		"=?", "?=", "?", "utf-8", "iso-8859-1", "x-bogus", "*en", "q",
		"B", "=C3", "=A9", "=E2=82", "=00", "=0D=0A", "4oI=", "rA==",
		"w6k", "=", "_", " ", "\t", "\r\n ", "\n", "\r", "a", "\xc3",
		"\xa9", "\xff", "\x80", "\x01", "\x7f", "(", ")", "\"",
	};
	struct mime_buf	 b;
	char		 s[256];
	uint64_t	 seed = 0x9e3779b97f4a7c15ULL;
	size_t		 n, len, i, pn;
	int		 r, round;

	(void)state;
	pn = sizeof piece / sizeof piece[0];
	for (round = 0; round < 20000; round++) {
		n = rnd_next(&seed) % 24;
		len = 0;
		for (i = 0; i < n; i++) {
			const char *p = piece[rnd_next(&seed) % pn];

			if (len + strlen(p) >= sizeof s)
				break;
			memcpy(s + len, p, strlen(p));
			len += strlen(p);
		}
		if (rnd_next(&seed) % 8 == 0 && len > 0)
			s[rnd_next(&seed) % len] = '\0';
		mime_buf_init(&b);
		r = mime_header_decode(s, len, round % 2 ? "iso-8859-1" : NULL,
		    &b);
		assert_true(r >= 0);
		if (b.len > 0) {
			assert_int_equal(strlen(b.data), b.len);
			assert_null(memchr(b.data, '\r', b.len));
			assert_null(memchr(b.data, '\n', b.len));
			assert_true(mime_utf8_valid(b.data, b.len));
		}
		mime_buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unfold),
		cmocka_unit_test(test_unfold_appends),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_rfc2047_examples),
		cmocka_unit_test(test_adjacent_words),
		cmocka_unit_test(test_split_character),
		cmocka_unit_test(test_glued_words),
		cmocka_unit_test(test_word_forms),
		cmocka_unit_test(test_malformed_words),
		cmocka_unit_test(test_unknown_charset),
		cmocka_unit_test(test_8bit),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_phrase),
		cmocka_unit_test(test_name_eq),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_random_invariants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

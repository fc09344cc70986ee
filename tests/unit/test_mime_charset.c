/* SPDX-License-Identifier: ISC */
/*
 * test_mime_charset.c - charset conversion to UTF-8 (mime/charset.c).
 *
 * Samples are byte sequences from the charsets' published tables (GB2312
 * "中文" D6 D0 CE C4, Shift_JIS "日本" 93 FA 96 7B, ...), not output of
 * the code under test.
 */
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/buf.h"
#include "mime/charset.h"
#include "mime/defect.h"

#define BIT(c)		(1u << (c))
#define BAD		BIT(MIME_DEFECT_BAD_CHARSET_DATA)
#define UNKNOWN		BIT(MIME_DEFECT_UNKNOWN_CHARSET)
#define FFFD		"\xef\xbf\xbd"

static void
check_conv(const char *charset, const char *in, size_t len,
    const char *fallback, const char *want, size_t wantlen, int wantdef)
{
	struct mime_buf	 out;
	int		 r;

	mime_buf_init(&out);
	r = mime_charset_to_utf8(charset, in, len, fallback, &out);
	assert_int_equal(r, wantdef);
	assert_int_equal(out.len, wantlen);
	if (out.len > 0) {
		assert_memory_equal(out.data, want, out.len);
		assert_int_equal(out.data[out.len], '\0');
	}
	mime_buf_free(&out);
}

#define CONV(cs, in, fb, want, def) \
	check_conv((cs), (in), sizeof(in) - 1, (fb), (want), \
	    sizeof(want) - 1, (def))

static void
test_canonical(void **state)
{
	(void)state;
	assert_string_equal(mime_charset_canonical("UTF-8"), "UTF-8");
	assert_string_equal(mime_charset_canonical("utf8"), "UTF-8");
	assert_string_equal(mime_charset_canonical("US-ASCII"), "US-ASCII");
	assert_string_equal(mime_charset_canonical("ANSI_X3.4-1968"),
	    "US-ASCII");
	assert_string_equal(mime_charset_canonical("ISO-8859-1"),
	    "WINDOWS-1252");
	assert_string_equal(mime_charset_canonical("Latin1"), "WINDOWS-1252");
	assert_string_equal(mime_charset_canonical("GB2312"), "GB18030");
	assert_string_equal(mime_charset_canonical("x-gbk"), "GB18030");
	assert_string_equal(mime_charset_canonical("EUC-CN"), "GB18030");
	assert_string_equal(mime_charset_canonical(" \"KS_C_5601-1987\" "),
	    "CP949");
	assert_string_equal(mime_charset_canonical("euc-kr"), "CP949");
	assert_string_equal(mime_charset_canonical("Shift_JIS"), "CP932");
	assert_string_equal(mime_charset_canonical("x-sjis"), "CP932");
	assert_string_equal(mime_charset_canonical("'big5'"), "BIG5-HKSCS");
	assert_string_equal(mime_charset_canonical("windows-1251"), "CP1251");
	assert_string_equal(mime_charset_canonical("CP1250"), "CP1250");
	assert_string_equal(mime_charset_canonical("tis-620"), "WINDOWS-874");
	assert_string_equal(mime_charset_canonical("unicode-1-1-utf-7"),
	    "UTF-7");
	assert_string_equal(mime_charset_canonical("ISO-8859-9"), "CP1254");
	assert_string_equal(mime_charset_canonical("\tkoi8-u\r\n"), "KOI8-U");
	assert_null(mime_charset_canonical("x-unknown"));
	assert_null(mime_charset_canonical("unknown-8bit"));
	assert_null(mime_charset_canonical("no-such-charset"));
	assert_null(mime_charset_canonical(""));
	assert_null(mime_charset_canonical(" \"\" "));
	assert_null(mime_charset_canonical("utf-8//IGNORE"));
	assert_null(mime_charset_canonical(NULL));
}

/* Every label we promise resolves, and glibc opens what it resolves to. */
static void
test_canonical_names_open(void **state)
{
	static const char *const labels[] = {
		"us-ascii", "ascii", "ansi_x3.4-1968", "utf-8", "utf8",
		"iso-8859-1", "latin1", "windows-1252", "cp1252",
		"gb2312", "gbk", "x-gbk", "euc-cn", "gb18030", "cp936",
		"ks_c_5601-1987", "ks_c_5601", "euc-kr", "cp949",
		"windows-1250", "windows-1251", "windows-1253",
		"windows-1254", "windows-1255", "windows-1256",
		"windows-1257", "windows-1258", "cp1251", "cp1258",
		"shift_jis", "sjis", "x-sjis", "cp932", "windows-31j",
		"iso-2022-jp", "euc-jp", "big5", "big5-hkscs", "koi8-r",
		"koi8-u", "utf-7", "unicode-1-1-utf-7", "tis-620",
		"windows-874", "iso-8859-2", "iso-8859-3", "iso-8859-4",
		"iso-8859-5", "iso-8859-6", "iso-8859-7", "iso-8859-8",
		"iso-8859-8-i", "iso-8859-9", "iso-8859-10", "iso-8859-11",
		"iso-8859-13", "iso-8859-14", "iso-8859-15", "iso-8859-16",
		"macintosh", "utf-16", "utf-16le", "utf-16be", "iso-2022-kr",
		"euc-tw", "cp866", "cp437", "cp850", "cp852", "viscii",
	};
	const char	*name;
	iconv_t		 cd;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		name = mime_charset_canonical(labels[i]);
		if (name == NULL)
			fail_msg("no canonical name for %s", labels[i]);
		cd = iconv_open("UTF-8", name);
		if (cd == (iconv_t)-1)
			fail_msg("iconv cannot open %s (for %s)", name,
			    labels[i]);
		assert_int_equal(iconv_close(cd), 0);
	}
}

static void
test_ascii(void **state)
{
	(void)state;
	CONV("us-ascii", "plain text\r\n", NULL, "plain text\r\n", 0);
	CONV("ASCII", "", NULL, "", 0);
	CONV("ansi_x3.4-1968", "a\0b", NULL, "a\0b", 0);
	/* Mislabelled UTF-8 is kept, mislabelled 8-bit goes to fallback. */
	CONV("us-ascii", "caf\xc3\xa9", NULL, "caf\xc3\xa9", BAD);
	CONV("us-ascii", "caf\xe9", NULL, "caf\xc3\xa9", BAD);
	CONV("us-ascii", "\x80", "koi8-r", "\xe2\x94\x80", BAD);
}

static void
test_utf8(void **state)
{
	(void)state;
	CONV("utf-8", "\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80", NULL,
	    "\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80", 0);
	CONV("UTF8", "a\xff" "b", NULL, "a" FFFD "b", BAD);
	/* One U+FFFD per maximal ill-formed subsequence. */
	CONV("utf-8", "\xe2\x82" "A", NULL, FFFD "A", BAD);
	CONV("utf-8", "x\xe2\x82", NULL, "x" FFFD, BAD);
	CONV("utf-8", "\xf0\x80\x80\x80", NULL, FFFD FFFD FFFD FFFD, BAD);
	CONV("utf-8", "\xed\xa0\x80", NULL, FFFD FFFD FFFD, BAD);
	CONV("utf-8", "\xc0\xaf", NULL, FFFD FFFD, BAD);
	CONV("utf-8", "\xf4\x90\x80\x80", NULL, FFFD FFFD FFFD FFFD, BAD);
	CONV("utf-8", "\xf0\x9f\x98", NULL, FFFD, BAD);
	CONV("utf-8", "\x80\x80", NULL, FFFD FFFD, BAD);
}

static void
test_windows_1252(void **state)
{
	(void)state;
	CONV("windows-1252", "\x80", NULL, "\xe2\x82\xac", 0);
	CONV("cp1252", "\x93quoted\x94", NULL,
	    "\xe2\x80\x9cquoted\xe2\x80\x9d", 0);
	CONV("windows-1252", "caf\xe9 \xff", NULL, "caf\xc3\xa9 \xc3\xbf", 0);
	/* The holes map to C1 controls, not to U+FFFD. */
	CONV("windows-1252", "\x81\x9d", NULL, "\xc2\x81\xc2\x9d", 0);
	/* iso-8859-1 is read as windows-1252, like browsers do. */
	CONV("ISO-8859-1", "\x80 \xa0\xe9", NULL,
	    "\xe2\x82\xac \xc2\xa0\xc3\xa9", 0);
	CONV("latin1", "\x96", NULL, "\xe2\x80\x93", 0);
}

/* Every byte of windows-1252 against glibc's own table. */
static void
test_windows_1252_every_byte(void **state)
{
	struct mime_buf	 out;
	char		 in[1], want[8], *ip, *op;
	size_t		 il, ol;
	iconv_t		 cd;
	int		 c;

	(void)state;
	cd = iconv_open("UTF-8", "WINDOWS-1252");
	assert_true(cd != (iconv_t)-1);
	for (c = 0; c < 256; c++) {
		if (c == 0x81 || c == 0x8d || c == 0x8f || c == 0x90 ||
		    c == 0x9d)
			continue;
		in[0] = (char)c;
		ip = in;
		il = 1;
		op = want;
		ol = sizeof(want);
		assert_true(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
		mime_buf_init(&out);
		assert_int_equal(mime_charset_to_utf8("windows-1252", in, 1,
		    NULL, &out), 0);
		assert_int_equal(out.len, (size_t)(op - want));
		assert_memory_equal(out.data, want, out.len);
		mime_buf_free(&out);
	}
	iconv_close(cd);
}

static void
test_cjk(void **state)
{
	(void)state;
	/* GB2312 "中文", a GBK-only character, a GB18030 four-byte one. */
	CONV("gb2312", "\xd6\xd0\xce\xc4", NULL,
	    "\xe4\xb8\xad\xe6\x96\x87", 0);
	CONV("GB2312", "\x81\x40", NULL, "\xe4\xb8\x82", 0);
	CONV("x-gbk", "\x81\x30\x81\x30", NULL, "\xc2\x80", 0);
	CONV("euc-cn", "\xd6\xd0", NULL, "\xe4\xb8\xad", 0);
	/* Shift_JIS "日本", and NEC's circled one that only CP932 has. */
	CONV("shift_jis", "\x93\xfa\x96\x7b", NULL,
	    "\xe6\x97\xa5\xe6\x9c\xac", 0);
	CONV("x-sjis", "\x87\x40", NULL, "\xe2\x91\xa0", 0);
	CONV("sjis", "\x93\xfa", NULL, "\xe6\x97\xa5", 0);
	/* ISO-2022-JP "日本" (JIS 0x467C 0x4B5C), then half-width kana. */
	CONV("iso-2022-jp", "\x1b$BF|K\\\x1b(B", NULL,
	    "\xe6\x97\xa5\xe6\x9c\xac", 0);
	CONV("ISO-2022-JP", "a\x1b(I12\x1b(B", NULL,
	    "a\xef\xbd\xb1\xef\xbd\xb2", 0);
	CONV("euc-jp", "\xc6\xfc\xcb\xdc", NULL,
	    "\xe6\x97\xa5\xe6\x9c\xac", 0);
	/* EUC-KR "한국", and a UHC-only syllable. */
	CONV("ks_c_5601-1987", "\xc7\xd1\xb1\xb9", NULL,
	    "\xed\x95\x9c\xea\xb5\xad", 0);
	CONV("euc-kr", "\x81\x41", NULL, "\xea\xb0\x82", 0);
	CONV("ks_c_5601", "\xc7\xd1", NULL, "\xed\x95\x9c", 0);
	/* Big5 "中文". */
	CONV("big5", "\xa4\xa4\xa4\xe5", NULL, "\xe4\xb8\xad\xe6\x96\x87", 0);
}

static void
test_other_charsets(void **state)
{
	(void)state;
	/* KOI8-R "Привет". */
	CONV("koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", NULL,
	    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", 0);
	/* KOI8-U has Ukrainian yi where KOI8-R has box drawing. */
	CONV("koi8-u", "\xa7", NULL, "\xd1\x97", 0);
	CONV("koi8-r", "\xa7", NULL, "\xe2\x95\x96", 0);
	CONV("windows-1251", "\xc0", NULL, "\xd0\x90", 0);
	CONV("iso-8859-2", "\xb1", NULL, "\xc4\x85", 0);
	CONV("iso-8859-15", "\xa4", NULL, "\xe2\x82\xac", 0);
	CONV("iso-8859-9", "\x80\xd0", NULL, "\xe2\x82\xac\xc4\x9e", 0);
	/* TIS-620 ko kai, and windows-874's euro. */
	CONV("tis-620", "\xa1\x80", NULL, "\xe0\xb8\x81\xe2\x82\xac", 0);
	CONV("macintosh", "\x80", NULL, "\xc3\x84", 0);
	/* RFC 2152's example. */
	CONV("unicode-1-1-utf-7", "Hi Mom -+Jjo--!", NULL,
	    "Hi Mom -\xe2\x98\xba-!", 0);
	CONV("utf-7", "A+ImIDkQ.", NULL, "A\xe2\x89\xa2\xce\x91.", 0);
	CONV("utf-16le", "A\0\x3d\xd8\x00\xde", NULL, "A\xf0\x9f\x98\x80", 0);
}

/* A label outside the table that glibc knows is still converted. */
static void
test_label_iconv_knows(void **state)
{
	(void)state;
	assert_null(mime_charset_canonical("cp737"));
	CONV("CP737", "\x80", NULL, "\xce\x91", 0);
}

static void
test_invalid_bytes(void **state)
{
	(void)state;
	CONV("shift_jis", "A\x85\x40" "B", NULL, "A" FFFD "@B", BAD);
	CONV("gb2312", "A\xff" "B", NULL, "A" FFFD "B", BAD);
	/* Cut in the middle of a double-byte character. */
	CONV("euc-kr", "A\xc7", NULL, "A" FFFD, BAD);
	CONV("big5", "\xa4\xa4\xa4", NULL, "\xe4\xb8\xad" FFFD, BAD);
	CONV("iso-2022-jp", "\x1b$BF", NULL, FFFD, BAD);
}

/* Garbage through every kind of decoder: valid UTF-8 out, no abort. */
static void
test_garbage_never_aborts(void **state)
{
	static const char *const charsets[] = {
		"utf-8", "us-ascii", "windows-1252", "gb2312", "shift_jis",
		"euc-kr", "big5", "iso-2022-jp", "utf-7", "utf-16", "koi8-r",
		"euc-jp", "iso-2022-kr", "utf-32", "tis-620", "euc-tw",
	};
	struct mime_buf	 out;
	uint64_t	 seed = 0x1234567;
	char		 in[3000];
	size_t		 i, k, round, len;
	int		 r;

	(void)state;
	for (k = 0; k < sizeof(charsets) / sizeof(charsets[0]); k++) {
		for (round = 0; round < 20; round++) {
			len = round * 149 % sizeof(in);
			for (i = 0; i < len; i++) {
				seed ^= seed << 13;
				seed ^= seed >> 7;
				seed ^= seed << 17;
				in[i] = (char)(seed & 0xff);
			}
			mime_buf_init(&out);
			r = mime_charset_to_utf8(charsets[k], in, len, NULL,
			    &out);
			assert_true(r >= 0);
			assert_int_equal(r & ~BAD, 0);
			assert_true(mime_utf8_valid(out.data, out.len));
			if (len > 0)
				assert_true(out.len > 0);
			mime_buf_free(&out);
		}
	}
}

static void
test_unknown_and_fallback(void **state)
{
	(void)state;
	/* Unknown label: defect, then the fallback charset. */
	CONV("x-no-such-charset", "\x80", "windows-1252", "\xe2\x82\xac",
	    UNKNOWN);
	CONV("x-no-such-charset", "\xd6\xd0", "gb2312", "\xe4\xb8\xad",
	    UNKNOWN);
	/* Without a fallback, UTF-8 with replacement. */
	CONV("x-no-such-charset", "caf\xc3\xa9", NULL, "caf\xc3\xa9",
	    UNKNOWN);
	CONV("x-no-such-charset", "\x80", NULL, FFFD, UNKNOWN | BAD);
	/* Labels iconv would read as options are not passed to it. */
	CONV("utf-8//IGNORE", "\x80", "latin1", "\xe2\x82\xac", UNKNOWN);
	CONV("cp1252,utf-8", "\x80", "latin1", "\xe2\x82\xac", UNKNOWN);
	/* No label, or one saying "unknown": fallback without a defect. */
	CONV(NULL, "\xe9t\xe9", "windows-1252", "\xc3\xa9t\xc3\xa9", 0);
	CONV("x-unknown", "\xe9", "iso-8859-1", "\xc3\xa9", 0);
	CONV("unknown-8bit", "\xc7\xd1", "euc-kr", "\xed\x95\x9c", 0);
	CONV("", "\xe9", "windows-1252", "\xc3\xa9", 0);
	CONV(NULL, "\xe9", NULL, FFFD, BAD);
	/* A bad fallback is no worse than none. */
	CONV(NULL, "ok\xe9", "bogus-charset", "ok" FFFD, BAD);
}

static void
test_appends(void **state)
{
	struct mime_buf	 out;

	(void)state;
	mime_buf_init(&out);
	assert_int_equal(mime_buf_append(&out, "X:", 2), 0);
	assert_int_equal(mime_charset_to_utf8("koi8-r", "\xf0", 1, NULL,
	    &out), 0);
	assert_int_equal(mime_charset_to_utf8("latin1", "\xe9", 1, NULL,
	    &out), 0);
	assert_int_equal(mime_charset_to_utf8("utf-8", "!", 1, NULL, &out),
	    0);
	assert_int_equal(out.len, 7);
	assert_memory_equal(out.data, "X:\xd0\x9f\xc3\xa9!", 7);
	assert_int_equal(out.data[7], '\0');
	mime_buf_free(&out);
}

/* A long input through iconv grows the buffer many times over. */
static void
test_long_input(void **state)
{
	struct mime_buf	 out;
	char		*in;
	size_t		 n = 100000, i;

	(void)state;
	in = malloc(n * 2);
	assert_non_null(in);
	for (i = 0; i < n; i++)
		memcpy(in + 2 * i, "\xd6\xd0", 2);
	mime_buf_init(&out);
	assert_int_equal(mime_charset_to_utf8("gb2312", in, n * 2, NULL,
	    &out), 0);
	assert_int_equal(out.len, n * 3);
	for (i = 0; i < n; i++)
		assert_memory_equal(out.data + 3 * i, "\xe4\xb8\xad", 3);
	mime_buf_free(&out);
	free(in);
}

static void
test_utf8_valid_edges(void **state)
{
	static const struct {
		const char	*s;
		size_t		 len;
		int		 valid;
	} cases[] = {
		{ "", 0, 1 },
		{ "plain ascii, longer than a word", 31, 1 },
		{ "a\0b", 3, 1 },
		{ "\xc2\x80", 2, 1 },		/* U+0080 */
		{ "\xc1\xbf", 2, 0 },		/* overlong U+007F */
		{ "\xc0\x80", 2, 0 },		/* overlong NUL */
		{ "\xdf\xbf", 2, 1 },		/* U+07FF */
		{ "\xe0\x9f\xbf", 3, 0 },	/* overlong U+07FF */
		{ "\xe0\xa0\x80", 3, 1 },	/* U+0800 */
		{ "\xed\x9f\xbf", 3, 1 },	/* U+D7FF */
		{ "\xed\xa0\x80", 3, 0 },	/* U+D800 */
		{ "\xed\xbf\xbf", 3, 0 },	/* U+DFFF */
		{ "\xee\x80\x80", 3, 1 },	/* U+E000 */
		{ "\xef\xbf\xbf", 3, 1 },	/* U+FFFF */
		{ "\xf0\x8f\xbf\xbf", 4, 0 },	/* overlong U+FFFF */
		{ "\xf0\x90\x80\x80", 4, 1 },	/* U+10000 */
		{ "\xf4\x8f\xbf\xbf", 4, 1 },	/* U+10FFFF */
		{ "\xf4\x90\x80\x80", 4, 0 },	/* U+110000 */
		{ "\xf5\x80\x80\x80", 4, 0 },
		{ "\xf8\x88\x80\x80\x80", 5, 0 },
		{ "\xfe", 1, 0 },
		{ "\xff", 1, 0 },
		{ "\x80", 1, 0 },
		{ "\xe2\x82", 2, 0 },		/* truncated */
		{ "\xe2\x82\xac", 2, 0 },	/* len cuts it */
		{ "\xe2\x82\xac", 3, 1 },
		{ "\xe2\x28\xa1", 3, 0 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (mime_utf8_valid(cases[i].s, cases[i].len) !=
		    cases[i].valid)
			fail_msg("case %zu", i);
}

/* A bad byte anywhere in a long ASCII run is seen. */
static void
test_utf8_valid_every_position(void **state)
{
	char	 s[40];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(s); i++) {
		memset(s, 'a', sizeof(s));
		assert_int_equal(mime_utf8_valid(s, sizeof(s)), 1);
		s[i] = (char)0x80;
		assert_int_equal(mime_utf8_valid(s, sizeof(s)), 0);
		/* ... but not when it lies past len. */
		assert_int_equal(mime_utf8_valid(s, i), 1);
	}
}

/* Reference: decode by the formula, then check the Unicode ranges. */
static int
utf8_reference(const unsigned char *s, size_t len)
{
	uint32_t	 cp;
	size_t		 n, i;

	if (s[0] < 0x80)
		return len == 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n != len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000))
		return 0;
	return cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
}

static void
test_utf8_valid_exhaustive(void **state)
{
	unsigned char	 s[4];
	unsigned	 a, b, c;

	(void)state;
	for (a = 0; a < 256; a++) {
		s[0] = a;
		assert_int_equal(mime_utf8_valid((char *)s, 1),
		    utf8_reference(s, 1));
		for (b = 0; b < 256; b++) {
			s[1] = b;
			assert_int_equal(mime_utf8_valid((char *)s, 2),
			    utf8_reference(s, 1) && utf8_reference(s + 1, 1) ?
			    1 : utf8_reference(s, 2));
			if (a < 0xe0 || a > 0xf4)
				continue;
			for (c = 0; c < 256; c++) {
				s[2] = c;
				if (a >= 0xf0)
					s[3] = 0x80 + (c & 0x3f);
				if (mime_utf8_valid((char *)s, a >= 0xf0 ?
				    4 : 3) != utf8_reference(s, a >= 0xf0 ?
				    4 : 3))
					fail_msg("%02x %02x %02x", a, b, c);
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_canonical_names_open),
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_windows_1252),
		cmocka_unit_test(test_windows_1252_every_byte),
		cmocka_unit_test(test_cjk),
		cmocka_unit_test(test_other_charsets),
		cmocka_unit_test(test_label_iconv_knows),
		cmocka_unit_test(test_invalid_bytes),
		cmocka_unit_test(test_garbage_never_aborts),
		cmocka_unit_test(test_unknown_and_fallback),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_long_input),
		cmocka_unit_test(test_utf8_valid_edges),
		cmocka_unit_test(test_utf8_valid_every_position),
		cmocka_unit_test(test_utf8_valid_exhaustive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

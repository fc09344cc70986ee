/* SPDX-License-Identifier: ISC */
/*
 * test_mime_param.c - Content-Type/-Disposition parameters (mime/param.c).
 *
 * The examples of RFC 2045 and RFC 2231, continuations split inside a
 * UTF-8 character or given out of order, both forms of a filename, RFC
 * 2047 in quoted values, the junk real mail carries, and hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mime/buf.h"
#include "mime/charset.h"
#include "mime/defect.h"
#include "mime/param.h"

#define BIT(c)		(1u << (c))
#define BAD		BIT(MIME_DEFECT_BAD_PARAM)

struct parsed {
	struct mime_buf	 buf;
	int		 n;
	unsigned	 defects;
};

static void
parse_n(const char *s, size_t len, const char *fallback, struct parsed *p)
{
	mime_buf_init(&p->buf);
	p->defects = 0xdead;
	p->n = mime_param_parse(s, len, fallback, &p->buf, &p->defects);
	assert_true(p->n >= 0);
	assert_int_not_equal(p->defects, 0xdead);
	assert_non_null(p->buf.data);
}

/*
 * Parsing s gives the leading value and exactly the parameters in want,
 * a NULL-terminated list of name, value pairs, in that order.
 */
static void
check(const char *s, const char *value, const char *const *want,
    unsigned defects)
{
	struct parsed	 p;
	const char	*at, *end;
	int		 i;

	parse_n(s, strlen(s), NULL, &p);
	at = p.buf.data;
	end = p.buf.data + p.buf.len;
	assert_string_equal(at, value);
	at += strlen(at) + 1;
	for (i = 0; want != NULL && want[2 * i] != NULL; i++) {
		assert_true(at < end);
		assert_string_equal(at, want[2 * i]);
		at += strlen(at) + 1;
		assert_true(at < end);
		assert_string_equal(at, want[2 * i + 1]);
		at += strlen(at) + 1;
	}
	assert_int_equal(p.n, i);
	assert_true(at == end);
	assert_int_equal(p.defects, defects);
	mime_buf_free(&p.buf);
}

/* Value of parameter name in s, into out (size n); the defects. */
static unsigned
get(const char *s, const char *name, char *out, size_t n)
{
	struct parsed	 p;
	const char	*v;

	parse_n(s, strlen(s), NULL, &p);
	v = mime_param_get(p.buf.data, p.n, name);
	assert_non_null(v);
	assert_true(strlen(v) < n);
	memcpy(out, v, strlen(v) + 1);
	mime_buf_free(&p.buf);
	return p.defects;
}

static void
get_is(const char *s, const char *name, const char *want, unsigned defects)
{
	char	 v[512];

	assert_int_equal(get(s, name, v, sizeof v), defects);
	assert_string_equal(v, want);
}

static void
test_basic(void **state)
{
	const char *const cs[] = { "charset", "us-ascii", NULL };
	const char *const up[] = { "charset", "UTF-8", NULL };
	const char *const two[] = { "a", "1", "b", "2", NULL };

	(void)state;
	check("text/plain; charset=us-ascii", "text/plain", cs, 0);
	check("TEXT/Plain; CHARSET=UTF-8", "text/plain", up, 0);
	check("text/plain;a=1;b=2", "text/plain", two, 0);
	check("attachment", "attachment", NULL, 0);
	check("", "", NULL, 0);
	/* A missing subtype is the caller's to flag. */
	check("text", "text", NULL, 0);
	check("text/", "text/", NULL, 0);
}

/* RFC 2045 section 5.1: comments and whitespace anywhere. */
static void
test_comments(void **state)
{
	const char *const cs[] = { "charset", "us-ascii", NULL };
	const char *const ab[] = { "a", "b", NULL };

	(void)state;
	check("text/plain; charset=us-ascii (Plain text)", "text/plain", cs,
	    0);
	check("text/plain; charset=\"us-ascii\"", "text/plain", cs, 0);
	check("text / plain (c) ; a = b", "text/plain", ab, 0);
	check("(c) text/(x)plain ;(y) a (z) = (w) b (v)", "text/plain", ab,
	    0);
	check("text/plain; a=(c)b(d)", "text/plain", ab, 0);
	check("text/plain (unclosed", "text/plain", NULL, BAD);
}

static void
test_quoted(void **state)
{
	const char *const esc[] = { "a", "x\"y\\z", NULL };
	const char *const semi[] = { "a", "x;y", "b", "c", NULL };
	const char *const fold[] = { "a", "x y", NULL };
	const char *const sp[] = { "a", "  x  ", NULL };

	(void)state;
	check("t/s; a=\"x\\\"y\\\\z\"", "t/s", esc, 0);
	check("t/s; a=\"x;y\"; b=c", "t/s", semi, 0);
	check("t/s; a=\"x\r\n y\"", "t/s", fold, 0);
	check("t/s; a=\"  x  \"", "t/s", sp, 0);
}

/* The three examples of RFC 2231. */
static void
test_rfc2231_examples(void **state)
{
	(void)state;
	get_is("message/external-body; access-type=URL;\r\n"
	    "\tURL*0=\"ftp://\";\r\n"
	    "\tURL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
	    "url", "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar",
	    0);
	get_is("application/x-stuff;\r\n"
	    "\ttitle*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A",
	    "title", "This is ***fun***", 0);
	get_is("application/x-stuff;\r\n"
	    "\ttitle*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
	    "\ttitle*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n"
	    "\ttitle*2=\"isn't it!\"",
	    "title", "This is even more ***fun*** isn't it!", 0);
}

static void
test_rfc2231_charsets(void **state)
{
	char	 v[64];

	(void)state;
	get_is("x; a*=iso-8859-1''%E9t%E9", "a", "\xc3\xa9t\xc3\xa9", 0);
	get_is("x; a*=UTF-8'de'%C3%A4", "a", "\xc3\xa4", 0);
	/* Quoted, as some mailers write it. */
	get_is("x; a*=\"utf-8''%C3%A4\"", "a", "\xc3\xa4", 0);
	/* No charset: UTF-8 if valid, else the fallback. */
	get_is("x; a*=''%C3%A4", "a", "\xc3\xa4", 0);
	get_is("x; a*=''%E9", "a", "\xc3\xa9", BIT(MIME_DEFECT_HEADER_8BIT));
	get_is("x; a*=utf-8''", "a", "", 0);
	get_is("x; a*0*=utf-8''; a*1=\"\"", "a", "", 0);
	/* A missing quote: decoded anyway. */
	get_is("x; a*=%41%42", "a", "AB", BAD);
	/* A bad escape stays as it is. */
	get_is("x; a*=utf-8''100%", "a", "100%", BAD);
	get_is("x; a*=utf-8''%zz", "a", "%zz", BAD);
	assert_true(get("x; a*=x-no-such-charset''abc", "a", v, sizeof v) &
	    BIT(MIME_DEFECT_UNKNOWN_CHARSET));
	assert_string_equal(v, "abc");
}

/* U+20AC (E2 82 AC) split across two encoded sections. */
static void
test_split_character(void **state)
{
	(void)state;
	get_is("x; a*0*=utf-8''%E2%82; a*1*=%AC", "a", "\xe2\x82\xac", 0);
	get_is("x; a*0*=utf-8''%E2; a*1*=%82; a*2*=%AC.txt", "a",
	    "\xe2\x82\xac.txt", 0);
	/* A plain section carries raw bytes of the same charset. */
	get_is("x; a*0*=iso-8859-1''caf; a*1=\"e\"; a*2*=%E9", "a",
	    "cafe\xc3\xa9", 0);
}

static void
test_sections_order(void **state)
{
	const char *const both[] = {
		"a", "xyz", "b", "12", NULL,
	};

	(void)state;
	get_is("x; a*1=b; a*2=c; a*0=a", "a", "abc", 0);
	get_is("x; a*2*=%43; a*0*=us-ascii''%41; a*1*=%42", "a", "ABC", 0);
	get_is("x; a*10=k; a*9=j; a*8=i; a*7=h; a*6=g; a*5=f; a*4=e; "
	    "a*3=d; a*2=c; a*1=b; a*0=a", "a", "abcdefghijk", 0);
	/* Output keeps the order of first appearance. */
	check("x; a*1=y; b*1=2; a*0=x; b*0=1; a*2=z", "x", both, 0);
	/* Missing and duplicate sections: what is there, flagged. */
	get_is("x; a*0=a; a*2=c", "a", "ac", BAD);
	get_is("x; a*1=b; a*2=c", "a", "bc", BAD);
	get_is("x; a*0=a; a*0=z; a*1=b", "a", "ab", BAD);
	/* Leading zeros are tolerated. */
	get_is("x; a*00=a; a*01=b", "a", "ab", 0);
}

static void
test_both_forms(void **state)
{
	const char *const one[] = { "filename", "\xe2\x82\xac.pdf", NULL };

	(void)state;
	check("attachment; filename=\"fallback.pdf\"; "
	    "filename*=UTF-8''%E2%82%AC.pdf", "attachment", one, 0);
	check("attachment; filename*=UTF-8''%E2%82%AC.pdf; "
	    "filename=\"fallback.pdf\"", "attachment", one, 0);
	check("attachment; filename=fallback.pdf; "
	    "filename*0*=UTF-8''%E2%82; filename*1*=%AC.pdf", "attachment",
	    one, 0);
	/* name* and name*0 together: name* wins, flagged. */
	get_is("x; a*=''one; a*0=two", "a", "one", BAD);
}

static void
test_rfc2047_values(void **state)
{
	const char *const b[] = { "boundary", "=?utf-8?q?abc?=", NULL };
	const char *const sp[] = { "boundary", " b  c ", NULL };

	(void)state;
	get_is("attachment; filename=\"=?UTF-8?B?w6TDtsO8LnBkZg==?=\"",
	    "filename", "\xc3\xa4\xc3\xb6\xc3\xbc.pdf", 0);
	get_is("attachment; filename==?UTF-8?B?w6TDtsO8LnBkZg==?=",
	    "filename", "\xc3\xa4\xc3\xb6\xc3\xbc.pdf", 0);
	get_is("x; name=\"=?iso-8859-1?q?a?= =?iso-8859-1?q?b?=.txt\"",
	    "name", "ab.txt", 0);
	get_is("x; name=\"=?utf-8?B?4oI=?= =?utf-8?B?rA==?=\"", "name",
	    "\xe2\x82\xac", 0);
	/* A boundary is a literal delimiter: never decoded nor trimmed. */
	check("multipart/mixed; boundary=\"=?utf-8?q?abc?=\"",
	    "multipart/mixed", b, 0);
	check("multipart/mixed; boundary=\" b  c \"", "multipart/mixed", sp,
	    0);
}

static void
test_8bit(void **state)
{
	(void)state;
	get_is("x; filename=\"caf\xc3\xa9.pdf\"", "filename",
	    "caf\xc3\xa9.pdf", 0);
	get_is("x; filename=\"caf\xe9.pdf\"", "filename", "caf\xc3\xa9.pdf",
	    BIT(MIME_DEFECT_HEADER_8BIT));
}

static void
test_duplicates(void **state)
{
	const char *const first[] = { "a", "b", NULL };

	(void)state;
	check("text/plain;a=b;A=c", "text/plain", first, BAD);
	check("text/plain; a=b; a=\"c\"", "text/plain", first, BAD);
}

/* Junk real mail carries. */
static void
test_junk(void **state)
{
	const char *const ab[] = { "a", "b", NULL };
	const char *const file[] = { "name", "My File.pdf", NULL };
	const char *const paren[] = { "name", "report (1).pdf", NULL };
	const char *const flowed[] = {
		"charset", "utf-8", "format", "flowed", NULL,
	};
	const char *const nx[] = { "name", "x", NULL };
	const char *const bc[] = { "b", "c", NULL };
	const char *const qjunk[] = { "a", "x", "b", "c", NULL };
	const char *const unterminated[] = { "a", "b; c=d", NULL };
	const char *const empty[] = { "a", "", "b", "c", NULL };

	(void)state;
	check("TEXT/PLAIN;;; a=b;", "text/plain", ab, 0);
	check("text/plain; a=b ;", "text/plain", ab, 0);
	check("text/plain; a  =  b  ", "text/plain", ab, 0);
	check("application/pdf; name=My File.pdf", "application/pdf", file,
	    0);
	check("application/pdf; name=  My File.pdf  ;", "application/pdf",
	    file, 0);
	check("x/y; name=report (1).pdf", "x/y", paren, 0);
	check("text/plain; charset=utf-8 format=flowed", "text/plain",
	    flowed, BAD);
	check("text/plain name=x", "text/plain", nx, BAD);
	check("text/plain; a; b=c", "text/plain", bc, BAD);
	check("text/plain; a b=c", "text/plain", bc, BAD);
	check("text/plain; =x; b=c", "text/plain", bc, BAD);
	check("text/plain; @@@; b=c", "text/plain", bc, BAD);
	check("text/plain; a=\"x\" junk; b=c", "text/plain", qjunk, BAD);
	check("text/plain; a=\"x\" b=c", "text/plain", qjunk, BAD);
	check("text/plain; a=\"b; c=d", "text/plain", unterminated, BAD);
	check("text/plain; a=; b=c", "text/plain", empty, 0);
	check("\"text/plain\"", "", NULL, BAD);
	/* Not RFC 2231: the name is kept whole. */
	get_is("x; a*x=1", "a*x", "1", BAD);
	get_is("x; *0=1; b=2", "b", "2", BAD);
}

static void
test_controls(void **state)
{
	struct parsed	 p;

	(void)state;
	get_is("x; a*=utf-8''x%0D%0ABcc:%20y", "a", "x  Bcc: y", 0);
	get_is("x; a*=utf-8''x%00y", "a", "xy", BIT(MIME_DEFECT_NUL_BYTE));
	get_is("x; a=\"x\\\r\n y\"", "a", "x y", 0);
	get_is("x; a=x\r\n\ty", "a", "x\ty", 0);
	get_is("x; a=\"=?utf-8?q?x=0Ay?=\"", "a", "x y", 0);
	get_is("x; boundary=\"a\x01z\"", "boundary", "a z", 0);
	parse_n("x; a=\"b\0c\"", 10, NULL, &p);
	assert_int_equal(p.n, 1);
	assert_string_equal(mime_param_get(p.buf.data, p.n, "a"), "bc");
	assert_true(p.defects & BIT(MIME_DEFECT_NUL_BYTE));
	mime_buf_free(&p.buf);
}

static void
test_get(void **state)
{
	struct parsed	 p;

	(void)state;
	parse_n("text/plain; charset=utf-8; Format=flowed", 40, NULL, &p);
	assert_int_equal(p.n, 2);
	assert_string_equal(mime_param_get(p.buf.data, p.n, "charset"),
	    "utf-8");
	assert_string_equal(mime_param_get(p.buf.data, p.n, "FORMAT"),
	    "flowed");
	assert_null(mime_param_get(p.buf.data, p.n, "delsp"));
	assert_null(mime_param_get(p.buf.data, p.n, "text/plain"));
	assert_null(mime_param_get(p.buf.data, 0, "charset"));
	assert_null(mime_param_get(NULL, 0, "charset"));
	mime_buf_free(&p.buf);
}

static void
test_appends(void **state)
{
	struct mime_buf	 b;
	unsigned	 d;

	(void)state;
	mime_buf_init(&b);
	assert_int_equal(mime_buf_append(&b, "keep\0", 5), 0);
	assert_int_equal(mime_param_parse("a/b; c=d", 8, NULL, &b, &d), 1);
	assert_int_equal(b.len, 5 + 4 + 2 + 2);
	assert_memory_equal(b.data, "keep\0a/b\0c\0d\0", 13);
	assert_string_equal(mime_param_get(b.data + 5, 1, "c"), "d");
	/* The span ends at len. */
	mime_buf_reset(&b);
	assert_int_equal(mime_param_parse("a/b; c=d; e=f", 8, NULL, &b, &d),
	    1);
	assert_null(mime_param_get(b.data, 1, "e"));
	mime_buf_free(&b);
}

static void
test_hostile(void **state)
{
	struct parsed	 p;
	size_t		 n = 1 << 20, i, len;
	clock_t		 t0;
	char		*s, name[32];
	int		 k;

	(void)state;
	assert_non_null(s = malloc(n + 64));
	/* 100k nested comments: no recursion. */
	memcpy(s, "x/y; a=b", 8);
	memset(s + 8, '(', 100000);
	memset(s + 8 + 100000, ')', 100000);
	memcpy(s + 8 + 200000, "; c=d", 5);
	parse_n(s, 8 + 200000 + 5, NULL, &p);
	assert_int_equal(p.n, 2);
	assert_string_equal(mime_param_get(p.buf.data, p.n, "a"), "b");
	assert_string_equal(mime_param_get(p.buf.data, p.n, "c"), "d");
	mime_buf_free(&p.buf);
	/* A megabyte of distinct parameters, then sections in reverse. */
	memcpy(s, "x/y;", 4);
	for (len = 4, k = 0; len + 32 < n; k++) {
		snprintf(name, sizeof name, "p%d=v;", k);
		memcpy(s + len, name, strlen(name));
		len += strlen(name);
	}
	t0 = clock();
	parse_n(s, len, NULL, &p);
	assert_int_equal(p.n, k);
	assert_string_equal(mime_param_get(p.buf.data, p.n, "p77"), "v");
	assert_true(clock() - t0 < 10 * CLOCKS_PER_SEC);
	mime_buf_free(&p.buf);
	for (len = 4; len + 32 < n; k--) {
		snprintf(name, sizeof name, "a*%d=%c;", k, 'a' + k % 26);
		memcpy(s + len, name, strlen(name));
		len += strlen(name);
	}
	parse_n(s, len, NULL, &p);
	assert_int_equal(p.n, 1);
	assert_true(p.defects & BAD);
	mime_buf_free(&p.buf);
	/* Garbage that never closes. */
	for (k = 0; k < 4; k++) {
		for (i = 0; i < n; i++)
			s[i] = "\"(;=\\"[(i + k) % 5];
		parse_n(s, n, NULL, &p);
		mime_buf_free(&p.buf);
	}
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

static void
test_random_invariants(void **state)
{
	static const char *piece[] = {
		"a", "B", "*", "*0", "*1*", "=", ";", "\"", "\\", "(", ")",
		"'", "%", "%E2", "%82", "%AC", "%0A", "%00", "utf-8''", " ",
		"\r\n ", "\n", "\0", "\x01", "\xe9", "=?utf-8?q?x?=", "/",
		"boundary", "iso-8859-1'en'",
	};
	struct parsed	 p;
	char		 s[200];
	uint64_t	 seed = 0x853c49e6748fea9bULL;
	size_t		 n, len, i, k;
	size_t		 pn = sizeof piece / sizeof piece[0];
	const char	*at, *end, *v;
	int		 round, j;

	(void)state;
	for (round = 0; round < 20000; round++) {
		n = rnd_next(&seed) % 30;
		for (len = i = 0; i < n; i++) {
			v = piece[rnd_next(&seed) % pn];
			k = v[0] == '\0' ? 1 : strlen(v);
			if (len + k > sizeof s)
				break;
			memcpy(s + len, v, k);
			len += k;
		}
		parse_n(s, len, NULL, &p);
		at = p.buf.data;
		end = p.buf.data + p.buf.len;
		for (j = 0; j < 2 * p.n + 1; j++) {
			assert_true(at < end);
			assert_null(strchr(at, '\r'));
			assert_null(strchr(at, '\n'));
			at += strlen(at) + 1;
		}
		assert_true(at == end);
		mime_buf_free(&p.buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_rfc2231_examples),
		cmocka_unit_test(test_rfc2231_charsets),
		cmocka_unit_test(test_split_character),
		cmocka_unit_test(test_sections_order),
		cmocka_unit_test(test_both_forms),
		cmocka_unit_test(test_rfc2047_values),
		cmocka_unit_test(test_8bit),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_junk),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_random_invariants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

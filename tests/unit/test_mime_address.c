/* SPDX-License-Identifier: ISC */
/*
 * test_mime_address.c - RFC 5322 address lists (mime/address.c).
 *
 * Valid syntax from RFC 5322 appendix A, the obsolete forms, the garbage
 * real mail carries (with the results Python's email package gives where
 * it is sane), and hostile inputs: deep nesting, megabyte values, random
 * pieces checked for the invariants every entry keeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mime/address.h"
#include "mime/charset.h"
#include "mime/defect.h"

#define BIT(c)		(1u << (c))
#define BAD		BIT(MIME_DEFECT_BAD_ADDRESS)

struct want {
	const char	*name;
	const char	*addr;
	const char	*group;		/* NULL: not in a group */
};

static struct mime_address_list *
parse_n(const char *s, size_t n, const char *fallback, unsigned *defects)
{
	struct mime_address_list *l;

	*defects = 0xdead;
	l = mime_address_list_parse(s, n, fallback, defects);
	assert_non_null(l);
	assert_int_not_equal(*defects, 0xdead);
	return l;
}

/* Parsing s gives exactly the entries w[0..n) and the defects. */
static void
check(const char *s, const struct want *w, size_t n, unsigned defects)
{
	struct mime_address_list *l;
	unsigned	 d;
	size_t		 i;

	l = parse_n(s, strlen(s), NULL, &d);
	assert_int_equal(mime_address_list_count(l), n);
	for (i = 0; i < n; i++) {
		assert_string_equal(mime_address_list_name(l, i), w[i].name);
		assert_string_equal(mime_address_list_address(l, i),
		    w[i].addr);
		if (w[i].group == NULL)
			assert_null(mime_address_list_group(l, i));
		else
			assert_string_equal(mime_address_list_group(l, i),
			    w[i].group);
	}
	assert_int_equal(d, defects);
	mime_address_list_free(l);
}

/* One entry without a group. */
static void
check1(const char *s, const char *name, const char *addr, unsigned defects)
{
	struct want	 w = { name, addr, NULL };

	check(s, &w, 1, defects);
}

static void
test_simple(void **state)
{
	(void)state;
	check1("jdoe@example.org", "", "jdoe@example.org", 0);
	check1("John Doe <jdoe@example.org>", "John Doe", "jdoe@example.org",
	    0);
	check1("  <jdoe@example.org>  ", "", "jdoe@example.org", 0);
	check1("\"Joe Q. Public\" <john.q.public@example.com>",
	    "Joe Q. Public", "john.q.public@example.com", 0);
	check("", NULL, 0, 0);
	check("   ", NULL, 0, 0);
}

/* RFC 5322 A.1.2. */
static void
test_list(void **state)
{
	const struct want w[] = {
		{ "Mary Smith", "mary@x.test", NULL },
		{ "", "jdoe@example.org", NULL },
		{ "Who?", "one@y.test", NULL },
	};
	const struct want w2[] = {
		{ "", "boss@nil.test", NULL },
		{ "Giant; \"Big\" Box", "sysservices@example.net", NULL },
	};

	(void)state;
	check("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
	    w, 3, 0);
	check("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" "
	    "<sysservices@example.net>", w2, 2, 0);
}

/* RFC 5322 A.1.3 and friends. */
static void
test_groups(void **state)
{
	const struct want w[] = {
		{ "Ed Jones", "c@a.test", "A Group" },
		{ "", "joe@where.test", "A Group" },
		{ "John", "jdoe@one.test", "A Group" },
	};
	const struct want w2[] = {
		{ "", "a@b", "G" },
		{ "", "c@d", NULL },
		{ "", "e@f", "H" },
	};
	const struct want w3[] = {
		{ "", "x@y", NULL },
		{ "", "c@d", "team" },
	};

	(void)state;
	check("A Group:Ed Jones <c@a.test>,joe@where.test,John "
	    "<jdoe@one.test>;", w, 3, 0);
	check("Undisclosed recipients:;", NULL, 0, 0);
	check("Undisclosed recipients: ;, ", NULL, 0, 0);
	check("G: a@b; c@d, H:e@f;", w2, 3, 0);
	check("x@y, team: (empty), c@d;", w3, 2, 0);
}

static void
test_group_garbage(void **state)
{
	const struct want open[] = { { "", "a@b", "group" } };
	const struct want nested[] = { { "", "c@d", "A" } };
	const struct want noname[] = { { "", "a@b", "" } };
	const struct want semi[] = {
		{ "", "a@b", NULL },
		{ "", "c@d", NULL },
	};

	(void)state;
	check("group: a@b", open, 1, BAD);
	check("A:B:c@d;", nested, 1, BAD);
	check(": a@b;", noname, 1, BAD);
	check("a@b; c@d", semi, 2, BAD);
}

static void
test_comments(void **state)
{
	const struct want two[] = {
		{ "A", "a@b", NULL },
		{ "", "c@d", NULL },
	};

	(void)state;
	/* A comment after the address names a mailbox without a phrase. */
	check1("jdoe@example.org (John Doe)", "John Doe", "jdoe@example.org",
	    0);
	check1("jdoe@example.org (John (the) Doe)", "John (the) Doe",
	    "jdoe@example.org", 0);
	check1("x@y (  spaced   out  )", "spaced   out", "x@y", 0);
	check1("a@b (c) (d)", "c d", "a@b", 0);
	check1("<a@b> (Bob)", "Bob", "a@b", 0);
	check1("<a@b (Bob)>", "Bob", "a@b", 0);
	check1("a@b (=?utf-8?q?J=C3=B6rg?=)", "J\xc3\xb6rg", "a@b", 0);
	check1("a@b (x \\) y)", "x ) y", "a@b", 0);
	check("a@b (A), c@d", two, 2, 0);
	/* With a display name, comments are only whitespace. */
	check1("Pete(A nice \\) chap) <pete(his account)@silly.test(his "
	    "host)>", "Pete", "pete@silly.test", 0);
	check1("John (Johnny) Smith <a@b>", "John Smith", "a@b", 0);
	/* A comment before the address does not name it. */
	check1("(c)john@x", "", "john@x", 0);
	check(" (comment only)", NULL, 0, 0);
}

static void
test_routes(void **state)
{
	(void)state;
	check1("<@a,@b:user@host>", "", "user@host", 0);
	check1("x <@a.test:b@c>", "x", "b@c", 0);
	check1("Joe <@a , @b , @c:joe@d>", "Joe", "joe@d", 0);
	/* Not a route without its ':'. */
	check1("<@b>", "", "@b", BAD);
}

static void
test_obsolete(void **state)
{
	(void)state;
	check1("John Q. Public <j@x>", "John Q. Public", "j@x", 0);
	check1("John Q . Public <a@b>", "John Q . Public", "a@b", 0);
	check1("John..Smith <a@b>", "John..Smith", "a@b", 0);
	check1("john . doe@x", "", "john.doe@x", 0);
	check1("a@ b . c", "", "a@b.c", 0);
	check1("a.b.@c", "", "a.b.@c", 0);
	check1("John\r\n Doe <a@b>", "John Doe", "a@b", 0);
	check1("\"John\r\n Doe\" <a@b>", "John Doe", "a@b", 0);
	check1("John   Smith <a@b>", "John Smith", "a@b", 0);
}

static void
test_quoted(void **state)
{
	(void)state;
	check1("\"a\\\"b\" <x@y>", "a\"b", "x@y", 0);
	check1("\"Joe   Q\" <a@b>", "Joe   Q", "a@b", 0);
	check1("\"Joe\" \"Q\" <a@b>", "Joe Q", "a@b", 0);
	check1("Joe\"Q\" <a@b>", "JoeQ", "a@b", 0);
	check1("\"\" <a@b>", "", "a@b", 0);
	/* Local parts keep their quotes as written. */
	check1("\"john doe\"@x", "", "\"john doe\"@x", 0);
	check1("\"john\"@x", "", "\"john\"@x", 0);
	check1("<\"a\\\"b\"@x>", "", "\"a\\\"b\"@x", 0);
	check1("\"a b\"@[1.2.3.4]", "", "\"a b\"@[1.2.3.4]", 0);
}

static void
test_domain_literal(void **state)
{
	(void)state;
	check1("x@[1.2.3.4]", "", "x@[1.2.3.4]", 0);
	check1("Y <x@[IPv6:::1]>", "Y", "x@[IPv6:::1]", 0);
	check1("a@[ 1.2 ]", "", "a@[1.2]", 0);
	check1("a@[1.2", "", "a@[1.2]", BAD);
}

static void
test_encoded_names(void **state)
{
	(void)state;
	check1("=?utf-8?q?J=C3=B6rg?= <j@x>", "J\xc3\xb6rg", "j@x", 0);
	/* Inside quotes too, as every mailer does. */
	check1("\"=?utf-8?q?J=C3=B6rg?=\" <j@x>", "J\xc3\xb6rg", "j@x", 0);
	/* Adjacent words lose the space between them (RFC 2047). */
	check1("=?iso-8859-1?q?a?= =?iso-8859-1?q?b?= <a@b>", "ab", "a@b",
	    0);
	check1("=?utf-8?q?a?= x =?utf-8?q?b?= <a@b>", "a x b", "a@b", 0);
	check1("=?utf-8?B?4oI=?= =?utf-8?B?rA==?= <a@b>", "\xe2\x82\xac",
	    "a@b", 0);
	check1("=?utf-8?x?bad?= <a@b>", "=?utf-8?x?bad?=", "a@b",
	    BIT(MIME_DEFECT_BAD_ENCODED_WORD));
	check1("=?utf-8?q?a=0D=0Ab?= <a@b>", "a  b", "a@b", 0);
}

static void
test_8bit(void **state)
{
	struct mime_address_list *l;
	unsigned	 d;

	(void)state;
	check1("J\xc3\xb6rg <j@x>", "J\xc3\xb6rg", "j@x", 0);
	check1("j\xc3\xb6rg@b\xc3\xbc.example", "",
	    "j\xc3\xb6rg@b\xc3\xbc.example", 0);
	/* Latin-1: windows-1252 without a fallback. */
	check1("J\xf6rg <j@x>", "J\xc3\xb6rg", "j@x",
	    BIT(MIME_DEFECT_HEADER_8BIT));
	check1("j\xf6rg@x", "", "j\xc3\xb6rg@x", BIT(MIME_DEFECT_HEADER_8BIT));
	l = parse_n("\x80 <a@b>", 7, "iso-8859-15", &d);
	assert_int_equal(mime_address_list_count(l), 1);
	assert_true(mime_utf8_valid(mime_address_list_name(l, 0),
	    strlen(mime_address_list_name(l, 0))));
	assert_true(d & BIT(MIME_DEFECT_HEADER_8BIT));
	mime_address_list_free(l);
}

/* Where RFC 5322 has no answer, Python's (policy=default) is taken. */
static void
test_garbage(void **state)
{
	const struct want skip[] = {
		{ "", "a@b", NULL },
		{ "", "e@f", NULL },
	};
	const struct want bare2[] = {
		{ "", "\"John Smith\"", NULL },
		{ "", "a@b", NULL },
	};
	const struct want open[] = {
		{ "John", "a@b", NULL },
		{ "", "c@d", NULL },
	};
	const struct want empty[] = {
		{ "", "a@b", NULL },
		{ "", "c@d", NULL },
	};

	(void)state;
	check1("John Smith", "", "\"John Smith\"", BAD);
	check1("foo", "", "foo", BAD);
	check1("first last@example.com", "", "\"first last\"@example.com",
	    BAD);
	check1("\"a b\" c@d", "", "\"a b c\"@d", BAD);
	check("John Smith, a@b", bare2, 2, BAD);
	check("a@b c@d, e@f", skip, 2, BAD);
	check1("John Smith <a@b> trailing", "John Smith", "a@b", BAD);
	check1("John <a@b> <c@d>", "John", "a@b", BAD);
	check1("<a@b> John", "", "a@b", BAD);
	check1("foo bar <>", "foo bar", "", BAD);
	check1("<foo>", "", "foo", BAD);
	check("a@b, , c@d", empty, 2, 0);
	check(",,a@b,,,c@d,,", empty, 2, 0);
	check("John <a@b, <c@d>", open, 2, BAD);
	/* More than one '@' is kept whole, never cut to look trusted. */
	check1("a@trusted.example@evil.example", "",
	    "a@trusted.example@evil.example", BAD);
	check1("<a@b@c>", "", "a@b@c", BAD);
	check1("a@", "", "a@", BAD);
	check1("@b", "", "@b", BAD);
	check1("> a@b", "", "a@b", BAD);
}

static void
test_unterminated(void **state)
{
	(void)state;
	check1("\"unterminated <a@b>", "", "\"unterminated <a@b>\"", BAD);
	check1("John <a@b", "John", "a@b", BAD);
	check1("a@b (never closed", "never closed", "a@b", BAD);
	check1("\"a\\", "", "\"a\"", BAD);
	check1("a@b (x\\", "x", "a@b", BAD);
	check("(((", NULL, 0, BAD);
}

static void
test_controls(void **state)
{
	struct mime_address_list *l;
	unsigned	 d;

	(void)state;
	l = parse_n("A\0B <a\0b@c>", 11, NULL, &d);
	assert_int_equal(mime_address_list_count(l), 1);
	assert_string_equal(mime_address_list_name(l, 0), "AB");
	assert_string_equal(mime_address_list_address(l, 0), "ab@c");
	assert_true(d & BIT(MIME_DEFECT_NUL_BYTE));
	mime_address_list_free(l);
	check1("<a\x01" "b@c>", "", "ab@c", BAD);
	check1("\"a\r\n b\"@c", "", "\"a b\"@c", 0);
	check1("\"a\\\r\n b\"@c", "", "\"a b\"@c", 0);
}

static void
test_accessors(void **state)
{
	struct mime_address_list *l;
	unsigned	 d;

	(void)state;
	l = parse_n("a@b", 3, NULL, &d);
	assert_null(mime_address_list_name(l, 1));
	assert_null(mime_address_list_address(l, 1));
	assert_null(mime_address_list_group(l, 1));
	mime_address_list_free(l);
	assert_int_equal(mime_address_list_count(NULL), 0);
	mime_address_list_free(NULL);
	/* The span ends at len, whatever follows. */
	l = parse_n("a@b, c@d", 3, NULL, &d);
	assert_int_equal(mime_address_list_count(l), 1);
	assert_string_equal(mime_address_list_address(l, 0), "a@b");
	mime_address_list_free(l);
	l = mime_address_list_parse("x@y", 3, NULL, NULL);
	assert_non_null(l);
	mime_address_list_free(l);
}

/* 100k nested parentheses: no recursion, so no stack overflow. */
static void
test_deep_nesting(void **state)
{
	struct mime_address_list *l;
	size_t		 depth = 100000, n, i;
	unsigned	 d;
	char		*s;

	(void)state;
	n = 2 * depth + 16;
	assert_non_null(s = malloc(n));
	memset(s, '(', depth);
	memset(s + depth, ')', depth);
	memcpy(s + 2 * depth, "a@b", 3);
	l = parse_n(s, 2 * depth + 3, NULL, &d);
	assert_int_equal(mime_address_list_count(l), 1);
	assert_string_equal(mime_address_list_address(l, 0), "a@b");
	assert_int_equal(d, 0);
	mime_address_list_free(l);
	/* Unbalanced: everything is one open comment. */
	l = parse_n(s, depth + 1, NULL, &d);
	assert_int_equal(mime_address_list_count(l), 0);
	assert_int_equal(d, BAD);
	mime_address_list_free(l);
	/* As the name of a mailbox: the outer parentheses go. */
	memcpy(s, "a@b ", 4);
	memset(s + 4, '(', depth);
	memset(s + 4 + depth, ')', depth);
	l = parse_n(s, 4 + 2 * depth, NULL, &d);
	assert_int_equal(mime_address_list_count(l), 1);
	assert_string_equal(mime_address_list_address(l, 0), "a@b");
	assert_int_equal(strlen(mime_address_list_name(l, 0)),
	    2 * (depth - 1));
	assert_int_equal(d, 0);
	mime_address_list_free(l);
	/* Many '<' and quotes. */
	for (i = 0; i < n; i++)
		s[i] = "<\"@:,;>["[i % 8];
	l = parse_n(s, n, NULL, &d);
	assert_true(d & BAD);
	mime_address_list_free(l);
	free(s);
}

/* A megabyte value must parse in linear time. */
static void
test_megabyte(void **state)
{
	static const char *pat[] = {
		"a@b, ", "Name <x@y>, ", "w ", "<@a,", "g: a@b; ", "a.", "\"",
		"(", "=?", "<", "@", "a@b@", "a ",
	};
	struct mime_address_list *l;
	size_t		 n = 1 << 20, len, i, k, plen;
	unsigned	 d;
	clock_t		 t0;
	char		*s;

	(void)state;
	assert_non_null(s = malloc(n));
	for (k = 0; k < sizeof pat / sizeof pat[0]; k++) {
		plen = strlen(pat[k]);
		len = n - n % plen;
		for (i = 0; i < len; i++)
			s[i] = pat[k][i % plen];
		t0 = clock();
		l = parse_n(s, len, NULL, &d);
		assert_true(clock() - t0 < 10 * CLOCKS_PER_SEC);
		if (k == 0) {
			assert_int_equal(mime_address_list_count(l),
			    len / plen);
			assert_string_equal(mime_address_list_address(l, 7),
			    "a@b");
			assert_int_equal(d, 0);
		}
		mime_address_list_free(l);
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
no_controls(const char *s)
{
	for (; *s != '\0'; s++)
		assert_false((unsigned char)*s < 0x20 && *s != '\t');
}

static void
test_random_invariants(void **state)
{
	static const char *piece[] = {
		"a", "b.c", "@", "<", ">", ",", ";", ":", "(", ")", "\"", "\\",
		"[", "]", " ", "\r\n ", "\n", "\0", "\x01", "\xe9", "\xc3\xa9",
		"=?utf-8?q?x=0A?=", "=?", ".", "John", "@a,@b:",
	};
	struct mime_address_list *l;
	char		 s[200];
	uint64_t	 seed = 0x2545f4914f6cdd1dULL;
	size_t		 n, len, i, k;
	size_t		 pn = sizeof piece / sizeof piece[0];
	const char	*p;
	unsigned	 d;
	int		 round;

	(void)state;
	for (round = 0; round < 20000; round++) {
		n = rnd_next(&seed) % 30;
		for (len = i = 0; i < n; i++) {
			p = piece[rnd_next(&seed) % pn];
			k = p[0] == '\0' ? 1 : strlen(p);
			if (len + k > sizeof s)
				break;
			memcpy(s + len, p, k);
			len += k;
		}
		l = parse_n(s, len, NULL, &d);
		for (i = 0; i < mime_address_list_count(l); i++) {
			p = mime_address_list_name(l, i);
			no_controls(p);
			assert_true(mime_utf8_valid(p, strlen(p)));
			p = mime_address_list_address(l, i);
			no_controls(p);
			assert_true(mime_utf8_valid(p, strlen(p)));
			if ((p = mime_address_list_group(l, i)) != NULL)
				no_controls(p);
		}
		mime_address_list_free(l);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_group_garbage),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_obsolete),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_domain_literal),
		cmocka_unit_test(test_encoded_names),
		cmocka_unit_test(test_8bit),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_megabyte),
		cmocka_unit_test(test_random_invariants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

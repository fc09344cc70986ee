/* SPDX-License-Identifier: ISC */
/* Unit tests for mime/parse.c and mime/message.c: the part tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"

static struct mime_message *
parse(const char *s)
{
	struct mime_message	*m;

	m = mime_message_parse(s, strlen(s), NULL);
	assert_non_null(m);
	return m;
}

/* The n-th part in depth-first order. */
static const struct mime_part *
nth(const struct mime_message *m, int n)
{
	const struct mime_part	*p = mime_message_root(m);

	while (n-- > 0 && p != NULL)
		p = mime_part_walk_next(p);
	assert_non_null(p);
	return p;
}

static void
assert_body(const struct mime_part *p, const char *want)
{
	const char	*s;
	size_t		 len;

	mime_part_body(p, &s, &len);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(s, want, len);
}

static void
assert_path(const struct mime_part *p, const char *want)
{
	char	 buf[64];

	assert_int_equal(mime_part_path(p, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
}

static int
has_defect(const struct mime_message *m, enum mime_defect_code code)
{
	size_t	 i;

	for (i = 0; i < mime_message_defect_count(m); i++)
		if (mime_message_defect(m, i)->code == code)
			return 1;
	return 0;
}

static size_t
count_leaves(const struct mime_message *m)
{
	const struct mime_part	*p;
	size_t			 n = 0;

	for (p = mime_message_root(m); p != NULL; p = mime_part_walk_next(p))
		n += mime_part_is_leaf(p);
	return n;
}

static void
test_single_part(void **state)
{
	struct mime_message	*m;
	const struct mime_part	*p;

	(void)state;
	m = parse("Subject: hi\r\nContent-Type: Text/HTML; charset=\"UTF-8\""
	    "\r\n\r\n<p>x</p>\r\n");
	p = mime_message_root(m);
	assert_true(mime_part_is_leaf(p));
	assert_string_equal(mime_part_type(p), "text");
	assert_string_equal(mime_part_subtype(p), "html");
	assert_string_equal(mime_part_charset(p), "UTF-8");
	assert_path(p, "1");
	assert_body(p, "<p>x</p>\r\n");
	assert_int_equal(mime_message_defect_count(m), 0);
	assert_int_equal(mime_message_part_count(m), 1);
	mime_message_free(m);
}

static void
test_default_type_and_lf(void **state)
{
	struct mime_message	*m;
	const struct mime_part	*p;

	(void)state;
	m = parse("From: a@b\nSubject: x\n\nbody\n");
	p = mime_message_root(m);
	assert_string_equal(mime_part_type(p), "text");
	assert_string_equal(mime_part_subtype(p), "plain");
	assert_int_equal(mime_part_encoding(p), MIME_ENC_7BIT);
	assert_body(p, "body\n");
	assert_int_equal(mime_part_header_count(p), 2);
	mime_message_free(m);
}

static const char mixed[] =
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "preamble text\r\n"
    "--b1\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "first\r\n"
    "--b1X\r\n"
    "still first\r\n"
    "--b1 \t\r\n"
    "Content-Type: application/pdf; name=\"a.pdf\"\r\n"
    "Content-Disposition: attachment; filename=\"b.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "aGVsbG8=\r\n"
    "--b1--\r\n"
    "epilogue\r\n";

static void
test_multipart_exact_boundaries(void **state)
{
	struct mime_message	*m;
	const struct mime_part	*root, *a, *b;
	const char		*s;
	size_t			 len;

	(void)state;
	m = parse(mixed);
	root = mime_message_root(m);
	assert_true(mime_part_is_multipart(root));
	assert_path(root, "");
	a = mime_part_first_child(root);
	b = mime_part_next_sibling(a);
	assert_non_null(b);
	assert_null(mime_part_next_sibling(b));
	assert_path(a, "1");
	assert_path(b, "2");
	/* "--b1X" is longer than the boundary: text, not a delimiter */
	assert_body(a, "first\r\n--b1X\r\nstill first");
	assert_body(b, "aGVsbG8=");
	assert_string_equal(mime_part_filename(b), "b.pdf");
	assert_string_equal(mime_part_param(b, "name"), "a.pdf");
	assert_string_equal(mime_part_disposition(b), "attachment");
	assert_int_equal(mime_part_encoding(b), MIME_ENC_BASE64);
	mime_part_preamble(root, &s, &len);
	assert_int_equal(len, strlen("preamble text"));
	assert_memory_equal(s, "preamble text", len);
	mime_part_epilogue(root, &s, &len);
	assert_int_equal(len, strlen("epilogue\r\n"));
	assert_memory_equal(s, "epilogue\r\n", len);
	assert_int_equal(mime_message_defect_count(m), 0);
	mime_message_free(m);
}

static int
collect(void *ctx, const char *data, size_t len)
{
	struct mime_buf	*b = ctx;

	return mime_buf_append(b, data, len);
}

static void
test_decode_leaf(void **state)
{
	struct mime_message	*m;
	struct mime_buf		 b;

	(void)state;
	mime_buf_init(&b);
	m = parse(mixed);
	assert_int_equal(mime_part_decode(nth(m, 2), collect, &b), 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "hello", 5);
	mime_buf_free(&b);
	mime_message_free(m);
}

static void
test_parent_boundary_closes_child(void **state)
{
	struct mime_message	*m;
	const struct mime_part	*inner;

	(void)state;
	m = parse("Content-Type: multipart/mixed; boundary=outer\n\n"
	    "--outer\n"
	    "Content-Type: multipart/alternative; boundary=inner\n\n"
	    "--inner\n\nplain\n"
	    "--inner\nContent-Type: text/html\n\nhtml\n"
	    "--outer\nContent-Type: text/plain\n\nlast\n"
	    "--outer--\n");
	inner = nth(m, 1);
	assert_true(mime_part_is_multipart(inner));
	assert_path(nth(m, 2), "1.1");
	assert_body(nth(m, 2), "plain");
	assert_path(nth(m, 3), "1.2");
	assert_body(nth(m, 3), "html");
	assert_path(nth(m, 4), "2");
	assert_body(nth(m, 4), "last");
	assert_true(has_defect(m, MIME_DEFECT_NO_END_BOUNDARY));
	assert_int_equal(count_leaves(m), 3);
	mime_message_free(m);
}

static void
test_missing_final_boundary(void **state)
{
	struct mime_message	*m;

	(void)state;
	m = parse("Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n\none\n--b\n\ntwo\ntail\n");
	assert_int_equal(count_leaves(m), 2);
	assert_body(nth(m, 2), "two\ntail\n");
	assert_true(has_defect(m, MIME_DEFECT_NO_END_BOUNDARY));
	mime_message_free(m);
}

static void
test_nested_message_paths(void **state)
{
	struct mime_message	*m;
	const struct mime_part	*msg, *top;

	(void)state;
	m = parse("Content-Type: multipart/mixed; boundary=o\n\n"
	    "--o\n\nbody\n"
	    "--o\nContent-Type: message/rfc822\n\n"
	    "Subject: inner\n"
	    "Content-Type: multipart/mixed; boundary=i\n\n"
	    "--i\n\nin1\n--i\nContent-Type: text/html\n\nin2\n--i--\n"
	    "--o\nContent-Type: message/rfc822\n\n"
	    "Subject: single\n\nsingle body\n"
	    "--o--\n");
	msg = nth(m, 2);
	assert_true(mime_part_is_message(msg));
	assert_path(msg, "2");
	top = mime_part_first_child(msg);
	assert_true(mime_part_is_message_top(top));
	assert_true(mime_part_header_find(top, "subject", 0) >= 0);
	assert_path(nth(m, 4), "2.1");
	assert_body(nth(m, 4), "in1");
	assert_path(nth(m, 5), "2.2");
	assert_path(nth(m, 6), "3");
	assert_path(nth(m, 7), "3.1");
	assert_body(nth(m, 7), "single body");
	assert_int_equal(count_leaves(m), 4);
	assert_int_equal(mime_message_defect_count(m), 0);
	mime_message_free(m);
}

static void
test_top_level_rfc822(void **state)
{
	struct mime_message	*m;

	(void)state;
	m = parse("Content-Type: message/rfc822\n\nSubject: x\n\nhello\n");
	assert_path(nth(m, 0), "1");
	assert_path(nth(m, 1), "1.1");
	assert_body(nth(m, 1), "hello\n");
	mime_message_free(m);
}

static void
test_no_boundary_param(void **state)
{
	struct mime_message	*m;

	(void)state;
	m = parse("Content-Type: multipart/mixed\n\n--x\n\nbody\n");
	assert_true(mime_part_is_leaf(mime_message_root(m)));
	assert_body(mime_message_root(m), "--x\n\nbody\n");
	assert_true(has_defect(m, MIME_DEFECT_NO_BOUNDARY_PARAM));
	mime_message_free(m);
}

static void
test_boundary_never_found(void **state)
{
	struct mime_message	*m;

	(void)state;
	m = parse("Content-Type: multipart/mixed; boundary=zz\n\njust text\n");
	assert_true(mime_part_is_leaf(mime_message_root(m)));
	assert_body(mime_message_root(m), "just text\n");
	assert_true(has_defect(m, MIME_DEFECT_NO_START_BOUNDARY));
	mime_message_free(m);
}

static void
test_missing_header_separator(void **state)
{
	struct mime_message	*m;

	(void)state;
	m = parse("Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\nthis is body\n"
	    "--b\nContent-Type: text/html\n"
	    "--b--\n");
	assert_int_equal(count_leaves(m), 2);
	assert_body(nth(m, 1), "this is body");
	assert_string_equal(mime_part_subtype(nth(m, 2)), "html");
	assert_body(nth(m, 2), "");
	assert_true(has_defect(m, MIME_DEFECT_NO_HEADER_END));
	mime_message_free(m);
}

static void
test_no_headers(void **state)
{
	struct mime_message	*m;

	(void)state;
	m = parse("no colon on this line\nmore\n");
	assert_body(mime_message_root(m), "no colon on this line\nmore\n");
	assert_int_equal(mime_part_header_count(mime_message_root(m)), 0);
	assert_true(has_defect(m, MIME_DEFECT_NO_HEADER_END));
	mime_message_free(m);
	m = parse("\nbody only\n");
	assert_body(mime_message_root(m), "body only\n");
	assert_int_equal(mime_message_defect_count(m), 0);
	mime_message_free(m);
}

static void
test_empty_and_headers_only(void **state)
{
	struct mime_message	*m;

	(void)state;
	m = mime_message_parse("", 0, NULL);
	assert_non_null(m);
	assert_body(mime_message_root(m), "");
	mime_message_free(m);
	m = parse("Subject: x");
	assert_int_equal(mime_part_header_count(mime_message_root(m)), 1);
	assert_body(mime_message_root(m), "");
	mime_message_free(m);
}

static void
test_folded_and_repeated_headers(void **state)
{
	struct mime_message	*m;
	const struct mime_part	*p;
	const char		*n, *v;
	size_t			 nlen, vlen;
	long			 i;

	(void)state;
	m = parse("From mailer-daemon Mon Jan  1 00:00:00 2024\n"
	    "Received: one\nReceived: two\n\tfolded\nSubject : odd\n\nb\n");
	p = mime_message_root(m);
	assert_int_equal(mime_part_header_count(p), 3);
	i = mime_part_header_find(p, "received", 0);
	assert_int_equal(i, 0);
	i = mime_part_header_find(p, "RECEIVED", (size_t)i + 1);
	assert_int_equal(i, 1);
	mime_part_header_at(p, (size_t)i, &n, &nlen, &v, &vlen);
	assert_int_equal(vlen, strlen("two\n\tfolded"));
	assert_memory_equal(v, "two\n\tfolded", vlen);
	assert_int_equal(mime_part_header_find(p, "received", 2), -1);
	assert_true(mime_part_header_find(p, "subject", 0) == 2);
	mime_message_free(m);
}

static char *
deep_message(int depth)
{
	struct mime_buf	 b;
	char		 line[128];
	int		 i;

	mime_buf_init(&b);
	for (i = 0; i < depth; i++) {
		snprintf(line, sizeof(line), "Content-Type: multipart/mixed;"
		    " boundary=\"d%d\"\n\n--d%d\n", i, i);
		assert_int_equal(mime_buf_append_str(&b, line), 0);
	}
	assert_int_equal(mime_buf_append_str(&b, "\ncore\n"), 0);
	for (i = depth - 1; i >= 0; i--) {
		snprintf(line, sizeof(line), "--d%d--\n", i);
		assert_int_equal(mime_buf_append_str(&b, line), 0);
	}
	return mime_buf_steal(&b);
}

static void
test_depth_limit(void **state)
{
	struct mime_message	*m;
	struct mime_limits	 lim;
	const struct mime_part	*p, *last = NULL;
	char			*s;

	(void)state;
	s = deep_message(2000);
	mime_limits_init(&lim);
	m = mime_message_parse(s, strlen(s), &lim);
	assert_non_null(m);
	assert_true(has_defect(m, MIME_DEFECT_DEPTH_LIMIT));
	for (p = mime_message_root(m); p != NULL; p = mime_part_walk_next(p))
		last = p;
	assert_true(mime_part_is_leaf(last));
	assert_int_equal(mime_part_depth(last), lim.max_depth);
	assert_int_equal(count_leaves(m), 1);
	mime_message_free(m);
	/* Within the limit the whole structure is there. */
	lim.max_depth = 3000;
	m = mime_message_parse(s, strlen(s), &lim);
	assert_false(has_defect(m, MIME_DEFECT_DEPTH_LIMIT));
	assert_int_equal(mime_message_part_count(m), 2001);
	mime_message_free(m);
	free(s);
}

static void
test_part_limit(void **state)
{
	struct mime_message	*m;
	struct mime_limits	 lim;
	const struct mime_part	*p, *last = NULL;
	const char		*s;
	size_t			 len;

	(void)state;
	s = "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n\n1\n--b\n\n2\n--b\n\n3\n--b\n\n4\n--b\n\n5\n--b--\n";
	mime_limits_init(&lim);
	lim.max_parts = 3;
	m = mime_message_parse(s, strlen(s), &lim);
	assert_non_null(m);
	assert_true(has_defect(m, MIME_DEFECT_PART_LIMIT));
	assert_int_equal(mime_message_part_count(m), 3);
	for (p = mime_message_root(m); p != NULL; p = mime_part_walk_next(p))
		last = p;
	/* the rest of the message is kept, whole, in the last leaf */
	mime_part_body(last, &s, &len);
	assert_true(len > 0 && memcmp(s, "\n2\n--b", 6) == 0);
	mime_message_free(m);
}

static void
test_header_limit(void **state)
{
	struct mime_message	*m;
	struct mime_limits	 lim;
	const char		*s = "A: 1\nB: 2\nC: 3\nD: 4\n\nbody\n";

	(void)state;
	mime_limits_init(&lim);
	lim.max_header_bytes = 8;
	m = mime_message_parse(s, strlen(s), &lim);
	assert_true(has_defect(m, MIME_DEFECT_HEADER_LIMIT));
	assert_body(mime_message_root(m), "C: 3\nD: 4\n\nbody\n");
	mime_message_free(m);
}

static void
test_digest_default(void **state)
{
	struct mime_message	*m;

	(void)state;
	m = parse("Content-Type: multipart/digest; boundary=d\n\n"
	    "--d\n\nSubject: one\n\nfirst\n--d--\n");
	assert_string_equal(mime_part_type(nth(m, 1)), "message");
	assert_true(mime_part_is_message(nth(m, 1)));
	assert_path(nth(m, 2), "1.1");
	assert_body(nth(m, 2), "first");
	mime_message_free(m);
}

static void
test_boundary_in_header_position(void **state)
{
	struct mime_message	*m;

	(void)state;
	/* a boundary containing ':' must not be taken for a header */
	m = parse("Content-Type: multipart/mixed; boundary=\"a:b\"\n\n"
	    "--a:b\n\none\n--a:b\nContent-Type: text/x-two\n\ntwo\n--a:b--\n");
	assert_int_equal(count_leaves(m), 2);
	assert_body(nth(m, 1), "one");
	assert_string_equal(mime_part_subtype(nth(m, 2)), "x-two");
	mime_message_free(m);
}

static void
test_bad_content_type(void **state)
{
	struct mime_message	*m;

	(void)state;
	m = parse("Content-Type: garbage\n\nx\n");
	assert_string_equal(mime_part_type(mime_message_root(m)), "text");
	assert_string_equal(mime_part_subtype(mime_message_root(m)), "plain");
	assert_true(has_defect(m, MIME_DEFECT_BAD_CONTENT_TYPE));
	mime_message_free(m);
}

static void
test_hostile_prefix_lines(void **state)
{
	struct mime_message	*m;
	struct mime_buf		 b;
	int			 i;

	(void)state;
	mime_buf_init(&b);
	assert_int_equal(mime_buf_append_str(&b,
	    "Content-Type: multipart/mixed; boundary=\"--\"\n\n"), 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(mime_buf_append_str(&b, "-----\n-\n--"), 0);
	m = mime_message_parse(b.data, b.len, NULL);
	assert_non_null(m);
	mime_message_free(m);
	mime_buf_free(&b);
}

/* CPython's test_email msg_37.txt: repeated delimiter lines with nothing
 * between them make no parts (as in Python's email and GMime), only a
 * defect; a delimiter, an empty line and a delimiter is a real empty
 * part and stays. */
static void
test_repeated_delimiters(void **state)
{
	struct mime_message	*m;

	(void)state;
	m = parse("Content-Type: multipart/mixed; boundary=ABCDE\n\n"
	    "--ABCDE\nContent-Type: text/x-one\n\nBlah\n\n"
	    "--ABCDE\n--ABCDE\nContent-Type: text/x-two\n\nBlah\n\n"
	    "--ABCDE\n--ABCDE\n--ABCDE\n--ABCDE\n"
	    "Content-Type: text/x-two\n\nBlah\n\n--ABCDE--\n");
	assert_int_equal(count_leaves(m), 3);
	assert_string_equal(mime_part_subtype(nth(m, 1)), "x-one");
	assert_path(nth(m, 2), "2");
	assert_string_equal(mime_part_subtype(nth(m, 2)), "x-two");
	assert_path(nth(m, 3), "3");
	assert_body(nth(m, 3), "Blah\n");
	assert_true(has_defect(m, MIME_DEFECT_EMPTY_PART));
	assert_false(has_defect(m, MIME_DEFECT_NO_HEADER_END));
	mime_message_free(m);

	/* Python keeps an empty part before the close delimiter; mailsift
	 * treats it like any other empty part. */
	m = parse("Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n\none\n--b\n--b--\n");
	assert_int_equal(count_leaves(m), 1);
	assert_true(has_defect(m, MIME_DEFECT_EMPTY_PART));
	mime_message_free(m);

	m = parse("Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n\n--b\n\nx\n--b--\n");
	assert_int_equal(count_leaves(m), 2);
	assert_body(nth(m, 1), "");
	assert_false(has_defect(m, MIME_DEFECT_EMPTY_PART));
	mime_message_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_part),
		cmocka_unit_test(test_default_type_and_lf),
		cmocka_unit_test(test_multipart_exact_boundaries),
		cmocka_unit_test(test_decode_leaf),
		cmocka_unit_test(test_parent_boundary_closes_child),
		cmocka_unit_test(test_missing_final_boundary),
		cmocka_unit_test(test_nested_message_paths),
		cmocka_unit_test(test_top_level_rfc822),
		cmocka_unit_test(test_no_boundary_param),
		cmocka_unit_test(test_boundary_never_found),
		cmocka_unit_test(test_missing_header_separator),
		cmocka_unit_test(test_no_headers),
		cmocka_unit_test(test_empty_and_headers_only),
		cmocka_unit_test(test_folded_and_repeated_headers),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_part_limit),
		cmocka_unit_test(test_header_limit),
		cmocka_unit_test(test_digest_default),
		cmocka_unit_test(test_boundary_in_header_position),
		cmocka_unit_test(test_bad_content_type),
		cmocka_unit_test(test_hostile_prefix_lines),
		cmocka_unit_test(test_repeated_delimiters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

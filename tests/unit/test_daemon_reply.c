/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_reply.c - reply_show() (daemon/net/reply.c), how every
 * protocol client shows a server's reply in a message: printable,
 * bounded, and safe on short or empty input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/net/reply.h"

/* The line in a heap block of exactly len bytes, no NUL after it: a
 * read past its end is an ASan error. */
static const char *
show(const char *lit, size_t len, size_t outlen)
{
	static char	 out[512];
	char		*line;

	assert_true(outlen <= sizeof(out));
	memset(out, 'Z', sizeof(out));
	line = len > 0 ? malloc(len) : NULL;
	if (len > 0) {
		assert_non_null(line);
		memcpy(line, lit, len);
	}
	assert_ptr_equal(reply_show(line, len, out, outlen), out);
	free(line);
	return out;
}

#define SHOW(lit, outlen) show(lit, sizeof(lit) - 1, outlen)

/* Nothing, one byte, a bare code: shown as they are, nothing more read. */
static void
test_short_input(void **state)
{
	(void)state;
	assert_string_equal(show(NULL, 0, 64), "");
	assert_string_equal(SHOW("", 64), "");
	assert_string_equal(SHOW("+", 64), "+");
	assert_string_equal(SHOW("\r", 64), "?");
	assert_string_equal(SHOW("550", 64), "550");
	assert_string_equal(SHOW("-ERR", 64), "-ERR");
	/* half a UTF-8 sequence at the end is not read beyond */
	assert_string_equal(SHOW("\xc3", 64), "?");
	assert_string_equal(SHOW("ok \xe2\x82", 64), "ok ??");
}

/* Controls (C0, DEL, C1 raw or as UTF-8) become '?'; UTF-8 stays. */
static void
test_controls(void **state)
{
	(void)state;
	assert_string_equal(SHOW("550 no\r\nFAKE: line", 64),
	    "550 no??FAKE: line");
	assert_string_equal(SHOW("-ERR \x1b[2Jgone\x07", 64),
	    "-ERR ?[2Jgone?");
	assert_string_equal(SHOW("x\x9b" "31m\x7f", 64), "x?31m?");
	assert_string_equal(SHOW("x\xc2\x9b" "31m", 64), "x??31m");
	assert_string_equal(SHOW("nul\0inside", 64), "nul?inside");
	assert_string_equal(SHOW("Gr\xc3\xbc\xc3\x9f" "e", 64),
	    "Gr\xc3\xbc\xc3\x9f" "e");
	/* a bidi override makes the line read differently */
	assert_string_equal(SHOW("a\xe2\x80\xae" "b", 64), "a???b");
}

/* Bounded: outlen - 1 bytes at most, cut with "..." on a character
 * boundary; outlen 0 writes nothing, 1 only the NUL. */
static void
test_bounded(void **state)
{
	char	 big[2000], out[REPLY_SHOW_SIZE], one[1] = { 'Z' };

	(void)state;
	assert_string_equal(SHOW("0123456789", 8), "0123...");
	assert_string_equal(SHOW("0123456", 8), "0123456");
	assert_string_equal(SHOW("ab\xc3\xbc\xc3\xbc\xc3\xbc", 8),
	    "ab\xc3\xbc...");
	assert_string_equal(SHOW("abc", 1), "");
	assert_string_equal(SHOW("abc", 2), "a");
	assert_ptr_equal(reply_show("abc", 3, one, 0), one);
	assert_int_equal(one[0], 'Z');

	memset(big, 'x', sizeof(big));
	reply_show(big, sizeof(big), out, sizeof(out));
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_string_equal(out + sizeof(out) - 4, "...");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_input),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_log.c - log_clean() (daemon/util/log.c), the one place where a
 * server's text is made safe to log, and the log lines themselves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/util/log.h"

static const char *
clean(const char *s, size_t len, size_t outlen, enum log_clean_mode mode)
{
	static char	 out[512];

	assert_true(outlen <= sizeof(out));
	memset(out, 'Z', sizeof(out));
	return log_clean(s, len, out, outlen, mode);
}

#define CLEAN(lit, outlen) clean(lit, sizeof(lit) - 1, outlen, \
    LOG_CLEAN_MARK)

/* C0 controls, DEL and the C1 ones, raw or as UTF-8, become '?'. */
static void
test_controls_replaced(void **state)
{
	(void)state;
	assert_string_equal(CLEAN("a\x1b[2Jb", 64), "a?[2Jb");
	assert_string_equal(CLEAN("cr\rlf\ntab\tnul\0bel\x07", 64),
	    "cr?lf?tab?nul?bel?");
	assert_string_equal(CLEAN("del\x7f", 64), "del?");
	/* 0x9b is CSI to an 8-bit terminal; U+009B the same in UTF-8 */
	assert_string_equal(CLEAN("x\x9b" "31m", 64), "x?31m");
	assert_string_equal(CLEAN("x\xc2\x9b" "31m", 64), "x??31m");
	assert_string_equal(CLEAN("\xc2\x85next", 64), "??next");
}

/* Well-formed UTF-8 stays; anything else is replaced byte by byte. */
static void
test_utf8(void **state)
{
	(void)state;
	assert_string_equal(CLEAN("Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac "
	    "\xf0\x9f\x93\xa7", 64), "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac "
	    "\xf0\x9f\x93\xa7");
	assert_string_equal(CLEAN("bad \xc3 \xff \xc0\xaf", 64),
	    "bad ? ? ??");
	/* a surrogate is not UTF-8 */
	assert_string_equal(CLEAN("\xed\xa0\x80", 64), "???");
	/* bidi overrides and line separators make a line lie */
	assert_string_equal(CLEAN("a\xe2\x80\xae" "b\xe2\x80\xa8" "c"
	    "\xe2\x81\xa6" "d", 64), "a???b???c???d");
}

/* The cap: outlen - 1 bytes at most, "..." when cut, never in the
 * middle of a character. */
static void
test_cap(void **state)
{
	static char	 big[300];
	const char	*r;

	(void)state;
	assert_string_equal(CLEAN("abcdef", 7), "abcdef");
	assert_string_equal(CLEAN("abcdefg", 7), "abc...");
	assert_string_equal(CLEAN("abc", 2), "a");
	assert_string_equal(CLEAN("abc", 1), "");
	/* "\xc3\xa9" is one character: it fits whole or not at all */
	assert_string_equal(CLEAN("ab\xc3\xa9\xc3\xa9xyz", 9),
	    "ab\xc3\xa9...");
	memset(big, 'x', sizeof(big));
	r = clean(big, sizeof(big), LOG_SHOW_SIZE, LOG_CLEAN_MARK);
	assert_int_equal(strlen(r), LOG_SHOW_SIZE - 1);
	assert_string_equal(r + LOG_SHOW_SIZE - 4, "...");
	/* an empty input */
	assert_string_equal(clean("", 0, 8, LOG_CLEAN_MARK), "");
}

/* The trace's mode shows what was dropped. */
static void
test_hex_mode(void **state)
{
	(void)state;
	assert_string_equal(clean("a\x1b[m\x9b\r", 6, 64, LOG_CLEAN_HEX),
	    "a\\x1b[m\\x9b\\x0d");
	/* a hex escape is cut whole, too */
	assert_string_equal(clean("abc\x1b\x1b", 5, 9, LOG_CLEAN_HEX),
	    "abc...");
}

/* Every line written passes log_clean(), whatever a caller forgot. */
static void
test_log_line_clean(void **state)
{
	FILE	*tmp = tmpfile();
	char	 buf[512];
	size_t	 n;
	int	 saved;

	(void)state;
	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	log_init(0, LOG_LEVEL_INFO);
	log_warn("server said %s", "\x1b]0;title\x07\r\nfake line \xc2\x9b");
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	assert_non_null(strstr(buf, "server said ?]0;title???fake line ??\n"));
	/* one line: the only LF is the one that ends it */
	assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls_replaced),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_hex_mode),
		cmocka_unit_test(test_log_line_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

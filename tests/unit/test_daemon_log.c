/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_log.c - log_clean() (daemon/util/log.c), the one place where a
 * server's text is made safe to log, and the log lines themselves, as
 * text and as JSON (log-format = json): escaping and the context fields.
 */
#include <pthread.h>
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

/* Lines written while capturing stderr. */
static FILE	*cap_tmp;
static int	 cap_saved = -1;

static void
capture_begin(void)
{
	assert_non_null(cap_tmp = tmpfile());
	fflush(stderr);
	cap_saved = dup(2);
	assert_true(cap_saved >= 0);
	assert_true(dup2(fileno(cap_tmp), 2) >= 0);
}

static const char *
capture_end(void)
{
	static char	 buf[16384];
	size_t		 n;

	fflush(stderr);
	assert_true(dup2(cap_saved, 2) >= 0);
	close(cap_saved);
	rewind(cap_tmp);
	n = fread(buf, 1, sizeof(buf) - 1, cap_tmp);
	buf[n] = '\0';
	fclose(cap_tmp);
	return buf;
}

static const char *
json(const char *s, size_t len, size_t outlen, int *cut)
{
	static char	 out[512];

	assert_true(outlen <= sizeof(out));
	memset(out, 'Z', sizeof(out));
	log_json_string(s, len, out, outlen, cut);
	return out;
}

#define JSON(lit) json(lit, sizeof(lit) - 1, 512, NULL)

/* Every byte has a way into a JSON string: quotes and backslashes
 * escaped, controls as \uXXXX, UTF-8 kept, anything else U+FFFD. */
static void
test_json_string(void **state)
{
	int	 cut;

	(void)state;
	assert_string_equal(JSON("plain text"), "plain text");
	assert_string_equal(JSON("q\"b\\s/"), "q\\\"b\\\\s/");
	assert_string_equal(JSON("lf\ncr\rtab\t"), "lf\\ncr\\rtab\\t");
	assert_string_equal(JSON("nul\0esc\x1b" "bel\x07" "del\x7f"),
	    "nul\\u0000esc\\u001bbel\\u0007del\\u007f");
	assert_string_equal(JSON("Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac "
	    "\xf0\x9f\x93\xa7"), "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac "
	    "\xf0\x9f\x93\xa7");
	/* a lone lead byte, a stray continuation, an overlong, a
	 * surrogate, a byte that is never UTF-8 */
	assert_string_equal(JSON("a\xc3" "b\x80" "c\xc0\xaf" "d\xed\xa0\x80"
	    "e\xff"), "a\\ufffdb\\ufffdc\\ufffd\\ufffdd\\ufffd\\ufffd\\ufffd"
	    "e\\ufffd");
	/* an escape never cut in half: 4 bytes of room, "\u001b" is 6 */
	assert_string_equal(json("ab\x1b", 3, 5, &cut), "ab");
	assert_int_equal(cut, 1);
	assert_string_equal(json("ab\xc3\xa9", 4, 4, &cut), "ab");
	assert_int_equal(cut, 1);
	assert_string_equal(json("ab\xc3\xa9", 4, 5, &cut), "ab\xc3\xa9");
	assert_int_equal(cut, 0);
	assert_string_equal(json("x", 1, 1, &cut), "");
	assert_int_equal(cut, 1);
}

/* A JSON line: {"time":"YYYY-MM-DDTHH:MM:SS.mmmZ","level":...}. */
static const char *
json_line_after_time(const char *line)
{
	static const char	 head[] = "{\"time\":\"";
	const char		*t = line + sizeof(head) - 1;
	size_t			 i;

	assert_memory_equal(line, head, sizeof(head) - 1);
	/* 2026-12-04T13:07:42.123Z */
	for (i = 0; i < 24; i++) {
		if (i == 4 || i == 7)
			assert_int_equal(t[i], '-');
		else if (i == 10)
			assert_int_equal(t[i], 'T');
		else if (i == 13 || i == 16)
			assert_int_equal(t[i], ':');
		else if (i == 19)
			assert_int_equal(t[i], '.');
		else if (i == 23)
			assert_int_equal(t[i], 'Z');
		else
			assert_true(t[i] >= '0' && t[i] <= '9');
	}
	assert_int_equal(t[24], '"');
	return t + 25;
}

static void *
thread_log(void *arg)
{
	(void)arg;
	log_info("from another thread");
	return NULL;
}

/* Fields that are not set are left out; the context is the thread's
 * own; hostile text is cleaned, then escaped, and stays on one line. */
static void
test_json_lines(void **state)
{
	const char	*out, *rest, *nl;
	pthread_t	 th;

	(void)state;
	log_init(0, LOG_LEVEL_INFO);
	log_set_format(LOG_FORMAT_JSON);
	capture_begin();
	log_info("no context");
	log_context_account("work \"acct\"");
	log_context_folder("Lists/a\\b\x1b[2J");
	log_context_uid("4711");
	log_event(LOG_LEVEL_WARN, "round", "server said %s",
	    "\x1b]0;title\x07\r\nfake \"line\" \\ \xff");
	assert_int_equal(pthread_create(&th, NULL, thread_log, NULL), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	log_context_folder("INBOX");		/* unsets the UID */
	log_debug("not shown at info");
	log_error("folder only");
	log_context_account("other");		/* unsets folder and UID */
	log_info("account only");
	log_context_account(NULL);
	log_info("none again");
	out = capture_end();
	log_set_format(LOG_FORMAT_TEXT);

	rest = json_line_after_time(out);
	nl = strchr(rest, '\n');
	assert_non_null(nl);
	assert_memory_equal(rest, ",\"level\":\"info\",\"message\":"
	    "\"no context\"}\n", (size_t)(nl - rest) + 1);

	rest = json_line_after_time(nl + 1);
	nl = strchr(rest, '\n');
	assert_non_null(nl);
	assert_memory_equal(rest, ",\"level\":\"warn\",\"account\":"
	    "\"work \\\"acct\\\"\",\"folder\":\"Lists/a\\\\b?[2J\","
	    "\"uid\":\"4711\",\"event\":\"round\",\"message\":\"server said "
	    "?]0;title???fake \\\"line\\\" \\\\ ?\"}\n",
	    (size_t)(nl - rest) + 1);

	rest = json_line_after_time(nl + 1);
	nl = strchr(rest, '\n');
	assert_non_null(nl);
	assert_memory_equal(rest, ",\"level\":\"info\",\"message\":"
	    "\"from another thread\"}\n", (size_t)(nl - rest) + 1);

	rest = json_line_after_time(nl + 1);
	nl = strchr(rest, '\n');
	assert_non_null(nl);
	assert_memory_equal(rest, ",\"level\":\"error\",\"account\":"
	    "\"work \\\"acct\\\"\",\"folder\":\"INBOX\",\"message\":"
	    "\"folder only\"}\n", (size_t)(nl - rest) + 1);

	rest = json_line_after_time(nl + 1);
	nl = strchr(rest, '\n');
	assert_non_null(nl);
	assert_memory_equal(rest, ",\"level\":\"info\",\"account\":"
	    "\"other\",\"message\":\"account only\"}\n",
	    (size_t)(nl - rest) + 1);

	rest = json_line_after_time(nl + 1);
	nl = strchr(rest, '\n');
	assert_non_null(nl);
	assert_memory_equal(rest, ",\"level\":\"info\",\"message\":"
	    "\"none again\"}\n", (size_t)(nl - rest) + 1);
	assert_int_equal(nl[1], '\0');
}

/* The longest message and context still make one whole object. */
static void
test_json_long(void **state)
{
	static char	 big[6000], ctx[400];
	const char	*out;
	size_t		 n;

	(void)state;
	memset(big, '"', sizeof(big) - 1);
	memset(ctx, '\\', sizeof(ctx) - 1);
	log_init(0, LOG_LEVEL_INFO);
	log_set_format(LOG_FORMAT_JSON);
	log_context_account(ctx);
	log_context_folder(ctx);
	log_context_uid(ctx);
	capture_begin();
	log_event(LOG_LEVEL_INFO, "long", "%s", big);
	out = capture_end();
	log_context_account(NULL);
	log_set_format(LOG_FORMAT_TEXT);
	n = strlen(out);
	/* 4095 bytes of message, each escaped, and the object closed */
	assert_true(n > 9000);
	assert_string_equal(out + n - 7, "\\\"\\\"\"}\n");
	assert_ptr_equal(strchr(out, '\n'), out + n - 1);
	/* a context value is cut at 255 bytes, with "..." */
	assert_non_null(strstr(out, "\\\\...\",\"folder\":\"\\\\"));
	assert_non_null(strstr(out, "\\\\...\",\"event\":\"long\","
	    "\"message\":\"\\\"\\\""));
}

/* The text format is as it was: the context does not show. */
static void
test_text_unchanged(void **state)
{
	const char	*out;

	(void)state;
	log_init(0, LOG_LEVEL_INFO);
	log_context_account("acct");
	capture_begin();
	log_event(LOG_LEVEL_INFO, "round", "acct: fetched 1");
	out = capture_end();
	log_context_account(NULL);
	assert_non_null(strstr(out, " mailsift[info]: acct: fetched 1\n"));
	assert_null(strchr(out, '{'));
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
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_json_long),
		cmocka_unit_test(test_text_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_imap_mutf7.c - modified UTF-7 (RFC 3501 5.1.3,
 * daemon/source/imap-mutf7.c): the decoder takes only the one canonical
 * form (bad base64, padding, empty or adjacent runs, lone surrogates,
 * shifted ASCII or controls, bytes outside printable ASCII refused) and
 * is bounded; the encoder writes that form, refuses controls and
 * invalid UTF-8, is bounded, and the decoder gives its input back.
 * Also imap_quote() (imap-resp.c), which puts what the encoder wrote
 * (or a UTF-8 name, a label, a LOGIN string) on the wire.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/source/imap-mutf7.h"
#include "daemon/source/imap-resp.h"

static void
decode_ok(const char *in, const char *want)
{
	char	 out[256];

	if (imap_mutf7_decode(in, strlen(in), out, sizeof(out)) == -1)
		fail_msg("\"%s\" refused", in);
	assert_string_equal(out, want);
}

static void
decode_bad(const char *in)
{
	char	 out[256];

	if (imap_mutf7_decode(in, strlen(in), out, sizeof(out)) == 0)
		fail_msg("\"%s\" taken as \"%s\"", in, out);
}

static void
test_decode(void **state)
{
	(void)state;
	decode_ok("INBOX", "INBOX");
	decode_ok("&-", "&");
	decode_ok("a&-b&-", "a&b&");
	decode_ok("&BCEEPwQwBDw-", "\xd0\xa1\xd0\xbf\xd0\xb0\xd0\xbc");
	decode_ok("&2D3eAA-", "\xf0\x9f\x98\x80");	/* a surrogate pair */
	decode_ok("Corbeille &AOk-", "Corbeille \xc3\xa9");
	decode_ok("&AOk-&-", "\xc3\xa9&");
	decode_ok("&AOk-t&AOk-", "\xc3\xa9t\xc3\xa9");
	decode_ok("Entw&APw-rfe.&U,BTFw-", "Entw\xc3\xbcrfe."
	    "\xe5\x8f\xb0\xe5\x8c\x97");		/* RFC 3501's example */
	decode_ok("", "");
	decode_bad("&");
	decode_bad("&-&");
	decode_bad("&AOk");		/* no '-' */
	decode_bad("&AOl-");		/* padding bits not zero */
	decode_bad("&AOkA-");		/* a whole sextet left over */
	decode_bad("&A-");		/* not one whole unit */
	decode_bad("&AO/-");		/* '/' is not modified base64 */
	decode_bad("&AO=-");		/* nor is '=' padding */
	decode_bad("&AOk-&AOk-");	/* two runs where one would do */
	decode_bad("&AGE-");		/* 'a' shifted */
	decode_bad("&ACY-");		/* '&' shifted instead of "&-" */
	decode_bad("&3gA-");		/* low surrogate first */
	decode_bad("&2D3YPQ-");		/* two high surrogates */
	decode_bad("&2D0-x");		/* high surrogate, then nothing */
	decode_bad("&2D0-&3gA-");	/* a pair split over two runs */
	decode_bad("tab\there");
	decode_bad("del\x7f");
	decode_bad("&AAE-");		/* U+0001 */
	decode_bad("&AIA-");		/* U+0080, a C1 control */
	decode_bad("\xc3\xa9");
}

static void
test_decode_bounds(void **state)
{
	char	 out[8];

	(void)state;
	/* "&BCEEPwQwBDw-" needs 9 bytes */
	assert_int_equal(imap_mutf7_decode("&BCEEPwQwBDw-", 13, out,
	    sizeof(out)), -1);
	assert_int_equal(imap_mutf7_decode("abcdefgh", 8, out,
	    sizeof(out)), -1);
	assert_int_equal(imap_mutf7_decode("abcdefg", 7, out,
	    sizeof(out)), 0);
	assert_int_equal(imap_mutf7_decode("&AOk-", 5, out, 2), -1);
	assert_int_equal(imap_mutf7_decode("a", 1, out, 0), -1);
	/* len, not a NUL, ends the input: a NUL inside is refused */
	assert_int_equal(imap_mutf7_decode("a\0b", 3, out, sizeof(out)), -1);
	assert_int_equal(imap_mutf7_decode("ab&-", 2, out, sizeof(out)), 0);
	assert_string_equal(out, "ab");
	assert_int_equal(imap_mutf7_decode("a&-b", 2, out, sizeof(out)), -1);
}

static void
encode_ok(const char *in, const char *want)
{
	char	 out[256], back[256];

	if (imap_mutf7_encode(in, out, sizeof(out)) == -1)
		fail_msg("\"%s\" refused", in);
	assert_string_equal(out, want);
	/* and the decoder gives it back */
	assert_int_equal(imap_mutf7_decode(out, strlen(out), back,
	    sizeof(back)), 0);
	assert_string_equal(back, in);
}

static void
test_encode(void **state)
{
	char	 out[16];

	(void)state;
	encode_ok("", "");
	encode_ok("INBOX", "INBOX");
	encode_ok("a&b", "a&-b");
	encode_ok("\xc3\xa9&", "&AOk-&-");
	encode_ok("Entw\xc3\xbcrfe.\xe5\x8f\xb0\xe5\x8c\x97",
	    "Entw&APw-rfe.&U,BTFw-");
	encode_ok("\xd0\xa1\xd0\xbf\xd0\xb0\xd0\xbc", "&BCEEPwQwBDw-");
	encode_ok("\xf0\x9f\x98\x80", "&2D3eAA-");
	encode_ok("\xc3\xa9\xf0\x9f\x98\x80x", "&AOnYPd4A-x");
	encode_ok("say \"hi\" \\", "say \"hi\" \\");	/* quoting is not ours */
	/* controls, DEL and invalid UTF-8 have no name to become */
	assert_int_equal(imap_mutf7_encode("a\x01", out, sizeof(out)), -1);
	assert_int_equal(imap_mutf7_encode("a\tb", out, sizeof(out)), -1);
	assert_int_equal(imap_mutf7_encode("a\x7f", out, sizeof(out)), -1);
	assert_int_equal(imap_mutf7_encode("\xc3", out, sizeof(out)), -1);
	assert_int_equal(imap_mutf7_encode("\xed\xa0\x80", out,
	    sizeof(out)), -1);			/* a UTF-8 surrogate */
	assert_int_equal(imap_mutf7_encode("\xc0\xaf", out, sizeof(out)),
	    -1);				/* overlong */
	/* bounded: "&BCEEPwQwBDw-" is 13 bytes and its NUL */
	assert_int_equal(imap_mutf7_encode("\xd0\xa1\xd0\xbf\xd0\xb0\xd0\xbc",
	    out, 13), -1);
	assert_int_equal(imap_mutf7_encode("\xd0\xa1\xd0\xbf\xd0\xb0\xd0\xbc",
	    out, 14), 0);
	assert_int_equal(imap_mutf7_encode("&", out, 2), -1);
	assert_int_equal(imap_mutf7_encode("", out, 0), -1);
}

static void
test_quote(void **state)
{
	char	 out[16];

	(void)state;
	assert_int_equal(imap_quote("", out, sizeof(out)), 0);
	assert_string_equal(out, "\"\"");
	assert_int_equal(imap_quote("a\"b\\", out, sizeof(out)), 0);
	assert_string_equal(out, "\"a\\\"b\\\\\"");
	assert_int_equal(imap_quote("a\rb", out, sizeof(out)), -1);
	assert_int_equal(imap_quote("a\nb", out, sizeof(out)), -1);
	/* bounded: "abcde" quoted is 7 bytes and its NUL */
	assert_int_equal(imap_quote("abcde", out, 8), 0);
	assert_string_equal(out, "\"abcde\"");
	assert_int_equal(imap_quote("abcdef", out, 8), -1);
	assert_int_equal(imap_quote("abcd\\", out, 8), -1);
	assert_int_equal(imap_quote("", out, 2), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_bounds),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_imap_sync.c - the CONDSTORE/QRESYNC parsers of
 * daemon/source/imap-sync.c: VANISHED (EARLIER) with huge ranges and
 * garbage, mod-sequence values, FLAGS lists, STATUS answers and the
 * SELECT's response codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/source/imap-int.h"
#include "daemon/source/imap-resp.h"
#include "daemon/source/imap-sync.h"

static struct imap_resp	 r;
static struct imap_scan	 sc;

static struct imap_scan *
scan(const char *line)
{
	imap_resp_clear(&r);
	mime_buf_reset(&r.text);
	assert_int_equal(mime_buf_append_str(&r.text, line), 0);
	imap_scan_init(&sc, &r);
	return &sc;
}

static void
count_ok(const char *set, uint64_t want)
{
	uint64_t	 n = 0;

	if (imap_uidset_count(set, strlen(set), &n) == -1)
		fail_msg("\"%s\" refused", set);
	if (n != want)
		fail_msg("\"%s\": %llu, not %llu", set, (unsigned long long)n,
		    (unsigned long long)want);
}

static void
count_bad(const char *set)
{
	uint64_t	 n = 0;

	if (imap_uidset_count(set, strlen(set), &n) == 0)
		fail_msg("\"%s\" taken as %llu UIDs", set,
		    (unsigned long long)n);
}

static void
test_uidset(void **state)
{
	(void)state;
	count_ok("41", 1);
	count_ok("1:5,7,300:400", 107);
	count_ok("9:3", 7);
	count_ok("1:4294967295", 4294967295ull);
	count_ok("4294967295:1,4294967295", 4294967296ull);
	count_bad("");
	count_bad("0");
	count_bad("01");
	count_bad("1:0");
	count_bad("1:");
	count_bad(":5");
	count_bad("1,,2");
	count_bad("1,");
	count_bad(",1");
	count_bad("1:*");
	count_bad("*");
	count_bad("4294967296");
	count_bad("99999999999999999999999");
	count_bad("12a");
	count_bad("-1");
	count_bad("1:2:3");
	count_bad("1;2");
}

/* A set as long as a response line may be, of the widest ranges: one
 * pass, nothing expanded, the sum right. */
static void
test_uidset_huge(void **state)
{
	const char	*range = "1:4294967295,";
	size_t		 i, n = 200000, rl = strlen(range);
	char		*s;

	(void)state;
	assert_non_null(s = malloc(n * rl + 1));
	for (i = 0; i < n; i++)
		memcpy(s + i * rl, range, rl);
	s[n * rl - 1] = '\0';	/* no trailing comma */
	count_ok(s, (uint64_t)n * 4294967295ull);
	s[n * rl - 1] = ',';
	s[n * rl] = '\0';
	count_bad(s);
	free(s);
}

static void
vanished_ok(const char *line, int want_earlier, uint64_t want)
{
	uint64_t	 n = 0;
	int		 earlier = -1;

	if (imap_vanished_parse(scan(line), &earlier, &n) == -1)
		fail_msg("\"%s\" refused", line);
	assert_int_equal(earlier, want_earlier);
	assert_true(n == want);
}

static void
vanished_bad(const char *line)
{
	uint64_t	 n = 0;
	int		 earlier = 0;

	if (imap_vanished_parse(scan(line), &earlier, &n) == 0)
		fail_msg("\"%s\" taken", line);
}

static void
test_vanished(void **state)
{
	struct imap	 s;
	struct account	 a;

	(void)state;
	vanished_ok("(EARLIER) 1:3,5", 1, 4);
	vanished_ok("(earlier) 300:310", 1, 11);
	vanished_ok("41", 0, 1);
	vanished_ok("  7:9  ", 0, 3);
	vanished_bad("");
	vanished_bad("(EARLIER)");
	vanished_bad("(EARLIER) ");
	vanished_bad("(LATER) 1");
	vanished_bad("(EARLIER 1");
	vanished_bad("(EARLIER) (1)");
	vanished_bad("((EARLIER)) 1");
	vanished_bad("1 2");
	vanished_bad("\"1\"");
	vanished_bad("(EARLIER) 1:*");
	vanished_bad("(EARLIER) 0:5");
	vanished_bad("(EARLIER) 1,2,x");
	vanished_bad("{3}");
	/* the session adds them up, saturating */
	memset(&s, 0, sizeof(s));
	memset(&a, 0, sizeof(a));
	s.acct = &a;
	assert_int_equal(imap_sync_vanished(&s, scan("(EARLIER) 1:10")), 0);
	assert_int_equal(imap_sync_vanished(&s, scan("20")), 0);
	assert_true(s.vanished == 11);
	s.vanished = UINT64_MAX - 1;
	assert_int_equal(imap_sync_vanished(&s, scan("1:9")), 0);
	assert_true(s.vanished == UINT64_MAX);
	assert_int_equal(imap_sync_vanished(&s, scan("1:x")), -1);
}

static void
modseq_is(const char *atom, int ok, uint64_t want)
{
	struct imap_tok	 t;
	uint64_t	 v = 0;

	assert_int_equal(imap_scan_next(scan(atom), &t), 0);
	if (!ok) {
		if (imap_modseq_parse(&t, &v) == 0)
			fail_msg("\"%s\" taken as %llu", atom,
			    (unsigned long long)v);
		return;
	}
	if (imap_modseq_parse(&t, &v) == -1)
		fail_msg("\"%s\" refused", atom);
	assert_true(v == want);
}

static void
test_modseq(void **state)
{
	(void)state;
	modseq_is("715194045007", 1, 715194045007ull);
	modseq_is("715194045007]", 1, 715194045007ull);
	modseq_is("1", 1, 1);
	modseq_is("9223372036854775807", 1, 9223372036854775807ull);
	modseq_is("9223372036854775808", 0, 0);
	modseq_is("18446744073709551616", 0, 0);
	modseq_is("0", 0, 0);
	modseq_is("007", 0, 0);
	modseq_is("]", 0, 0);
	modseq_is("12x", 0, 0);
	modseq_is("\"12\"", 0, 0);
}

static void
test_flags(void **state)
{
	int	 seen = -1;

	(void)state;
	assert_int_equal(imap_flags_seen(scan("\\Seen \\Flagged) MODSEQ (4)"),
	    &seen), 0);
	assert_int_equal(seen, 1);
	assert_int_equal(imap_flags_seen(scan("\\seen)"), &seen), 0);
	assert_int_equal(seen, 1);
	assert_int_equal(imap_flags_seen(scan("\\Answered $Junk Seen)"),
	    &seen), 0);
	assert_int_equal(seen, 0);
	assert_int_equal(imap_flags_seen(scan(")"), &seen), 0);
	assert_int_equal(seen, 0);
	assert_int_equal(imap_flags_seen(scan("\\Seen"), &seen), -1);
	assert_int_equal(imap_flags_seen(scan("(\\Seen))"), &seen), -1);
	assert_int_equal(imap_flags_seen(scan("\"\\Seen\")"), &seen), -1);
}

static void
test_status(void **state)
{
	struct imap	 s;
	struct account	 a;

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(&a, 0, sizeof(a));
	s.acct = &a;
	assert_int_equal(imap_sync_status(&s, scan("INBOX (UIDVALIDITY "
	    "1700000000 UIDNEXT 101 HIGHESTMODSEQ 9007199254740993)")), 0);
	assert_int_equal(s.status.got, 1);
	assert_int_equal(s.status.uidvalidity, 1700000000u);
	assert_int_equal(s.status.uidnext, 101);
	assert_true(s.status.modseq == 9007199254740993ull);
	/* quoted names, unknown items, any order */
	assert_int_equal(imap_sync_status(&s, scan("\"Lists/x y\" (MESSAGES "
	    "3 HIGHESTMODSEQ 5 X-ODD (a b) UIDNEXT 4 UIDVALIDITY 2)")), 0);
	assert_true(s.status.modseq == 5);
	assert_int_equal(s.status.uidnext, 4);
	assert_int_equal(s.status.uidvalidity, 2);
	/* garbage values: 0, never a skip */
	assert_int_equal(imap_sync_status(&s, scan("INBOX (UIDVALIDITY x "
	    "HIGHESTMODSEQ 0 UIDNEXT 99999999999)")), 0);
	assert_int_equal(s.status.got, 1);
	assert_true(s.status.modseq == 0);
	assert_int_equal(s.status.uidvalidity, 0);
	assert_int_equal(s.status.uidnext, 0);
	/* a broken answer is malformed, and no skip either */
	assert_int_equal(imap_sync_status(&s, scan("INBOX (UIDNEXT 4")), -1);
	assert_int_equal(s.status.got, 0);
	assert_int_equal(imap_sync_status(&s, scan("INBOX UIDNEXT 4")), -1);
	assert_int_equal(imap_sync_status(&s, scan("(UIDNEXT 4)")), -1);
	assert_int_equal(imap_sync_status(&s, scan("INBOX (UIDNEXT)")), -1);
}

static void
code(struct imap *s, const char *text, int want)
{
	struct imap_tok	 t;
	struct imap_scan *p = scan(text);

	assert_int_equal(imap_scan_next(p, &t), 0);
	assert_int_equal(imap_sync_resp_code(s, &t, p), want);
}

static void
test_resp_codes(void **state)
{
	struct imap	 s;
	struct account	 a;

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(&a, 0, sizeof(a));
	s.acct = &a;
	code(&s, "HIGHESTMODSEQ 715194045007] Highest", 1);
	assert_true(s.highestmodseq == 715194045007ull);
	code(&s, "UIDNEXT 4392] Predicted next UID", 1);
	assert_int_equal(s.uidnext, 4392);
	code(&s, "NOMODSEQ] Sorry, this mailbox format doesn't support "
	    "modsequences", 1);
	assert_true(s.highestmodseq == 0);
	code(&s, "HIGHESTMODSEQ 12] x", 1);
	code(&s, "HIGHESTMODSEQ -3] x", 1);
	assert_true(s.highestmodseq == 0);	/* garbage: NOMODSEQ */
	s.highestmodseq = 5;
	code(&s, "HIGHESTMODSEQ]", 1);
	assert_true(s.highestmodseq == 0);
	code(&s, "UIDNEXT x]", 1);
	assert_int_equal(s.uidnext, 0);
	code(&s, "UIDVALIDITY 3]", 0);
	code(&s, "READ-WRITE] ok", 0);
}

/* The session's hook: STATUS and VANISHED taken, the rest left. */
static void
test_untagged_hook(void **state)
{
	struct imap	 s;
	struct account	 a;
	struct imap_tok	 t;
	struct imap_scan *p;

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(&a, 0, sizeof(a));
	s.acct = &a;
	s.exists = 5;
	p = scan("STATUS INBOX (HIGHESTMODSEQ 9)");
	assert_int_equal(imap_scan_next(p, &t), 0);
	assert_int_equal(imap_sync_untagged(&s, &t, p), 1);
	assert_true(s.status.modseq == 9);
	p = scan("VANISHED 3:4");
	assert_int_equal(imap_scan_next(p, &t), 0);
	assert_int_equal(imap_sync_untagged(&s, &t, p), 1);
	assert_true(s.vanished == 2);
	/* like EXPUNGE, VANISHED lowers the count (imap.c: new mail after
	 * our expunge must not look like old news); EARLIER does not */
	assert_int_equal(s.exists, 3);
	p = scan("VANISHED (EARLIER) 1:2");
	assert_int_equal(imap_scan_next(p, &t), 0);
	assert_int_equal(imap_sync_untagged(&s, &t, p), 1);
	assert_int_equal(s.exists, 3);
	p = scan("VANISHED 1:9");
	assert_int_equal(imap_scan_next(p, &t), 0);
	assert_int_equal(imap_sync_untagged(&s, &t, p), 1);
	assert_int_equal(s.exists, 0);
	p = scan("VANISHED (EARLIER) x");
	assert_int_equal(imap_scan_next(p, &t), 0);
	assert_int_equal(imap_sync_untagged(&s, &t, p), -1);
	p = scan("ESEARCH (TAG \"a1\") UID ALL 1:3");
	assert_int_equal(imap_scan_next(p, &t), 0);
	assert_int_equal(imap_sync_untagged(&s, &t, p), 0);
}

static int
teardown(void **state)
{
	(void)state;
	imap_resp_free(&r);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uidset),
		cmocka_unit_test(test_uidset_huge),
		cmocka_unit_test(test_vanished),
		cmocka_unit_test(test_modseq),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_resp_codes),
		cmocka_unit_test(test_untagged_hook),
	};

	imap_resp_init(&r);
	return cmocka_run_group_tests(tests, NULL, teardown);
}

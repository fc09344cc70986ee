/* SPDX-License-Identifier: ISC */
/*
 * test_rules_cond.c - every condition (rules/cond*.c) on real message
 * text, and what they see of a message (rules/view.c, body.c, html.c):
 * decoded headers, both forms of addresses, the body of each kind of
 * part, attachments, sizes, ages, defects, and the combinators.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"
#include "rules/rules.h"

/* 2026-11-30 12:00:00 UTC */
#define NOW	1796040000

static const char plain_msg[] =
    "From: =?utf-8?Q?J=C3=BCrgen_M=C3=BCller?= <j.mueller@example.de>\n"
    "To: Jane Doe <jane@example.org>, bob@example.net,\n"
    "  team: carol@example.com, dave@example.com;\n"
    "Cc: <cc-only@example.com>\n"
    "Sender: owner-list@lists.example.org\n"
    "Subject: =?iso-8859-1?Q?Gr=FC=DFe?= from the team\n"
    "X-Tag: first\n"
    "X-Tag: =?utf-8?B?c8OpY29uZA==?=\n"
    "Date: Sat, 28 Nov 2026 12:00:00 +0000\n"
    "Message-ID: <m1@example.de>\n"
    "\n"
    "Hello Jane,\n"
    "the meeting is on Tuesday.\n"
    "-- \n"
    "J\n";

/* Verdict of a one-rule file whose when: is cond, on msg. */
static int
eval_cond_in(const char *cond, const char *msg, size_t msglen,
    const char *account, const char *folder, time_t arrival)
{
	struct rule_set		*set;
	struct rule_plan	*plan;
	struct mime_message	*m;
	struct rule_input	 in;
	char			 yaml[4096], err[1024];
	int			 v;

	snprintf(yaml, sizeof(yaml), "rules:\n  - name: r\n    when: %s\n"
	    "    do: keep\n", cond);
	set = rule_set_load_buffer("t.yaml", yaml, strlen(yaml), 0, err,
	    sizeof(err));
	if (set == NULL)
		fail_msg("%s", err);
	m = mime_message_parse(msg, msglen, NULL);
	assert_non_null(m);
	memset(&in, 0, sizeof(in));
	in.msg = m;
	in.size = msglen;
	in.account = account;
	in.folder = folder;
	in.now = NOW;
	in.arrival = arrival;
	plan = rule_set_eval(set, &in, NULL, NULL);
	assert_non_null(plan);
	v = rule_plan_verdict(plan, 0);
	assert_true(v == RULE_VERDICT_MATCH || v == RULE_VERDICT_NO_MATCH);
	rule_plan_free(plan);
	mime_message_free(m);
	rule_set_free(set);
	return v == RULE_VERDICT_MATCH;
}

static int
holds(const char *cond, const char *msg)
{
	return eval_cond_in(cond, msg, strlen(msg), "work", "INBOX", 0);
}

static void
test_header(void **state)
{
	(void)state;
	assert_true(holds("{ header: { name: X-Tag, match: '^first$' } }",
	    plain_msg));
	/* Every occurrence, decoded. */
	assert_true(holds("{ header: { name: X-Tag, match: '^s\xc3\xa9"
	    "cond$' } }", plain_msg));
	/* Names are case-insensitive. */
	assert_true(holds("{ header: { name: x-tag, match: first } }",
	    plain_msg));
	assert_false(holds("{ header: { name: X-Tag, match: third } }",
	    plain_msg));
	assert_false(holds("{ header: { name: X-None, match: '' } }",
	    plain_msg));
	/* Folded values are unfolded. */
	assert_true(holds("{ header: { name: To, match: 'net, +team: carol' }"
	    " }", plain_msg));
}

static void
test_subject(void **state)
{
	(void)state;
	assert_true(holds("{ subject: '^Gr\xc3\xbc\xc3\x9f" "e from' }",
	    plain_msg));
	assert_false(holds("{ subject: 'Gr=FC' }", plain_msg));
	/* Negated classes on multi-byte characters: PCRE2 10.42's JIT gets
	 * them wrong with PCRE2_MATCH_INVALID_UTF (its issue #224). */
	assert_true(holds("{ subject: 'Gr\\W' }", plain_msg));
	assert_true(holds("{ subject: 'Gr\\S\\D\\S\\W' }", plain_msg));
	assert_true(holds("{ subject: '^\\w+ from' }", "Subject: abc from\n\nx\n"));
	/* No Subject: the empty string. */
	assert_true(holds("{ subject: '^$' }", "From: a@b.c\n\nbody\n"));
}

static void
test_from_forms(void **state)
{
	(void)state;
	/* Bare address, anchored at its end. */
	assert_true(holds("{ from: '@example\\.de$' }", plain_msg));
	/* Full form with the decoded name. */
	assert_true(holds("{ from: '^J\xc3\xbcrgen M\xc3\xbcller "
	    "<j\\.mueller@' }", plain_msg));
	assert_true(holds("{ from: '(?i)m\xc3\xbcller' }", plain_msg));
	assert_true(holds("{ from: '^j\\.mueller@example\\.de$' }",
	    plain_msg));
	assert_false(holds("{ from: 'jane' }", plain_msg));
	/* Without a name: "<addr>". */
	assert_true(holds("{ cc: '^<cc-only@example\\.com>$' }", plain_msg));
	assert_false(holds("{ from: x }", "To: a@b.c\n\nno from\n"));
}

static void
test_to_cc_recipient_sender(void **state)
{
	(void)state;
	/* Each address of the list on its own, groups included. */
	assert_true(holds("{ to: '^Jane Doe <jane@example\\.org>$' }",
	    plain_msg));
	assert_true(holds("{ to: '^bob@example\\.net$' }", plain_msg));
	assert_true(holds("{ to: '^dave@' }", plain_msg));
	assert_false(holds("{ to: 'jane.*bob' }", plain_msg));
	assert_false(holds("{ to: cc-only }", plain_msg));
	assert_true(holds("{ cc: cc-only }", plain_msg));
	assert_false(holds("{ cc: jane }", plain_msg));
	assert_true(holds("{ recipient: cc-only }", plain_msg));
	assert_true(holds("{ recipient: '^carol@' }", plain_msg));
	assert_false(holds("{ recipient: mueller }", plain_msg));
	assert_true(holds("{ sender: '^owner-' }", plain_msg));
	assert_false(holds("{ sender: jane }", plain_msg));
}

static const char mixed_msg[] =
    "From: a@example.com\n"
    "Subject: files\n"
    "Content-Type: multipart/mixed; boundary=XX\n"
    "\n"
    "--XX\n"
    "Content-Type: multipart/alternative; boundary=YY\n"
    "\n"
    "--YY\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Gr=FC=DFe aus M=FCnchen,=\n"
    " soft break joined.\n"
    "Second line\r\n"
    "--YY\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<p>only in html</p>\n"
    "--YY--\n"
    "--XX\n"
    "Content-Type: application/pdf\n"
    "Content-Disposition: attachment;\n"
    " filename*=UTF-8''Rechnung%20%C3%BCber.pdf\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "JVBERi0xLjQKJSBzYW1wbGUK\n"
    "--XX\n"
    "Content-Type: application/zip; name=\"big.zip\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "UEsDBAoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
    "UEsDBAoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
    "--XX\n"
    "Content-Type: text/plain\n"
    "Content-Disposition: attachment; filename=notes.txt\n"
    "\n"
    "attached text is not body\n"
    "--XX--\n";

static void
test_body_plain_alternative(void **state)
{
	(void)state;
	/* Quoted-printable and iso-8859-1 decoded to UTF-8. */
	assert_true(holds("{ body: 'Gr\xc3\xbc\xc3\x9f" "e aus M\xc3\xbcnchen,"
	    " soft break joined\\.$' }", mixed_msg));
	/* Line ends are LF, ^ and $ work per line. */
	assert_true(holds("{ body: '^Second line$' }", mixed_msg));
	/* One alternative: the text/plain one. */
	assert_false(holds("{ body: 'only in html' }", mixed_msg));
	/* Attachments are not body text. */
	assert_false(holds("{ body: 'attached text' }", mixed_msg));
}

static void
test_body_html(void **state)
{
	static const char html[] =
	    "Content-Type: text/html; charset=utf-8\n"
	    "\n"
	    "<html><head><style>p { color: red }</style>\n"
	    "<script>var secret = 1;</script></head>\n"
	    "<body><p>Caf&eacute; &amp; <b>Bar</b>&#8364;&#x41;</p>\n"
	    "<!-- hidden comment --><div>Next\n   line</div>"
	    "<a href=\"x>y\">link</a> 1 &lt; 2</body></html>\n";

	(void)state;
	assert_true(holds("{ body: '&eacute; & Bar\xe2\x82\xac" "A$' }", html));
	assert_true(holds("{ body: '^Next line$' }", html));
	assert_true(holds("{ body: '^link 1 < 2$' }", html));
	assert_false(holds("{ body: 'secret|color|hidden|<p>|href' }", html));
}

static void
test_body_base64_and_invalid_utf8(void **state)
{
	static const char b64[] =
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "aGVsbG8g/yB3b3JsZA==\n";	/* "hello \xff world" */
	static const char raw[] =
	    "Content-Type: text/plain; charset=utf-8\n"
	    "\n"
	    "bad \xc3\x28 bytes \xed\xa0\x80 here\n";

	(void)state;
	/* Invalid UTF-8 becomes U+FFFD; matching goes on. */
	assert_true(holds("{ body: '^hello \xef\xbf\xbd world$' }", b64));
	assert_true(holds("{ body: 'world' }", b64));
	assert_true(holds("{ body: 'bytes .* here' }", raw));
	assert_true(holds("{ body: '^bad .\\(' }", raw));
	assert_false(holds("{ body: 'nothing' }", raw));
}

static void
test_attachment(void **state)
{
	(void)state;
	/* RFC 2231 file name, decoded. */
	assert_true(holds("{ attachment: { filename: '^Rechnung \xc3\xbc"
	    "ber\\.pdf$' } }", mixed_msg));
	/* Content-Type name is a file name too. */
	assert_true(holds("{ attachment: { filename: '^big\\.zip$' } }",
	    mixed_msg));
	assert_true(holds("{ attachment: { type: '^application/pdf$' } }",
	    mixed_msg));
	/* The attached text/plain counts, the body text does not. */
	assert_true(holds("{ attachment: { filename: notes } }", mixed_msg));
	assert_false(holds("{ attachment: { type: html } }", mixed_msg));
	assert_true(holds("{ attachment: {} }", mixed_msg));
	assert_false(holds("{ attachment: {} }", plain_msg));
	/* Decoded sizes: the pdf is 18 bytes, the zip 108. */
	assert_true(holds("{ attachment: { type: pdf, size: '= 18' } }",
	    mixed_msg));
	assert_true(holds("{ attachment: { size: '> 100' } }", mixed_msg));
	assert_true(holds("{ attachment: { size: '>= 108' } }", mixed_msg));
	assert_false(holds("{ attachment: { size: '> 108' } }", mixed_msg));
	assert_true(holds("{ attachment: { size: '< 19' } }", mixed_msg));
	/* Every key must hold for the same attachment. */
	assert_false(holds("{ attachment: { type: pdf, size: '> 100' } }",
	    mixed_msg));
	assert_false(holds("{ attachment: { filename: zip, type: pdf } }",
	    mixed_msg));
}

static void
test_size(void **state)
{
	char	*big;

	(void)state;
	assert_true(holds("{ size: '< 1K' }", plain_msg));
	assert_false(holds("{ size: '> 1K' }", plain_msg));
	assert_true(holds("{ size: '> 100' }", plain_msg));
	big = malloc(6 * 1024 * 1024);
	assert_non_null(big);
	memset(big, 'a', 6 * 1024 * 1024);
	memcpy(big, "Subject: big\n\n", 14);
	assert_true(eval_cond_in("{ size: '> 5M' }", big, 6 * 1024 * 1024,
	    NULL, NULL, 0));
	assert_false(eval_cond_in("{ size: '> 6M' }", big, 6 * 1024 * 1024,
	    NULL, NULL, 0));
	free(big);
}

static void
test_age(void **state)
{
	(void)state;
	/* Date is two days before NOW. */
	assert_true(holds("{ age: '> 1d' }", plain_msg));
	assert_true(holds("{ age: '< 3d' }", plain_msg));
	assert_true(holds("{ age: '= 48h' }", plain_msg));
	assert_false(holds("{ age: '> 2d' }", plain_msg));
	/* The arrival time, when known, wins over Date. */
	assert_true(eval_cond_in("{ age: '> 30d' }", plain_msg,
	    strlen(plain_msg), NULL, NULL, NOW - 40 * 86400));
	/* Without a valid Date: 0 seconds old. */
	assert_true(holds("{ age: '< 1s' }", "Date: yesterday\n\nx\n"));
	assert_true(holds("{ age: '< 1s' }", "Subject: x\n\nx\n"));
}

static void
test_account_folder(void **state)
{
	(void)state;
	assert_true(holds("{ account: '^work$' }", plain_msg));
	assert_true(holds("{ folder: '^INBOX$' }", plain_msg));
	assert_false(holds("{ folder: Archive }", plain_msg));
	assert_true(eval_cond_in("{ account: '^$' }", plain_msg,
	    strlen(plain_msg), NULL, NULL, 0));
	assert_true(eval_cond_in("{ folder: '^$' }", plain_msg,
	    strlen(plain_msg), NULL, NULL, 0));
}

static void
test_defect(void **state)
{
	static const char unclosed[] =
	    "Content-Type: multipart/mixed; boundary=B\n\n--B\n\nx\n";
	static const char badb64[] =
	    "Content-Type: application/octet-stream\n"
	    "Content-Disposition: attachment; filename=x.bin\n"
	    "Content-Transfer-Encoding: base64\n\nQUJD*#!REVG\n";
	static const char badword[] =
	    "Subject: =?x-nonesuch?Q?abc?=\n\nx\n";

	(void)state;
	assert_true(holds("{ defect: no-end-boundary }", unclosed));
	assert_true(holds("{ defect: any }", unclosed));
	assert_false(holds("{ defect: bad-base64 }", unclosed));
	/* Found by decoding, not by the parser. */
	assert_true(holds("{ defect: bad-base64 }", badb64));
	assert_true(holds("{ defect: unknown-charset }", badword));
	assert_false(holds("{ defect: any }", plain_msg));
	assert_false(holds("{ defect: any }", mixed_msg));
}

static void
test_combinators(void **state)
{
	(void)state;
	assert_true(holds("{ all: [ { from: mueller }, { to: jane } ] }",
	    plain_msg));
	assert_false(holds("{ all: [ { from: mueller }, { to: nobody } ] }",
	    plain_msg));
	assert_true(holds("{ any: [ { from: nobody }, { to: jane } ] }",
	    plain_msg));
	assert_false(holds("{ any: [ { from: nobody }, { to: nobody } ] }",
	    plain_msg));
	assert_true(holds("{ not: { from: nobody } }", plain_msg));
	assert_false(holds("{ not: { from: mueller } }", plain_msg));
	/* A list and a mapping of several keys are an implicit all. */
	assert_true(holds("[ { from: mueller }, { to: jane } ]", plain_msg));
	assert_false(holds("[ { from: mueller }, { to: nobody } ]", plain_msg));
	assert_true(holds("{ from: mueller, to: jane }", plain_msg));
	assert_false(holds("{ from: mueller, to: nobody }", plain_msg));
	/* Nested freely. */
	assert_true(holds("{ any: [ { not: { any: [ { from: mueller } ] } },"
	    " { all: [ { subject: team }, { not: { cc: jane } } ] } ] }",
	    plain_msg));
}

static void
test_hostile_message(void **state)
{
	char	*msg, *p;
	int	 i;

	(void)state;
	/* Thousands of alternatives and headers: linear, no crash. */
	msg = malloc(400000);
	assert_non_null(msg);
	p = msg + sprintf(msg, "Content-Type: multipart/alternative; "
	    "boundary=Q\n\n");
	for (i = 0; i < 5000; i++)
		p += sprintf(p, "--Q\nContent-Type: text/html\n\n<b>x%d\n", i);
	sprintf(p, "--Q\nContent-Type: text/plain\n\nplain one\n--Q--\n");
	assert_false(holds("{ body: 'plain one' }", msg));
	assert_true(holds("{ body: '^x0$' }", msg));
	assert_false(holds("{ body: 'x4999' }", msg));
	free(msg);
}

/*
 * 999 Received fields on which (a+)+$ needs about 600000 steps each (a
 * limit is a million), then one of z.  Each field used to get a full
 * limit: 600 million steps, no warning.  They share the regex's budget
 * now: the first one's share runs out, the regex is reported and not
 * run again; a sane regex still looks at all 1000 and finds the last.
 */
static void
many_fields(unsigned flags)
{
	struct rule_set		*set;
	struct rule_plan	*plan;
	struct mime_message	*m;
	struct rule_input	 in;
	char			*msg, *p, want[256], err[1024];
	static const char	 yaml[] =
	    "rules:\n"
	    "  - { name: evil, when: { header: { name: Received, match: "
	    "'^(a+)+$' } }, do: discard }\n"
	    "  - { name: fine, when: { header: { name: Received, match: "
	    "'^z+$' } }, do: keep }\n";
	size_t			 i;

	set = rule_set_load_buffer("t.yaml", yaml, strlen(yaml), flags, err,
	    sizeof(err));
	if (set == NULL)
		fail_msg("%s", err);
	assert_non_null(msg = malloc(1000 * 40 + 64));
	p = msg;
	for (i = 0; i < 999; i++)
		p += sprintf(p, "Received: aaaaaaaaaaaaaaaaaab\n");
	p += sprintf(p, "Received: zzz\n\nbody\n");
	assert_non_null(m = mime_message_parse(msg, (size_t)(p - msg), NULL));
	memset(&in, 0, sizeof(in));
	in.msg = m;
	in.size = (size_t)(p - msg);
	in.now = NOW;
	assert_non_null(plan = rule_set_eval(set, &in, NULL, NULL));
	assert_int_equal(rule_plan_verdict(plan, 0), RULE_VERDICT_NO_MATCH);
	assert_int_equal(rule_plan_verdict(plan, 1), RULE_VERDICT_MATCH);
	assert_int_equal(rule_plan_warning_count(plan), 1);
	snprintf(want, sizeof(want), "t.yaml:2:27: rule 'evil': regex hit a "
	    "PCRE2 limit on Received (%d steps, its share of the %d one "
	    "regex may take on a message); counted as no match",
	    10 * RULE_MATCH_LIMIT / 1000, 10 * RULE_MATCH_LIMIT);
	assert_string_equal(rule_plan_warning(plan, 0), want);
	rule_plan_free(plan);
	mime_message_free(m);
	free(msg);
	rule_set_free(set);
}

static void
test_header_budget(void **state)
{
	(void)state;
	many_fields(0);
	many_fields(RULE_LOAD_NO_JIT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_from_forms),
		cmocka_unit_test(test_to_cc_recipient_sender),
		cmocka_unit_test(test_body_plain_alternative),
		cmocka_unit_test(test_body_html),
		cmocka_unit_test(test_body_base64_and_invalid_utf8),
		cmocka_unit_test(test_attachment),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_age),
		cmocka_unit_test(test_account_folder),
		cmocka_unit_test(test_defect),
		cmocka_unit_test(test_combinators),
		cmocka_unit_test(test_hostile_message),
		cmocka_unit_test(test_header_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: ISC */
/*
 * test_rules_template.c - templates (rules/template.c) in their three
 * modes, with the pieces they stand on: dates (rules/date.c), sizes,
 * durations and comparisons (rules/units.c), HTML text (rules/html.c).
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
#include "rules/arena.h"
#include "rules/date.h"
#include "rules/html.h"
#include "rules/template.h"
#include "rules/units.h"
#include "rules/view.h"

#define NOW	1796040000	/* 2026-11-30 12:00:00 UTC */

static const char msg_text[] =
    "From: =?utf-8?Q?Zo=C3=AB?= <zoe@mail.example.org>\n"
    "To: \"Support, Team\" <help@example.net>, x@y.z\n"
    "Subject: Order #12 / Q3\n"
    "Date: Mon, 30 Nov 2026 01:30:00 +0200\n"
    "Message-ID: <abc.123@example.org>\n"
    "\n"
    "body\n";

struct env {
	struct mime_message	*msg;
	struct rule_input	 in;
	struct rule_arena	 arena;
	struct rule_view	 view;
	struct rule_span	 caps[2];
	struct rule_tpl_env	 tenv;
};

static void
env_open(struct env *e, const char *msg)
{
	memset(e, 0, sizeof(*e));
	e->msg = mime_message_parse(msg, strlen(msg), NULL);
	assert_non_null(e->msg);
	e->in.msg = e->msg;
	e->in.size = strlen(msg);
	e->in.account = "work";
	e->in.folder = "INBOX/Sub";
	e->in.now = NOW;
	rule_arena_init(&e->arena);
	assert_int_equal(rule_view_init(&e->view, &e->in, 0, &e->arena), 0);
	e->caps[0].p = "../secret\x01";
	e->caps[0].len = 10;
	e->caps[1].p = NULL;
	e->tenv.view = &e->view;
	e->tenv.caps = e->caps;
	e->tenv.ncaps = 2;
}

static void
env_close(struct env *e)
{
	rule_view_free(&e->view);
	rule_arena_free(&e->arena);
	mime_message_free(e->msg);
}

static const char *const capnames[] = { "ref", "unset" };

/* Expand tpl in mode against msg and compare with want. */
static void
expands(const char *msg, enum rule_tpl_mode mode, const char *tpl,
    const char *want)
{
	struct rule_template	*t;
	struct mime_buf		 out;
	struct env		 e;
	const char		*got;
	size_t			 off;
	char			 err[512];

	t = rule_template_parse(tpl, strlen(tpl), mode, capnames, 2, &off,
	    err, sizeof(err));
	if (t == NULL)
		fail_msg("'%s': %s", tpl, err);
	env_open(&e, msg);
	mime_buf_init(&out);
	assert_int_equal(rule_template_expand(t, &e.tenv, &out), 0);
	got = out.data != NULL ? out.data : "";	/* nothing appended */
	if (strcmp(got, want) != 0)
		fail_msg("'%s' gave '%s', not '%s'", tpl, got, want);
	assert_string_equal(rule_template_source(t), tpl);
	mime_buf_free(&out);
	env_close(&e);
	rule_template_free(t);
}

static void
refused(const char *tpl, enum rule_tpl_mode mode, size_t want_off,
    const char *want)
{
	struct rule_template	*t;
	size_t			 off;
	char			 err[512];

	t = rule_template_parse(tpl, strlen(tpl), mode, capnames, 2, &off,
	    err, sizeof(err));
	if (t != NULL) {
		rule_template_free(t);
		fail_msg("'%s' parsed", tpl);
	}
	assert_int_equal(off, want_off);
	if (strstr(err, want) == NULL)
		fail_msg("'%s': error '%s' lacks '%s'", tpl, err, want);
}

static void
test_fields(void **state)
{
	(void)state;
	expands(msg_text, RULE_TPL_TEXT, "{subject}", "Order #12 / Q3");
	expands(msg_text, RULE_TPL_TEXT, "{from.address}",
	    "zoe@mail.example.org");
	expands(msg_text, RULE_TPL_TEXT, "{from.name}", "Zo\xc3\xab");
	expands(msg_text, RULE_TPL_TEXT, "{from.domain}", "mail.example.org");
	expands(msg_text, RULE_TPL_TEXT, "{to.address}", "help@example.net");
	expands(msg_text, RULE_TPL_TEXT, "{to.name}", "Support, Team");
	expands(msg_text, RULE_TPL_TEXT, "{to.domain}", "example.net");
	expands(msg_text, RULE_TPL_TEXT, "{account}/{folder}",
	    "work/INBOX/Sub");
	expands(msg_text, RULE_TPL_TEXT, "<{message_id}>",
	    "<abc.123@example.org>");
	expands(msg_text, RULE_TPL_TEXT, "[{match.ref}][{match.unset}]",
	    "[../secret\x01][]");
	expands(msg_text, RULE_TPL_TEXT, "plain text", "plain text");
	expands(msg_text, RULE_TPL_TEXT, "", "");
	expands(msg_text, RULE_TPL_TEXT, "{{literal}} {{{subject}}}",
	    "{literal} {Order #12 / Q3}");
	/* Missing headers give "". */
	expands("X: y\n\nz\n", RULE_TPL_TEXT,
	    "[{subject}][{from.address}][{from.domain}][{to.name}]"
	    "[{message_id}]", "[][][][][]");
}

static void
test_dates(void **state)
{
	(void)state;
	/* The Date header in its own zone (+0200). */
	expands(msg_text, RULE_TPL_TEXT, "{date}", "2026-11-30");
	expands(msg_text, RULE_TPL_TEXT, "{date:%Y/%m/%d %H:%M %z}",
	    "2026/11/30 01:30 +0200");
	expands(msg_text, RULE_TPL_TEXT, "{date:%a %b %j %%}",
	    "Mon Nov 334 %");
	/* No usable Date: the evaluation's time, in UTC. */
	expands("Date: garbage\n\nx\n", RULE_TPL_TEXT, "{date:%F %T}",
	    "2026-11-30 12:00:00");
	expands("Subject: x\n\nx\n", RULE_TPL_TEXT, "{date}", "2026-11-30");
	/* In a path, the date's own '/' are made safe too. */
	expands(msg_text, RULE_TPL_PATH, "d/{date:%D}", "d/11_30_26");
}

static void
test_path_mode(void **state)
{
	static const char hostile[] =
	    "From: \"..\" <a@..>\n"
	    "To: \"\\\\\\\\server\\\\share\" <b@.hidden>\n"
	    "Subject: =?utf-8?B?Li4vLi4vZXRjL3Bhc3N3ZA==?=\n"	/* ../../etc/passwd */
	    "\n"
	    "x\n";

	(void)state;
	/* Literal text is the rule author's; values are one component. */
	expands(msg_text, RULE_TPL_PATH, "~/mail/{from.domain}/{subject}",
	    "~/mail/mail.example.org/Order #12 _ Q3");
	expands(hostile, RULE_TPL_PATH, "{subject}", "_._.__etc_passwd");
	expands(hostile, RULE_TPL_PATH, "{from.name}", "_.");
	expands(hostile, RULE_TPL_PATH, "{from.domain}", "_.");
	expands(hostile, RULE_TPL_PATH, "{to.domain}", "_hidden");
	expands(hostile, RULE_TPL_PATH, "{to.name}", "__server_share");
	/* Control characters dropped; empty values become "_". */
	expands(msg_text, RULE_TPL_PATH, "{match.ref}", "_._secret");
	expands(msg_text, RULE_TPL_PATH, "a/{match.unset}/b", "a/_/b");
	expands("X: y\n\nz\n", RULE_TPL_PATH, "{from.domain}", "_");
}

static void
test_path_component_cut(void **state)
{
	struct mime_buf	 out;
	char		 in[600];
	size_t		 i;

	(void)state;
	/* 300 two-byte characters: cut at 200 bytes, on a boundary. */
	for (i = 0; i < 300; i++)
		memcpy(in + 2 * i, "\xc3\xa9", 2);
	mime_buf_init(&out);
	assert_int_equal(rule_tpl_append_value(RULE_TPL_PATH, in, 600, &out),
	    0);
	assert_int_equal(out.len, RULE_TPL_COMPONENT_MAX);
	assert_true(mime_utf8_valid(out.data, out.len));
	/* One byte shifts the boundary: still cut on it. */
	mime_buf_reset(&out);
	in[0] = 'x';
	for (i = 0; i < 299; i++)
		memcpy(in + 1 + 2 * i, "\xc3\xa9", 2);
	assert_int_equal(rule_tpl_append_value(RULE_TPL_PATH, in, 599, &out),
	    0);
	assert_true(out.len <= RULE_TPL_COMPONENT_MAX);
	assert_true(out.len >= RULE_TPL_COMPONENT_MAX - 1);
	assert_true(mime_utf8_valid(out.data, out.len));
	mime_buf_free(&out);
}

static void
test_arg_mode(void **state)
{
	static const char dash[] =
	    "From: \"-x\" <a@example.org>\n"
	    "Subject: -o/tmp/x\n"
	    "\n"
	    "x\n";
	struct mime_buf	 out;
	char		 in[5001];
	size_t		 i;

	(void)state;
	/* A value first in the argument never begins it with '-'... */
	expands(dash, RULE_TPL_ARG, "{subject}", "_o/tmp/x");
	expands(dash, RULE_TPL_ARG, "{match.unset}{from.name}{subject}",
	    "_x-o/tmp/x");
	expands(dash, RULE_TPL_ARG, "{from.name}", "_x");
	/* ...the rule author's literal text is kept, options too. */
	expands(dash, RULE_TPL_ARG, "-t", "-t");
	expands(dash, RULE_TPL_ARG, "--file={subject}", "--file=-o/tmp/x");
	expands(dash, RULE_TPL_ARG, "a {subject}", "a -o/tmp/x");
	expands(dash, RULE_TPL_ARG, "{{{subject}", "{-o/tmp/x");
	expands(msg_text, RULE_TPL_ARG, "{subject}", "Order #12 / Q3");
	/* one line, as LINE */
	expands(msg_text, RULE_TPL_ARG, "{match.ref}", "../secret ");
	refused("a\tb", RULE_TPL_ARG, 1, "control character");
	/* A value is cut, on a UTF-8 boundary. */
	in[0] = 'x';
	for (i = 0; i < 2500; i++)
		memcpy(in + 1 + 2 * i, "\xc3\xa9", 2);
	mime_buf_init(&out);
	assert_int_equal(rule_tpl_append_value(RULE_TPL_ARG, in, sizeof(in),
	    &out), 0);
	assert_int_equal(out.len, RULE_TPL_ARG_VALUE_MAX - 1);
	assert_true(mime_utf8_valid(out.data, out.len));
	mime_buf_free(&out);
}

static void
test_utf8_cut(void **state)
{
	(void)state;
	assert_int_equal(rule_tpl_utf8_cut("abc", 3, 5), 3);
	assert_int_equal(rule_tpl_utf8_cut("abc", 3, 2), 2);
	assert_int_equal(rule_tpl_utf8_cut("a\xc3\xa9", 3, 2), 1);
	assert_int_equal(rule_tpl_utf8_cut("a\xf0\x9f\x98\x80", 5, 4), 1);
	assert_int_equal(rule_tpl_utf8_cut("a\xf0\x9f\x98\x80", 5, 2), 1);
	/* not UTF-8: cut where asked rather than to nothing */
	assert_int_equal(rule_tpl_utf8_cut("\x80\x80\x80\x80\x80\x80", 6,
	    5), 5);
	assert_int_equal(rule_tpl_utf8_cut("", 0, 0), 0);
}

/* Every component of a path fits NAME_MAX, however many fields it
 * joins; a file name keeps its extension. */
static void
test_path_names_cut(void **state)
{
	struct rule_template	*t;
	struct mime_buf		 out;
	struct env		 e;
	char			 msg[1024], want[512], tpl[512];
	const char		*c, *slash, *src = "~/m/{from.domain}-{subject}"
				    ".mbox/x";
	size_t			 i, off, len;

	(void)state;
	off = (size_t)snprintf(msg, sizeof(msg), "From: a@");
	for (i = 0; i < 30; i++)
		off += (size_t)snprintf(msg + off, sizeof(msg) - off,
		    "label%03zu.", i);
	off += (size_t)snprintf(msg + off, sizeof(msg) - off,
	    "org\nSubject: ");
	for (i = 0; i < 120; i++)
		off += (size_t)snprintf(msg + off, sizeof(msg) - off,
		    "\xc3\xa9");
	snprintf(msg + off, sizeof(msg) - off, "\n\nx\n");
	/* 200 + 1 + 200 + 5 bytes: cut before ".mbox" (on a boundary) */
	t = rule_template_parse(src, strlen(src),
	    RULE_TPL_PATH, capnames, 2, &off, want, sizeof(want));
	assert_non_null(t);
	env_open(&e, msg);
	mime_buf_init(&out);
	assert_int_equal(rule_template_expand(t, &e.tenv, &out), 0);
	assert_int_equal(strncmp(out.data, "~/m/label000.label001.", 22), 0);
	for (c = out.data; c != NULL; c = slash != NULL ? slash + 1 : NULL) {
		slash = strchr(c, '/');
		len = slash != NULL ? (size_t)(slash - c) : strlen(c);
		assert_true(len <= RULE_TPL_NAME_MAX);
		assert_true(mime_utf8_valid(c, len));
	}
	c = strstr(out.data, ".mbox/x");
	assert_non_null(c);
	assert_int_equal(c + 5 - (out.data + 4), RULE_TPL_NAME_MAX);
	assert_string_equal(c - 2, "\xc3\xa9.mbox/x");
	mime_buf_free(&out);
	env_close(&e);
	rule_template_free(t);
	/* a component of exactly NAME_MAX is left alone; an extension
	 * longer than RULE_TPL_EXT_MAX is not one */
	memset(want, 'a', RULE_TPL_NAME_MAX);
	want[RULE_TPL_NAME_MAX] = '\0';
	expands(msg_text, RULE_TPL_PATH, want, want);
	memset(tpl, 'b', 300);
	tpl[RULE_TPL_NAME_MAX - RULE_TPL_EXT_MAX - 1] = '.';
	memcpy(tpl + 300, "/{{x}}", 7);
	memcpy(want, tpl, RULE_TPL_NAME_MAX);
	memcpy(want + RULE_TPL_NAME_MAX, "/{x}", 5);
	expands(msg_text, RULE_TPL_PATH, tpl, want);
	/* A folder is cut whole, and not left ending in '/'. */
	expands(msg_text, RULE_TPL_FOLDER, "A/{subject}", "A/Order #12 _ Q3");
	memset(tpl, 'c', RULE_TPL_FOLDER_MAX - 1);
	memcpy(tpl + RULE_TPL_FOLDER_MAX - 1, "/{subject}", 11);
	memcpy(want, tpl, RULE_TPL_FOLDER_MAX - 1);
	want[RULE_TPL_FOLDER_MAX - 1] = '\0';
	expands(msg_text, RULE_TPL_FOLDER, tpl, want);
}

static void
test_line_and_text_modes(void **state)
{
	struct mime_buf	 out;

	(void)state;
	mime_buf_init(&out);
	assert_int_equal(rule_tpl_append_value(RULE_TPL_LINE,
	    "a\r\nBcc: x\tz\x7f", 12, &out), 0);
	assert_string_equal(out.data, "a  Bcc: x z ");
	assert_null(memchr(out.data, '\r', out.len));
	mime_buf_reset(&out);
	/* Text keeps line breaks, drops NULs (the plan hands out C
	 * strings). */
	assert_int_equal(rule_tpl_append_value(RULE_TPL_TEXT, "a\r\n\0b\0", 6,
	    &out), 0);
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "a\r\nb", 4);
	mime_buf_free(&out);
	expands(msg_text, RULE_TPL_LINE, "Re: {subject}", "Re: Order #12 / Q3");
	expands(msg_text, RULE_TPL_LINE, "{match.ref}", "../secret ");
}

static void
test_parse_errors(void **state)
{
	(void)state;
	refused("x{subjekt}", RULE_TPL_TEXT, 2,
	    "unknown template field '{subjekt}'");
	refused("{ subject }", RULE_TPL_TEXT, 1, "unknown template field");
	refused("{}", RULE_TPL_TEXT, 1, "unknown template field '{}'");
	refused("ab{subject", RULE_TPL_TEXT, 2, "unclosed '{'");
	refused("{sub{ject}", RULE_TPL_TEXT, 0, "unclosed '{'");
	refused("a}b", RULE_TPL_TEXT, 1, "unmatched '}'");
	refused("{match.nope}", RULE_TPL_TEXT, 1,
	    "no regex of this rule has a capture group named 'nope'");
	refused("{match.}", RULE_TPL_TEXT, 1, "unknown template field");
	refused("{date:}", RULE_TPL_TEXT, 1, "unknown template field");
	refused("{date:%Y%}", RULE_TPL_TEXT, 1,
	    "unknown strftime conversion");
	refused("{date:%s}", RULE_TPL_TEXT, 1,
	    "unknown strftime conversion");
	refused("{date:%E}", RULE_TPL_TEXT, 1,
	    "unknown strftime conversion");
	refused("{date:%Y\n}", RULE_TPL_TEXT, 1,
	    "control character in date format");
	/* One-line and path templates: no control characters at all. */
	refused("a\nb", RULE_TPL_LINE, 1, "control character");
	refused("a\tb", RULE_TPL_LINE, 1, "control character");
	refused("a\rb", RULE_TPL_PATH, 1, "control character");
	expands(msg_text, RULE_TPL_TEXT, "a\n\tb", "a\n\tb");
}

static void
test_has_fields(void **state)
{
	struct rule_template	*t;
	size_t			 off;
	char			 err[128];

	(void)state;
	t = rule_template_parse("a{{b}}", 6, RULE_TPL_LINE, NULL, 0, &off,
	    err, sizeof(err));
	assert_non_null(t);
	assert_false(rule_template_has_fields(t));
	rule_template_free(t);
	t = rule_template_parse("a{date}", 7, RULE_TPL_LINE, NULL, 0, &off,
	    err, sizeof(err));
	assert_non_null(t);
	assert_true(rule_template_has_fields(t));
	rule_template_free(t);
}

static void
date_is(const char *s, long long want, long want_off)
{
	time_t	 t;
	long	 off;

	if (rule_date_parse(s, strlen(s), &t, &off) == -1)
		fail_msg("'%s' did not parse", s);
	if ((long long)t != want || off != want_off)
		fail_msg("'%s': %lld %ld, not %lld %ld", s, (long long)t, off,
		    want, want_off);
}

static void
test_date_parse(void **state)
{
	time_t	 t;
	long	 off;

	(void)state;
	/* 2026-11-24 08:12:00 UTC = 1795507920 */
	date_is("Tue, 24 Nov 2026 09:12:00 +0100", 1795507920, 3600);
	date_is("24 Nov 2026 09:12:00 +0100", 1795507920, 3600);
	date_is("Tue 24 Nov 2026 09:12:00 +0100 (CET)", 1795507920, 3600);
	date_is("Tue, 24 Nov 2026 03:12:00 -0500", 1795507920, -18000);
	date_is("Tue, 24 Nov 2026 03:12:00 EST", 1795507920, -18000);
	date_is("Tue, 24 Nov 2026 08:12:00 GMT", 1795507920, 0);
	date_is("Tue, 24 Nov 2026 08:12 UT", 1795507920, 0);
	date_is("Tue, 24 nov 26 08:12:00 Z", 1795507920, 0);
	date_is("  Tue ,  24  (comment) Nov  2026  08:12:00  +0000  ",
	    1795507920, 0);
	date_is("24-Nov-2026 08:12:00 +0000", 1795507920, 0);
	/* Obsolete years: 2 digits < 50 are 20xx, else 19xx; 3 + 1900. */
	date_is("1 Jan 70 00:00:00 +0000", 0, 0);
	date_is("1 Jan 049 00:00:00 +0000", -662688000, 0);
	/* Unknown zone names and military letters count as +0000. */
	date_is("1 Jan 1970 00:00:00 XYZ", 0, 0);
	/* Leap second clamped. */
	date_is("31 Dec 2016 23:59:60 +0000", 1483228799, 0);
	assert_int_equal(rule_date_parse("", 0, &t, &off), -1);
	assert_int_equal(rule_date_parse("yesterday", 9, &t, &off), -1);
	assert_int_equal(rule_date_parse("32 Jan 2026 00:00 +0000", 23, &t,
	    &off), -1);
	assert_int_equal(rule_date_parse("1 Foo 2026 00:00 +0000", 22, &t,
	    &off), -1);
	assert_int_equal(rule_date_parse("1 Jan 2026 24:00 +0000", 22, &t,
	    &off), -1);
	assert_int_equal(rule_date_parse("1 Jan 2026", 10, &t, &off), -1);
	assert_int_equal(rule_date_parse("1 Jan 99999 00:00 +0000", 23, &t,
	    &off), -1);
	assert_int_equal(rule_date_utc(2000, 3, 1, 0, 0, 0), 951868800);
}

static void
test_units(void **state)
{
	struct rule_cmp	 c;
	long long	 v;
	const char	*why;

	(void)state;
	assert_int_equal(rule_size_parse("5M", 2, &v, &why), 0);
	assert_int_equal(v, 5 * 1024 * 1024);
	assert_int_equal(rule_size_parse("100k", 4, &v, &why), 0);
	assert_int_equal(v, 102400);
	assert_int_equal(rule_size_parse("7", 1, &v, &why), 0);
	assert_int_equal(v, 7);
	assert_int_equal(rule_size_parse("2G", 2, &v, &why), 0);
	assert_int_equal(v, 2LL << 30);
	assert_int_equal(rule_size_parse("5MB", 3, &v, &why), -1);
	assert_int_equal(rule_size_parse("M", 1, &v, &why), -1);
	assert_int_equal(rule_size_parse("-5", 2, &v, &why), -1);
	assert_int_equal(rule_size_parse("99999999999999999999", 20, &v,
	    &why), -1);
	assert_int_equal(rule_size_parse("9999999G", 8, &v, &why), -1);
	assert_string_equal(why, "number too large");
	assert_int_equal(rule_duration_parse("7d", 2, &v, &why), 0);
	assert_int_equal(v, 7 * 86400);
	assert_int_equal(rule_duration_parse("12h", 3, &v, &why), 0);
	assert_int_equal(v, 12 * 3600);
	assert_int_equal(rule_duration_parse("2w", 2, &v, &why), 0);
	assert_int_equal(v, 14 * 86400);
	assert_int_equal(rule_duration_parse("30m", 3, &v, &why), 0);
	assert_int_equal(v, 1800);
	assert_int_equal(rule_duration_parse("45s", 3, &v, &why), 0);
	assert_int_equal(rule_duration_parse("45", 2, &v, &why), -1);
	assert_int_equal(rule_duration_parse("1y", 2, &v, &why), -1);
	assert_int_equal(rule_duration_parse("1dd", 3, &v, &why), -1);

	assert_int_equal(rule_cmp_parse("> 5M", 4, 0, &c, &why), 0);
	assert_int_equal(c.op, RULE_CMP_GT);
	assert_true(rule_cmp_test(&c, 5 * 1024 * 1024 + 1));
	assert_false(rule_cmp_test(&c, 5 * 1024 * 1024));
	assert_int_equal(rule_cmp_parse("<=30d ", 6, 1, &c, &why), 0);
	assert_int_equal(c.op, RULE_CMP_LE);
	assert_int_equal(c.value, 30 * 86400);
	assert_int_equal(rule_cmp_parse(">=1", 3, 0, &c, &why), 0);
	assert_int_equal(c.op, RULE_CMP_GE);
	assert_int_equal(rule_cmp_parse("= 0", 3, 0, &c, &why), 0);
	assert_true(rule_cmp_test(&c, 0));
	assert_int_equal(rule_cmp_parse("< 1K", 4, 0, &c, &why), 0);
	assert_true(rule_cmp_test(&c, 1023));
	assert_false(rule_cmp_test(&c, 1024));
	assert_int_equal(rule_cmp_parse("5M", 2, 0, &c, &why), -1);
	assert_int_equal(rule_cmp_parse("> 5d", 4, 0, &c, &why), -1);
	assert_int_equal(rule_cmp_parse("> 5M", 4, 1, &c, &why), -1);
	assert_int_equal(rule_cmp_parse("<>5", 3, 0, &c, &why), -1);
	/* What an upper bound decides without the exact value. */
	assert_int_equal(rule_cmp_parse("> 100", 5, 0, &c, &why), 0);
	assert_int_equal(rule_cmp_bound(&c, 100), 0);
	assert_int_equal(rule_cmp_bound(&c, 101), -1);
	assert_int_equal(rule_cmp_parse("< 100", 5, 0, &c, &why), 0);
	assert_int_equal(rule_cmp_bound(&c, 99), 1);
	assert_int_equal(rule_cmp_bound(&c, 100), -1);
	assert_int_equal(rule_cmp_parse("= 100", 5, 0, &c, &why), 0);
	assert_int_equal(rule_cmp_bound(&c, 99), 0);
	assert_int_equal(rule_cmp_bound(&c, 100), -1);
}

static void
html_is(const char *in, const char *want)
{
	struct mime_buf	 out;

	mime_buf_init(&out);
	assert_int_equal(rule_html_to_text(in, strlen(in), &out), 0);
	if (strcmp(out.data != NULL ? out.data : "", want) != 0)
		fail_msg("'%s' gave '%s', not '%s'", in, out.data, want);
	mime_buf_free(&out);
}

static void
test_html(void **state)
{
	(void)state;
	html_is("<p>a</p><p>b</p>", "a\nb\n");
	html_is("Rech<b>nung</b>  \n  total", "Rechnung total");
	html_is("x<br>y<br/>z", "x\ny\nz");
	html_is("&amp;&lt;&gt;&quot;&apos;&nbsp;x", "&<>\"' x");
	html_is("&#65;&#x42;&#X43;&#0;&#xD800;&#1114112;",
	    "ABC\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	html_is("a &unknown; b & c &amp d", "a &unknown; b & c &amp d");
	html_is("<script>alert('<p>')</script>ok<style>p{}</style>!",
	    "ok!");
	html_is("<!-- <p>hidden</p> -->shown", "shown");
	html_is("<a title='a>b' href=\"c>d\">link</a>", "link");
	html_is("1 < 2 and 3 > 2", "1 < 2 and 3 > 2");
	html_is("<!DOCTYPE html><?xml x?>t", "t");
	html_is("unterminated <b", "unterminated");
	html_is("<script>never closed", "");
	html_is("so&shy;ft", "soft");
	html_is("", "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_path_mode),
		cmocka_unit_test(test_path_component_cut),
		cmocka_unit_test(test_line_and_text_modes),
		cmocka_unit_test(test_arg_mode),
		cmocka_unit_test(test_utf8_cut),
		cmocka_unit_test(test_path_names_cut),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_has_fields),
		cmocka_unit_test(test_date_parse),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_html),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_imap_gmail.c - Gmail's X-GM-LABELS on the wire
 * (daemon/source/imap-gmail.c): atoms, quoted strings, literals,
 * system labels (\Inbox, \Important), modified UTF-7 and UTF-8 names,
 * NIL and (); hostile replies (nesting, control bytes, invalid UTF-8 or
 * UTF-7, NUL in a literal, too many labels) dropped or refused, never
 * kept raw; labels written for STORE; SPECIAL-USE in LIST.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/buf.h"
#include "daemon/source/imap-gmail.h"
#include "daemon/source/imap-resp.h"

/* Parse "X-GM-LABELS <value>" from text, with literals lits[]. */
static int
parse(const char *text, const char *const *lits, size_t nlits, int utf8,
    struct gm_labels *l)
{
	struct imap_resp r;
	struct imap_scan sc;
	struct imap_tok	 t;
	size_t		 i;
	int		 rv;

	imap_resp_init(&r);
	assert_int_equal(mime_buf_append_str(&r.text, text), 0);
	if (nlits > 0) {
		r.lits = calloc(nlits, sizeof(*r.lits));
		assert_non_null(r.lits);
		r.cap = r.nlits = nlits;
		for (i = 0; i < nlits; i++) {
			r.lits[i].len = r.lits[i].cap = strlen(lits[i]);
			r.lits[i].data = malloc(r.lits[i].len + 1);
			assert_non_null(r.lits[i].data);
			memcpy(r.lits[i].data, lits[i], r.lits[i].len + 1);
			/* '~' stands for a NUL byte */
			for (char *c = r.lits[i].data; *c != '\0'; c++)
				if (*c == '~')
					*c = '\0';
		}
	}
	imap_scan_init(&sc, &r);
	assert_int_equal(imap_scan_next(&sc, &t), 0);
	assert_true(imap_tok_is(&t, "X-GM-LABELS"));
	assert_int_equal(imap_scan_next(&sc, &t), 0);
	rv = gm_labels_parse(&sc, &t, utf8, l);
	imap_resp_free(&r);
	return rv;
}

static void
want(const struct gm_labels *l, size_t n, ...)
{
	va_list	 ap;
	size_t	 i;

	if (l->n != n)
		fail_msg("%zu labels, want %zu", l->n, n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_string_equal(l->v[i], va_arg(ap, const char *));
	va_end(ap);
}

/* The examples of Google's page: atoms, system labels, quoted. */
static void
test_documented(void **state)
{
	struct gm_labels l;

	(void)state;
	assert_int_equal(parse("X-GM-LABELS (\\Inbox \\Sent Important "
	    "\"Muy Importante\")", NULL, 0, 0, &l), 0);
	want(&l, 4, "\\Inbox", "\\Sent", "Important", "Muy Importante");
	assert_int_equal(l.dropped, 0);
	assert_int_equal(parse("X-GM-LABELS (foo)", NULL, 0, 0, &l), 0);
	want(&l, 1, "foo");
	assert_int_equal(parse("X-GM-LABELS ()", NULL, 0, 0, &l), 0);
	want(&l, 0);
	assert_int_equal(parse("X-GM-LABELS NIL", NULL, 0, 0, &l), 0);
	want(&l, 0);
	assert_int_equal(parse("X-GM-LABELS (\\Important \\Starred "
	    "\"[Gmail]/Sent Mail\" Work/Invoices)", NULL, 0, 0, &l), 0);
	want(&l, 4, "\\Important", "\\Starred", "[Gmail]/Sent Mail",
	    "Work/Invoices");
}

static void
test_quoting(void **state)
{
	static const char *const lit[] = { "from a literal" };
	struct gm_labels l;

	(void)state;
	assert_int_equal(parse("X-GM-LABELS (\"say \\\"hi\\\"\" \"a\\\\b\" "
	    "{14}\n)", lit, 1, 0, &l), 0);
	want(&l, 3, "say \"hi\"", "a\\b", "from a literal");
}

static void
test_utf7(void **state)
{
	struct gm_labels l;

	(void)state;
	/* "Rechnungen/Büro", "日本", "&" escaped as "&-", an emoji
	 * (a surrogate pair) */
	assert_int_equal(parse("X-GM-LABELS (\"Rechnungen/B&APw-ro\" "
	    "&ZeVnLA- \"A&-B\" \"&2D3eAA-\")", NULL, 0, 0, &l), 0);
	want(&l, 4, "Rechnungen/B\xc3\xbcro", "\xe6\x97\xa5\xe6\x9c\xac",
	    "A&B", "\xf0\x9f\x98\x80");
	/* with UTF8=ACCEPT the name is UTF-8 and "&" is just a byte */
	assert_int_equal(parse("X-GM-LABELS (\"B\xc3\xbcro\" \"A&B\")", NULL,
	    0, 1, &l), 0);
	want(&l, 2, "B\xc3\xbc" "ro", "A&B");
}

static void
test_hostile(void **state)
{
	static const char *const nul[] = { "a~b", "ab" };
	struct gm_labels l;
	char		 big[8192];
	size_t		 i, o;

	(void)state;
	/* broken modified UTF-7: unterminated, bad base64, lone
	 * surrogate, ASCII shifted, non-zero padding, empty run */
	assert_int_equal(parse("X-GM-LABELS (ok \"&APw\" \"&A*w-\" "
	    "\"&2D0-\" \"&AGE-\" \"&APx-\" \"&-&-\" \"&-\" \"x&-y\")", NULL, 0,
	    0, &l), 0);
	want(&l, 4, "ok", "&&", "&", "x&y");
	assert_int_equal(l.dropped, 5);
	/* invalid UTF-8 in UTF-8 mode, an 8-bit byte outside UTF-7 */
	assert_int_equal(parse("X-GM-LABELS (\"\xc3\" \"a\xff\" fine)", NULL,
	    0, 1, &l), 0);
	want(&l, 1, "fine");
	assert_int_equal(parse("X-GM-LABELS (\"\xc3\xbc\")", NULL, 0, 0, &l),
	    0);
	want(&l, 0);
	assert_int_equal(l.dropped, 1);
	/* a control byte in a quoted string; an empty label */
	assert_int_equal(parse("X-GM-LABELS (\"a\x01\" \"\" b)", NULL, 0, 0,
	    &l), 0);
	want(&l, 1, "b");
	/* a NUL inside a literal is not a label */
	assert_int_equal(parse("X-GM-LABELS ({3}\n {2}\n)", nul, 2, 0, &l),
	    0);
	want(&l, 1, "ab");
	assert_int_equal(l.dropped, 1);
	/* malformed: nesting, no ")", not a list */
	assert_int_equal(parse("X-GM-LABELS ((a))", NULL, 0, 0, &l), -1);
	assert_int_equal(parse("X-GM-LABELS (a b", NULL, 0, 0, &l), -1);
	assert_int_equal(parse("X-GM-LABELS a", NULL, 0, 0, &l), -1);
	/* more labels than kept: counted, the others still there */
	o = (size_t)snprintf(big, sizeof(big), "X-GM-LABELS (");
	for (i = 0; i < GM_LABELS_MAX + 10; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "L%zu ", i);
	snprintf(big + o, sizeof(big) - o, ")");
	assert_int_equal(parse(big, NULL, 0, 0, &l), 0);
	assert_int_equal(l.n, GM_LABELS_MAX);
	assert_int_equal(l.dropped, 10);
	assert_string_equal(l.v[GM_LABELS_MAX - 1], "L63");
	/* one too long for the buffer */
	o = (size_t)snprintf(big, sizeof(big), "X-GM-LABELS (");
	memset(big + o, 'x', 2000);
	o += 2000;
	snprintf(big + o, sizeof(big) - o, " y)");
	assert_int_equal(parse(big, NULL, 0, 0, &l), 0);
	want(&l, 1, "y");
}

static void
test_wire(void **state)
{
	char	 out[256];

	(void)state;
	assert_int_equal(gm_label_wire("\\Important", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "\\Important");
	assert_int_equal(gm_label_wire("Work/Invoices", 0, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "\"Work/Invoices\"");
	assert_int_equal(gm_label_wire("B\xc3\xbcro & \"Co\"", 0, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "\"B&APw-ro &- \\\"Co\\\"\"");
	assert_int_equal(gm_label_wire("B\xc3\xbcro", 1, out, sizeof(out)), 0);
	assert_string_equal(out, "\"B\xc3\xbcro\"");
	assert_int_equal(gm_label_wire("\xf0\x9f\x98\x80", 0, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "\"&2D3eAA-\"");
	/* a backslash name that is not a system label is quoted */
	assert_int_equal(gm_label_wire("\\a b", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "\"\\\\a b\"");
	assert_int_equal(gm_label_wire("a\r\nb", 0, out, sizeof(out)), -1);
	assert_int_equal(gm_label_wire("", 0, out, sizeof(out)), -1);
	assert_int_equal(gm_label_wire("\xff", 0, out, sizeof(out)), -1);
	assert_int_equal(gm_label_wire("abcdef", 0, out, 6), -1);
}

static int
msgid(const char *s, uint64_t *v)
{
	struct imap_tok	 t;

	t.type = IMAP_TOK_ATOM;
	t.s = s;
	t.len = strlen(s);
	return gm_msgid_parse(&t, v);
}

static void
test_msgid(void **state)
{
	uint64_t	 v;

	(void)state;
	assert_int_equal(msgid("1278455344230334865", &v), 0);
	assert_true(v == 1278455344230334865ULL);
	assert_int_equal(msgid("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(msgid("18446744073709551616", &v), -1);
	assert_int_equal(msgid("99999999999999999999", &v), -1);
	assert_int_equal(msgid("000000000000000000001", &v), -1);
	assert_int_equal(msgid("12a", &v), -1);
	assert_int_equal(msgid("-1", &v), -1);
	assert_int_equal(msgid("", &v), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_documented),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_utf7),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_msgid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

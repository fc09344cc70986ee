/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_imap_notify.c - the pure parts of IDLE on several folders
 * with NOTIFY (daemon/source/imap-notify.c): the STATUS response that
 * names a changed folder (atom, quoted with escapes, literal, unknown
 * attributes, malformed ones), matching it to the account's folders,
 * and the NOTIFY SET command.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mime/buf.h"
#include "daemon/source/imap-notify.h"
#include "daemon/source/imap-resp.h"

/* Parse "* STATUS ..." as imap.c hands it over (past the word). */
static int
parse(const char *line, char *name, size_t namelen, struct imap_status *st)
{
	struct imap_resp r;
	struct imap_scan sc;
	struct imap_tok	 t;
	int		 rv;

	imap_resp_init(&r);
	assert_int_equal(mime_buf_append_str(&r.text, line), 0);
	imap_scan_init(&sc, &r);
	assert_int_equal(imap_scan_next(&sc, &t), 0);	/* "*" */
	assert_int_equal(imap_scan_next(&sc, &t), 0);
	assert_true(imap_tok_is(&t, "STATUS"));
	rv = imap_status_parse(&sc, name, namelen, st);
	imap_resp_free(&r);
	return rv;
}

static void
test_status_atom(void **state)
{
	struct imap_status st;
	char		 name[64];

	(void)state;
	/* Dovecot 2.3's answer to new mail in a folder not selected */
	assert_int_equal(parse("* STATUS Work (MESSAGES 2 UIDNEXT 3 UNSEEN 2)",
	    name, sizeof(name), &st), 0);
	assert_string_equal(name, "Work");
	assert_int_equal(st.have, IMAP_STATUS_MESSAGES | IMAP_STATUS_UIDNEXT);
	assert_int_equal(st.messages, 2);
	assert_int_equal(st.uidnext, 3);
	assert_int_equal(parse("* STATUS INBOX (UIDVALIDITY 7 HIGHESTMODSEQ "
	    "123456789012 MESSAGES 0)", name, sizeof(name), &st), 0);
	assert_string_equal(name, "INBOX");
	assert_int_equal(st.uidvalidity, 7);
	assert_int_equal(st.messages, 0);
	assert_int_equal(st.have, IMAP_STATUS_MESSAGES |
	    IMAP_STATUS_UIDVALIDITY);
}

static void
test_status_quoted(void **state)
{
	struct imap_status st;
	char		 name[64];

	(void)state;
	assert_int_equal(parse("* STATUS \"Lists/Rust lang\" (MESSAGES 5)",
	    name, sizeof(name), &st), 0);
	assert_string_equal(name, "Lists/Rust lang");
	assert_int_equal(parse("* STATUS \"a\\\"b\\\\c\" (UIDNEXT 9)", name,
	    sizeof(name), &st), 0);
	assert_string_equal(name, "a\"b\\c");
	assert_int_equal(st.uidnext, 9);
	/* modified UTF-7 stays as sent: the account's names are compared
	 * in their wire form */
	assert_int_equal(parse("* STATUS \"Entw&APw-rfe\" (MESSAGES 1)",
	    name, sizeof(name), &st), 0);
	assert_string_equal(name, "Entw&APw-rfe");
	/* an extension's list value is skipped */
	assert_int_equal(parse("* STATUS x (X-FOO (1 2) MESSAGES 4)", name,
	    sizeof(name), &st), 0);
	assert_int_equal(st.messages, 4);
}

static void
test_status_literal(void **state)
{
	struct imap_literal lit;
	struct imap_resp r;
	struct imap_scan sc;
	struct imap_tok	 t;
	struct imap_status st;
	char		 name[64], data[] = "Odd(name";

	(void)state;
	imap_resp_init(&r);
	assert_int_equal(mime_buf_append_str(&r.text,
	    "* STATUS {8}\n (MESSAGES 3)"), 0);
	lit.data = data;
	lit.len = 8;
	lit.cap = sizeof(data);
	r.lits = &lit;
	r.nlits = 1;
	imap_scan_init(&sc, &r);
	assert_int_equal(imap_scan_next(&sc, &t), 0);
	assert_int_equal(imap_scan_next(&sc, &t), 0);
	assert_int_equal(imap_status_parse(&sc, name, sizeof(name), &st), 0);
	assert_string_equal(name, "Odd(name");
	assert_int_equal(st.messages, 3);
	/* a NUL in the name is refused */
	data[3] = '\0';
	imap_scan_init(&sc, &r);
	assert_int_equal(imap_scan_next(&sc, &t), 0);
	assert_int_equal(imap_scan_next(&sc, &t), 0);
	assert_int_equal(imap_status_parse(&sc, name, sizeof(name), &st), -1);
	r.lits = NULL;
	r.nlits = 0;
	imap_resp_free(&r);
}

static void
test_status_malformed(void **state)
{
	struct imap_status st;
	char		 name[8];

	(void)state;
	assert_int_equal(parse("* STATUS", name, sizeof(name), &st), -1);
	assert_int_equal(parse("* STATUS Work", name, sizeof(name), &st), -1);
	assert_int_equal(parse("* STATUS Work MESSAGES 2", name, sizeof(name),
	    &st), -1);
	assert_int_equal(parse("* STATUS Work (MESSAGES 2", name,
	    sizeof(name), &st), -1);
	assert_int_equal(parse("* STATUS Work (MESSAGES)", name,
	    sizeof(name), &st), -1);
	assert_int_equal(parse("* STATUS Work ((MESSAGES 2)", name,
	    sizeof(name), &st), -1);
	/* a name longer than the buffer is refused, not cut */
	assert_int_equal(parse("* STATUS Workshop (MESSAGES 1)", name,
	    sizeof(name), &st), -1);
	assert_int_equal(parse("* STATUS Worksho (MESSAGES 1)", name,
	    sizeof(name), &st), 0);
}

static void
test_unquote_match(void **state)
{
	const char	*raw[] = { "INBOX", "Work", "a\"b", "INBOX.Lists" };
	char		 out[16];

	(void)state;
	assert_int_equal(imap_unquote("\"a\\\"b\"", out, sizeof(out)), 0);
	assert_string_equal(out, "a\"b");
	assert_int_equal(imap_unquote("Work", out, sizeof(out)), -1);
	assert_int_equal(imap_unquote("\"", out, sizeof(out)), -1);
	assert_int_equal(imap_unquote("\"0123456789abcdef\"", out,
	    sizeof(out)), -1);
	assert_int_equal(imap_notify_match(raw, 4, "Work"), 1);
	assert_int_equal(imap_notify_match(raw, 4, "a\"b"), 2);
	assert_int_equal(imap_notify_match(raw, 4, "inbox"), 0);
	/* only INBOX is case-insensitive */
	assert_int_equal(imap_notify_match(raw, 4, "work"), -1);
	assert_int_equal(imap_notify_match(raw, 4, "inbox.lists"), -1);
	assert_int_equal(imap_notify_match(raw, 4, "INBOX.Lists"), 3);
}

static void
test_notify_cmd(void **state)
{
	const char	*q[] = { "\"INBOX\"", "\"Work\"", "\"Lists/Rust\"" };
	char		 out[256];

	(void)state;
	assert_int_equal(imap_notify_cmd(q, 3, out, sizeof(out)), 0);
	assert_string_equal(out, "NOTIFY SET (SELECTED (MessageNew "
	    "MessageExpunge)) (MAILBOXES (\"INBOX\" \"Work\" \"Lists/Rust\") "
	    "(MessageNew MessageExpunge))");
	assert_int_equal(imap_notify_cmd(q, 0, out, sizeof(out)), -1);
	assert_int_equal(imap_notify_cmd(q, 3, out, 100), -1);
	assert_int_equal(imap_notify_cmd(q, 3, out, strlen("NOTIFY SET "
	    "(SELECTED (MessageNew MessageExpunge)) (MAILBOXES (\"INBOX\" "
	    "\"Work\" \"Lists/Rust\") (MessageNew MessageExpunge))")), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_atom),
		cmocka_unit_test(test_status_quoted),
		cmocka_unit_test(test_status_literal),
		cmocka_unit_test(test_status_malformed),
		cmocka_unit_test(test_unquote_match),
		cmocka_unit_test(test_notify_cmd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

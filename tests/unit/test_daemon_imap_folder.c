/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_imap_folder.c - folder names written with '/' mapped to
 * the server's namespace (daemon/source/imap-folder.c): Dovecot's ""
 * and '/', Courier's and Debian Cyrus's "INBOX." and '.', a flat '.'
 * server, raw names, INBOX, modified UTF-7 and UTF-8 on the wire, and
 * names that must be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/source/imap-folder.h"
#include "daemon/source/imap-int.h"
#include "daemon/source/imap-resp.h"

static const struct imap_ns ns_dovecot = { 1, "", '/' };
static const struct imap_ns ns_courier = { 1, "INBOX.", '.' };
static const struct imap_ns ns_dot = { 1, "", '.' };
static const struct imap_ns ns_flat = { 1, "", '\0' };

static void
map_ok(const struct imap_ns *ns, const char *name, const char *want)
{
	char	 out[IMAP_FOLDER_MAX + 1], err[256];

	if (imap_folder_map(ns, name, out, sizeof(out), err,
	    sizeof(err)) == -1)
		fail_msg("\"%s\" refused: %s", name, err);
	assert_string_equal(out, want);
}

static void
map_bad(const struct imap_ns *ns, const char *name, const char *why)
{
	char	 out[IMAP_FOLDER_MAX + 1], err[256];

	if (imap_folder_map(ns, name, out, sizeof(out), err,
	    sizeof(err)) == 0)
		fail_msg("\"%s\" taken as \"%s\"", name, out);
	if (strstr(err, why) == NULL)
		fail_msg("error for \"%s\" lacks \"%s\": %s", name, why, err);
}

static void
test_dovecot(void **state)
{
	(void)state;
	map_ok(&ns_dovecot, "Archive/Invoices", "Archive/Invoices");
	map_ok(&ns_dovecot, "Archive", "Archive");
	map_ok(&ns_dovecot, "INBOX/Sub", "INBOX/Sub");
	/* a '.' is just a character here */
	map_ok(&ns_dovecot, "Archive.2024/Jan", "Archive.2024/Jan");
}

static void
test_inbox_prefix(void **state)
{
	(void)state;
	map_ok(&ns_courier, "Archive/Invoices", "INBOX.Archive.Invoices");
	map_ok(&ns_courier, "Junk", "INBOX.Junk");
	/* "INBOX/x" is x under the INBOX, not INBOX.INBOX.x */
	map_ok(&ns_courier, "INBOX/Archive", "INBOX.Archive");
	/* raw: the prefix already there */
	map_ok(&ns_courier, "INBOX.Archive.Invoices",
	    "INBOX.Archive.Invoices");
	/* raw: the server's delimiter and no '/' */
	map_ok(&ns_courier, "Shared.Team", "Shared.Team");
}

static void
test_dot_no_prefix(void **state)
{
	(void)state;
	map_ok(&ns_dot, "Archive/Invoices", "Archive.Invoices");
	map_ok(&ns_dot, "Archive.Invoices", "Archive.Invoices");
	map_ok(&ns_dot, "a/b/c", "a.b.c");
}

static void
test_inbox(void **state)
{
	(void)state;
	map_ok(&ns_courier, "INBOX", "INBOX");
	map_ok(&ns_courier, "inbox", "INBOX");
	map_ok(&ns_dovecot, "Inbox", "INBOX");
	map_ok(&ns_flat, "INBOX", "INBOX");
}

static void
test_hostile(void **state)
{
	char	 big[IMAP_FOLDER_MAX + 8];

	(void)state;
	map_bad(&ns_dovecot, "", "empty");
	map_bad(&ns_courier, "/Archive", "empty level");
	map_bad(&ns_courier, "Archive/", "empty level");
	map_bad(&ns_dovecot, "a//b", "empty level");
	map_bad(&ns_dovecot, "../etc", "\"..\"");
	map_bad(&ns_courier, "Archive/../x", "\"..\"");
	map_bad(&ns_courier, "a/./b", "\"..\"");
	map_bad(&ns_dovecot, "Arch\rive", "control");
	map_bad(&ns_dovecot, "Arch\x1b[2Jive", "control");
	map_bad(&ns_dovecot, "Arch\x7five", "control");
	map_bad(&ns_dovecot, "Arch\xff", "UTF-8");
	/* another server's delimiter inside a level: a level not written */
	map_bad(&ns_courier, "Archive.2024/Jan", "delimiter");
	map_bad(&ns_flat, "Archive/Invoices", "no folder hierarchy");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	map_bad(&ns_dovecot, big, "too long");
	/* fits alone, not with the prefix */
	big[IMAP_FOLDER_MAX - 2] = '\0';
	map_bad(&ns_courier, big, "too long");
}

static void
test_error_printable(void **state)
{
	char	 out[64], err[256];
	size_t	 i;

	(void)state;
	assert_int_equal(imap_folder_map(&ns_courier, "x\x1b]0;owned\x07/y",
	    out, sizeof(out), err, sizeof(err)), -1);
	for (i = 0; err[i] != '\0'; i++)
		assert_true(err[i] >= 0x20 && err[i] < 0x7f);
}

static void
test_wire(void **state)
{
	char		 server[IMAP_FOLDER_MAX + 1], err[256], q[256];
	struct imap	 mutf7, utf8;

	(void)state;
	memset(&mutf7, 0, sizeof(mutf7));
	memset(&utf8, 0, sizeof(utf8));
	utf8.utf8_accept = 1;
	/* RFC 3501 5.1.3's own example, under a prefix */
	assert_int_equal(imap_folder_map(&ns_courier, "Entw\xc3\xbc" "rfe/"
	    "\xe5\x8f\xb0\xe5\x8c\x97", server, sizeof(server), err,
	    sizeof(err)), 0);
	assert_int_equal(imap_folder_quote(&mutf7, server, q, sizeof(q)), 0);
	assert_string_equal(q, "\"INBOX.Entw&APw-rfe.&U,BTFw-\"");
	/* UTF8=ACCEPT: the name as it is, quoted */
	assert_int_equal(imap_folder_quote(&utf8, server, q, sizeof(q)), 0);
	assert_string_equal(q, "\"INBOX.Entw\xc3\xbc" "rfe.\xe5\x8f\xb0"
	    "\xe5\x8c\x97\"");
	assert_int_equal(imap_folder_quote(&mutf7, "a&b \"q\" \\", q, sizeof(q)),
	    0);
	assert_string_equal(q, "\"a&-b \\\"q\\\" \\\\\"");
	assert_int_equal(imap_folder_quote(&utf8, "a\"b", q, sizeof(q)), 0);
	assert_string_equal(q, "\"a\\\"b\"");
	assert_int_equal(imap_folder_quote(&utf8, "abcdef", q, 6), -1);
	assert_int_equal(imap_folder_quote(&mutf7, "abcdef", q, 6), -1);
}

/* Parse an untagged response the way imap.c hands it over. */
static void
parse(struct imap_ns *ns, const char *line)
{
	struct imap_resp r;
	struct imap_scan sc;
	struct imap_tok	 t;

	imap_resp_init(&r);
	assert_int_equal(mime_buf_append_str(&r.text, line), 0);
	imap_scan_init(&sc, &r);
	assert_int_equal(imap_scan_next(&sc, &t), 0);	/* "*" */
	assert_int_equal(imap_scan_next(&sc, &t), 0);
	if (imap_tok_is(&t, "NAMESPACE"))
		imap_ns_namespace(ns, &sc);
	else if (imap_tok_is(&t, "LIST"))
		imap_ns_list(ns, &sc);
	else
		fail_msg("not NAMESPACE or LIST: %s", line);
	imap_resp_free(&r);
}

static void
test_namespace_parse(void **state)
{
	struct imap_ns	 ns;

	(void)state;
	memset(&ns, 0, sizeof(ns));
	parse(&ns, "* NAMESPACE ((\"INBOX.\" \".\")) NIL "
	    "((\"#shared.\" \".\"))");
	assert_true(ns.known);
	assert_string_equal(ns.prefix, "INBOX.");
	assert_int_equal(ns.delim, '.');

	memset(&ns, 0, sizeof(ns));
	parse(&ns, "* NAMESPACE ((\"\" \"/\")) NIL NIL");
	assert_true(ns.known);
	assert_string_equal(ns.prefix, "");
	assert_int_equal(ns.delim, '/');

	/* no personal namespace: still unknown, LIST is asked next */
	memset(&ns, 0, sizeof(ns));
	parse(&ns, "* NAMESPACE NIL NIL NIL");
	assert_false(ns.known);
	/* a prefix we cannot use as is (control byte, mUTF-7) */
	parse(&ns, "* NAMESPACE ((\"IN\\\"BOX\x01.\" \".\")) NIL NIL");
	assert_false(ns.known);
	parse(&ns, "* NAMESPACE ((\"&APw-.\" \".\")) NIL NIL");
	assert_false(ns.known);
	parse(&ns, "* NAMESPACE ((\"INBOX.\" \"..\")) NIL NIL");
	assert_false(ns.known);

	parse(&ns, "* LIST (\\Noselect) \".\" \"\"");
	assert_true(ns.known);
	assert_int_equal(ns.delim, '.');
	memset(&ns, 0, sizeof(ns));
	parse(&ns, "* LIST (\\Noselect) NIL \"\"");
	assert_true(ns.known);
	assert_int_equal(ns.delim, '\0');
	memset(&ns, 0, sizeof(ns));
	parse(&ns, "* LIST garbage");
	assert_false(ns.known);
}

static void
test_missing(void **state)
{
	(void)state;
	assert_true(imap_folder_missing("NO [TRYCREATE] Mailbox doesn't "
	    "exist: x"));
	assert_true(imap_folder_missing("NO Mailbox does not exist"));
	assert_true(imap_folder_missing("NO Error in IMAP command: "
	    "Unknown mailbox"));
	assert_true(imap_folder_missing("NO [NONEXISTENT] no"));
	assert_true(imap_folder_missing("NO Error in IMAP command"));
	assert_false(imap_folder_missing("NO [OVERQUOTA] quota exceeded"));
	assert_false(imap_folder_missing("NO [CANNOT] Invalid name"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dovecot),
		cmocka_unit_test(test_inbox_prefix),
		cmocka_unit_test(test_dot_no_prefix),
		cmocka_unit_test(test_inbox),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_error_printable),
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_namespace_parse),
		cmocka_unit_test(test_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

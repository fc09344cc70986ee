/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_imap_special.c - SPECIAL-USE folders (RFC 6154,
 * daemon/source/imap-special-list.c and imap-special.c): LIST
 * responses as Dovecot, Gmail and older servers send them (localised
 * names, "[Gmail]/...", XLIST's \Spam, literals, NIL delimiters),
 * hostile ones (long names, control bytes, nested or odd attributes,
 * bad modified UTF-7), and the resolver's errors without a server.
 * The decoder itself: test_daemon_imap_mutf7.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/conf/conf.h"
#include "daemon/source/imap-int.h"
#include "daemon/source/imap-resp.h"
#include "daemon/source/imap-special.h"
#include "daemon/source/imap-special-list.h"

enum { ALL, ARCHIVE, DRAFTS, FLAGGED, JUNK, SENT, TRASH };

/* Hand "* LIST ..." to the parser the way imap.c does; lit, if not
 * NULL, is the one literal the line announces (its "{N}" ends text). */
static void
list_lit(struct imap_special *sp, const char *line, const char *lit,
    size_t litlen)
{
	struct imap_resp r;
	struct imap_scan sc;
	struct imap_tok	 t;

	imap_resp_init(&r);
	assert_int_equal(mime_buf_append_str(&r.text, line), 0);
	if (lit != NULL) {
		r.lits = calloc(1, sizeof(*r.lits));
		assert_non_null(r.lits);
		r.lits[0].data = malloc(litlen + 1);
		assert_non_null(r.lits[0].data);
		memcpy(r.lits[0].data, lit, litlen);
		r.lits[0].data[litlen] = '\0';
		r.lits[0].len = litlen;
		r.lits[0].cap = litlen + 1;
		r.nlits = r.cap = 1;
		/* the reader puts '\n' where the literal was, then the rest */
		assert_int_equal(mime_buf_append_str(&r.text, "\n"), 0);
	}
	imap_scan_init(&sc, &r);
	assert_int_equal(imap_scan_next(&sc, &t), 0);	/* "*" */
	assert_int_equal(imap_scan_next(&sc, &t), 0);
	assert_true(imap_tok_is(&t, "LIST"));
	imap_special_list(sp, &sc);
	imap_resp_free(&r);
}

static void
list(struct imap_special *sp, const char *line)
{
	list_lit(sp, line, NULL, 0);
}

static void
test_dovecot_localised(void **state)
{
	struct imap_special sp;

	(void)state;
	memset(&sp, 0, sizeof(sp));
	list(&sp, "* LIST (\\HasNoChildren) \"/\" INBOX");
	list(&sp, "* LIST (\\HasNoChildren \\Junk) \"/\" Pourriel");
	list(&sp, "* LIST (\\HasNoChildren \\Archive) \"/\" "
	    "\"Archives 2026\"");
	list(&sp, "* LIST (\\HasNoChildren \\Sent) \"/\" "
	    "\"&AMk-l&AOk-ments envoy&AOk-s\"");
	assert_string_equal(sp.raw[JUNK], "Pourriel");
	assert_string_equal(sp.name[JUNK], "Pourriel");
	assert_string_equal(sp.raw[ARCHIVE], "Archives 2026");
	/* the wire keeps the server's bytes, messages get UTF-8 */
	assert_string_equal(sp.raw[SENT], "&AMk-l&AOk-ments envoy&AOk-s");
	assert_string_equal(sp.name[SENT], "\xc3\x89l\xc3\xa9ments "
	    "envoy\xc3\xa9s");
	assert_string_equal(sp.raw[TRASH], "");
	assert_string_equal(sp.raw[ALL], "");
	assert_int_equal(sp.skipped, 0);
}

static void
test_gmail(void **state)
{
	struct imap_special sp;

	(void)state;
	memset(&sp, 0, sizeof(sp));
	list(&sp, "* LIST (\\HasChildren \\Noselect) \"/\" \"[Gmail]\"");
	list(&sp, "* LIST (\\All \\HasNoChildren) \"/\" \"[Gmail]/All Mail\"");
	list(&sp, "* LIST (\\HasNoChildren \\Junk) \"/\" [Gmail]/Spam");
	list(&sp, "* LIST (\\Flagged \\HasNoChildren) \"/\" "
	    "\"[Gmail]/Starred\"");
	list(&sp, "* LIST (\\HasNoChildren \\Trash) \"/\" \"[Gmail]/Trash\"");
	assert_string_equal(sp.raw[ALL], "[Gmail]/All Mail");
	assert_string_equal(sp.raw[JUNK], "[Gmail]/Spam");
	assert_string_equal(sp.raw[FLAGGED], "[Gmail]/Starred");
	assert_string_equal(sp.raw[TRASH], "[Gmail]/Trash");
	assert_int_equal(sp.skipped, 0);	/* [Gmail] has no mark */

	/* XLIST's names, as older Gmail gave them; any case */
	memset(&sp, 0, sizeof(sp));
	list(&sp, "* LIST (\\HasNoChildren \\Spam) \"/\" \"[Gmail]/Spam\"");
	list(&sp, "* LIST (\\AllMail) \"/\" \"[Gmail]/All Mail\"");
	list(&sp, "* LIST (\\STARRED) \"/\" \"[Gmail]/Starred\"");
	list(&sp, "* LIST (\\tRASH) \"/\" \"[Gmail]/Bin\"");
	assert_string_equal(sp.raw[JUNK], "[Gmail]/Spam");
	assert_string_equal(sp.raw[ALL], "[Gmail]/All Mail");
	assert_string_equal(sp.raw[FLAGGED], "[Gmail]/Starred");
	assert_string_equal(sp.raw[TRASH], "[Gmail]/Bin");
}

static void
test_shapes(void **state)
{
	struct imap_special sp;
	static const char corbeille[] = "Corbeille \"x\"";

	(void)state;
	memset(&sp, 0, sizeof(sp));
	/* a literal name, a NIL delimiter, LIST-EXTENDED data after it */
	list_lit(&sp, "* LIST (\\Trash) \".\" {13}", corbeille,
	    sizeof(corbeille) - 1);
	list(&sp, "* LIST (\\Sent) NIL Sent");
	list(&sp, "* LIST (\\Drafts \\Subscribed) \".\" \"INBOX.Drafts\" "
	    "(\"CHILDINFO\" (\"SUBSCRIBED\"))");
	/* one folder with two marks; the first folder listed keeps one */
	list(&sp, "* LIST (\\Junk \\Archive) \"/\" Both");
	list(&sp, "* LIST (\\Junk) \"/\" Second");
	/* quoted-string escapes */
	list(&sp, "* LIST (\\All) \"/\" \"a\\\\b \\\"c\\\"\"");
	assert_string_equal(sp.raw[TRASH], corbeille);
	assert_string_equal(sp.raw[SENT], "Sent");
	assert_string_equal(sp.raw[DRAFTS], "INBOX.Drafts");
	assert_string_equal(sp.raw[JUNK], "Both");
	assert_string_equal(sp.raw[ARCHIVE], "Both");
	assert_string_equal(sp.raw[ALL], "a\\b \"c\"");
	assert_int_equal(sp.skipped, 0);

	/* under UTF8=ACCEPT names are UTF-8, kept as they are */
	memset(&sp, 0, sizeof(sp));
	sp.utf8 = 1;
	list(&sp, "* LIST (\\Junk) \"/\" \"\xd0\xa1\xd0\xbf\xd0\xb0\xd0\xbc\"");
	list(&sp, "* LIST (\\Trash) \"/\" \"bad \xc3\"");
	assert_string_equal(sp.raw[JUNK], "\xd0\xa1\xd0\xbf\xd0\xb0\xd0\xbc");
	assert_string_equal(sp.name[JUNK], sp.raw[JUNK]);
	assert_string_equal(sp.raw[TRASH], "");
	assert_int_equal(sp.skipped, 1);
}

static void
test_hostile(void **state)
{
	struct imap_special sp;
	char		 line[2048], big[1200];
	static const char nul[] = "Ju\0nk", crlf[] = "a\r\n* OK b";

	(void)state;
	memset(&sp, 0, sizeof(sp));
	/* malformed: ignored, not counted (no name was seen) */
	list(&sp, "* LIST (\\Junk (\\Archive)) \"/\" Nested");
	list(&sp, "* LIST (\\Junk \"\\Archive\") \"/\" Quoted");
	list(&sp, "* LIST \\Junk \"/\" NoList");
	list(&sp, "* LIST (\\Junk \"/\" Unclosed");
	list(&sp, "* LIST (\\Junk) \"/\"");
	list(&sp, "* LIST (\\Junk) (\"/\") Odd");
	list(&sp, "* LIST (\\Junk) \"/\" (Name)");
	list(&sp, "* LIST (\\Junk)");
	list(&sp, "* LIST");
	assert_string_equal(sp.raw[JUNK], "");
	assert_string_equal(sp.raw[ARCHIVE], "");
	assert_int_equal(sp.skipped, 0);

	/* a name seen but not usable: counted, never kept */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(line, sizeof(line), "* LIST (\\Junk) \"/\" \"%s\"", big);
	list(&sp, line);
	list_lit(&sp, "* LIST (\\Junk) \"/\" {5}", nul, 5);
	list_lit(&sp, "* LIST (\\Junk) \"/\" {9}", crlf, 9);
	list(&sp, "* LIST (\\Junk) \"/\" NIL");
	list(&sp, "* LIST (\\Junk) \"/\" \"\"");
	list(&sp, "* LIST (\\Junk \\Noselect) \"/\" Gone");
	list(&sp, "* LIST (\\NonExistent \\Junk) \"/\" Gone");
	list(&sp, "* LIST (\\Junk) \"/\" \"8bit \xc3\xa9\"");	/* not mUTF-7 */
	list(&sp, "* LIST (\\Junk) \"/\" \"&Jjo\"");	/* unterminated */
	list(&sp, "* LIST (\\Junk) \"/\" \"&AGE-\"");	/* 'a', shifted */
	list(&sp, "* LIST (\\Junk) \"/\" \"&AOk-&AOk-\"");	/* two runs */
	list(&sp, "* LIST (\\Junk) \"/\" \"&2D0-\"");	/* lone surrogate */
	list(&sp, "* LIST (\\Junk) \"/\" \"&AAE-\"");	/* U+0001 */
	assert_string_equal(sp.raw[JUNK], "");
	assert_int_equal(sp.skipped, 13);

	/* odd attributes around a real one are fine */
	list(&sp, "* LIST (\\X-Odd] \\* $Junk Junk \\Junk\\ \\Junk) \"/\" Ok");
	assert_string_equal(sp.raw[JUNK], "Ok");
	/* a name of IMAP_FOLDER_MAX bytes is the longest kept */
	memset(big, 'y', IMAP_FOLDER_MAX);
	big[IMAP_FOLDER_MAX] = '\0';
	snprintf(line, sizeof(line), "* LIST (\\Trash) \"/\" \"%s\"", big);
	list(&sp, line);
	assert_string_equal(sp.raw[TRASH], big);
}

/* The resolver without a server: the LIST is taken as answered. */
static void
test_resolve(void **state)
{
	struct account	 acct;
	struct imap	*s;
	char		 name[] = "work";
	char		 server[IMAP_FOLDER_MAX + 1], wire[4 * IMAP_FOLDER_MAX];

	(void)state;
	memset(&acct, 0, sizeof(acct));
	acct.name = name;
	assert_non_null(s = calloc(1, sizeof(*s)));
	s->acct = &acct;
	s->special.known = 1;
	s->caps = CAP_SPECIAL_USE;
	list(&s->special, "* LIST (\\Junk) \"/\" \"Spam \\\"x\\\" &AOk-\"");

	assert_true(imap_special_is("\\Junk"));
	assert_false(imap_special_is("Junk"));
	assert_false(imap_special_is("INBOX/\\Junk"));

	assert_int_equal(imap_special_resolve(s, "\\junk", server,
	    sizeof(server), wire, sizeof(wire)), 0);
	assert_string_equal(server, "Spam \"x\" \xc3\xa9");
	assert_string_equal(wire, "\"Spam \\\"x\\\" &AOk-\"");
	/* too small for the name: refused, not cut */
	assert_int_equal(imap_special_resolve(s, "\\Junk", server, 5,
	    wire, sizeof(wire)), -1);
	assert_int_equal(imap_special_resolve(s, "\\Junk", server,
	    sizeof(server), wire, 8), -1);

	assert_int_equal(imap_special_resolve(s, "\\Archive", server,
	    sizeof(server), wire, sizeof(wire)), -1);
	assert_non_null(strstr(s->err, "\\Archive"));
	assert_non_null(strstr(s->err, "account work"));
	assert_non_null(strstr(s->err, "marks no folder as \\Archive"));
	assert_non_null(strstr(s->err, "nothing was created"));
	assert_null(strstr(s->err, "does not offer"));

	s->caps = 0;
	s->special.skipped = 2;
	assert_int_equal(imap_special_resolve(s, "\\Trash", server,
	    sizeof(server), wire, sizeof(wire)), -1);
	assert_non_null(strstr(s->err, "does not offer SPECIAL-USE"));
	assert_non_null(strstr(s->err, "2 marked folder(s) left out"));

	assert_int_equal(imap_special_resolve(s, "\\Important", server,
	    sizeof(server), wire, sizeof(wire)), -1);
	assert_non_null(strstr(s->err, "not a SPECIAL-USE folder"));
	assert_int_equal(imap_special_resolve(s, "\\Junk/Sub", server,
	    sizeof(server), wire, sizeof(wire)), -1);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dovecot_localised),
		cmocka_unit_test(test_gmail),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

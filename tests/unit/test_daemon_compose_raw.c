/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_compose_raw.c - a message sent as it is
 * (daemon/send/compose-raw.c, `mailsift send --raw`): its envelope
 * recipients from --to/--cc and, like sendmail -t, from its To, Cc and
 * Bcc fields (address lists read with mime/'s parser), and the message
 * without its Bcc fields, every other byte kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/send/compose.h"
#include "mime/buf.h"

static char	 err[1024];

/* The recipients of msg as "a,b,c", or NULL with err set. */
static const char *
rcpts(const char *msg, int from_headers, const char *to, const char *cc)
{
	static char	 joined[2048];
	const char	*lists[2] = { to, cc };
	char		**v;
	size_t		 n, i;

	joined[0] = '\0';
	err[0] = '\0';
	if (compose_raw_recipients(msg, strlen(msg), from_headers, lists, 2,
	    &v, &n, err, sizeof(err)) == -1)
		return NULL;
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(joined, ",");
		strcat(joined, v[i]);
	}
	assert_null(v[n]);
	compose_addrs_free(v);
	return joined;
}

static const char msg_all[] =
    "From: Cron Daemon <root@host.example>\r\n"
    "To: Ops <ops@example.org>, \"Doe, Jane\" <jane@example.org>\r\n"
    "Cc: =?utf-8?q?J=C3=B6rg?= <joerg@example.org>,\r\n"
    " team: a@example.org, b@example.org;\r\n"
    "Subject: To: nobody@example.org\r\n"
    "bcc: hidden@example.org (the boss)\r\n"
    "Cc: OPS@example.org\r\n"
    "\r\n"
    "To: body@example.org\r\n";

/* To, Cc and Bcc, every occurrence, names, groups, folding and
 * comments; duplicates dropped ignoring case; neither Subject nor the
 * body counts. */
static void
test_from_headers(void **state)
{
	(void)state;
	assert_string_equal(rcpts(msg_all, 1, NULL, NULL),
	    "ops@example.org,jane@example.org,joerg@example.org,"
	    "a@example.org,b@example.org,hidden@example.org");
}

/* Without -t only the lists given count; with it, both. */
static void
test_lists(void **state)
{
	(void)state;
	assert_string_equal(rcpts(msg_all, 0, "x@example.net", NULL),
	    "x@example.net");
	assert_string_equal(rcpts(msg_all, 0, "x@example.net, y@example.net",
	    "z@example.net"), "x@example.net,y@example.net,z@example.net");
	assert_string_equal(rcpts(msg_all, 1, "ops@example.org",
	    "z@example.net"), "ops@example.org,z@example.net,"
	    "jane@example.org,joerg@example.org,a@example.org,b@example.org,"
	    "hidden@example.org");
	assert_null(rcpts(msg_all, 0, NULL, NULL));
	assert_string_equal(err, "no recipients");
	assert_null(rcpts(msg_all, 0, "not an address", NULL));
	assert_non_null(strstr(err, "recipient"));
}

/* An empty group adds no one; no one at all is an error that says so. */
static void
test_no_recipient(void **state)
{
	(void)state;
	assert_string_equal(rcpts("To: undisclosed-recipients:;\n"
	    "Bcc: only@example.org\n\nbody\n", 1, NULL, NULL),
	    "only@example.org");
	assert_null(rcpts("To: undisclosed-recipients:;\nSubject: x\n\nb\n", 1,
	    NULL, NULL));
	assert_string_equal(err, "no recipient: the message has no address "
	    "in To, Cc or Bcc");
	assert_null(rcpts("Subject: no one\n\nbody\n", 1, NULL, NULL));
	assert_non_null(strstr(err, "no recipient"));
	assert_null(rcpts("Bcc:\nSubject: no one\n\nbody\n", 1, NULL, NULL));
	assert_null(rcpts("no header at all", 1, NULL, NULL));
}

/* A field that cannot be sent to is refused, naming the field; what
 * it holds is shown cleaned. */
static void
test_bad_fields(void **state)
{
	(void)state;
	assert_null(rcpts("To: ok@example.org\nCc: <bad\x1b[2J@exa mple>\n\n",
	    1, NULL, NULL));
	assert_non_null(strstr(err, "the message's Cc field"));
	assert_null(strchr(err, '\x1b'));
	assert_null(rcpts("To: nodomain\n\n", 1, NULL, NULL));
	assert_non_null(strstr(err, "the message's To field"));
	assert_non_null(strstr(err, "nodomain"));
}

static const char fwd[] = "To: c@example.org\n"
    "Content-Type: message/rfc822\n\n"
    "Bcc: inner@example.org\nTo: inner2@example.org\n\nbody\n";

static const char *
strip(const char *msg, size_t *len)
{
	static struct mime_buf	 out;

	mime_buf_free(&out);
	mime_buf_init(&out);
	assert_int_equal(compose_raw_strip_bcc(msg, strlen(msg), &out, err,
	    sizeof(err)), 0);
	*len = out.len;
	return out.data;
}

/* Every Bcc field goes, folded lines and all, CRLF or LF; nothing else
 * changes, not even a Bcc line in the body or in an attached message. */
static void
test_strip_bcc(void **state)
{
	size_t	 len;

	(void)state;
	assert_string_equal(strip(msg_all, &len),
	    "From: Cron Daemon <root@host.example>\r\n"
	    "To: Ops <ops@example.org>, \"Doe, Jane\" <jane@example.org>\r\n"
	    "Cc: =?utf-8?q?J=C3=B6rg?= <joerg@example.org>,\r\n"
	    " team: a@example.org, b@example.org;\r\n"
	    "Subject: To: nobody@example.org\r\n"
	    "Cc: OPS@example.org\r\n"
	    "\r\n"
	    "To: body@example.org\r\n");
	assert_string_equal(strip("Bcc: a@example.org,\n b@example.org\n"
	    "To: c@example.org\nBCC: d@example.org\nBcc:\n\n"
	    "Bcc: in the body\n", &len),
	    "To: c@example.org\n\nBcc: in the body\n");
	/* the last field, with no line end after it */
	assert_string_equal(strip("To: c@example.org\nBcc: x@example.org",
	    &len), "To: c@example.org\n");
	/* no Bcc: the bytes as they were */
	assert_string_equal(strip("To: c@example.org\n\nbody", &len),
	    "To: c@example.org\n\nbody");
	assert_int_equal(len, strlen("To: c@example.org\n\nbody"));
	/* a forwarded message keeps its own header, and adds no one */
	assert_string_equal(strip(fwd, &len), fwd);
	assert_string_equal(rcpts(fwd, 1, NULL, NULL), "c@example.org");
	strip("", &len);
	assert_int_equal(len, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_headers),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_no_recipient),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_strip_bcc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

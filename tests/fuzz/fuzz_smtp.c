/* SPDX-License-Identifier: ISC */
/*
 * fuzz_smtp.c - libFuzzer target: a whole SMTP submission (daemon/send/smtp.c,
 * smtp-tx.c, conn.c) against a server whose every byte is the input:
 * greeting, EHLO (or HELO) with its keywords, STARTTLS, AUTH, MAIL,
 * RCPT, DATA and its end, QUIT; multi-line replies anywhere.  The first
 * byte picks STARTTLS, the login mechanism (or none, for APOP), the null sender
 * and one or three recipients (fuzz.h).
 */
#include <stdio.h>
#include <string.h>

#include "daemon/conf/conf.h"
#include "daemon/util/log.h"
#include "daemon/send/smtp.h"
#include "tests/fuzz/fuzz.h"

static char	 name[] = "fuzz";
static char	 label[] = "smtp 'fuzz'";
static char	 host[] = "127.0.0.1";
static char	 port[16];
static char	 user[] = "u";
static char	 pass[] = "p";
static char	 from[] = "me@example.org";

/* A line to dot-stuff, a bare LF, a bare CR and an 8-bit byte. */
static const char msg[] = "From: me@example.org\r\nTo: you@example.org\r\n"
    "Subject: caf\xc3\xa9\r\n\r\n.leading dot\r\n.\r\nbare\nlf and "
    "bare\rcr\r\nlast line without end";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(0, LOG_LEVEL_TRACE);
	smtp_set_timeouts(5000, 5000);
	snprintf(port, sizeof(port), "%s", fuzz_serve_init());
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const rcpts[] = { "you@example.org",
	    "j\xc3\xb6rg@example.org", "bad address@" };
	struct fuzz_opts	 o;
	struct smtp_server	 srv;
	struct smtp_result	 res;

	fuzz_opts_take(&data, &size, &o);
	memset(&srv, 0, sizeof(srv));
	srv.name = name;
	srv.from = from;
	srv.ep.label = label;
	srv.ep.host = host;
	srv.ep.port = port;
	srv.ep.tls = o.starttls ? TLS_STARTTLS : TLS_NONE;
	srv.ep.tls_verify = 0;	/* no CA store to load: 300 ms a run */
	srv.ep.allow_plaintext_auth = 1;
	srv.ep.auth = o.auth == AUTH_APOP ? AUTH_AUTO : o.auth;
	/* "APOP" stands for no login at all */
	if (o.auth != AUTH_APOP) {
		srv.ep.user = user;
		srv.ep.password = pass;
	}
	memset(&res, 0, sizeof(res));
	fuzz_serve_begin(data, size);
	(void)smtp_send(&srv, o.keep ? "" : NULL, rcpts,
	    o.pipelining ? 3 : 1, msg, sizeof(msg) - 1, &res);
	fuzz_serve_end();
	smtp_result_free(&res);
	return 0;
}

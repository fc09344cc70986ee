/* SPDX-License-Identifier: ISC */
/*
 * fuzz_pop3.c - libFuzzer target: a whole POP3 round (daemon/source/pop3.c,
 * pop3-fetch.c, conn.c) against a server whose every byte is the input:
 * greeting (an APOP stamp or not), CAPA, STLS, USER/PASS, APOP or AUTH,
 * UIDL and LIST listings, RETR bodies (the dot-stuffed multi-line reader
 * pop3_body_read(), fed by conn_peek() in the receive buffer), DELE,
 * QUIT.  The first byte picks STARTTLS, the login mechanism, keep and a
 * stop (SIGTERM) after the first message (fuzz.h); with its pipelining
 * bit max-size is 64 bytes, so the skip path is reached too.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/conf/conf.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/util/log.h"
#include "daemon/source/pop3.h"
#include "tests/fuzz/fuzz.h"

static char	 name[] = "fuzz";
static char	 label[] = "account 'fuzz'";
static char	 host[] = "127.0.0.1";
static char	 port[16];
static char	 user[] = "u";
static char	 pass[] = "p";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(0, LOG_LEVEL_TRACE);
	pop3_set_timeout(5000);
	snprintf(port, sizeof(port), "%s", fuzz_serve_init());
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_opts	 o;
	struct account		 a;
	struct pipeline		*pl;

	fuzz_opts_take(&data, &size, &o);
	memset(&a, 0, sizeof(a));
	a.name = name;
	a.type = ACCT_POP3;
	a.ep.label = label;
	a.ep.host = host;
	a.ep.port = port;
	a.ep.tls = o.starttls ? TLS_STARTTLS : TLS_NONE;
	a.ep.tls_verify = 0;	/* no CA store to load: 300 ms a run */
	a.ep.allow_plaintext_auth = 1;
	a.ep.user = user;
	a.ep.password = pass;
	a.ep.auth = o.auth;
	a.keep = o.keep;
	pl = fuzz_pipeline_new(o.pipelining ? 64 : 1024 * 1024, o.stop);
	fuzz_serve_begin(data, size);
	(void)pop3_fetch(&a, pl);
	fuzz_serve_end();
	fuzz_pipeline_free(pl);
	return 0;
}

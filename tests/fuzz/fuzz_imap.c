/* SPDX-License-Identifier: ISC */
/*
 * fuzz_imap.c - libFuzzer target: a whole IMAP fetch round (daemon/source/imap.c,
 * imap-fetch.c, imap-ops.c, imap-resp.c, conn.c) against a server whose every byte
 * is the input: greeting, CAPABILITY, LOGIN or AUTHENTICATE, SELECT,
 * SEARCH, FETCH with literals anywhere, STORE, EXPUNGE, LOGOUT; the
 * LIST of a namespace and of SPECIAL-USE (the folder \Junk).  Tags
 * are a1, a2, ... in command order.  The first byte picks STARTTLS, the
 * login mechanism, keep, only-unseen, IDLE after the round and a stop
 * (SIGTERM) after the first message (fuzz.h).
 */
#include <stdio.h>
#include <string.h>

#include "daemon/conf/conf.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/source/imap.h"
#include "daemon/util/log.h"
#include "tests/fuzz/fuzz.h"

static char	 name[] = "fuzz";
static char	 label[] = "account 'fuzz'";
static char	 host[] = "127.0.0.1";
static char	 port[16];
static char	 user[] = "u";
static char	 pass[] = "p";
static char	 inbox[] = "INBOX";
static char	 other[] = "Lists/caf\xc3\xa9";
static char	 junk[] = "\\Junk";	/* a LIST (SPECIAL-USE) first */
static char	*folders[] = { inbox, other, junk };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(0, LOG_LEVEL_TRACE);
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
	a.type = ACCT_IMAP;
	a.ep.label = label;
	a.ep.host = host;
	a.ep.port = port;
	a.ep.tls = o.starttls ? TLS_STARTTLS : TLS_NONE;
	a.ep.tls_verify = 0;	/* no CA store to load: 300 ms a run */
	a.ep.allow_plaintext_auth = 1;
	a.ep.user = user;
	a.ep.password = pass;
	a.ep.auth = o.auth == AUTH_APOP ? AUTH_AUTO : o.auth;
	a.folders = folders;
	a.nfolders = 3;
	a.keep = o.keep;
	a.only_unseen = o.pipelining;
	a.idle = o.idle;
	a.condstore = 1;	/* the server's CAPABILITY decides */
	pl = fuzz_pipeline_new(o.pipelining ? 64 : 1024 * 1024, o.stop);
	fuzz_serve_begin(data, size);
	(void)imap_fetch(&a, pl);
	fuzz_serve_end();
	fuzz_pipeline_free(pl);
	return 0;
}

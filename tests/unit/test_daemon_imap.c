/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_imap.c - the IMAP client (daemon/imap*.c) against a fake
 * server that misbehaves on purpose: literals anywhere, unsolicited
 * EXISTS/EXPUNGE/FETCH between and inside responses, oversized literals,
 * BYE in the middle, garbage.  The real server (Dovecot) is covered by
 * the integration tests; this is fault injection only.
 *
 * The server is a forked child on 127.0.0.1 that plays a script: for
 * each step it reads one command line, checks it contains the expected
 * text, and answers with lines in which "%T" becomes the command's tag
 * ("%P" the previous command's: IDLE's, answered after DONE).
 * The pipeline is a test double: its symbols in this object win over
 * libdaemon.a, so nothing here may pull in daemon/fetch.o.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/conf/conf.h"
#include "daemon/net/conn.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/source/imap.h"
#include "daemon/util/stop.h"
#include "daemon/source/imap-resp.h"
#include "daemon/store/serverops.h"
#include "mime/charset.h"

#define MAXMSGS	16

/* ---- the pipeline double ---- */

struct pipeline {
	fetch_committed_fn	 cb;
	void			*ctx;
	uint32_t		 uid[MAXMSGS];
	char			*data[MAXMSGS];
	size_t			 len[MAXMSGS];
	size_t			 n;
	uint32_t		 committed[MAXMSGS];
	size_t			 ncommitted;
	uint32_t		 skipped[MAXMSGS];
	size_t			 nskipped;
	const uint32_t		*known;		/* 0-terminated, or NULL */
	uint64_t		 max_size;
	/* Gmail: what came with each message, "|"-joined labels */
	uint64_t		 msgid[MAXMSGS];
	char			 labels[MAXMSGS][256];
	const uint64_t		*known_ids;	/* 0-terminated, or NULL */
	uint32_t		 dup[MAXMSGS];
	size_t			 ndup;
};

int
pipeline_add(struct pipeline *pl, const struct fetch_key *k, char *data,
    size_t len)
{
	assert_true(pl->n < MAXMSGS);
	pl->uid[pl->n] = k->uid;
	pl->msgid[pl->n] = k->gm_msgid;
	pl->labels[pl->n][0] = '\0';
	for (size_t i = 0, o = 0; i < k->nlabels; i++)
		o += (size_t)snprintf(pl->labels[pl->n] + o,
		    sizeof(pl->labels[0]) - o, "%s%s", i > 0 ? "|" : "",
		    k->labels[i]);
	pl->data[pl->n] = malloc(len + 1);
	assert_non_null(pl->data[pl->n]);
	memcpy(pl->data[pl->n], data, len);
	pl->len[pl->n++] = len;
	return 0;
}

int
pipeline_skip(struct pipeline *pl, const struct fetch_key *k, uint64_t size)
{
	(void)size;
	pl->skipped[pl->nskipped++] = k->uid;
	return 0;
}

int
pipeline_flush(struct pipeline *pl)
{
	struct fetch_key k;
	size_t		 i;

	for (i = pl->ncommitted; i < pl->n; i++) {
		memset(&k, 0, sizeof(k));
		k.uid = pl->uid[i];
		pl->committed[pl->ncommitted++] = k.uid;
		if (pl->cb != NULL)
			pl->cb(pl->ctx, &k);
	}
	return 0;
}

void
pipeline_set_committed(struct pipeline *pl, fetch_committed_fn cb, void *ctx)
{
	pl->cb = cb;
	pl->ctx = ctx;
}

void
pipeline_set_total(struct pipeline *pl, size_t n)
{
	(void)pl;
	(void)n;
}

uint64_t
pipeline_max_size(const struct pipeline *pl)
{
	return pl->max_size;
}

/* no imap: target here: the body pass asks for no flags or date */
int
pipeline_keeps_meta(const struct pipeline *pl)
{
	(void)pl;
	return 0;
}

void
pipeline_idle(struct pipeline *pl, int on)
{
	(void)pl;
	(void)on;
}

int
pipeline_known_uids(struct pipeline *pl, const char *folder, uint32_t uv,
    const uint32_t *uids, size_t n, unsigned char *known)
{
	size_t	 i, j;

	(void)folder;
	(void)uv;
	for (i = 0; i < n; i++) {
		known[i] = 0;
		for (j = 0; pl->known != NULL && pl->known[j] != 0; j++)
			if (pl->known[j] == uids[i])
				known[i] = 1;
	}
	return 0;
}

int
pipeline_folder_begin(struct pipeline *pl, const char *folder, uint32_t uv)
{
	(void)pl;
	(void)folder;
	(void)uv;
	return 0;
}

/* The folder's sync point (CONDSTORE): what a test stores, what the
 * round records. */
static struct state_sync	 sync_stored;
static int			 sync_have, sync_sets;

int
pipeline_folder_sync(struct pipeline *pl, const char *folder,
    struct state_sync *sync)
{
	(void)pl;
	(void)folder;
	if (!sync_have)
		return 0;
	*sync = sync_stored;
	return 1;
}

int
pipeline_folder_sync_set(struct pipeline *pl, const char *folder,
    const struct state_sync *sync)
{
	(void)pl;
	(void)folder;
	sync_sets++;
	sync_have = sync != NULL;
	if (sync != NULL)
		sync_stored = *sync;
	return 0;
}

/* The rules' server ops a test hands the round (none if NULL). */
static const struct server_op	*ops_script;
static size_t			 ops_nscript;

int
pipeline_server_ops(struct pipeline *pl, const char *folder, uint32_t uv,
    struct server_op **v, size_t *n)
{
	(void)pl;
	(void)folder;
	(void)uv;
	*v = NULL;
	*n = 0;
	if (ops_nscript == 0)
		return 0;
	*v = malloc(ops_nscript * sizeof(**v));
	assert_non_null(*v);
	memcpy(*v, ops_script, ops_nscript * sizeof(**v));
	*n = ops_nscript;
	return 0;
}

void
pipeline_server_ops_free(struct server_op *v, size_t n)
{
	(void)n;
	free(v);
}

int
pipeline_server_op_done(struct pipeline *pl, int64_t id)
{
	(void)pl;
	(void)id;
	return 0;
}

/* Gmail's X-GM-MSGID (imap-labels.c): none known, none recorded. */
int
pipeline_known_msgids(struct pipeline *pl, const uint64_t *ids, size_t n,
    unsigned char *known)
{
	size_t	 i, j;

	for (i = 0; i < n; i++) {
		known[i] = 0;
		for (j = 0; pl->known_ids != NULL && pl->known_ids[j] != 0;
		    j++)
			if (pl->known_ids[j] == ids[i])
				known[i] = 1;
	}
	return 0;
}

int
pipeline_duplicate_msgid(struct pipeline *pl, const struct fetch_key *k,
    uint64_t size)
{
	(void)size;
	assert_true(k->gm_msgid != 0);
	pl->dup[pl->ndup++] = k->uid;
	return 0;
}

/* Set by a test's SIGALRM, as SIGTERM sets the daemon's flag. */
static volatile sig_atomic_t	 stop_asked;

int
stop_requested(void)
{
	return stop_asked;
}

/* No stop descriptor here: the IDLE loop looks every second, as the
 * daemon's does when it has none. */
int
stop_wait_fd(int *timeout_ms)
{
	if (*timeout_ms < 0 || *timeout_ms > 1000)
		*timeout_ms = 1000;
	return -1;
}

static void
pipeline_init(struct pipeline *pl)
{
	memset(pl, 0, sizeof(*pl));
	pl->max_size = 1024 * 1024;
}

static void
pipeline_clear(struct pipeline *pl)
{
	size_t	 i;

	for (i = 0; i < pl->n; i++)
		free(pl->data[i]);
	pipeline_init(pl);
}

/* ---- the scripted server ---- */

struct step {
	const char	*expect;	/* text the command must contain */
	const char	*reply;		/* lines, "%T" is the tag, "%P" the
					   previous command's */
};

static int
read_line(FILE *in, char *buf, size_t len)
{
	if (fgets(buf, (int)len, in) == NULL)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static void
send_reply(FILE *out, const char *reply, const char *tag, const char *prev)
{
	const char	*p;

	for (p = reply; *p != '\0'; p++) {
		if (p[0] == '%' && (p[1] == 'T' || p[1] == 'P')) {
			fputs(p[1] == 'T' ? tag : prev, out);
			p++;
		} else
			putc(*p, out);
	}
	fflush(out);
}

/* Set before a server starts: after its steps the client must hang up
 * without a word more (no LOGOUT); anything it sends is exit 4. */
static int	 expect_eof;
/* Set before a server starts: it hangs up right after its last step. */
static int	 hangup_after;

/* The child: greet, then play the steps; exit 1 on a surprise. */
static void
serve(int lfd, const char *greeting, const struct step *steps)
{
	char	 line[8192], tag[64] = "", prev[64] = "";
	FILE	*in, *out;
	int	 fd;

	alarm(10);
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(2);
	in = fdopen(fd, "r");
	out = fdopen(dup(fd), "w");
	if (in == NULL || out == NULL)
		_exit(2);
	send_reply(out, greeting, "", "");
	for (; steps->expect != NULL; steps++) {
		if (read_line(in, line, sizeof(line)) == -1)
			_exit(3);
		if (strstr(line, steps->expect) == NULL) {
			fprintf(stderr, "fake imap: wanted '%s', got '%s'\n",
			    steps->expect, line);
			_exit(1);
		}
		snprintf(prev, sizeof(prev), "%s", tag);
		snprintf(tag, sizeof(tag), "%.*s", (int)strcspn(line, " "),
		    line);
		send_reply(out, steps->reply, tag, prev);
	}
	if (hangup_after)
		_exit(0);
	/* drain what the client still sends, then go */
	while (read_line(in, line, sizeof(line)) == 0) {
		if (expect_eof) {
			fprintf(stderr, "fake imap: wanted EOF, got '%s'\n",
			    line);
			_exit(4);
		}
		if (strstr(line, "LOGOUT") != NULL)
			break;
	}
	_exit(0);
}

static pid_t
server_start(const char *greeting, const struct step *steps, char *port,
    size_t len)
{
	struct sockaddr_in sin;
	socklen_t	 slen = sizeof(sin);
	pid_t		 pid;
	int		 fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	snprintf(port, len, "%u", ntohs(sin.sin_port));
	if ((pid = fork()) == 0)
		serve(fd, greeting, steps);
	assert_true(pid > 0);
	close(fd);
	return pid;
}

static int
server_wait(pid_t pid)
{
	int	 status;

	/* the child ends when the client hangs up (or its alarm rings) */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char	 name_t[] = "t";
static char	 host_lo[] = "127.0.0.1";
static char	 user_u[] = "u";
static char	 pass_p[] = "p";
static char	 inbox[] = "INBOX";
static char	*folders[] = { inbox };
static char	 port_buf[16];

static void
account_init(struct account *a, int keep)
{
	memset(a, 0, sizeof(*a));
	a->name = name_t;
	a->type = ACCT_IMAP;
	a->ep.host = host_lo;
	a->ep.port = port_buf;
	a->ep.tls = TLS_NONE;
	a->ep.allow_plaintext_auth = 1;
	a->ep.user = user_u;
	a->ep.password = pass_p;
	a->ep.auth = AUTH_LOGIN;
	a->folders = folders;
	a->nfolders = 1;
	a->keep = keep;
}

#define GREETING "* OK [CAPABILITY IMAP4rev1 UIDPLUS IDLE] ready\r\n"
#define LOGIN_OK { "LOGIN \"u\" \"p\"", "%T OK [CAPABILITY IMAP4rev1 " \
    "UIDPLUS] logged in\r\n" }
#define CAPA_OK { "CAPABILITY", "* CAPABILITY IMAP4rev1 UIDPLUS IDLE\r\n" \
    "%T OK done\r\n" }

static int
run(const char *greeting, const struct step *steps, struct pipeline *pl,
    int keep)
{
	struct account	 a;
	pid_t		 pid;
	int		 rv;

	account_init(&a, keep);
	pid = server_start(greeting, steps, port_buf, sizeof(port_buf));
	rv = imap_fetch(&a, pl);
	assert_int_equal(server_wait(pid), 0);
	return rv;
}

/* imap_fetch on a prepared account, what it logs in *logged (caller
 * frees); the server must end cleanly. */
static int
run_logged(struct account *a, const char *greeting, const struct step *steps,
    struct pipeline *pl, char **logged)
{
	FILE	*tmp = tmpfile();
	long	 n;
	pid_t	 pid;
	int	 saved, rv;

	assert_non_null(tmp);
	pid = server_start(greeting, steps, port_buf, sizeof(port_buf));
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	rv = imap_fetch(a, pl);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	assert_int_equal(server_wait(pid), 0);
	n = ftell(tmp);
	assert_true(n >= 0);
	rewind(tmp);
	*logged = malloc((size_t)n + 1);
	assert_non_null(*logged);
	assert_int_equal(fread(*logged, 1, (size_t)n, tmp), (size_t)n);
	(*logged)[n] = '\0';
	fclose(tmp);
	return rv;
}

static void
assert_logged(const char *logged, const char *what)
{
	if (strstr(logged, what) == NULL)
		fail_msg("log lacks \"%s\":\n%s", what, logged);
}

/* Nothing in the log a terminal would act on: valid UTF-8, no C0
 * control but the line ends, no DEL, no C1 (U+0080..U+009F). */
static void
assert_log_clean(const char *logged)
{
	const unsigned char	*p = (const unsigned char *)logged;

	if (!mime_utf8_valid(logged, strlen(logged)))
		fail_msg("log not UTF-8:\n%s", logged);
	for (; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f ||
		    (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			fail_msg("control byte 0x%02x in the log:\n%s", *p,
			    logged);
	}
}

/* Unsolicited responses everywhere, a literal holding ")" and "* 9
 * EXPUNGE" lines: the bodies come out exact. */
static void
test_fetch_with_noise(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 3 EXISTS\r\n* OK [UIDVALIDITY 77] "
		    "ok\r\n* FLAGS (\\Seen)\r\n%T OK [READ-WRITE] done\r\n" },
		{ "UID SEARCH ALL", "* 4 EXISTS\r\n* SEARCH 7 5 9\r\n"
		    "%T OK done\r\n" },
		{ "UID FETCH 5,9 (UID RFC822.SIZE)", "* 2 FETCH (UID 5 "
		    "RFC822.SIZE 12)\r\n* 2 FETCH (FLAGS (\\Seen))\r\n"
		    "* 3 FETCH (RFC822.SIZE 20 UID 9)\r\n%T OK done\r\n" },
		{ "UID FETCH 5,9 (UID BODY.PEEK[])", "* 2 FETCH (UID 5 "
		    "BODY[] {12}\r\nab)\r\n* 9 X\r\n FLAGS (\\Recent))\r\n"
		    "* 1 EXPUNGE\r\n* 3 FETCH (BODY[] {20}\r\nq\r\nz"
		    "0123456789abcdef UID 9)\r\n"
		    "%T OK done\r\n" },
		{ NULL, NULL }
	};
	static const uint32_t known[] = { 7, 0 };
	struct pipeline	 pl;

	(void)state;
	pipeline_init(&pl);
	pl.known = known;
	assert_int_equal(run(GREETING, steps, &pl, 1), 0);
	assert_int_equal(pl.n, 2);
	assert_int_equal(pl.uid[0], 5);
	assert_int_equal(pl.len[0], 12);
	assert_memory_equal(pl.data[0], "ab)\r\n* 9 X\r\n", 12);
	assert_int_equal(pl.uid[1], 9);
	/* the literal buffer of the first response, grown */
	assert_int_equal(pl.len[1], 20);
	assert_memory_equal(pl.data[1], "q\r\nz0123456789abcdef", 20);
	pipeline_clear(&pl);
}

/* keep = no: only committed UIDs (and known ones) are deleted, after
 * delivery, with UID EXPUNGE. */
static void
test_delete_after_commit(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 2 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1 2\r\n%T OK done\r\n" },
		{ "UID FETCH 2 (UID RFC822.SIZE)", "* 2 FETCH (UID 2 "
		    "RFC822.SIZE 3)\r\n%T OK done\r\n" },
		{ "UID FETCH 2 (UID BODY.PEEK[])", "* 2 FETCH (UID 2 BODY[] "
		    "{3}\r\nabc)\r\n%T OK done\r\n" },
		{ "UID STORE 1:2 +FLAGS.SILENT (\\Deleted)", "%T OK done\r\n" },
		{ "UID EXPUNGE 1:2", "* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n"
		    "%T OK done\r\n" },
		{ NULL, NULL }
	};
	static const uint32_t known[] = { 1, 0 };
	struct pipeline	 pl;

	(void)state;
	pipeline_init(&pl);
	pl.known = known;
	assert_int_equal(run(GREETING, steps, &pl, 0), 0);
	assert_int_equal(pl.ncommitted, 1);
	pipeline_clear(&pl);
}

/* Too big by RFC822.SIZE: skipped, never fetched. */
static void
test_oversized_skipped(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 2 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1 2\r\n%T OK done\r\n" },
		{ "UID FETCH 1:2 (UID RFC822.SIZE)", "* 1 FETCH (UID 1 "
		    "RFC822.SIZE 5000)\r\n* 2 FETCH (UID 2 RFC822.SIZE 3)\r\n"
		    "%T OK done\r\n" },
		{ "UID FETCH 2 (UID BODY.PEEK[])", "* 2 FETCH (UID 2 BODY[] "
		    "{3}\r\nabc)\r\n%T OK done\r\n" },
		{ NULL, NULL }
	};
	struct pipeline	 pl;

	(void)state;
	pipeline_init(&pl);
	pl.max_size = 100;
	assert_int_equal(run(GREETING, steps, &pl, 1), 0);
	assert_int_equal(pl.nskipped, 1);
	assert_int_equal(pl.skipped[0], 1);
	assert_int_equal(pl.n, 1);
	assert_int_equal(pl.uid[0], 2);
	pipeline_clear(&pl);
}

/* A literal far over max-size is refused, not allocated; the stream is
 * out of step then, so the client hangs up without a word more. */
static void
test_huge_literal_refused(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 1 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID RFC822.SIZE)", "* 1 FETCH (UID 1 "
		    "RFC822.SIZE 3)\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID BODY.PEEK[])", "* 1 FETCH (UID 1 BODY[] "
		    "{99999999999}\r\n" },
		{ NULL, NULL }
	};
	struct pipeline	 pl;

	(void)state;
	pipeline_init(&pl);
	expect_eof = 1;
	assert_int_equal(run(GREETING, steps, &pl, 1), -1);
	expect_eof = 0;
	assert_int_equal(pl.n, 0);
	pipeline_clear(&pl);
}

/* With two folders, the literal's failure in the first does not lead
 * to the second on a stream whose bytes are the literal's. */
static void
test_literal_over_limit_ends_session(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 1 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID RFC822.SIZE)", "* 1 FETCH (UID 1 "
		    "RFC822.SIZE 3)\r\n%T OK done\r\n" },
		/* the literal's bytes look like a tagged OK */
		{ "UID FETCH 1 (UID BODY.PEEK[])", "* 1 FETCH (UID 1 BODY[] "
		    "{99999}\r\na7 OK [ALERT] not a response\r\n"
		    "* 5 EXISTS\r\n" },
		{ NULL, NULL }
	};
	static char	 other[] = "Other";
	char		*two[] = { inbox, other }, *logged;
	struct account	 a;
	struct pipeline	 pl;

	(void)state;
	pipeline_init(&pl);
	pl.max_size = 100;
	account_init(&a, 1);
	a.folders = two;
	a.nfolders = 2;
	expect_eof = 1;
	assert_int_equal(run_logged(&a, GREETING, steps, &pl, &logged), -1);
	expect_eof = 0;
	assert_logged(logged, "literal over the limit");
	assert_int_equal(pl.n, 0);
	free(logged);
	pipeline_clear(&pl);
}

/* A continuation request where a command wants its tagged answer: the
 * server waits for data we never meant to send; hang up, say why. */
static void
test_unexpected_continuation(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "+ go on\r\n" },
		{ NULL, NULL }
	};
	struct account	 a;
	struct pipeline	 pl;
	char		*logged;

	(void)state;
	pipeline_init(&pl);
	account_init(&a, 1);
	expect_eof = 1;
	assert_int_equal(run_logged(&a, GREETING, steps, &pl, &logged), -1);
	expect_eof = 0;
	assert_logged(logged, "continuation");
	free(logged);
	pipeline_clear(&pl);
}

/* tls starttls and a PREAUTH greeting: the session would stay in
 * plaintext (a man in the middle can inject PREAUTH; CVE-2020-12398,
 * CVE-2020-14093).  Refused, naming the server; nothing is sent. */
static void
test_preauth_with_starttls_refused(void **state)
{
	static const struct step none[] = { { NULL, NULL } };
	struct account	 a;
	struct pipeline	 pl;
	char		*logged, where[64];

	(void)state;
	pipeline_init(&pl);
	account_init(&a, 1);
	a.ep.tls = TLS_STARTTLS;
	expect_eof = 1;
	assert_int_equal(run_logged(&a, "* PREAUTH [CAPABILITY IMAP4rev1 "
	    "STARTTLS] logged in as you\r\n", none, &pl, &logged), -1);
	expect_eof = 0;
	snprintf(where, sizeof(where), "127.0.0.1:%s", port_buf);
	assert_logged(logged, where);
	assert_logged(logged, "PREAUTH");
	assert_int_equal(pl.n, 0);
	free(logged);
	pipeline_clear(&pl);
}

/* The other ways STARTTLS can fail are refusals too: not offered,
 * answered NO, or answered with plaintext bytes piggybacked on the OK
 * (they would pass for answers given inside TLS). */
static void
test_starttls_refusals(void **state)
{
	static const struct step no[] = {
		{ "STARTTLS", "%T NO not now\r\n" },
		{ NULL, NULL }
	};
	static const struct step injected[] = {
		{ "STARTTLS", "%T OK begin TLS\r\n* CAPABILITY IMAP4rev1 "
		    "AUTH=PLAIN\r\n" },
		{ NULL, NULL }
	};
	static const struct step none[] = { { NULL, NULL } };
	static const char greet[] = "* OK [CAPABILITY IMAP4rev1 STARTTLS] "
	    "hi\r\n";
	struct account	 a;
	struct pipeline	 pl;
	char		*logged;

	(void)state;
	pipeline_init(&pl);
	account_init(&a, 1);
	a.ep.tls = TLS_STARTTLS;
	expect_eof = 1;
	assert_int_equal(run_logged(&a, GREETING, none, &pl, &logged), -1);
	assert_logged(logged, "does not offer STARTTLS");
	free(logged);
	assert_int_equal(run_logged(&a, greet, no, &pl, &logged), -1);
	assert_logged(logged, "not now");
	free(logged);
	assert_int_equal(run_logged(&a, greet, injected, &pl, &logged), -1);
	assert_logged(logged, "STARTTLS injection");
	free(logged);
	expect_eof = 0;
	assert_int_equal(pl.n, 0);
	pipeline_clear(&pl);
}

/* [ALERT] text with escape sequences, a bare CR, DEL and a C1 CSI
 * comes out printable; the session goes on. */
static void
test_alert_logged_clean(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 0 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "* OK [ALERT] \x1b[2J\x1b]0;owned\x07 fake\rline\x7f"
		    "\xc2\x9b" "31m \x9b\x08" "end\r\n%T OK done\r\n" },
		{ NULL, NULL }
	};
	struct account	 a;
	struct pipeline	 pl;
	char		*logged;

	(void)state;
	pipeline_init(&pl);
	account_init(&a, 1);
	assert_int_equal(run_logged(&a, GREETING, steps, &pl, &logged), 0);
	assert_logged(logged, "server alert:");
	assert_logged(logged, "owned");
	assert_logged(logged, "end");
	assert_log_clean(logged);
	free(logged);
	pipeline_clear(&pl);
}

/* BYE in the middle of a fetch: an error, what came before is kept. */
static void
test_bye_mid_fetch(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 2 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1 2\r\n%T OK done\r\n" },
		{ "UID FETCH 1:2 (UID RFC822.SIZE)", "* 1 FETCH (UID 1 "
		    "RFC822.SIZE 3)\r\n* 2 FETCH (UID 2 RFC822.SIZE 3)\r\n"
		    "%T OK done\r\n" },
		{ "UID FETCH 1:2 (UID BODY.PEEK[])", "* 1 FETCH (UID 1 BODY[] "
		    "{3}\r\nabc)\r\n* BYE going away\r\n" },
		{ NULL, NULL }
	};
	struct pipeline	 pl;

	(void)state;
	pipeline_init(&pl);
	assert_int_equal(run(GREETING, steps, &pl, 1), -1);
	assert_int_equal(pl.n, 1);
	pipeline_clear(&pl);
}

/* Exchange's throttling BYE mid-FETCH with keep = no: what came before
 * is delivered, and not one command more goes to a server that said
 * BYE (the delivered one is deleted next round, as known). */
static void
test_bye_mid_fetch_no_more_commands(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 2 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1 2\r\n%T OK done\r\n" },
		{ "UID FETCH 1:2 (UID RFC822.SIZE)", "* 1 FETCH (UID 1 "
		    "RFC822.SIZE 3)\r\n* 2 FETCH (UID 2 RFC822.SIZE 3)\r\n"
		    "%T OK done\r\n" },
		{ "UID FETCH 1:2 (UID BODY.PEEK[])", "* 1 FETCH (UID 1 BODY[] "
		    "{3}\r\nabc)\r\n* BYE Connection is closed. 13\r\n" },
		{ NULL, NULL }
	};
	struct pipeline	 pl;

	(void)state;
	pipeline_init(&pl);
	expect_eof = 1;
	assert_int_equal(run(GREETING, steps, &pl, 0), -1);
	expect_eof = 0;
	assert_int_equal(pl.n, 1);
	assert_int_equal(pl.ncommitted, 1);
	pipeline_clear(&pl);
}

/* Microsoft 365's "BAD User is authenticated but not connected." after
 * a good login: the round ends with LOGOUT (the next folder's commands
 * would only hammer it) and an error that says what it means. */
static void
test_authenticated_not_connected(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "EXAMINE \"INBOX\"", "%T BAD User is authenticated but not "
		    "connected.\r\n" },
		{ "LOGOUT", "* BYE bye\r\n%T OK done\r\n" },
		{ NULL, NULL }
	};
	static char	 work[] = "Work";
	static char	*two[] = { inbox, work };
	struct account	 a;
	struct pipeline	 pl;
	char		*logged;

	(void)state;
	pipeline_init(&pl);
	account_init(&a, 1);
	a.folders = two;
	a.nfolders = 2;
	assert_int_equal(run_logged(&a, GREETING, steps, &pl, &logged), -1);
	assert_logged(logged, "accepted the login but cannot open the "
	    "mailbox");
	assert_logged(logged, "IMAP may be disabled for this mailbox");
	assert_logged(logged, "retried later with backoff");
	free(logged);
	assert_int_equal(pl.n, 0);
	pipeline_clear(&pl);
}

/* Without UIDPLUS a plain EXPUNGE would also remove messages another
 * client marked \Deleted: sent only when UID SEARCH DELETED finds ours
 * alone; else ours stay marked, and the log says why. */
static void
test_no_uidplus_expunge(void **state)
{
#define NOUIDPLUS "* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n"
#define NOUIDPLUS_LOGIN { "LOGIN \"u\" \"p\"", "%T OK [CAPABILITY " \
    "IMAP4rev1] logged in\r\n" }
#define NOUIDPLUS_CAPA { "CAPABILITY", "* CAPABILITY IMAP4rev1 IDLE\r\n" \
    "%T OK done\r\n" }
#define NOUIDPLUS_FETCH \
		{ "\"INBOX\"", "* 2 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n" \
		    "%T OK done\r\n" }, \
		{ "UID SEARCH ALL", "* SEARCH 1\r\n%T OK done\r\n" }, \
		{ "UID FETCH 1 (UID RFC822.SIZE)", "* 1 FETCH (UID 1 " \
		    "RFC822.SIZE 3)\r\n%T OK done\r\n" }, \
		{ "UID FETCH 1 (UID BODY.PEEK[])", "* 1 FETCH (UID 1 BODY[] " \
		    "{3}\r\nabc)\r\n%T OK done\r\n" }, \
		{ "UID STORE 1 +FLAGS.SILENT (\\Deleted)", "%T OK done\r\n" }
	static const struct step steps[2][12] = { {
		NOUIDPLUS_LOGIN, NOUIDPLUS_CAPA, NOUIDPLUS_FETCH,
		{ "UID SEARCH DELETED", "* SEARCH 1 7\r\n%T OK done\r\n" },
		{ "LOGOUT", "* BYE bye\r\n%T OK done\r\n" },
		{ NULL, NULL }
	}, {
		NOUIDPLUS_LOGIN, NOUIDPLUS_CAPA, NOUIDPLUS_FETCH,
		{ "UID SEARCH DELETED", "* SEARCH 1\r\n%T OK done\r\n" },
		{ "EXPUNGE", "* 1 EXPUNGE\r\n%T OK done\r\n" },
		{ "LOGOUT", "* BYE bye\r\n%T OK done\r\n" },
		{ NULL, NULL }
	} };
	struct account	 a;
	struct pipeline	 pl;
	char		*logged;
	int		 i;

	(void)state;
	for (i = 0; i < 2; i++) {
		pipeline_init(&pl);
		account_init(&a, 0);
		assert_int_equal(run_logged(&a, NOUIDPLUS, steps[i], &pl,
		    &logged), 0);
		assert_int_equal(pl.ncommitted, 1);
		if (i == 0)
			assert_logged(logged, "lacks UIDPLUS and UID 7 is "
			    "marked \\Deleted by another client");
		else if (strstr(logged, "UIDPLUS") != NULL)
			fail_msg("logged with nothing to say:\n%s", logged);
		free(logged);
		pipeline_clear(&pl);
	}
#undef NOUIDPLUS
#undef NOUIDPLUS_LOGIN
#undef NOUIDPLUS_CAPA
#undef NOUIDPLUS_FETCH
}

/* LOGOUT's BYE is the answer asked for, not an error: a round whose
 * folder failed logs that failure, never "server closed the session". */
static void
test_logout_bye_not_error(void **state)
{
	static const struct step steps[2][5] = { {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "%T NO [NONEXISTENT] no such mailbox\r\n" },
		{ "LOGOUT", "* BYE LOGOUT received\r\n%T OK done\r\n" },
		{ NULL, NULL }
	}, {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "%T NO [NONEXISTENT] no such mailbox\r\n" },
		{ "LOGOUT", "* BYE LOGOUT received\r\n" },
		{ NULL, NULL }
	} };
	struct account	 a;
	struct pipeline	 pl;
	char		*logged;
	int		 i;

	(void)state;
	/* with the tagged OK, and from a server that hangs up after BYE */
	for (i = 0; i < 2; i++) {
		pipeline_init(&pl);
		account_init(&a, 1);
		hangup_after = i;
		assert_int_equal(run_logged(&a, GREETING, steps[i], &pl,
		    &logged), -1);
		hangup_after = 0;
		assert_logged(logged, "no such mailbox");
		if (strstr(logged, "BYE") != NULL ||
		    strstr(logged, "closed the session") != NULL)
			fail_msg("LOGOUT's BYE logged as an error:\n%s",
			    logged);
		free(logged);
		pipeline_clear(&pl);
	}
}

#define UTF8_MSG	"Subject: Gr\xc3\xbc\xc3\x9f" "e\r\n\r\nx\r\n"
#define CAPA_UTF8 { "CAPABILITY", "* CAPABILITY IMAP4rev1 UIDPLUS ENABLE " \
    "UTF8=ACCEPT\r\n%T OK done\r\n" }

/* The server offers UTF8=ACCEPT (RFC 6855): the client ENABLEs it, then
 * names folders in UTF-8 (not modified UTF-7), and the message with
 * UTF-8 headers is delivered as stored.  Refused (NO), the session goes
 * on with modified UTF-7. */
static void
test_enable_utf8_accept(void **state)
{
	static const struct step steps[2][9] = { {
		LOGIN_OK, CAPA_UTF8,
		{ "ENABLE UTF8=ACCEPT", "* ENABLED UTF8=ACCEPT\r\n"
		    "%T OK enabled\r\n" },
		{ "LIST \"\" \"\"", "* LIST (\\Noselect) \"/\" \"\"\r\n"
		    "%T OK done\r\n" },
		{ " \"Entw\xc3\xbcrfe\"", "* 1 EXISTS\r\n"
		    "* OK [UIDVALIDITY 1] x\r\n%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID RFC822.SIZE)", "* 1 FETCH (UID 1 "
		    "RFC822.SIZE 23)\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID BODY.PEEK[])", "* 1 FETCH (UID 1 BODY[] "
		    "{23}\r\n" UTF8_MSG ")\r\n%T OK done\r\n" },
		{ NULL, NULL }
	}, {
		LOGIN_OK, CAPA_UTF8,
		{ "ENABLE UTF8=ACCEPT", "%T NO not now\r\n" },
		{ "LIST \"\" \"\"", "* LIST (\\Noselect) \"/\" \"\"\r\n"
		    "%T OK done\r\n" },
		{ " \"Entw&APw-rfe\"", "* 0 EXISTS\r\n"
		    "* OK [UIDVALIDITY 1] x\r\n%T OK done\r\n" },
		{ NULL, NULL }
	} };
	static char	 drafts[] = "Entw\xc3\xbcrfe";
	static char	*drafts_v[] = { drafts };
	struct account	 a;
	struct pipeline	 pl;
	char		*logged;
	int		 i;

	(void)state;
	for (i = 0; i < 2; i++) {
		pipeline_init(&pl);
		account_init(&a, 1);
		a.folders = drafts_v;
		assert_int_equal(run_logged(&a, GREETING, steps[i], &pl,
		    &logged), 0);
		if (i == 0) {
			assert_int_equal(pl.n, 1);
			assert_int_equal(pl.len[0], 23);
			assert_memory_equal(pl.data[0], UTF8_MSG, 23);
		} else
			assert_int_equal(pl.n, 0);
		free(logged);
		pipeline_clear(&pl);
	}
}

/* An emulation of Courier-IMAP's documented behaviour for a client
 * that did not ENABLE UTF8=ACCEPT (not offered here): a message with
 * UTF-8 headers comes back as Courier's notice, the original wrapped as
 * message/global.  It is refused: not delivered, not recorded, and the
 * round fails naming the server and what to do. */
#define COURIER_NOTICE \
    "Subject: Cannot display Unicode content\r\n" \
    "Mime-Version: 1.0\r\n" \
    "Content-Type: multipart/mixed; boundary=\"=_c\"\r\n" \
    "\r\n" \
    "--=_c\r\n" \
    "Content-Type: text/plain\r\n" \
    "\r\n" \
    "Unicode content.\r\n" \
    "--=_c\r\n" \
    "Content-Type: message/global\r\n" \
    "\r\n" \
    "Subject: Gr\xc3\xbc\xc3\x9f" "e\r\n" \
    "\r\n" \
    "x\r\n" \
    "--=_c--\r\n"
static void
test_courier_notice_refused(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 1 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID RFC822.SIZE)", "* 1 FETCH (UID 1 "
		    "RFC822.SIZE 233)\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID BODY.PEEK[])", "* 1 FETCH (UID 1 BODY[] "
		    "{233}\r\n" COURIER_NOTICE ")\r\n%T OK done\r\n" },
		{ NULL, NULL }
	};
	struct account	 a;
	struct pipeline	 pl;
	char		*logged;

	(void)state;
	pipeline_init(&pl);
	account_init(&a, 1);
	assert_int_equal(run_logged(&a, GREETING, steps, &pl, &logged), -1);
	assert_int_equal(pl.n, 0);
	assert_int_equal(pl.ncommitted, 0);
	assert_logged(logged, "UID 1");
	assert_logged(logged, "Courier notice");
	assert_logged(logged, "not delivered, left on the server");
	assert_logged(logged, "UTF8=ACCEPT");
	free(logged);
	pipeline_clear(&pl);
}

/* UID FETCH 3 answered with UID 7: 7 was never asked for, so nothing
 * of it is delivered or recorded (the real 7 would never be fetched,
 * and with keep = no it would be deleted unread); 3 never came, so it
 * is not recorded either.  Only the known UID 1 is deleted. */
static void
test_fetch_unrequested_uid_ignored(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 3 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1 3\r\n%T OK done\r\n" },
		{ "UID FETCH 3 (UID RFC822.SIZE)", "* 2 FETCH (UID 3 "
		    "RFC822.SIZE 3)\r\n%T OK done\r\n" },
		{ "UID FETCH 3 (UID BODY.PEEK[])", "* 3 FETCH (UID 7 BODY[] "
		    "{3}\r\nabc)\r\n* 3 FETCH (UID 7 BODY[] {3}\r\nabc)\r\n"
		    "%T OK done\r\n" },
		{ "UID STORE 1 +FLAGS.SILENT (\\Deleted)", "%T OK done\r\n" },
		{ "UID EXPUNGE 1", "%T OK done\r\n" },
		{ NULL, NULL }
	};
	static const uint32_t known[] = { 1, 0 };
	struct account	 a;
	struct pipeline	 pl;
	char		*logged;

	(void)state;
	pipeline_init(&pl);
	pl.known = known;
	account_init(&a, 0);
	assert_int_equal(run_logged(&a, GREETING, steps, &pl, &logged), 0);
	assert_int_equal(pl.n, 0);
	assert_int_equal(pl.ncommitted, 0);
	assert_logged(logged, "UID 7");
	assert_logged(logged, "not requested");
	/* once per folder, not once per stray response */
	assert_null(strstr(strstr(logged, "UID 7") + 1, "UID 7"));
	free(logged);
	pipeline_clear(&pl);
}

/* A body shorter or longer than the RFC822.SIZE the server announced
 * is a truncated or mangled message: not delivered, not recorded, not
 * flagged; the others go on. */
static void
test_fetch_size_mismatch_refused(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 3 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1 2 3\r\n%T OK done\r\n" },
		{ "UID FETCH 1:3 (UID RFC822.SIZE)", "* 1 FETCH (UID 1 "
		    "RFC822.SIZE 5)\r\n* 2 FETCH (UID 2 RFC822.SIZE 2)\r\n"
		    "* 3 FETCH (UID 3 RFC822.SIZE 3)\r\n%T OK done\r\n" },
		{ "UID FETCH 1:3 (UID BODY.PEEK[])", "* 1 FETCH (UID 1 BODY[] "
		    "{3}\r\nabc)\r\n* 2 FETCH (UID 2 BODY[] {3}\r\nabc)\r\n"
		    "* 3 FETCH (UID 3 BODY[] {3}\r\nabc)\r\n%T OK done\r\n" },
		{ "UID STORE 3 +FLAGS.SILENT (\\Deleted)", "%T OK done\r\n" },
		{ "UID EXPUNGE 3", "%T OK done\r\n" },
		{ NULL, NULL }
	};
	struct account	 a;
	struct pipeline	 pl;
	char		*logged;

	(void)state;
	pipeline_init(&pl);
	account_init(&a, 0);
	assert_int_equal(run_logged(&a, GREETING, steps, &pl, &logged), 0);
	assert_int_equal(pl.n, 1);
	assert_int_equal(pl.uid[0], 3);
	assert_int_equal(pl.ncommitted, 1);
	assert_logged(logged, "folder INBOX UID 1: the body has 3 bytes, "
	    "but the server announced 5");
	assert_logged(logged, "folder INBOX UID 2: the body has 3 bytes, "
	    "but the server announced 2");
	free(logged);
	pipeline_clear(&pl);
}

/* Each literal under the limit, but many in one response: the total is
 * bounded too; the stream is then out of step, so the client hangs up
 * without a word more. */
static void
test_literals_total_bounded(void **state)
{
	static struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 1 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID RFC822.SIZE)", "* 1 FETCH (UID 1 "
		    "RFC822.SIZE 3)\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID BODY.PEEK[])", NULL },
		{ NULL, NULL }
	};
	static char	 reply[5 * 40100];
	struct account	 a;
	struct pipeline	 pl;
	char		*logged;
	size_t		 i, o = 0;

	(void)state;
	o += (size_t)snprintf(reply, sizeof(reply), "* 1 FETCH (UID 1");
	for (i = 0; i < 4; i++) {
		o += (size_t)snprintf(reply + o, sizeof(reply) - o,
		    " X%zu {40000}\r\n", i);
		memset(reply + o, 'x', 40000);
		o += 40000;
	}
	snprintf(reply + o, sizeof(reply) - o, " BODY[] {3}\r\nabc)\r\n"
	    "%%T OK done\r\n");
	steps[5].reply = reply;
	pipeline_init(&pl);
	pl.max_size = 100;
	account_init(&a, 1);
	expect_eof = 1;
	assert_int_equal(run_logged(&a, GREETING, steps, &pl, &logged), -1);
	expect_eof = 0;
	assert_logged(logged, "literals of one response");
	assert_int_equal(pl.n, 0);
	free(logged);
	pipeline_clear(&pl);
}

static void
on_alarm(int sig)
{
	(void)sig;
	stop_asked = 1;
}

/* SIGTERM while the server has stalled in the middle of a body: the
 * transfer is given up after the grace time instead of the timeout
 * (or forever, at a byte a minute); the body in hand is not recorded,
 * the one that came whole before it is; a stop is no failure. */
static void
test_stop_abandons_stalled_body(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 2 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1 2\r\n%T OK done\r\n" },
		{ "UID FETCH 1:2 (UID RFC822.SIZE)", "* 1 FETCH (UID 1 "
		    "RFC822.SIZE 3)\r\n* 2 FETCH (UID 2 RFC822.SIZE 10)\r\n"
		    "%T OK done\r\n" },
		{ "UID FETCH 1:2 (UID BODY.PEEK[])", "* 1 FETCH (UID 1 BODY[] "
		    "{3}\r\nabc)\r\n* 2 FETCH (UID 2 BODY[] {10}\r\nabc" },
		{ NULL, NULL }
	};
	static const struct conn_pace pace = { 60000, 8192, 300 };
	struct account	 a;
	struct pipeline	 pl;
	char		*logged;

	(void)state;
	pipeline_init(&pl);
	account_init(&a, 1);
	conn_set_pace(&pace);
	stop_asked = 0;
	signal(SIGALRM, on_alarm);
	alarm(1);
	assert_int_equal(run_logged(&a, GREETING, steps, &pl, &logged), 0);
	signal(SIGALRM, SIG_DFL);
	stop_asked = 0;
	conn_set_pace(NULL);
	assert_int_equal(pl.n, 1);
	assert_int_equal(pl.uid[0], 1);
	assert_int_equal(pl.ncommitted, 1);
	assert_logged(logged, "stopping");
	free(logged);
	pipeline_clear(&pl);
}

/* A rule's move to "Archive/Invoices" on a Courier-like server
 * (NAMESPACE "INBOX." and '.', no [TRYCREATE]): the names sent are the
 * server's, the parent is created when the server wants it first. */
static char	 act_move[] = "move";
static char	 to_invoices[] = "Archive/Invoices";
static char	 rules_path[] = "/nonexistent/rules.yaml";

static int
run_ops_v(const struct server_op *ops, size_t nops, const struct step *steps,
    char **logged)
{
	static const uint32_t known[] = { 1, 0 };
	struct pipeline	 pl;
	struct account	 a;
	int		 rv;

	pipeline_init(&pl);
	pl.known = known;
	account_init(&a, 1);
	a.rules = rules_path;	/* read-write SELECT, as with rules */
	ops_script = ops;
	ops_nscript = nops;
	rv = run_logged(&a, GREETING, steps, &pl, logged);
	ops_script = NULL;
	ops_nscript = 0;
	pipeline_clear(&pl);
	return rv;
}

static int
run_ops(const struct step *steps, char **logged)
{
	static const struct server_op op = { 7, 1, act_move, to_invoices };

	return run_ops_v(&op, 1, steps, logged);
}

/* ---- Gmail (X-GM-EXT-1): imap-labels.c ---- */

#define GM_CAPA { "CAPABILITY", "* CAPABILITY IMAP4rev1 UIDPLUS MOVE " \
    "IDLE NAMESPACE X-GM-EXT-1 SPECIAL-USE\r\n%T OK done\r\n" }

/* The size pass asks X-GM-MSGID: one already delivered through another
 * folder is recorded as such and not fetched; the others come with
 * their labels (quoted, atoms, system, modified UTF-7) and id. */
static void
test_gmail_labels_dedupe(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, GM_CAPA,
		{ "\"INBOX\"", "* 3 EXISTS\r\n* OK [UIDVALIDITY 9] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1 2 3\r\n%T OK done\r\n" },
		{ "UID FETCH 1:3 (UID RFC822.SIZE X-GM-MSGID)",
		    "* 1 FETCH (UID 1 RFC822.SIZE 3 X-GM-MSGID "
		    "18446744073709551615)\r\n* 2 FETCH (X-GM-MSGID "
		    "1278455344230334865 UID 2 RFC822.SIZE 3)\r\n"
		    "* 3 FETCH (UID 3 RFC822.SIZE 3 "
		    "X-GM-MSGID 42)\r\n%T OK done\r\n" },
		{ "UID FETCH 1,3 (UID X-GM-MSGID X-GM-LABELS BODY.PEEK[])",
		    "* 1 FETCH (UID 1 X-GM-MSGID 18446744073709551615 "
		    "X-GM-LABELS (\\Inbox \\Important \"Muy Importante\" "
		    "B&APw-ro) BODY[] {3}\r\nabc)\r\n"
		    "* 3 FETCH (X-GM-LABELS () UID 3 BODY[] {3}\r\nxyz "
		    "X-GM-MSGID 42)\r\n%T OK done\r\n" },
		{ NULL, NULL }
	};
	static const uint64_t known_ids[] = { 1278455344230334865ULL, 0 };
	struct pipeline	 pl;

	(void)state;
	pipeline_init(&pl);
	pl.known_ids = known_ids;
	assert_int_equal(run(GREETING, steps, &pl, 1), 0);
	assert_int_equal(pl.ndup, 1);
	assert_int_equal(pl.dup[0], 2);
	assert_int_equal(pl.n, 2);
	assert_int_equal(pl.uid[0], 1);
	assert_true(pl.msgid[0] == UINT64_MAX);
	assert_string_equal(pl.labels[0], "\\Inbox|\\Important|"
	    "Muy Importante|B\xc3\xbcro");
	assert_int_equal(pl.uid[1], 3);
	assert_true(pl.msgid[1] == 42);
	assert_string_equal(pl.labels[1], "");
	pipeline_clear(&pl);
}

/* Hostile labels: a nested list breaks the response (nothing of it is
 * delivered, the round fails); a label that is not text is dropped
 * (logged), the message still comes with the others. */
static void
test_gmail_hostile_labels(void **state)
{
	static const struct step bad[] = {
		LOGIN_OK, GM_CAPA,
		{ "\"INBOX\"", "* 1 EXISTS\r\n* OK [UIDVALIDITY 9] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID RFC822.SIZE X-GM-MSGID)", "* 1 FETCH "
		    "(UID 1 RFC822.SIZE 3 X-GM-MSGID 5)\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID X-GM-MSGID X-GM-LABELS BODY.PEEK[])",
		    "* 1 FETCH (UID 1 X-GM-LABELS ((\\Inbox)) BODY[] {3}\r\n"
		    "abc)\r\n%T OK done\r\n" },
		{ NULL, NULL }
	};
	static const struct step odd[] = {
		LOGIN_OK, GM_CAPA,
		{ "\"INBOX\"", "* 1 EXISTS\r\n* OK [UIDVALIDITY 9] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID RFC822.SIZE X-GM-MSGID)", "* 1 FETCH "
		    "(UID 1 RFC822.SIZE 3 X-GM-MSGID 5)\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID X-GM-MSGID X-GM-LABELS BODY.PEEK[])",
		    "* 1 FETCH (UID 1 X-GM-LABELS (\"a\x1b[2Jb\" \"&2D0-\" "
		    "\"\xff\" ok) BODY[] {3}\r\nabc)\r\n%T OK done\r\n" },
		{ NULL, NULL }
	};
	struct pipeline	 pl;
	struct account	 a;
	char		*logged;

	(void)state;
	pipeline_init(&pl);
	assert_int_equal(run(GREETING, bad, &pl, 1), -1);
	assert_int_equal(pl.n, 0);
	pipeline_clear(&pl);

	pipeline_init(&pl);
	account_init(&a, 1);
	assert_int_equal(run_logged(&a, GREETING, odd, &pl, &logged), 0);
	assert_int_equal(pl.n, 1);
	assert_string_equal(pl.labels[0], "ok");
	assert_logged(logged, "3 of its labels");
	assert_log_clean(logged);
	free(logged);
	pipeline_clear(&pl);
}

/* On Gmail a rule's delete is a move to the folder LIST marks \Trash
 * (localised here), labels go as STORE +/-X-GM-LABELS. */
static char	 act_delete[] = "delete";
static char	 act_label[] = "label";
static char	 act_unlabel[] = "unlabel";
static char	 no_arg[] = "";
static char	 lbl_work[] = "Work/B\xc3\xbcro";
static char	 lbl_important[] = "\\Important";

static void
test_gmail_ops(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, GM_CAPA,
		{ "SELECT \"INBOX\"", "* 1 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1\r\n%T OK done\r\n" },
		{ "UID STORE 1 +X-GM-LABELS (\"Work/B&APw-ro\")",
		    "* 1 FETCH (UID 1 X-GM-LABELS (\\Inbox))\r\n"
		    "%T OK done\r\n" },
		{ "UID STORE 1 -X-GM-LABELS (\\Important)", "%T OK done\r\n" },
		{ "LIST (SPECIAL-USE) \"\" \"*\"", "* LIST (\\HasNoChildren) \"/\" "
		    "\"INBOX\"\r\n* LIST (\\HasChildren \\Noselect) \"/\" "
		    "\"[Google Mail]\"\r\n* LIST (\\HasNoChildren \\Trash) "
		    "\"/\" \"[Google Mail]/Papierk&APY-rbe\"\r\n"
		    "%T OK done\r\n" },
		/* LIST told the delimiter too: no NAMESPACE */
		{ "UID MOVE 1 \"[Google Mail]/Papierk&APY-rbe\"",
		    "%T OK moved\r\n" },
		{ NULL, NULL }
	};
	static const struct server_op ops[] = {
		{ 1, 1, act_label, lbl_work },
		{ 2, 1, act_unlabel, lbl_important },
		{ 3, 1, act_delete, no_arg },
	};
	char	*logged;

	(void)state;
	assert_int_equal(run_ops_v(ops, 3, steps, &logged), 0);
	assert_logged(logged, "UID 1: delete");
	free(logged);
}

/* Labels on a server without X-GM-EXT-1: a clear error, nothing sent;
 * delete stays an expunge there. */
static void
test_labels_not_gmail(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "SELECT \"INBOX\"", "* 1 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1\r\n%T OK done\r\n" },
		{ "UID STORE 1 +FLAGS.SILENT (\\Deleted)", "%T OK done\r\n" },
		{ "UID EXPUNGE 1", "%T OK done\r\n" },
		{ NULL, NULL }
	};
	static const struct server_op ops[] = {
		{ 1, 1, act_label, lbl_work },
		{ 3, 1, act_delete, no_arg },
	};
	char	*logged;

	(void)state;
	assert_int_equal(run_ops_v(ops, 2, steps, &logged), -1);
	assert_logged(logged, "X-GM-EXT-1");
	free(logged);
}

static void
test_move_namespace_prefix(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK,
		{ "CAPABILITY", "* CAPABILITY IMAP4rev1 UIDPLUS MOVE "
		    "NAMESPACE\r\n%T OK done\r\n" },
		{ "SELECT \"INBOX\"", "* 1 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1\r\n%T OK done\r\n" },
		{ "NAMESPACE", "* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL\r\n"
		    "%T OK done\r\n" },
		{ "UID MOVE 1 \"INBOX.Archive.Invoices\"",
		    "%T NO Mailbox does not exist\r\n" },
		{ "CREATE \"INBOX.Archive.Invoices\"",
		    "%T NO Parent folder does not exist\r\n" },
		{ "CREATE \"INBOX.Archive\"", "%T OK created\r\n" },
		{ "CREATE \"INBOX.Archive.Invoices\"", "%T OK created\r\n" },
		{ "SUBSCRIBE \"INBOX.Archive.Invoices\"", "%T OK done\r\n" },
		{ "UID MOVE 1 \"INBOX.Archive.Invoices\"", "%T OK moved\r\n" },
		{ NULL, NULL }
	};
	char	*logged;

	(void)state;
	assert_int_equal(run_ops(steps, &logged), 0);
	assert_logged(logged, "UID 1: move Archive/Invoices");
	free(logged);
}

/* No NAMESPACE: LIST "" "" gives the delimiter; a folder that cannot
 * be created is an error that names the namespace and the name sent. */
static void
test_move_uncreatable_names_namespace(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "SELECT \"INBOX\"", "* 1 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1\r\n%T OK done\r\n" },
		{ "LIST \"\" \"\"", "* LIST (\\Noselect) \".\" \"\"\r\n"
		    "%T OK done\r\n" },
		{ "UID COPY 1 \"Archive.Invoices\"",
		    "%T NO Error in IMAP command\r\n" },
		{ "CREATE \"Archive.Invoices\"", "%T NO Permission denied\r\n" },
		{ "CREATE \"Archive\"", "%T NO Permission denied\r\n" },
		{ "CREATE \"Archive.Invoices\"", "%T NO Permission denied\r\n" },
		{ NULL, NULL }
	};
	char	*logged;

	(void)state;
	assert_int_equal(run_ops(steps, &logged), -1);
	assert_logged(logged, "sent as \"Archive.Invoices\"");
	assert_logged(logged, "prefix \"\", hierarchy delimiter \".\"");
	assert_logged(logged, "Permission denied");
	free(logged);
}

/*
 * IDLE after the round, as Cyrus answers: new mail announced by EXISTS
 * where the count is what it was (an EXPUNGE went before), or in the
 * response to the round's own last command, before IDLE began.  Both
 * are new mail; neither is announced again in IDLE.  The session ends
 * when the server hangs up in IDLE.
 */
static int
run_idle(const struct step *steps, struct pipeline *pl, int keep)
{
	struct account	 a;
	char		*logged;
	int		 rv;

	account_init(&a, keep);
	a.idle = 1;
	hangup_after = 1;
	rv = run_logged(&a, GREETING, steps, pl, &logged);
	hangup_after = 0;
	free(logged);
	return rv;
}

#define ROUND_ONE_DELETE(expunged) \
	{ "SELECT \"INBOX\"", "* 1 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n" \
	    "%T OK done\r\n" }, \
	{ "UID SEARCH ALL", "* SEARCH 1\r\n%T OK done\r\n" }, \
	{ "UID FETCH 1 (UID RFC822.SIZE)", "* 1 FETCH (UID 1 " \
	    "RFC822.SIZE 3)\r\n%T OK done\r\n" }, \
	{ "UID FETCH 1 (UID BODY.PEEK[])", "* 1 FETCH (UID 1 BODY[] " \
	    "{3}\r\nabc)\r\n%T OK done\r\n" }, \
	{ "UID STORE 1 +FLAGS.SILENT (\\Deleted)", "%T OK done\r\n" }, \
	{ "UID EXPUNGE 1", expunged }
#define ROUND_TWO_DELETE \
	{ "SELECT \"INBOX\"", "* 1 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n" \
	    "%T OK done\r\n" }, \
	{ "UID SEARCH ALL", "* SEARCH 2\r\n%T OK done\r\n" }, \
	{ "UID FETCH 2 (UID RFC822.SIZE)", "* 1 FETCH (UID 2 " \
	    "RFC822.SIZE 3)\r\n%T OK done\r\n" }, \
	{ "UID FETCH 2 (UID BODY.PEEK[])", "* 1 FETCH (UID 2 BODY[] " \
	    "{3}\r\ndef)\r\n%T OK done\r\n" }, \
	{ "UID STORE 2 +FLAGS.SILENT (\\Deleted)", "%T OK done\r\n" }, \
	{ "UID EXPUNGE 2", "* 1 EXPUNGE\r\n%T OK done\r\n" }

static void
assert_both_fetched(struct pipeline *pl)
{
	assert_int_equal(pl->n, 2);
	assert_int_equal(pl->uid[0], 1);
	assert_int_equal(pl->uid[1], 2);
	assert_memory_equal(pl->data[1], "def", 3);
}

/* "* 1 EXPUNGE" (ours), "* 1 EXISTS" (new) in the round's last
 * response: a second round, not IDLE. */
static void
test_idle_exists_before_idle(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		ROUND_ONE_DELETE("* 1 EXPUNGE\r\n* 1 EXISTS\r\n"
		    "%T OK done\r\n"),
		ROUND_TWO_DELETE,
		{ "IDLE", "+ idling\r\n" },
		{ NULL, NULL }
	};
	struct pipeline	 pl;

	(void)state;
	pipeline_init(&pl);
	(void)run_idle(steps, &pl, 0);
	assert_both_fetched(&pl);
	pipeline_clear(&pl);
}

/* Our EXPUNGE emptied the folder; new mail in IDLE is "* 1 EXISTS",
 * the count the session saw before that EXPUNGE, yet new. */
static void
test_idle_exists_after_expunge(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		ROUND_ONE_DELETE("* 1 EXPUNGE\r\n%T OK done\r\n"),
		{ "IDLE", "+ idling\r\n* 1 EXISTS\r\n" },
		{ "DONE", "%P OK idle done\r\n" },
		ROUND_TWO_DELETE,
		{ "IDLE", "+ idling\r\n" },
		{ NULL, NULL }
	};
	struct pipeline	 pl;

	(void)state;
	pipeline_init(&pl);
	(void)run_idle(steps, &pl, 0);
	assert_both_fetched(&pl);
	pipeline_clear(&pl);
}

/* Found on Cyrus by interop.py: an EXISTS that comes during the round
 * (mail delivered while the client fetches) is mail IDLE will not
 * report again: another round comes before IDLE, else it waits for
 * the next poll. */
static void
test_idle_exists_mid_round(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 1 EXISTS\r\n* OK [UIDVALIDITY 7] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID RFC822.SIZE)", "* 1 FETCH (UID 1 "
		    "RFC822.SIZE 3)\r\n* 2 EXISTS\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID BODY.PEEK[])", "* 1 FETCH (UID 1 BODY[] "
		    "{3}\r\nabc)\r\n%T OK done\r\n" },
		{ "\"INBOX\"", "* 2 EXISTS\r\n* OK [UIDVALIDITY 7] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 2\r\n%T OK done\r\n" },
		{ "UID FETCH 2 (UID RFC822.SIZE)", "* 2 FETCH (UID 2 "
		    "RFC822.SIZE 3)\r\n%T OK done\r\n" },
		{ "UID FETCH 2 (UID BODY.PEEK[])", "* 2 FETCH (UID 2 BODY[] "
		    "{3}\r\ndef)\r\n%T OK done\r\n" },
		{ "IDLE", "+ idling\r\n" },
		{ NULL, NULL }
	};
	struct pipeline	 pl;

	(void)state;
	pipeline_init(&pl);
	(void)run_idle(steps, &pl, 1);
	assert_int_equal(pl.n, 2);
	assert_int_equal(pl.uid[0], 1);
	assert_int_equal(pl.uid[1], 2);
	pipeline_clear(&pl);
}

/* No UIDVALIDITY: refusing beats guessing. */
static void
test_no_uidvalidity(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 2 EXISTS\r\n%T OK done\r\n" },
		{ NULL, NULL }
	};
	struct pipeline	 pl;

	(void)state;
	pipeline_init(&pl);
	assert_int_equal(run(GREETING, steps, &pl, 1), -1);
	assert_int_equal(pl.n, 0);
	pipeline_clear(&pl);
}

/* Garbage where a response should be. */
static void
test_garbage(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_OK,
		{ "\"INBOX\"", "* 2 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 1\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID RFC822.SIZE)", "* 1 FETCH (UID 1 "
		    "RFC822.SIZE 3)\r\n%T OK done\r\n" },
		{ "UID FETCH 1 (UID BODY.PEEK[])", "* 1 FETCH ((((((\"\r\n" },
		{ NULL, NULL }
	};
	struct pipeline	 pl;

	(void)state;
	pipeline_init(&pl);
	assert_int_equal(run(GREETING, steps, &pl, 1), -1);
	pipeline_clear(&pl);
}

/* Credentials are not sent in the clear unless allowed. */
static void
test_plaintext_refused(void **state)
{
	struct account	 a;
	struct pipeline	 pl;
	pid_t		 pid;
	static const struct step none[] = { { NULL, NULL } };

	(void)state;
	pipeline_init(&pl);
	account_init(&a, 1);
	a.ep.allow_plaintext_auth = 0;
	pid = server_start(GREETING, none, port_buf, sizeof(port_buf));
	assert_int_equal(imap_fetch(&a, &pl), -1);
	/* the server saw no LOGIN: it got no command at all */
	assert_int_equal(server_wait(pid), 0);
}

/* The scanner walks deep nesting without recursion. */
static void
test_scan_deep_nesting(void **state)
{
	struct imap_resp r;
	struct imap_scan sc;
	struct imap_tok	 t;
	size_t		 i, n = 200000;

	(void)state;
	imap_resp_init(&r);
	for (i = 0; i < n; i++)
		assert_int_equal(mime_buf_append_char(&r.text, '('), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(mime_buf_append_char(&r.text, ')'), 0);
	imap_scan_init(&sc, &r);
	assert_int_equal(imap_scan_next(&sc, &t), 0);
	assert_int_equal(imap_scan_skip(&sc, &t), 0);
	assert_int_equal(imap_scan_next(&sc, &t), 0);
	assert_int_equal(t.type, IMAP_TOK_END);
	/* unbalanced: an error, not a crash */
	mime_buf_reset(&r.text);
	for (i = 0; i < n; i++)
		assert_int_equal(mime_buf_append_char(&r.text, '('), 0);
	imap_scan_init(&sc, &r);
	assert_int_equal(imap_scan_next(&sc, &t), 0);
	assert_int_equal(imap_scan_skip(&sc, &t), -1);
	imap_resp_free(&r);
}

/* ---- CONDSTORE and QRESYNC (imap-sync.c) ---- */

#define CAPA_CS { "CAPABILITY", "* CAPABILITY IMAP4rev1 UIDPLUS ENABLE " \
    "CONDSTORE\r\n%T OK done\r\n" }
#define CAPA_QR { "CAPABILITY", "* CAPABILITY IMAP4rev1 UIDPLUS ENABLE " \
    "CONDSTORE QRESYNC\r\n%T OK done\r\n" }
#define STATUS_CMD "STATUS \"INBOX\" (UIDVALIDITY UIDNEXT HIGHESTMODSEQ)"

static int
run_condstore(const struct step *steps, struct pipeline *pl, char **logged)
{
	struct account	 a;

	account_init(&a, 1);
	a.condstore = 1;
	return run_logged(&a, GREETING, steps, pl, logged);
}

static void
sync_point(uint32_t uv, uint64_t modseq, uint32_t uidnext)
{
	memset(&sync_stored, 0, sizeof(sync_stored));
	sync_stored.uidvalidity = uv;
	sync_stored.highestmodseq = modseq;
	sync_stored.uidnext = uidnext;
	sync_have = 1;
	sync_sets = 0;
}

/* STATUS says nothing moved: no SELECT, no SEARCH, no FETCH (the
 * script has no step for them), nothing recorded. */
static void
test_condstore_unchanged(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_CS,
		{ STATUS_CMD, "* STATUS INBOX (UIDVALIDITY 77 UIDNEXT 10 "
		    "HIGHESTMODSEQ 100)\r\n%T OK done\r\n" },
		{ NULL, NULL }
	};
	struct pipeline	 pl;
	char		*logged;

	(void)state;
	pipeline_init(&pl);
	sync_point(77, 100, 10);
	assert_int_equal(run_condstore(steps, &pl, &logged), 0);
	assert_int_equal(pl.n, 0);
	assert_int_equal(sync_sets, 0);
	free(logged);
	pipeline_clear(&pl);
}

/* HIGHESTMODSEQ moved: SELECT (CONDSTORE), then only what changed
 * since the point (CHANGEDSINCE), not a UID SEARCH; known UIDs are not
 * fetched again; the point recorded is the SELECT's, not the
 * HIGHESTMODSEQ the server announces later in the session. */
static void
test_condstore_changedsince(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_CS,
		{ STATUS_CMD, "* STATUS INBOX (UIDVALIDITY 77 UIDNEXT 12 "
		    "HIGHESTMODSEQ 105)\r\n%T OK done\r\n" },
		{ "EXAMINE \"INBOX\" (CONDSTORE)", "* 5 EXISTS\r\n"
		    "* OK [UIDVALIDITY 77] x\r\n* OK [UIDNEXT 12] x\r\n"
		    "* OK [HIGHESTMODSEQ 105] x\r\n%T OK done\r\n" },
		{ "UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE 100)",
		    "* 3 FETCH (UID 7 FLAGS (\\Seen) MODSEQ (101))\r\n"
		    "* 4 FETCH (UID 10 FLAGS () MODSEQ (104))\r\n"
		    "* 5 FETCH (UID 11 FLAGS (\\Recent) MODSEQ (105))\r\n"
		    "* 6 EXISTS\r\n* OK [HIGHESTMODSEQ 106] later\r\n"
		    "%T OK done\r\n" },
		{ "UID FETCH 10:11 (UID RFC822.SIZE)", "* 4 FETCH (UID 10 "
		    "RFC822.SIZE 2)\r\n* 5 FETCH (UID 11 RFC822.SIZE 2)\r\n"
		    "%T OK done\r\n" },
		{ "UID FETCH 10:11 (UID BODY.PEEK[])", "* 4 FETCH (UID 10 "
		    "BODY[] {2}\r\nab)\r\n* 5 FETCH (UID 11 BODY[] {2}\r\n"
		    "cd)\r\n%T OK done\r\n" },
		{ NULL, NULL }
	};
	static const uint32_t known[] = { 7, 0 };
	struct pipeline	 pl;
	char		*logged;

	(void)state;
	pipeline_init(&pl);
	pl.known = known;
	sync_point(77, 100, 10);
	assert_int_equal(run_condstore(steps, &pl, &logged), 0);
	assert_int_equal(pl.n, 2);
	assert_int_equal(pl.uid[0], 10);
	assert_int_equal(pl.uid[1], 11);
	assert_int_equal(sync_sets, 1);
	assert_int_equal(sync_have, 1);
	assert_int_equal(sync_stored.uidvalidity, 77);
	assert_true(sync_stored.highestmodseq == 105);
	assert_int_equal(sync_stored.uidnext, 12);
	free(logged);
	pipeline_clear(&pl);
}

/* The folder lost its mod-sequences: the plain UID SEARCH pass, and the
 * old point is dropped. */
static void
test_condstore_nomodseq(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_CS,
		{ STATUS_CMD, "* STATUS INBOX (UIDVALIDITY 77 UIDNEXT 12 "
		    "HIGHESTMODSEQ 0)\r\n%T OK done\r\n" },
		{ "EXAMINE \"INBOX\" (CONDSTORE)", "* 1 EXISTS\r\n"
		    "* OK [UIDVALIDITY 77] x\r\n* OK [NOMODSEQ] none\r\n"
		    "%T OK done\r\n" },
		{ "UID SEARCH ALL", "* SEARCH 7\r\n%T OK done\r\n" },
		{ NULL, NULL }
	};
	static const uint32_t known[] = { 7, 0 };
	struct pipeline	 pl;
	char		*logged;

	(void)state;
	pipeline_init(&pl);
	pl.known = known;
	sync_point(77, 100, 10);
	assert_int_equal(run_condstore(steps, &pl, &logged), 0);
	assert_int_equal(pl.n, 0);
	assert_int_equal(sync_sets, 1);
	assert_int_equal(sync_have, 0);
	free(logged);
	pipeline_clear(&pl);
}

/* QRESYNC: ENABLEd, the SELECT carries the point and brings VANISHED
 * (EARLIER) and the changed messages; new ones are asked from the old
 * UIDNEXT on. */
static void
test_qresync_vanished(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_QR,
		{ "ENABLE QRESYNC", "* ENABLED QRESYNC\r\n%T OK done\r\n" },
		{ STATUS_CMD, "* STATUS INBOX (UIDVALIDITY 77 UIDNEXT 13 "
		    "HIGHESTMODSEQ 110)\r\n%T OK done\r\n" },
		{ "EXAMINE \"INBOX\" (QRESYNC (77 100))", "* 3 EXISTS\r\n"
		    "* OK [UIDVALIDITY 77] x\r\n* OK [UIDNEXT 13] x\r\n"
		    "* OK [HIGHESTMODSEQ 110] x\r\n"
		    "* VANISHED (EARLIER) 1:5,8,4294967295:100\r\n"
		    "* 2 FETCH (UID 9 FLAGS () MODSEQ (103))\r\n"
		    "%T OK done\r\n" },
		{ "UID FETCH 10:* (UID FLAGS)", "* 3 FETCH (UID 12 FLAGS "
		    "())\r\n%T OK done\r\n" },
		{ "UID FETCH 9,12 (UID RFC822.SIZE)", "* 2 FETCH (UID 9 "
		    "RFC822.SIZE 2)\r\n* 3 FETCH (UID 12 RFC822.SIZE 2)\r\n"
		    "%T OK done\r\n" },
		{ "UID FETCH 9,12 (UID BODY.PEEK[])", "* 2 FETCH (UID 9 "
		    "BODY[] {2}\r\nab)\r\n* 3 FETCH (UID 12 BODY[] {2}\r\n"
		    "cd)\r\n%T OK done\r\n" },
		{ NULL, NULL }
	};
	struct pipeline	 pl;
	char		*logged;

	(void)state;
	pipeline_init(&pl);
	sync_point(77, 100, 10);
	assert_int_equal(run_condstore(steps, &pl, &logged), 0);
	assert_int_equal(pl.n, 2);
	assert_int_equal(pl.uid[0], 9);
	assert_int_equal(pl.uid[1], 12);
	assert_true(sync_stored.highestmodseq == 110);
	assert_int_equal(sync_stored.uidnext, 13);
	free(logged);
	pipeline_clear(&pl);
}

/* A VANISHED that is not a UID set is a malformed response: the
 * folder fails (the session ends with LOGOUT), nothing is recorded. */
static void
test_qresync_vanished_garbage(void **state)
{
	static const struct step steps[] = {
		LOGIN_OK, CAPA_QR,
		{ "ENABLE QRESYNC", "* ENABLED QRESYNC\r\n%T OK done\r\n" },
		{ STATUS_CMD, "* STATUS INBOX (UIDVALIDITY 77 UIDNEXT 13 "
		    "HIGHESTMODSEQ 110)\r\n%T OK done\r\n" },
		{ "EXAMINE \"INBOX\" (QRESYNC (77 100))", "* 3 EXISTS\r\n"
		    "* OK [UIDVALIDITY 77] x\r\n"
		    "* VANISHED (EARLIER) 1:*,\x01\r\n%T OK done\r\n" },
		{ NULL, NULL }
	};
	struct pipeline	 pl;
	char		*logged;

	(void)state;
	pipeline_init(&pl);
	sync_point(77, 100, 10);
	assert_int_equal(run_condstore(steps, &pl, &logged), -1);
	assert_logged(logged, "malformed response");
	assert_log_clean(logged);
	assert_int_equal(pl.n, 0);
	assert_int_equal(sync_sets, 0);
	free(logged);
	pipeline_clear(&pl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch_with_noise),
		cmocka_unit_test(test_delete_after_commit),
		cmocka_unit_test(test_oversized_skipped),
		cmocka_unit_test(test_huge_literal_refused),
		cmocka_unit_test(test_literal_over_limit_ends_session),
		cmocka_unit_test(test_unexpected_continuation),
		cmocka_unit_test(test_preauth_with_starttls_refused),
		cmocka_unit_test(test_starttls_refusals),
		cmocka_unit_test(test_alert_logged_clean),
		cmocka_unit_test(test_bye_mid_fetch),
		cmocka_unit_test(test_bye_mid_fetch_no_more_commands),
		cmocka_unit_test(test_authenticated_not_connected),
		cmocka_unit_test(test_no_uidplus_expunge),
		cmocka_unit_test(test_logout_bye_not_error),
		cmocka_unit_test(test_enable_utf8_accept),
		cmocka_unit_test(test_courier_notice_refused),
		cmocka_unit_test(test_fetch_unrequested_uid_ignored),
		cmocka_unit_test(test_fetch_size_mismatch_refused),
		cmocka_unit_test(test_literals_total_bounded),
		cmocka_unit_test(test_stop_abandons_stalled_body),
		cmocka_unit_test(test_idle_exists_mid_round),
		cmocka_unit_test(test_no_uidvalidity),
		cmocka_unit_test(test_idle_exists_before_idle),
		cmocka_unit_test(test_idle_exists_after_expunge),
		cmocka_unit_test(test_move_namespace_prefix),
		cmocka_unit_test(test_gmail_labels_dedupe),
		cmocka_unit_test(test_gmail_hostile_labels),
		cmocka_unit_test(test_gmail_ops),
		cmocka_unit_test(test_labels_not_gmail),
		cmocka_unit_test(test_move_uncreatable_names_namespace),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_condstore_unchanged),
		cmocka_unit_test(test_condstore_changedsince),
		cmocka_unit_test(test_condstore_nomodseq),
		cmocka_unit_test(test_qresync_vanished),
		cmocka_unit_test(test_qresync_vanished_garbage),
		cmocka_unit_test(test_plaintext_refused),
		cmocka_unit_test(test_scan_deep_nesting),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

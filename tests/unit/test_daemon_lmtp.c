/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_lmtp.c - the LMTP target (daemon/deliver/lmtp.c) through
 * its steps (target.h) against a scripted LMTP server: a forked child on
 * a unix socket that logs every command line and keeps the raw DATA
 * bytes, so the wire format (CRLF, dot-stuffing) is checked byte for
 * byte.  The real Dovecot is tests/integration/test-lmtp.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/conf/config.h"
#include "daemon/deliver/deliver.h"
#include "daemon/deliver/lmtp-send.h"	/* struct lmtp_msg */
#include "daemon/deliver/target.h"
#include "daemon/net/conn.h"


struct script {
	const char	*rcpt;		/* NULL: 250 */
	const char	*end;		/* after the data; NULL: 250 */
	int		 drop_after_data;
	const char	*caps;		/* LHLO lines after "250-fake";
					 * NULL: "250 8BITMIME\r\n" */
	int		 bad_rcpt;	/* 1-based RCPT refused by "rcpt" */
	int		 hold;		/* BDAT: replies held until this many
					 * transactions came; DATA: the
					 * replies to MAIL and RCPT held
					 * until DATA came */
	int		 tcp;		/* listen on 127.0.0.1 */
	int		 stall;		/* after LHLO: never read again */
};

static char	 dir[64], sock_path[96], log_path[128], body_path[128];
static char	 tcp_addr[64];
static pid_t	 server_pid = -1;

static char	 held[65536];
static size_t	 nheld;
static int	 holding;

static void
say(int fd, const char *s)
{
	size_t	 n = strlen(s);

	if (holding && nheld + n < sizeof(held)) {
		memcpy(held + nheld, s, n);
		nheld += n;
		return;
	}
	if (write(fd, s, n) != (ssize_t)n)
		_exit(0);
}

static void
release_held(int fd)
{
	holding = 0;
	if (nheld > 0 && write(fd, held, nheld) != (ssize_t)nheld)
		_exit(0);
	nheld = 0;
}

/* One line with its LF, byte by byte (slow, simple); -1 at EOF. */
static long
get_line(int fd, char *out, size_t outlen)
{
	size_t	 n = 0;

	while (n + 1 < outlen) {
		if (read(fd, out + n, 1) != 1)
			return -1;
		if (out[n++] == '\n')
			break;
	}
	out[n] = '\0';
	return (long)n;
}

static void
get_bytes(int fd, FILE *body, unsigned long n)
{
	char	 buf[4096];
	ssize_t	 r;

	while (n > 0) {
		r = read(fd, buf, n < sizeof(buf) ? n : sizeof(buf));
		if (r <= 0)
			_exit(4);
		fwrite(buf, 1, (size_t)r, body);
		n -= (unsigned long)r;
	}
}

static void
serve(int fd, const struct script *sc)
{
	FILE		*log, *body;
	char		 line[8192];
	long		 n;
	int		 nrcpt = 0, ntx = 0, rcpt_ok = 0;
	unsigned long	 size;

	if ((log = fopen(log_path, "w")) == NULL ||
	    (body = fopen(body_path, "w")) == NULL)
		_exit(2);
	setvbuf(log, NULL, _IONBF, 0);
	setvbuf(body, NULL, _IONBF, 0);
	say(fd, "220 fake LMTP\r\n");
	holding = sc->hold > 0;
	while ((n = get_line(fd, line, sizeof(line))) > 0) {
		fputs(line, log);
		if (strncmp(line, "LHLO", 4) == 0) {
			release_held(fd);
			say(fd, "250-fake\r\n");
			say(fd, sc->caps != NULL ? sc->caps :
			    "250 8BITMIME\r\n");
			holding = sc->hold > 0;
			if (sc->stall)
				pause();
		} else if (strncmp(line, "MAIL", 4) == 0 ||
		    strncmp(line, "RSET", 4) == 0) {
			rcpt_ok = 0;
			say(fd, "250 ok\r\n");
		} else if (strncmp(line, "RCPT", 4) == 0) {
			nrcpt++;
			rcpt_ok = !(sc->rcpt != NULL && (sc->bad_rcpt == 0 ||
			    sc->bad_rcpt == nrcpt));
			say(fd, rcpt_ok ? "250 ok\r\n" : sc->rcpt);
		} else if (strncmp(line, "BDAT", 4) == 0) {
			size = strtoul(line + 5, NULL, 10);
			get_bytes(fd, body, size);
			fputs("<chunk>\r\n", body);
			say(fd, !rcpt_ok ? "554 5.5.1 no valid recipients\r\n" :
			    sc->end != NULL ? sc->end : "250 2.0.0 saved\r\n");
			if (++ntx == sc->hold)
				release_held(fd);
		} else if (strncmp(line, "DATA", 4) == 0) {
			if (!rcpt_ok) {
				say(fd, "554 5.5.1 no valid recipients\r\n");
				release_held(fd);
				holding = sc->hold > 0;
				continue;
			}
			say(fd, "354 go\r\n");
			release_held(fd);
			while ((n = get_line(fd, line, sizeof(line))) > 0) {
				fwrite(line, 1, (size_t)n, body);
				if (strcmp(line, ".\r\n") == 0)
					break;
			}
			if (sc->drop_after_data)
				_exit(0);
			say(fd, sc->end != NULL ? sc->end : "250 2.0.0 saved\r\n");
			holding = sc->hold > 0;
		} else if (strncmp(line, "QUIT", 4) == 0) {
			release_held(fd);
			say(fd, "221 bye\r\n");
			_exit(0);
		} else
			say(fd, "500 what\r\n");
	}
	_exit(0);
}

static void
server_start(const struct script *sc)
{
	struct sockaddr_un	 sun;
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 lfd, fd;

	if (sc->tcp) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		lfd = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(lfd != -1);
		assert_int_equal(bind(lfd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
		assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin,
		    &sl), 0);
		snprintf(tcp_addr, sizeof(tcp_addr), "127.0.0.1:%u",
		    (unsigned)ntohs(sin.sin_port));
	} else {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
		(void)unlink(sock_path);
		lfd = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_true(lfd != -1);
		assert_int_equal(bind(lfd, (struct sockaddr *)&sun,
		    sizeof(sun)), 0);
	}
	assert_int_equal(listen(lfd, 4), 0);
	server_pid = fork();
	assert_true(server_pid != -1);
	if (server_pid == 0) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			_exit(3);
		serve(fd, sc);
	}
	close(lfd);
}

static void
server_wait(void)
{
	int	 status;

	if (server_pid > 0)
		assert_int_equal(waitpid(server_pid, &status, 0), server_pid);
	server_pid = -1;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*p;

	assert_non_null(f = fopen(path, "r"));
	p = calloc(1, 65536);
	assert_non_null(p);
	*len = fread(p, 1, 65535, f);
	fclose(f);
	return p;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/msx-lmtp-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/lmtp", dir);
	snprintf(log_path, sizeof(log_path), "%s/log", dir);
	snprintf(body_path, sizeof(body_path), "%s/body", dir);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	(void)unlink(sock_path);
	(void)unlink(log_path);
	(void)unlink(body_path);
	(void)rmdir(dir);
	return 0;
}

#define NMSG	40

/* Messages through every step; the report's first error in err. */
struct run {
	struct delivery		 dv;
	struct staged		 s[NMSG];
	struct staged		*sp[NMSG];
	struct target_group	 g;
	struct target_report	 r;
	struct delivery_ctx	 ctx;
	struct account		 acct;
	char			 err[1024];
};

static void
run_open_ctx(struct run *x, const char *path, int ctx)
{
	char	 e[512];
	size_t	 i;

	x->dv.target = &target_lmtp;
	assert_non_null(x->dv.path = strdup(path));
	if (ctx) {
		x->acct.name = (char *)"acct";
		x->ctx.acct = &x->acct;
		x->dv.ctx = &x->ctx;
	}
	assert_int_equal(target_lmtp.open(&x->dv, NULL, e, sizeof(e)), 0);
	for (i = 0; i < NMSG; i++) {
		x->s[i].dv = &x->dv;
		x->s[i].in.kind = STATE_LMTP;
		assert_non_null(x->s[i].in.account = strdup("acct"));
		assert_non_null(x->s[i].in.folder = strdup("INBOX"));
		assert_non_null(x->s[i].in.path = strdup(path));
		x->s[i].in.uidvalidity = 7;
		x->s[i].in.uid = 42 + (uint32_t)i;
		x->sp[i] = &x->s[i];
	}
	x->g.target = &target_lmtp;
	x->g.v = x->sp;
	x->g.n = 1;
	x->r.err = x->err;
	x->r.errlen = sizeof(x->err);
}

static void
run_open(struct run *x, const char *path)
{
	memset(x, 0, sizeof(*x));
	run_open_ctx(x, path, 0);
}

static void
run_stage_n(struct run *x, size_t i, const char *msg)
{
	char	 e[512];

	assert_int_equal(target_lmtp.stage(&x->dv, &x->s[i], msg, strlen(msg),
	    0, e, sizeof(e)), 0);
	x->s[i].state = STAGED_JOURNALED;
	if (x->g.n < i + 1)
		x->g.n = i + 1;
}

static void
run_stage(struct run *x, const char *msg)
{
	run_stage_n(x, 0, msg);
}

static void
run_free(struct run *x)
{
	size_t	 i;

	target_lmtp.close(&x->dv);
	free(x->dv.path);
	for (i = 0; i < NMSG; i++) {
		free(x->s[i].entry);
		free(x->s[i].in.account);
		free(x->s[i].in.folder);
		free(x->s[i].in.path);
		free(x->s[i].in.name);
	}
}

/* Publish what is staged to a server speaking sc (started already). */
static void
publish(struct run *x)
{
	char	 e[512];

	assert_int_equal(target_lmtp.prepare(&x->g, e, sizeof(e)), 0);
	target_lmtp.flush(&x->g, &x->r);
	target_lmtp.publish(&x->g, &x->r);
	target_lmtp.release(&x->g);
	server_wait();
}

/* Publish with a server speaking sc; returns the message's state. */
static enum staged_state
deliver(struct run *x, const struct script *sc, const char *msg)
{
	run_stage(x, msg);
	server_start(sc);
	publish(x);
	return x->s[0].state;
}

static int
count(const char *hay, const char *needle)
{
	int	 n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

#define ID(k)	"X-Mailsift-Id: " k "\r\n"

static void
test_wire_format(void **state)
{
	struct run	 x;
	const char	*want = ID("acct/INBOX/7/42") "Subject: x\r\n\r\n"
	    ".dot\r\nbare\rcr\r\ncrlf\r\n.\r\n..\r\nlast\r\n";

	(void)state;
	run_open(&x, sock_path);
	run_stage(&x, "Subject: x\n\n.dot\nbare\rcr\ncrlf\r\n.\n..\nlast");
	assert_int_equal(x.s[0].in.length, strlen(want));
	assert_memory_equal(x.s[0].entry + offsetof(struct lmtp_msg, data), want, strlen(want));
	assert_string_equal(x.s[0].in.name, "acct/INBOX/7/42");
	run_free(&x);
}

static void
test_delivered(void **state)
{
	struct script	 sc = { 0 };
	struct run	 x;
	const char	*msg = "Return-Path: <a@b.example>\nSubject: hi\n\n"
	    ".\n.x\nend\n";
	const char	*want = ID("acct/INBOX/7/42") "Return-Path: "
	    "<a@b.example>\r\nSubject: hi\r\n\r\n..\r\n..x\r\nend\r\n.\r\n";
	char		 path[300], *log, *body;
	size_t		 len;

	(void)state;
	snprintf(path, sizeof(path), "jo@example.org@%s", sock_path);
	run_open(&x, path);
	assert_int_equal(deliver(&x, &sc, msg), STAGED_VISIBLE);
	assert_int_equal(x.r.failed, 0);
	log = slurp(log_path, &len);
	assert_non_null(strstr(log, "LHLO mailsift\r\n"));
	assert_non_null(strstr(log, "MAIL FROM:<a@b.example>\r\n"));
	assert_non_null(strstr(log, "RCPT TO:<jo@example.org>\r\n"));
	assert_non_null(strstr(log, "QUIT\r\n"));
	body = slurp(body_path, &len);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(body, want, len);
	free(log);
	free(body);
	run_free(&x);
}

static void
test_default_recipient(void **state)
{
	struct script	 sc = { 0 };
	struct run	 x;
	char		*log;
	size_t		 len;

	(void)state;
	run_open(&x, sock_path);
	assert_int_equal(deliver(&x, &sc, "Subject: a\n\nb\n"),
	    STAGED_VISIBLE);
	log = slurp(log_path, &len);
	assert_non_null(strstr(log, "MAIL FROM:<>\r\n"));
	assert_non_null(strstr(log, "RCPT TO:<acct>\r\n"));
	free(log);
	run_free(&x);
}

/* recipient = "{to.address}" through the account (dv->ctx) */
static void
test_recipient_template(void **state)
{
	struct script	 sc = { 0 };
	struct run	 x;
	char		*log;
	size_t		 len;

	(void)state;
	memset(&x, 0, sizeof(x));
	x.acct.recipient = (char *)"{account}+{to.address}";
	run_open_ctx(&x, sock_path, 1);
	assert_int_equal(deliver(&x, &sc, "To: Jo <jo@example.org>\n"
	    "Subject: a\n\nb\n"), STAGED_VISIBLE);
	log = slurp(log_path, &len);
	assert_non_null(strstr(log, "RCPT TO:<acct+jo@example.org>\r\n"));
	free(log);
	run_free(&x);
}

/* A hostile To: cannot put a command on the wire: the recipient is
 * refused before anything of the message is sent. */
static void
test_recipient_injection(void **state)
{
	struct script	 sc = { .caps = "250-PIPELINING\r\n250 CHUNKING\r\n" };
	struct run	 x;
	char		*log;
	size_t		 len;

	(void)state;
	memset(&x, 0, sizeof(x));
	x.acct.recipient = (char *)"{to.address}";
	run_open_ctx(&x, sock_path, 1);
	/* a quoted local part folded over two lines: unfolded, it holds
	 * the spaces and brackets of a command */
	run_stage_n(&x, 0, "To: \"a\r\n RCPT TO:<evil@x>\"@b\n"
	    "Subject: a\n\nb\n");
	run_stage_n(&x, 1, "To: \"x\" <a@b>, \"RSET\r\nMAIL\" <c@d>\n\nb\n");
	run_stage_n(&x, 2, "To: <a\tb@c>\n\nb\n");
	server_start(&sc);
	publish(&x);
	log = slurp(log_path, &len);
	assert_null(strstr(log, "evil"));
	assert_int_equal(count(log, "RCPT TO:"), 1);
	assert_int_equal(count(log, "MAIL FROM:"), 1);
	assert_non_null(strstr(log, "RCPT TO:<a@b>\r\n"));
	assert_int_equal(x.s[0].state, STAGED_UNDONE);
	assert_int_equal(x.s[1].state, STAGED_VISIBLE);
	assert_int_equal(x.s[2].state, STAGED_UNDONE);
	assert_int_equal(x.r.failed, 1);
	assert_non_null(strstr(x.err, "recipient"));
	assert_non_null(strstr(x.err, "permanent"));
	free(log);
	run_free(&x);
}

static void
test_rcpt_temporary(void **state)
{
	struct script	 sc = { .rcpt = "451 4.3.0 try later\r\n" };
	struct run	 x;
	char		*log, *body;
	size_t		 len;

	(void)state;
	run_open(&x, sock_path);
	assert_int_equal(deliver(&x, &sc, "a\n"), STAGED_UNDONE);
	assert_int_equal(x.r.failed, 1);
	assert_non_null(strstr(x.err, "451"));
	assert_non_null(strstr(x.err, "temporary"));
	log = slurp(log_path, &len);
	assert_non_null(strstr(log, "RSET\r\n"));
	assert_null(strstr(log, "DATA"));
	body = slurp(body_path, &len);
	assert_int_equal(len, 0);
	free(log);
	free(body);
	run_free(&x);
}

static void
test_end_permanent(void **state)
{
	struct script	 sc = { .end = "552 5.2.2 over quota\r\n" };
	struct run	 x;

	(void)state;
	run_open(&x, sock_path);
	assert_int_equal(deliver(&x, &sc, "a\n"), STAGED_UNDONE);
	assert_non_null(strstr(x.err, "552 5.2.2 over quota"));
	assert_non_null(strstr(x.err, "permanent"));
	assert_int_equal(x.s[0].refused, 0);
	run_free(&x);
}

/* lmtp-reject = skip: marked refused for the caller, no failure */
static void
test_end_permanent_skip(void **state)
{
	struct script	 sc = { .end = "552 5.2.2 over quota\r\n" };
	struct run	 x;

	(void)state;
	memset(&x, 0, sizeof(x));
	x.acct.lmtp_reject = LMTP_REJECT_SKIP;
	run_open_ctx(&x, sock_path, 1);
	assert_int_equal(deliver(&x, &sc, "a\n"), STAGED_UNDONE);
	assert_int_equal(x.s[0].refused, 1);
	assert_int_equal(x.r.failed, 0);
	run_free(&x);
}

/* a 4xx is never skipped */
static void
test_temporary_not_skipped(void **state)
{
	struct script	 sc = { .end = "452 4.2.2 over quota\r\n" };
	struct run	 x;

	(void)state;
	memset(&x, 0, sizeof(x));
	x.acct.lmtp_reject = LMTP_REJECT_SKIP;
	run_open_ctx(&x, sock_path, 1);
	assert_int_equal(deliver(&x, &sc, "a\n"), STAGED_UNDONE);
	assert_int_equal(x.s[0].refused, 0);
	assert_int_equal(x.r.failed, 1);
	run_free(&x);
}

static void
test_lost_after_data(void **state)
{
	struct script	 sc = { .drop_after_data = 1 };
	struct run	 x;

	(void)state;
	run_open(&x, sock_path);
	assert_int_equal(deliver(&x, &sc, "a\n"), STAGED_DOUBT);
	assert_int_equal(x.r.failed, 1);
	run_free(&x);
}

/* PIPELINING and CHUNKING: the server answers nothing before it has
 * all three transactions, so a client waiting for a reply would stall */
static void
test_chunking_pipelined(void **state)
{
	struct script	 sc = { .caps = "250-PIPELINING\r\n250-CHUNKING\r\n"
	    "250 8BITMIME\r\n", .hold = 3 };
	struct run	 x;
	const char	*want = ID("acct/INBOX/7/42") "Subject: 1\r\n\r\n"
	    ".dot\r\n<chunk>\r\n" ID("acct/INBOX/7/43") "Subject: 2\r\n\r\n"
	    "b\r\n<chunk>\r\n" ID("acct/INBOX/7/44") "Subject: 3\r\n\r\n"
	    "c\r\n<chunk>\r\n";
	char		*log, *body;
	size_t		 len, i;

	(void)state;
	run_open(&x, sock_path);
	run_stage_n(&x, 0, "Subject: 1\n\n.dot\n");
	run_stage_n(&x, 1, "Subject: 2\n\nb\n");
	run_stage_n(&x, 2, "Subject: 3\n\nc");
	server_start(&sc);
	publish(&x);
	for (i = 0; i < 3; i++)
		assert_int_equal(x.s[i].state, STAGED_VISIBLE);
	assert_int_equal(x.r.failed, 0);
	log = slurp(log_path, &len);
	assert_int_equal(count(log, "BDAT "), 3);
	assert_int_equal(count(log, "RSET\r\n"), 2);
	assert_null(strstr(log, "DATA"));
	body = slurp(body_path, &len);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(body, want, len);
	free(log);
	free(body);
	run_free(&x);
}

/* More than a window (8): replies held until 8 transactions came */
static void
test_chunking_window(void **state)
{
	struct script	 sc = { .caps = "250-PIPELINING\r\n250 CHUNKING\r\n",
	    .hold = 8 };
	struct run	 x;
	size_t		 i;
	char		*log;
	size_t		 len;

	(void)state;
	run_open(&x, sock_path);
	for (i = 0; i < NMSG; i++)
		run_stage_n(&x, i, "Subject: w\n\nbody\n");
	server_start(&sc);
	publish(&x);
	for (i = 0; i < NMSG; i++)
		assert_int_equal(x.s[i].state, STAGED_VISIBLE);
	log = slurp(log_path, &len);
	assert_int_equal(count(log, "BDAT "), NMSG);
	free(log);
	run_free(&x);
}

/* One recipient refused in the middle: the others are delivered, each
 * reply read for its own message */
static void
test_chunking_one_refused(void **state)
{
	struct script	 sc = { .caps = "250-PIPELINING\r\n250 CHUNKING\r\n",
	    .rcpt = "550 5.1.1 no such user\r\n", .bad_rcpt = 2 };
	struct run	 x;
	size_t		 i;

	(void)state;
	run_open(&x, sock_path);
	for (i = 0; i < 3; i++)
		run_stage_n(&x, i, "Subject: r\n\nbody\n");
	server_start(&sc);
	publish(&x);
	assert_int_equal(x.s[0].state, STAGED_VISIBLE);
	assert_int_equal(x.s[1].state, STAGED_UNDONE);
	assert_int_equal(x.s[2].state, STAGED_VISIBLE);
	assert_non_null(strstr(x.err, "550 5.1.1"));
	assert_non_null(strstr(x.err, "UID 43"));
	run_free(&x);
}

/* PIPELINING without CHUNKING: MAIL, RCPT and DATA in one group (the
 * server holds their replies until DATA), the data dot-stuffed */
static void
test_data_pipelined(void **state)
{
	struct script	 sc = { .caps = "250 PIPELINING\r\n", .hold = 1 };
	struct run	 x;
	const char	*want = ID("acct/INBOX/7/42") "Subject: 1\r\n\r\n"
	    "..dot\r\n.\r\n" ID("acct/INBOX/7/43") "Subject: 2\r\n\r\n"
	    "b\r\n.\r\n";
	char		*log, *body;
	size_t		 len;

	(void)state;
	run_open(&x, sock_path);
	run_stage_n(&x, 0, "Subject: 1\n\n.dot\n");
	run_stage_n(&x, 1, "Subject: 2\n\nb\n");
	server_start(&sc);
	publish(&x);
	assert_int_equal(x.s[0].state, STAGED_VISIBLE);
	assert_int_equal(x.s[1].state, STAGED_VISIBLE);
	log = slurp(log_path, &len);
	assert_int_equal(count(log, "DATA\r\n"), 2);
	body = slurp(body_path, &len);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(body, want, len);
	free(log);
	free(body);
	run_free(&x);
}

static void
test_data_pipelined_refused(void **state)
{
	struct script	 sc = { .caps = "250 PIPELINING\r\n",
	    .rcpt = "550 5.1.1 no such user\r\n", .bad_rcpt = 1 };
	struct run	 x;

	(void)state;
	run_open(&x, sock_path);
	run_stage_n(&x, 0, "Subject: 1\n\na\n");
	run_stage_n(&x, 1, "Subject: 2\n\nb\n");
	server_start(&sc);
	publish(&x);
	assert_int_equal(x.s[0].state, STAGED_UNDONE);
	assert_int_equal(x.s[1].state, STAGED_VISIBLE);
	run_free(&x);
}

static void
test_8bitmime(void **state)
{
	struct script	 sc = { 0 };
	struct script	 no = { .caps = "250 PIPELINING\r\n" };
	struct run	 x;
	char		*log;
	size_t		 len;

	(void)state;
	run_open(&x, sock_path);
	assert_int_equal(deliver(&x, &sc, "Subject: caf\xc3\xa9\n\nb\n"),
	    STAGED_VISIBLE);
	log = slurp(log_path, &len);
	assert_non_null(strstr(log, "MAIL FROM:<> BODY=8BITMIME\r\n"));
	free(log);
	run_free(&x);
	run_open(&x, sock_path);
	assert_int_equal(deliver(&x, &sc, "Subject: cafe\n\nb\n"),
	    STAGED_VISIBLE);
	log = slurp(log_path, &len);
	assert_non_null(strstr(log, "MAIL FROM:<>\r\n"));
	free(log);
	run_free(&x);
	run_open(&x, sock_path);
	assert_int_equal(deliver(&x, &no, "Subject: caf\xc3\xa9\n\nb\n"),
	    STAGED_VISIBLE);
	log = slurp(log_path, &len);
	assert_non_null(strstr(log, "MAIL FROM:<>\r\n"));
	free(log);
	run_free(&x);
}

static void
test_smtputf8(void **state)
{
	struct script	 sc = { .caps = "250 SMTPUTF8\r\n" };
	struct script	 no = { 0 };
	struct run	 x;
	char		 path[300], *log;
	size_t		 len;

	(void)state;
	snprintf(path, sizeof(path), "j\xc3\xb6@example.org@%s", sock_path);
	run_open(&x, path);
	assert_int_equal(deliver(&x, &sc, "Subject: a\n\nb\n"),
	    STAGED_VISIBLE);
	log = slurp(log_path, &len);
	assert_non_null(strstr(log, "MAIL FROM:<> SMTPUTF8\r\n"));
	assert_non_null(strstr(log, "RCPT TO:<j\xc3\xb6@example.org>\r\n"));
	free(log);
	run_free(&x);
	run_open(&x, path);
	assert_int_equal(deliver(&x, &no, "Subject: a\n\nb\n"),
	    STAGED_UNDONE);
	assert_non_null(strstr(x.err, "SMTPUTF8"));
	log = slurp(log_path, &len);
	assert_null(strstr(log, "MAIL"));
	free(log);
	run_free(&x);
}

/* lmtp-tls = starttls on a server that does not offer it: no clear
 * text; auto on a loopback address: no TLS */
static void
test_starttls_required(void **state)
{
	struct script	 sc = { .tcp = 1 };
	struct run	 x;
	char		 e[512];

	(void)state;
	server_start(&sc);
	memset(&x, 0, sizeof(x));
	x.acct.lmtp_tls = LMTP_TLS_STARTTLS;
	run_open_ctx(&x, tcp_addr, 1);
	run_stage(&x, "a\n");
	assert_int_equal(target_lmtp.prepare(&x.g, e, sizeof(e)), -1);
	assert_non_null(strstr(e, "STARTTLS"));
	target_lmtp.release(&x.g);
	server_wait();
	run_free(&x);
	server_start(&sc);
	memset(&x, 0, sizeof(x));
	run_open_ctx(&x, tcp_addr, 1);
	run_stage(&x, "a\n");
	publish(&x);
	assert_int_equal(x.s[0].state, STAGED_VISIBLE);
	run_free(&x);
}

/* A server that stops reading: the batch fails within the connection's
 * deadline (here half a second), it never hangs; nothing is VISIBLE,
 * and a message whose bytes began to go is DOUBT. */
static void
test_server_stops_reading(void **state)
{
	struct script		 sc = { .caps = "250-PIPELINING\r\n"
	    "250 CHUNKING\r\n", .stall = 1 };
	struct conn_pace	 fast = { 500, 1u << 30, 2000 };
	struct run		 x;
	char			*big, e[512];
	size_t			 i, n = 3 * 1024 * 1024;

	(void)state;
	assert_non_null(big = malloc(n + 1));
	memset(big, 'a', n);
	for (i = 100; i < n; i += 100)
		big[i] = '\n';
	big[n] = '\0';
	conn_set_pace(&fast);
	run_open(&x, sock_path);
	for (i = 0; i < 3; i++)
		run_stage_n(&x, i, big);
	server_start(&sc);
	assert_int_equal(target_lmtp.prepare(&x.g, e, sizeof(e)), 0);
	target_lmtp.publish(&x.g, &x.r);
	assert_int_equal(x.r.failed, 1);
	assert_int_equal(x.s[0].state, STAGED_DOUBT);
	for (i = 1; i < 3; i++)
		assert_true(x.s[i].state == STAGED_UNDONE ||
		    x.s[i].state == STAGED_DOUBT);
	target_lmtp.release(&x.g);
	conn_set_pace(NULL);
	kill(server_pid, SIGKILL);
	server_wait();
	free(big);
	run_free(&x);
}

static void
test_server_down(void **state)
{
	struct run	 x;
	char		 e[512];

	(void)state;
	(void)unlink(sock_path);
	run_open(&x, sock_path);
	run_stage(&x, "a\n");
	assert_int_equal(target_lmtp.prepare(&x.g, e, sizeof(e)), -1);
	assert_non_null(strstr(e, sock_path));
	target_lmtp.release(&x.g);
	run_free(&x);
}

static void
test_addresses(void **state)
{
	struct delivery	 dv = { &target_lmtp, NULL, NULL, NULL };
	char		 e[512], p1[] = "127.0.0.1:24", p2[] = "u@[::1]:24",
			 p3[] = "nohostport", p4[] = "/run/lmtp",
			 p5[] = "a b@/run/lmtp";

	(void)state;
	dv.path = p1;
	assert_int_equal(target_lmtp.open(&dv, NULL, e, sizeof(e)), 0);
	target_lmtp.close(&dv);
	dv.path = p2;
	assert_int_equal(target_lmtp.open(&dv, NULL, e, sizeof(e)), 0);
	target_lmtp.close(&dv);
	dv.path = p3;
	assert_int_equal(target_lmtp.open(&dv, NULL, e, sizeof(e)), -1);
	dv.path = p5;
	assert_int_equal(target_lmtp.open(&dv, NULL, e, sizeof(e)), -1);
	dv.path = p4;
	assert_int_equal(target_lmtp.open(&dv, "Work", e, sizeof(e)), -1);
	assert_non_null(strstr(e, "Sieve"));
}

static void
test_settle_undoes(void **state)
{
	struct state_intent	 in[2];
	struct target_settle	 st;
	int64_t			 done[2], undo[2];
	char			 path[] = "/run/lmtp", name[] = "k";

	(void)state;
	memset(in, 0, sizeof(in));
	memset(&st, 0, sizeof(st));
	in[0].id = 3;
	in[1].id = 9;
	in[0].path = in[1].path = path;
	in[0].name = in[1].name = name;
	st.done = done;
	st.undo = undo;
	target_lmtp.settle(NULL, in, 2, &st);
	assert_int_equal(st.ndone, 0);
	assert_int_equal(st.nundo, 2);
	assert_int_equal(undo[1], 9);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_format),
		cmocka_unit_test(test_delivered),
		cmocka_unit_test(test_default_recipient),
		cmocka_unit_test(test_recipient_template),
		cmocka_unit_test(test_recipient_injection),
		cmocka_unit_test(test_rcpt_temporary),
		cmocka_unit_test(test_end_permanent),
		cmocka_unit_test(test_end_permanent_skip),
		cmocka_unit_test(test_temporary_not_skipped),
		cmocka_unit_test(test_lost_after_data),
		cmocka_unit_test(test_chunking_pipelined),
		cmocka_unit_test(test_chunking_window),
		cmocka_unit_test(test_chunking_one_refused),
		cmocka_unit_test(test_data_pipelined),
		cmocka_unit_test(test_data_pipelined_refused),
		cmocka_unit_test(test_8bitmime),
		cmocka_unit_test(test_smtputf8),
		cmocka_unit_test(test_starttls_required),
		cmocka_unit_test(test_server_stops_reading),
		cmocka_unit_test(test_server_down),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_settle_undoes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

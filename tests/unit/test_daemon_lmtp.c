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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/deliver/target.h"

struct script {
	const char	*rcpt;		/* NULL: 250 */
	const char	*end;		/* after the data; NULL: 250 */
	int		 drop_after_data;
};

static char	 dir[64], sock_path[96], log_path[128], body_path[128];
static pid_t	 server_pid = -1;

static void
say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		_exit(0);
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
serve(int fd, const struct script *sc)
{
	FILE	*log, *body;
	char	 line[8192];
	long	 n;

	if ((log = fopen(log_path, "w")) == NULL ||
	    (body = fopen(body_path, "w")) == NULL)
		_exit(2);
	setvbuf(log, NULL, _IONBF, 0);
	setvbuf(body, NULL, _IONBF, 0);
	say(fd, "220 fake LMTP\r\n");
	while ((n = get_line(fd, line, sizeof(line))) > 0) {
		fputs(line, log);
		if (strncmp(line, "LHLO", 4) == 0)
			say(fd, "250-fake\r\n250 8BITMIME\r\n");
		else if (strncmp(line, "MAIL", 4) == 0 ||
		    strncmp(line, "RSET", 4) == 0)
			say(fd, "250 ok\r\n");
		else if (strncmp(line, "RCPT", 4) == 0)
			say(fd, sc->rcpt != NULL ? sc->rcpt : "250 ok\r\n");
		else if (strncmp(line, "DATA", 4) == 0) {
			say(fd, "354 go\r\n");
			while ((n = get_line(fd, line, sizeof(line))) > 0) {
				fwrite(line, 1, (size_t)n, body);
				if (strcmp(line, ".\r\n") == 0)
					break;
			}
			if (sc->drop_after_data)
				_exit(0);
			say(fd, sc->end != NULL ? sc->end : "250 2.0.0 saved\r\n");
		} else if (strncmp(line, "QUIT", 4) == 0) {
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
	int			 lfd, fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	(void)unlink(sock_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd != -1);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
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

/* One message through every step; the report's first error in err. */
struct run {
	struct delivery		 dv;
	struct staged		 s;
	struct staged		*sp;
	struct target_group	 g;
	struct target_report	 r;
	char			 err[1024];
};

static void
run_open(struct run *x, const char *path)
{
	char	 e[512];

	memset(x, 0, sizeof(*x));
	x->dv.target = &target_lmtp;
	assert_non_null(x->dv.path = strdup(path));
	assert_int_equal(target_lmtp.open(&x->dv, NULL, e, sizeof(e)), 0);
	x->s.dv = &x->dv;
	x->s.in.kind = STATE_LMTP;
	assert_non_null(x->s.in.account = strdup("acct"));
	assert_non_null(x->s.in.folder = strdup("INBOX"));
	assert_non_null(x->s.in.path = strdup(path));
	x->s.in.uidvalidity = 7;
	x->s.in.uid = 42;
	x->sp = &x->s;
	x->g.target = &target_lmtp;
	x->g.v = &x->sp;
	x->g.n = 1;
	x->r.err = x->err;
	x->r.errlen = sizeof(x->err);
}

static void
run_stage(struct run *x, const char *msg)
{
	char	 e[512];

	assert_int_equal(target_lmtp.stage(&x->dv, &x->s, msg, strlen(msg),
	    0, e, sizeof(e)), 0);
	x->s.state = STAGED_JOURNALED;
}

static void
run_free(struct run *x)
{
	target_lmtp.close(&x->dv);
	free(x->dv.path);
	free(x->s.entry);
	free(x->s.in.account);
	free(x->s.in.folder);
	free(x->s.in.path);
	free(x->s.in.name);
}

/* Publish with a server speaking sc; returns the message's state. */
static enum staged_state
deliver(struct run *x, const struct script *sc, const char *msg)
{
	char	 e[512];

	run_stage(x, msg);
	server_start(sc);
	assert_int_equal(target_lmtp.prepare(&x->g, e, sizeof(e)), 0);
	target_lmtp.flush(&x->g, &x->r);
	target_lmtp.publish(&x->g, &x->r);
	target_lmtp.release(&x->g);
	server_wait();
	return x->s.state;
}

static void
test_wire_format(void **state)
{
	struct run	 x;
	const char	*want = "Subject: x\r\n\r\n..dot\r\nbare\rcr\r\n"
	    "crlf\r\n..\r\n...\r\nlast\r\n.\r\n";

	(void)state;
	run_open(&x, sock_path);
	run_stage(&x, "Subject: x\n\n.dot\nbare\rcr\ncrlf\r\n.\n..\nlast");
	assert_int_equal(x.s.in.length, strlen(want));
	assert_memory_equal(x.s.entry, want, strlen(want));
	assert_string_equal(x.s.in.name, "acct/INBOX/7/42");
	run_free(&x);
}

static void
test_delivered(void **state)
{
	struct script	 sc = { NULL, NULL, 0 };
	struct run	 x;
	const char	*msg = "Return-Path: <a@b.example>\nSubject: hi\n\n"
	    ".\n.x\nend\n";
	const char	*want = "Return-Path: <a@b.example>\r\nSubject: hi"
	    "\r\n\r\n..\r\n..x\r\nend\r\n.\r\n";
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
	struct script	 sc = { NULL, NULL, 0 };
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

static void
test_rcpt_temporary(void **state)
{
	struct script	 sc = { "451 4.3.0 try later\r\n", NULL, 0 };
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
	struct script	 sc = { NULL, "552 5.2.2 over quota\r\n", 0 };
	struct run	 x;

	(void)state;
	run_open(&x, sock_path);
	assert_int_equal(deliver(&x, &sc, "a\n"), STAGED_UNDONE);
	assert_non_null(strstr(x.err, "552 5.2.2 over quota"));
	assert_non_null(strstr(x.err, "permanent"));
	run_free(&x);
}

static void
test_lost_after_data(void **state)
{
	struct script	 sc = { NULL, NULL, 1 };
	struct run	 x;

	(void)state;
	run_open(&x, sock_path);
	assert_int_equal(deliver(&x, &sc, "a\n"), STAGED_DOUBT);
	assert_int_equal(x.r.failed, 1);
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
			 p3[] = "nohostport", p4[] = "/run/lmtp";

	(void)state;
	dv.path = p1;
	assert_int_equal(target_lmtp.open(&dv, NULL, e, sizeof(e)), 0);
	target_lmtp.close(&dv);
	dv.path = p2;
	assert_int_equal(target_lmtp.open(&dv, NULL, e, sizeof(e)), 0);
	target_lmtp.close(&dv);
	dv.path = p3;
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
		cmocka_unit_test(test_rcpt_temporary),
		cmocka_unit_test(test_end_permanent),
		cmocka_unit_test(test_lost_after_data),
		cmocka_unit_test(test_server_down),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_settle_undoes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

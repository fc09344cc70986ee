/* SPDX-License-Identifier: ISC */
/* Unit tests for the store's outbox.h (sqlite-outbox.c, pg-outbox.c): the
 * outgoing queue, the reply rate limit and the action log, on a real
 * SQLite file or the database of MSX_STATE_URL (state-where.h); and when
 * the sender (daemon/act/outbox-send.c) records a message sent, against a
 * fake SMTP server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "state-where.h"

#include "daemon/act/outbox-send.h"
#include "daemon/conf/conf.h"
#include "daemon/store/outbox.h"
#include "daemon/store/state.h"

struct fixture {
	char		 dir[64];
	char		 path[128];
	const char	*where;		/* path, or the database's URL */
	struct state	*st;
};

static int
setup(void **state)
{
	struct fixture	*f;
	char		 err[512];

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/msoutbox.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/state.db", f->dir);
	f->where = state_test_fresh(f->path);
	f->st = state_open(f->where, 0, err, sizeof(err));
	assert_non_null(f->st);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[256];

	state_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
test_queue_once(void **state)
{
	struct fixture		*f = *state;
	struct outbox_entry	*v;
	char			 err[512];
	size_t			 n;

	assert_int_equal(state_outbox_add(f->st, "acct/uid1/away/0", "acct",
	    "out", "", "a@example.org\n", "msg\0data", 8, err, sizeof(err)),
	    1);
	/* the same key again (a refetch, a crash): nothing new */
	assert_int_equal(state_outbox_add(f->st, "acct/uid1/away/0", "acct",
	    "out", "", "a@example.org\n", "other", 5, err, sizeof(err)), 0);
	assert_int_equal(state_outbox_due(f->st, NULL, INT64_MAX, 10, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].sender, "");
	assert_string_equal(v[0].rcpts, "a@example.org\n");
	assert_int_equal(v[0].len, 8);
	assert_memory_equal(v[0].data, "msg\0data", 8);
	state_outbox_entry_free(&v[0]);
	free(v);
	/* per account: another account sees nothing */
	assert_int_equal(state_outbox_due(f->st, "other", INT64_MAX, 10, &v,
	    &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(v);
	assert_int_equal(state_outbox_due(f->st, "acct", INT64_MAX, 10, &v,
	    &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	state_outbox_entry_free(&v[0]);
	free(v);
}

static void
test_retry_sent_failed(void **state)
{
	struct fixture		*f = *state;
	struct outbox_entry	*v;
	char			 err[512];
	size_t			 n;
	uint64_t		 q, s, x;
	int64_t			 id1, id2;

	assert_int_equal(state_outbox_add(f->st, "k1", "a", "out", "me@x",
	    "r@x\n", "1", 1, err, sizeof(err)), 1);
	assert_int_equal(state_outbox_add(f->st, "k2", "a", "out", "me@x",
	    "r@x\n", "2", 1, err, sizeof(err)), 1);
	assert_int_equal(state_outbox_due(f->st, NULL, INT64_MAX, 10, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	id1 = v[0].id;
	id2 = v[1].id;
	state_outbox_entry_free(&v[0]);
	state_outbox_entry_free(&v[1]);
	free(v);
	/* k1 fails for now and waits; k2 is sent */
	assert_int_equal(state_outbox_retry(f->st, id1, 5000, "421 busy", err,
	    sizeof(err)), 0);
	assert_int_equal(state_outbox_sent(f->st, id2, err, sizeof(err)), 0);
	assert_int_equal(state_outbox_due(f->st, NULL, 4999, 10, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(v);
	assert_int_equal(state_outbox_due(f->st, NULL, 5000, 10, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, id1);
	assert_int_equal(v[0].attempts, 1);
	state_outbox_entry_free(&v[0]);
	free(v);
	assert_int_equal(state_outbox_failed(f->st, id1, "550 no", err,
	    sizeof(err)), 0);
	assert_int_equal(state_outbox_counts(f->st, &q, &s, &x, err,
	    sizeof(err)), 0);
	assert_int_equal(q, 0);
	assert_int_equal(s, 1);
	assert_int_equal(x, 1);
}

static void
test_reply_rate_limit(void **state)
{
	struct fixture	*f = *state;
	char		 err[512];
	int64_t		 week = 7 * 86400;

	assert_int_equal(state_reply_allow(f->st, "a", "away", "s@x", 1000,
	    week, err, sizeof(err)), 1);
	assert_int_equal(state_reply_allow(f->st, "a", "away", "s@x", 1001,
	    week, err, sizeof(err)), 0);
	/* another sender, another rule: their own limits */
	assert_int_equal(state_reply_allow(f->st, "a", "away", "t@x", 1001,
	    week, err, sizeof(err)), 1);
	assert_int_equal(state_reply_allow(f->st, "a", "other", "s@x", 1001,
	    week, err, sizeof(err)), 1);
	assert_int_equal(state_reply_allow(f->st, "a", "away", "s@x",
	    1000 + week - 1, week, err, sizeof(err)), 0);
	assert_int_equal(state_reply_allow(f->st, "a", "away", "s@x",
	    1000 + week, week, err, sizeof(err)), 1);
	/* the window restarts from the last reply */
	assert_int_equal(state_reply_allow(f->st, "a", "away", "s@x",
	    1000 + week + 1, week, err, sizeof(err)), 0);
}

/* Run sql (lite on a SQLite file, pg on a database) on the store from a
 * second connection. */
static void
outbox_sql(struct fixture *f, const char *lite, const char *pg)
{
	PGresult	*r;
	PGconn		*c;
	sqlite3		*db;

	if (state_test_url() == NULL) {
		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, lite, NULL, NULL, NULL),
		    SQLITE_OK);
		sqlite3_close(db);
		return;
	}
	c = PQconnectdb(f->where);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	r = PQexec(c, pg);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
}

/* The rate limit and the queue go together: a reply whose queueing fails
 * (a crash, a full disk) leaves the limit untaken, so the refetched
 * message still gets its reply; a key queued before is not limited. */
static void
test_reply_queue_atomic(void **state)
{
	struct fixture		*f = *state;
	struct outbox_msg	 m = { "a/1/away/0", "a", "out", "", "s@x\n",
				    "hi", 2 };
	char			 err[512];
	int64_t			 week = 7 * 86400;

	outbox_sql(f, "CREATE TRIGGER no_queue BEFORE INSERT ON outbox"
	    " BEGIN SELECT RAISE(ABORT, 'disk full'); END",
	    "CREATE FUNCTION no_queue() RETURNS trigger LANGUAGE plpgsql AS"
	    " $$BEGIN RAISE EXCEPTION 'disk full'; END$$;"
	    " CREATE TRIGGER no_queue BEFORE INSERT ON outbox FOR EACH ROW"
	    " EXECUTE FUNCTION no_queue()");
	assert_int_equal(state_reply_queue(f->st, &m, "away", "s@x", 1000,
	    week, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "disk full"));
	outbox_sql(f, "DROP TRIGGER no_queue", "DROP TRIGGER no_queue ON"
	    " outbox");
	assert_int_equal(state_reply_queue(f->st, &m, "away", "s@x", 1001,
	    week, err, sizeof(err)), 1);
	/* the same message again (a refetch): queued before, not limited */
	assert_int_equal(state_reply_queue(f->st, &m, "away", "s@x", 1002,
	    week, err, sizeof(err)), 2);
	/* another message from the same sender: limited, nothing queued */
	m.key = "a/2/away/0";
	assert_int_equal(state_reply_queue(f->st, &m, "away", "s@x", 1003,
	    week, err, sizeof(err)), 0);
	m.key = "a/3/away/0";
	assert_int_equal(state_reply_queue(f->st, &m, "away", "t@x", 1003,
	    week, err, sizeof(err)), 1);
}

static void
test_action_log(void **state)
{
	struct fixture	*f = *state;
	char		 err[512];

	assert_int_equal(state_action_done(f->st, "a/1/save/0", err,
	    sizeof(err)), 0);
	assert_int_equal(state_action_mark(f->st, "a/1/save/0", err,
	    sizeof(err)), 0);
	assert_int_equal(state_action_mark(f->st, "a/1/save/0", err,
	    sizeof(err)), 0);
	assert_int_equal(state_action_done(f->st, "a/1/save/0", err,
	    sizeof(err)), 1);
	assert_int_equal(state_action_done(f->st, "a/2/save/0", err,
	    sizeof(err)), 0);
}

/* ---- a fake SMTP server for the sender ---- */

static int
srv_line(FILE *in, char *buf, size_t len)
{
	if (fgets(buf, (int)len, in) == NULL)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/*
 * The outbox's counts as another process sees them.  On a database, its
 * own connection: a forked child must not use the connections its
 * parent's store (libpq's pool) holds.
 */
static int
served_counts(const char *where, uint64_t *q, uint64_t *s)
{
	struct state	*st;
	PGresult	*r;
	PGconn		*c;
	char		 err[512];
	uint64_t	 x;
	int		 rv = -1;

	if (state_test_url() == NULL) {
		if ((st = state_open(where, 0, err, sizeof(err))) == NULL)
			return -1;
		rv = state_outbox_counts(st, q, s, &x, err, sizeof(err));
		state_close(st);
		return rv;
	}
	c = PQconnectdb(where);
	r = PQexec(c, "SELECT count(*) FILTER (WHERE status = 'queued'),"
	    " count(*) FILTER (WHERE status = 'sent') FROM outbox");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		*q = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
		*s = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
		rv = 0;
	}
	PQclear(r);
	PQfinish(c);
	return rv;
}

/*
 * The child: take one message; when QUIT comes, look at the state
 * file (its own connection) and exit 0 only if the message is already
 * recorded as sent.  A crash between the 250 and QUIT's answer must
 * not send it again: the window is the commit itself.
 */
static void
smtp_serve(int lfd, const char *statepath)
{
	char		 line[1024];
	uint64_t	 q, s;
	FILE		*in, *out;
	int		 fd;

	alarm(10);
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(2);
	in = fdopen(fd, "r");
	out = fdopen(dup(fd), "w");
	if (in == NULL || out == NULL)
		_exit(2);
	fputs("220 fake ESMTP\r\n", out);
	fflush(out);
	while (srv_line(in, line, sizeof(line)) == 0) {
		if (strncmp(line, "EHLO", 4) == 0)
			fputs("250 fake\r\n", out);
		else if (strcmp(line, "DATA") == 0) {
			fputs("354 go\r\n", out);
			fflush(out);
			while (srv_line(in, line, sizeof(line)) == 0 &&
			    strcmp(line, ".") != 0)
				;
			fputs("250 2.0.0 queued\r\n", out);
		} else if (strcmp(line, "QUIT") == 0) {
			if (served_counts(statepath, &q, &s) == -1)
				_exit(3);
			if (s != 1 || q != 0) {
				fprintf(stderr, "fake smtp: at QUIT %llu "
				    "queued, %llu sent\n",
				    (unsigned long long)q,
				    (unsigned long long)s);
				_exit(1);
			}
			fputs("221 bye\r\n", out);
			fflush(out);
			_exit(0);
		} else
			fputs("250 ok\r\n", out);
		fflush(out);
	}
	_exit(4);
}

static void
test_sent_recorded_before_quit(void **state)
{
	struct fixture		*f = *state;
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	struct smtp_server	 srv;
	struct config		 cfg;
	char			 err[512], port[16];
	static char		 name[] = "out", label[] = "smtp 'out'",
				 host[] = "127.0.0.1", from[] = "me@x";
	uint64_t		 q, s, x;
	pid_t			 pid;
	int			 fd, status;

	assert_int_equal(state_outbox_add(f->st, "k1", "acct", "out", "",
	    "r@x\n", "Subject: a\r\n\r\nb\r\n", 17, err, sizeof(err)), 1);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	snprintf(port, sizeof(port), "%u", ntohs(sin.sin_port));
	if ((pid = fork()) == 0)
		smtp_serve(fd, f->where);
	assert_true(pid > 0);
	close(fd);
	memset(&srv, 0, sizeof(srv));
	srv.name = name;
	srv.from = from;
	srv.ep.label = label;
	srv.ep.host = host;
	srv.ep.port = port;
	srv.ep.tls = TLS_NONE;
	srv.ep.auth = AUTH_AUTO;
	memset(&cfg, 0, sizeof(cfg));
	cfg.smtp = &srv;
	cfg.nsmtp = 1;
	assert_int_equal(outbox_send(&cfg, f->st, "acct"), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(state_outbox_counts(f->st, &q, &s, &x, err,
	    sizeof(err)), 0);
	assert_int_equal(s, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retry_sent_failed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reply_queue_atomic,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_rate_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_action_log, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sent_recorded_before_quit,
		    setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_imap_dest.c - the imap: target (daemon/deliver/imap.c)
 * through its steps (target.h) with a fake client table (imap-client.h):
 * the staged bytes and key, each answer of an APPEND (OK, OVERQUOTA,
 * TRYCREATE, a session lost before or after the data) and recovery's
 * decisions.  Then the real client (daemon/source/imap-dest.c) against
 * a scripted IMAP peer, a forked child on loopback, for what Dovecot
 * never does: no MULTIAPPEND, no LITERAL+ (each literal waits for "+"),
 * a refusal before the data, a peer gone after it.  The real servers
 * are tests/integration/test-imapdest.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "daemon/conf/config.h"
#include "daemon/deliver/deliver.h"
#include "daemon/deliver/imap-client.h"
#include "daemon/deliver/target.h"
#include "daemon/source/imap-dest.h"
#include "daemon/source/imap-int.h"	/* imap_meta_*() */

/* --- the fake client ------------------------------------------------ */

/* What an APPEND call answers: per call, for every message. */
enum answer {
	ANS_OK,
	ANS_OVERQUOTA,
	ANS_TRYCREATE,
	ANS_LOST_SENT,		/* the session broke after the data */
	ANS_LOST_UNSENT		/* ... before it */
};

struct imap_dest {
	int	 unused;
};

static struct {
	int		 connect_fail;
	int		 nconnect;
	int		 nnoop;
	int		 noop_fail;
	enum answer	 answer[4];
	int		 nappend;
	int		 ncreate;
	int		 search;		/* what search says */
	int		 nsearch;
	time_t		 date;
	long		 zone;
	char		 flags[64];
	char		 data[4096];
	size_t		 len;
	char		 folder[256];
} fk;
static struct imap_dest	 fake_session;

static struct imap_dest *
fake_connect(const struct config *cfg, const char *acct, char *err,
    size_t errlen)
{
	(void)cfg;
	if (fk.connect_fail) {
		snprintf(err, errlen, "connection refused (%s)", acct);
		return NULL;
	}
	fk.nconnect++;
	return &fake_session;
}

static int
fake_folder(struct imap_dest *d, const char *folder, int create, char *wire,
    size_t wirelen, char *err, size_t errlen)
{
	(void)d;
	(void)err;
	(void)errlen;
	snprintf(fk.folder, sizeof(fk.folder), "%s", folder);
	snprintf(wire, wirelen, "\"%s\"", folder);
	fk.ncreate += create;
	return 0;
}

static int
fake_append(struct imap_dest *d, const char *wire, struct imap_dest_msg *v,
    size_t n, char *err, size_t errlen)
{
	enum answer	 a = fk.answer[fk.nappend++ % 4];
	size_t		 i;

	(void)d;
	(void)wire;
	for (i = 0; i < n; i++) {
		fk.date = v[i].date;
		fk.zone = v[i].zone;
		snprintf(fk.flags, sizeof(fk.flags), "%s", v[i].flags);
		fk.len = v[i].len < sizeof(fk.data) ? v[i].len : 0;
		memcpy(fk.data, v[i].data, fk.len);
		switch (a) {
		case ANS_OK:
			v[i].sent = v[i].ok = 1;
			v[i].uidvalidity = 9;
			v[i].uid = 100 + (uint32_t)i;
			break;
		case ANS_OVERQUOTA:
			snprintf(v[i].code, sizeof(v[i].code), "OVERQUOTA");
			snprintf(v[i].err, sizeof(v[i].err), "server said: "
			    "[OVERQUOTA] Quota exceeded");
			break;
		case ANS_TRYCREATE:
			snprintf(v[i].code, sizeof(v[i].code), "TRYCREATE");
			snprintf(v[i].err, sizeof(v[i].err), "server said: "
			    "[TRYCREATE] no such mailbox");
			break;
		case ANS_LOST_SENT:
			v[i].sent = 1;
			/* FALLTHROUGH */
		case ANS_LOST_UNSENT:
			snprintf(err, errlen, "connection reset");
			break;
		}
	}
	return a == ANS_LOST_SENT || a == ANS_LOST_UNSENT ? -1 : 0;
}

static int
fake_search(struct imap_dest *d, const char *wire, const char *name,
    const char *value, char *err, size_t errlen)
{
	(void)d;
	(void)wire;
	(void)value;
	assert_string_equal(name, "X-Mailsift-Id");
	fk.nsearch++;
	if (fk.search == -1)
		snprintf(err, errlen, "connection reset");
	return fk.search;
}

static void
fake_logout(struct imap_dest *d)
{
	(void)d;
}

static int
fake_noop(struct imap_dest *d, char *err, size_t errlen)
{
	(void)d;
	fk.nnoop++;
	if (fk.noop_fail)
		snprintf(err, errlen, "* BYE idle for too long");
	return fk.noop_fail ? -1 : 0;
}

static const struct imap_client fake_client = {
	fake_connect, fake_folder, fake_append, fake_search, fake_logout,
	fake_noop
};

/* --- one message through the steps ---------------------------------- */

struct run {
	struct config		 cfg;
	struct delivery_ctx	 ctx;
	struct delivery		 dv;
	struct staged		 s;
	struct staged		*sp;
	struct target_group	 g;
	struct target_report	 r;
	char			 err[1024];
};

static void
run_open(struct run *x, const char *path, const char *folder)
{
	char	 e[512];

	memset(x, 0, sizeof(*x));
	x->ctx.cfg = &x->cfg;
	x->dv.target = &target_imap;
	x->dv.ctx = &x->ctx;
	assert_non_null(x->dv.path = strdup(path));
	assert_int_equal(target_imap.open(&x->dv, folder, e, sizeof(e)), 0);
	x->s.dv = &x->dv;
	x->s.in.kind = STATE_IMAP;
	assert_non_null(x->s.in.account = strdup("src"));
	assert_non_null(x->s.in.folder = strdup("INBOX"));
	assert_non_null(x->s.in.path = strdup(x->dv.path));
	x->s.in.uidvalidity = 7;
	x->s.in.uid = 42;
	x->sp = &x->s;
	x->g.target = &target_imap;
	x->g.v = &x->sp;
	x->g.n = 1;
	x->r.err = x->err;
	x->r.errlen = sizeof(x->err);
}

static void
run_stage(struct run *x, const char *msg)
{
	char	 e[512];

	assert_int_equal(target_imap.stage(&x->dv, &x->s, msg, strlen(msg),
	    0, e, sizeof(e)), 0);
	x->s.state = STAGED_JOURNALED;
}

static void
run_free(struct run *x)
{
	target_imap.close(&x->dv);
	free(x->dv.path);
	free(x->s.entry);
	state_intent_clear(&x->s.in);
}

static enum staged_state
deliver(struct run *x, const char *msg)
{
	char	 e[512];

	run_stage(x, msg);
	assert_int_equal(target_imap.prepare(&x->g, e, sizeof(e)), 0);
	target_imap.flush(&x->g, &x->r);
	target_imap.publish(&x->g, &x->r);
	target_imap.release(&x->g);
	return x->s.state;
}

static int
setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	imap_client_set(&fake_client);
	return 0;
}

static void
test_stage(void **state)
{
	struct run	 x, y;
	const char	*msg = "Subject: x\n\nbody\nbare\rcr\r\nend";
	const char	*tail = "\r\nSubject: x\r\n\r\nbody\r\nbare\rcr\r\n"
	    "end\r\n";
	size_t		 i;

	(void)state;
	run_open(&x, "dest/Archive", NULL);
	run_stage(&x, msg);
	assert_int_equal(strlen(x.s.in.name), 32);
	for (i = 0; i < 32; i++)
		assert_non_null(strchr("0123456789abcdef", x.s.in.name[i]));
	assert_memory_equal(x.s.entry, "X-Mailsift-Id: ", 15);
	assert_memory_equal(x.s.entry + 15, x.s.in.name, 32);
	assert_int_equal(x.s.in.length, 47 + strlen(tail));
	assert_memory_equal(x.s.entry + 47, tail, strlen(tail));
	/* the same delivery again: the same key; another UID: another */
	run_open(&y, "dest/Archive", NULL);
	run_stage(&y, msg);
	assert_string_equal(x.s.in.name, y.s.in.name);
	run_free(&y);
	run_open(&y, "dest/Archive", NULL);
	y.s.in.uid = 43;
	run_stage(&y, msg);
	assert_string_not_equal(x.s.in.name, y.s.in.name);
	run_free(&y);
	run_free(&x);
}

static void
test_open(void **state)
{
	struct run	 x;
	struct delivery	 dv;
	char		 e[512], p1[] = "dest", p2[] = "/INBOX";

	(void)state;
	/* a rule's folder takes the place of the target's */
	run_open(&x, "dest/Archive", "Lists/ietf");
	assert_string_equal(x.dv.path, "dest/Lists/ietf");
	run_free(&x);
	memset(&dv, 0, sizeof(dv));
	dv.target = &target_imap;
	dv.path = p1;
	assert_int_equal(target_imap.open(&dv, NULL, e, sizeof(e)), -1);
	assert_non_null(strstr(e, "no configuration"));
	dv.path = p2;
	assert_int_equal(target_imap.open(&dv, NULL, e, sizeof(e)), -1);
	assert_non_null(strstr(e, "imap:ACCOUNT/FOLDER"));
}

static void
test_delivered(void **state)
{
	struct run	 x;

	(void)state;
	fk.answer[0] = ANS_OK;
	run_open(&x, "dest", NULL);
	assert_int_equal(deliver(&x, "Date: Tue, 02 Jan 2024 10:20:30 "
	    "+0200\nSubject: d\n\nb\n"), STAGED_VISIBLE);
	assert_int_equal(x.r.failed, 0);
	assert_string_equal(fk.folder, "INBOX");
	/* INTERNALDATE: the Date: header, its zone kept */
	assert_int_equal((long long)fk.date, 1704183630LL);
	assert_int_equal(fk.zone, 7200);
	assert_string_equal(fk.flags, "");
	assert_int_equal(fk.len, x.s.in.length);
	run_free(&x);
}

/* One login for the batches of a delivery: the session waits in it
 * and is asked NOOP first; one that no longer answers is replaced. */
static void
test_session_kept(void **state)
{
	struct run	 x;

	(void)state;
	run_open(&x, "dest", NULL);
	assert_int_equal(deliver(&x, "Subject: 1\n\nb\n"), STAGED_VISIBLE);
	assert_non_null(x.dv.priv);		/* kept */
	free(x.s.entry);
	free(x.s.in.name);
	x.s.in.name = NULL;
	assert_int_equal(deliver(&x, "Subject: 2\n\nb\n"), STAGED_VISIBLE);
	assert_int_equal(fk.nconnect, 1);
	assert_int_equal(fk.nnoop, 1);
	/* the server dropped it meanwhile: a new login, still delivered */
	fk.noop_fail = 1;
	free(x.s.entry);
	free(x.s.in.name);
	x.s.in.name = NULL;
	assert_int_equal(deliver(&x, "Subject: 3\n\nb\n"), STAGED_VISIBLE);
	assert_int_equal(fk.nconnect, 2);
	assert_int_equal(fk.nnoop, 2);
	/* a session that broke is never kept */
	fk.answer[3] = ANS_LOST_UNSENT;
	fk.nappend = 3;
	free(x.s.entry);
	free(x.s.in.name);
	x.s.in.name = NULL;
	assert_int_equal(deliver(&x, "Subject: 4\n\nb\n"), STAGED_UNDONE);
	assert_null(x.dv.priv);
	run_free(&x);
}

static void
test_overquota(void **state)
{
	struct run	 x;

	(void)state;
	fk.answer[0] = ANS_OVERQUOTA;
	run_open(&x, "dest", NULL);
	assert_int_equal(deliver(&x, "Subject: q\n\nb\n"), STAGED_UNDONE);
	assert_int_equal(x.r.failed, 1);
	assert_non_null(strstr(x.err, "OVERQUOTA"));
	assert_non_null(strstr(x.err, "quota is full"));
	assert_non_null(strstr(x.err, "UID 42"));
	run_free(&x);
}

static void
test_trycreate(void **state)
{
	struct run	 x;

	(void)state;
	fk.answer[0] = ANS_TRYCREATE;
	fk.answer[1] = ANS_OK;
	run_open(&x, "dest/Gone", NULL);
	assert_int_equal(deliver(&x, "Subject: t\n\nb\n"), STAGED_VISIBLE);
	assert_int_equal(fk.nappend, 2);
	assert_int_equal(fk.ncreate, 1);
	assert_int_equal(x.r.failed, 0);
	run_free(&x);
	/* created, and refused again: once only, then an error */
	memset(&fk, 0, sizeof(fk));
	fk.answer[0] = fk.answer[1] = ANS_TRYCREATE;
	run_open(&x, "dest/Gone", NULL);
	assert_int_equal(deliver(&x, "Subject: t\n\nb\n"), STAGED_UNDONE);
	assert_int_equal(fk.nappend, 2);
	assert_int_equal(x.r.failed, 1);
	run_free(&x);
}

static void
test_lost(void **state)
{
	struct run	 x;

	(void)state;
	fk.answer[0] = ANS_LOST_SENT;
	run_open(&x, "dest", NULL);
	assert_int_equal(deliver(&x, "Subject: l\n\nb\n"), STAGED_DOUBT);
	assert_int_equal(x.r.failed, 1);
	run_free(&x);
	fk.nappend = 0;
	fk.answer[0] = ANS_LOST_UNSENT;
	run_open(&x, "dest", NULL);
	assert_int_equal(deliver(&x, "Subject: l\n\nb\n"), STAGED_UNDONE);
	run_free(&x);
}

static void
test_down(void **state)
{
	struct run	 x;
	char		 e[512];

	(void)state;
	fk.connect_fail = 1;
	run_open(&x, "dest", NULL);
	run_stage(&x, "Subject: down\n\nb\n");
	assert_int_equal(target_imap.prepare(&x.g, e, sizeof(e)), -1);
	assert_non_null(strstr(e, "destination account dest"));
	target_imap.release(&x.g);
	assert_int_equal(fk.nappend, 0);
	run_free(&x);
}

static void
settle(int search, int connect_fail, struct target_settle *st,
    int64_t *done, int64_t *undo, int64_t *later)
{
	struct state_intent	 in[2];
	struct config		 cfg;
	char			 path[] = "dest/Archive", name[] = "k";

	memset(in, 0, sizeof(in));
	memset(st, 0, sizeof(*st));
	memset(&cfg, 0, sizeof(cfg));
	in[0].id = 3;
	in[1].id = 9;
	in[0].path = in[1].path = path;
	in[0].name = in[1].name = name;
	in[0].time = in[1].time = 1;	/* long ago: no second look */
	st->done = done;
	st->undo = undo;
	st->later = later;
	fk.search = search;
	fk.connect_fail = connect_fail;
	target_imap.settle(&cfg, in, 2, st);
}

static void
test_settle(void **state)
{
	struct target_settle	 st;
	int64_t			 done[2], undo[2], later[2];

	(void)state;
	settle(1, 0, &st, done, undo, later);
	assert_int_equal(st.ndone, 2);
	assert_int_equal(done[1], 9);
	settle(0, 0, &st, done, undo, later);
	assert_int_equal(st.nundo, 2);
	assert_int_equal(st.ndone, 0);
	/* unreachable: the intents stay, and do not stop a start */
	settle(0, 1, &st, done, undo, later);
	assert_int_equal(st.nlater, 2);
	assert_int_equal(st.ndone + st.nundo + st.unsettled, 0);
	settle(-1, 0, &st, done, undo, later);
	assert_int_equal(st.nlater, 2);
	assert_int_equal(later[0], 3);
}

/* --- the real client against a scripted peer --------------------------- */

struct peer {
	const char	*caps;		/* after "* CAPABILITY IMAP4rev1 " */
	const char	*append;	/* tagged answer to APPEND; NULL: OK */
	int		 drop_after_data;
};

static pid_t	 peer_pid = -1;
static int	 peer_port;
static char	 peer_log[64];

static void
say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		_exit(0);
}

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

/* Read a literal of n bytes (and log it). */
static void
get_bytes(int fd, FILE *log, size_t n)
{
	char	 c;

	while (n-- > 0) {
		if (read(fd, &c, 1) != 1)
			_exit(0);
		fputc(c, log);
	}
}

/* One APPEND line and its literal(s); the answer goes out after. */
static void
peer_append(int fd, FILE *log, const struct peer *p, char *line)
{
	char		 tag[16], *lb, out[256];
	unsigned long	 n;
	int		 plus;

	snprintf(tag, sizeof(tag), "%.*s", (int)strcspn(line, " "), line);
	while ((lb = strrchr(line, '{')) != NULL) {
		n = strtoul(lb + 1, NULL, 10);
		plus = strchr(lb, '+') != NULL;
		if (!plus) {
			if (p->append != NULL && strncmp(p->append, "NO",
			    2) == 0) {
				snprintf(out, sizeof(out), "%s %s\r\n", tag,
				    p->append);
				say(fd, out);	/* refused before the data */
				return;
			}
			say(fd, "+ go on\r\n");
		}
		get_bytes(fd, log, n);
		if (get_line(fd, line, 8192) < 0)
			_exit(0);
		fputs(line, log);
	}
	if (p->drop_after_data)
		_exit(0);
	snprintf(out, sizeof(out), "%s %s\r\n", tag, p->append != NULL ?
	    p->append : "OK [APPENDUID 5 77] done");
	say(fd, out);
}

static void
peer_serve(int fd, const struct peer *p)
{
	FILE	*log;
	char	 line[8192], out[512], tag[16];

	if ((log = fopen(peer_log, "w")) == NULL)
		_exit(2);
	setvbuf(log, NULL, _IONBF, 0);
	say(fd, "* OK fake IMAP\r\n");
	while (get_line(fd, line, sizeof(line)) > 0) {
		fputs(line, log);
		snprintf(tag, sizeof(tag), "%.*s", (int)strcspn(line, " "),
		    line);
		if (strstr(line, " CAPABILITY") != NULL) {
			snprintf(out, sizeof(out), "* CAPABILITY IMAP4rev1 "
			    "%s\r\n%s OK\r\n", p->caps, tag);
			say(fd, out);
		} else if (strstr(line, " APPEND ") != NULL)
			peer_append(fd, log, p, line);
		else if (strstr(line, " LOGOUT") != NULL) {
			snprintf(out, sizeof(out), "* BYE\r\n%s OK\r\n", tag);
			say(fd, out);
			_exit(0);
		} else {
			snprintf(out, sizeof(out), "%s OK\r\n", tag);
			say(fd, out);
		}
	}
	_exit(0);
}

static void
peer_start(const struct peer *p)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 lfd, fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd != -1);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	peer_port = ntohs(sin.sin_port);
	snprintf(peer_log, sizeof(peer_log), "/tmp/msx-imapdest-%d.log",
	    (int)getpid());
	peer_pid = fork();
	assert_true(peer_pid != -1);
	if (peer_pid == 0) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			_exit(3);
		peer_serve(fd, p);
	}
	close(lfd);
}

static char *
peer_end(void)
{
	FILE	*f;
	char	*p;
	size_t	 n;
	int	 status;

	if (peer_pid > 0)
		assert_int_equal(waitpid(peer_pid, &status, 0), peer_pid);
	peer_pid = -1;
	assert_non_null(f = fopen(peer_log, "r"));
	p = calloc(1, 65536);
	assert_non_null(p);
	n = fread(p, 1, 65535, f);
	p[n] = '\0';
	fclose(f);
	(void)unlink(peer_log);
	return p;
}

/* Two messages to the peer through imap_dest_client; the log. */
static char *
client_append(const struct peer *p, struct imap_dest_msg *m, int *rv)
{
	struct config	 cfg;
	struct account	 a;
	struct imap_dest *d;
	char		 port[16], e[512], wire[2048];
	char		 name[] = "dest", host[] = "127.0.0.1", user[] = "u";
	char		 pass[] = "p";

	signal(SIGPIPE, SIG_IGN);
	peer_start(p);
	snprintf(port, sizeof(port), "%d", peer_port);
	memset(&cfg, 0, sizeof(cfg));
	memset(&a, 0, sizeof(a));
	a.name = name;
	a.type = ACCT_IMAP;
	a.ep.host = host;
	a.ep.port = port;
	a.ep.tls = TLS_NONE;
	a.ep.allow_plaintext_auth = 1;
	a.ep.user = user;
	a.ep.password = pass;
	a.ep.auth = AUTH_LOGIN;
	cfg.accounts = &a;
	cfg.naccounts = 1;
	memset(m, 0, 2 * sizeof(*m));
	m[0].data = "Subject: one\r\n\r\nb\r\n";
	m[1].data = "Subject: two\r\n\r\nb\r\n";
	m[0].len = m[1].len = strlen(m[0].data);
	m[0].flags = m[1].flags = "\\Seen";
	m[0].date = 1704183630;
	m[0].zone = 7200;
	d = imap_dest_client.connect(&cfg, "dest", e, sizeof(e));
	assert_non_null(d);
	assert_int_equal(imap_dest_client.folder(d, "INBOX", 0, wire,
	    sizeof(wire), e, sizeof(e)), 0);
	*rv = imap_dest_client.append(d, wire, m, 2, e, sizeof(e));
	imap_dest_client.logout(d);
	return peer_end();
}

static void
test_client_sync_literals(void **state)
{
	struct peer		 p = { "", NULL, 0 };
	struct imap_dest_msg	 m[2];
	char			*log;
	int			 rv;

	(void)state;
	log = client_append(&p, m, &rv);
	assert_int_equal(rv, 0);
	assert_true(m[0].ok && m[1].ok);
	assert_int_equal(m[0].uid, 77);
	/* no LITERAL+: "{N}", each APPEND alone, flags and date */
	assert_non_null(strstr(log, "APPEND \"INBOX\" (\\Seen) \" 2-Jan-2024 "
	    "10:20:30 +0200\" {19}\r\nSubject: one\r\n"));
	assert_non_null(strstr(log, "APPEND \"INBOX\" (\\Seen) {19}\r\n"
	    "Subject: two"));
	free(log);
}

static void
test_client_literal_plus(void **state)
{
	struct peer		 p = { "LITERAL+", NULL, 0 };
	struct imap_dest_msg	 m[2];
	char			*log;
	int			 rv;

	(void)state;
	log = client_append(&p, m, &rv);
	assert_int_equal(rv, 0);
	assert_true(m[0].ok && m[1].ok);
	assert_non_null(strstr(log, "{19+}\r\nSubject: one"));
	assert_non_null(strstr(log, "{19+}\r\nSubject: two"));
	free(log);
}

static void
test_client_multiappend(void **state)
{
	struct peer		 p = { "MULTIAPPEND LITERAL+", "OK [APPENDUID "
				    "5 80:81] done", 0 };
	struct imap_dest_msg	 m[2];
	char			*log;
	int			 rv;

	(void)state;
	log = client_append(&p, m, &rv);
	assert_int_equal(rv, 0);
	assert_true(m[0].ok && m[1].ok);
	assert_int_equal(m[0].uid, 80);
	assert_int_equal(m[1].uid, 81);
	/* one command: the second message follows the first literal */
	assert_non_null(strstr(log, "Subject: one\r\n\r\nb\r\n (\\Seen) "
	    "{19+}\r\nSubject: two"));
	free(log);
}

static void
test_client_refused(void **state)
{
	struct peer		 p = { "", "NO [OVERQUOTA] Quota exceeded", 0 };
	struct imap_dest_msg	 m[2];
	char			*log;
	int			 rv;

	(void)state;
	log = client_append(&p, m, &rv);
	assert_int_equal(rv, 0);
	/* refused before its data: not sent, the code kept */
	assert_false(m[0].ok || m[0].sent);
	assert_string_equal(m[0].code, "OVERQUOTA");
	assert_null(strstr(log, "Subject: one"));
	free(log);
}

static void
test_client_lost(void **state)
{
	struct peer		 p = { "LITERAL+", NULL, 1 };
	struct imap_dest_msg	 m[2];
	char			*log;
	int			 rv;

	(void)state;
	log = client_append(&p, m, &rv);
	/* the peer went after the first message's data: unknown */
	assert_int_equal(rv, -1);
	assert_true(m[0].sent);
	assert_false(m[0].ok);
	free(log);
}

/* --- the source's flags and date (imap-meta.c) ------------------------ */

static struct imap_resp	 resp;
static struct imap_scan	 sc;

static struct imap_scan *
scan(const char *line)
{
	imap_resp_clear(&resp);
	mime_buf_reset(&resp.text);
	assert_int_equal(mime_buf_append_str(&resp.text, line), 0);
	imap_scan_init(&sc, &resp);
	return &sc;
}

static void
date_is(const char *s, int64_t want, long wzone)
{
	struct imap_tok	 t;
	int64_t		 date;
	long		 zone;

	assert_int_equal(imap_scan_next(scan(s), &t), 0);
	assert_int_equal(imap_meta_date(&t, &date, &zone), 0);
	assert_int_equal(date, want);
	assert_int_equal(zone, wzone);
}

static void
test_meta(void **state)
{
	struct imap_tok	 t;
	char		 out[64];
	int64_t		 date;
	long		 zone;
	int		 seen;

	(void)state;
	imap_resp_init(&resp);
	assert_int_equal(imap_meta_flags(scan("\\Seen \\Recent $Label1 "
	    "\\Flagged) UID 3"), out, sizeof(out), &seen), 0);
	assert_string_equal(out, "\\Seen $Label1 \\Flagged");
	assert_int_equal(seen, 1);
	/* what does not fit is left out, never cut */
	assert_int_equal(imap_meta_flags(scan("\\Answered $a-rather-long-"
	    "keyword-that-will-not-fit-in-here-at-all)"), out, 16, &seen), 0);
	assert_string_equal(out, "\\Answered");
	assert_int_equal(seen, 0);
	assert_int_equal(imap_meta_flags(scan("\"x\")"), out, sizeof(out),
	    &seen), -1);
	date_is("\"02-Jan-2024 10:20:30 +0200\"", 1704183630, 7200);
	date_is("\" 2-Jan-2024 08:20:30 -0000\"", 1704183630, 0);
	date_is("\"01-Jan-2024 22:50:30 -0930\"", 1704183630, -34200);
	assert_int_equal(imap_scan_next(scan("\"32-Jan-2024 10:20:30 "
	    "+0200\""), &t), 0);
	assert_int_equal(imap_meta_date(&t, &date, &zone), -1);
	assert_int_equal(imap_scan_next(scan("\"02-Foo-2024 10:20:30 "
	    "+0200\""), &t), 0);
	assert_int_equal(imap_meta_date(&t, &date, &zone), -1);
	assert_int_equal(imap_scan_next(scan("NIL"), &t), 0);
	assert_int_equal(imap_meta_date(&t, &date, &zone), -1);
	imap_resp_free(&resp);
}

/* The source's flags and date go with the message. */
static void
test_delivered_meta(void **state)
{
	struct run	 x;

	(void)state;
	fk.answer[0] = ANS_OK;
	run_open(&x, "dest", NULL);
	assert_non_null(x.s.src_flags = strdup("\\Seen $Label1"));
	x.s.src_date = 1000000000;
	x.s.src_zone = -3600;
	assert_int_equal(deliver(&x, "Date: Tue, 02 Jan 2024 10:20:30 "
	    "+0200\nSubject: d\n\nb\n"), STAGED_VISIBLE);
	assert_string_equal(fk.flags, "\\Seen $Label1");
	assert_int_equal((long long)fk.date, 1000000000LL);
	assert_int_equal(fk.zone, -3600);
	free(x.s.src_flags);
	run_free(&x);
}

/* The APPENDUID goes into the record's location (schema 6). */
static void
test_record_appenduid(void **state)
{
	struct state_intent	 in[2];
	struct state		*st;
	sqlite3			*db;
	sqlite3_stmt		*stmt;
	char			 dir[] = "/tmp/msx-imapdest-XXXXXX", path[64];
	char			 e[512], acct[] = "src", folder[] = "INBOX";
	char			 dest[] = "d/INBOX", name[] = "k";
	int64_t			 ids[2];
	uint32_t		 uv[2] = { 9, 0 }, uid[2] = { 100, 0 };
	int			 i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	assert_non_null(st = state_open(path, 0, e, sizeof(e)));
	memset(in, 0, sizeof(in));
	for (i = 0; i < 2; i++) {
		in[i].account = acct;
		in[i].folder = folder;
		in[i].uidvalidity = 1;
		in[i].uid = (uint32_t)i + 1;
		in[i].kind = STATE_IMAP;
		in[i].path = dest;
		in[i].name = name;
		in[i].time = 1;
	}
	assert_int_equal(state_intents_record(st, in, 2, e, sizeof(e)), 0);
	ids[0] = in[0].id;
	ids[1] = in[1].id;
	assert_int_equal(state_intents_complete_batch(st, ids, uv, uid, 2, NULL, 0, e,
	    sizeof(e)), 0);
	state_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT location FROM message"
	    " ORDER BY uid", -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(stmt, 0),
	    "imap:d/INBOX;UIDVALIDITY=9/;UID=100");
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	/* none known (no UIDPLUS): the folder alone */
	assert_string_equal(sqlite3_column_text(stmt, 0), "imap:d/INBOX");
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/state.db-wal", dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/state.db-shm", dir);
	(void)unlink(path);
	(void)rmdir(dir);
}

static size_t
pending(struct state *st)
{
	struct state_intent	*v;
	size_t			 n;
	char			 e[512];

	assert_int_equal(state_intents_pending(st, &v, &n, e, sizeof(e)), 0);
	state_intents_free(v, n);
	return n;
}

/* A destination down at start: recovery does not fail, the intent
 * stays; a later round's start settles it once the destination is
 * back, and never an intent written after the recovery. */
static void
test_recover_later(void **state)
{
	struct state_intent	 in[2];
	struct state		*st;
	struct config		 cfg;
	char			 dir[] = "/tmp/msx-imapdest-XXXXXX", path[64];
	char			 e[512], acct[] = "src", folder[] = "INBOX";
	char			 dest[] = "d/INBOX", name[] = "k";
	int			 i;

	(void)state;
	memset(&fk, 0, sizeof(fk));
	imap_client_set(&fake_client);
	memset(&cfg, 0, sizeof(cfg));
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	assert_non_null(st = state_open(path, 0, e, sizeof(e)));
	memset(in, 0, sizeof(in));
	for (i = 0; i < 2; i++) {
		in[i].account = acct;
		in[i].folder = folder;
		in[i].uidvalidity = 1;
		in[i].uid = (uint32_t)i + 1;
		in[i].kind = STATE_IMAP;
		in[i].path = dest;
		in[i].name = name;
		in[i].time = 1;
	}
	assert_int_equal(state_intents_record(st, in, 1, e, sizeof(e)), 0);
	fk.connect_fail = 1;
	assert_int_equal(delivery_recover(st, &cfg, e, sizeof(e)), 0);
	assert_int_equal(pending(st), 1);
	/* within the interval: not asked again */
	fk.connect_fail = 0;
	fk.search = 1;
	assert_int_equal(delivery_recover_later(st, &cfg, e, sizeof(e)), 0);
	assert_int_equal(pending(st), 1);
	assert_int_equal(fk.nsearch, 0);
	/* a batch of this process in flight: never judged */
	assert_int_equal(state_intents_record(st, &in[1], 1, e, sizeof(e)),
	    0);
	delivery_recover_set_interval(0);
	assert_int_equal(delivery_recover_later(st, &cfg, e, sizeof(e)), 0);
	assert_int_equal(fk.nsearch, 1);
	assert_int_equal(pending(st), 1);	/* the one in flight */
	assert_int_equal(state_intents_rollback(st, &in[1].id, 1, e,
	    sizeof(e)), 0);
	/* nothing left to ask */
	assert_int_equal(delivery_recover_later(st, &cfg, e, sizeof(e)), 0);
	assert_int_equal(fk.nsearch, 1);
	delivery_recover_set_interval(-1);
	state_close(st);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/state.db-wal", dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/state.db-shm", dir);
	(void)unlink(path);
	(void)rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_stage, setup),
		cmocka_unit_test_setup(test_open, setup),
		cmocka_unit_test_setup(test_delivered, setup),
		cmocka_unit_test_setup(test_session_kept, setup),
		cmocka_unit_test_setup(test_delivered_meta, setup),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_record_appenduid),
		cmocka_unit_test(test_recover_later),
		cmocka_unit_test_setup(test_overquota, setup),
		cmocka_unit_test_setup(test_trycreate, setup),
		cmocka_unit_test_setup(test_lost, setup),
		cmocka_unit_test_setup(test_down, setup),
		cmocka_unit_test_setup(test_settle, setup),
		cmocka_unit_test(test_client_sync_literals),
		cmocka_unit_test(test_client_literal_plus),
		cmocka_unit_test(test_client_multiappend),
		cmocka_unit_test(test_client_refused),
		cmocka_unit_test(test_client_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

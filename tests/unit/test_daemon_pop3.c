/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_pop3.c - the POP3 source (daemon/source/pop3.c) against a fake
 * server that misbehaves on purpose, and the SASL payloads (daemon/net/sasl.c).
 *
 * The server is a forked child on 127.0.0.1 speaking plaintext (the
 * account sets allow-plaintext-auth).  It logs every line it receives to
 * a file the test reads afterwards, so a test can say "no DELE was
 * sent".  The pipeline is a test double defined here: it records what it
 * is handed and commits at pipeline_flush(), like the real one in
 * daemon/pipeline/pipeline.c (tested alone in test_daemon_pipeline.c).
 * Being defined in this object, these pipeline_* symbols win over
 * libdaemon.a; nothing here may reference another symbol of pipeline.c
 * or pipeline-state.c, or its member would be pulled in and clash.  What pop3_fetch logs goes to a temporary file,
 * so tests check that errors name account and host, and that the
 * protocol trace never shows a secret.
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
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "daemon/conf/conf.h"
#include "daemon/net/conn.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/util/stop.h"
#include "daemon/util/log.h"
#include "daemon/source/pop3.h"
#include "daemon/source/substitute.h"
#include "daemon/net/sasl.h"

#define PASSWORD	"s3cret-Pa55word"
#define TOKEN		"ya29.tok3n-Value"
#define MAXMSGS		64

/* ---- the pipeline double ---- */

struct got {
	char		*uidl;
	unsigned	 seq;
	char		*data;
	size_t		 len;
};

struct pipeline {
	fetch_committed_fn	 committed;
	void			*ctx;
	uint64_t		 max_size;
	const char *const	*known;		/* NULL-terminated, or NULL */
	int			 fail_add;	/* this add (1-based) fails */
	int			 stop_after;	/* stop requested after n adds */
	struct got		 got[MAXMSGS];
	size_t			 ngot;
	size_t			 ncommitted;
	char			*skipped[MAXMSGS];
	size_t			 nskipped;
	int			 nflush;
	size_t			 total;		/* from pipeline_set_total */
	int			 nadd;
};

static struct pipeline	*current;

void
pipeline_set_committed(struct pipeline *pl, fetch_committed_fn fn,
    void *ctx)
{
	pl->committed = fn;
	pl->ctx = ctx;
}

uint64_t
pipeline_max_size(const struct pipeline *pl)
{
	return pl->max_size;
}

int
pipeline_known_uidls(struct pipeline *pl, const char *const *uidls,
    size_t n, unsigned char *known)
{
	size_t	 i, k;

	for (i = 0; i < n; i++) {
		known[i] = 0;
		for (k = 0; pl->known != NULL && pl->known[k] != NULL; k++)
			if (strcmp(uidls[i], pl->known[k]) == 0)
				known[i] = 1;
	}
	return 0;
}

int
pipeline_add(struct pipeline *pl, const struct fetch_key *key, char *data,
    size_t len)
{
	struct got	*g;

	pl->nadd++;
	if (pl->nadd == pl->fail_add)
		return -1;
	assert_true(pl->ngot < MAXMSGS);
	assert_non_null(key->uidl);
	g = &pl->got[pl->ngot++];
	g->uidl = strdup(key->uidl);
	g->seq = key->seq;
	g->data = malloc(len + 1);
	assert_non_null(g->uidl);
	assert_non_null(g->data);
	memcpy(g->data, data, len);
	g->data[len] = '\0';
	g->len = len;
	return 0;
}

int
pipeline_skip(struct pipeline *pl, const struct fetch_key *key,
    uint64_t size)
{
	(void)size;
	assert_true(pl->nskipped < MAXMSGS);
	pl->skipped[pl->nskipped] = strdup(key->uidl);
	assert_non_null(pl->skipped[pl->nskipped]);
	pl->nskipped++;
	return 0;
}

void
pipeline_set_total(struct pipeline *pl, size_t n)
{
	pl->total = n;
}

int
pipeline_flush(struct pipeline *pl)
{
	struct fetch_key	 key;

	pl->nflush++;
	for (; pl->ncommitted < pl->ngot; pl->ncommitted++) {
		memset(&key, 0, sizeof(key));
		key.folder = "";
		key.uidl = pl->got[pl->ncommitted].uidl;
		key.seq = pl->got[pl->ncommitted].seq;
		if (pl->committed != NULL)
			pl->committed(pl->ctx, &key);
	}
	return 0;
}

/* Set by a test's SIGALRM, as SIGTERM sets the daemon's flag. */
static volatile sig_atomic_t	 stop_asked;

int
stop_requested(void)
{
	return stop_asked || (current != NULL && current->stop_after > 0 &&
	    current->nadd >= current->stop_after);
}

static void
pipeline_clear(struct pipeline *pl)
{
	size_t	 i;

	for (i = 0; i < pl->ngot; i++) {
		free(pl->got[i].uidl);
		free(pl->got[i].data);
	}
	for (i = 0; i < pl->nskipped; i++)
		free(pl->skipped[i]);
	memset(pl, 0, sizeof(*pl));
}

/* ---- the fake server ---- */

struct fake {
	const char		*greeting;	/* NULL: "+OK ready" */
	const char		*capa;		/* CAPA lines; NULL: -ERR */
	int			 no_uidl;
	int			 silent;	/* never says a word */
	unsigned		 truncate_seq;	/* RETR n stops halfway */
	unsigned		 stall_seq;	/* RETR n stalls halfway */
	const char		*xoauth2_json;	/* AUTH XOAUTH2 error */
	const char		*apop_digest;	/* expected APOP digest */
	const char *const	*msgs;		/* NULL-terminated */
	const char *const	*uidls;
	const uint64_t		*sizes;		/* LIST sizes; NULL: real */
	const char		*uidl_raw;	/* whole UIDL reply, if set */
	const char		*list_raw;	/* whole LIST reply, if set */
	const char		*retr_raw;	/* whole RETR reply, if set */
	const char		*stls_raw;	/* reply to STLS; then hang up */
	/* UTF8 (RFC 6856): 0 unknown command, 1 +OK, 2 +OK only after
	 * login (-ERR before) */
	int			 utf8;
	/* An emulation of Courier-POP3's documented behaviour: a message
	 * with 8-bit headers, asked for outside UTF-8 mode, is replaced by
	 * a notice that wraps the original as message/global. */
	int			 courier;
};

struct server {
	pid_t		 pid;
	char		 port[16];
	char		 logpath[64];
	char		*log;		/* "\n" + every line received */
};

struct reader {
	int		 fd;
	char		 buf[65536];
	size_t		 len;
};

static void
write_all(int fd, const char *s, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, s, len);
		if (n <= 0)
			_exit(0);	/* the client hung up: its right */
		s += n;
		len -= (size_t)n;
	}
}

static void
say(int fd, const char *s)
{
	write_all(fd, s, strlen(s));
}

/* One line without CR LF into out; -1 at EOF. */
static int
read_line(struct reader *r, char *out, size_t outlen)
{
	char	*lf;
	size_t	 n;
	ssize_t	 got;

	while ((lf = memchr(r->buf, '\n', r->len)) == NULL) {
		if (r->len == sizeof(r->buf))
			_exit(4);
		got = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (got <= 0)
			return -1;
		r->len += (size_t)got;
	}
	n = (size_t)(lf - r->buf);
	if (n >= outlen)
		_exit(5);
	memcpy(out, r->buf, n);
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	r->len -= (size_t)(lf - r->buf) + 1;
	memmove(r->buf, lf + 1, r->len);
	return 0;
}

static char *
b64(const void *data, size_t len)
{
	char	*out = malloc(4 * ((len + 2) / 3) + 1);

	if (out == NULL)
		_exit(6);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

/* A message as the server holds it: "\n" lines become CR LF. */
static size_t
crlf_size(const char *msg)
{
	size_t	 n = 0;

	for (; *msg != '\0'; msg++)
		n += *msg == '\n' ? 2 : 1;
	return n;
}

static char *
crlf(const char *msg)
{
	char	*out = malloc(crlf_size(msg) + 1), *o = out;

	assert_non_null(out);
	for (; *msg != '\0'; msg++) {
		if (*msg == '\n')
			*o++ = '\r';
		*o++ = *msg;
	}
	*o = '\0';
	return out;
}

/* RETR's response: dot-stuffed, CR LF, ".", or cut halfway (cut 1:
 * then EOF; 2: then silence until the client hangs up). */
static void
send_message(int fd, const char *msg, int cut)
{
	char		*wire = malloc(2 * strlen(msg) + 8), *o = wire;
	const char	*p = msg;
	int		 bol = 1;

	if (wire == NULL)
		_exit(6);
	for (; *p != '\0'; p++) {
		if (bol && *p == '.')
			*o++ = '.';
		if (*p == '\n')
			*o++ = '\r';
		*o++ = *p;
		bol = *p == '\n';
	}
	memcpy(o, ".\r\n", 3);
	o += 3;
	say(fd, "+OK message follows\r\n");
	if (cut == 2) {
		char	 sink[256];

		write_all(fd, wire, (size_t)(o - wire) / 2);
		while (read(fd, sink, sizeof(sink)) > 0)
			;
		_exit(0);
	} else if (cut) {
		write_all(fd, wire, (size_t)(o - wire) / 2);
		/* Half-close: the client sees EOF, we still hear it. */
		shutdown(fd, SHUT_WR);
	} else
		write_all(fd, wire, (size_t)(o - wire));
	free(wire);
}

/* The Courier emulation's stand-in for msg, or NULL to serve msg. */
static char *
courier_notice(const char *msg)
{
	static const char	 head[] =
	    "From: Courier mail server <postmaster@localhost>\n"
	    "Subject: Cannot display Unicode content\n"
	    "Mime-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"=_courier\"\n\n"
	    "--=_courier\nContent-Type: text/plain; charset=us-ascii\n\n"
	    "This E-mail message contains Unicode content that cannot be "
	    "displayed by your E-mail client.\n\n"
	    "--=_courier\nContent-Type: message/global\n\n";
	static const char	 tail[] = "\n--=_courier--\n";
	const char		*end = strstr(msg, "\n\n"), *p;
	char			*out;

	for (p = msg; p < (end != NULL ? end : msg + strlen(msg)); p++)
		if ((unsigned char)*p >= 0x80)
			break;
	if (*p == '\0' || (unsigned char)*p < 0x80)
		return NULL;	/* ASCII headers: served as stored */
	if ((out = malloc(sizeof(head) + strlen(msg) + sizeof(tail))) == NULL)
		_exit(6);
	snprintf(out, sizeof(head) + strlen(msg) + sizeof(tail), "%s%s%s",
	    head, msg, tail);
	return out;
}

static size_t
count_msgs(const struct fake *f)
{
	size_t	 n = 0;

	while (f->msgs != NULL && f->msgs[n] != NULL)
		n++;
	return n;
}

static void
serve_listing(const struct fake *f, int fd, int uidl)
{
	char	 line[512];
	size_t	 i, n = count_msgs(f);

	say(fd, "+OK\r\n");
	for (i = 0; i < n; i++) {
		if (uidl)
			snprintf(line, sizeof(line), "%zu %s\r\n", i + 1,
			    f->uidls[i]);
		else
			snprintf(line, sizeof(line), "%zu %llu\r\n", i + 1,
			    (unsigned long long)(f->sizes != NULL ?
			    f->sizes[i] : crlf_size(f->msgs[i])));
		say(fd, line);
	}
	say(fd, ".\r\n");
}

/* Send a challenge, log the answer. */
static void
challenge(int fd, struct reader *r, FILE *log, const char *b64text)
{
	char	 line[8192];

	say(fd, "+ ");
	say(fd, b64text);
	say(fd, "\r\n");
	if (read_line(r, line, sizeof(line)) == -1)
		_exit(0);
	fprintf(log, "%s\n", line);
	fflush(log);
}

static void
serve_auth(const struct fake *f, int fd, struct reader *r, FILE *log,
    const char *cmd)
{
	char	*json;

	if (strncmp(cmd, "AUTH XOAUTH2 ", 13) == 0 && f->xoauth2_json) {
		json = b64(f->xoauth2_json, strlen(f->xoauth2_json));
		challenge(fd, r, log, json);
		free(json);
		say(fd, "-ERR [AUTH] Invalid credentials\r\n");
		return;
	}
	if (strcmp(cmd, "AUTH LOGIN") == 0) {
		challenge(fd, r, log, "VXNlcm5hbWU6");	/* Username: */
		challenge(fd, r, log, "UGFzc3dvcmQ6");	/* Password: */
	} else if (strchr(cmd + 5, ' ') == NULL)
		challenge(fd, r, log, "");	/* no initial response */
	say(fd, "+OK logged in\r\n");
}

static void
serve(const struct fake *f, int fd, FILE *log)
{
	struct reader	*r = calloc(1, sizeof(*r));
	char		 line[8192], *notice;
	unsigned	 n;
	int		 logged_in = 0, utf8_mode = 0;

	if (r == NULL)
		_exit(6);
	r->fd = fd;
	if (!f->silent) {
		say(fd, f->greeting != NULL ? f->greeting : "+OK ready");
		say(fd, "\r\n");
	}
	while (read_line(r, line, sizeof(line)) == 0) {
		fprintf(log, "%s\n", line);
		/* Commands beyond this one already here: pipelining. */
		if (r->len > 0)
			fprintf(log, "(more)\n");
		fflush(log);
		if (f->silent)
			continue;
		if (strcmp(line, "STLS") == 0 && f->stls_raw != NULL) {
			say(fd, f->stls_raw);
			break;
		}
		if (strcmp(line, "CAPA") == 0 && f->capa != NULL) {
			say(fd, "+OK\r\n");
			say(fd, f->capa);
			say(fd, ".\r\n");
		} else if (strncmp(line, "USER ", 5) == 0)
			say(fd, "+OK\r\n");
		else if (strncmp(line, "PASS ", 5) == 0) {
			logged_in = strcmp(line + 5, PASSWORD) == 0;
			say(fd, logged_in ? "+OK logged in\r\n" :
			    "-ERR [AUTH] no\r\n");
		} else if (strcmp(line, "UTF8") == 0 && (f->utf8 == 1 ||
		    (f->utf8 == 2 && logged_in))) {
			utf8_mode = 1;
			say(fd, "+OK UTF8 enabled\r\n");
		}
		else if (strncmp(line, "APOP ", 5) == 0)
			say(fd, f->apop_digest != NULL &&
			    strstr(line, f->apop_digest) != NULL ?
			    "+OK logged in\r\n" : "-ERR [AUTH] no\r\n");
		else if (strncmp(line, "AUTH ", 5) == 0)
			serve_auth(f, fd, r, log, line);
		else if (strcmp(line, "UIDL") == 0 && f->uidl_raw != NULL)
			say(fd, f->uidl_raw);
		else if (strcmp(line, "UIDL") == 0 && !f->no_uidl)
			serve_listing(f, fd, 1);
		else if (strcmp(line, "LIST") == 0 && f->list_raw != NULL)
			say(fd, f->list_raw);
		else if (strcmp(line, "LIST") == 0)
			serve_listing(f, fd, 0);
		else if (strncmp(line, "RETR ", 5) == 0 && f->retr_raw != NULL)
			say(fd, f->retr_raw);
		else if (sscanf(line, "RETR %u", &n) == 1 && n >= 1 &&
		    n <= count_msgs(f) && f->courier && !utf8_mode &&
		    (notice = courier_notice(f->msgs[n - 1])) != NULL) {
			send_message(fd, notice, 0);
			free(notice);
		} else if (sscanf(line, "RETR %u", &n) == 1 && n >= 1 &&
		    n <= count_msgs(f))
			send_message(fd, f->msgs[n - 1],
			    n == f->truncate_seq ? 1 : n == f->stall_seq ?
			    2 : 0);
		else if (strncmp(line, "DELE ", 5) == 0)
			say(fd, "+OK deleted\r\n");
		else if (strcmp(line, "QUIT") == 0) {
			say(fd, "+OK bye\r\n");
			break;
		} else
			say(fd, "-ERR unknown command\r\n");
	}
	free(r);
}

static void
server_start(struct server *s, const struct fake *f)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	int			 lfd, cfd, logfd, one = 1;
	FILE			*log;

	memset(s, 0, sizeof(*s));
	snprintf(s->logpath, sizeof(s->logpath), "/tmp/test-pop3-XXXXXX");
	logfd = mkstemp(s->logpath);
	assert_true(logfd >= 0);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &slen),
	    0);
	snprintf(s->port, sizeof(s->port), "%u", ntohs(sin.sin_port));
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		alarm(10);	/* never outlive a broken test */
		if ((log = fdopen(logfd, "w")) == NULL)
			_exit(2);
		if ((cfd = accept(lfd, NULL, NULL)) == -1)
			_exit(2);
		/* Replies go out in pieces: no Nagle wait between them. */
		if (setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one)) == -1)
			_exit(2);
		serve(f, cfd, log);
		fclose(log);
		_exit(0);
	}
	close(lfd);
	close(logfd);
}

static void
server_wait(struct server *s)
{
	FILE	*fp;
	long	 n;
	int	 status;

	assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	fp = fopen(s->logpath, "r");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	s->log = malloc((size_t)n + 2);
	assert_non_null(s->log);
	s->log[0] = '\n';
	assert_int_equal(fread(s->log + 1, 1, (size_t)n, fp), (size_t)n);
	s->log[n + 1] = '\0';
	fclose(fp);
	unlink(s->logpath);
}

/* The server received exactly this line. */
static int
heard(const struct server *s, const char *line)
{
	char	 pat[512];

	snprintf(pat, sizeof(pat), "\n%s\n", line);
	return strstr(s->log, pat) != NULL;
}

static int
heard_prefix(const struct server *s, const char *prefix)
{
	char	 pat[512];

	snprintf(pat, sizeof(pat), "\n%s", prefix);
	return strstr(s->log, pat) != NULL;
}

/* ---- running the client ---- */

static char	 name_test[] = "test";
static char	 host_lo[] = "127.0.0.1";
static char	 user_alice[] = "alice";
static char	 password[] = PASSWORD;
static char	 token[] = TOKEN;
static char	 port_buf[16];

static void
account_init(struct account *a, const struct server *s)
{
	memset(a, 0, sizeof(*a));
	snprintf(port_buf, sizeof(port_buf), "%s", s->port);
	a->name = name_test;
	a->type = ACCT_POP3;
	a->keep = 1;
	a->ep.host = host_lo;
	a->ep.port = port_buf;
	a->ep.tls = TLS_NONE;
	a->ep.tls_verify = 1;
	a->ep.allow_plaintext_auth = 1;
	a->ep.user = user_alice;
	a->ep.password = password;
	a->ep.auth = AUTH_AUTO;
}

/* pop3_fetch with its log in *logged (caller frees). */
static int
run_fetch(const struct account *a, struct pipeline *pl, char **logged)
{
	FILE	*tmp = tmpfile();
	long	 n;
	int	 saved, r;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	current = pl;
	r = pop3_fetch(a, pl);
	current = NULL;
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	n = ftell(tmp);
	assert_true(n >= 0);
	rewind(tmp);
	*logged = malloc((size_t)n + 1);
	assert_non_null(*logged);
	assert_int_equal(fread(*logged, 1, (size_t)n, tmp), (size_t)n);
	(*logged)[n] = '\0';
	fclose(tmp);
	/* The session's context must not outlive it. */
	assert_null(pl->committed);
	return r;
}

/* Every error names the account and the server. */
static void
assert_error_says(const char *logged, const char *what)
{
	if (strstr(logged, what) == NULL)
		fail_msg("log lacks \"%s\":\n%s", what, logged);
	assert_non_null(strstr(logged, "account test"));
	assert_non_null(strstr(logged, "127.0.0.1"));
}

/* ---- the tests ---- */

static const char *const basic_msgs[] = {
	"From: a@example.org\nSubject: one\n\nHello.\n",
	/* every dot case: "..", ".", ".x" at line start, a dot elsewhere */
	"From: b@example.org\nSubject: dots\n\n..\n.\n.hidden\nend. .\n"
	    "...three\n",
	"Subject: three\n\n\nlast line without much\n",
	NULL
};
static const char *const basic_uidls[] = { "u-1", "u-2", "u-3", NULL };

static void
test_fetch_and_delete(void **state)
{
	struct fake	 f = { .capa = "USER\r\nUIDL\r\n", .msgs = basic_msgs,
			    .uidls = basic_uidls };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged, *want;
	size_t		 i;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	a.keep = 0;
	assert_int_equal(run_fetch(&a, &pl, &logged), 0);
	server_wait(&s);
	assert_int_equal(pl.ngot, 3);
	for (i = 0; i < 3; i++) {
		want = crlf(basic_msgs[i]);
		assert_string_equal(pl.got[i].data, want);
		assert_int_equal(pl.got[i].len, strlen(want));
		assert_string_equal(pl.got[i].uidl, basic_uidls[i]);
		assert_int_equal(pl.got[i].seq, i + 1);
		free(want);
	}
	assert_true(heard(&s, "USER alice"));
	/* no PIPELINING offered: one command at a time */
	assert_false(heard(&s, "(more)"));
	assert_true(heard(&s, "DELE 1"));
	assert_true(heard(&s, "DELE 2"));
	assert_true(heard(&s, "DELE 3"));
	/* DELE only after every RETR and the flush that committed them */
	assert_true(strstr(s.log, "DELE 1") > strstr(s.log, "RETR 3"));
	assert_true(heard(&s, "QUIT"));
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

/* Raw UTF-8 in the headers (RFC 6532), as the mailbox holds it. */
static const char *const utf8_msgs[] = {
	"From: J\xc3\xbcrgen <j@example.org>\nSubject: Gr\xc3\xbc\xc3\x9f"
	    "e aus M\xc3\xbcnchen\n\nHallo.\n",
	NULL
};
static const char *const one_uidl[] = { "u-1", NULL };

/* CAPA offers UTF8: it is sent before login (the AUTHORIZATION state,
 * RFC 6856), and the bytes delivered are the stored bytes.  The server
 * emulates Courier, which serves a notice to a client not in UTF-8
 * mode.  A server that takes UTF8 only after login is asked again. */
static void
test_utf8_sent_when_offered(void **state)
{
	struct fake	 f = { .capa = "USER\r\nUTF8 USER\r\nUIDL\r\n",
			    .msgs = utf8_msgs, .uidls = one_uidl,
			    .courier = 1 };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged, *want, *again;
	int		 mode;

	(void)state;
	for (mode = 1; mode <= 2; mode++) {
		f.utf8 = mode;
		server_start(&s, &f);
		account_init(&a, &s);
		assert_int_equal(run_fetch(&a, &pl, &logged), 0);
		server_wait(&s);
		assert_true(heard(&s, "UTF8"));
		if (mode == 1)
			assert_true(strstr(s.log, "\nUTF8\n") <
			    strstr(s.log, "USER alice"));
		else {
			/* refused before login, asked again after */
			again = strstr(strstr(s.log, "\nUTF8\n") + 1,
			    "\nUTF8\n");
			assert_non_null(again);
			assert_true(strstr(s.log, "PASS") < again);
		}
		assert_int_equal(pl.ngot, 1);
		want = crlf(utf8_msgs[0]);
		assert_string_equal(pl.got[0].data, want);
		free(want);
		free(logged);
		free(s.log);
		pipeline_clear(&pl);
	}
}

/* An emulation of Courier-POP3's documented behaviour without UTF8
 * (not offered here): the message with UTF-8 headers comes back as
 * Courier's notice.  It is refused: not delivered, not recorded, not
 * deleted, and the round fails with a message that names the server
 * and what to do.  The ASCII message next to it is fetched as usual. */
static void
test_courier_notice_refused(void **state)
{
	static const char *const msgs[] = {
		"From: a@example.org\nSubject: plain\n\nHello.\n",
		"From: J\xc3\xbcrgen <j@example.org>\nSubject: "
		    "Gr\xc3\xbc\xc3\x9f" "e\n\nHallo.\n",
		NULL
	};
	static const char *const uidls[] = { "u-1", "u-2", NULL };
	struct fake	 f = { .capa = "USER\r\nUIDL\r\n", .msgs = msgs,
			    .uidls = uidls, .courier = 1 };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	a.keep = 0;
	assert_int_equal(run_fetch(&a, &pl, &logged), -1);
	server_wait(&s);
	assert_int_equal(pl.ngot, 1);
	assert_string_equal(pl.got[0].uidl, "u-1");
	assert_error_says(logged, "Courier notice");
	assert_error_says(logged, "Cannot display Unicode content");
	assert_error_says(logged, "UIDL u-2");
	assert_error_says(logged, "left on the server");
	assert_true(heard(&s, "DELE 1"));
	assert_false(heard(&s, "DELE 2"));
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

/* Only Courier's notice as a whole is recognised: its subject alone or
 * a message/global part alone is real mail. */
static void
test_substitute_recognised(void **state)
{
	static const char notice[] = "Subject: Cannot display Unicode "
	    "content\r\n\r\n--b\r\nContent-Type: message/global\r\n\r\nx";
	static const char subject_only[] = "Subject: Cannot display Unicode "
	    "content\r\n\r\nhello\r\n";
	static const char global_only[] = "Subject: fwd\r\n\r\n--b\r\n"
	    "Content-Type: message/global\r\n\r\nx";
	static const char other_subject[] = "Subject: Re: Cannot display "
	    "Unicode content\r\n\r\nContent-Type: message/global\r\n";

	(void)state;
	assert_string_equal(source_substitute(notice, strlen(notice)),
	    "Courier");
	assert_null(source_substitute(subject_only, strlen(subject_only)));
	assert_null(source_substitute(global_only, strlen(global_only)));
	assert_null(source_substitute(other_subject, strlen(other_subject)));
	assert_null(source_substitute("", 0));
}

static void
test_keep_means_no_dele(void **state)
{
	struct fake	 f = { .capa = "USER\r\n", .msgs = basic_msgs,
			    .uidls = basic_uidls };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	assert_int_equal(run_fetch(&a, &pl, &logged), 0);
	server_wait(&s);
	assert_int_equal(pl.ngot, 3);
	assert_false(heard_prefix(&s, "DELE"));
	assert_true(heard(&s, "QUIT"));
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_empty_message(void **state)
{
	static const char *const msgs[] = { "", NULL };
	static const char *const uidls[] = { "empty", NULL };
	struct fake	 f = { .capa = "USER\r\n", .msgs = msgs,
			    .uidls = uidls };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	assert_int_equal(run_fetch(&a, &pl, &logged), 0);
	server_wait(&s);
	assert_int_equal(pl.ngot, 1);
	assert_int_equal(pl.got[0].len, 0);
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_pipelined_many(void **state)
{
	static char		 bodies[40][64], uids[40][16];
	const char		*msgs[41], *uidls[41];
	static const char *const known[] = { "id-5", "id-33", NULL };
	struct fake		 f = { .capa = "USER\r\nPIPELINING\r\nUIDL\r\n",
				    .msgs = msgs, .uidls = uidls };
	struct server		 s;
	struct account		 a;
	struct pipeline		 pl = { .known = known };
	char			*logged, cmd[32];
	size_t			 i;

	(void)state;
	for (i = 0; i < 40; i++) {
		snprintf(bodies[i], sizeof(bodies[i]), "Subject: %zu\n\n"
		    ".%zu\n", i, i);
		snprintf(uids[i], sizeof(uids[i]), "id-%zu", i + 1);
		msgs[i] = bodies[i];
		uidls[i] = uids[i];
	}
	msgs[40] = uidls[40] = NULL;
	server_start(&s, &f);
	account_init(&a, &s);
	a.keep = 0;
	assert_int_equal(run_fetch(&a, &pl, &logged), 0);
	server_wait(&s);
	assert_int_equal(pl.ngot, 38);
	/* the progress total counts exactly the messages to fetch */
	assert_int_equal(pl.total, 38);
	assert_true(heard(&s, "(more)"));
	assert_false(heard(&s, "RETR 5"));
	assert_false(heard(&s, "RETR 33"));
	assert_string_equal(pl.got[4].uidl, "id-6");
	assert_string_equal(pl.got[4].data, "Subject: 5\r\n\r\n.5\r\n");
	/* known messages still on the server go too: they are recorded */
	for (i = 1; i <= 40; i++) {
		snprintf(cmd, sizeof(cmd), "DELE %zu", i);
		assert_true(heard(&s, cmd));
	}
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_oversized_skipped_never_deleted(void **state)
{
	static const char *const msgs[] = { "a\n", "b\n", "c\n", "d\n",
	    NULL };
	static const char *const uidls[] = { "k-small", "n-big", "k-big",
	    "n-small", NULL };
	static const char *const known[] = { "k-small", "k-big", NULL };
	static const uint64_t sizes[] = { 3, 5000, 5000, 3 };
	struct fake	 f = { .capa = "USER\r\n", .msgs = msgs,
			    .uidls = uidls, .sizes = sizes };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { .known = known, .max_size = 1000 };
	char		*logged;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	a.keep = 0;
	assert_int_equal(run_fetch(&a, &pl, &logged), 0);
	server_wait(&s);
	assert_int_equal(pl.nskipped, 1);
	assert_string_equal(pl.skipped[0], "n-big");
	assert_int_equal(pl.ngot, 1);
	assert_string_equal(pl.got[0].uidl, "n-small");
	assert_false(heard_prefix(&s, "RETR 1"));
	assert_false(heard_prefix(&s, "RETR 2"));
	assert_false(heard_prefix(&s, "RETR 3"));
	assert_true(heard(&s, "DELE 1"));
	assert_false(heard(&s, "DELE 2"));
	assert_false(heard(&s, "DELE 3"));
	assert_true(heard(&s, "DELE 4"));
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_greeting_err(void **state)
{
	struct fake	 f = { .greeting = "-ERR maildrop busy, go away",
			    .msgs = basic_msgs, .uidls = basic_uidls };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	assert_int_equal(run_fetch(&a, &pl, &logged), -1);
	server_wait(&s);
	assert_error_says(logged, "go away");
	assert_string_equal(s.log, "\n");
	assert_int_equal(pl.ngot, 0);
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_line_over_limit(void **state)
{
	static char	 greeting[20000];
	struct fake	 f = { .greeting = greeting, .msgs = basic_msgs,
			    .uidls = basic_uidls };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;

	(void)state;
	memset(greeting, 'x', sizeof(greeting) - 1);
	memcpy(greeting, "+OK ", 4);
	server_start(&s, &f);
	account_init(&a, &s);
	assert_int_equal(run_fetch(&a, &pl, &logged), -1);
	server_wait(&s);
	assert_error_says(logged, "longer than");
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_truncated_message(void **state)
{
	struct fake	 f = { .capa = "USER\r\n", .msgs = basic_msgs,
			    .uidls = basic_uidls, .truncate_seq = 2 };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	a.keep = 0;
	assert_int_equal(run_fetch(&a, &pl, &logged), -1);
	server_wait(&s);
	assert_error_says(logged, "RETR 2");
	/* the whole first message is kept and committed, the cut one not */
	assert_int_equal(pl.ngot, 1);
	assert_string_equal(pl.got[0].uidl, "u-1");
	assert_int_equal(pl.ncommitted, 1);
	/* and the connection is dropped: no DELE, no QUIT */
	assert_false(heard_prefix(&s, "DELE"));
	assert_false(heard(&s, "QUIT"));
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
on_alarm(int sig)
{
	(void)sig;
	stop_asked = 1;
}

/* SIGTERM while RETR 2 has stalled halfway: given up after the grace
 * time instead of the timeout (or forever, at a byte a minute); the
 * first message is committed, nothing of the second is, and a stop is
 * no failure. */
static void
test_stop_abandons_stalled_retr(void **state)
{
	static const struct conn_pace pace = { 60000, 8192, 300 };
	struct fake	 f = { .capa = "USER\r\n", .msgs = basic_msgs,
			    .uidls = basic_uidls, .stall_seq = 2 };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	a.keep = 0;
	conn_set_pace(&pace);
	stop_asked = 0;
	signal(SIGALRM, on_alarm);
	alarm(1);
	log_set_level(LOG_LEVEL_INFO);
	assert_int_equal(run_fetch(&a, &pl, &logged), 0);
	log_set_level(LOG_LEVEL_ERROR);
	signal(SIGALRM, SIG_DFL);
	stop_asked = 0;
	conn_set_pace(NULL);
	server_wait(&s);
	assert_error_says(logged, "stopping");
	assert_int_equal(pl.ngot, 1);
	assert_string_equal(pl.got[0].uidl, "u-1");
	assert_int_equal(pl.ncommitted, 1);
	assert_false(heard(&s, "QUIT"));
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_no_uidl(void **state)
{
	struct fake	 f = { .capa = "USER\r\n", .no_uidl = 1,
			    .msgs = basic_msgs, .uidls = basic_uidls };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	a.keep = 0;
	assert_int_equal(run_fetch(&a, &pl, &logged), -1);
	server_wait(&s);
	assert_error_says(logged, "UIDL");
	assert_false(heard_prefix(&s, "RETR"));
	assert_false(heard_prefix(&s, "DELE"));
	assert_int_equal(pl.ngot, 0);
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_silent_server_times_out(void **state)
{
	struct fake	 f = { .silent = 1 };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	struct timespec	 t0, t1;
	char		*logged;
	double		 took;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	pop3_set_timeout(300);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(run_fetch(&a, &pl, &logged), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pop3_set_timeout(10000);
	server_wait(&s);
	took = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(took < 3.0);
	assert_error_says(logged, "timed out");
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_xoauth2_error_challenge(void **state)
{
	static const char json[] = "{\"status\":\"401\",\"schemes\":"
	    "\"bearer\",\"scope\":\"https://mail.google.com/\"}";
	static const char raw[] = "user=alice\001auth=Bearer " TOKEN
	    "\001\001";
	struct fake	 f = { .capa = "SASL XOAUTH2\r\nUSER\r\n",
			    .xoauth2_json = json, .msgs = basic_msgs,
			    .uidls = basic_uidls };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged, *ir, cmd[256];

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	a.ep.auth = AUTH_XOAUTH2;
	a.ep.password = token;
	log_set_level(LOG_LEVEL_TRACE);
	assert_int_equal(run_fetch(&a, &pl, &logged), -1);
	log_set_level(LOG_LEVEL_ERROR);
	server_wait(&s);
	/* initial response (RFC 5034), then an empty line for the error */
	ir = b64(raw, sizeof(raw) - 1);
	snprintf(cmd, sizeof(cmd), "AUTH XOAUTH2 %s", ir);
	assert_true(heard(&s, cmd));
	assert_non_null(strstr(s.log, "\n\n"));
	assert_false(heard(&s, "UIDL"));
	/* the user sees why: the decoded error; not the token, even in
	 * the trace */
	assert_error_says(logged, "\"status\":\"401\"");
	assert_non_null(strstr(logged, "AUTH XOAUTH2 <secret redacted>"));
	assert_null(strstr(logged, TOKEN));
	assert_null(strstr(logged, ir));
	free(ir);
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_plaintext_refused(void **state)
{
	struct fake	 f = { .capa = "USER\r\n", .msgs = basic_msgs,
			    .uidls = basic_uidls };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	a.ep.allow_plaintext_auth = 0;
	assert_int_equal(run_fetch(&a, &pl, &logged), -1);
	server_wait(&s);
	assert_error_says(logged, "refusing to send credentials in "
	    "plaintext to 127.0.0.1");
	assert_false(heard_prefix(&s, "USER"));
	assert_false(heard_prefix(&s, "PASS"));
	assert_null(strstr(s.log, PASSWORD));
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_starttls_not_offered(void **state)
{
	struct fake	 f = { .capa = "USER\r\nUIDL\r\n", .msgs = basic_msgs,
			    .uidls = basic_uidls };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	a.ep.tls = TLS_STARTTLS;
	assert_int_equal(run_fetch(&a, &pl, &logged), -1);
	server_wait(&s);
	assert_error_says(logged, "STLS");
	assert_false(heard(&s, "STLS"));
	assert_false(heard_prefix(&s, "USER"));
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_delivery_failure_deletes_nothing(void **state)
{
	struct fake	 f = { .capa = "USER\r\nPIPELINING\r\n",
			    .msgs = basic_msgs, .uidls = basic_uidls };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { .fail_add = 2 };
	char		*logged;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	a.keep = 0;
	assert_int_equal(run_fetch(&a, &pl, &logged), -1);
	server_wait(&s);
	assert_int_equal(pl.ngot, 1);
	assert_int_equal(pl.nflush, 0);
	assert_false(heard_prefix(&s, "DELE"));
	assert_false(heard(&s, "QUIT"));
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_stop_finishes_message_in_hand(void **state)
{
	struct fake	 f = { .capa = "USER\r\n", .msgs = basic_msgs,
			    .uidls = basic_uidls };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { .stop_after = 1 };
	char		*logged;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	a.keep = 0;
	assert_int_equal(run_fetch(&a, &pl, &logged), 0);
	server_wait(&s);
	assert_int_equal(pl.ngot, 1);
	assert_int_equal(pl.nflush, 1);
	assert_false(heard(&s, "RETR 2"));
	assert_true(heard(&s, "DELE 1"));
	assert_false(heard(&s, "DELE 2"));
	assert_true(heard(&s, "QUIT"));
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_apop(void **state)
{
	/* RFC 1939 7's example */
	static char	 secret[] = "tanstaaf";
	struct fake	 f = { .greeting = "+OK POP3 server ready "
			    "<1896.697170952@dbc.mtview.ca.us>",
			    .apop_digest = "c4c9334bac560ecc979e58001b3e22fb",
			    .msgs = basic_msgs, .uidls = basic_uidls };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	a.ep.auth = AUTH_APOP;
	a.ep.password = secret;
	assert_int_equal(run_fetch(&a, &pl, &logged), 0);
	server_wait(&s);
	assert_true(heard(&s,
	    "APOP alice c4c9334bac560ecc979e58001b3e22fb"));
	assert_int_equal(pl.ngot, 3);
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_message_beyond_max_size(void **state)
{
	static const char *const uidls[] = { "huge", NULL };
	static const uint64_t sizes[] = { 10 };
	const char	*msgs[2];
	char		*big;
	struct fake	 f = { .capa = "USER\r\n", .msgs = msgs,
			    .uidls = uidls, .sizes = sizes };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { .max_size = 1000 };
	char		*logged;
	size_t		 i;

	(void)state;
	/* LIST says 10 bytes; the server sends 400 KB of lines */
	big = malloc(400 * 1024 + 1);
	assert_non_null(big);
	for (i = 0; i < 400 * 1024; i++)
		big[i] = i % 100 == 99 ? '\n' : 'y';
	big[400 * 1024] = '\0';
	msgs[0] = big;
	msgs[1] = NULL;
	server_start(&s, &f);
	account_init(&a, &s);
	assert_int_equal(run_fetch(&a, &pl, &logged), -1);
	server_wait(&s);
	assert_error_says(logged, "max-size");
	assert_int_equal(pl.ngot, 0);
	/* the rest of the message is still coming: no QUIT into it */
	assert_false(heard(&s, "QUIT"));
	free(big);
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

/* Replies a broken or hostile server might send: each is an error
 * naming what went wrong, nothing is fetched or deleted, nothing
 * crashes (the asan build watches). */
static void
test_hostile_replies(void **state)
{
	static const struct {
		const char	*uidl, *list, *retr, *says;
	} cases[] = {
		{ "HELLO\r\n", NULL, NULL, "UIDL failed" },
		{ "+OK\r\n1\r\n.\r\n", NULL, NULL, "bad line" },
		{ "+OK\r\nx y\r\n.\r\n", NULL, NULL, "bad line" },
		{ "+OK\r\n0 a\r\n.\r\n", NULL, NULL, "bad line" },
		{ "+OK\r\n1 a\001b\r\n.\r\n", NULL, NULL, "bad line" },
		{ "+OK\r\n1 a b\r\n.\r\n", NULL, NULL, "bad line" },
		{ "+OK\r\n99999999999999999999999 a\r\n.\r\n", NULL, NULL,
		    "bad line" },
		{ "+OK\r\n1 a\r\n1 b\r\n.\r\n", NULL, NULL, "twice" },
		{ "+OK\r\n1 a\r\n2 a\r\n.\r\n", NULL, NULL,
		    "same UIDL" },
		{ NULL, "+OK\r\n1 abc\r\n.\r\n", NULL, "bad line" },
		{ NULL, "+OK\r\n1 10\r\n2 10\r\n.\r\n", NULL, "lacks" },
		{ NULL, "+OK\r\n7 10\r\n.\r\n", NULL, "disagree" },
		{ NULL, "+OK\r\n1 10\r\n1 10\r\n.\r\n", NULL,
		    "disagree" },
		{ NULL, "+OK\r\n1 99999999999999999999999\r\n.\r\n", NULL,
		    "bad line" },
		{ NULL, NULL, "-ERR no such message\r\n", "no such message" },
		{ NULL, NULL, "OK here it comes\r\n", "RETR 1 failed" },
		{ NULL, NULL, "+ \r\n", "RETR 1 failed" },
	};
	static char	 longuid[400];
	struct fake	 f;
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;
	size_t		 i, n = sizeof(cases) / sizeof(cases[0]);

	(void)state;
	/* and a UIDL far over RFC 1939's 70 characters */
	snprintf(longuid, sizeof(longuid), "+OK\r\n1 %0300d\r\n.\r\n", 7);
	for (i = 0; i <= n; i++) {
		memset(&f, 0, sizeof(f));
		f.capa = "USER\r\n";
		f.msgs = basic_msgs;
		f.uidls = basic_uidls;
		if (i < n) {
			f.uidl_raw = cases[i].uidl;
			f.list_raw = cases[i].list;
			f.retr_raw = cases[i].retr;
		} else
			f.uidl_raw = longuid;
		server_start(&s, &f);
		account_init(&a, &s);
		a.keep = 0;
		assert_int_equal(run_fetch(&a, &pl, &logged), -1);
		server_wait(&s);
		assert_error_says(logged, i < n ? cases[i].says : "bad line");
		assert_int_equal(pl.ngot, 0);
		assert_false(heard_prefix(&s, "DELE"));
		assert_false(heard(&s, "QUIT"));
		free(logged);
		free(s.log);
		pipeline_clear(&pl);
	}
}

/* STLS refused, or accepted with plaintext piggybacked on the +OK
 * (it would pass for what the server says inside TLS): an error naming
 * the server, and no login in the clear. */
static void
test_stls_refusals(void **state)
{
	static const struct {
		const char	*reply, *says;
	} cases[] = {
		{ "-ERR not now\r\n", "not now" },
		{ "+OK begin TLS\r\n+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n",
		    "STARTTLS injection" },
	};
	struct fake	 f;
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&f, 0, sizeof(f));
		f.capa = "USER\r\nSTLS\r\n";
		f.msgs = basic_msgs;
		f.uidls = basic_uidls;
		f.stls_raw = cases[i].reply;
		server_start(&s, &f);
		account_init(&a, &s);
		a.ep.tls = TLS_STARTTLS;
		assert_int_equal(run_fetch(&a, &pl, &logged), -1);
		server_wait(&s);
		assert_error_says(logged, cases[i].says);
		assert_true(heard(&s, "STLS"));
		assert_false(heard_prefix(&s, "USER"));
		assert_int_equal(pl.ngot, 0);
		free(logged);
		free(s.log);
		pipeline_clear(&pl);
	}
}

/* A reply line over the limit in the middle of a listing leaves the
 * stream in the middle of that line: hang up, nothing more. */
static void
test_long_line_mid_listing(void **state)
{
	static char	 uidl[12000];
	struct fake	 f = { .capa = "USER\r\n", .msgs = basic_msgs,
			    .uidls = basic_uidls, .uidl_raw = uidl };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;
	size_t		 n;

	(void)state;
	n = (size_t)snprintf(uidl, sizeof(uidl), "+OK\r\n1 ");
	memset(uidl + n, 'u', sizeof(uidl) - n - 10);
	memcpy(uidl + sizeof(uidl) - 10, "\r\n.\r\n", 6);
	server_start(&s, &f);
	account_init(&a, &s);
	assert_int_equal(run_fetch(&a, &pl, &logged), -1);
	server_wait(&s);
	assert_error_says(logged, "longer than");
	assert_false(heard_prefix(&s, "LIST"));
	assert_false(heard(&s, "QUIT"));
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

/* What the server says reaches the log without its escape sequences. */
static void
test_reply_logged_clean(void **state)
{
	struct fake	 f = { .greeting = "-ERR \x1b]0;pwned\x07\x1b[2J"
			    "busy\x9b" "31m \xc2\x9b" "0m",
			    .msgs = basic_msgs, .uidls = basic_uidls };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;
	const char	*p;

	(void)state;
	server_start(&s, &f);
	account_init(&a, &s);
	assert_int_equal(run_fetch(&a, &pl, &logged), -1);
	server_wait(&s);
	assert_error_says(logged, "busy");
	for (p = logged; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\n') || *p == 0x7f ||
		    (unsigned char)*p == 0x9b)
			fail_msg("control byte 0x%02x in the log:\n%s",
			    (unsigned char)*p, logged);
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

/* With -vv, the trace shows the dialogue but never the secret. */
static void
trace_session(const char *capa, enum auth_mech auth, const char *secret,
    const char *forbidden_b64)
{
	struct fake	 f = { .capa = capa, .msgs = basic_msgs,
			    .uidls = basic_uidls };
	struct server	 s;
	struct account	 a;
	struct pipeline	 pl = { 0 };
	char		*logged;

	server_start(&s, &f);
	account_init(&a, &s);
	a.ep.auth = auth;
	log_set_level(LOG_LEVEL_TRACE);
	assert_int_equal(run_fetch(&a, &pl, &logged), 0);
	log_set_level(LOG_LEVEL_ERROR);
	server_wait(&s);
	assert_non_null(strstr(logged, "UIDL"));
	assert_non_null(strstr(logged, "<secret redacted>"));
	if (strstr(logged, secret) != NULL ||
	    strstr(logged, forbidden_b64) != NULL)
		fail_msg("secret in the trace:\n%s", logged);
	assert_int_equal(pl.ngot, 3);
	free(logged);
	free(s.log);
	pipeline_clear(&pl);
}

static void
test_trace_hides_secrets(void **state)
{
	static const char plain[] = "\0alice\0" PASSWORD;
	char	*ir, *pass;

	(void)state;
	ir = b64(plain, sizeof(plain) - 1);
	pass = b64(PASSWORD, strlen(PASSWORD));
	trace_session("USER\r\n", AUTH_AUTO, PASSWORD, pass);
	trace_session("SASL PLAIN\r\nUSER\r\n", AUTH_AUTO, PASSWORD, ir);
	trace_session("SASL LOGIN\r\n", AUTH_LOGIN, PASSWORD, pass);
	free(ir);
	free(pass);
}

static void
assert_b64(char *got, const void *raw, size_t len)
{
	char	*want = b64(raw, len);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(want);
	sasl_free(got);
}

static void
test_sasl_payloads(void **state)
{
	static const char plain[] = "\0me\0pw";
	static const char xo[] = "user=me\001auth=Bearer tk\001\001";
	static const char ob[] = "n,a=a=3Db=2Cc,\001auth=Bearer tk\001\001";
	char	 err[128], text[64], *r;

	(void)state;
	assert_b64(sasl_encode(AUTH_PLAIN, "me", "pw"), plain,
	    sizeof(plain) - 1);
	assert_b64(sasl_encode(AUTH_XOAUTH2, "me", "tk"), xo, sizeof(xo) - 1);
	assert_b64(sasl_encode(AUTH_OAUTHBEARER, "a=b,c", "tk"), ob,
	    sizeof(ob) - 1);
	assert_b64(sasl_response(AUTH_LOGIN, 0, "me", "pw", err,
	    sizeof(err)), "me", 2);
	assert_b64(sasl_response(AUTH_LOGIN, 1, "me", "pw", err,
	    sizeof(err)), "pw", 2);
	assert_b64(sasl_response(AUTH_XOAUTH2, 1, "me", "tk", err,
	    sizeof(err)), "", 0);
	assert_b64(sasl_response(AUTH_OAUTHBEARER, 1, "me", "tk", err,
	    sizeof(err)), "\001", 1);
	assert_null(sasl_response(AUTH_PLAIN, 1, "me", "pw", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "PLAIN"));
	assert_null(sasl_response(AUTH_LOGIN, 2, "me", "pw", err,
	    sizeof(err)));
	assert_null(sasl_encode(AUTH_XOAUTH2, "me", "t\001k"));
	assert_null(sasl_encode(AUTH_APOP, "me", "pw"));
	assert_int_equal(sasl_client_first(AUTH_LOGIN), 0);
	assert_int_equal(sasl_client_first(AUTH_PLAIN), 1);
	assert_string_equal(sasl_name(AUTH_OAUTHBEARER), "OAUTHBEARER");
	r = b64("{\"a\":1}\n\001", 9);
	sasl_challenge_text(r, strlen(r), text, sizeof(text));
	assert_string_equal(text, "{\"a\":1}??");
	/* cut, and said to be */
	sasl_challenge_text(r, strlen(r), text, 8);
	assert_string_equal(text, "{\"a\"...");
	free(r);
	sasl_challenge_text("a$b!", 4, text, sizeof(text));
	assert_string_equal(text, "(not base64)");
	sasl_challenge_text("abc", 3, text, sizeof(text));
	assert_string_equal(text, "(not base64)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch_and_delete),
		cmocka_unit_test(test_keep_means_no_dele),
		cmocka_unit_test(test_utf8_sent_when_offered),
		cmocka_unit_test(test_courier_notice_refused),
		cmocka_unit_test(test_substitute_recognised),
		cmocka_unit_test(test_empty_message),
		cmocka_unit_test(test_pipelined_many),
		cmocka_unit_test(test_oversized_skipped_never_deleted),
		cmocka_unit_test(test_greeting_err),
		cmocka_unit_test(test_line_over_limit),
		cmocka_unit_test(test_truncated_message),
		cmocka_unit_test(test_stop_abandons_stalled_retr),
		cmocka_unit_test(test_no_uidl),
		cmocka_unit_test(test_silent_server_times_out),
		cmocka_unit_test(test_xoauth2_error_challenge),
		cmocka_unit_test(test_plaintext_refused),
		cmocka_unit_test(test_starttls_not_offered),
		cmocka_unit_test(test_delivery_failure_deletes_nothing),
		cmocka_unit_test(test_stop_finishes_message_in_hand),
		cmocka_unit_test(test_apop),
		cmocka_unit_test(test_message_beyond_max_size),
		cmocka_unit_test(test_hostile_replies),
		cmocka_unit_test(test_stls_refusals),
		cmocka_unit_test(test_long_line_mid_listing),
		cmocka_unit_test(test_reply_logged_clean),
		cmocka_unit_test(test_trace_hides_secrets),
		cmocka_unit_test(test_sasl_payloads),
	};

	signal(SIGPIPE, SIG_IGN);
	log_init(0, LOG_LEVEL_ERROR);
	pop3_set_timeout(10000);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

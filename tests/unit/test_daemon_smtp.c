/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_smtp.c - the SMTP client (daemon/smtp*.c) against a fake
 * server that misbehaves on purpose.
 *
 * The server is a forked child on 127.0.0.1 speaking plaintext, with a
 * script of replies (struct fake).  It logs every command line it
 * receives to a file, followed by "(more)" when more bytes had already
 * arrived (proof of pipelining), and keeps the raw bytes of DATA in a
 * second file, so a test can check dot-stuffing byte for byte.  The
 * protocol trace is captured (stderr), so tests check that it never
 * shows a secret.  TLS itself is covered by the integration test
 * against the real Postfix (tests/integration/test-send.sh).
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
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "daemon/conf/conf.h"
#include "daemon/util/log.h"
#include "daemon/send/smtp.h"

#define PASSWORD	"s3cret-Pa55word"
#define MAXRCPT		8

/* ---- the fake server ---- */

struct fake {
	const char	*greeting;	/* NULL: 220 */
	const char	*ehlo;		/* NULL: 250 with 8BITMIME */
	const char	*helo;		/* NULL: 250 */
	const char	*starttls;	/* reply to STARTTLS; then hang up */
	const char	*auth;		/* final reply to AUTH; NULL: 235 */
	const char	*xoauth2_json;	/* challenge XOAUTH2 with it */
	const char	*mail;		/* NULL: 250 */
	const char	*rcpt[MAXRCPT];	/* each RCPT; NULL: 250 */
	const char	*data;		/* NULL: 354 */
	const char	*end;		/* after the data; NULL: 250 */
	int		 drop_after_data;	/* hang up instead */
	int		 hang_after_data;	/* never answer the data */
	int		 silent;	/* never say a word */
};

struct server {
	pid_t		 pid;
	char		 port[16];
	char		 logpath[64];
	char		 bodypath[64];
	char		*log;		/* "\n" + every line received */
	char		*body;		/* raw DATA bytes, "." line too */
	size_t		 bodylen;
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

/* One raw line with its LF into out (NUL-terminated); its length, or
 * -1 at EOF. */
static long
read_raw(struct reader *r, char *out, size_t outlen)
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
	n = (size_t)(lf - r->buf) + 1;
	if (n >= outlen)
		_exit(5);
	memcpy(out, r->buf, n);
	out[n] = '\0';
	r->len -= n;
	memmove(r->buf, lf + 1, r->len);
	return (long)n;
}

/* A command line without its CR LF. */
static int
read_line(struct reader *r, char *out, size_t outlen)
{
	long	 n;

	if ((n = read_raw(r, out, outlen)) == -1)
		return -1;
	out[--n] = '\0';
	if (n > 0 && out[n - 1] == '\r')
		out[n - 1] = '\0';
	return 0;
}

static void
log_line(FILE *log, const char *line, const struct reader *r)
{
	fprintf(log, "%s\n", line);
	if (r->len > 0)
		fprintf(log, "(more)\n");
	fflush(log);
}

/* Send a challenge, log the answer. */
static void
challenge(int fd, struct reader *r, FILE *log, const char *b64text)
{
	char	 line[8192];

	say(fd, "334 ");
	say(fd, b64text);
	say(fd, "\r\n");
	if (read_line(r, line, sizeof(line)) == -1)
		_exit(0);
	log_line(log, line, r);
}

static void
serve_auth(const struct fake *f, int fd, struct reader *r, FILE *log,
    const char *cmd)
{
	char	*json;

	if (strncmp(cmd, "AUTH XOAUTH2 ", 13) == 0 && f->xoauth2_json) {
		json = malloc(4 * strlen(f->xoauth2_json) / 3 + 8);
		if (json == NULL)
			_exit(6);
		EVP_EncodeBlock((unsigned char *)json,
		    (const unsigned char *)f->xoauth2_json,
		    (int)strlen(f->xoauth2_json));
		challenge(fd, r, log, json);
		free(json);
		say(fd, "535 5.7.8 Username and Password not accepted\r\n");
		return;
	}
	if (strcmp(cmd, "AUTH LOGIN") == 0) {
		challenge(fd, r, log, "VXNlcm5hbWU6");	/* Username: */
		challenge(fd, r, log, "UGFzc3dvcmQ6");	/* Password: */
	} else if (strchr(cmd + 5, ' ') == NULL)
		challenge(fd, r, log, "");	/* no initial response */
	say(fd, f->auth != NULL ? f->auth : "235 2.7.0 ok\r\n");
}

/* The data up to and with the "." line, raw, into body. */
static void
serve_data(const struct fake *f, int fd, struct reader *r, FILE *body)
{
	char	 line[8192];
	long	 n;

	for (;;) {
		if ((n = read_raw(r, line, sizeof(line))) == -1)
			_exit(0);
		fwrite(line, 1, (size_t)n, body);
		if (strcmp(line, ".\r\n") == 0)
			break;
	}
	fflush(body);
	if (f->drop_after_data)
		_exit(0);
	if (f->hang_after_data)
		return;
	say(fd, f->end != NULL ? f->end : "250 2.0.0 Ok: queued\r\n");
}

static void
serve(const struct fake *f, int fd, FILE *log, FILE *body)
{
	struct reader	*r = calloc(1, sizeof(*r));
	char		 line[8192];
	const char	*reply;
	int		 nrcpt = 0;

	if (r == NULL)
		_exit(6);
	r->fd = fd;
	if (!f->silent)
		say(fd, f->greeting != NULL ? f->greeting :
		    "220 fake.example ESMTP\r\n");
	while (read_line(r, line, sizeof(line)) == 0) {
		log_line(log, line, r);
		if (f->silent)
			continue;
		if (strncmp(line, "EHLO ", 5) == 0)
			say(fd, f->ehlo != NULL ? f->ehlo :
			    "250-fake.example\r\n250 8BITMIME\r\n");
		else if (strncmp(line, "HELO ", 5) == 0)
			say(fd, f->helo != NULL ? f->helo :
			    "250 fake.example\r\n");
		else if (strcmp(line, "STARTTLS") == 0 && f->starttls) {
			say(fd, f->starttls);
			break;
		} else if (strncmp(line, "AUTH ", 5) == 0)
			serve_auth(f, fd, r, log, line);
		else if (strncmp(line, "MAIL FROM:", 10) == 0)
			say(fd, f->mail != NULL ? f->mail :
			    "250 2.1.0 Ok\r\n");
		else if (strncmp(line, "RCPT TO:", 8) == 0) {
			reply = nrcpt < MAXRCPT ? f->rcpt[nrcpt] : NULL;
			nrcpt++;
			say(fd, reply != NULL ? reply : "250 2.1.5 Ok\r\n");
		} else if (strcmp(line, "DATA") == 0) {
			reply = f->data != NULL ? f->data :
			    "354 End data with <CR><LF>.<CR><LF>\r\n";
			say(fd, reply);
			if (strncmp(reply, "354", 3) == 0)
				serve_data(f, fd, r, body);
		} else if (strcmp(line, "QUIT") == 0) {
			say(fd, "221 2.0.0 Bye\r\n");
			break;
		} else
			say(fd, "502 5.5.2 Error: command not recognized\r\n");
	}
	free(r);
}

static void
server_start(struct server *s, const struct fake *f)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	int			 lfd, cfd, logfd, bodyfd, one = 1;
	FILE			*log, *body;

	memset(s, 0, sizeof(*s));
	snprintf(s->logpath, sizeof(s->logpath), "/tmp/test-smtp-XXXXXX");
	snprintf(s->bodypath, sizeof(s->bodypath), "/tmp/test-smtp-XXXXXX");
	logfd = mkstemp(s->logpath);
	bodyfd = mkstemp(s->bodypath);
	assert_true(logfd >= 0 && bodyfd >= 0);
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
		if ((log = fdopen(logfd, "w")) == NULL ||
		    (body = fdopen(bodyfd, "w")) == NULL)
			_exit(2);
		if ((cfd = accept(lfd, NULL, NULL)) == -1)
			_exit(2);
		/* Replies go out in pieces: no Nagle wait between them. */
		if (setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one)) == -1)
			_exit(2);
		serve(f, cfd, log, body);
		fclose(log);
		fclose(body);
		_exit(0);
	}
	close(lfd);
	close(logfd);
	close(bodyfd);
}

static char *
file_slurp(const char *path, size_t *len)
{
	FILE	*fp;
	char	*data;
	long	 n;

	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	data = malloc((size_t)n + 2);
	assert_non_null(data);
	data[0] = '\n';
	assert_int_equal(fread(data + 1, 1, (size_t)n, fp), (size_t)n);
	data[n + 1] = '\0';
	fclose(fp);
	unlink(path);
	*len = (size_t)n;
	return data;
}

static void
server_wait(struct server *s)
{
	size_t	 n;
	char	*body;
	int	 status;

	assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	s->log = file_slurp(s->logpath, &n);
	body = file_slurp(s->bodypath, &s->bodylen);
	/* The body without the leading "\n" file_slurp adds. */
	s->body = malloc(s->bodylen + 1);
	assert_non_null(s->body);
	memcpy(s->body, body + 1, s->bodylen + 1);
	free(body);
}

static void
server_free(struct server *s)
{
	free(s->log);
	free(s->body);
}

/* The server received exactly this line. */
static int
heard(const struct server *s, const char *line)
{
	char	 pat[1024];

	snprintf(pat, sizeof(pat), "\n%s\n", line);
	return strstr(s->log, pat) != NULL;
}

static int
heard_prefix(const struct server *s, const char *prefix)
{
	char	 pat[1024];

	snprintf(pat, sizeof(pat), "\n%s", prefix);
	return strstr(s->log, pat) != NULL;
}

/* ---- the client side ---- */

static char	 name_fake[] = "fake";
static char	 label_fake[] = "smtp 'fake'";
static char	 host_lo[] = "127.0.0.1";
static char	 from_addr[] = "sender@example.org";
static char	 user_alice[] = "alice";
static char	 password[] = PASSWORD;
static char	 port_buf[16];

static void
conf_make(struct smtp_server *srv, const struct server *s)
{
	memset(srv, 0, sizeof(*srv));
	snprintf(port_buf, sizeof(port_buf), "%s", s->port);
	srv->name = name_fake;
	srv->from = from_addr;
	srv->ep.label = label_fake;
	srv->ep.host = host_lo;
	srv->ep.port = port_buf;
	srv->ep.tls = TLS_NONE;
	srv->ep.tls_verify = 1;
	srv->ep.auth = AUTH_AUTO;
}

static void
conf_login(struct smtp_server *srv)
{
	srv->ep.user = user_alice;
	srv->ep.password = password;
	srv->ep.allow_plaintext_auth = 1;
}

/* smtp_send with its trace in *trace (caller frees). */
static int
run_send(const struct smtp_server *srv, const char *from,
    const char *const *rcpts, size_t n, const char *msg,
    struct smtp_result *res, char **trace)
{
	FILE	*tmp = tmpfile();
	long	 len;
	int	 saved, r;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	log_init(0, LOG_LEVEL_TRACE);
	r = smtp_send(srv, from, rcpts, n, msg, strlen(msg), res);
	log_init(0, LOG_LEVEL_ERROR);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	len = ftell(tmp);
	assert_true(len >= 0);
	rewind(tmp);
	*trace = malloc((size_t)len + 1);
	assert_non_null(*trace);
	assert_int_equal(fread(*trace, 1, (size_t)len, tmp), (size_t)len);
	(*trace)[len] = '\0';
	fclose(tmp);
	/* Whatever happened, no secret went to the trace. */
	assert_null(strstr(*trace, PASSWORD));
	return r;
}

/* One whole exchange: server, smtp_send, server's log. */
static int
exchange(const struct fake *f, int login, const char *from,
    const char *const *rcpts, size_t n, const char *msg,
    struct server *s, struct smtp_result *res)
{
	struct smtp_server	 srv;
	char			*trace;
	int			 r;

	server_start(s, f);
	conf_make(&srv, s);
	if (login)
		conf_login(&srv);
	r = run_send(&srv, from, rcpts, n, msg, res, &trace);
	free(trace);
	server_wait(s);
	return r;
}

static void
assert_error_says(const struct smtp_result *res, const char *what)
{
	if (strstr(res->error, what) == NULL)
		fail_msg("error lacks \"%s\": %s", what, res->error);
	assert_non_null(strstr(res->error, "smtp 'fake' 127.0.0.1:"));
}

static const char *const one_rcpt[] = { "rcpt@example.net" };
static const char simple_msg[] = "Subject: hi\r\n\r\nhello\r\n";

/* ---- the tests ---- */

static void
test_send_lockstep(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), 0);
	assert_int_equal(res.status, SMTP_OK);
	assert_int_equal(res.naccepted, 1);
	assert_string_equal(res.error, "");
	assert_int_equal(res.rcpts[0].status, SMTP_OK);
	assert_int_equal(res.rcpts[0].code, 250);
	assert_string_equal(res.rcpts[0].reply, "250 2.0.0 Ok: queued");
	assert_true(heard_prefix(&s, "EHLO "));
	assert_true(heard(&s, "MAIL FROM:<sender@example.org>"));
	assert_true(heard(&s, "RCPT TO:<rcpt@example.net>"));
	assert_true(heard(&s, "DATA"));
	assert_true(heard(&s, "QUIT"));
	/* Without PIPELINING each command waits for its reply. */
	assert_null(strstr(s.log, "(more)"));
	assert_string_equal(s.body, "Subject: hi\r\n\r\nhello\r\n.\r\n");
	smtp_result_free(&res);
	server_free(&s);
}

static void
test_pipelining_used(void **state)
{
	static const char *const rcpts[] = { "a@example.net",
	    "b@example.net", "c@example.net" };
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;
	const char		*p;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.ehlo = "250-fake.example\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n"
	    "250 8BITMIME\r\n";
	assert_int_equal(exchange(&f, 0, NULL, rcpts, 3, simple_msg, &s,
	    &res), 0);
	assert_int_equal(res.naccepted, 3);
	/* MAIL, the RCPTs and DATA arrived as one group. */
	p = strstr(s.log, "\nMAIL FROM:<sender@example.org> SIZE=22\n");
	assert_non_null(p);
	assert_non_null(strstr(p, "\n(more)\nRCPT TO:<a@example.net>\n"
	    "(more)\nRCPT TO:<b@example.net>\n(more)\nRCPT "
	    "TO:<c@example.net>\n(more)\nDATA\n"));
	smtp_result_free(&res);
	server_free(&s);
}

/* More recipients than the window: replies still match commands. */
static void
test_pipelining_window(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;
	const char		*rcpts[50];
	char			 addrs[50][32], line[64];
	size_t			 i;

	(void)state;
	for (i = 0; i < 50; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "r%zu@example.net", i);
		rcpts[i] = addrs[i];
	}
	memset(&f, 0, sizeof(f));
	f.ehlo = "250-fake\r\n250 PIPELINING\r\n";
	f.rcpt[3] = "550 5.1.1 no such user\r\n";
	assert_int_equal(exchange(&f, 0, NULL, rcpts, 50, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.naccepted, 49);
	for (i = 0; i < 50; i++) {
		assert_int_equal(res.rcpts[i].status, i == 3 ? SMTP_PERMFAIL :
		    SMTP_OK);
		snprintf(line, sizeof(line), "RCPT TO:<%s>", rcpts[i]);
		assert_true(heard(&s, line));
	}
	assert_string_equal(s.body, "Subject: hi\r\n\r\nhello\r\n.\r\n");
	smtp_result_free(&res);
	server_free(&s);
}

/* A reply that never ends, and one line too long. */
static void
test_endless_reply(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;
	char			*ehlo, *p;
	size_t			 i;

	(void)state;
	ehlo = malloc(300 * 16 + 32);
	assert_non_null(ehlo);
	for (p = ehlo, i = 0; i < 300; i++)
		p += sprintf(p, "250-X-EXT%zu\r\n", i);
	strcpy(p, "250 8BITMIME\r\n");
	memset(&f, 0, sizeof(f));
	f.ehlo = ehlo;
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_TEMPFAIL);
	assert_error_says(&res, "EHLO: a reply of more than 256 lines");
	smtp_result_free(&res);
	server_free(&s);
	free(ehlo);
}

static void
test_dot_stuffing_exact(void **state)
{
	static const char msg[] = "Subject: dots\n\n.\n..\n.x\nmid.dle\n"
	    "bare\rcr\r\nlf only\n\n.\r\nend. no newline";
	static const char wire[] = "Subject: dots\r\n\r\n..\r\n...\r\n..x\r\n"
	    "mid.dle\r\nbare\r\ncr\r\nlf only\r\n\r\n..\r\nend. no newline"
	    "\r\n.\r\n";
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, msg, &s, &res),
	    0);
	assert_int_equal(s.bodylen, sizeof(wire) - 1);
	assert_memory_equal(s.body, wire, sizeof(wire) - 1);
	smtp_result_free(&res);
	server_free(&s);

	/* An empty message is just the end of data. */
	memset(&f, 0, sizeof(f));
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, "", &s, &res), 0);
	assert_string_equal(s.body, ".\r\n");
	smtp_result_free(&res);
	server_free(&s);
}

/* A message larger than one write chunk, lines crossing chunks. */
static void
test_large_message(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;
	char			*msg, *want;
	size_t			 i, n = 200000, w = 0;

	(void)state;
	msg = malloc(n + 1);
	want = malloc(2 * n + 8);
	assert_non_null(msg);
	assert_non_null(want);
	for (i = 0; i < n; i++) {
		msg[i] = (i % 61 == 60) ? '\n' : (i % 61 == 0) ? '.' :
		    (char)('a' + i % 26);
		if (msg[i] == '\n')
			want[w++] = '\r';
		if (msg[i] == '.' && (i == 0 || msg[i - 1] == '\n'))
			want[w++] = '.';
		want[w++] = msg[i];
	}
	msg[n] = '\0';
	if (msg[n - 1] != '\n') {
		want[w++] = '\r';
		want[w++] = '\n';
	}
	memcpy(want + w, ".\r\n", 3);
	w += 3;
	memset(&f, 0, sizeof(f));
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, msg, &s, &res),
	    0);
	assert_int_equal(s.bodylen, w);
	assert_memory_equal(s.body, want, w);
	free(msg);
	free(want);
	smtp_result_free(&res);
	server_free(&s);
}

static void
test_multiline_replies(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.greeting = "220-fake.example ESMTP\r\n220-second line\r\n"
	    "220 third\r\n";
	f.ehlo = "250-fake.example\r\n250-SIZE\r\n250-ENHANCEDSTATUSCODES\r\n"
	    "250-X-UNKNOWN with args\r\n250 8BITMIME\r\n";
	f.rcpt[0] = "550-5.1.1 first line of the refusal\r\n"
	    "550-5.1.1 second line\r\n550 5.1.1 last line\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_PERMFAIL);
	assert_int_equal(res.rcpts[0].code, 550);
	assert_string_equal(res.rcpts[0].reply, "550 5.1.1 first line of "
	    "the refusal 5.1.1 second line 5.1.1 last line");
	assert_error_says(&res, "RCPT TO:<rcpt@example.net>: server said "
	    "\"550 5.1.1 first line");
	/* SIZE without a number: no limit, but SIZE= is sent. */
	assert_true(heard(&s, "MAIL FROM:<sender@example.org> SIZE=22"));
	/* Nobody took it: no DATA. */
	assert_false(heard(&s, "DATA"));
	assert_true(heard(&s, "QUIT"));
	smtp_result_free(&res);
	server_free(&s);
}

static void
test_greeting_failures(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.greeting = "421 4.3.2 too busy, try later\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_TEMPFAIL);
	assert_int_equal(res.rcpts[0].status, SMTP_TEMPFAIL);
	assert_int_equal(res.rcpts[0].code, 421);
	assert_error_says(&res, "the greeting: server said \"421 4.3.2 too "
	    "busy");
	smtp_result_free(&res);
	server_free(&s);

	f.greeting = "554 5.7.1 no service for you\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_PERMFAIL);
	smtp_result_free(&res);
	server_free(&s);

	/* Not SMTP at all, with control characters made printable. */
	f.greeting = "+OK POP3 ready\001\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_TEMPFAIL);
	assert_error_says(&res, "\"+OK POP3 ready?\" is not SMTP");
	smtp_result_free(&res);
	server_free(&s);
}

static void
test_mail_failures(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;
	int			 pipelining;

	(void)state;
	for (pipelining = 0; pipelining < 2; pipelining++) {
		memset(&f, 0, sizeof(f));
		if (pipelining)
			f.ehlo = "250-fake\r\n250 PIPELINING\r\n";
		f.mail = "451 4.3.0 try again\r\n";
		if (pipelining)
			f.rcpt[0] = "503 5.5.1 need MAIL\r\n";
		if (pipelining)
			f.data = "503 5.5.1 need RCPT\r\n";
		assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1,
		    simple_msg, &s, &res), -1);
		/* The 503s after a failed MAIL say nothing of the
		 * recipient: MAIL's 451 decides. */
		assert_int_equal(res.status, SMTP_TEMPFAIL);
		assert_int_equal(res.rcpts[0].code, 451);
		assert_error_says(&res, "MAIL FROM: server said \"451");
		assert_int_equal(s.bodylen, 0);
		smtp_result_free(&res);
		server_free(&s);

		f.mail = "553 5.1.8 sender refused\r\n";
		assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1,
		    simple_msg, &s, &res), -1);
		assert_int_equal(res.status, SMTP_PERMFAIL);
		assert_int_equal(res.rcpts[0].status, SMTP_PERMFAIL);
		if (!pipelining)
			assert_false(heard_prefix(&s, "RCPT"));
		smtp_result_free(&res);
		server_free(&s);
	}
}

static void
test_rcpt_mixed(void **state)
{
	static const char *const rcpts[] = { "gone@example.net",
	    "ok@example.net", "full@example.net" };
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;
	int			 pipelining;

	(void)state;
	for (pipelining = 0; pipelining < 2; pipelining++) {
		memset(&f, 0, sizeof(f));
		if (pipelining)
			f.ehlo = "250-fake\r\n250 PIPELINING\r\n";
		f.rcpt[0] = "550 5.1.1 no such user\r\n";
		f.rcpt[2] = "452 4.2.2 mailbox full\r\n";
		assert_int_equal(exchange(&f, 0, NULL, rcpts, 3, simple_msg,
		    &s, &res), -1);
		assert_int_equal(res.nrcpts, 3);
		assert_int_equal(res.naccepted, 1);
		assert_int_equal(res.rcpts[0].status, SMTP_PERMFAIL);
		assert_int_equal(res.rcpts[0].code, 550);
		assert_int_equal(res.rcpts[1].status, SMTP_OK);
		assert_int_equal(res.rcpts[2].status, SMTP_TEMPFAIL);
		assert_string_equal(res.rcpts[2].reply,
		    "452 4.2.2 mailbox full");
		/* Permanent beats temporary for the whole. */
		assert_int_equal(res.status, SMTP_PERMFAIL);
		assert_error_says(&res, "RCPT TO:<gone@example.net>");
		assert_string_equal(s.body,
		    "Subject: hi\r\n\r\nhello\r\n.\r\n");
		smtp_result_free(&res);
		server_free(&s);
	}
}

/* RFC 2920 3.1: every RCPT refused, DATA still answered 354: the
 * client ends the data at once, sending nothing of the message. */
static void
test_pipelined_all_refused(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.ehlo = "250-fake\r\n250 PIPELINING\r\n";
	f.rcpt[0] = "550 5.1.1 no such user\r\n";
	f.end = "554 5.5.1 no valid recipients\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_string_equal(s.body, ".\r\n");
	assert_int_equal(res.rcpts[0].code, 550);
	assert_int_equal(res.status, SMTP_PERMFAIL);
	assert_true(heard(&s, "QUIT"));
	smtp_result_free(&res);
	server_free(&s);

	/* DATA properly refused: nothing sent after it. */
	f.data = "554 5.5.1 no valid recipients\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(s.bodylen, 0);
	assert_int_equal(res.rcpts[0].code, 550);
	smtp_result_free(&res);
	server_free(&s);
}

static void
test_data_failures(void **state)
{
	static const char *const rcpts[] = { "gone@example.net",
	    "ok@example.net" };
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.rcpt[0] = "550 5.1.1 no such user\r\n";
	f.data = "451 4.3.0 later\r\n";
	assert_int_equal(exchange(&f, 0, NULL, rcpts, 2, simple_msg, &s,
	    &res), -1);
	/* The refused one keeps its RCPT answer, the other gets DATA's. */
	assert_int_equal(res.rcpts[0].code, 550);
	assert_int_equal(res.rcpts[1].status, SMTP_TEMPFAIL);
	assert_int_equal(res.rcpts[1].code, 451);
	assert_int_equal(s.bodylen, 0);
	smtp_result_free(&res);
	server_free(&s);

	memset(&f, 0, sizeof(f));
	f.end = "552 5.3.4 message too big\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_PERMFAIL);
	assert_int_equal(res.rcpts[0].code, 552);
	assert_error_says(&res, "the end of the data: server said \"552");
	smtp_result_free(&res);
	server_free(&s);

	memset(&f, 0, sizeof(f));
	f.end = "451 4.7.1 greylisted\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_TEMPFAIL);
	smtp_result_free(&res);
	server_free(&s);
}

/* RFC 5321 4.2: every line of a reply carries the same code.  A reply
 * mixing them is a confused server: a temporary failure, never taken
 * as success ("250-queued / 554 rejected" would lose the message),
 * nor as the first line's failure ("451- / 250" is not a refusal to
 * trust either); for EHLO too.  The session is not trusted further: no
 * QUIT. */
static void
test_mixed_reply_codes(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.end = "250-2.0.0 queued as 1234\r\n554 5.7.1 rejected\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_TEMPFAIL);
	assert_int_equal(res.rcpts[0].status, SMTP_TEMPFAIL);
	assert_error_says(&res, "mixes reply codes 250 and 554");
	assert_false(heard(&s, "QUIT"));
	smtp_result_free(&res);
	server_free(&s);

	memset(&f, 0, sizeof(f));
	f.end = "451-4.3.0 hold on\r\n250 2.0.0 fine\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_TEMPFAIL);
	assert_error_says(&res, "mixes reply codes 451 and 250");
	smtp_result_free(&res);
	server_free(&s);

	memset(&f, 0, sizeof(f));
	f.ehlo = "250-fake.example\r\n250-PIPELINING\r\n550 8BITMIME\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_TEMPFAIL);
	assert_error_says(&res, "EHLO");
	assert_error_says(&res, "mixes reply codes 250 and 550");
	assert_false(heard_prefix(&s, "MAIL FROM:"));
	assert_int_equal(s.bodylen, 0);
	smtp_result_free(&res);
	server_free(&s);
}

/* Lost after the data: it may have been taken, so try again (a copy
 * too many beats a lost message). */
static void
test_drop_after_data(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.drop_after_data = 1;
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_TEMPFAIL);
	assert_int_equal(res.rcpts[0].status, SMTP_TEMPFAIL);
	assert_error_says(&res, "may have been taken");
	assert_string_equal(s.body, "Subject: hi\r\n\r\nhello\r\n.\r\n");
	smtp_result_free(&res);
	server_free(&s);
}

static void
test_timeouts(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;

	(void)state;
	smtp_set_timeouts(300, 300);
	memset(&f, 0, sizeof(f));
	f.silent = 1;
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_TEMPFAIL);
	assert_error_says(&res, "the greeting");
	smtp_result_free(&res);
	server_free(&s);

	memset(&f, 0, sizeof(f));
	f.hang_after_data = 1;
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_TEMPFAIL);
	assert_error_says(&res, "no answer to the end of the data");
	smtp_result_free(&res);
	server_free(&s);
	smtp_set_timeouts(5000, 5000);
}

static void
test_connection_refused(void **state)
{
	struct smtp_server	 srv;
	struct server		 s;
	struct smtp_result	 res;
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	char			*trace;
	int			 fd;

	(void)state;
	/* A port that was just free. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	memset(&s, 0, sizeof(s));
	snprintf(s.port, sizeof(s.port), "%u", ntohs(sin.sin_port));
	close(fd);
	conf_make(&srv, &s);
	assert_int_equal(run_send(&srv, NULL, one_rcpt, 1, simple_msg, &res,
	    &trace), -1);
	free(trace);
	assert_int_equal(res.status, SMTP_TEMPFAIL);
	assert_error_says(&res, "cannot connect");
	smtp_result_free(&res);
}

static void
test_auth_plain(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;
	unsigned char		 want[64];
	char			 b64[128], line[160];
	int			 n;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.ehlo = "250-fake\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME\r\n";
	assert_int_equal(exchange(&f, 1, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), 0);
	n = snprintf((char *)want, sizeof(want), "%c%s%c%s", 0, "alice", 0,
	    PASSWORD);
	EVP_EncodeBlock((unsigned char *)b64, want, n);
	snprintf(line, sizeof(line), "AUTH PLAIN %s", b64);
	assert_true(heard(&s, line));
	smtp_result_free(&res);
	server_free(&s);
}

static void
test_auth_login(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.ehlo = "250-fake\r\n250 AUTH=LOGIN\r\n";
	assert_int_equal(exchange(&f, 1, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), 0);
	assert_true(heard(&s, "AUTH LOGIN"));
	assert_true(heard(&s, "YWxpY2U="));			/* alice */
	assert_true(heard(&s, "czNjcmV0LVBhNTV3b3Jk"));	/* password */
	smtp_result_free(&res);
	server_free(&s);
}

static void
test_auth_failures(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.ehlo = "250-fake\r\n250 AUTH PLAIN\r\n";
	f.auth = "535 5.7.8 Error: authentication failed\r\n";
	assert_int_equal(exchange(&f, 1, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_PERMFAIL);
	assert_error_says(&res, "AUTH PLAIN: server said \"535 5.7.8");
	assert_non_null(strstr(res.error, "check user"));
	assert_null(strstr(res.error, PASSWORD));
	assert_false(heard_prefix(&s, "MAIL"));
	smtp_result_free(&res);
	server_free(&s);

	f.auth = "454 4.7.0 temporary authentication failure\r\n";
	assert_int_equal(exchange(&f, 1, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_TEMPFAIL);
	smtp_result_free(&res);
	server_free(&s);

	/* Nothing auto can choose. */
	f.ehlo = "250-fake\r\n250 AUTH CRAM-MD5 GSSAPI\r\n";
	assert_int_equal(exchange(&f, 1, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_PERMFAIL);
	assert_error_says(&res, "AUTH CRAM-MD5 GSSAPI");
	assert_false(heard_prefix(&s, "AUTH"));
	smtp_result_free(&res);
	server_free(&s);

	/* No AUTH at all while a login is configured. */
	f.ehlo = "250-fake\r\n250 8BITMIME\r\n";
	assert_int_equal(exchange(&f, 1, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_error_says(&res, "offers no AUTH");
	smtp_result_free(&res);
	server_free(&s);
}

static void
test_xoauth2_error(void **state)
{
	struct smtp_server	 srv;
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;
	char			*trace;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.ehlo = "250-fake\r\n250 AUTH PLAIN XOAUTH2\r\n";
	f.xoauth2_json = "{\"status\":\"401\",\"schemes\":\"Bearer\"}";
	server_start(&s, &f);
	conf_make(&srv, &s);
	conf_login(&srv);
	srv.ep.auth = AUTH_XOAUTH2;
	assert_int_equal(run_send(&srv, NULL, one_rcpt, 1, simple_msg, &res,
	    &trace), -1);
	free(trace);
	server_wait(&s);
	assert_int_equal(res.status, SMTP_PERMFAIL);
	assert_error_says(&res, "the token was refused "
	    "({\"status\":\"401\"");
	/* The empty answer to the error challenge. */
	assert_true(heard(&s, ""));
	smtp_result_free(&res);
	server_free(&s);
}

/* tls none without allow-plaintext-auth: no credentials, not even a
 * try; STARTTLS wanted but not offered: nothing either. */
static void
test_plaintext_credentials_refused(void **state)
{
	struct smtp_server	 srv;
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;
	char			*trace;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.ehlo = "250-fake\r\n250 AUTH PLAIN LOGIN\r\n";
	server_start(&s, &f);
	conf_make(&srv, &s);
	conf_login(&srv);
	srv.ep.allow_plaintext_auth = 0;
	assert_int_equal(run_send(&srv, NULL, one_rcpt, 1, simple_msg, &res,
	    &trace), -1);
	server_wait(&s);
	assert_int_equal(res.status, SMTP_PERMFAIL);
	assert_error_says(&res, "refusing to send credentials in plaintext");
	assert_false(heard_prefix(&s, "AUTH"));
	assert_false(heard_prefix(&s, "MAIL"));
	assert_null(strstr(s.log, "YWxpY2U"));
	free(trace);
	smtp_result_free(&res);
	server_free(&s);

	server_start(&s, &f);
	conf_make(&srv, &s);
	conf_login(&srv);
	srv.ep.tls = TLS_STARTTLS;
	assert_int_equal(run_send(&srv, NULL, one_rcpt, 1, simple_msg, &res,
	    &trace), -1);
	server_wait(&s);
	assert_int_equal(res.status, SMTP_TEMPFAIL);
	assert_error_says(&res, "does not offer STARTTLS");
	assert_false(heard_prefix(&s, "AUTH"));
	free(trace);
	smtp_result_free(&res);
	server_free(&s);
}

/* STARTTLS answered with anything but 220: nothing more in the clear
 * than a QUIT, no AUTH, no mail. */
static void
test_starttls_refused(void **state)
{
	struct smtp_server	 srv;
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;
	char			*trace;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.ehlo = "250-fake\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n";
	f.starttls = "454 4.7.0 TLS not available due to local problem\r\n";
	server_start(&s, &f);
	conf_make(&srv, &s);
	conf_login(&srv);
	srv.ep.tls = TLS_STARTTLS;
	assert_int_equal(run_send(&srv, NULL, one_rcpt, 1, simple_msg, &res,
	    &trace), -1);
	server_wait(&s);
	assert_int_equal(res.status, SMTP_TEMPFAIL);
	assert_error_says(&res, "STARTTLS: server said \"454 4.7.0");
	assert_false(heard_prefix(&s, "AUTH"));
	assert_false(heard_prefix(&s, "MAIL"));
	free(trace);
	smtp_result_free(&res);
	server_free(&s);
}

/* A reply that is not SMTP, or a line over the limit, leaves the
 * stream out of step: the connection is dropped without QUIT. */
static void
test_broken_reply_no_quit(void **state)
{
	static char		 longline[6000];
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.mail = "250 2.1.0 Ok\r\n<html>oops</html>\r\n";
	f.rcpt[0] = "hello there\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_error_says(&res, "is not SMTP");
	assert_false(heard(&s, "QUIT"));
	assert_false(heard(&s, "DATA"));
	smtp_result_free(&res);
	server_free(&s);

	memset(longline, 'x', sizeof(longline) - 3);
	memcpy(longline, "250 ", 4);
	memcpy(longline + sizeof(longline) - 3, "\r\n", 3);
	memset(&f, 0, sizeof(f));
	f.mail = longline;
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_error_says(&res, "longer than");
	assert_false(heard(&s, "QUIT"));
	smtp_result_free(&res);
	server_free(&s);
}

/* A refusal's text reaches the result (and so the log and the state)
 * without its escape sequences. */
static void
test_reply_text_clean(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;
	const char		*p;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.mail = "550-5.1.0 \x1b]0;pwned\x07\x1b[2Jno\x9b" "31m\r\n"
	    "550 5.1.0 such \xc2\x9b" "0muser\x7f\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_error_says(&res, "MAIL FROM: server said \"550 5.1.0 ?]0;pwned"
	    "??[2Jno?31m 5.1.0 such ??0muser?\"");
	for (p = res.rcpts[0].reply; *p != '\0'; p++)
		assert_true((unsigned char)*p >= 0x20 &&
		    (unsigned char)*p < 0x7f);
	smtp_result_free(&res);
	server_free(&s);
}

/* Bytes sent with the 220 to STARTTLS would pass for answers given
 * inside TLS: refused (CVE-2011-0411). */
static void
test_starttls_injection(void **state)
{
	struct smtp_server	 srv;
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;
	char			*trace;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.ehlo = "250-fake\r\n250 STARTTLS\r\n";
	f.starttls = "220 2.0.0 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n";
	server_start(&s, &f);
	conf_make(&srv, &s);
	conf_login(&srv);
	srv.ep.tls = TLS_STARTTLS;
	assert_int_equal(run_send(&srv, NULL, one_rcpt, 1, simple_msg, &res,
	    &trace), -1);
	server_wait(&s);
	assert_int_equal(res.status, SMTP_TEMPFAIL);
	assert_error_says(&res, "STARTTLS injection");
	free(trace);
	smtp_result_free(&res);
	server_free(&s);
}

static void
test_extensions_needed(void **state)
{
	static const char eight[] = "Subject: caf\xc3\xa9\r\n\r\nna\xc3\xafve\r\n";
	static const char *const utf8_rcpt[] = { "j\xc3\xb6rg@example.net" };
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;

	(void)state;
	/* 8-bit data with 8BITMIME: BODY=8BITMIME, bytes untouched. */
	memset(&f, 0, sizeof(f));
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, eight, &s, &res),
	    0);
	assert_true(heard(&s, "MAIL FROM:<sender@example.org> BODY=8BITMIME"));
	assert_string_equal(s.body, "Subject: caf\xc3\xa9\r\n\r\nna\xc3\xafve"
	    "\r\n.\r\n");
	smtp_result_free(&res);
	server_free(&s);

	/* Without it: refused here, before MAIL. */
	f.ehlo = "250-fake\r\n250 SIZE 100000\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, eight, &s, &res),
	    -1);
	assert_int_equal(res.status, SMTP_PERMFAIL);
	assert_error_says(&res, "8BITMIME");
	assert_false(heard_prefix(&s, "MAIL"));
	smtp_result_free(&res);
	server_free(&s);

	/* A non-ASCII address needs SMTPUTF8. */
	f.ehlo = "250-fake\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
	assert_int_equal(exchange(&f, 0, NULL, utf8_rcpt, 1, simple_msg, &s,
	    &res), 0);
	assert_true(heard(&s, "MAIL FROM:<sender@example.org> SMTPUTF8"));
	assert_true(heard(&s, "RCPT TO:<j\xc3\xb6rg@example.net>"));
	smtp_result_free(&res);
	server_free(&s);
	f.ehlo = "250-fake\r\n250 8BITMIME\r\n";
	assert_int_equal(exchange(&f, 0, NULL, utf8_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_PERMFAIL);
	assert_error_says(&res, "SMTPUTF8");
	smtp_result_free(&res);
	server_free(&s);

	/* Over the SIZE limit: refused before MAIL. */
	f.ehlo = "250-fake\r\n250 SIZE 10\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_int_equal(res.status, SMTP_PERMFAIL);
	assert_error_says(&res, "(22 bytes) is over the server's limit of 10");
	assert_false(heard_prefix(&s, "MAIL"));
	smtp_result_free(&res);
	server_free(&s);
}

/*
 * UTF-8 in the header alone (a raw address in From, a raw subject) goes
 * as 8BITMIME, with or without SMTPUTF8 offered: requesting SMTPUTF8
 * made Postfix bounce it at an LMTP hop without it (test-mta.sh).
 */
static void
test_utf8_header(void **state)
{
	static const char hdr[] = "From: J\xc3\xb6rg <j\xc3\xb6rg@example.org>"
	    "\r\nSubject: hi\r\n\r\nhello\r\n";
	static const char *const ehlos[] = {
		"250-fake\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
		"250-fake\r\n250 8BITMIME\r\n",
	};
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(ehlos) / sizeof(ehlos[0]); i++) {
		memset(&f, 0, sizeof(f));
		f.ehlo = ehlos[i];
		assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, hdr, &s,
		    &res), 0);
		assert_true(heard(&s,
		    "MAIL FROM:<sender@example.org> BODY=8BITMIME"));
		smtp_result_free(&res);
		server_free(&s);
	}
}

static void
test_helo_fallback(void **state)
{
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.ehlo = "502 5.5.2 what is EHLO\r\n";
	assert_int_equal(exchange(&f, 0, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), 0);
	assert_true(heard_prefix(&s, "HELO "));
	assert_true(heard(&s, "MAIL FROM:<sender@example.org>"));
	smtp_result_free(&res);
	server_free(&s);

	/* Never with a login to do: AUTH needs EHLO. */
	assert_int_equal(exchange(&f, 1, NULL, one_rcpt, 1, simple_msg, &s,
	    &res), -1);
	assert_false(heard_prefix(&s, "HELO "));
	assert_error_says(&res, "EHLO: server said \"502");
	smtp_result_free(&res);
	server_free(&s);
}

static void
test_null_sender_and_bad_addresses(void **state)
{
	static const char *const rcpts[] = { "ok@example.net",
	    "evil@example.net>\r\nRSET", "", "sp ace@example.net" };
	struct fake		 f;
	struct server		 s;
	struct smtp_result	 res;
	struct smtp_server	 srv;
	char			*trace;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(exchange(&f, 0, "", rcpts, 4, simple_msg, &s, &res),
	    -1);
	assert_true(heard(&s, "MAIL FROM:<>"));
	assert_true(heard(&s, "RCPT TO:<ok@example.net>"));
	assert_false(heard(&s, "RSET"));
	assert_int_equal(res.naccepted, 1);
	assert_int_equal(res.rcpts[0].status, SMTP_OK);
	assert_int_equal(res.rcpts[1].status, SMTP_PERMFAIL);
	assert_int_equal(res.rcpts[2].status, SMTP_PERMFAIL);
	assert_int_equal(res.rcpts[3].status, SMTP_PERMFAIL);
	assert_non_null(strstr(res.rcpts[1].reply, "not sent"));
	smtp_result_free(&res);
	server_free(&s);

	/* A bad sender: nothing is sent at all, no connection either. */
	memset(&s, 0, sizeof(s));
	snprintf(s.port, sizeof(s.port), "1");
	conf_make(&srv, &s);
	assert_int_equal(run_send(&srv, "a@b\r\nRSET", one_rcpt, 1,
	    simple_msg, &res, &trace), -1);
	assert_int_equal(res.status, SMTP_PERMFAIL);
	assert_error_says(&res, "envelope sender");
	free(trace);
	smtp_result_free(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_lockstep),
		cmocka_unit_test(test_pipelining_used),
		cmocka_unit_test(test_pipelining_window),
		cmocka_unit_test(test_endless_reply),
		cmocka_unit_test(test_dot_stuffing_exact),
		cmocka_unit_test(test_large_message),
		cmocka_unit_test(test_multiline_replies),
		cmocka_unit_test(test_greeting_failures),
		cmocka_unit_test(test_mail_failures),
		cmocka_unit_test(test_rcpt_mixed),
		cmocka_unit_test(test_pipelined_all_refused),
		cmocka_unit_test(test_data_failures),
		cmocka_unit_test(test_mixed_reply_codes),
		cmocka_unit_test(test_drop_after_data),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_auth_plain),
		cmocka_unit_test(test_auth_login),
		cmocka_unit_test(test_auth_failures),
		cmocka_unit_test(test_xoauth2_error),
		cmocka_unit_test(test_plaintext_credentials_refused),
		cmocka_unit_test(test_starttls_injection),
		cmocka_unit_test(test_starttls_refused),
		cmocka_unit_test(test_broken_reply_no_quit),
		cmocka_unit_test(test_reply_text_clean),
		cmocka_unit_test(test_extensions_needed),
		cmocka_unit_test(test_utf8_header),
		cmocka_unit_test(test_helo_fallback),
		cmocka_unit_test(test_null_sender_and_bad_addresses),
	};

	signal(SIGPIPE, SIG_IGN);
	log_init(0, LOG_LEVEL_ERROR);
	smtp_set_timeouts(5000, 5000);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

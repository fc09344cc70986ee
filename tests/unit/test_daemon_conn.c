/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_conn.c - the connection layer (daemon/net/conn.c, daemon/net/tls.c).
 *
 * Each test talks to a server forked from this process, listening on an
 * ephemeral loopback port and running one small script written here
 * with plain sockets and the OpenSSL API.  The PKI - a test CA, a second
 * CA nobody trusts, a server certificate for localhost, 127.0.0.1 and
 * ::1 and one for wrong.example - is made with the OpenSSL API at start
 * in a temp dir that is removed at the end.  A server that outlives its
 * test is killed by the teardown, and by its own alarm in any case.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "daemon/net/conn.h"
#include "daemon/util/log.h"

#define TIMEOUT_MS	5000
#define BIG_SIZE	(3 * 1024 * 1024)
#define FP_SIZE		(7 + 32 * 3)

struct pki {
	char		 dir[64];
	char		 ca_path[128];
	char		 other_path[128];
	char		 junk_path[128];
	char		 leaf_path[128];	/* the server's own cert */
	EVP_PKEY	*ca_key;
	EVP_PKEY	*other_key;
	EVP_PKEY	*srv_key;
	X509		*ca;
	X509		*other;
	X509		*srv;		/* localhost, 127.0.0.1, ::1 */
	X509		*wrong;		/* wrong.example */
	X509		*expired;	/* localhost, ended yesterday */
	char		 srv_fp[FP_SIZE];	/* "sha256:AB:..." */
	char		 srv_fp_bare[65];	/* lower case, no colons */
	char		 ca_fp[FP_SIZE];
};

/* What the child does after accepting; 0 is success (exit status 0). */
struct peer;
typedef int	(*script_fn)(struct peer *);

struct script {
	script_fn	 fn;
	int		 implicit_tls;
	X509		*cert;		/* NULL: pki.srv */
	int		 max_version;	/* 0: OpenSSL's default range */
};

struct peer {
	int		 fd;
	SSL_CTX		*ctx;
	SSL		*ssl;
};

struct server {
	pid_t		 pid;
	char		 port[16];
};

static struct pki	 pki;
static struct server	 srv;

/* Deterministic bytes, the same in the server and in the test. */
static void
payload_fill(char *buf, size_t n)
{
	uint64_t	 s = 0x9e3779b97f4a7c15ULL;
	size_t		 i;

	for (i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		buf[i] = (char)(s >> 24);
	}
}

static void
fingerprint_of(X509 *cert, char *colons, char *bare)
{
	static const char	 upper[] = "0123456789ABCDEF";
	static const char	 lower[] = "0123456789abcdef";
	unsigned char		 md[32];
	unsigned int		 len = sizeof(md);
	size_t			 i;

	assert_int_equal(X509_digest(cert, EVP_sha256(), md, &len), 1);
	assert_int_equal(len, 32);
	strcpy(colons, "sha256:");
	for (i = 0; i < 32; i++) {
		colons[7 + i * 3] = upper[md[i] >> 4];
		colons[7 + i * 3 + 1] = upper[md[i] & 0xf];
		colons[7 + i * 3 + 2] = i == 31 ? '\0' : ':';
		if (bare != NULL) {
			bare[i * 2] = lower[md[i] >> 4];
			bare[i * 2 + 1] = lower[md[i] & 0xf];
		}
	}
	if (bare != NULL)
		bare[64] = '\0';
}

/* PKI */

static EVP_PKEY *
key_make(void)
{
	EVP_PKEY	*key;

	key = EVP_EC_gen("P-256");
	assert_non_null(key);
	return key;
}

/* issuer NULL: self-signed CA; otherwise a server certificate. */
static X509 *
cert_make(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
    const char *san, long serial, long days)
{
	X509		*x;
	X509_NAME	*name;
	X509V3_CTX	 v3;
	X509_EXTENSION	*ext;

	assert_non_null(x = X509_new());
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial),
	    1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x),
	    days > 0 ? -3600 : -3 * 86400));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), days * 86400));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name), 1);
	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	if (san != NULL)
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	else
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
		    "critical,CA:TRUE");
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, issuer_key != NULL ? issuer_key : key,
	    EVP_sha256()) > 0);
	return x;
}

static void
pem_save(const char *path, X509 *cert)
{
	FILE	*f;

	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(PEM_write_X509(f, cert), 1);
	assert_int_equal(fclose(f), 0);
}

static int
pki_setup(void **state)
{
	FILE	*f;

	(void)state;
	snprintf(pki.dir, sizeof(pki.dir), "/tmp/mailsift-conn-XXXXXX");
	assert_non_null(mkdtemp(pki.dir));
	snprintf(pki.ca_path, sizeof(pki.ca_path), "%s/ca.pem", pki.dir);
	snprintf(pki.other_path, sizeof(pki.other_path), "%s/other.pem",
	    pki.dir);
	snprintf(pki.junk_path, sizeof(pki.junk_path), "%s/junk.pem",
	    pki.dir);
	pki.ca_key = key_make();
	pki.other_key = key_make();
	pki.srv_key = key_make();
	snprintf(pki.leaf_path, sizeof(pki.leaf_path), "%s/leaf.pem",
	    pki.dir);
	pki.ca = cert_make("mailsift test CA", pki.ca_key, NULL, NULL, NULL,
	    1, 1);
	pki.other = cert_make("untrusted CA", pki.other_key, NULL, NULL, NULL,
	    2, 1);
	pki.srv = cert_make("localhost", pki.srv_key, pki.ca, pki.ca_key,
	    "DNS:localhost,IP:127.0.0.1,IP:::1", 3, 1);
	pki.wrong = cert_make("wrong.example", pki.srv_key, pki.ca, pki.ca_key,
	    "DNS:wrong.example", 4, 1);
	pki.expired = cert_make("localhost", pki.srv_key, pki.ca, pki.ca_key,
	    "DNS:localhost", 5, -1);
	pem_save(pki.ca_path, pki.ca);
	pem_save(pki.other_path, pki.other);
	pem_save(pki.leaf_path, pki.srv);
	assert_non_null(f = fopen(pki.junk_path, "w"));
	assert_true(fputs("this is not a certificate\n", f) >= 0);
	assert_int_equal(fclose(f), 0);
	fingerprint_of(pki.srv, pki.srv_fp, pki.srv_fp_bare);
	fingerprint_of(pki.ca, pki.ca_fp, NULL);
	return 0;
}

static int
pki_teardown(void **state)
{
	(void)state;
	unlink(pki.ca_path);
	unlink(pki.other_path);
	unlink(pki.junk_path);
	unlink(pki.leaf_path);
	rmdir(pki.dir);
	X509_free(pki.ca);
	X509_free(pki.other);
	X509_free(pki.srv);
	X509_free(pki.wrong);
	X509_free(pki.expired);
	EVP_PKEY_free(pki.ca_key);
	EVP_PKEY_free(pki.other_key);
	EVP_PKEY_free(pki.srv_key);
	return 0;
}

/* The server side, in the child: blocking I/O, no cmocka. */

static int
peer_send(struct peer *p, const void *buf, size_t n)
{
	const char	*b = buf;
	size_t		 done;
	ssize_t		 r;

	while (n > 0) {
		if (p->ssl != NULL) {
			if (SSL_write_ex(p->ssl, b, n, &done) != 1)
				return -1;
		} else {
			if ((r = send(p->fd, b, n, MSG_NOSIGNAL)) <= 0)
				return -1;
			done = (size_t)r;
		}
		b += done;
		n -= done;
	}
	return 0;
}

static int
peer_say(struct peer *p, const char *s)
{
	return peer_send(p, s, strlen(s));
}

/* Some bytes; 0 at EOF, -1 on error. */
static ssize_t
peer_recv(struct peer *p, char *buf, size_t n)
{
	size_t	 done;

	if (p->ssl == NULL)
		return recv(p->fd, buf, n, 0);
	if (SSL_read_ex(p->ssl, buf, n, &done) == 1)
		return (ssize_t)done;
	return SSL_get_error(p->ssl, 0) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

/* One line without CR LF, a byte at a time so that nothing after it is
 * consumed (STARTTLS). */
static int
peer_line(struct peer *p, char *buf, size_t size)
{
	size_t	 n = 0;
	char	 ch;

	for (;;) {
		if (peer_recv(p, &ch, 1) != 1)
			return -1;
		if (ch == '\n')
			break;
		if (n + 1 < size)
			buf[n++] = ch;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

static int
peer_expect(struct peer *p, const char *want)
{
	char	 line[512];

	if (peer_line(p, line, sizeof(line)) == -1)
		return -1;
	return strcmp(line, want) == 0 ? 0 : -1;
}

/* Wait for the client to hang up. */
static int
peer_drain(struct peer *p)
{
	char	 buf[4096];
	ssize_t	 n;

	while ((n = peer_recv(p, buf, sizeof(buf))) > 0)
		;
	return 0;
}

static int
peer_tls(struct peer *p, X509 *cert, int max_version)
{
	if ((p->ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return -1;
	if (max_version != 0) {
		SSL_CTX_set_security_level(p->ctx, 0);
		if (SSL_CTX_set_min_proto_version(p->ctx, 0) != 1 ||
		    SSL_CTX_set_max_proto_version(p->ctx, max_version) != 1 ||
		    SSL_CTX_set_cipher_list(p->ctx, "DEFAULT:@SECLEVEL=0") != 1)
			return -1;
	}
	if (SSL_CTX_use_certificate(p->ctx, cert != NULL ? cert : pki.srv) !=
	    1 || SSL_CTX_use_PrivateKey(p->ctx, pki.srv_key) != 1)
		return -1;
	if ((p->ssl = SSL_new(p->ctx)) == NULL ||
	    SSL_set_fd(p->ssl, p->fd) != 1)
		return -1;
	return SSL_accept(p->ssl) == 1 ? 0 : -1;
}

static void
server_child(int lfd, const struct script *s)
{
	struct peer	 p;
	int		 r;

	alarm(10);
	signal(SIGPIPE, SIG_IGN);
	memset(&p, 0, sizeof(p));
	if ((p.fd = accept(lfd, NULL, NULL)) == -1)
		_exit(2);
	close(lfd);
	if (s->implicit_tls && peer_tls(&p, s->cert, s->max_version) == -1)
		_exit(3);
	r = s->fn(&p);
	if (p.ssl != NULL && r == 0)
		SSL_shutdown(p.ssl);
	close(p.fd);
	_exit(r == 0 ? 0 : 1);
}

/* 0, or -1 if the address family has no loopback here. */
static int
server_start(int family, const struct script *s)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	int			 fd;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET6) {
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	} else {
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	}
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		close(fd);
		return -1;
	}
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	snprintf(srv.port, sizeof(srv.port), "%u", family == AF_INET6 ?
	    ntohs(sin6->sin6_port) : ntohs(sin->sin_port));
	fflush(stdout);
	fflush(stderr);
	srv.pid = fork();
	assert_true(srv.pid != -1);
	if (srv.pid == 0)
		server_child(fd, s);
	close(fd);
	return 0;
}

/* The child's exit status: 0 when its script saw what it expected. */
static int
server_wait(void)
{
	int	 status;

	assert_true(srv.pid > 0);
	assert_int_equal(waitpid(srv.pid, &status, 0), srv.pid);
	srv.pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* stderr (where the log goes) into a file for a while; one at a time, and
 * global so that the teardown can end one a failed test left running. */
static struct {
	char	 path[160];
	int	 saved;
	int	 active;
	char	*text;		/* what capture_end read */
} capture;

static void
capture_restore(void)
{
	if (!capture.active)
		return;
	fflush(stderr);
	dup2(capture.saved, 2);
	close(capture.saved);
	unlink(capture.path);
	capture.active = 0;
}

static void
capture_free(void)
{
	capture_restore();
	free(capture.text);
	capture.text = NULL;
}

static void
capture_start(void)
{
	int	 fd;

	snprintf(capture.path, sizeof(capture.path), "%s/log.XXXXXX",
	    pki.dir);
	assert_true((fd = mkstemp(capture.path)) != -1);
	fflush(stderr);
	assert_true((capture.saved = dup(2)) != -1);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	capture.active = 1;
}

/* The captured text, kept until the teardown. */
static const char *
capture_end(void)
{
	FILE	*f;
	long	 n;

	f = fopen(capture.path, "r");
	capture_restore();
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	assert_true((n = ftell(f)) >= 0);
	rewind(f);
	assert_non_null(capture.text = calloc(1, (size_t)n + 1));
	assert_int_equal(fread(capture.text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return capture.text;
}

static int
server_teardown(void **state)
{
	(void)state;
	if (srv.pid > 0) {
		kill(srv.pid, SIGKILL);
		waitpid(srv.pid, NULL, 0);
		srv.pid = 0;
	}
	capture_free();
	log_set_level(LOG_LEVEL_INFO);
	return 0;
}

static struct conn *
client_open(const char *host)
{
	struct conn	*c;
	char		 err[1024];

	c = conn_open(host, srv.port, TIMEOUT_MS, err, sizeof(err));
	if (c == NULL)
		fail_msg("conn_open %s:%s: %s", host, srv.port, err);
	return c;
}

static void
client_expect(struct conn *c, const char *want)
{
	const char	*line;
	size_t		 len;

	if (conn_read_line(c, &line, &len, 1000) == -1)
		fail_msg("reading \"%s\": %s", want, conn_error(c));
	assert_int_equal(len, strlen(want));
	assert_string_equal(line, want);
}

static void
assert_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		fail_msg("\"%s\" not in \"%s\"", needle, haystack);
}

static void
assert_not_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) != NULL)
		fail_msg("\"%s\" in \"%s\"", needle, haystack);
}

/* Scripts */

static int
script_lines(struct peer *p)
{
	static const char	 nul_line[] = "nul\0inside\r\n";

	if (peer_say(p, "* OK hello\r\nbare lf\n\r\nsplit ") == -1 ||
	    peer_say(p, "across sends\r\n") == -1 ||
	    peer_send(p, nul_line, sizeof(nul_line) - 1) == -1 ||
	    peer_say(p, "cr\rinside\n") == -1)
		return -1;
	if (peer_expect(p, "a1 NOOP") == -1)
		return -1;
	return peer_say(p, "a1 OK noop done\r\n");
}

static int
script_long_lines(struct peer *p)
{
	char	*buf;
	int	 r;

	if ((buf = malloc(100002 + 2)) == NULL)
		return -1;
	memset(buf, 'x', 100000);
	memcpy(buf + 100000, "\r\n", 2);
	r = peer_send(p, buf, 100002);
	memset(buf, 'y', 100001);
	memcpy(buf + 100001, "\r\n", 2);
	if (r == 0)
		r = peer_send(p, buf, 100003);
	free(buf);
	if (r == 0)
		r = peer_drain(p);
	return r;
}

static int
script_short_lines(struct peer *p)
{
	if (peer_say(p, "abcde\r\nabcdef\r\n") == -1)
		return -1;
	return peer_drain(p);
}

/* A literal as IMAP sends it, cut at odd places. */
static int
script_big(struct peer *p)
{
	static const char	 head[] = "* 1 FETCH (BODY[] {3145728}\r\n";
	char			*buf;
	size_t			 off, chunk;
	int			 r = -1;

	if ((buf = malloc(BIG_SIZE)) == NULL)
		return -1;
	payload_fill(buf, BIG_SIZE);
	if (peer_say(p, head) == -1 || peer_send(p, buf, 1000) == -1)
		goto out;
	for (off = 1000; off < BIG_SIZE; off += chunk) {
		chunk = BIG_SIZE - off < 77777 ? BIG_SIZE - off : 77777;
		if (peer_send(p, buf + off, chunk) == -1)
			goto out;
	}
	if (peer_say(p, ")\r\n* 2 after\r\n") == -1)
		goto out;
	r = peer_drain(p);
out:
	free(buf);
	return r;
}

static int
script_silent(struct peer *p)
{
	return peer_drain(p);
}

/* The greeting tells the SNI name the client sent. */
static int
script_echo(struct peer *p)
{
	const char	*sni;
	char		 line[512], reply[600];

	sni = SSL_get_servername(p->ssl, TLSEXT_NAMETYPE_host_name);
	snprintf(reply, sizeof(reply), "* OK tls sni=%s\r\n",
	    sni != NULL ? sni : "none");
	if (peer_say(p, reply) == -1 ||
	    peer_line(p, line, sizeof(line)) == -1)
		return -1;
	snprintf(reply, sizeof(reply), "got %s\r\n", line);
	if (peer_say(p, reply) == -1)
		return -1;
	return peer_drain(p);
}

static int
script_plain_greeting(struct peer *p)
{
	if (peer_say(p, "* OK plain text here\r\n") == -1)
		return -1;
	return peer_drain(p);
}

static int
script_starttls(struct peer *p)
{
	char	 line[512], reply[600];

	if (peer_say(p, "* OK ready\r\n") == -1 ||
	    peer_expect(p, "a STARTTLS") == -1 ||
	    peer_say(p, "a OK go ahead\r\n") == -1 ||
	    peer_tls(p, NULL, 0) == -1)
		return -1;
	if (peer_say(p, "* OK inside\r\n") == -1 ||
	    peer_line(p, line, sizeof(line)) == -1)
		return -1;
	snprintf(reply, sizeof(reply), "got %s\r\n", line);
	if (peer_say(p, reply) == -1)
		return -1;
	return peer_drain(p);
}

static int
script_inject(struct peer *p)
{
	if (peer_say(p, "* OK ready\r\n") == -1 ||
	    peer_expect(p, "a STARTTLS") == -1 ||
	    peer_say(p, "a OK go ahead\r\n* OK injected\r\n") == -1)
		return -1;
	return peer_drain(p);
}

static int
script_trace(struct peer *p)
{
	if (peer_say(p, "* OK hi\r\nesc \x1b[31m red \x9b" "2J \xc2\x9b"
	    "0m caf\xc3\xa9\r\n") == -1 ||
	    peer_expect(p, "a1 CAPABILITY") == -1 ||
	    peer_expect(p, "a2 LOGIN user hunter2") == -1)
		return -1;
	if (peer_say(p, "* 1 FETCH {12}\r\nbodysecret!!\r\na2 OK\r\n") == -1)
		return -1;
	return peer_drain(p);
}

static int
script_idle(struct peer *p)
{
	if (peer_expect(p, "a IDLE") == -1 ||
	    peer_say(p, "+ idling\r\n* 1 EXISTS\r\n") == -1)
		return -1;
	return peer_drain(p);
}

static int
script_bye(struct peer *p)
{
	return peer_say(p, "BYE\r\n");
}

static int
script_partial(struct peer *p)
{
	return peer_say(p, "partial line wi");
}

/* A byte every 100 ms, never a whole line: each wait is short, so only
 * an overall deadline ends it.  Done when the client hangs up. */
static int
script_trickle(struct peer *p)
{
	int	 i;

	for (i = 0; i < 60; i++) {
		if (peer_say(p, "x") == -1)
			return 0;
		usleep(100 * 1000);
	}
	return peer_drain(p);
}

/* A line, then nothing until the client hangs up. */
static int
script_stall(struct peer *p)
{
	if (peer_say(p, "* OK hi\r\n* 1 FETCH (BODY[] {10}\r\nabc") == -1)
		return -1;
	return peer_drain(p);
}

/* What test_write_paths sends, byte for byte. */
#define WRITE_LINE	60000
#define WRITE_RAW	200000

static int
script_write_sink(struct peer *p)
{
	char	*want, *got, reply[64];
	size_t	 total = 3 + WRITE_LINE + 2 + WRITE_RAW, off = 0;
	ssize_t	 n;
	int	 r = -1;

	want = malloc(total);
	got = malloc(total);
	if (want == NULL || got == NULL)
		goto out;
	memcpy(want, "a\r\n", 3);
	memset(want + 3, 'w', WRITE_LINE);
	memcpy(want + 3 + WRITE_LINE, "\r\n", 2);
	payload_fill(want + 5 + WRITE_LINE, WRITE_RAW);
	while (off < total) {
		if ((n = peer_recv(p, got + off, total - off)) <= 0)
			goto out;
		off += (size_t)n;
	}
	if (memcmp(want, got, total) != 0)
		goto out;
	snprintf(reply, sizeof(reply), "got %zu\r\n", total);
	if (peer_say(p, reply) == -1)
		goto out;
	r = peer_drain(p);
out:
	free(want);
	free(got);
	return r;
}

/* Tests: plain TCP */

static void
test_lines(void **state)
{
	static const struct script	 s = { script_lines, 0, NULL, 0 };
	struct conn			*c;
	const char			*line;
	size_t				 len;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = client_open("127.0.0.1");
	assert_int_equal(conn_is_tls(c), 0);
	client_expect(c, "* OK hello");
	client_expect(c, "bare lf");
	client_expect(c, "");
	client_expect(c, "split across sends");
	assert_int_equal(conn_read_line(c, &line, &len, 1000), 0);
	assert_int_equal(len, 10);
	assert_memory_equal(line, "nul\0inside", 10);
	/* Only a CR right before the LF belongs to the line end. */
	client_expect(c, "cr\rinside");
	assert_int_equal(conn_printf(c, "a%d NOOP\r\n", 1), 0);
	assert_int_equal(conn_flush(c), 0);
	client_expect(c, "a1 OK noop done");
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

static void
test_long_line(void **state)
{
	static const struct script	 s = { script_long_lines, 0, NULL, 0 };
	struct conn			*c;
	const char			*line;
	char				 err[1024];
	size_t				 len, i;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = client_open("127.0.0.1");
	/* Longer than the 64 KB buffer, exactly the limit: fine. */
	assert_int_equal(conn_read_line(c, &line, &len, 100000), 0);
	assert_int_equal(len, 100000);
	for (i = 0; i < len; i++)
		if (line[i] != 'x')
			fail_msg("byte %zu is %d", i, line[i]);
	assert_int_equal(line[len], '\0');
	assert_int_equal(conn_read_line(c, &line, &len, 100000), -1);
	assert_contains(conn_error(c), "longer than 100000 bytes");
	assert_contains(conn_error(c), "127.0.0.1:");
	/* A failed connection stays failed, with the first reason. */
	snprintf(err, sizeof(err), "%s", conn_error(c));
	assert_int_equal(conn_read_line(c, &line, &len, 1000000), -1);
	assert_int_equal(conn_printf(c, "x\r\n"), -1);
	assert_string_equal(conn_error(c), err);
	conn_close(c);
}

static void
test_line_max_exact(void **state)
{
	static const struct script	 s = { script_short_lines, 0, NULL, 0 };
	struct conn			*c;
	const char			*line;
	size_t				 len;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = client_open("127.0.0.1");
	assert_int_equal(conn_read_line(c, &line, &len, 5), 0);
	assert_int_equal(len, 5);
	assert_string_equal(line, "abcde");
	assert_int_equal(conn_read_line(c, &line, &len, 5), -1);
	assert_contains(conn_error(c), "longer than 5 bytes");
	conn_close(c);
}

/* Reads in odd sizes straddle the buffer and the direct path. */
static void
read_big(struct conn *c)
{
	static const size_t	 steps[] = { 1, 7, 65536, 100000, 3000,
	    16383, 16384, 200001 };
	char			*want, *got;
	size_t			 off = 0, i, n;

	client_expect(c, "* 1 FETCH (BODY[] {3145728}");
	assert_non_null(want = malloc(BIG_SIZE));
	assert_non_null(got = malloc(BIG_SIZE));
	payload_fill(want, BIG_SIZE);
	memset(got, 0, BIG_SIZE);
	for (i = 0; off < BIG_SIZE; i++) {
		n = i < sizeof(steps) / sizeof(steps[0]) ? steps[i] :
		    BIG_SIZE - off;
		if (conn_read_bytes(c, got + off, n) == -1)
			fail_msg("read_bytes %zu at %zu: %s", n, off,
			    conn_error(c));
		off += n;
	}
	assert_memory_equal(want, got, BIG_SIZE);
	free(want);
	free(got);
	client_expect(c, ")");
	client_expect(c, "* 2 after");
}

static void
test_read_bytes_plain(void **state)
{
	static const struct script	 s = { script_big, 0, NULL, 0 };
	struct conn			*c;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = client_open("127.0.0.1");
	read_big(c);
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

static void
test_read_bytes_tls(void **state)
{
	static const struct script	 s = { script_big, 1, NULL, 0 };
	struct tls_opts			 o = { 1, pki.ca_path, NULL };
	struct conn			*c;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = client_open("127.0.0.1");
	if (conn_starttls(c, &o) == -1)
		fail_msg("%s", conn_error(c));
	read_big(c);
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

static void
test_read_timeout(void **state)
{
	static const struct script	 s = { script_silent, 0, NULL, 0 };
	struct conn			*c;
	const char			*line;
	char				 err[1024];
	size_t				 len;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = conn_open("127.0.0.1", srv.port, 300, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(conn_read_line(c, &line, &len, 1000), -1);
	assert_contains(conn_error(c), "timed out after 300 ms");
	assert_contains(conn_error(c), "127.0.0.1:");
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

/* A server that trickles a byte at a time never trips the timeout of
 * each wait; the exchange's deadline (floor + size at the slowest rate)
 * ends it, with an error that says so. */
static void
test_deadline_trickle(void **state)
{
	static const struct script	 s = { script_trickle, 0, NULL, 0 };
	static const struct conn_pace	 pace = { 800, 1000, 2000 };
	struct conn			*c;
	const char			*line;
	size_t				 len;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	conn_set_pace(&pace);
	c = client_open("127.0.0.1");
	conn_set_pace(NULL);
	assert_int_equal(conn_read_line(c, &line, &len, 1000), -1);
	assert_contains(conn_error(c), "too slow");
	assert_contains(conn_error(c), "127.0.0.1:");
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

static int
stop_yes(void)
{
	return 1;
}

/* Stopping (SIGTERM): a read that sees nothing come for the grace time
 * gives up instead of waiting out the timeout; what came before it
 * was read whole. */
static void
test_stop_abandons_stalled(void **state)
{
	static const struct script	 s = { script_stall, 0, NULL, 0 };
	static const struct conn_pace	 pace = { 60000, 8192, 300 };
	struct conn			*c;
	char				 buf[10];

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	conn_set_pace(&pace);
	c = client_open("127.0.0.1");
	conn_set_pace(NULL);
	conn_set_stop(c, stop_yes);
	client_expect(c, "* OK hi");
	client_expect(c, "* 1 FETCH (BODY[] {10}");
	assert_int_equal(conn_read_bytes(c, buf, sizeof(buf)), -1);
	assert_contains(conn_error(c), "stopping");
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

static void
test_server_closes(void **state)
{
	static const struct script	 s = { script_partial, 0, NULL, 0 };
	struct conn			*c;
	const char			*line;
	size_t				 len;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = client_open("127.0.0.1");
	assert_int_equal(conn_read_line(c, &line, &len, 1000), -1);
	assert_contains(conn_error(c), "closed the connection");
	conn_close(c);
}

static void
test_connect_refused(void **state)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	char			 port[16], where[64], err[1024];
	int			 fd;

	(void)state;
	/* A port that was free a moment ago and has no listener. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(port, sizeof(port), "%u", ntohs(sin.sin_port));
	close(fd);
	assert_null(conn_open("127.0.0.1", port, TIMEOUT_MS, err,
	    sizeof(err)));
	snprintf(where, sizeof(where), "127.0.0.1:%s", port);
	assert_contains(err, where);
	assert_contains(err, "refused");
	/* Every address of the name is tried; the message names the name. */
	assert_null(conn_open("localhost", port, TIMEOUT_MS, err,
	    sizeof(err)));
	snprintf(where, sizeof(where), "localhost:%s", port);
	assert_contains(err, where);

	assert_null(conn_open("127.0.0.1", "no-such-service", TIMEOUT_MS, err,
	    sizeof(err)));
	assert_contains(err, "127.0.0.1:no-such-service");
	assert_null(conn_open("127.0.0.1", port, 0, err, sizeof(err)));
	assert_contains(err, "timeout");
}

static void
test_write_paths(void **state)
{
	static const struct script	 s = { script_write_sink, 0, NULL, 0 };
	struct conn			*c;
	char				*line, *raw, reply[64];

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = client_open("127.0.0.1");
	assert_non_null(line = malloc(70001));
	assert_non_null(raw = malloc(WRITE_RAW));
	memset(line, 'w', 70000);
	line[70000] = '\0';
	payload_fill(raw, WRITE_RAW);
	assert_int_equal(conn_printf(c, "a\r\n"), 0);
	/* Does not fit behind "a\r\n": flushed first, then formatted. */
	assert_int_equal(conn_printf(c, "%.*s\r\n", WRITE_LINE, line), 0);
	/* Bigger than the write buffer: straight to the socket. */
	assert_int_equal(conn_write(c, raw, WRITE_RAW), 0);
	assert_int_equal(conn_flush(c), 0);
	snprintf(reply, sizeof(reply), "got %d",
	    3 + WRITE_LINE + 2 + WRITE_RAW);
	client_expect(c, reply);
	/* Never truncated: an error. */
	assert_int_equal(conn_printf(c, "%s\r\n", line), -1);
	assert_contains(conn_error(c), "does not fit");
	free(line);
	free(raw);
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

/* Writing to a closed peer is an error, not SIGPIPE. */
static void
write_until_error(struct conn *c)
{
	char	*chunk;
	int	 i, r = 0;

	assert_non_null(chunk = calloc(1, 65536));
	for (i = 0; i < 400 && r == 0; i++) {
		r = conn_write(c, chunk, 65536);
		if (r == 0)
			r = conn_flush(c);
	}
	free(chunk);
	assert_int_equal(r, -1);
	assert_contains(conn_error(c), "127.0.0.1:");
}

static void
test_no_sigpipe_plain(void **state)
{
	static const struct script	 s = { script_bye, 0, NULL, 0 };
	struct conn			*c;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = client_open("127.0.0.1");
	client_expect(c, "BYE");
	assert_int_equal(server_wait(), 0);
	write_until_error(c);
	conn_close(c);
}

static void
test_no_sigpipe_tls(void **state)
{
	static const struct script	 s = { script_bye, 1, NULL, 0 };
	struct tls_opts			 o = { 1, pki.ca_path, NULL };
	struct conn			*c;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = client_open("127.0.0.1");
	if (conn_starttls(c, &o) == -1)
		fail_msg("%s", conn_error(c));
	client_expect(c, "BYE");
	assert_int_equal(server_wait(), 0);
	write_until_error(c);
	conn_close(c);
}

/* An IDLE-like wait: nothing, then data; the connection lives on. */
static void
wait_readable(struct conn *c)
{
	assert_int_equal(conn_wait_readable(c, 200), 0);
	assert_int_equal(conn_printf(c, "a IDLE\r\n"), 0);
	assert_int_equal(conn_flush(c), 0);
	assert_int_equal(conn_wait_readable(c, TIMEOUT_MS), 1);
	client_expect(c, "+ idling");
	/* Buffered already: no waiting. */
	assert_true(conn_pending(c) > 0);
	assert_int_equal(conn_wait_readable(c, 0), 1);
	client_expect(c, "* 1 EXISTS");
}

static void
test_wait_readable_plain(void **state)
{
	static const struct script	 s = { script_idle, 0, NULL, 0 };
	struct conn			*c;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = client_open("127.0.0.1");
	wait_readable(c);
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

/* TLS 1.3 tickets arrive after the handshake: readable, but no data. */
static void
test_wait_readable_tls(void **state)
{
	static const struct script	 s = { script_idle, 1, NULL, 0 };
	struct tls_opts			 o = { 1, pki.ca_path, NULL };
	struct conn			*c;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = client_open("127.0.0.1");
	if (conn_starttls(c, &o) == -1)
		fail_msg("%s", conn_error(c));
	wait_readable(c);
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

/* Tests: TLS */

/* Implicit TLS to host, then one exchange. */
static void
tls_echo(const char *host, const struct tls_opts *o)
{
	struct conn	*c;
	char		 want[128];

	c = client_open(host);
	if (conn_starttls(c, o) == -1)
		fail_msg("TLS to %s: %s", host, conn_error(c));
	assert_int_equal(conn_is_tls(c), 1);
	/* SNI for names only, never for address literals. */
	snprintf(want, sizeof(want), "* OK tls sni=%s",
	    strchr("0123456789:[", host[0]) != NULL ? "none" : host);
	client_expect(c, want);
	assert_int_equal(conn_printf(c, "hello over %s\r\n", host), 0);
	assert_int_equal(conn_flush(c), 0);
	snprintf(want, sizeof(want), "got hello over %s", host);
	client_expect(c, want);
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

/* Implicit TLS that must fail; the message, to be freed. */
static char *
tls_refused(const char *host, const struct tls_opts *o)
{
	struct conn	*c;
	char		*msg;

	c = client_open(host);
	assert_int_equal(conn_starttls(c, o), -1);
	assert_non_null(msg = strdup(conn_error(c)));
	/* A failed connection refuses to carry on. */
	assert_int_equal(conn_printf(c, "x\r\n"), -1);
	conn_close(c);
	return msg;
}

static void
test_tls_localhost(void **state)
{
	static const struct script	 s = { script_echo, 1, NULL, 0 };
	struct tls_opts			 o = { 1, pki.ca_path, NULL };

	(void)state;
	/* localhost may resolve to ::1 first, where nobody listens. */
	assert_int_equal(server_start(AF_INET, &s), 0);
	tls_echo("localhost", &o);
}

static void
test_tls_ipv4(void **state)
{
	static const struct script	 s = { script_echo, 1, NULL, 0 };
	struct tls_opts			 o = { 1, pki.ca_path, NULL };

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	tls_echo("127.0.0.1", &o);
}

static void
test_tls_ipv6(void **state)
{
	static const struct script	 s = { script_echo, 1, NULL, 0 };
	struct tls_opts			 o = { 1, pki.ca_path, NULL };

	(void)state;
	if (server_start(AF_INET6, &s) == -1) {
		print_message("no IPv6 loopback here: skipped\n");
		skip();
	}
	tls_echo("::1", &o);
	assert_int_equal(server_start(AF_INET6, &s), 0);
	tls_echo("[::1]", &o);
}

/* With tls-ca-file the file's certificates are trusted as they are. */
static void
test_tls_ca_file_leaf(void **state)
{
	static const struct script	 s = { script_echo, 1, NULL, 0 };
	struct tls_opts			 o = { 1, pki.leaf_path, NULL };

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	tls_echo("localhost", &o);
}

static void
test_tls_expired(void **state)
{
	static const struct script	 s = { script_echo, 1, NULL, 0 };
	struct script			 old = s;
	struct tls_opts			 o = { 1, pki.ca_path, NULL };
	char				*msg;

	(void)state;
	old.cert = pki.expired;
	assert_int_equal(server_start(AF_INET, &old), 0);
	msg = tls_refused("localhost", &o);
	assert_contains(msg, "verification failed for localhost:");
	assert_contains(msg, "certificate has expired");
	assert_contains(msg, "clock");
	free(msg);
}

static void
test_tls_handshake_timeout(void **state)
{
	static const struct script	 s = { script_silent, 0, NULL, 0 };
	struct tls_opts			 o = { 1, pki.ca_path, NULL };
	struct conn			*c;
	char				 err[1024];

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = conn_open("127.0.0.1", srv.port, 300, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(conn_starttls(c, &o), -1);
	assert_contains(conn_error(c), "timed out after 300 ms");
	assert_contains(conn_error(c), "TLS handshake with 127.0.0.1:");
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

static void
test_tls_wrong_ca(void **state)
{
	static const struct script	 s = { script_echo, 1, NULL, 0 };
	struct tls_opts			 o = { 1, pki.other_path, NULL };
	char				*msg, want[512];

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	msg = tls_refused("localhost", &o);
	snprintf(want, sizeof(want),
	    "TLS certificate verification failed for localhost:%s: ",
	    srv.port);
	assert_contains(msg, want);
	assert_contains(msg, "unable to get local issuer certificate");
	/* tls-ca-file is set, to the wrong file: the advice names it
	 * rather than telling the user to set it */
	snprintf(want, sizeof(want), "does not chain to tls-ca-file %s",
	    pki.other_path);
	assert_contains(msg, want);
	assert_not_contains(msg, "set tls-ca-file");
	snprintf(want, sizeof(want), "tls-fingerprint %s", pki.srv_fp);
	assert_contains(msg, want);
	assert_contains(msg, "tls-verify no");
	free(msg);
}

/* No tls-ca-file and a CA the system store does not hold: the advice
 * is to set tls-ca-file (or pin). */
static void
test_tls_unknown_ca_no_file(void **state)
{
	static const struct script	 s = { script_echo, 1, NULL, 0 };
	struct tls_opts			 o = { 1, NULL, NULL };
	char				*msg, want[128];

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	msg = tls_refused("localhost", &o);
	assert_contains(msg, "verification failed for localhost:");
	assert_contains(msg, "set tls-ca-file to the CA that signed it");
	assert_not_contains(msg, "does not chain to tls-ca-file");
	snprintf(want, sizeof(want), "tls-fingerprint %s", pki.srv_fp);
	assert_contains(msg, want);
	free(msg);
}

static void
test_tls_hostname_mismatch(void **state)
{
	static const struct script	 s = { script_echo, 1, NULL, 0 };
	struct script			 wrong = s;
	struct tls_opts			 o = { 1, pki.ca_path, NULL };
	char				*msg;

	(void)state;
	wrong.cert = pki.wrong;
	assert_int_equal(server_start(AF_INET, &wrong), 0);
	msg = tls_refused("localhost", &o);
	assert_contains(msg, "verification failed for localhost:");
	assert_contains(msg, "hostname mismatch");
	free(msg);
	server_teardown(NULL);

	/* An IP SAN the certificate does not have. */
	assert_int_equal(server_start(AF_INET, &wrong), 0);
	msg = tls_refused("127.0.0.1", &o);
	assert_contains(msg, "verification failed for 127.0.0.1:");
	assert_contains(msg, "hostname mismatch");
	free(msg);
}

static void
test_tls_pin_match(void **state)
{
	static const struct script	 s = { script_echo, 1, NULL, 0 };
	struct tls_opts			 o = { 1, pki.other_path, NULL };

	(void)state;
	/* The pin replaces the chain, which the untrusted CA would fail;
	 * lower case without colons is the same pin. */
	o.fingerprint = pki.srv_fp_bare;
	assert_int_equal(server_start(AF_INET, &s), 0);
	tls_echo("127.0.0.1", &o);
	o.fingerprint = pki.srv_fp;
	assert_int_equal(server_start(AF_INET, &s), 0);
	tls_echo("localhost", &o);
}

static void
test_tls_pin_mismatch(void **state)
{
	static const struct script	 s = { script_echo, 1, NULL, 0 };
	struct tls_opts			 o = { 1, pki.ca_path, NULL };
	char				*msg, want[256];

	(void)state;
	o.fingerprint = pki.ca_fp;
	assert_int_equal(server_start(AF_INET, &s), 0);
	msg = tls_refused("localhost", &o);
	snprintf(want, sizeof(want), "expected %s, got %s", pki.ca_fp,
	    pki.srv_fp);
	assert_contains(msg, want);
	assert_contains(msg, "localhost:");
	free(msg);
}

static void
test_tls_bad_options(void **state)
{
	static const struct script	 s = { script_silent, 0, NULL, 0 };
	struct tls_opts			 o = { 1, NULL, "sha256:00:11:zz" };
	char				*msg;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	msg = tls_refused("127.0.0.1", &o);
	assert_contains(msg, "tls-fingerprint sha256:00:11:zz");
	assert_contains(msg, "not a sha256 fingerprint");
	free(msg);
	assert_int_equal(server_wait(), 0);

	o.fingerprint = NULL;
	o.ca_file = "/nonexistent/mailsift/ca.pem";
	assert_int_equal(server_start(AF_INET, &s), 0);
	msg = tls_refused("127.0.0.1", &o);
	assert_contains(msg, "tls-ca-file /nonexistent/mailsift/ca.pem");
	assert_contains(msg, "No such file or directory");
	free(msg);
	assert_int_equal(server_wait(), 0);

	o.ca_file = pki.junk_path;
	assert_int_equal(server_start(AF_INET, &s), 0);
	msg = tls_refused("127.0.0.1", &o);
	assert_contains(msg, pki.junk_path);
	assert_contains(msg, "no usable PEM certificate");
	free(msg);
	assert_int_equal(server_wait(), 0);
}

static void
test_tls_verify_off(void **state)
{
	static const struct script	 s = { script_echo, 1, NULL, 0 };
	struct tls_opts			 o = { 0, pki.other_path, NULL };
	const char			*text;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	capture_start();
	tls_echo("localhost", &o);
	text = capture_end();
	assert_contains(text, "is not verified");
	assert_contains(text, pki.srv_fp);
}

static void
test_tls_to_plain_port(void **state)
{
	static const struct script	 s = { script_plain_greeting, 0, NULL,
	    0 };
	struct tls_opts			 o = { 1, pki.ca_path, NULL };
	char				*msg;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	msg = tls_refused("127.0.0.1", &o);
	assert_contains(msg, "127.0.0.1:");
	assert_contains(msg, "does this port expect TLS?");
	free(msg);
}

static void
test_tls11_refused(void **state)
{
	static const struct script	 s = { script_echo, 1, NULL,
	    TLS1_1_VERSION };
	struct tls_opts			 o = { 1, pki.ca_path, NULL };
	SSL_CTX				*ctx;
	char				*msg;
	int				 ok;

	(void)state;
	/* Can this OpenSSL still be a TLS 1.1 server at all? */
	ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(ctx);
	SSL_CTX_set_security_level(ctx, 0);
	ok = SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION) == 1 &&
	    SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") == 1;
	SSL_CTX_free(ctx);
	ERR_clear_error();
	if (!ok) {
		print_message("no TLS 1.1 server possible here: skipped\n");
		skip();
	}
	assert_int_equal(server_start(AF_INET, &s), 0);
	msg = tls_refused("127.0.0.1", &o);
	assert_contains(msg, "TLS handshake with 127.0.0.1:");
	assert_contains(msg, "requires TLS 1.2");
	free(msg);
}

static void
test_starttls(void **state)
{
	static const struct script	 s = { script_starttls, 0, NULL, 0 };
	struct tls_opts			 o = { 1, pki.ca_path, NULL };
	struct conn			*c;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = client_open("localhost");
	client_expect(c, "* OK ready");
	assert_int_equal(conn_printf(c, "a STARTTLS\r\n"), 0);
	assert_int_equal(conn_flush(c), 0);
	client_expect(c, "a OK go ahead");
	assert_int_equal(conn_pending(c), 0);
	assert_int_equal(conn_is_tls(c), 0);
	if (conn_starttls(c, &o) == -1)
		fail_msg("%s", conn_error(c));
	assert_int_equal(conn_is_tls(c), 1);
	client_expect(c, "* OK inside");
	assert_int_equal(conn_printf(c, "secret stuff\r\n"), 0);
	assert_int_equal(conn_flush(c), 0);
	client_expect(c, "got secret stuff");
	/* Twice is a caller's mistake, and said so. */
	assert_int_equal(conn_starttls(c, &o), -1);
	assert_contains(conn_error(c), "already");
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

static void
test_starttls_injection(void **state)
{
	static const struct script	 s = { script_inject, 0, NULL, 0 };
	struct tls_opts			 o = { 1, pki.ca_path, NULL };
	struct conn			*c;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = client_open("127.0.0.1");
	client_expect(c, "* OK ready");
	assert_int_equal(conn_printf(c, "a STARTTLS\r\n"), 0);
	assert_int_equal(conn_flush(c), 0);
	client_expect(c, "a OK go ahead");
	/* The injected line came in the same segment. */
	assert_int_equal(conn_pending(c), strlen("* OK injected\r\n"));
	assert_int_equal(conn_starttls(c, &o), -1);
	assert_contains(conn_error(c), "STARTTLS injection");
	assert_contains(conn_error(c), "127.0.0.1:");
	assert_int_equal(conn_is_tls(c), 0);
	conn_close(c);
	assert_int_equal(server_wait(), 0);
}

static void
test_trace_redaction(void **state)
{
	static const struct script	 s = { script_trace, 0, NULL, 0 };
	struct conn			*c;
	const char			*text;
	char				 body[12];
	const char			*line;
	size_t				 len;

	(void)state;
	assert_int_equal(server_start(AF_INET, &s), 0);
	c = client_open("127.0.0.1");
	log_set_level(LOG_LEVEL_TRACE);
	conn_set_trace(c, "imap test", 1);
	capture_start();
	client_expect(c, "* OK hi");
	client_expect(c, "esc \x1b[31m red \x9b" "2J \xc2\x9b"
	    "0m caf\xc3\xa9");
	assert_int_equal(conn_printf(c, "a1 CAPABILITY\r\n"), 0);
	assert_int_equal(conn_printf_secret(c, strlen("a2 LOGIN user "),
	    "a2 LOGIN user %s\r\n", "hunter2"), 0);
	assert_int_equal(conn_flush(c), 0);
	client_expect(c, "* 1 FETCH {12}");
	assert_int_equal(conn_read_bytes(c, body, sizeof(body)), 0);
	assert_memory_equal(body, "bodysecret!!", sizeof(body));
	client_expect(c, "");
	/* Off again: nothing more is logged. */
	conn_set_trace(c, "imap test", 0);
	assert_int_equal(conn_read_line(c, &line, &len, 100), 0);
	assert_string_equal(line, "a2 OK");
	text = capture_end();
	log_set_level(LOG_LEVEL_INFO);
	conn_close(c);
	/* The password did reach the server intact. */
	assert_int_equal(server_wait(), 0);

	assert_contains(text, "imap test < * OK hi\n");
	/* C1 too (0x9b is CSI to some terminals), raw or as UTF-8; the
	 * rest of UTF-8 stays readable */
	assert_contains(text, "imap test < esc \\x1b[31m red \\x9b2J "
	    "\\xc2\\x9b0m caf\xc3\xa9\n");
	assert_contains(text, "imap test > a1 CAPABILITY\n");
	assert_contains(text, "imap test > a2 LOGIN user <secret redacted>\n");
	assert_contains(text, "imap test < <12 bytes>\n");
	assert_null(strstr(text, "hunter2"));
	assert_null(strstr(text, "bodysecret"));
	assert_null(strstr(text, "a2 OK"));
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test_teardown(test_lines, server_teardown),
		cmocka_unit_test_teardown(test_long_line, server_teardown),
		cmocka_unit_test_teardown(test_line_max_exact,
		    server_teardown),
		cmocka_unit_test_teardown(test_read_bytes_plain,
		    server_teardown),
		cmocka_unit_test_teardown(test_read_bytes_tls,
		    server_teardown),
		cmocka_unit_test_teardown(test_read_timeout, server_teardown),
		cmocka_unit_test_teardown(test_deadline_trickle,
		    server_teardown),
		cmocka_unit_test_teardown(test_stop_abandons_stalled,
		    server_teardown),
		cmocka_unit_test_teardown(test_server_closes, server_teardown),
		cmocka_unit_test_teardown(test_connect_refused,
		    server_teardown),
		cmocka_unit_test_teardown(test_write_paths, server_teardown),
		cmocka_unit_test_teardown(test_no_sigpipe_plain,
		    server_teardown),
		cmocka_unit_test_teardown(test_no_sigpipe_tls,
		    server_teardown),
		cmocka_unit_test_teardown(test_tls_localhost, server_teardown),
		cmocka_unit_test_teardown(test_tls_ipv4, server_teardown),
		cmocka_unit_test_teardown(test_tls_ipv6, server_teardown),
		cmocka_unit_test_teardown(test_tls_ca_file_leaf,
		    server_teardown),
		cmocka_unit_test_teardown(test_tls_expired, server_teardown),
		cmocka_unit_test_teardown(test_tls_handshake_timeout,
		    server_teardown),
		cmocka_unit_test_teardown(test_wait_readable_plain,
		    server_teardown),
		cmocka_unit_test_teardown(test_wait_readable_tls,
		    server_teardown),
		cmocka_unit_test_teardown(test_tls_wrong_ca, server_teardown),
		cmocka_unit_test_teardown(test_tls_unknown_ca_no_file,
		    server_teardown),
		cmocka_unit_test_teardown(test_tls_hostname_mismatch,
		    server_teardown),
		cmocka_unit_test_teardown(test_tls_pin_match, server_teardown),
		cmocka_unit_test_teardown(test_tls_pin_mismatch,
		    server_teardown),
		cmocka_unit_test_teardown(test_tls_bad_options,
		    server_teardown),
		cmocka_unit_test_teardown(test_tls_verify_off,
		    server_teardown),
		cmocka_unit_test_teardown(test_tls_to_plain_port,
		    server_teardown),
		cmocka_unit_test_teardown(test_tls11_refused, server_teardown),
		cmocka_unit_test_teardown(test_starttls, server_teardown),
		cmocka_unit_test_teardown(test_starttls_injection,
		    server_teardown),
		cmocka_unit_test_teardown(test_trace_redaction,
		    server_teardown),
	};

	return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}

/* SPDX-License-Identifier: ISC */
/* tls.c - OpenSSL sessions for conn.c: policy, checks, messages; see tls.h. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "daemon/net/tls.h"
#include "daemon/util/log.h"

#define TLS_MD_LEN	32	/* sha256 */
/* "sha256:" and 32 "XX:" groups, the last colon replaced by NUL. */
#define TLS_FP_SIZE	(7 + TLS_MD_LEN * 3)

enum tls_check {
	TLS_CHECK_CHAIN,	/* CA store and host name */
	TLS_CHECK_PIN,		/* the sha256 pin alone */
	TLS_CHECK_NONE		/* tls-verify no */
};

struct tls {
	SSL		*ssl;
	int		 fd;
	enum tls_check	 check;
	int		 host_is_ip;
	int		 failed;	/* fatal error: no close_notify */
	unsigned char	 pin[TLS_MD_LEN];
	/* The leaf's digest, caught during verification: OpenSSL 3.0 does
	 * not keep the peer's certificate when verification fails, and the
	 * message should show it for tls-fingerprint. */
	unsigned char	 leaf[TLS_MD_LEN];
	int		 have_leaf;
	char		 where[320];
	/* tls-ca-file as configured ("" for the system store): a
	 * certificate from another CA is explained by what is set. */
	char		 ca_file[512];
};

static pthread_once_t	 sock_method_once = PTHREAD_ONCE_INIT;
static BIO_METHOD	*sock_method;

static int
sock_write(BIO *b, const char *buf, int len)
{
	struct tls	*t = BIO_get_data(b);
	ssize_t		 n;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	do
		n = send(t->fd, buf, (size_t)len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_write(b);
	return (int)n;
}

static int
sock_read(BIO *b, char *buf, int len)
{
	struct tls	*t = BIO_get_data(b);
	ssize_t		 n;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	do
		n = recv(t->fd, buf, (size_t)len, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_read(b);
	return (int)n;
}

static long
sock_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	/* send() is unbuffered, so a flush has nothing left to do. */
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static void
sock_method_init(void)
{
	BIO_METHOD	*m;
	int		 type;

	if ((type = BIO_get_new_index()) == -1)
		return;
	m = BIO_meth_new(type | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
	    "mailsift socket");
	if (m == NULL)
		return;
	if (BIO_meth_set_write(m, sock_write) != 1 ||
	    BIO_meth_set_read(m, sock_read) != 1 ||
	    BIO_meth_set_ctrl(m, sock_ctrl) != 1) {
		BIO_meth_free(m);
		return;
	}
	sock_method = m;
}

/* The reason of the oldest queued OpenSSL error, readable. */
static const char *
ssl_reason(char *buf, size_t len)
{
	unsigned long	 e;
	const char	*r;

	if ((e = ERR_peek_error()) == 0)
		return "unknown OpenSSL error";
	if ((r = ERR_reason_error_string(e)) != NULL)
		return r;
	ERR_error_string_n(e, buf, len);
	return buf;
}

static int
hex_value(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* "sha256:AB:cd..." or bare hex: case and colons do not matter. */
static int
fingerprint_parse(const char *s, unsigned char *md)
{
	size_t	 n = 0;
	int	 hi = -1, v;

	if (strncasecmp(s, "sha256:", 7) == 0)
		s += 7;
	for (; *s != '\0'; s++) {
		if (*s == ':')
			continue;
		if ((v = hex_value((unsigned char)*s)) == -1 || n == TLS_MD_LEN)
			return -1;
		if (hi == -1)
			hi = v;
		else {
			md[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	return n == TLS_MD_LEN && hi == -1 ? 0 : -1;
}

static void
fingerprint_format(const unsigned char *md, char *out)
{
	static const char	 digits[] = "0123456789ABCDEF";
	char			*p;
	size_t			 i;

	memcpy(out, "sha256:", 7);
	p = out + 7;
	for (i = 0; i < TLS_MD_LEN; i++) {
		*p++ = digits[md[i] >> 4];
		*p++ = digits[md[i] & 0xf];
		*p++ = ':';
	}
	p[-1] = '\0';
}

static int
cert_digest(X509 *cert, unsigned char *md)
{
	unsigned int	 len = TLS_MD_LEN;

	if (X509_digest(cert, EVP_sha256(), md, &len) != 1 ||
	    len != TLS_MD_LEN)
		return -1;
	return 0;
}

static int
host_is_ip(const char *host)
{
	unsigned char	 addr[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, addr) == 1 ||
	    inet_pton(AF_INET6, host, addr) == 1;
}

/*
 * Every certificate of the chain passes here.  In chain mode OpenSSL's
 * verdict stands and a failure stops the handshake before any byte of
 * ours is sent; with a pin or tls-verify no the peer is judged after the
 * handshake instead.
 */
static int
tls_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	SSL		*ssl;
	struct tls	*t;
	X509		*leaf;

	ssl = X509_STORE_CTX_get_ex_data(ctx,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL || (t = SSL_get_app_data(ssl)) == NULL)
		return 0;
	if (!t->have_leaf && (leaf = X509_STORE_CTX_get0_cert(ctx)) != NULL)
		t->have_leaf = cert_digest(leaf, t->leaf) == 0;
	if (t->check != TLS_CHECK_CHAIN)
		return 1;
	return ok;
}

static int
tls_load_ca(SSL_CTX *ctx, const char *ca_file, const char *where, char *err,
    size_t errlen)
{
	FILE	*f;
	char	 buf[256];

	/* OpenSSL would only say "no such file" in its own words; a plain
	 * open first names the option and the system's reason. */
	if ((f = fopen(ca_file, "r")) == NULL) {
		snprintf(err, errlen, "cannot read tls-ca-file %s for %s: %s "
		    "(check the path and its permissions)", ca_file, where,
		    strerror(errno));
		return -1;
	}
	fclose(f);
	if (SSL_CTX_load_verify_file(ctx, ca_file) != 1) {
		snprintf(err, errlen, "tls-ca-file %s for %s holds no usable "
		    "PEM certificate: %s", ca_file, where,
		    ssl_reason(buf, sizeof(buf)));
		return -1;
	}
	return 0;
}

static SSL_CTX *
tls_ctx_new(const struct tls *t, const struct tls_opts *opts, char *err,
    size_t errlen)
{
	SSL_CTX	*ctx;
	char	 buf[256];

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		snprintf(err, errlen, "cannot set up TLS for %s: %s",
		    t->where, ssl_reason(buf, sizeof(buf)));
		goto fail;
	}
	/* Fewer, larger reads: the body of a big message comes in many
	 * records. */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
	/* A session in IDLE holds nothing in flight for hours: its ~34 KB
	 * of empty record buffers go back to the heap until used again
	 * (thousands of idle accounts). */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, tls_verify_cb);
	if (t->check != TLS_CHECK_CHAIN)
		return ctx;
	if (opts->ca_file != NULL) {
		if (tls_load_ca(ctx, opts->ca_file, t->where, err,
		    errlen) == -1)
			goto fail;
		/* The user trusts what the file holds as it is: the server's
		 * own certificate or an intermediate is enough, as in curl. */
		if (X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx),
		    X509_V_FLAG_PARTIAL_CHAIN) != 1) {
			snprintf(err, errlen, "cannot set up TLS for %s: %s",
			    t->where, ssl_reason(buf, sizeof(buf)));
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "cannot load the system CA store for %s: "
		    "%s (install ca-certificates, or set tls-ca-file)",
		    t->where, ssl_reason(buf, sizeof(buf)));
		goto fail;
	}
	return ctx;

fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/*
 * Sessions of the same trust share one SSL_CTX: loading the CA file
 * for each of thousands of sessions costs ~17 KB of memory apiece and
 * the parsing of every certificate in it.  The CA file is known by its
 * identity (device, inode, size, time): one that changes is loaded
 * afresh by the next session.  A full cache only stops sharing.
 */
#define TLS_CTX_CACHE	16

struct tls_ctx_entry {
	SSL_CTX		*ctx;		/* NULL: free */
	enum tls_check	 check;
	char		 ca_file[512];	/* "" for the system store */
	struct stat	 sb;		/* of ca_file */
};

static pthread_mutex_t		 tls_ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tls_ctx_entry	 tls_ctx_cache[TLS_CTX_CACHE];

static int
tls_ctx_same(const struct tls_ctx_entry *e, enum tls_check check,
    const char *ca, const struct stat *sb)
{
	return e->ctx != NULL && e->check == check &&
	    strcmp(e->ca_file, ca) == 0 && (ca[0] == '\0' ||
	    (e->sb.st_dev == sb->st_dev && e->sb.st_ino == sb->st_ino &&
	    e->sb.st_size == sb->st_size &&
	    e->sb.st_mtim.tv_sec == sb->st_mtim.tv_sec &&
	    e->sb.st_mtim.tv_nsec == sb->st_mtim.tv_nsec));
}

/* The shared context for t's trust, a reference the caller frees. */
static SSL_CTX *
tls_ctx_get(const struct tls *t, const struct tls_opts *opts, char *err,
    size_t errlen)
{
	struct tls_ctx_entry	*e, *slot = NULL;
	struct stat		 sb;
	SSL_CTX			*ctx;
	/* the pin and no-verify kinds load no file */
	const char		*ca = t->check == TLS_CHECK_CHAIN ?
				    t->ca_file : "";
	size_t			 i;

	memset(&sb, 0, sizeof(sb));
	/* an unreadable file gets tls_ctx_new()'s message */
	if ((ca[0] != '\0' && stat(ca, &sb) == -1) ||
	    pthread_mutex_lock(&tls_ctx_lock) != 0)
		return tls_ctx_new(t, opts, err, errlen);
	for (i = 0; i < TLS_CTX_CACHE; i++) {
		e = &tls_ctx_cache[i];
		if (tls_ctx_same(e, t->check, ca, &sb) &&
		    SSL_CTX_up_ref(e->ctx) == 1) {
			(void)pthread_mutex_unlock(&tls_ctx_lock);
			return e->ctx;
		}
		if (slot == NULL && (e->ctx == NULL ||
		    (e->check == t->check && strcmp(e->ca_file, ca) == 0)))
			slot = e;	/* free, or the file's older self */
	}
	if ((ctx = tls_ctx_new(t, opts, err, errlen)) != NULL &&
	    slot != NULL && SSL_CTX_up_ref(ctx) == 1) {
		SSL_CTX_free(slot->ctx);	/* sessions keep their own */
		slot->ctx = ctx;
		slot->check = t->check;
		snprintf(slot->ca_file, sizeof(slot->ca_file), "%s", ca);
		slot->sb = sb;
	}
	(void)pthread_mutex_unlock(&tls_ctx_lock);
	return ctx;
}

/* SNI for names only (RFC 6066 forbids literals); the identity check
 * against a DNS SAN for names, an IP SAN for literals. */
static int
tls_set_peer(struct tls *t, const char *host, char *err, size_t errlen)
{
	char	 buf[256];

	if (!t->host_is_ip && SSL_set_tlsext_host_name(t->ssl, host) != 1)
		goto fail;
	if (t->check != TLS_CHECK_CHAIN)
		return 0;
	if (t->host_is_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl),
		    host) != 1)
			goto fail;
		return 0;
	}
	SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_set1_host(t->ssl, host) != 1)
		goto fail;
	return 0;

fail:
	snprintf(err, errlen, "cannot use host %s for TLS to %s: %s", host,
	    t->where, ssl_reason(buf, sizeof(buf)));
	return -1;
}

struct tls *
tls_new(int fd, const char *host, const char *where,
    const struct tls_opts *opts, char *err, size_t errlen)
{
	static const struct tls_opts	 defaults = { 1, NULL, NULL };
	struct tls			*t;
	SSL_CTX				*ctx = NULL;
	BIO				*bio;
	char				 buf[256];

	if (opts == NULL)
		opts = &defaults;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "cannot start TLS to %s: %s", where,
		    strerror(errno));
		return NULL;
	}
	t->fd = fd;
	t->host_is_ip = host_is_ip(host);
	snprintf(t->where, sizeof(t->where), "%s", where);
	if (opts->ca_file != NULL)
		snprintf(t->ca_file, sizeof(t->ca_file), "%s", opts->ca_file);
	ERR_clear_error();
	if (pthread_once(&sock_method_once, sock_method_init) != 0 ||
	    sock_method == NULL) {
		snprintf(err, errlen, "cannot start TLS to %s: no socket BIO",
		    where);
		goto fail;
	}
	if (opts->fingerprint != NULL) {
		if (fingerprint_parse(opts->fingerprint, t->pin) == -1) {
			snprintf(err, errlen, "tls-fingerprint %s for %s is "
			    "not a sha256 fingerprint (want sha256: and 64 "
			    "hex digits, colons allowed)", opts->fingerprint,
			    where);
			goto fail;
		}
		t->check = TLS_CHECK_PIN;
	} else if (!opts->verify)
		t->check = TLS_CHECK_NONE;
	else
		t->check = TLS_CHECK_CHAIN;

	if ((ctx = tls_ctx_get(t, opts, err, errlen)) == NULL)
		goto fail;
	if ((t->ssl = SSL_new(ctx)) == NULL ||
	    SSL_set_app_data(t->ssl, t) != 1 ||
	    (bio = BIO_new(sock_method)) == NULL) {
		snprintf(err, errlen, "cannot start TLS to %s: %s", where,
		    ssl_reason(buf, sizeof(buf)));
		goto fail;
	}
	BIO_set_data(bio, t);
	BIO_set_init(bio, 1);
	SSL_set_bio(t->ssl, bio, bio);
	SSL_CTX_free(ctx);	/* the SSL holds its own reference */
	ctx = NULL;
	if (tls_set_peer(t, host, err, errlen) == -1)
		goto fail;
	return t;

fail:
	SSL_CTX_free(ctx);
	SSL_free(t->ssl);
	free(t);
	ERR_clear_error();
	return NULL;
}

/* The certificate does not lead to a trusted root. */
static int
verify_no_chain(long result)
{
	switch (result) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return 1;
	}
	return 0;
}

static void
tls_explain_verify(struct tls *t, long result, char *err, size_t errlen)
{
	const char	*hint = "set tls-ca-file, or";
	char		 fp[TLS_FP_SIZE];

	if (t->have_leaf)
		fingerprint_format(t->leaf, fp);
	else
		snprintf(fp, sizeof(fp), "sha256:<the server's>");
	if (result == X509_V_ERR_HOSTNAME_MISMATCH ||
	    result == X509_V_ERR_IP_ADDRESS_MISMATCH) {
		snprintf(err, errlen, "TLS certificate verification failed for "
		    "%s: hostname mismatch (the certificate is not for this "
		    "%s; connect by a name it holds, or set tls-fingerprint "
		    "%s, or tls-verify no)", t->where,
		    t->host_is_ip ? "address" : "name", fp);
		return;
	}
	/* Advice to set tls-ca-file is no help when it is set: the file
	 * is the wrong one, so name it. */
	if (t->ca_file[0] != '\0' && verify_no_chain(result)) {
		snprintf(err, errlen, "TLS certificate verification failed for "
		    "%s: %s: the certificate does not chain to tls-ca-file %s "
		    "(give the CA that signed it, or set tls-fingerprint %s, "
		    "or tls-verify no)",
		    t->where, X509_verify_cert_error_string(result),
		    t->ca_file, fp);
		return;
	}
	if (t->ca_file[0] != '\0')
		hint = "set";
	else if (verify_no_chain(result))
		hint = "set tls-ca-file to the CA that signed it, or";
	if (result == X509_V_ERR_CERT_HAS_EXPIRED ||
	    result == X509_V_ERR_CERT_NOT_YET_VALID)
		hint = "check this machine's clock, or set";
	snprintf(err, errlen, "TLS certificate verification failed for %s: "
	    "%s (%s tls-fingerprint %s, or tls-verify no)", t->where,
	    X509_verify_cert_error_string(result), hint, fp);
}

static void
tls_explain_handshake(struct tls *t, int error, int saved_errno, char *err,
    size_t errlen)
{
	unsigned long	 e;
	long		 result;
	const char	*hint = "";
	char		 buf[256];

	result = SSL_get_verify_result(t->ssl);
	if (t->check == TLS_CHECK_CHAIN && result != X509_V_OK) {
		tls_explain_verify(t, result, err, errlen);
		return;
	}
	e = ERR_peek_error();
	if (error == SSL_ERROR_SYSCALL && e == 0) {
		if (saved_errno == 0)
			snprintf(err, errlen, "%s closed the connection during "
			    "the TLS handshake (does this port expect TLS? "
			    "check the port and the tls setting)", t->where);
		else
			snprintf(err, errlen, "TLS handshake with %s failed: "
			    "%s", t->where, strerror(saved_errno));
		return;
	}
	if (ERR_GET_LIB(e) == ERR_LIB_SSL) {
		switch (ERR_GET_REASON(e)) {
		case SSL_R_WRONG_VERSION_NUMBER:
		case SSL_R_UNEXPECTED_EOF_WHILE_READING:
			hint = " (does this port expect TLS? check the port "
			    "and the tls setting)";
			break;
		case SSL_R_UNSUPPORTED_PROTOCOL:
		case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
		case SSL_R_NO_PROTOCOLS_AVAILABLE:
			hint = " (the server offers nothing newer than TLS "
			    "1.1; mailsift requires TLS 1.2 or newer)";
			break;
		}
	}
	snprintf(err, errlen, "TLS handshake with %s failed: %s%s", t->where,
	    ssl_reason(buf, sizeof(buf)), hint);
}

static enum tls_io
tls_check_peer(struct tls *t, char *err, size_t errlen)
{
	X509		*leaf;
	unsigned char	 md[TLS_MD_LEN];
	char		 got[TLS_FP_SIZE], want[TLS_FP_SIZE];
	long		 result;

	if ((leaf = SSL_get0_peer_certificate(t->ssl)) == NULL ||
	    cert_digest(leaf, md) == -1) {
		snprintf(err, errlen, "TLS to %s: the server sent no usable "
		    "certificate", t->where);
		goto fail;
	}
	fingerprint_format(md, got);
	switch (t->check) {
	case TLS_CHECK_CHAIN:
		/* The callback already stopped a bad chain; this is cheap. */
		if ((result = SSL_get_verify_result(t->ssl)) != X509_V_OK) {
			tls_explain_verify(t, result, err, errlen);
			goto fail;
		}
		break;
	case TLS_CHECK_PIN:
		if (memcmp(md, t->pin, sizeof(md)) != 0) {
			fingerprint_format(t->pin, want);
			snprintf(err, errlen, "TLS certificate of %s does not "
			    "match tls-fingerprint: expected %s, got %s (if "
			    "the server's certificate was changed on purpose, "
			    "update tls-fingerprint)", t->where, want, got);
			goto fail;
		}
		break;
	case TLS_CHECK_NONE:
		log_warn("TLS certificate of %s is not verified (tls-verify "
		    "no): the session can be intercepted; its certificate is "
		    "%s", t->where, got);
		break;
	}
	log_debug("TLS to %s: %s, %s", t->where, SSL_get_version(t->ssl),
	    SSL_get_cipher_name(t->ssl));
	return TLS_IO_OK;

fail:
	t->failed = 1;
	return TLS_IO_ERROR;
}

enum tls_io
tls_handshake(struct tls *t, char *err, size_t errlen)
{
	int	 r, error, saved_errno;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_connect(t->ssl)) == 1)
		return tls_check_peer(t, err, errlen);
	saved_errno = errno;
	error = SSL_get_error(t->ssl, r);
	if (error == SSL_ERROR_WANT_READ)
		return TLS_IO_WANT_READ;
	if (error == SSL_ERROR_WANT_WRITE)
		return TLS_IO_WANT_WRITE;
	t->failed = 1;
	tls_explain_handshake(t, error, saved_errno, err, errlen);
	ERR_clear_error();
	return TLS_IO_ERROR;
}

/* After SSL_read_ex or SSL_write_ex returned 0. */
static enum tls_io
tls_io_result(struct tls *t, const char *what, int saved_errno, char *err,
    size_t errlen)
{
	unsigned long	 e;
	char		 buf[256];

	switch (SSL_get_error(t->ssl, 0)) {
	case SSL_ERROR_WANT_READ:
		return TLS_IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_IO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return TLS_IO_EOF;
	case SSL_ERROR_SYSCALL:
		t->failed = 1;
		if (ERR_peek_error() != 0)
			break;
		if (saved_errno == 0)
			return TLS_IO_EOF;
		snprintf(err, errlen, "TLS %s %s failed: %s", what, t->where,
		    strerror(saved_errno));
		return TLS_IO_ERROR;
	default:
		t->failed = 1;
		break;
	}
	e = ERR_peek_error();
	/* A peer that just hangs up without close_notify is an EOF to the
	 * protocol above, which knows whether it expected one. */
	if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		ERR_clear_error();
		return TLS_IO_EOF;
	}
	snprintf(err, errlen, "TLS %s %s failed: %s", what, t->where,
	    ssl_reason(buf, sizeof(buf)));
	ERR_clear_error();
	return TLS_IO_ERROR;
}

enum tls_io
tls_read(struct tls *t, void *buf, size_t len, size_t *done, char *err,
    size_t errlen)
{
	ERR_clear_error();
	errno = 0;
	if (SSL_read_ex(t->ssl, buf, len, done) == 1)
		return TLS_IO_OK;
	return tls_io_result(t, "read from", errno, err, errlen);
}

enum tls_io
tls_write(struct tls *t, const void *buf, size_t len, size_t *done,
    char *err, size_t errlen)
{
	ERR_clear_error();
	errno = 0;
	if (SSL_write_ex(t->ssl, buf, len, done) == 1)
		return TLS_IO_OK;
	return tls_io_result(t, "write to", errno, err, errlen);
}

size_t
tls_pending(const struct tls *t)
{
	int	 n;

	n = SSL_pending(t->ssl);
	return n > 0 ? (size_t)n : 0;
}

int
tls_has_buffered(const struct tls *t)
{
	return SSL_has_pending(t->ssl);
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	/* One try, never waiting: the socket is about to close anyway and
	 * a peer that wants to argue is not worth a timeout. */
	if (!t->failed && SSL_is_init_finished(t->ssl))
		(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
	SSL_free(t->ssl);
	free(t);
}

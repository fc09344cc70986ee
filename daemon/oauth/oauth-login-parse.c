/* SPDX-License-Identifier: ISC */
/*
 * oauth-login-parse.c - PKCE, the redirect's query, the listener's
 * request line: the parts of `mailsift auth login` that hold no socket;
 * see oauth-login-parse.h.
 */
#define _GNU_SOURCE		/* memmem() */
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "daemon/oauth/oauth-login-parse.h"

/* A redirect's parameters are bounded: codes are a few hundred bytes. */
#define PARAM_MAX	2048

int
oauth_b64url(const unsigned char *p, size_t len, char *out, size_t outlen)
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t			 i, n = 0;
	unsigned		 v;

	if (outlen < (len * 4 + 2) / 3 + 1)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		out[n++] = a[v >> 18 & 63];
		out[n++] = a[v >> 12 & 63];
		out[n++] = a[v >> 6 & 63];
		out[n++] = a[v & 63];
	}
	if (len - i == 1) {
		v = (unsigned)p[i] << 16;
		out[n++] = a[v >> 18 & 63];
		out[n++] = a[v >> 12 & 63];
	} else if (len - i == 2) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		out[n++] = a[v >> 18 & 63];
		out[n++] = a[v >> 12 & 63];
		out[n++] = a[v >> 6 & 63];
	}
	out[n] = '\0';
	return 0;
}

int
oauth_pkce_s256(const char *verifier, char *out, size_t outlen)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];

	if (SHA256((const unsigned char *)verifier, strlen(verifier),
	    md) == NULL)
		return -1;
	return oauth_b64url(md, sizeof(md), out, outlen);
}

int
oauth_random_b64url(size_t nbytes, char *out, size_t outlen)
{
	unsigned char	 r[64];
	int		 rv;

	if (nbytes > sizeof(r) || RAND_bytes(r, (int)nbytes) != 1)
		return -1;
	rv = oauth_b64url(r, nbytes, out, outlen);
	OPENSSL_cleanse(r, sizeof(r));
	return rv;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The value of name in the query q[0..len) decoded into out; 1 found,
 * 0 absent, -1 too long or a bad escape. */
static int
query_get(const char *q, size_t len, const char *name, char *out,
    size_t outlen)
{
	const char	*p = q, *end = q + len, *amp, *v;
	size_t		 nl = strlen(name), n;
	int		 hi, lo;

	for (; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if ((size_t)(amp - p) <= nl || strncmp(p, name, nl) != 0 ||
		    p[nl] != '=')
			continue;
		for (v = p + nl + 1, n = 0; v < amp; v++) {
			if (n + 1 >= outlen)
				return -1;
			if (*v == '%') {
				if (amp - v < 3 || (hi = hexval(v[1])) == -1 ||
				    (lo = hexval(v[2])) == -1 ||
				    (hi == 0 && lo == 0))
					return -1;
				out[n++] = (char)(hi << 4 | lo);
				v += 2;
			} else
				out[n++] = *v == '+' ? ' ' : *v;
		}
		out[n] = '\0';
		return 1;
	}
	return 0;
}

/* Only printable ASCII of the provider's words reaches the terminal. */
static void
printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

enum oauth_redirect
oauth_redirect_parse(const char *url, const char *state, char *code,
    size_t codelen, char *err, size_t errlen)
{
	const char	*q, *end;
	char		 got[PARAM_MAX], e[128], desc[256];
	int		 has_code, has_error;

	code[0] = '\0';
	err[0] = '\0';
	if ((q = strchr(url, '?')) == NULL) {
		snprintf(err, errlen, "the URL has no query (no code, no "
		    "error)");
		return OAUTH_REDIRECT_MALFORMED;
	}
	q++;
	if ((end = strchr(q, '#')) == NULL)
		end = q + strlen(q);
	/* the state first: nothing of a redirect that is not ours counts */
	if (query_get(q, (size_t)(end - q), "state", got, sizeof(got)) != 1 ||
	    strcmp(got, state) != 0) {
		snprintf(err, errlen, "the redirect's state is not the one "
		    "this login sent (another login's, or forged)");
		return OAUTH_REDIRECT_BAD_STATE;
	}
	has_error = query_get(q, (size_t)(end - q), "error", e, sizeof(e));
	if (has_error == 1) {
		if (query_get(q, (size_t)(end - q), "error_description", desc,
		    sizeof(desc)) != 1)
			desc[0] = '\0';
		printable(e);
		printable(desc);
		snprintf(err, errlen, "the provider refused the login: %s%s%s",
		    e, desc[0] != '\0' ? ": " : "", desc);
		return OAUTH_REDIRECT_ERROR;
	}
	has_code = query_get(q, (size_t)(end - q), "code", code, codelen);
	if (has_code != 1 || code[0] == '\0') {
		code[0] = '\0';
		snprintf(err, errlen, has_code == -1 ? "the code is too long "
		    "or badly escaped" : "the redirect has no code");
		return OAUTH_REDIRECT_MALFORMED;
	}
	return OAUTH_REDIRECT_CODE;
}

/* An issuer without its trailing '/'s: the length compared. */
static size_t
iss_len(const char *s)
{
	size_t	 n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		n--;
	return n;
}

int
oauth_redirect_iss(const char *url, const char *issuer, char *err,
    size_t errlen)
{
	const char	*q, *end;
	char		 got[PARAM_MAX];
	size_t		 n;
	int		 rc;

	if (issuer == NULL || (q = strchr(url, '?')) == NULL)
		return 0;
	q++;
	if ((end = strchr(q, '#')) == NULL)
		end = q + strlen(q);
	if ((rc = query_get(q, (size_t)(end - q), "iss", got,
	    sizeof(got))) == 0)
		return 0;
	n = iss_len(issuer);
	if (rc == 1 && iss_len(got) == n && strncmp(got, issuer, n) == 0)
		return 0;
	if (rc == 1)
		printable(got);
	snprintf(err, errlen, "the redirect's issuer '%s' is not the "
	    "configured oauth2-issuer '%s' (RFC 9207: a code meant for "
	    "another provider)", rc == 1 ? got : "?", issuer);
	return -1;
}

int
oauth_request_target(const char *buf, size_t len, char *target,
    size_t targetlen)
{
	const char	*sp, *eol;
	size_t		 n;

	if (len < 4 || memmem(buf, len, "\r\n\r\n", 4) == NULL)
		return len >= 4 && memmem(buf, len, "\n\n", 2) != NULL ? -1 :
		    0;
	eol = memchr(buf, '\r', len);
	if (eol == NULL || (size_t)(eol - buf) < 4 ||
	    strncmp(buf, "GET ", 4) != 0)
		return -1;
	if ((sp = memchr(buf + 4, ' ', (size_t)(eol - buf - 4))) == NULL ||
	    (size_t)(eol - sp) < 9 || strncmp(sp + 1, "HTTP/1.", 7) != 0)
		return -1;
	n = (size_t)(sp - buf - 4);
	if (n == 0 || n >= targetlen || memchr(buf + 4, '\0', n) != NULL)
		return -1;
	memcpy(target, buf + 4, n);
	target[n] = '\0';
	return 1;
}

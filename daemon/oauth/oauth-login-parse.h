/* SPDX-License-Identifier: ISC */
/*
 * oauth-login-parse.h - the parts of `mailsift auth login` (oauth-login.c)
 * that tests check alone: PKCE (RFC 7636), the redirect's query and the
 * loopback listener's request line.  No socket, no log.  Internal to
 * daemon/oauth/ and its unit test.
 */
#ifndef DAEMON_OAUTH_OAUTH_LOGIN_PARSE_H
#define DAEMON_OAUTH_OAUTH_LOGIN_PARSE_H

#include <stddef.h>

/* 43 characters of base64url (no padding) for 32 bytes, and a NUL. */
#define OAUTH_B64_32	44

/* The S256 challenge of verifier: BASE64URL(SHA256(verifier)). */
int	oauth_pkce_s256(const char *verifier, char *out, size_t outlen);
/* nbytes random bytes (RAND_bytes) as base64url into out. */
int	oauth_random_b64url(size_t nbytes, char *out, size_t outlen);
/* bytes as base64url, no padding; -1 if out is too small. */
int	oauth_b64url(const unsigned char *, size_t, char *out, size_t outlen);

enum oauth_redirect {
	OAUTH_REDIRECT_CODE,		/* code[] holds it */
	OAUTH_REDIRECT_ERROR,		/* the provider said no: err */
	OAUTH_REDIRECT_BAD_STATE,	/* not ours: never exchanged */
	OAUTH_REDIRECT_MALFORMED	/* no code, no error, too long */
};

/*
 * The redirect URL (or request target) url: its query's code, state,
 * error and error_description.  state must be the one sent, checked
 * before anything else (RFC 6749 10.12).  err gets the provider's error
 * (its text bounded, control bytes dropped), never the code.
 */
enum oauth_redirect oauth_redirect_parse(const char *url, const char *state,
		    char *code, size_t codelen, char *err, size_t errlen);

/*
 * RFC 9207 (mix-up defence): 0 if url's query has no iss, or issuer is
 * NULL (not known), or the two are the same issuer (a trailing '/'
 * aside); -1 with err if the redirect names another issuer: its code was
 * meant for another provider and must not be sent to this one.
 */
int	oauth_redirect_iss(const char *url, const char *issuer, char *err,
	    size_t errlen);

/*
 * A request head buf[0..len): 0 while not whole (no blank line yet), 1 a
 * GET whose target is in target (path and query), -1 anything else or a
 * target that does not fit.
 */
int	oauth_request_target(const char *buf, size_t len, char *target,
	    size_t targetlen);

#endif

/* SPDX-License-Identifier: ISC */
/* sasl.c - SASL client responses; see sasl.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "daemon/net/reply.h"
#include "daemon/net/sasl.h"
#include "daemon/util/wipe.h"

/* Far above any real token; keeps the int arithmetic of EVP safe. */
#define SASL_RAW_MAX	(64 * 1024)

static int
sasl_known(enum auth_mech mech)
{
	return mech == AUTH_PLAIN || mech == AUTH_LOGIN ||
	    mech == AUTH_XOAUTH2 || mech == AUTH_OAUTHBEARER;
}

const char *
sasl_name(enum auth_mech mech)
{
	switch (mech) {
	case AUTH_PLAIN:
		return "PLAIN";
	case AUTH_LOGIN:
		return "LOGIN";
	case AUTH_XOAUTH2:
		return "XOAUTH2";
	case AUTH_OAUTHBEARER:
		return "OAUTHBEARER";
	case AUTH_AUTO:
	case AUTH_APOP:
		break;
	}
	return "";
}

int
sasl_client_first(enum auth_mech mech)
{
	return sasl_known(mech) && mech != AUTH_LOGIN;
}

void
sasl_free(char *s)
{
	wipe_free(s);
}

char *
sasl_base64(const void *data, size_t len)
{
	char	*out;
	int	 n;

	if (len > SASL_RAW_MAX)
		return NULL;
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (out == NULL)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	if (n < 0) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	return out;
}

long
sasl_unbase64(const char *in, size_t len, unsigned char *out, size_t outlen)
{
	unsigned char	*tmp;
	size_t		 pad = 0, tmplen;
	int		 n;

	if (len == 0)
		return 0;
	/* EVP_DecodeBlock wants whole quanta and keeps the padding bytes. */
	if (len % 4 != 0 || len > 4 * (size_t)SASL_RAW_MAX)
		return -1;
	if (in[len - 1] == '=')
		pad++;
	if (in[len - 2] == '=')
		pad++;
	tmplen = len / 4 * 3;
	tmp = malloc(tmplen);
	if (tmp == NULL)
		return -1;
	n = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n != tmplen || tmplen - pad > outlen) {
		explicit_bzero(tmp, tmplen);
		free(tmp);
		return -1;
	}
	memcpy(out, tmp, tmplen - pad);
	explicit_bzero(tmp, tmplen);
	free(tmp);
	return (long)(tmplen - pad);
}

void
sasl_challenge_text(const char *b64, size_t len, char *out, size_t outlen)
{
	unsigned char	*raw;
	size_t		 rawlen;
	long		 n;

	if (outlen == 0)
		return;
	out[0] = '\0';
	rawlen = len / 4 * 3 + 3;
	raw = malloc(rawlen);
	if (raw == NULL)
		return;
	n = sasl_unbase64(b64, len, raw, rawlen);
	if (n < 0) {
		snprintf(out, outlen, "(not base64)");
		free(raw);
		return;
	}
	reply_show((const char *)raw, (size_t)n, out, outlen);
	free(raw);
}

/* Copy s into buf at *off; the caller sized buf for it. */
static void
put(char *buf, size_t *off, const char *s, size_t len)
{
	memcpy(buf + *off, s, len);
	*off += len;
}

/* RFC 4616: authzid NUL authcid NUL passwd, with an empty authzid. */
static size_t
build_plain(char *buf, const char *user, const char *secret)
{
	size_t	 off = 0;

	put(buf, &off, "", 1);
	put(buf, &off, user, strlen(user) + 1);
	put(buf, &off, secret, strlen(secret));
	return off;
}

static size_t
build_xoauth2(char *buf, const char *user, const char *secret)
{
	size_t	 off = 0;

	put(buf, &off, "user=", 5);
	put(buf, &off, user, strlen(user));
	put(buf, &off, "\001auth=Bearer ", 13);
	put(buf, &off, secret, strlen(secret));
	put(buf, &off, "\001\001", 2);
	return off;
}

/* RFC 7628 with the RFC 5801 GS2 header; ',' and '=' in the user name
 * are escaped as "=2C" and "=3D" (each at most triples the name). */
static size_t
build_oauthbearer(char *buf, const char *user, const char *secret)
{
	size_t		 off = 0;
	const char	*u;

	put(buf, &off, "n,a=", 4);
	for (u = user; *u != '\0'; u++) {
		if (*u == ',')
			put(buf, &off, "=2C", 3);
		else if (*u == '=')
			put(buf, &off, "=3D", 3);
		else
			put(buf, &off, u, 1);
	}
	put(buf, &off, ",\001auth=Bearer ", 14);
	put(buf, &off, secret, strlen(secret));
	put(buf, &off, "\001\001", 2);
	return off;
}

/* The first response of a client-first mechanism, or LOGIN's user. */
static char *
first_response(enum auth_mech mech, const char *user, const char *secret,
    char *err, size_t errlen)
{
	char	*raw, *b64;
	size_t	 ulen = strlen(user), slen = strlen(secret), cap, len;

	if (ulen > SASL_RAW_MAX / 4 || slen > SASL_RAW_MAX / 4) {
		snprintf(err, errlen, "the user name or secret is too long");
		return NULL;
	}
	if (mech == AUTH_LOGIN) {
		if ((b64 = sasl_base64(user, ulen)) == NULL)
			snprintf(err, errlen, "out of memory");
		return b64;
	}
	if (mech != AUTH_PLAIN && (strchr(user, '\001') != NULL ||
	    strchr(secret, '\001') != NULL)) {
		snprintf(err, errlen, "the user name or token contains a "
		    "control-A, which %s cannot carry", sasl_name(mech));
		return NULL;
	}
	cap = 3 * ulen + slen + 32;
	if ((raw = malloc(cap)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (mech == AUTH_PLAIN)
		len = build_plain(raw, user, secret);
	else if (mech == AUTH_XOAUTH2)
		len = build_xoauth2(raw, user, secret);
	else
		len = build_oauthbearer(raw, user, secret);
	b64 = sasl_base64(raw, len);
	explicit_bzero(raw, cap);
	free(raw);
	if (b64 == NULL)
		snprintf(err, errlen, "out of memory");
	return b64;
}

char *
sasl_encode(enum auth_mech mech, const char *user, const char *secret)
{
	char	 err[128];

	return sasl_response(mech, 0, user, secret, err, sizeof(err));
}

char *
sasl_response(enum auth_mech mech, unsigned step, const char *user,
    const char *secret, char *err, size_t errlen)
{
	char	*out;

	if (!sasl_known(mech)) {
		snprintf(err, errlen, "auth %d is not a SASL mechanism",
		    (int)mech);
		return NULL;
	}
	if (step == 0)
		return first_response(mech, user, secret, err, errlen);
	if (step == 1 && mech == AUTH_LOGIN)
		out = strlen(secret) > SASL_RAW_MAX / 4 ? NULL :
		    sasl_base64(secret, strlen(secret));
	else if (step == 1 && mech == AUTH_XOAUTH2)
		out = strdup("");
	else if (step == 1 && mech == AUTH_OAUTHBEARER)
		out = sasl_base64("\001", 1);
	else {
		snprintf(err, errlen, "the server sent more challenges than "
		    "%s has answers", sasl_name(mech));
		return NULL;
	}
	if (out == NULL)
		snprintf(err, errlen, "out of memory, or the secret is too "
		    "long");
	return out;
}

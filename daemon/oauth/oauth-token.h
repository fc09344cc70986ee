/* SPDX-License-Identifier: ISC */
/*
 * oauth-token.h - the token endpoint's answer (RFC 6749 5.1 and 5.2): a
 * JSON object read into the few members mailsift uses.  Internal to
 * daemon/oauth/.
 */
#ifndef DAEMON_OAUTH_OAUTH_TOKEN_H
#define DAEMON_OAUTH_OAUTH_TOKEN_H

#include <stddef.h>

struct oauth_answer {
	char	*access_token;
	char	*refresh_token;	/* NULL: not rotated */
	char	*token_type;
	char	*scope;
	long	 expires_in;	/* -1: not given */
	char	*error;		/* "invalid_grant", ... */
	char	*error_description;
};

/* 0, or -1 if text is not a JSON object (or out of memory).  Unknown
 * members are skipped. */
int	oauth_answer_parse(const char *text, size_t len,
	    struct oauth_answer *);
/* The string members names[0..n-1] of a JSON object (an OpenID
 * discovery document) into out[i] (malloc'd; NULL if absent or not a
 * string); others skipped.  0, or -1 if text is not a JSON object. */
int	oauth_json_strings(const char *text, size_t len,
	    const char *const *names, char **out, size_t n);
/* Wipes the tokens. */
void	oauth_answer_clear(struct oauth_answer *);

/* Any other JSON object of an OAuth2 endpoint (the device
 * authorization answer, RFC 8628 3.2): each member named in m read into
 * *str (malloc'd; a string only, left NULL otherwise) or *num (an
 * integer, or an integer in a string; -1 if a string is not one).  Set
 * the targets to NULL and -1 first; the caller frees the strings, also
 * after an error (-1: not a JSON object, or out of memory). */
struct oauth_json_member {
	const char	*name;
	char		**str;	/* or NULL */
	long		*num;	/* when str is NULL */
};
int	oauth_json_parse(const char *text, size_t len,
	    const struct oauth_json_member *m, size_t n);

#endif

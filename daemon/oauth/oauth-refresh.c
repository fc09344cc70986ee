/* SPDX-License-Identifier: ISC */
/*
 * oauth-refresh.c - valid access tokens for an account, refreshed ahead
 * of expiry, one token request at a time per grant; see oauth.h.
 *
 * Order matters with rotating refresh tokens: the provider forgets the
 * old refresh token when it answers (reusing it revokes the whole grant
 * at some providers), so the new one is committed to the store before
 * the new access token leaves this file.  If that commit fails the token
 * is not used: better one failed login than a grant lost on restart.
 * With a keyring (oauth2-store-command) the same holds for the command:
 * it must take the new refresh token before the access token is used.
 *
 * Processes share grants through the state file (`mailsift run` and
 * `mailsift send` at once): a refresh holds an open-file-description
 * lock on one byte of STATE.oauth-lock, the byte the grant's name
 * hashes to, and reads the grant again once it has it.
 */
#define _GNU_SOURCE		/* F_OFD_SETLKW */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/conf/conf.h"
#include "daemon/net/http.h"
#include "daemon/oauth/oauth.h"
#include "daemon/oauth/oauth-post.h"
#include "daemon/oauth/oauth-token.h"
#include "daemon/store/oauth.h"
#include "daemon/util/log.h"
#include "daemon/util/wipe.h"

/* Bytes of a token endpoint's answer kept: tokens are a few KB. */
#define OAUTH_MAX_ANSWER	(64 * 1024)
/* What a hook is told about a grant that needs a login. */
#define OAUTH_REASON_REFUSED	"invalid_grant: the provider refused the " \
	"grant (revoked, expired, or the password changed)"

/* One lock per grant, made on first use and kept for the process. */
struct grant_lock {
	struct grant_lock	*next;
	pthread_mutex_t		 m;
	char			 account[];
};

static pthread_mutex_t	 locks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct grant_lock *locks;

static struct grant_lock *
grant_lock_get(const char *account)
{
	struct grant_lock	*g;
	size_t			 len = strlen(account) + 1;

	if (pthread_mutex_lock(&locks_lock) != 0)
		return NULL;
	for (g = locks; g != NULL; g = g->next)
		if (strcmp(g->account, account) == 0)
			break;
	if (g == NULL && (g = malloc(sizeof(*g) + len)) != NULL) {
		if (pthread_mutex_init(&g->m, NULL) != 0) {
			free(g);
			g = NULL;
		} else {
			memcpy(g->account, account, len);
			g->next = locks;
			locks = g;
		}
	}
	pthread_mutex_unlock(&locks_lock);
	return g;
}

void
oauth_token_free(char *t)
{
	wipe_free(t);
}

/* The stored token is good for this use: enough of its life is left. */
static int
token_fresh(const struct oauth_grant *g, int64_t now)
{
	int64_t	 ahead = OAUTH_REFRESH_AHEAD;

	if (g->access_token == NULL || g->expires <= now)
		return 0;
	if (g->last_refresh > 0 && (g->expires - g->last_refresh) / 4 < ahead)
		ahead = (g->expires - g->last_refresh) / 4;
	return g->expires - now > ahead;
}

static char *
token_copy(const char *t, char *err, size_t errlen)
{
	char	*c;

	if ((c = strdup(t)) == NULL)
		snprintf(err, errlen, "out of memory");
	return c;
}

/* The request body of the refresh_token grant. */
static char *
token_form(const struct oauth_client *c, const struct oauth_grant *g)
{
	const char	*kv[10];

	kv[0] = "grant_type";
	kv[1] = "refresh_token";
	kv[2] = "refresh_token";
	kv[3] = g->refresh_token;
	kv[4] = "client_id";
	kv[5] = c->client_id;
	kv[6] = "client_secret";
	kv[7] = c->client_secret;
	kv[8] = "scope";
	kv[9] = c->scopes;
	return http_form_encode(kv, 5);
}

/* oauth2-flow = client-credentials: the app's own token, the client
 * authenticated with HTTP Basic (oauth-post.c). */
static int
app_post(const struct oauth_client *c, struct http_response *r, char *err,
    size_t errlen)
{
	const char	*kv[] = { "grant_type", "client_credentials",
			    "scope", c->scopes };
	char		 e[256];

	if (oauth_post_form(c, c->token_url, kv, 2, r, e, sizeof(e)) == 0)
		return 0;
	snprintf(err, errlen, "account '%s': token request to the OAuth2 "
	    "provider failed: %s", c->account, e);
	return -1;
}

static int
token_post(const struct oauth_client *c, const struct oauth_grant *g,
    struct http_response *r, char *err, size_t errlen)
{
	const char		*headers[] = { HTTP_FORM_TYPE,
				    "Accept: application/json" };
	struct http_request	 rq;
	char			*body;
	int			 rc;

	if (c->client_credentials)
		return app_post(c, r, err, errlen);
	if ((body = token_form(c, g)) == NULL) {
		snprintf(err, errlen, "out of memory");
		memset(r, 0, sizeof(*r));
		r->outcome = HTTP_LOCAL;
		return -1;
	}
	memset(&rq, 0, sizeof(rq));
	rq.url = c->token_url;
	rq.headers = headers;
	rq.nheaders = 2;
	rq.body = body;
	rq.len = strlen(body);
	rq.timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 30000;
	rq.verify = c->verify;
	rq.ca_file = c->ca_file;
	rq.max_answer = OAUTH_MAX_ANSWER;
	log_debug("account '%s': OAuth2 token request (%s)", c->account,
	    g->refresh_token != NULL ? "refresh_token" : "client_credentials");
	rc = (c->post != NULL ? c->post : http_post)(&rq, r);
	http_form_free(body);
	if (rc == -1)
		snprintf(err, errlen, "account '%s': token request to the "
		    "OAuth2 provider failed: %s", c->account, r->error);
	return rc;
}

/* auth-failure-command, once per grant going to "needs login": told in
 * its environment only (no token there), its failure logged. */
static void
grant_failure_hook(const struct oauth_client *c, const char *reason)
{
	char		 acct[512], why[512], label[300], e[512];
	const char	*env[3];

	if (c->failure_command == NULL)
		return;
	snprintf(acct, sizeof(acct), "MAILSIFT_ACCOUNT=%s", c->account);
	snprintf(why, sizeof(why), "MAILSIFT_REASON=%s", reason);
	snprintf(label, sizeof(label), "account '%s'", c->account);
	env[0] = acct;
	env[1] = why;
	env[2] = NULL;
	if (conf_command_run(label, "auth-failure-command", c->failure_command,
	    NULL, env, e, sizeof(e)) == -1)
		log_error("%s", e);
	else
		log_info("account '%s': auth-failure-command ran", c->account);
}

/* invalid_grant: the grant is dead until the user logs in again. */
static enum oauth_status
token_refused(struct state *st, const struct oauth_client *c, char *err,
    size_t errlen)
{
	char	 e[256];

	if (state_oauth_needs_login(st, c->account, OAUTH_REASON_REFUSED, e,
	    sizeof(e)) == -1)
		log_error("account '%s': %s", c->account, e);
	log_event(LOG_LEVEL_ERROR, "oauth-needs-login", "account '%s': the "
	    "OAuth2 provider refused the grant (invalid_grant: revoked, "
	    "expired, or the password changed); no retry until you run "
	    "`mailsift auth login %s`", c->account, c->account);
	snprintf(err, errlen, "account '%s': needs login: run `mailsift auth "
	    "login %s`", c->account, c->account);
	grant_failure_hook(c, OAUTH_REASON_REFUSED);
	return OAUTH_NEEDS_LOGIN;
}

/* An answer that is not a token: an error code, never its body. */
static enum oauth_status
token_error(struct state *st, const struct oauth_client *c,
    const struct http_response *r, const struct oauth_answer *a, char *err,
    size_t errlen)
{
	char	 code[64];

	if (a->error != NULL && strcmp(a->error, "invalid_grant") == 0)
		return token_refused(st, c, err, errlen);
	log_clean(a->error != NULL ? a->error : "", a->error != NULL ?
	    strlen(a->error) : 0, code, sizeof(code), LOG_CLEAN_MARK);
	snprintf(err, errlen, "account '%s': the OAuth2 token endpoint "
	    "answered HTTP %ld%s%s", c->account, r->status,
	    code[0] != '\0' ? ": " : "", code);
	if (r->status >= 500 || r->status == 429 || r->status == 0)
		return OAUTH_TEMPORARY;
	return OAUTH_FAILED;
}

/* A rotated refresh token to the keyring: its command must take it. */
/* The keyring's store command gets refresh on its stdin; 0 once it
 * exited 0, else -1 with err (never the token). */
static int
keyring_store(const struct oauth_client *c, const char *refresh,
    char *err, size_t errlen)
{
	char	 label[300], e[512], *line;
	size_t	 n = strlen(refresh);
	int	 rc;

	if ((line = malloc(n + 2)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(line, refresh, n);
	memcpy(line + n, "\n", 2);
	snprintf(label, sizeof(label), "account '%s'", c->account);
	rc = conf_command_run(label, "oauth2-store-command", c->store_command,
	    line, NULL, e, sizeof(e));
	explicit_bzero(line, n + 1);
	free(line);
	if (rc == -1)
		snprintf(err, errlen, "%s: the new refresh token was not "
		    "stored, so the access token that came with it is not "
		    "used (if the provider dropped the old one, run `mailsift "
		    "auth login %s`)", e, c->account);
	return rc;
}

int
oauth_grant_save(struct state *st, const struct oauth_client *c,
    const struct oauth_grant *g, char *err, size_t errlen)
{
	struct oauth_grant	 ng;

	if (c->store_command == NULL || g->refresh_token == NULL)
		return state_oauth_put(st, g, err, errlen);
	if (keyring_store(c, g->refresh_token, err, errlen) == -1)
		return -1;
	ng = *g;
	ng.refresh_token = NULL;
	return state_oauth_put(st, &ng, err, errlen);
}

/* The new tokens kept before use: in the store, or the refresh token in
 * the keyring and the access token alone in the store. */
static int
token_commit(struct state *st, const struct oauth_client *c,
    const struct oauth_grant *g, const struct oauth_answer *a,
    int64_t expires, char *err, size_t errlen)
{
	struct oauth_grant	 ng;

	if (c->store_command == NULL)
		return state_oauth_refreshed(st, c->account, a->refresh_token,
		    a->access_token, expires, err, errlen);
	if (a->refresh_token != NULL && keyring_store(c,
	    a->refresh_token, err, errlen) == -1)
		return -1;
	/* the keyring holds the refresh token: none in the state file */
	ng = *g;
	ng.refresh_token = NULL;
	ng.access_token = a->access_token;
	ng.expires = expires;
	ng.last_refresh = (int64_t)time(NULL);
	return state_oauth_put(st, &ng, err, errlen);
}

/* With a keyring, the refresh token comes from oauth2-token-command. */
int
oauth_keyring_read(const struct oauth_client *c, struct oauth_grant *g,
    char *err, size_t errlen)
{
	char	 label[300], e[512], *t;

	if (c->token_command == NULL)
		return 0;
	snprintf(label, sizeof(label), "account '%s'", c->account);
	if ((t = conf_command_secret(label, "oauth2-token-command",
	    c->token_command, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "%s: no refresh token from the keyring",
		    e);
		return -1;
	}
	oauth_token_free(g->refresh_token);
	g->refresh_token = t;
	return 0;
}

static enum oauth_status
token_refresh(struct state *st, const struct oauth_client *c,
    const struct oauth_grant *g, char **token, char *err, size_t errlen)
{
	struct http_response	 r;
	struct oauth_answer	 a;
	enum oauth_status	 s;
	int64_t			 now = (int64_t)time(NULL);
	long			 life;

	if (token_post(c, g, &r, err, errlen) == -1) {
		s = r.outcome == HTTP_LOCAL ? OAUTH_FAILED : OAUTH_TEMPORARY;
		http_response_free(&r);
		return s;
	}
	if (r.answer == NULL || oauth_answer_parse(r.answer, r.answer_len,
	    &a) == -1) {
		snprintf(err, errlen, "account '%s': the OAuth2 token endpoint "
		    "answered HTTP %ld without a JSON object", c->account,
		    r.status);
		s = r.status >= 500 ? OAUTH_TEMPORARY : OAUTH_FAILED;
		http_response_free(&r);
		return s;
	}
	if (r.status != 200 || a.access_token == NULL || a.error != NULL) {
		s = token_error(st, c, &r, &a, err, errlen);
		goto out;
	}
	life = a.expires_in > 0 ? a.expires_in : OAUTH_DEFAULT_LIFE;
	/* the rotated refresh token first: see the comment on top */
	if (token_commit(st, c, g, &a, now + life, err, errlen) == -1) {
		s = OAUTH_FAILED;
		goto out;
	}
	s = (*token = token_copy(a.access_token, err, errlen)) == NULL ?
	    OAUTH_FAILED : OAUTH_OK;
	if (s == OAUTH_OK)
		log_debug("account '%s': OAuth2 access token refreshed, "
		    "valid %ld s%s", c->account, life, a.refresh_token != NULL ?
		    ", refresh token rotated" : "");
out:
	oauth_answer_clear(&a);
	/* the answer held the tokens */
	if (r.answer != NULL)
		explicit_bzero(r.answer, r.answer_len);
	http_response_free(&r);
	return s;
}

/* oauth2-flow = client-credentials: the app's grant, made on first use
 * (no login, no refresh token); the token request follows.  1 and *g
 * loaded, or -1. */
static int
app_grant(struct state *st, const struct oauth_client *c,
    struct oauth_grant *g, char *err, size_t errlen)
{
	struct oauth_grant	 n;

	memset(&n, 0, sizeof(n));
	n.account = (char *)c->account;
	n.provider = (char *)c->provider;
	n.scopes = (char *)c->scopes;
	if (state_oauth_put(st, &n, err, errlen) == -1)
		return -1;
	return state_oauth_get(st, c->account, g, err, errlen) == 1 ? 1 : -1;
}

/* The grant from the store: 1 with *g (a token to hand out, or one to
 * refresh), or a status to return. */
static int
grant_read(struct state *st, const struct oauth_client *c,
    struct oauth_grant *g, enum oauth_status *s, char *err, size_t errlen)
{
	int	 rc;

	if ((rc = state_oauth_get(st, c->account, g, err, errlen)) == -1 ||
	    (rc == 0 && c->client_credentials &&
	    (rc = app_grant(st, c, g, err, errlen)) == -1)) {
		*s = OAUTH_FAILED;
		return 0;
	}
	if (rc == 0) {
		snprintf(err, errlen, "account '%s': no OAuth2 grant; run "
		    "`mailsift auth login %s`", c->account, c->account);
		*s = OAUTH_NEEDS_LOGIN;
		return 0;
	}
	if (g->needs_login) {
		snprintf(err, errlen, "account '%s': needs login: run "
		    "`mailsift auth login %s`", c->account, c->account);
		*s = OAUTH_NEEDS_LOGIN;
		state_oauth_grant_clear(g);
		return 0;
	}
	return 1;
}

/* The stored token will do: fresh, and not the one just refused (or
 * another thread or process has refreshed that one). */
static int
grant_usable(const struct oauth_grant *g, const char *refused)
{
	return token_fresh(g, (int64_t)time(NULL)) && (refused == NULL ||
	    strcmp(refused, g->access_token) != 0);
}

/* A refresh under the grant's store lock, the grant read again there. */
static enum oauth_status
token_refresh_shared(struct state *st, const struct oauth_client *c,
    const char *refused, char **token, char *err, size_t errlen)
{
	struct oauth_grant	 g;
	enum oauth_status	 s;

	if (state_oauth_lock(st, c->account, err, errlen) == -1)
		return OAUTH_FAILED;
	if (!grant_read(st, c, &g, &s, err, errlen))
		goto out;
	if (grant_usable(&g, refused))
		s = (*token = token_copy(g.access_token, err, errlen)) ==
		    NULL ? OAUTH_FAILED : OAUTH_OK;
	else if (g.refresh_token == NULL && !c->client_credentials &&
	    c->token_command == NULL) {
		/* a login that gave no refresh token: nothing to refresh */
		snprintf(err, errlen, "account '%s': the grant has no refresh "
		    "token; run `mailsift auth login %s`", c->account,
		    c->account);
		s = OAUTH_NEEDS_LOGIN;
	} else if (oauth_keyring_read(c, &g, err, errlen) == -1)
		s = OAUTH_FAILED;
	else
		s = token_refresh(st, c, &g, token, err, errlen);
	state_oauth_grant_clear(&g);
out:
	state_oauth_unlock(st);
	return s;
}

static enum oauth_status
token_locked(struct state *st, const struct oauth_client *c,
    const char *refused, char **token, char *err, size_t errlen)
{
	struct oauth_grant	 g;
	enum oauth_status	 s;

	if (!grant_read(st, c, &g, &s, err, errlen))
		return s;
	if (grant_usable(&g, refused)) {
		s = (*token = token_copy(g.access_token, err, errlen)) ==
		    NULL ? OAUTH_FAILED : OAUTH_OK;
		state_oauth_grant_clear(&g);
		return s;
	}
	state_oauth_grant_clear(&g);
	return token_refresh_shared(st, c, refused, token, err, errlen);
}

enum oauth_status
oauth_token(struct state *st, const struct oauth_client *c,
    const char *refused, char **token, char *err, size_t errlen)
{
	struct grant_lock	*l;
	enum oauth_status	 s;

	*token = NULL;
	if ((l = grant_lock_get(c->account)) == NULL) {
		snprintf(err, errlen, "account '%s': cannot set up the OAuth2 "
		    "grant's lock", c->account);
		return OAUTH_FAILED;
	}
	if (pthread_mutex_lock(&l->m) != 0) {
		snprintf(err, errlen, "account '%s': cannot take the OAuth2 "
		    "grant's lock", c->account);
		return OAUTH_FAILED;
	}
	s = token_locked(st, c, refused, token, err, errlen);
	pthread_mutex_unlock(&l->m);
	return s;
}

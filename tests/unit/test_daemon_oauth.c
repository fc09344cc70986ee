/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for daemon/oauth/: oauth-refresh.c (tokens, refresh, one
 * request per grant, rotation committed first, invalid_grant) with a
 * fake token endpoint in place of http_post(), oauth-token.c (the JSON
 * answer) and net/http.c's form encoding.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/conf/conf.h"
#include "daemon/net/http.h"
#include "daemon/oauth/oauth.h"
#include "daemon/oauth/oauth-token.h"
#include "daemon/store/oauth.h"
#include "daemon/store/state.h"
#include "daemon/util/log.h"

static char	 dir[64];
static char	 path[PATH_MAX];
static char	 err[512];

/* The fake token endpoint: what it answers, what it saw. */
static pthread_mutex_t	 fake_lock = PTHREAD_MUTEX_INITIALIZER;
static int		 fake_requests;
static long		 fake_status;
static const char	*fake_answer;	/* NULL: a network failure */
static char		 fake_body[1024];
static int		 fake_forget;	/* logout during the request */

/* Log lines, to count and search. */
static char		 logged[8][512];
static int		 nlogged;

static void
log_hook(enum log_level level, const char *line)
{
	(void)level;
	if (nlogged < 8)
		snprintf(logged[nlogged], sizeof(logged[0]), "%s", line);
	nlogged++;
}

static int
fake_post(const struct http_request *rq, struct http_response *r)
{
	struct timespec	 ts = { 0, 50 * 1000 * 1000 };

	memset(r, 0, sizeof(*r));
	pthread_mutex_lock(&fake_lock);
	fake_requests++;
	snprintf(fake_body, sizeof(fake_body), "%.*s", (int)rq->len, rq->body);
	pthread_mutex_unlock(&fake_lock);
	assert_string_equal(rq->headers[0], HTTP_FORM_TYPE);
	/* a slow provider: a second thread arrives meanwhile (the test
	 * holds whatever the timing) */
	nanosleep(&ts, NULL);
	if (fake_forget) {
		struct state	*st = state_open(path, 0, err, sizeof(err));

		assert_non_null(st);
		assert_int_equal(state_oauth_forget(st, "a", err,
		    sizeof(err)), 0);
		state_close(st);
	}
	if (fake_answer == NULL) {
		r->outcome = HTTP_NETWORK;
		snprintf(r->error, sizeof(r->error), "Connection refused");
		return -1;
	}
	r->outcome = HTTP_ANSWERED;
	r->status = fake_status;
	r->answer = strdup(fake_answer);
	assert_non_null(r->answer);
	r->answer_len = strlen(r->answer);
	return 0;
}

static const struct oauth_client client = {
	.account = "a",
	.token_url = "https://id.example.com/token",
	.client_id = "cid",
	.scopes = "offline_access imap",
	.verify = 1,
	.post = fake_post,
};

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/mailsift-oauth-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/state.db", dir);
	fake_requests = 0;
	fake_status = 200;
	fake_answer = NULL;
	fake_forget = 0;
	fake_body[0] = '\0';
	nlogged = 0;
	log_init(0, LOG_LEVEL_INFO);
	log_set_hook(log_hook);
	*state = state_open(path, 0, err, sizeof(err));
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	 p[PATH_MAX + 16];

	log_set_hook(NULL);
	state_close(*state);
	(void)unlink(path);
	snprintf(p, sizeof(p), "%s.oauth-lock", path);
	(void)unlink(p);
	snprintf(p, sizeof(p), "%s/hook", dir);
	(void)unlink(p);
	snprintf(p, sizeof(p), "%s/keyring", dir);
	(void)unlink(p);
	snprintf(p, sizeof(p), "%s-wal", path);
	(void)unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	(void)unlink(p);
	return rmdir(dir);
}

/* A grant for "a": refresh token R1, access token A1 valid for life
 * seconds from now (last refreshed an hour before it expires). */
static void
grant(struct state *st, const char *refresh, long life)
{
	struct oauth_grant	 g;
	int64_t			 now = (int64_t)time(NULL);

	memset(&g, 0, sizeof(g));
	g.account = (char *)"a";
	g.provider = (char *)"custom";
	g.scopes = (char *)"offline_access imap";
	g.refresh_token = (char *)refresh;
	g.access_token = (char *)"A1";
	g.expires = now + life;
	g.last_refresh = now + life - 3600;
	assert_int_equal(state_oauth_put(st, &g, err, sizeof(err)), 0);
}

static void
stored(struct state *st, struct oauth_grant *g)
{
	assert_int_equal(state_oauth_get(st, "a", g, err, sizeof(err)), 1);
}

static void
test_fresh_token_no_request(void **state)
{
	struct state	*st = *state;
	char		*t;

	grant(st, "R1", 3000);
	assert_int_equal(oauth_token(st, &client, NULL, &t, err, sizeof(err)),
	    OAUTH_OK);
	assert_string_equal(t, "A1");
	oauth_token_free(t);
	assert_int_equal(fake_requests, 0);
}

static void
test_refresh_rotates(void **state)
{
	struct state		*st = *state;
	struct oauth_grant	 g;
	char			*t;

	grant(st, "R1", 100);	/* under OAUTH_REFRESH_AHEAD left */
	fake_answer = "{\"access_token\":\"A2\",\"token_type\":\"Bearer\","
	    "\"expires_in\":3600,\"refresh_token\":\"R2\",\"scope\":"
	    "\"offline_access imap\"}";
	assert_int_equal(oauth_token(st, &client, NULL, &t, err, sizeof(err)),
	    OAUTH_OK);
	assert_string_equal(t, "A2");
	oauth_token_free(t);
	assert_int_equal(fake_requests, 1);
	assert_string_equal(fake_body, "grant_type=refresh_token&"
	    "refresh_token=R1&client_id=cid&scope=offline_access%20imap");
	stored(st, &g);
	assert_string_equal(g.refresh_token, "R2");
	assert_string_equal(g.access_token, "A2");
	assert_true(g.expires >= (int64_t)time(NULL) + 3500);
	state_oauth_grant_clear(&g);
	/* the next ask uses it */
	assert_int_equal(oauth_token(st, &client, NULL, &t, err, sizeof(err)),
	    OAUTH_OK);
	assert_string_equal(t, "A2");
	oauth_token_free(t);
	assert_int_equal(fake_requests, 1);
}

/* A short-lived token (20 s) is refreshed at a quarter of its life, not
 * at OAUTH_REFRESH_AHEAD (which would refresh on every ask). */
static void
test_short_life(void **state)
{
	struct state		*st = *state;
	struct oauth_grant	 g;
	int64_t			 now = (int64_t)time(NULL);
	char			*t;

	memset(&g, 0, sizeof(g));
	g.account = (char *)"a";
	g.provider = (char *)"custom";
	g.scopes = (char *)"";
	g.refresh_token = (char *)"R1";
	g.access_token = (char *)"A1";
	g.last_refresh = now;
	g.expires = now + 20;
	assert_int_equal(state_oauth_put(st, &g, err, sizeof(err)), 0);
	assert_int_equal(oauth_token(st, &client, NULL, &t, err, sizeof(err)),
	    OAUTH_OK);
	assert_string_equal(t, "A1");
	oauth_token_free(t);
	assert_int_equal(fake_requests, 0);
}

/* The new refresh token cannot be saved: the access token is not used. */
static void
test_commit_before_use(void **state)
{
	struct state	*st = *state;
	char		*t = NULL;

	grant(st, "R1", 0);
	fake_answer = "{\"access_token\":\"A2\",\"expires_in\":60,"
	    "\"refresh_token\":\"R2\"}";
	fake_forget = 1;
	assert_int_equal(oauth_token(st, &client, NULL, &t, err, sizeof(err)),
	    OAUTH_FAILED);
	assert_null(t);
	assert_non_null(strstr(err, "gone"));
	assert_null(strstr(err, "A2"));
	assert_null(strstr(err, "R2"));
}

static void
test_invalid_grant(void **state)
{
	struct state		*st = *state;
	struct oauth_grant	 g;
	char			*t = NULL;
	int			 i;

	grant(st, "R1secret", 0);
	fake_status = 400;
	fake_answer = "{\"error\":\"invalid_grant\",\"error_description\":"
	    "\"grant request is invalid\"}";
	assert_int_equal(oauth_token(st, &client, NULL, &t, err, sizeof(err)),
	    OAUTH_NEEDS_LOGIN);
	assert_null(t);
	assert_non_null(strstr(err, "mailsift auth login a"));
	stored(st, &g);
	assert_int_equal(g.needs_login, 1);
	assert_null(g.access_token);
	assert_non_null(strstr(g.error, "invalid_grant"));
	state_oauth_grant_clear(&g);
	/* one clear line, naming the command, no token */
	assert_int_equal(nlogged, 1);
	assert_non_null(strstr(logged[0], "`mailsift auth login a`"));
	assert_null(strstr(logged[0], "R1secret"));
	/* no retry storm: the next asks make no request, log nothing */
	for (i = 0; i < 3; i++) {
		assert_int_equal(oauth_token(st, &client, NULL, &t, err,
		    sizeof(err)), OAUTH_NEEDS_LOGIN);
		assert_non_null(strstr(err, "mailsift auth login a"));
	}
	assert_int_equal(fake_requests, 1);
	assert_int_equal(nlogged, 1);
}

static void
test_no_grant(void **state)
{
	struct state	*st = *state;
	char		*t = NULL;

	assert_int_equal(oauth_token(st, &client, NULL, &t, err, sizeof(err)),
	    OAUTH_NEEDS_LOGIN);
	assert_non_null(strstr(err, "no OAuth2 grant; run `mailsift auth "
	    "login a`"));
	assert_int_equal(fake_requests, 0);
}

static void
test_provider_down(void **state)
{
	struct state		*st = *state;
	struct oauth_grant	 g;
	char			*t = NULL;

	grant(st, "R1", 0);
	fake_answer = NULL;
	assert_int_equal(oauth_token(st, &client, NULL, &t, err, sizeof(err)),
	    OAUTH_TEMPORARY);
	assert_non_null(strstr(err, "Connection refused"));
	fake_status = 503;
	fake_answer = "<html>down</html>";
	assert_int_equal(oauth_token(st, &client, NULL, &t, err, sizeof(err)),
	    OAUTH_TEMPORARY);
	fake_status = 401;
	fake_answer = "{\"error\":\"invalid_client\"}";
	assert_int_equal(oauth_token(st, &client, NULL, &t, err, sizeof(err)),
	    OAUTH_FAILED);
	assert_non_null(strstr(err, "HTTP 401: invalid_client"));
	assert_null(t);
	/* none of these touches the grant */
	stored(st, &g);
	assert_int_equal(g.needs_login, 0);
	assert_string_equal(g.refresh_token, "R1");
	state_oauth_grant_clear(&g);
	assert_int_equal(fake_requests, 3);
}

/* The server refused A1 at login: refresh once even though it has not
 * expired; a second thread with the same refused token gets the new
 * one without a second request. */
static void
test_refused_token(void **state)
{
	struct state	*st = *state;
	char		*t;

	grant(st, "R1", 3000);
	fake_answer = "{\"access_token\":\"A2\",\"expires_in\":3600}";
	assert_int_equal(oauth_token(st, &client, "A1", &t, err, sizeof(err)),
	    OAUTH_OK);
	assert_string_equal(t, "A2");
	oauth_token_free(t);
	assert_int_equal(oauth_token(st, &client, "A1", &t, err, sizeof(err)),
	    OAUTH_OK);
	assert_string_equal(t, "A2");
	oauth_token_free(t);
	assert_int_equal(fake_requests, 1);
}

/* No refresh token (Microsoft 365 app-only): client credentials. */
static void
test_client_credentials(void **state)
{
	struct state		*st = *state;
	struct oauth_client	 c = client;
	char			*t;

	c.client_credentials = 1;
	c.client_secret = "s e&cret";
	c.scopes = "https://outlook.office365.com/.default";
	grant(st, NULL, 0);
	fake_answer = "{\"access_token\":\"A2\",\"expires_in\":\"600\"}";
	assert_int_equal(oauth_token(st, &c, NULL, &t, err, sizeof(err)),
	    OAUTH_OK);
	oauth_token_free(t);
	/* the client in HTTP Basic (oauth-post.c), not in the form */
	assert_string_equal(fake_body, "grant_type=client_credentials&"
	    "scope=https%3A%2F%2Foutlook.office365.com%2F.default");
}

struct asker {
	pthread_barrier_t	*go;
	char			*token;
	enum oauth_status	 status;
};

static void *
ask(void *arg)
{
	struct asker	*a = arg;
	struct state	*st;
	char		 e[512];

	st = state_open(path, 0, e, sizeof(e));
	if (st == NULL)
		return NULL;
	pthread_barrier_wait(a->go);
	a->status = oauth_token(st, &client, NULL, &a->token, e, sizeof(e));
	state_close(st);
	return NULL;
}

static void
test_two_threads_one_request(void **state)
{
	struct state		*st = *state;
	pthread_barrier_t	 go;
	pthread_t		 th[2];
	struct asker		 a[2];
	int			 i;

	grant(st, "R1", 0);
	fake_answer = "{\"access_token\":\"A2\",\"expires_in\":3600,"
	    "\"refresh_token\":\"R2\"}";
	assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
	for (i = 0; i < 2; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].go = &go;
		a[i].status = OAUTH_FAILED;
		assert_int_equal(pthread_create(&th[i], NULL, ask, &a[i]), 0);
	}
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&go);
	for (i = 0; i < 2; i++) {
		assert_int_equal(a[i].status, OAUTH_OK);
		assert_string_equal(a[i].token, "A2");
		oauth_token_free(a[i].token);
	}
	assert_int_equal(fake_requests, 1);
}

static void
test_answer_parse(void **state)
{
	struct oauth_answer	 a;
	const char		*t;

	(void)state;
	t = " { \"token_type\" : \"Bearer\", \"x\": {\"y\": [1, 2.5e3, "
	    "true, null, \"\\\"\"]}, \"access_token\": \"a\\u00e9\\/b\\n\", "
	    "\"expires_in\": 3599 , \"id_token\": \"e.y.j\"}";
	assert_int_equal(oauth_answer_parse(t, strlen(t), &a), 0);
	assert_string_equal(a.access_token, "a\xc3\xa9/b\n");
	assert_string_equal(a.token_type, "Bearer");
	assert_int_equal(a.expires_in, 3599);
	assert_null(a.refresh_token);
	oauth_answer_clear(&a);
	t = "{\"error\":\"invalid_grant\"}";
	assert_int_equal(oauth_answer_parse(t, strlen(t), &a), 0);
	assert_string_equal(a.error, "invalid_grant");
	assert_int_equal(a.expires_in, -1);
	oauth_answer_clear(&a);
	assert_int_equal(oauth_answer_parse("{}", 2, &a), 0);
	oauth_answer_clear(&a);
	/* not a token answer */
	assert_int_equal(oauth_answer_parse("[1]", 3, &a), -1);
	assert_int_equal(oauth_answer_parse("{\"a\":", 5, &a), -1);
	assert_int_equal(oauth_answer_parse("{\"a\":\"b", 7, &a), -1);
	assert_int_equal(oauth_answer_parse("{\"a\":\"\\u0000\"}", 13, &a), -1);
	assert_int_equal(oauth_answer_parse("{\"a\":1,}", 8, &a), -1);
	assert_int_equal(oauth_answer_parse("<html>", 6, &a), -1);
	t = "{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}";
	assert_int_equal(oauth_answer_parse(t, strlen(t), &a), -1);
	/* the length bounds the text, not a NUL */
	assert_int_equal(oauth_answer_parse("{}garbage", 2, &a), 0);
	oauth_answer_clear(&a);
}

static void
test_form_encode(void **state)
{
	const char	*kv[] = { "a b", "c&d=e", "skip", NULL, "t", "~._-\xc3\xa9" };
	char		*f;

	(void)state;
	f = http_form_encode(kv, 3);
	assert_non_null(f);
	assert_string_equal(f, "a%20b=c%26d%3De&t=~._-%C3%A9");
	http_form_free(f);
	f = http_form_encode(kv, 0);
	assert_string_equal(f, "");
	http_form_free(f);
}

/* A login's token (oauth-session.c) before mailsift run or send named
 * the state file, and an smtp section without auth = oauth2: errors
 * that say so, no token. */
static void
test_login_token_errors(void **state)
{
	struct oauth2_conf	 oc;
	struct account		 a;
	struct smtp_server	 srv;
	char			*t = (char *)"x", msg[256];

	(void)state;
	memset(&oc, 0, sizeof(oc));
	memset(&a, 0, sizeof(a));
	a.name = (char *)"acct";
	a.ep.oauth2 = &oc;
	assert_int_equal(oauth_login_token(NULL, &a, OAUTH2_IMAP, NULL, &t,
	    msg, sizeof(msg)), OAUTH_FAILED);
	assert_null(t);
	assert_non_null(strstr(msg, "no state file"));
	memset(&srv, 0, sizeof(srv));
	srv.name = (char *)"out";
	t = (char *)"x";
	assert_int_equal(oauth_smtp_token(&srv, NULL, &t, msg, sizeof(msg)),
	    OAUTH_FAILED);
	assert_null(t);
	assert_string_equal(msg, "smtp 'out': auth is not oauth2");
	assert_int_equal(oauth_session_init(NULL), -1);
}

/* A file's text (small), for the commands' traces. */
static void
slurp(const char *name, char *buf, size_t len)
{
	char	 p[PATH_MAX + 16];
	FILE	*f;
	size_t	 n = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	buf[0] = '\0';
	if ((f = fopen(p, "r")) == NULL)
		return;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* auth-failure-command: once, when the grant goes to needs login, told
 * the account and the reason in its environment only. */
static void
test_failure_hook(void **state)
{
	struct state		*st = *state;
	struct oauth_client	 c = client;
	char			 cmd[256], out[512], *t = NULL;
	int			 i;

	snprintf(cmd, sizeof(cmd), "printf '%%s|%%s\\n' \"$MAILSIFT_ACCOUNT\" "
	    "\"$MAILSIFT_REASON\" >>%s/hook", dir);
	c.failure_command = cmd;
	grant(st, "R1secret", 0);
	fake_status = 400;
	fake_answer = "{\"error\":\"invalid_grant\"}";
	for (i = 0; i < 3; i++)
		assert_int_equal(oauth_token(st, &c, NULL, &t, err,
		    sizeof(err)), OAUTH_NEEDS_LOGIN);
	slurp("hook", out, sizeof(out));
	assert_string_equal(out, "a|invalid_grant: the provider refused the "
	    "grant (revoked, expired, or the password changed)\n");
	assert_int_equal(fake_requests, 1);
}

/* A keyring: the refresh token from oauth2-token-command, the rotated
 * one to oauth2-store-command, none in the store. */
static void
test_keyring(void **state)
{
	struct state		*st = *state;
	struct oauth_client	 c = client;
	struct oauth_grant	 g;
	char			 get[256], put[256], out[512], *t = NULL;

	snprintf(get, sizeof(get), "cat %s/keyring", dir);
	snprintf(put, sizeof(put), "cat >%s/keyring", dir);
	c.token_command = get;
	c.store_command = put;
	snprintf(out, sizeof(out), "%s/keyring", dir);
	{
		FILE	*f = fopen(out, "w");

		assert_non_null(f);
		fputs("RK1\n", f);
		fclose(f);
	}
	grant(st, NULL, 0);
	fake_answer = "{\"access_token\":\"A2\",\"expires_in\":3600,"
	    "\"refresh_token\":\"RK2\"}";
	assert_int_equal(oauth_token(st, &c, NULL, &t, err, sizeof(err)),
	    OAUTH_OK);
	assert_string_equal(t, "A2");
	oauth_token_free(t);
	assert_non_null(strstr(fake_body, "grant_type=refresh_token"));
	assert_non_null(strstr(fake_body, "refresh_token=RK1"));
	slurp("keyring", out, sizeof(out));
	assert_string_equal(out, "RK2\n");
	stored(st, &g);
	assert_null(g.refresh_token);
	assert_string_equal(g.access_token, "A2");
	state_oauth_grant_clear(&g);
	/* a store command that fails: the new access token is not used */
	c.store_command = "cat >/dev/null; exit 3";
	grant(st, NULL, 0);
	t = NULL;
	assert_int_equal(oauth_token(st, &c, NULL, &t, err, sizeof(err)),
	    OAUTH_FAILED);
	assert_null(t);
	assert_non_null(strstr(err, "oauth2-store-command exited with status "
	    "3"));
	assert_non_null(strstr(err, "not used"));
	assert_null(strstr(err, "RK2"));
	stored(st, &g);
	assert_string_equal(g.access_token, "A1");
	state_oauth_grant_clear(&g);
	/* a token command that fails: no request */
	c.token_command = "exit 1";
	assert_int_equal(oauth_token(st, &c, NULL, &t, err, sizeof(err)),
	    OAUTH_FAILED);
	assert_non_null(strstr(err, "oauth2-token-command exited with status "
	    "1"));
	assert_int_equal(fake_requests, 2);
}

/* A login's grant with a keyring: the refresh token to the store
 * command, the state file without it; a failing command keeps nothing. */
static void
test_keyring_login(void **state)
{
	struct state		*st = *state;
	struct oauth_client	 c = client;
	struct oauth_grant	 g, ng;
	char			 put[256], out[512];

	snprintf(put, sizeof(put), "cat >%s/keyring", dir);
	c.store_command = put;
	memset(&ng, 0, sizeof(ng));
	ng.account = (char *)"a";
	ng.provider = (char *)"custom";
	ng.scopes = (char *)"mail";
	ng.refresh_token = (char *)"RL1";
	ng.access_token = (char *)"AL1";
	ng.expires = (int64_t)time(NULL) + 600;
	assert_int_equal(oauth_grant_save(st, &c, &ng, err, sizeof(err)), 0);
	slurp("keyring", out, sizeof(out));
	assert_string_equal(out, "RL1\n");
	stored(st, &g);
	assert_null(g.refresh_token);
	assert_string_equal(g.access_token, "AL1");
	state_oauth_grant_clear(&g);
	/* without a keyring the whole grant is stored */
	c.store_command = NULL;
	ng.refresh_token = (char *)"RL2";
	assert_int_equal(oauth_grant_save(st, &c, &ng, err, sizeof(err)), 0);
	stored(st, &g);
	assert_string_equal(g.refresh_token, "RL2");
	state_oauth_grant_clear(&g);
	/* a store command that fails: an error, the old grant stays */
	c.store_command = "cat >/dev/null; exit 4";
	ng.refresh_token = (char *)"RL3";
	ng.access_token = (char *)"AL3";
	assert_int_equal(oauth_grant_save(st, &c, &ng, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exited with status 4"));
	assert_null(strstr(err, "RL3"));
	stored(st, &g);
	assert_string_equal(g.refresh_token, "RL2");
	state_oauth_grant_clear(&g);
	assert_int_equal(fake_requests, 0);
}

/* Two processes need a refresh of one grant at once: the file lock
 * makes it one request, the second reads the first's token. */
static void
test_two_processes_one_request(void **state)
{
	struct state	*st = *state, *cst;
	char		*t = NULL;
	pid_t		 pid;
	int		 status, n;

	grant(st, "R1", 0);
	fake_answer = "{\"access_token\":\"A2\",\"expires_in\":3600,"
	    "\"refresh_token\":\"R2\"}";
	if ((pid = fork()) == 0) {
		if ((cst = state_open(path, 0, err, sizeof(err))) == NULL)
			_exit(100);
		n = oauth_token(cst, &client, NULL, &t, err, sizeof(err)) ==
		    OAUTH_OK && strcmp(t, "A2") == 0 ? fake_requests : 101;
		state_close(cst);
		_exit(n);
	}
	assert_true(pid > 0);
	assert_int_equal(oauth_token(st, &client, NULL, &t, err, sizeof(err)),
	    OAUTH_OK);
	assert_string_equal(t, "A2");
	oauth_token_free(t);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_true(WEXITSTATUS(status) <= 1);
	assert_int_equal(fake_requests + WEXITSTATUS(status), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_token_no_request,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_rotates, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_short_life, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_commit_before_use, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_invalid_grant, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_grant, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_provider_down, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_token, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_client_credentials, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_two_threads_one_request,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_hook, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_keyring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyring_login, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_two_processes_one_request,
		    setup, teardown),
		cmocka_unit_test(test_login_token_errors),
		cmocka_unit_test(test_answer_parse),
		cmocka_unit_test(test_form_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

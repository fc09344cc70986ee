/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for daemon/oauth/oauth-device.c (the device answer, what a
 * poll's answer means, the poll loop: pending, slow_down, denied,
 * expired, bounded by the code's life, the grant stored),
 * oauth-revoke.c (logout: revoked, failed, no endpoint, no grant) and
 * the client-credentials path of oauth-refresh.c, with a scripted fake
 * endpoint in place of http_post() and a sleep that only counts.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <fcntl.h>
#include <limits.h>
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
#include "daemon/conf/config.h"
#include "daemon/conf/oauth2.h"
#include "daemon/net/http.h"
#include "daemon/oauth/oauth.h"
#include "daemon/oauth/oauth-device.h"
#include "daemon/oauth/oauth-token.h"
#include "daemon/store/oauth.h"
#include "daemon/store/state.h"
#include "daemon/util/log.h"

static char	 dir[64];
static char	 path[PATH_MAX];
static char	 err[512];

/* The fake endpoint: one scripted answer per request, in order. */
struct scripted {
	long		 status;	/* 0: a network failure */
	const char	*answer;
};
static const struct scripted	*script;
static int			 nscript;
static int			 requests;
static char			 bodies[16][512];
static char			 urls[16][128];
static char			 auths[16][128];	/* "": none */

/* The fake sleep: the waits asked, in order. */
static unsigned		 waits[32];
static int		 nwaits;
static int		 shown;

static int
fake_post(const struct http_request *rq, struct http_response *r)
{
	int	 i = requests++;

	memset(r, 0, sizeof(*r));
	if (i < 16) {
		snprintf(bodies[i], sizeof(bodies[i]), "%.*s", (int)rq->len,
		    rq->body);
		snprintf(urls[i], sizeof(urls[i]), "%s", rq->url);
		snprintf(auths[i], sizeof(auths[i]), "%s", rq->nheaders > 2 ?
		    rq->headers[2] : "");
	}
	assert_string_equal(rq->headers[0], HTTP_FORM_TYPE);
	if (i >= nscript || script[i].status == 0) {
		r->outcome = HTTP_NETWORK;
		snprintf(r->error, sizeof(r->error), "Connection refused");
		return -1;
	}
	r->outcome = HTTP_ANSWERED;
	r->status = script[i].status;
	r->answer = strdup(script[i].answer);
	assert_non_null(r->answer);
	r->answer_len = strlen(r->answer);
	return 0;
}

static unsigned
fake_sleep(unsigned s)
{
	if (nwaits < 32)
		waits[nwaits] = s;
	nwaits++;
	return 0;
}

static void
fake_show(const struct oauth_device *d, void *arg)
{
	assert_string_equal(arg, "a");
	assert_string_equal(d->user_code, "WDJB-MJHT");
	assert_string_equal(d->verification_uri,
	    "https://id.example.com/device");
	shown++;
}

static const struct oauth_device_ui ui = {
	.show = fake_show,
	.sleep = fake_sleep,
	.arg = (void *)"a",
};

static const struct oauth_client client = {
	.account = "a",
	.token_url = "https://id.example.com/token",
	.client_id = "cid",
	.scopes = "offline_access imap",
	.provider = "custom",
	.verify = 1,
	.post = fake_post,
};

#define DEVICE_ANSWER(life, interval) \
	"{\"device_code\":\"DC-secret\",\"user_code\":\"WDJB-MJHT\"," \
	"\"verification_uri\":\"https://id.example.com/device\"," \
	"\"expires_in\":" #life ",\"interval\":" #interval "}"
#define PENDING	{ 400, "{\"error\":\"authorization_pending\"}" }
#define GRANTED	{ 200, "{\"access_token\":\"A1\",\"refresh_token\":" \
	"\"R1\",\"token_type\":\"Bearer\",\"expires_in\":600," \
	"\"scope\":\"offline_access imap\"}" }

static void
play(const struct scripted *s, int n)
{
	script = s;
	nscript = n;
	requests = 0;
}

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/mailsift-oadev-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/state.db", dir);
	requests = 0;
	nwaits = 0;
	shown = 0;
	play(NULL, 0);
	log_init(0, LOG_LEVEL_INFO);
	*state = state_open(path, 0, err, sizeof(err));
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	 p[PATH_MAX + 16];

	state_close(*state);
	(void)unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	(void)unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	(void)unlink(p);
	/* the grant lock of a refresh (oauth-refresh.c) */
	snprintf(p, sizeof(p), "%s.oauth-lock", path);
	(void)unlink(p);
	return rmdir(dir);
}

static int
has_grant(struct state *st)
{
	struct oauth_grant	 g;
	int			 rc;

	rc = state_oauth_get(st, "a", &g, err, sizeof(err));
	assert_int_not_equal(rc, -1);
	if (rc == 1)
		state_oauth_grant_clear(&g);
	return rc;
}

static void
test_device_parse(void **state)
{
	struct oauth_device	 d;
	const char		*google = "{\"device_code\":\"x\",\"user_code\":"
				    "\"U\",\"verification_url\":\"https://g/d\","
				    "\"expires_in\":\"1800\",\"interval\":\"5\"}";
	const char		*ms = "{\"device_code\":\"x\",\"user_code\":\"U\","
				    "\"verification_uri\":\"https://m/d\","
				    "\"verification_uri_complete\":\"https://m/"
				    "d?c=U\",\"expires_in\":900,\"message\":"
				    "\"To sign in...\",\"extra\":{\"a\":[1]}}";
	const char		*refused = "{\"error\":\"invalid_client\","
				    "\"error_description\":\"x\"}";
	const char		*nocode = "{\"device_code\":\"x\","
				    "\"verification_uri\":\"https://m/d\"}";

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(oauth_device_parse(200, google, strlen(google), &d,
	    err, sizeof(err)), 0);
	/* Google's older member name; numbers given as strings */
	assert_string_equal(d.verification_uri, "https://g/d");
	assert_null(d.verification_uri_complete);
	assert_int_equal(d.expires_in, 1800);
	assert_int_equal(d.interval, 5);
	assert_int_equal(oauth_device_parse(200, ms, strlen(ms), &d, err,
	    sizeof(err)), 0);
	assert_string_equal(d.device_code, "x");
	assert_string_equal(d.verification_uri_complete, "https://m/d?c=U");
	assert_int_equal(d.interval, -1);
	assert_int_equal(d.expires_in, 900);

	assert_int_equal(oauth_device_parse(200, nocode, strlen(nocode), &d,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "the device endpoint's answer has no "
	    "user_code");
	assert_int_equal(oauth_device_parse(400, refused, strlen(refused),
	    &d, err, sizeof(err)), -1);
	assert_string_equal(err, "the device endpoint answered HTTP 400: "
	    "invalid_client");
	assert_int_equal(oauth_device_parse(502, "<html>", 6, &d, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "the device endpoint answered HTTP 502 "
	    "without a JSON object");
	oauth_device_clear(&d);
}

static enum oauth_device_step
step_of(enum http_outcome o, long status, const char *json)
{
	struct http_response	 r;
	struct oauth_answer	 a;
	enum oauth_device_step	 s;

	memset(&r, 0, sizeof(r));
	r.outcome = o;
	r.status = status;
	if (json == NULL)
		return oauth_device_step(&r, NULL);
	assert_int_equal(oauth_answer_parse(json, strlen(json), &a), 0);
	s = oauth_device_step(&r, &a);
	oauth_answer_clear(&a);
	return s;
}

static void
test_device_step(void **state)
{
	(void)state;
	assert_int_equal(step_of(HTTP_ANSWERED, 200,
	    "{\"access_token\":\"A\"}"), DEVICE_GRANTED);
	assert_int_equal(step_of(HTTP_ANSWERED, 400,
	    "{\"error\":\"authorization_pending\"}"), DEVICE_PENDING);
	assert_int_equal(step_of(HTTP_ANSWERED, 400,
	    "{\"error\":\"slow_down\"}"), DEVICE_SLOW_DOWN);
	assert_int_equal(step_of(HTTP_ANSWERED, 400,
	    "{\"error\":\"access_denied\"}"), DEVICE_DENIED);
	assert_int_equal(step_of(HTTP_ANSWERED, 400,
	    "{\"error\":\"expired_token\"}"), DEVICE_EXPIRED);
	assert_int_equal(step_of(HTTP_ANSWERED, 400,
	    "{\"error\":\"invalid_client\"}"), DEVICE_FAILED);
	assert_int_equal(step_of(HTTP_ANSWERED, 503,
	    "{\"error\":\"temporarily_unavailable\"}"), DEVICE_RETRY);
	assert_int_equal(step_of(HTTP_ANSWERED, 502, NULL), DEVICE_RETRY);
	assert_int_equal(step_of(HTTP_ANSWERED, 404, NULL), DEVICE_FAILED);
	assert_int_equal(step_of(HTTP_TIMEOUT, 0, NULL), DEVICE_RETRY);
	assert_int_equal(step_of(HTTP_NETWORK, 0, NULL), DEVICE_RETRY);
	assert_int_equal(step_of(HTTP_LOCAL, 0, NULL), DEVICE_FAILED);
	/* an error member wins over a 200 */
	assert_int_equal(step_of(HTTP_ANSWERED, 200,
	    "{\"access_token\":\"A\",\"error\":\"slow_down\"}"),
	    DEVICE_SLOW_DOWN);
}

/* Pending twice, slow_down (+5 s from then on), a network failure,
 * pending, then the token: stored as a login stores it. */
static void
test_device_login(void **state)
{
	struct state		*st = *state;
	const struct scripted	 s[] = {
		{ 200, DEVICE_ANSWER(600, 5) }, PENDING, PENDING,
		{ 400, "{\"error\":\"slow_down\"}" }, { 0, NULL }, PENDING,
		GRANTED,
	};
	const unsigned		 want[] = { 5, 5, 5, 10, 10, 10 };
	struct oauth_grant	 g;
	int			 i;

	play(s, 7);
	assert_int_equal(oauth_device_login(st, &client,
	    "https://id.example.com/devicecode", &ui, err, sizeof(err)),
	    OAUTH_OK);
	assert_int_equal(shown, 1);
	assert_int_equal(requests, 7);
	assert_int_equal(nwaits, 6);
	for (i = 0; i < 6; i++)
		assert_int_equal(waits[i], want[i]);
	assert_string_equal(urls[0], "https://id.example.com/devicecode");
	/* a public client: its id in the form, no Authorization */
	assert_string_equal(bodies[0], "scope=offline_access%20imap&"
	    "client_id=cid");
	assert_string_equal(auths[0], "");
	assert_string_equal(urls[1], "https://id.example.com/token");
	assert_string_equal(bodies[1], "grant_type=urn%3Aietf%3Aparams%3A"
	    "oauth%3Agrant-type%3Adevice_code&device_code=DC-secret&"
	    "client_id=cid");
	assert_string_equal(auths[1], "");
	assert_int_equal(state_oauth_get(st, "a", &g, err, sizeof(err)), 1);
	assert_string_equal(g.refresh_token, "R1");
	assert_string_equal(g.access_token, "A1");
	assert_string_equal(g.provider, "custom");
	assert_string_equal(g.scopes, "offline_access imap");
	assert_false(g.needs_login);
	assert_true(g.expires > (int64_t)time(NULL) + 500);
	state_oauth_grant_clear(&g);
}

static void
test_device_denied(void **state)
{
	struct state		*st = *state;
	const struct scripted	 s[] = {
		{ 200, DEVICE_ANSWER(600, 1) }, PENDING,
		{ 400, "{\"error\":\"access_denied\"}" },
	};

	play(s, 3);
	assert_int_equal(oauth_device_login(st, &client, "https://d", &ui,
	    err, sizeof(err)), OAUTH_NEEDS_LOGIN);
	assert_string_equal(err, "account 'a': the login was denied at the "
	    "provider (access_denied); nothing stored");
	assert_int_equal(requests, 3);
	assert_int_equal(has_grant(st), 0);
}

static void
test_device_expired(void **state)
{
	struct state		*st = *state;
	const struct scripted	 s[] = {
		{ 200, DEVICE_ANSWER(600, 1) },
		{ 400, "{\"error\":\"expired_token\"}" },
	};

	play(s, 2);
	assert_int_equal(oauth_device_login(st, &client, "https://d", &ui,
	    err, sizeof(err)), OAUTH_NEEDS_LOGIN);
	assert_non_null(strstr(err, "(expired_token); run the command "
	    "again"));
	assert_int_equal(has_grant(st), 0);
}

/* Always pending: the polls stop once the code's life is spent. */
static void
test_device_bounded(void **state)
{
	struct state		*st = *state;
	const struct scripted	 s[] = {
		{ 200, DEVICE_ANSWER(12, 5) }, PENDING, PENDING, PENDING,
		PENDING,
	};

	play(s, 5);
	assert_int_equal(oauth_device_login(st, &client, "https://d", &ui,
	    err, sizeof(err)), OAUTH_NEEDS_LOGIN);
	assert_string_equal(err, "account 'a': the code expired (12 s) before "
	    "the login was approved; run the command again");
	assert_int_equal(requests, 3);
	assert_int_equal(nwaits, 2);
	assert_int_equal(has_grant(st), 0);
}

/* No refresh token: the login would not last; nothing stored. */
static void
test_device_no_refresh_token(void **state)
{
	struct state		*st = *state;
	const struct scripted	 s[] = {
		{ 200, DEVICE_ANSWER(600, 1) },
		{ 200, "{\"access_token\":\"A1\",\"expires_in\":600}" },
	};

	play(s, 2);
	assert_int_equal(oauth_device_login(st, &client, "https://d", &ui,
	    err, sizeof(err)), OAUTH_FAILED);
	assert_non_null(strstr(err, "gave no refresh token"));
	assert_int_equal(has_grant(st), 0);
}

static void
test_device_start_refused(void **state)
{
	struct state		*st = *state;
	const struct scripted	 s[] = {
		{ 400, "{\"error\":\"unauthorized_client\"}" },
	};

	play(s, 1);
	assert_int_equal(oauth_device_login(st, &client, "https://d", &ui,
	    err, sizeof(err)), OAUTH_FAILED);
	assert_string_equal(err, "account 'a': the device endpoint answered "
	    "HTTP 400: unauthorized_client");
	assert_int_equal(shown, 0);
	assert_int_equal(nwaits, 0);
}

static void
put_grant(struct state *st, const char *refresh)
{
	struct oauth_grant	 g;

	memset(&g, 0, sizeof(g));
	g.account = (char *)"a";
	g.provider = (char *)"custom";
	g.scopes = (char *)"offline_access imap";
	g.refresh_token = (char *)refresh;
	g.access_token = (char *)"A1";
	g.expires = (int64_t)time(NULL) + 600;
	assert_int_equal(state_oauth_put(st, &g, err, sizeof(err)), 0);
}

static void
test_logout(void **state)
{
	struct state		*st = *state;
	struct oauth_client	 c = client;
	const struct scripted	 ok[] = { { 200, "" } };
	const struct scripted	 down[] = {
		{ 503, "{\"error\":\"temporarily_unavailable\"}" } };

	c.client_secret = "sec";
	put_grant(st, "R1");
	play(ok, 1);
	assert_int_equal(oauth_logout(st, &c, "https://id.example.com/revoke",
	    err, sizeof(err)), OAUTH_LOGOUT_REVOKED);
	assert_string_equal(urls[0], "https://id.example.com/revoke");
	/* a confidential client: HTTP Basic, as at the token endpoint */
	assert_string_equal(bodies[0], "token=R1&token_type_hint="
	    "refresh_token");
	assert_string_equal(auths[0], "Authorization: Basic Y2lkOnNlYw==");
	assert_int_equal(has_grant(st), 0);

	/* revocation failed: forgotten all the same, and said so */
	put_grant(st, "R1");
	play(down, 1);
	assert_int_equal(oauth_logout(st, &c, "https://r", err, sizeof(err)),
	    OAUTH_LOGOUT_REVOKE_FAILED);
	assert_string_equal(err, "account 'a': the revocation endpoint "
	    "answered HTTP 503: temporarily_unavailable");
	assert_int_equal(has_grant(st), 0);

	/* no revocation endpoint (Microsoft): forgotten, no request */
	put_grant(st, "R1");
	requests = 0;
	assert_int_equal(oauth_logout(st, &c, NULL, err, sizeof(err)),
	    OAUTH_LOGOUT_FORGOTTEN);
	assert_int_equal(requests, 0);
	assert_int_equal(has_grant(st), 0);

	assert_int_equal(oauth_logout(st, &c, "https://r", err, sizeof(err)),
	    OAUTH_LOGOUT_NO_GRANT);
	assert_int_equal(requests, 0);
}

/* oauth2-flow = client-credentials: no grant yet is no "needs login":
 * the app's token is asked, kept, and used while fresh. */
static void
test_client_credentials_first_use(void **state)
{
	struct state		*st = *state;
	struct oauth_client	 c = client;
	const struct scripted	 s[] = {
		{ 200, "{\"access_token\":\"APP1\",\"expires_in\":3600}" } };
	struct oauth_grant	 g;
	char			*t;

	c.client_credentials = 1;
	c.client_secret = "sec";
	/* id and secret are form-encoded before Basic (RFC 6749 2.3.1) */
	c.client_id = "c:id";
	c.client_secret = "s=";
	c.scopes = "https://outlook.office365.com/.default";
	c.provider = "microsoft";
	play(s, 1);
	assert_int_equal(oauth_token(st, &c, NULL, &t, err, sizeof(err)),
	    OAUTH_OK);
	assert_string_equal(t, "APP1");
	oauth_token_free(t);
	assert_string_equal(bodies[0], "grant_type=client_credentials&"
	    "scope=https%3A%2F%2Foutlook.office365.com%2F.default");
	assert_string_equal(auths[0], "Authorization: Basic YyUzQWlkOnMlM0Q=");
	assert_int_equal(oauth_token(st, &c, NULL, &t, err, sizeof(err)),
	    OAUTH_OK);
	assert_string_equal(t, "APP1");
	oauth_token_free(t);
	assert_int_equal(requests, 1);
	assert_int_equal(state_oauth_get(st, "a", &g, err, sizeof(err)), 1);
	assert_string_equal(g.provider, "microsoft");
	assert_null(g.refresh_token);
	state_oauth_grant_clear(&g);
}

/* A login grant without a refresh token is not the app's: no
 * client_credentials request, a login asked for. */
static void
test_login_grant_without_refresh(void **state)
{
	struct state	*st = *state;
	struct oauth_grant g;
	char		*t;

	memset(&g, 0, sizeof(g));
	g.account = (char *)"a";
	g.provider = (char *)"custom";
	g.scopes = (char *)"imap";
	assert_int_equal(state_oauth_put(st, &g, err, sizeof(err)), 0);
	assert_int_equal(oauth_token(st, &client, NULL, &t, err, sizeof(err)),
	    OAUTH_NEEDS_LOGIN);
	assert_null(t);
	assert_int_equal(requests, 0);
	assert_non_null(strstr(err, "`mailsift auth login a`"));
	/* while its access token is fresh, that token is used: the login
	 * lasts as long as it, as `auth login` warned */
	g.access_token = (char *)"A-fresh";
	g.expires = (int64_t)time(NULL) + 1800;
	assert_int_equal(state_oauth_put(st, &g, err, sizeof(err)), 0);
	assert_int_equal(oauth_token(st, &client, NULL, &t, err, sizeof(err)),
	    OAUTH_OK);
	assert_string_equal(t, "A-fresh");
	oauth_token_free(t);
	assert_int_equal(requests, 0);
}

static void
test_device_url(void **state)
{
	struct oauth2_conf	 oc;
	struct account		 a;
	char			 url[256];

	(void)state;
	memset(&oc, 0, sizeof(oc));
	memset(&a, 0, sizeof(a));
	a.name = (char *)"a";
	a.ep.oauth2 = &oc;
	oc.provider = OAUTH2_MICROSOFT;
	oc.tenant = (char *)"contoso.onmicrosoft.com";
	assert_int_equal(oauth_device_url(NULL, &a, url, sizeof(url), err,
	    sizeof(err)), 0);
	assert_string_equal(url, "https://login.microsoftonline.com/"
	    "contoso.onmicrosoft.com/oauth2/v2.0/devicecode");
	oc.provider = OAUTH2_GOOGLE;
	oc.tenant = NULL;
	assert_int_equal(oauth_device_url(NULL, &a, url, sizeof(url), err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "Google's device flow does not allow the "
	    "Gmail scope"));
	oc.provider = OAUTH2_CUSTOM;
	oc.token_url = (char *)"https://id.example.com/token";
	assert_int_equal(oauth_device_url(NULL, &a, url, sizeof(url), err,
	    sizeof(err)), -1);
	assert_string_equal(err, "account 'a': no device authorization "
	    "endpoint: set oauth2-device-url (or an oauth2-issuer that has "
	    "one)");
	oc.device_url = (char *)"https://id.example.com/device/auth";
	assert_int_equal(oauth_device_url(NULL, &a, url, sizeof(url), err,
	    sizeof(err)), 0);
	assert_string_equal(url, "https://id.example.com/device/auth");
	/* Microsoft has no RFC 7009 endpoint; a custom one is taken */
	oc.provider = OAUTH2_MICROSOFT;
	assert_int_equal(oauth_revoke_url(NULL, &a, url, sizeof(url), err,
	    sizeof(err)), 0);
	oc.provider = OAUTH2_GOOGLE;
	assert_int_equal(oauth_revoke_url(NULL, &a, url, sizeof(url), err,
	    sizeof(err)), 1);
	assert_string_equal(url, "https://oauth2.googleapis.com/revoke");
	oc.provider = OAUTH2_CUSTOM;
	oc.revoke_url = (char *)"https://id.example.com/token/revocation";
	assert_int_equal(oauth_revoke_url(NULL, &a, url, sizeof(url), err,
	    sizeof(err)), 1);
	assert_string_equal(url, "https://id.example.com/token/revocation");
}

/* The client-credentials scope of the Microsoft preset. */
static void
test_app_scope(void **state)
{
	struct oauth2_conf	 oc;

	(void)state;
	memset(&oc, 0, sizeof(oc));
	oc.provider = OAUTH2_MICROSOFT;
	oc.flow = OAUTH2_FLOW_CLIENT_CREDENTIALS;
	assert_string_equal(oauth2_scopes(&oc, OAUTH2_POP3),
	    "https://outlook.office365.com/.default");
	oc.flow = OAUTH2_FLOW_LOGIN;
	assert_string_equal(oauth2_scopes(&oc, OAUTH2_POP3),
	    "offline_access https://outlook.office.com/POP.AccessAsUser.All");
}

#define APP_ACCOUNT(extra) \
	"account a {\n type = imap\n host = h\n user = \"u@example.com\"\n" \
	" deliver = \"maildir:/m\"\n auth = oauth2\n" extra "}\n"

/* Loads text: the config, or NULL with the error in err. */
static struct config *
conf_load_text(const char *text)
{
	struct config	*conf;
	char		 cpath[PATH_MAX];
	int		 fd;

	snprintf(cpath, sizeof(cpath), "%s/t.conf", dir);
	fd = open(cpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_not_equal(fd, -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	conf = config_load(cpath, err, sizeof(err));
	(void)unlink(cpath);
	return conf;
}

/* oauth2-flow: login by default, client-credentials checked. */
static void
test_conf_flow(void **state)
{
	struct config			*conf;
	const struct oauth2_conf	*oc;

	(void)state;
	conf = conf_load_text(APP_ACCOUNT(" oauth2-provider = microsoft\n"
	    " oauth2-client-id = x\n oauth2-tenant = contoso.example\n"
	    " oauth2-client-secret-command = \"pass app\"\n"
	    " oauth2-flow = client-credentials\n"));
	if (conf == NULL)
		fail_msg("load failed: %s", err);
	oc = config_oauth2(conf, &config_account(conf, "a")->ep);
	assert_int_equal(oc->flow, OAUTH2_FLOW_CLIENT_CREDENTIALS);
	assert_string_equal(oauth2_scopes(oc, OAUTH2_IMAP),
	    "https://outlook.office365.com/.default");
	config_free(conf);
	conf = conf_load_text(APP_ACCOUNT(" oauth2-provider = microsoft\n"
	    " oauth2-client-id = x\n"));
	assert_non_null(conf);
	assert_int_equal(config_account(conf, "a")->ep.oauth2->flow,
	    OAUTH2_FLOW_LOGIN);
	config_free(conf);

	assert_null(conf_load_text(APP_ACCOUNT(" oauth2-provider = microsoft"
	    "\n oauth2-client-id = x\n oauth2-flow = password\n")));
	assert_non_null(strstr(err, "oauth2-flow: 'password' is not valid; "
	    "use login or client-credentials"));
	assert_null(conf_load_text(APP_ACCOUNT(" oauth2-provider = google\n"
	    " oauth2-client-id = x\n oauth2-client-secret = s\n"
	    " oauth2-flow = client-credentials\n")));
	assert_non_null(strstr(err, "Google gives no app-only token"));
	assert_null(conf_load_text(APP_ACCOUNT(" oauth2-provider = microsoft"
	    "\n oauth2-client-id = x\n oauth2-client-secret = s\n"
	    " oauth2-flow = client-credentials\n")));
	assert_non_null(strstr(err, "needs 'oauth2-tenant' set to the "
	    "organization's tenant"));
	assert_null(conf_load_text(APP_ACCOUNT(" oauth2-provider = custom\n"
	    " oauth2-client-id = x\n oauth2-token-url = \"https://t\"\n"
	    " oauth2-flow = client-credentials\n")));
	assert_non_null(strstr(err, "client-credentials needs "
	    "'oauth2-client-secret' or 'oauth2-client-secret-command'"));
	assert_null(conf_load_text("account a {\n type = imap\n host = h\n"
	    " user = u\n password = p\n deliver = \"maildir:/m\"\n"
	    " oauth2-flow = login\n}\n"));
	assert_non_null(strstr(err, "'oauth2-flow' needs auth = oauth2"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_parse),
		cmocka_unit_test(test_device_step),
		cmocka_unit_test_setup_teardown(test_device_login, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_device_denied, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_device_expired, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_device_bounded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_device_no_refresh_token,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_start_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_logout, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_client_credentials_first_use, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_login_grant_without_refresh, setup, teardown),
		cmocka_unit_test(test_device_url),
		cmocka_unit_test(test_app_scope),
		cmocka_unit_test_setup_teardown(test_conf_flow, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: ISC */
/*
 * oauth-device.c - `mailsift auth login --device`: the device
 * authorization grant (RFC 8628) for a host without a browser; see
 * oauth.h and oauth-device.h.
 *
 * 1. POST client_id and scope to the device endpoint: a device code
 *    (secret, kept here), a user code and a verification URI (3.1, 3.2).
 * 2. Show the URI and the user code; the user opens it on any device.
 * 3. Poll the token endpoint with the device code every interval
 *    (3.4): authorization_pending waits, slow_down adds 5 s to the
 *    interval for good (3.5), access_denied and expired_token end it;
 *    the polls stop when the code's life (expires_in) is over.
 * 4. Store the grant like a code login: provider, granted scopes,
 *    refresh token, access token and its expiry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/conf/conf.h"
#include "daemon/conf/oauth2.h"
#include "daemon/net/http.h"
#include "daemon/oauth/oauth.h"
#include "daemon/oauth/oauth-device.h"
#include "daemon/oauth/oauth-post.h"
#include "daemon/oauth/oauth-token.h"
#include "daemon/store/oauth.h"
#include "daemon/util/log.h"
#include "daemon/util/wipe.h"

#define DEVICE_GRANT	"urn:ietf:params:oauth:grant-type:device_code"

void
oauth_device_clear(struct oauth_device *d)
{
	wipe_free(d->device_code);
	free(d->user_code);
	free(d->verification_uri);
	free(d->verification_uri_complete);
	memset(d, 0, sizeof(*d));
	d->expires_in = -1;
	d->interval = -1;
}

/* An error code of an answer, cleaned for a message. */
static const char *
error_code(const char *e, char *buf, size_t len)
{
	if (e == NULL)
		return "";
	log_clean(e, strlen(e), buf, len, LOG_CLEAN_MARK);
	return buf;
}

int
oauth_device_parse(long status, const char *text, size_t len,
    struct oauth_device *d, char *err, size_t errlen)
{
	char				*url = NULL, *error = NULL, code[64];
	const struct oauth_json_member	 m[] = {
		{ "device_code", &d->device_code, NULL },
		{ "user_code", &d->user_code, NULL },
		{ "verification_uri", &d->verification_uri, NULL },
		{ "verification_url", &url, NULL },	/* Google's name */
		{ "verification_uri_complete",
		    &d->verification_uri_complete, NULL },
		{ "expires_in", NULL, &d->expires_in },
		{ "interval", NULL, &d->interval },
		{ "error", &error, NULL },
	};
	int				 rc;

	oauth_device_clear(d);
	rc = text == NULL ? -1 : oauth_json_parse(text, len, m,
	    sizeof(m) / sizeof(m[0]));
	if (d->verification_uri == NULL) {
		d->verification_uri = url;
		url = NULL;
	}
	free(url);
	if (rc == -1)
		snprintf(err, errlen, "the device endpoint answered HTTP %ld "
		    "without a JSON object", status);
	else if (status != 200 || error != NULL) {
		snprintf(err, errlen, "the device endpoint answered HTTP "
		    "%ld%s%s", status, error != NULL ? ": " : "",
		    error_code(error, code, sizeof(code)));
		rc = -1;
	} else if (d->device_code == NULL || d->user_code == NULL ||
	    d->verification_uri == NULL) {
		snprintf(err, errlen, "the device endpoint's answer has no "
		    "%s", d->device_code == NULL ? "device_code" :
		    d->user_code == NULL ? "user_code" : "verification_uri");
		rc = -1;
	}
	free(error);
	return rc;
}

enum oauth_device_step
oauth_device_step(const struct http_response *r, const struct oauth_answer *a)
{
	if (r->outcome != HTTP_ANSWERED)
		return r->outcome == HTTP_LOCAL ? DEVICE_FAILED : DEVICE_RETRY;
	if (a == NULL)
		return r->status >= 500 ? DEVICE_RETRY : DEVICE_FAILED;
	if (r->status == 200 && a->access_token != NULL && a->error == NULL)
		return DEVICE_GRANTED;
	if (a->error == NULL)
		return r->status >= 500 || r->status == 429 ? DEVICE_RETRY :
		    DEVICE_FAILED;
	if (strcmp(a->error, "authorization_pending") == 0)
		return DEVICE_PENDING;
	if (strcmp(a->error, "slow_down") == 0)
		return DEVICE_SLOW_DOWN;
	if (strcmp(a->error, "access_denied") == 0)
		return DEVICE_DENIED;
	if (strcmp(a->error, "expired_token") == 0)
		return DEVICE_EXPIRED;
	if (strcmp(a->error, "temporarily_unavailable") == 0 ||
	    r->status >= 500)
		return DEVICE_RETRY;
	return DEVICE_FAILED;
}

int
oauth_device_url(const struct config *cfg, const struct account *a,
    char *buf, size_t len, char *err, size_t errlen)
{
	const struct oauth2_conf	*oc = config_oauth2(cfg, &a->ep);
	struct oauth_endpoints		 ep;

	if (oc == NULL) {
		snprintf(err, errlen, "account '%s': auth is not oauth2",
		    a->name);
		return -1;
	}
	if (oc->provider == OAUTH2_GOOGLE) {
		snprintf(err, errlen, "account '%s': Google's device flow does "
		    "not allow the Gmail scope (https://mail.google.com/); "
		    "log in with `mailsift auth login %s` (--no-browser on a "
		    "host without a browser)", a->name, a->name);
		return -1;
	}
	if (oauth_endpoints_get(cfg, a, &ep, err, errlen) == -1)
		return -1;
	if (ep.device_url[0] == '\0') {
		snprintf(err, errlen, "account '%s': no device authorization "
		    "endpoint: set oauth2-device-url (or an oauth2-issuer "
		    "that has one)", a->name);
		return -1;
	}
	if ((size_t)snprintf(buf, len, "%s", ep.device_url) >= len) {
		snprintf(err, errlen, "account '%s': the device authorization "
		    "URL is too long", a->name);
		return -1;
	}
	return 0;
}

/* Step 1: the device code, the user code and where to enter it. */
static enum oauth_status
device_start(const struct oauth_client *c, const char *url,
    struct oauth_device *d, char *err, size_t errlen)
{
	const char		*kv[] = { "scope", c->scopes };
	struct http_response	 r;
	char			 e[512];
	int			 rc;

	if (oauth_post_form(c, url, kv, 1, &r, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "account '%s': the device authorization "
		    "request failed: %s", c->account, e);
		oauth_post_free(&r);
		return r.outcome == HTTP_LOCAL ? OAUTH_FAILED :
		    OAUTH_TEMPORARY;
	}
	rc = oauth_device_parse(r.status, r.answer, r.answer_len, d, e,
	    sizeof(e));
	if (rc == -1)
		snprintf(err, errlen, "account '%s': %s", c->account, e);
	oauth_post_free(&r);
	if (rc == 0)
		return OAUTH_OK;
	return r.status >= 500 ? OAUTH_TEMPORARY : OAUTH_FAILED;
}

/* Step 4: the grant, as a code login stores it. */
static enum oauth_status
device_store(struct state *st, const struct oauth_client *c,
    const struct oauth_answer *a, char *err, size_t errlen)
{
	struct oauth_grant	 g;
	int64_t			 now = (int64_t)time(NULL);

	if (a->refresh_token == NULL) {
		snprintf(err, errlen, "account '%s': the provider gave no "
		    "refresh token, so the login would end with the access "
		    "token; ask for offline access (offline_access in "
		    "oauth2-scopes)", c->account);
		return OAUTH_FAILED;
	}
	memset(&g, 0, sizeof(g));
	g.account = (char *)c->account;
	g.provider = (char *)c->provider;
	g.scopes = a->scope != NULL ? a->scope : (char *)c->scopes;
	g.refresh_token = a->refresh_token;
	g.access_token = a->access_token;
	g.expires = now + (a->expires_in > 0 ? a->expires_in :
	    OAUTH_DEFAULT_LIFE);
	g.last_refresh = now;
	if (oauth_grant_save(st, c, &g, err, errlen) == -1)
		return OAUTH_FAILED;
	return OAUTH_OK;
}

/* One poll (3.4); its step, and the grant stored if granted. */
static enum oauth_device_step
device_poll(struct state *st, const struct oauth_client *c,
    const struct oauth_device *d, enum oauth_status *s, char *err,
    size_t errlen)
{
	const char		*kv[] = { "grant_type", DEVICE_GRANT,
				    "device_code", d->device_code };
	struct http_response	 r;
	struct oauth_answer	 a;
	enum oauth_device_step	 step;
	char			 e[512], code[64];
	int			 parsed = 0;

	if (oauth_post_form(c, c->token_url, kv, 2, &r, e, sizeof(e)) == -1)
		log_debug("account '%s': device grant poll failed: %s",
		    c->account, e);
	else if (r.answer != NULL && oauth_answer_parse(r.answer,
	    r.answer_len, &a) == 0)
		parsed = 1;
	step = oauth_device_step(&r, parsed ? &a : NULL);
	if (step == DEVICE_GRANTED)
		*s = device_store(st, c, &a, err, errlen);
	else if (step == DEVICE_FAILED)
		snprintf(err, errlen, "account '%s': the token endpoint "
		    "refused the device code: HTTP %ld%s%s", c->account,
		    r.status, parsed && a.error != NULL ? ": " : "",
		    parsed ? error_code(a.error, code, sizeof(code)) : "");
	if (parsed)
		oauth_answer_clear(&a);
	oauth_post_free(&r);
	return step;
}

/* Step 3: poll until an end or the code's life is over. */
static enum oauth_status
device_wait(struct state *st, const struct oauth_client *c,
    const struct oauth_device *d, const struct oauth_device_ui *ui,
    char *err, size_t errlen)
{
	long			 interval, life, waited = 0;
	time_t			 start = time(NULL);
	enum oauth_status	 s = OAUTH_FAILED;

	interval = d->interval > 0 ? d->interval : OAUTH_DEVICE_INTERVAL;
	life = d->expires_in > 0 ? d->expires_in : OAUTH_DEVICE_LIFE;
	for (;;) {
		if (waited + interval > life ||
		    (long)(time(NULL) - start) + interval > life) {
			snprintf(err, errlen, "account '%s': the code expired "
			    "(%ld s) before the login was approved; run the "
			    "command again", c->account, life);
			return OAUTH_NEEDS_LOGIN;
		}
		(ui->sleep != NULL ? ui->sleep : sleep)((unsigned)interval);
		waited += interval;
		switch (device_poll(st, c, d, &s, err, errlen)) {
		case DEVICE_GRANTED:
			return s;
		case DEVICE_SLOW_DOWN:
			interval += OAUTH_DEVICE_SLOW_DOWN;
			log_debug("account '%s': slow_down: polling every "
			    "%ld s", c->account, interval);
			break;
		case DEVICE_PENDING:
		case DEVICE_RETRY:
			break;
		case DEVICE_DENIED:
			snprintf(err, errlen, "account '%s': the login was "
			    "denied at the provider (access_denied); nothing "
			    "stored", c->account);
			return OAUTH_NEEDS_LOGIN;
		case DEVICE_EXPIRED:
			snprintf(err, errlen, "account '%s': the code expired "
			    "before the login was approved (expired_token); "
			    "run the command again", c->account);
			return OAUTH_NEEDS_LOGIN;
		case DEVICE_FAILED:
			return OAUTH_FAILED;
		}
	}
}

enum oauth_status
oauth_device_login(struct state *st, const struct oauth_client *c,
    const char *device_url, const struct oauth_device_ui *ui, char *err,
    size_t errlen)
{
	struct oauth_device	 d;
	enum oauth_status	 s;

	memset(&d, 0, sizeof(d));
	if ((s = device_start(c, device_url, &d, err, errlen)) == OAUTH_OK) {
		if (ui->show != NULL)
			ui->show(&d, ui->arg);
		s = device_wait(st, c, &d, ui, err, errlen);
	}
	oauth_device_clear(&d);
	return s;
}

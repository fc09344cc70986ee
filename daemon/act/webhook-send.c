/* SPDX-License-Identifier: ISC */
/*
 * webhook-send.c - the webhook drain: what the webhook target queued
 * is posted at the end of the round, signed, one batch per call, and
 * each outcome recorded; see webhook-send.h for what an answer means.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "daemon/act/webhook-send.h"
#include "daemon/deliver/webhook-format.h"
#include "daemon/store/queue.h"
#include "daemon/util/guard.h"
#include "daemon/util/log.h"

#define WEBHOOK_BATCH		32
#define BACKOFF_MAX		(6 * 3600)
#define RETRY_AFTER_MAX		86400
#define WEBHOOK_HEADERS_MAX	64
#define ANSWER_MAX		4096

enum webhook_verdict
webhook_classify(const struct http_response *r)
{
	if (r->outcome == HTTP_TIMEOUT || r->outcome == HTTP_NETWORK)
		return WEBHOOK_RETRY;
	if (r->outcome != HTTP_ANSWERED)
		return WEBHOOK_RETRY;	/* ours: maybe better next time */
	if (r->status >= 200 && r->status <= 299)
		return WEBHOOK_DELIVERED;
	if (r->status == 408 || r->status == 429 || (r->status >= 500 &&
	    r->status <= 599))
		return WEBHOOK_RETRY;
	return WEBHOOK_PERMANENT;
}

int64_t
webhook_backoff(int attempts, long retry_min, long retry_after)
{
	int64_t	 d;

	if (retry_after >= 0)
		return retry_after < RETRY_AFTER_MAX ? retry_after :
		    RETRY_AFTER_MAX;
	if (retry_min < 1)
		retry_min = 1;
	d = (int64_t)retry_min << (attempts < 16 ? attempts : 16);
	return d < BACKOFF_MAX ? d : BACKOFF_MAX;
}

int
webhook_sign(const char *secret, int64_t t, const char *body, size_t len,
    char *out, size_t outlen)
{
	OSSL_PARAM	 params[2];
	EVP_MAC		*mac;
	EVP_MAC_CTX	*c = NULL;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	char		 ts[32], hex[2 * EVP_MAX_MD_SIZE + 1];
	size_t		 mdlen = 0, i;
	int		 ok, n;

	snprintf(ts, sizeof(ts), "%lld.", (long long)t);
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = (c = EVP_MAC_CTX_new(mac)) != NULL &&
	    EVP_MAC_init(c, (const unsigned char *)secret, strlen(secret),
	    params) == 1 &&
	    EVP_MAC_update(c, (const unsigned char *)ts, strlen(ts)) == 1 &&
	    EVP_MAC_update(c, (const unsigned char *)body, len) == 1 &&
	    EVP_MAC_final(c, md, &mdlen, sizeof(md)) == 1;
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(mac);
	if (!ok)
		return -1;
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * mdlen] = '\0';
	ts[strlen(ts) - 1] = '\0';
	n = snprintf(out, outlen, "t=%s,v1=%s", ts, hex);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* One attempt's headers: ours, then the webhook's. */
struct post {
	char		 ctype[256 + 16];
	char		 delivery[64];
	char		 sig[160];
	const char	*v[WEBHOOK_HEADERS_MAX + 3];
	size_t		 n;
};

static int
post_headers(struct post *p, const struct webhook *w,
    const struct queue_entry *e, const char *secret, const char *ctype,
    const char *body, size_t len)
{
	char	 sig[128];
	size_t	 i;

	if (webhook_sign(secret, (int64_t)time(NULL), body, len, sig,
	    sizeof(sig)) == -1)
		return -1;
	snprintf(p->ctype, sizeof(p->ctype), "Content-Type: %s", ctype);
	snprintf(p->delivery, sizeof(p->delivery), "X-Mailsift-Delivery: %s",
	    e->key);
	snprintf(p->sig, sizeof(p->sig), "X-Mailsift-Signature: %s", sig);
	p->n = 0;
	p->v[p->n++] = p->ctype;
	p->v[p->n++] = p->delivery;
	p->v[p->n++] = p->sig;
	for (i = 0; i < w->nheaders && i < WEBHOOK_HEADERS_MAX; i++)
		p->v[p->n++] = w->headers[i];
	return 0;
}

/* Write the outcome of an attempt back. */
static int
send_record(struct state *st, const struct webhook *w,
    const struct queue_entry *e, const struct http_response *r)
{
	enum webhook_verdict	 v = webhook_classify(r);
	int64_t			 now = (int64_t)time(NULL), delay, deadline;
	char			 err[512];
	int			 rv;

	if (v == WEBHOOK_DELIVERED) {
		log_info("%s: webhook %s: delivered %s (HTTP %ld%s)",
		    e->account, w->name, e->key, r->status,
		    r->http2 ? ", HTTP/2" : "");
		rv = state_queue_done(st, e->id, err, sizeof(err));
	} else if (v == WEBHOOK_PERMANENT) {
		log_error("%s: webhook %s: delivery %s refused for good: %s",
		    e->account, w->name, e->key, r->error);
		rv = state_queue_failed(st, e->id, "failed", r->error, err,
		    sizeof(err));
	} else {
		deadline = e->created + w->retry_time;
		delay = webhook_backoff(e->attempts, w->retry_min,
		    r->status == 429 || r->status == 503 ? r->retry_after :
		    -1);
		if (now >= deadline) {
			log_error("%s: webhook %s: delivery %s given up after "
			    "%d attempts over %ld s (retry-time): %s",
			    e->account, w->name, e->key, e->attempts + 1,
			    w->retry_time, r->error);
			if (state_queue_failed(st, e->id, "expired",
			    r->error, err, sizeof(err)) == -1)
				log_error("%s", err);
			return -1;
		} else {
			/* one last attempt at the deadline */
			if (now + delay > deadline)
				delay = deadline - now;
			log_warn("%s: webhook %s: delivery %s: %s; trying "
			    "again in %lld s", e->account, w->name, e->key,
			    r->error, (long long)delay);
			rv = state_queue_retry(st, e->id, now + delay,
			    r->error, err, sizeof(err));
		}
	}
	if (rv == -1)
		log_error("%s", err);
	/* a retry is no error of the round: the message is safe queued */
	return v == WEBHOOK_PERMANENT || rv == -1 ? -1 : 0;
}

/* Fail an entry without a request (section gone, too large). */
static int
send_refuse(struct state *st, const struct queue_entry *e, const char *why)
{
	char	 err[512];

	log_error("%s: webhook %s: delivery %s refused for good: %s",
	    e->account, e->target, e->key, why);
	if (state_queue_failed(st, e->id, "failed", why, err,
	    sizeof(err)) == -1)
		log_error("%s", err);
	return -1;
}

static int
send_one(const struct config *cfg, struct state *st,
    const struct queue_entry *e)
{
	const struct webhook	*w = config_webhook(cfg, e->target);
	struct http_request	 rq;
	struct http_response	 r;
	struct post		 p;
	const char		*body;
	char			 ctype[256], err[512], why[128], *secret;
	size_t			 blen;
	int			 rv;

	if (w == NULL)
		return send_refuse(st, e, "no webhook section of that name in "
		    "the configuration any more");
	if (webhook_entity_split(e->entry, e->len, ctype, sizeof(ctype),
	    &body, &blen) == -1)
		return send_refuse(st, e, "the queued request is damaged");
	if (blen > w->max_size) {
		snprintf(why, sizeof(why), "%zu bytes, larger than max-size "
		    "%llu", blen, (unsigned long long)w->max_size);
		return send_refuse(st, e, why);
	}
	/* fetched for each request: secret-command may rotate it */
	if ((secret = conf_secret(&w->ep, err, sizeof(err))) == NULL) {
		log_error("%s: webhook %s: no secret: %s", e->account,
		    w->name, err);
		return -1;	/* stays due: the next round tries again */
	}
	rv = post_headers(&p, w, e, secret, ctype, body, blen);
	conf_secret_free(secret);
	if (rv == -1) {
		log_error("%s: webhook %s: cannot sign the request",
		    e->account, w->name);
		return -1;
	}
	memset(&rq, 0, sizeof(rq));
	rq.url = w->url;
	rq.headers = p.v;
	rq.nheaders = p.n;
	rq.body = body;
	rq.len = blen;
	rq.timeout_ms = w->timeout * 1000;
	rq.verify = w->ep.tls_verify;
	rq.ca_file = w->ep.tls_ca_file;
	rq.max_answer = ANSWER_MAX;
	(void)http_post(&rq, &r);
	if (r.outcome == HTTP_ANSWERED &&
	    webhook_classify(&r) != WEBHOOK_DELIVERED && r.answer_len > 0)
		log_debug("%s: webhook %s: the receiver said: %.200s",
		    e->account, w->name, r.answer);
	rv = send_record(st, w, e, &r);
	http_response_free(&r);
	return rv;
}

int
webhook_send(const struct config *cfg, struct state *st,
    const char *account)
{
	struct queue_entry	*v;
	char			 err[512];
	size_t			 n, i;
	int			 rv = 0, refused = 0;

	if (cfg->nwebhooks == 0)
		return 0;
	if (state_queue_due(st, "webhook", account, (int64_t)time(NULL),
	    WEBHOOK_BATCH, &v, &n, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	for (i = 0; i < n; i++) {
		/* queued, it waits for the lease's next holder */
		if (!refused && !guard_ok()) {
			log_warn("%s: %zu queued webhook requests not sent: "
			    "the account's lease is lost or given back",
			    account, n - i);
			refused = 1;
			rv = -1;
		}
		if (!refused && send_one(cfg, st, &v[i]) == -1)
			rv = -1;
		state_queue_entry_free(&v[i]);
	}
	free(v);
	if (rv == -1)
		return -1;
	return n == WEBHOOK_BATCH;
}

/* SPDX-License-Identifier: ISC */
/*
 * webhook.c - delivery to an HTTP receiver: the webhook target,
 * "webhook:NAME", NAME a webhook section of the configuration (url,
 * secret, format, ...).
 *
 * A queued target (target.h): a receiver may be down for days, so the
 * commit does not post.  stage formats the request (webhook-format.h:
 * json, raw or multipart) and names it with its delivery id, the key:
 * the same for every fetch of the same message to the same webhook;
 * publish marks it VISIBLE; the commit's record step puts it into the
 * state's delivery queue in the transaction that records the message
 * delivered (store/queue.h).  The drain (act/webhook-send.c) posts it,
 * signed, and retries with backoff until the receiver says 2xx or
 * refuses for good, or the retry time is over.
 *
 * GUARANTEE: at least once, with an idempotency key.  Into the queue
 * exactly once: the row and the record commit together, so an intent
 * left by a crash means neither happened, and settle gives the message
 * back to be fetched and queued again.  Out of it at least once: a
 * crash after the receiver's 2xx and before the drain records it posts
 * again, with the same X-Mailsift-Delivery for the receiver to drop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conf/config.h"
#include "daemon/deliver/deliver.h"	/* struct delivery_ctx */
#include "daemon/deliver/target.h"
#include "daemon/deliver/webhook-format.h"
#include "daemon/util/log.h"

static int
webhook_open(struct delivery *dv, const char *folder, char *err,
    size_t errlen)
{
	const struct webhook	*w;

	if (folder != NULL) {
		snprintf(err, errlen, "webhook %s: cannot deliver into folder "
		    "%s: the receiver decides where the message goes",
		    dv->path, folder);
		return -1;
	}
	if (dv->ctx == NULL || dv->ctx->cfg == NULL) {
		snprintf(err, errlen, "webhook %s: needs the configuration "
		    "(a webhook \"%s\" { } section)", dv->path, dv->path);
		return -1;
	}
	if ((w = config_webhook(dv->ctx->cfg, dv->path)) == NULL) {
		snprintf(err, errlen, "webhook '%s' is not defined; add a "
		    "webhook \"%s\" { url = ...  secret = ... } section",
		    dv->path, dv->path);
		return -1;
	}
	dv->priv = (void *)(uintptr_t)w;	/* the config outlives dv */
	return 0;
}

static void
webhook_close(struct delivery *dv)
{
	dv->priv = NULL;
}

static int
webhook_stage(struct delivery *dv, struct staged *s, const char *data,
    size_t len, int flags, char *err, size_t errlen)
{
	const struct webhook	*w = dv->priv;
	struct webhook_msg	 m;
	char			 key[33], *entity;
	size_t			 elen;

	if (delivery_digest(data, len, flags, &s->in.content) == -1 ||
	    webhook_key(w->name, s->in.account, s->in.folder,
	    s->in.uidvalidity, s->in.uid, s->in.uidl, key) == -1) {
		snprintf(err, errlen, "webhook %s: cannot compute SHA-256",
		    dv->path);
		return -1;
	}
	m.key = key;
	m.account = s->in.account;
	m.folder = s->in.folder;
	m.data = data;
	m.len = len;
	if (webhook_format(w->format, w->max_size, &m, &entity, &elen, err,
	    errlen) == -1) {
		errno = ENOMEM;
		return -1;
	}
	if ((s->in.name = strdup(key)) == NULL) {
		free(entity);
		snprintf(err, errlen, "webhook %s: out of memory", dv->path);
		errno = ENOMEM;
		return -1;
	}
	s->entry = entity;
	s->in.length = elen;
	return 0;
}

/* Visible once queued, which the record step does (target.h). */
static void
webhook_publish(struct target_group *g, struct target_report *r)
{
	size_t	 i;

	for (i = 0; i < g->n; i++) {
		if (g->v[i]->state != STAGED_JOURNALED)
			continue;
		g->v[i]->state = r->failed ? STAGED_UNDONE : STAGED_VISIBLE;
	}
}

/* An intent left means its record transaction, the queue row with it,
 * did not commit: the message is fetched and queued again. */
static void
webhook_settle(const struct config *cfg, const struct state_intent *v,
    size_t n, struct target_settle *st)
{
	size_t	 i;

	(void)cfg;
	for (i = 0; i < n; i++) {
		log_info("recovery: webhook %s: delivery %s was not queued "
		    "before the crash; it is queued again", v[i].path,
		    v[i].name);
		target_settle_undo(st, v[i].id);
	}
}

const struct target target_webhook = {
	.name = "webhook",
	.kind = STATE_WEBHOOK,
	.keeps_bytes = 1,
	.queued = 1,
	.open = webhook_open,
	.close = webhook_close,
	.stage = webhook_stage,
	.unstage = target_unstage_none,
	.prepare = target_prepare_none,
	.flush = target_flush_none,
	.publish = webhook_publish,
	.release = target_release_none,
	.settle = webhook_settle,
};

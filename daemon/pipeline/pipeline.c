/* SPDX-License-Identifier: ISC */
/*
 * pipeline.c - the per-message path between sources and delivery; see
 * pipeline.h.
 *
 * A message is handed to the rules (daemon/act/), whose deliveries come
 * back here to be staged; without rules it goes to the account's target.
 * Messages are staged into a delivery batch as they arrive and the batch
 * is committed every BATCH_MAX messages or BATCH_BYTES bytes (group
 * commit: one flush, one directory sync and one state commit for the
 * lot), then the source hears which messages are safe to touch.
 * The sources' questions to the state store are in pipeline-state.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rules/rules.h"
#include "daemon/act/act.h"
#include "daemon/act/outbox-send.h"
#include "daemon/act/webhook-send.h"
#include "daemon/deliver/deliver.h"
#include "daemon/metrics/metrics.h"
#include "daemon/pipeline/pipeline-int.h"
#include "daemon/util/guard.h"
#include "daemon/util/log.h"
#include "daemon/store/msgid.h"
#include "daemon/store/state.h"

/* Below this many messages a progress line is only noise. */
#define PROGRESS_MIN	200

/* Accounts run in threads; one progress line at a time on the terminal. */
static pthread_mutex_t	 progress_lock = PTHREAD_MUTEX_INITIALIZER;

void
pipeline_set_total(struct pipeline *pl, size_t n)
{
	/* only for a person watching, and only when it is worth a line */
	if (n < PROGRESS_MIN || !isatty(STDERR_FILENO) ||
	    log_enabled(LOG_LEVEL_DEBUG))
		n = 0;
	pl->total = n;
	pl->shown = 0;
}

static void
progress_show(struct pipeline *pl, int last)
{
	struct timespec	 now;
	double		 ms;

	if (pl->total == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - pl->last.tv_sec) * 1e3 +
	    (double)(now.tv_nsec - pl->last.tv_nsec) / 1e6;
	if (!last && ms < 200)
		return;
	pl->last = now;
	pthread_mutex_lock(&progress_lock);
	fprintf(stderr, "\r%s: %zu/%zu messages, %.1f MB%s", pl->acct->name,
	    pl->stats.fetched, pl->total, (double)pl->stats.bytes / 1e6,
	    last ? "\n" : "");
	pthread_mutex_unlock(&progress_lock);
	if (last)
		pl->total = 0;
}

struct pipeline *
pipeline_new(const struct config *cfg, const struct account *acct,
    const struct rule_set *rules, struct state *st, int dry_run, char *err,
    size_t errlen)
{
	struct pipeline	*pl;

	if (acct->deliver == NULL) {
		snprintf(err, errlen, "account %s has no deliver target",
		    acct->name);
		return NULL;
	}
	if ((pl = calloc(1, sizeof(*pl))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pl->cfg = cfg;
	pl->acct = acct;
	/* the first wait drains once even with nothing fetched: what an
	 * earlier round, or the lease's last holder, left queued */
	pl->sent_after = SIZE_MAX;
	pl->ctx.cfg = cfg;
	pl->ctx.acct = acct;
	pl->st = st;
	pl->dry_run = dry_run;
	if ((pl->dv = delivery_open(&pl->ctx, acct->deliver, NULL, err, errlen)) == NULL)
		goto fail;
	if ((pl->batch = delivery_batch_new(st)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	pl->rules = rules;
	return pl;
fail:
	pipeline_free(pl);
	return NULL;
}

static void
keys_clear(struct pipeline *pl)
{
	size_t	 i;

	for (i = 0; i < pl->nkeys; i++) {
		free(pl->keys[i].folder);
		free(pl->keys[i].uidl);
	}
	pl->nkeys = 0;
}

void
pipeline_free(struct pipeline *pl)
{
	size_t	 i;

	if (pl == NULL)
		return;
	if (pl->batch != NULL)
		delivery_batch_free(pl->batch);
	keys_clear(pl);
	for (i = 0; i < pl->ntargets; i++) {
		delivery_close(pl->targets[i].dv);
		free(pl->targets[i].spec);
		free(pl->targets[i].folder);
	}
	delivery_close(pl->dv);
	free(pl);
}

void
pipeline_set_committed(struct pipeline *pl, fetch_committed_fn cb, void *ctx)
{
	pl->cb = cb;
	pl->cbctx = ctx;
}

struct fetch_stats *
pipeline_stats(struct pipeline *pl)
{
	return &pl->stats;
}

uint64_t
pipeline_max_size(const struct pipeline *pl)
{
	return pl->cfg->max_size;
}

int
pipeline_keeps_meta(const struct pipeline *pl)
{
	return delivery_keeps_meta(pl->dv);
}

void
pipeline_idle(struct pipeline *pl, int on)
{
	char	 err[1024];

	metrics_idle(pl->acct->name, on);
	if (pl->dry_run)
		return;
	/*
	 * An IDLE round ends only when its session does, hours away: what
	 * the messages just fetched queued (auto-replies, forwards,
	 * webhooks) goes out before the wait, one batch each, as the end
	 * of a round would send it.  Only after a fetch (and before the
	 * first wait): a wait that ends with nothing new touches neither
	 * the store nor the network.  Before the phase is recorded: that
	 * lets the store rest its connection for the wait (sqlite_park).
	 */
	if (on && pl->stats.fetched != pl->sent_after) {
		pl->sent_after = pl->stats.fetched;
		(void)outbox_send(pl->cfg, pl->st, pl->acct->name);
		(void)webhook_send(pl->cfg, pl->st, pl->acct->name);
	}
	if (state_account_phase(pl->st, pl->acct->name, on ? "idle" :
	    "polling", 0, err, sizeof(err)) == -1)
		log_warn("%s: %s", pl->acct->name, err);
}

static void
msg_key_make(const struct pipeline *pl, const struct fetch_key *k,
    struct msg_key *mk)
{
	mk->account = pl->acct->name;
	mk->folder = k->folder != NULL ? k->folder : "";
	mk->uidvalidity = k->uidvalidity;
	mk->uid = k->uid;
	mk->uidl = k->uidl;
}

/* After the message's commit: a crash before this only lets another
 * label folder bring it once more (msgid.h). */
static void
msgid_record(struct pipeline *pl, const char *folder, uint32_t uid,
    uint64_t id)
{
	char	 err[1024];

	if (id == 0 || pl->dry_run)
		return;
	if (state_msgid_record(pl->st, pl->acct->name, id, folder, uid, err,
	    sizeof(err)) == -1)
		log_warn("%s: %s", pl->acct->name, err);
}

static void
committed(struct pipeline *pl, const struct staged_key *s)
{
	struct fetch_key k;

	msgid_record(pl, s->folder, s->uid, s->gm_msgid);
	if (pl->cb == NULL)
		return;
	k.folder = s->folder != NULL ? s->folder : "";
	k.uidvalidity = s->uidvalidity;
	k.uid = s->uid;
	k.uidl = s->uidl;
	k.seq = s->seq;
	k.remove = s->remove;
	pl->cb(pl->cbctx, &k);
}

/* Refused for good by the target (lmtp-reject = skip): recorded as
 * skipped, so it is not fetched again, and never flagged or deleted. */
static void
refused_record(struct pipeline *pl, const struct staged_key *s)
{
	struct msg_key		 mk;
	struct msg_content	 c;
	char			 err[1024];

	pl->stats.skipped++;
	mk.account = pl->acct->name;
	mk.folder = s->folder != NULL ? s->folder : "";
	mk.uidvalidity = s->uidvalidity;
	mk.uid = s->uid;
	mk.uidl = s->uidl;
	memset(&c, 0, sizeof(c));
	if (state_mark_skipped(pl->st, &mk, &c, "refused for good by the "
	    "target (lmtp-reject = skip)", err, sizeof(err)) == -1)
		log_error("%s", err);
}

static int
key_keep(struct pipeline *pl, const struct fetch_key *k)
{
	struct staged_key *s = &pl->keys[pl->nkeys];

	memset(s, 0, sizeof(*s));
	if ((k->folder != NULL && (s->folder = strdup(k->folder)) == NULL) ||
	    (k->uidl != NULL && (s->uidl = strdup(k->uidl)) == NULL)) {
		free(s->folder);
		return -1;
	}
	s->uidvalidity = k->uidvalidity;
	s->uid = k->uid;
	s->seq = k->seq;
	s->gm_msgid = k->gm_msgid;
	s->remove = pl->remove;
	s->cont = pl->group && pl->ngroup++ > 0;
	pl->nkeys++;
	return 0;
}

static void
key_describe(const struct pipeline *pl, const struct fetch_key *k,
    char *out, size_t len)
{
	if (k->uidl != NULL)
		snprintf(out, len, "%s: message %s", pl->acct->name, k->uidl);
	else
		snprintf(out, len, "%s: folder %s UID %u", pl->acct->name,
		    k->folder, k->uid);
}

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The delivery for a target and folder, opened on first use. */
static struct delivery *
target_get(struct pipeline *pl, const char *spec, const char *folder,
    char *err, size_t errlen)
{
	struct target	*t;
	size_t		 i;

	if (spec == NULL && delivery_folder_is_inbox(folder))
		return pl->dv;
	if (spec == NULL)
		spec = pl->acct->deliver;
	for (i = 0; i < pl->ntargets; i++)
		if (same(pl->targets[i].spec, spec) &&
		    same(pl->targets[i].folder, folder))
			return pl->targets[i].dv;
	if (pl->ntargets == TARGETS_MAX) {
		snprintf(err, errlen, "more than %d delivery targets in one "
		    "round", TARGETS_MAX);
		return NULL;
	}
	t = &pl->targets[pl->ntargets];
	if ((t->dv = delivery_open(&pl->ctx, spec, folder, err, errlen)) == NULL)
		return NULL;
	t->spec = strdup(spec);
	t->folder = folder != NULL ? strdup(folder) : NULL;
	if (t->spec == NULL || (folder != NULL && t->folder == NULL)) {
		delivery_close(t->dv);
		free(t->spec);
		free(t->folder);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pl->ntargets++;
	return t->dv;
}

static int
batch_full(const struct pipeline *pl)
{
	return pl->nkeys == BATCH_MAX ||
	    delivery_batch_bytes(pl->batch) >= BATCH_BYTES;
}

/* Stage data for dv as one of the batch's messages under k. */
static int
stage(struct pipeline *pl, struct delivery *dv, const struct fetch_key *k,
    const char *data, size_t len)
{
	struct msg_key		 mk;
	struct delivery_meta	 meta = { k->flags, k->date, k->zone };
	char			 err[1024], where[512];

	msg_key_make(pl, k, &mk);
	snprintf(err, sizeof(err), "out of memory");
	if (key_keep(pl, k) == -1 ||
	    delivery_stage_meta(pl->batch, dv, &mk, &meta, data, len,
	    DELIVERY_CRLF |
	    (k->uidl != NULL ? DELIVERY_NO_DIGEST : 0), err,
	    sizeof(err)) == -1) {
		key_describe(pl, k, where, sizeof(where));
		log_error("%s: %s", where, err);
		return -1;
	}
	if (!pl->group && batch_full(pl))
		return pipeline_flush(pl);
	return 0;
}

/*
 * All deliveries of one message go into one batch: split over two, a
 * crash between the commits would leave the message recorded as
 * delivered with a delivery missing.  Make room for n, and let none of
 * them alone commit the batch.
 */
static int
group_begin(struct pipeline *pl, size_t n)
{
	if (n > BATCH_MAX) {
		log_error("%s: %zu deliveries for one message, more than %d",
		    pl->acct->name, n, BATCH_MAX);
		return -1;
	}
	if (pl->nkeys + n > BATCH_MAX && pipeline_flush(pl) == -1)
		return -1;
	pl->group = 1;
	pl->ngroup = 0;
	return 0;
}

static int
group_end(struct pipeline *pl)
{
	pl->group = 0;
	return batch_full(pl) ? pipeline_flush(pl) : 0;
}

void
pipeline_set_server_folders(struct pipeline *pl, int on)
{
	pl->server_folders = on;
}

static int
record_filed(struct pipeline *pl, const struct fetch_key *k,
    uint64_t size, const char *why)
{
	struct msg_key		 mk;
	struct msg_content	 c;
	char			 err[1024];

	msg_key_make(pl, k, &mk);
	memset(&c, 0, sizeof(c));
	c.size = size;
	if (state_mark_skipped(pl->st, &mk, &c, why, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	msgid_record(pl, k->folder, k->uid, k->gm_msgid);
	pl->stats.skipped++;
	return 0;
}

/*
 * Stage a message's deliveries as one group: they commit together, and a
 * rule's delete goes with them.  Every target is opened before any is
 * staged, so a target that cannot be opened leaves none of them in the
 * batch: a message is delivered everywhere its rules say, or nowhere.
 */
static int
deliveries_stage(struct pipeline *pl, const struct fetch_key *k,
    const struct act_result *res)
{
	struct delivery	*dv[ACT_DELIVERIES_MAX];
	char		 err[1024], where[512];
	size_t		 i;
	int		 rv = 0;

	for (i = 0; i < res->n; i++)
		if ((dv[i] = target_get(pl, res->v[i].target,
		    res->v[i].folder, err, sizeof(err))) == NULL) {
			key_describe(pl, k, where, sizeof(where));
			log_error("%s: %s", where, err);
			return -1;
		}
	if (group_begin(pl, res->n) == -1)
		return -1;
	pl->remove = res->remove;
	for (i = 0; i < res->n && rv == 0; i++)
		rv = stage(pl, dv[i], k, res->v[i].data, res->v[i].len);
	pl->remove = 0;
	if (rv == -1) {
		pl->group = 0;
		return -1;
	}
	return group_end(pl);
}

/*
 * The account's rules on one message (daemon/act/ carries out the plan
 * and hands back its deliveries).  A failed action leaves the message
 * for the next round: nothing staged or recorded, and 0, so the source
 * goes on with the others.
 */
static int
rules_run(struct pipeline *pl, const struct fetch_key *k, char *data,
    size_t len)
{
	struct act_env		 env;
	struct act_result	 res;
	struct msg_key		 mk;
	char			 where[512];
	int			 rv;

	key_describe(pl, k, where, sizeof(where));
	msg_key_make(pl, k, &mk);
	memset(&env, 0, sizeof(env));
	env.cfg = pl->cfg;
	env.acct = pl->acct;
	env.st = pl->st;
	env.rules = pl->rules;
	env.dry_run = pl->dry_run;
	env.server_folders = pl->server_folders;
	env.labels = k->labels;
	env.nlabels = k->nlabels;
	env.where = where;
	rv = act_message(&env, &mk, data, len, &res);
	if (rv == 0 && res.failed)
		pl->stats.errors++;
	else if (rv == 0 && !pl->dry_run && res.n == 0)
		rv = record_filed(pl, k, len,
		    "filed by rules without a local delivery");
	else if (rv == 0 && !pl->dry_run)
		rv = deliveries_stage(pl, k, &res);
	act_result_free(&res);
	return rv;
}

/*
 * After a UIDVALIDITY change the folder is fetched from scratch; a
 * message that was already delivered under the old UIDVALIDITY is
 * recognised by its content and recorded instead of delivered.
 */
static int
already_delivered(struct pipeline *pl, const struct fetch_key *k,
    const struct msg_key *mk, const char *data, size_t len)
{
	struct msg_content	 c;
	char			 err[1024];
	int			 r;

	/* hashing every message costs: only when there is a match to find */
	if (k->uidl != NULL || !pl->dedupe)
		return 0;
	if (delivery_digest(data, len, DELIVERY_CRLF, &c) == -1)
		return -1;
	if ((r = state_seen_content(pl->st, mk, &c, err, sizeof(err))) == -1)
		log_error("%s", err);
	return r;
}

static int
message_add(struct pipeline *pl, const struct fetch_key *k, char *data,
    size_t len)
{
	struct msg_key	 mk;
	struct staged_key dup;
	char		 where[512];
	int		 r;

	pl->stats.fetched++;
	pl->stats.bytes += len;
	progress_show(pl, pl->total > 0 && pl->stats.fetched >= pl->total);
	if (pl->dry_run) {
		if (pl->rules != NULL)
			return rules_run(pl, k, data, len);
		key_describe(pl, k, where, sizeof(where));
		log_info("%s: %zu bytes: would deliver to %s", where, len,
		    delivery_path(pl->dv));
		return 0;
	}
	msg_key_make(pl, k, &mk);
	if ((r = already_delivered(pl, k, &mk, data, len)) == -1)
		return -1;
	if (r == 1) {
		key_describe(pl, k, where, sizeof(where));
		log_info("%s: delivered before the UIDVALIDITY change: "
		    "recorded, not delivered again", where);
		pl->stats.skipped++;
		memset(&dup, 0, sizeof(dup));
		dup.folder = (char *)(uintptr_t)k->folder;
		dup.uidvalidity = k->uidvalidity;
		dup.uid = k->uid;
		committed(pl, &dup);
		return 0;
	}
	if (pl->rules != NULL)
		return rules_run(pl, k, data, len);
	return stage(pl, pl->dv, k, data, len);
}

/* What is logged about this message carries its folder and UID. */
static void
key_log_context(const struct fetch_key *k)
{
	char	 uid[16];

	if (k->folder != NULL && k->folder[0] != '\0')
		log_context_folder(k->folder);
	if (k->uidl != NULL) {
		log_context_uid(k->uidl);
		return;
	}
	snprintf(uid, sizeof(uid), "%u", (unsigned)k->uid);
	log_context_uid(uid);
}

int
pipeline_add(struct pipeline *pl, const struct fetch_key *k, char *data,
    size_t len)
{
	int	 rv;

	key_log_context(k);
	rv = message_add(pl, k, data, len);
	log_context_uid(NULL);
	return rv;
}

int
pipeline_flush(struct pipeline *pl)
{
	char	 err[1024];
	size_t	 i, j;
	int	 rv, done, refused;

	if (pl->nkeys == 0)
		return 0;
	rv = delivery_batch_commit(pl->batch, err, sizeof(err));
	/* a message is delivered when all its deliveries are; one refused
	 * for good (lmtp-reject = skip) and the others done: skipped */
	for (i = 0; i < pl->nkeys; i = j) {
		done = 1;
		refused = 0;
		for (j = i; j < pl->nkeys && (j == i || pl->keys[j].cont); j++)
			if (delivery_batch_refused(pl->batch, j))
				refused = 1;
			else
				done = done && delivery_batch_done(pl->batch, j);
		if (!done)
			continue;
		if (refused) {
			refused_record(pl, &pl->keys[i]);
			continue;
		}
		pl->stats.delivered++;
		committed(pl, &pl->keys[i]);
	}
	if (rv == -1 && !guard_ok())
		/* the lease went (util/guard.h): the next holder delivers;
		 * nothing failed, and the round ends without an error */
		log_info("%s: delivery to %s left to the next holder: %s",
		    pl->acct->name, delivery_path(pl->dv), err);
	else if (rv == -1) {
		log_error("%s: delivery to %s failed: %s", pl->acct->name,
		    delivery_path(pl->dv), err);
		pl->stats.errors++;
	}
	delivery_batch_clear(pl->batch);
	keys_clear(pl);
	return rv;
}

int
pipeline_skip(struct pipeline *pl, const struct fetch_key *k, uint64_t size)
{
	struct msg_key		 mk;
	struct msg_content	 c;
	char			 err[1024], reason[128];

	pl->stats.skipped++;
	if (pl->dry_run)
		return 0;
	msg_key_make(pl, k, &mk);
	memset(&c, 0, sizeof(c));
	c.size = size;
	snprintf(reason, sizeof(reason), "larger than max-size (%llu bytes)",
	    (unsigned long long)size);
	if (state_mark_skipped(pl->st, &mk, &c, reason, err,
	    sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

int
pipeline_duplicate_msgid(struct pipeline *pl, const struct fetch_key *k,
    uint64_t size)
{
	struct msg_key		 mk;
	struct msg_content	 c;
	char			 err[1024], reason[128];

	pl->stats.skipped++;
	if (pl->dry_run)
		return 0;
	msg_key_make(pl, k, &mk);
	memset(&c, 0, sizeof(c));
	c.size = size;
	snprintf(reason, sizeof(reason), "delivered through another folder "
	    "(X-GM-MSGID %llu)", (unsigned long long)k->gm_msgid);
	if (state_mark_skipped(pl->st, &mk, &c, reason, err,
	    sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

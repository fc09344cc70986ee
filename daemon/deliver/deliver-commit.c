/* SPDX-License-Identifier: ISC */
/*
 * deliver-commit.c - the group commit: the order in which a batch's
 * messages become durable, visible and recorded, and what is undone when
 * a step fails.  The order is batch_commit(), step by step, each step
 * called for every kind of target in the batch (target.h says what each
 * step must do).  See deliver.h for the guarantee.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/deliver/deliver-int.h"
#include "daemon/store/queue.h"
#include "daemon/util/guard.h"
#include "daemon/util/log.h"

/* Why a batch is refused on a shared store. */
#define LEASE_GONE	"the account's lease is lost or given back"

/* Kinds of target there may be (delivery_targets[]). */
#define GROUPS_MAX	8

/* The batch's messages by kind of target, in the table's order. */
struct groups {
	struct target_group	 g[GROUPS_MAX];
	size_t			 n;
	struct staged		**all;	/* the pointers of every group */
};

static int
groups_make(struct delivery_batch *b, struct groups *gs, char *err,
    size_t errlen)
{
	struct target_group	*g;
	size_t			 i, t, used = 0;

	memset(gs, 0, sizeof(*gs));
	if ((gs->all = calloc(b->n, sizeof(*gs->all))) == NULL) {
		snprintf(err, errlen, "out of memory committing a batch");
		return -1;
	}
	for (t = 0; delivery_targets[t] != NULL; t++) {
		if (t == GROUPS_MAX) {
			snprintf(err, errlen, "internal error: more than %d "
			    "kinds of target", GROUPS_MAX);
			return -1;
		}
		g = &gs->g[gs->n];
		g->target = delivery_targets[t];
		g->v = gs->all + used;
		for (i = 0; i < b->n; i++)
			if (b->v[i].dv->target == g->target)
				g->v[g->n++] = &b->v[i];
		used += g->n;
		if (g->n > 0)
			gs->n++;
	}
	return 0;
}

static int
batch_journal(struct delivery_batch *b, char *err, size_t errlen)
{
	struct state_intent	*v;
	size_t			 i;

	if ((v = calloc(b->n, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory recording intents");
		return -1;
	}
	for (i = 0; i < b->n; i++)
		v[i] = b->v[i].in;
	if (state_intents_record(b->st, v, b->n, err, errlen) == -1) {
		free(v);
		return -1;
	}
	for (i = 0; i < b->n; i++) {
		b->v[i].in.id = v[i].id;
		b->v[i].state = STAGED_JOURNALED;
	}
	free(v);
	return 0;
}

static int
ids_collect(struct delivery_batch *b, enum staged_state want, int64_t *ids)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < b->n; i++)
		if (b->v[i].state == want && b->v[i].in.id != 0)
			ids[n++] = b->v[i].in.id;
	return n;
}

/* What a queued target (target.h) hands over: every VISIBLE message of
 * one, into items; how many. */
static size_t
queue_items(struct delivery_batch *b, struct queue_item *items)
{
	struct staged	*s;
	size_t		 i, n = 0;

	for (i = 0; i < b->n; i++) {
		s = &b->v[i];
		if (s->state != STAGED_VISIBLE || !s->dv->target->queued)
			continue;
		items[n].kind = s->dv->target->name;
		items[n].key = s->in.name;
		items[n].target = s->in.path;
		items[n].account = s->in.account;
		items[n].entry = s->entry;
		items[n++].len = (size_t)s->in.length;
	}
	return n;
}

/* The destination's UIDs of the visible ones (imap: APPENDUID), in the
 * order of ids_collect(). */
static void
remote_collect(struct delivery_batch *b, uint32_t *uv, uint32_t *uid)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < b->n; i++)
		if (b->v[i].state == STAGED_VISIBLE && b->v[i].in.id != 0) {
			uv[n] = b->v[i].in.remote_uidvalidity;
			uid[n++] = b->v[i].in.remote_uid;
		}
}

/* Record what is visible (with an imap: target's APPENDUID, and queuing
 * what a queued target handed over, in the same transaction), drop the
 * intents of what was taken back. */
static void
batch_record(struct delivery_batch *b, struct target_report *r)
{
	struct queue_item	*items;
	int64_t			*ids;
	uint32_t		*uv, *uid;
	char			 e[512];
	size_t			 i, nitems;
	int			 n;

	ids = calloc(b->n, sizeof(*ids));
	items = calloc(b->n, sizeof(*items));
	uv = calloc(b->n, sizeof(*uv));
	uid = calloc(b->n, sizeof(*uid));
	if (ids == NULL || items == NULL || uv == NULL || uid == NULL) {
		free(ids);
		free(items);
		free(uv);
		free(uid);
		target_report_error(r, "out of memory recording deliveries");
		return;
	}
	n = ids_collect(b, STAGED_VISIBLE, ids);
	nitems = queue_items(b, items);
	remote_collect(b, uv, uid);
	if (state_intents_complete_batch(b->st, ids, uv, uid, (size_t)n,
	    items, nitems, e, sizeof(e)) == 0) {
		for (i = 0; i < b->n; i++)
			if (b->v[i].state == STAGED_VISIBLE)
				b->v[i].state = STAGED_DONE;
		delivery_hook("recorded", (size_t)n);
	} else {
		target_report_error(r, e);
		for (i = 0; i < b->n; i++)
			if (b->v[i].state == STAGED_VISIBLE)
				b->v[i].state = STAGED_DOUBT;
	}
	n = ids_collect(b, STAGED_UNDONE, ids);
	if (state_intents_rollback(b->st, ids, (size_t)n, e, sizeof(e)) == -1)
		log_warn("%s (the next start settles them)", e);
	free(items);
	free(ids);
	free(uv);
	free(uid);
}

static size_t
groups_release(struct groups *gs, size_t n)
{
	size_t	 i, held = 0;

	for (i = 0; i < n; i++) {
		held += gs->g[i].nheld;
		gs->g[i].target->release(&gs->g[i]);
	}
	return held;
}

/*
 * The group commit, in the order of the guarantee.  Each step is named
 * for delivery_test_hook: "locked" (every target prepared: mbox files
 * locked, offsets known; n locks), "journaled" (intents committed),
 * "synced" (staged bytes flushed), then the targets' own steps while
 * publishing ("published" n renamed into new/, "dirsynced"; "appended"
 * n mbox entries written, "mbox-synced"), "unlocked", "recorded"
 * (delivered rows committed).  Only then may the caller touch the
 * server (delivery_batch_done()).
 */
static int
batch_commit(struct delivery_batch *b, char *err, size_t errlen)
{
	struct target_report	 r = { err, errlen, 0, 0 };
	struct groups		 gs;
	size_t			 i, held = 0, prepared = 0;

	if (b->n == 0 || b->v[0].state != STAGED_WRITTEN)
		return 0;
	/* a shared store (util/guard.h): the messages are fetched again
	 * by the lease's next holder */
	if (!guard_ok()) {
		snprintf(err, errlen, "%zu deliveries not made: %s", b->n,
		    LEASE_GONE);
		for (i = 0; i < b->n; i++)
			staged_undo(&b->v[i]);
		return -1;
	}
	if (groups_make(b, &gs, err, errlen) == -1)
		goto fail;
	/* 1. prepare: what the intents will name (locks, offsets) */
	for (; prepared < gs.n; prepared++) {
		if (gs.g[prepared].target->prepare(&gs.g[prepared], err,
		    errlen) == -1) {
			prepared++;	/* release what it holds */
			goto fail;
		}
		held += gs.g[prepared].nheld;
	}
	delivery_hook("locked", held);
	/* 2. intent: where each message goes, committed */
	if (batch_journal(b, err, errlen) == -1)
		goto fail;
	delivery_hook("journaled", b->n);
	/* 3. flush: staged bytes durable, still invisible */
	for (i = 0; i < gs.n; i++)
		gs.g[i].target->flush(&gs.g[i], &r);
	if (!r.failed)
		delivery_hook("synced", 0);
	/* 4. publish: visible and durable, or taken back - all of it
	 * if the lease went since the check above (a stall, a slow
	 * flush): its next holder settles the intents */
	if (!guard_ok())
		target_report_error(&r, "not delivered: " LEASE_GONE);
	for (i = 0; i < gs.n; i++)
		gs.g[i].target->publish(&gs.g[i], &r);
	/* 5. release: unlock, disconnect */
	held = groups_release(&gs, gs.n);
	delivery_hook("unlocked", held);
	free(gs.all);
	/* 6. record: delivered, or intent dropped */
	batch_record(b, &r);
	b->nospace = r.nospace;
	return r.failed ? -1 : 0;
fail:
	/* nothing is visible yet and no intent was written */
	(void)groups_release(&gs, prepared);
	free(gs.all);
	for (i = 0; i < b->n; i++)
		staged_undo(&b->v[i]);
	return -1;
}

static int
same_message(const struct state_intent *a, const struct state_intent *b)
{
	if (strcmp(a->account, b->account) != 0 ||
	    strcmp(a->folder, b->folder) != 0)
		return 0;
	if (a->uidl != NULL || b->uidl != NULL)
		return a->uidl != NULL && b->uidl != NULL &&
		    strcmp(a->uidl, b->uidl) == 0;
	return a->uidvalidity == b->uidvalidity && a->uid == b->uid;
}

/*
 * After a commit of v[lo, hi) failed for a full disk: whether all of it
 * can be tried again, which is so when every message keeps its bytes
 * (an mbox entry in memory) and was taken back, its intent dropped;
 * Maildir files are gone once taken back.  Then they are made new
 * again.
 */
static int
batch_rearm(struct delivery_batch *b, size_t lo, size_t hi)
{
	size_t	 i;

	for (i = lo; i < hi; i++)
		if (!b->v[i].dv->target->keeps_bytes ||
		    b->v[i].state != STAGED_UNDONE)
			return 0;
	for (i = lo; i < hi; i++) {
		b->v[i].state = STAGED_WRITTEN;
		b->v[i].in.id = 0;
	}
	return 1;
}

/*
 * Commit v[lo, hi); when the disk is full, the two halves, again and
 * again down to one message, so that what fits is delivered and only the
 * rest waits for the next round.  A message's deliveries are never
 * split (a half ends on a message boundary).
 */
static int
batch_commit_range(struct delivery_batch *b, size_t lo, size_t hi,
    char *err, size_t errlen)
{
	struct delivery_batch	 sub = *b;
	size_t			 mid;
	int			 r1, r2;

	sub.v = b->v + lo;
	sub.n = hi - lo;
	sub.nospace = 0;
	if (batch_commit(&sub, err, errlen) == 0)
		return 0;
	if (!sub.nospace)
		return -1;
	for (mid = lo + (hi - lo) / 2; mid > lo &&
	    same_message(&b->v[mid - 1].in, &b->v[mid].in); mid--)
		;
	if (mid == lo || !batch_rearm(b, lo, hi))
		return -1;
	log_warn("%s (disk full: trying %zu and %zu message(s) apart)", err,
	    mid - lo, hi - mid);
	r1 = batch_commit_range(b, lo, mid, err, errlen);
	r2 = batch_commit_range(b, mid, hi, err, errlen);
	return r1 == 0 && r2 == 0 ? 0 : -1;
}

/*
 * A batch spoiled by a full disk while staging still commits the whole
 * messages staged before the one that did not fit; the rest is taken
 * back and fetched again.
 */
int
delivery_batch_commit(struct delivery_batch *b, char *err, size_t errlen)
{
	char	 e[512];
	size_t	 i, done;

	if (!b->spoiled)
		return batch_commit_range(b, 0, b->n, err, errlen);
	if (!b->nospace || b->good == 0) {
		snprintf(err, errlen, "batch failed while staging; nothing "
		    "delivered");
		return -1;
	}
	for (i = b->good; i < b->n; i++)
		if (b->v[i].state == STAGED_WRITTEN)
			staged_undo(&b->v[i]);
	if (batch_commit_range(b, 0, b->good, e, sizeof(e)) == -1)
		log_error("%s", e);
	for (done = 0, i = 0; i < b->n; i++)
		done += b->v[i].state == STAGED_DONE;
	snprintf(err, errlen, "%s: disk full while staging: %zu of %zu "
	    "staged deliveries committed, the rest is fetched again",
	    b->v[0].dv->path, done, b->n);
	return -1;
}

/* SPDX-License-Identifier: ISC */
/*
 * deliver-commit.c - the group commit: the order in which a batch's
 * messages become durable, visible and recorded, and what is undone when
 * a step fails.  See deliver.h for the guarantee.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/deliver/deliver.h"
#include "daemon/util/log.h"

/* A full disk or quota: a smaller batch may still fit. */
static int
is_nospace(int e)
{
	return e == ENOSPC || e == EDQUOT;
}

/* Keep the first error for the caller, log the others. */
static void
batch_error(int *failed, char *err, size_t errlen, const char *e)
{
	if (!*failed)
		snprintf(err, errlen, "%s", e);
	else
		log_error("%s", e);
	*failed = 1;
}

static int
lock_cmp(const void *a, const void *b)
{
	const struct mbox_lock	*x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* Lock every mbox of the batch, in path order so that two batches never
 * wait for each other, and place each entry after the current end. */
static int
batch_lock(struct delivery_batch *b, struct mbox_lock **locksp, size_t *nlocks,
    char *err, size_t errlen)
{
	struct mbox_lock	*locks;
	struct staged		*s;
	uint64_t		 off;
	size_t			 i, j, n = 0;

	*locksp = NULL;
	*nlocks = 0;
	if ((locks = calloc(b->n, sizeof(*locks))) == NULL) {
		snprintf(err, errlen, "out of memory locking mbox files");
		return -1;
	}
	for (i = 0; i < b->n; i++) {
		s = &b->v[i];
		if (s->in.kind != STATE_MBOX)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(locks[j].path, s->in.path) == 0)
				break;
		if (j == n)
			locks[n++].path = s->in.path;
	}
	qsort(locks, n, sizeof(*locks), lock_cmp);
	*locksp = locks;
	for (i = 0; i < n; i++) {
		if (mbox_lock(&locks[i], locks[i].path, 1, err, errlen) == -1)
			return -1;
		*nlocks = i + 1;
		off = locks[i].size;
		for (j = 0; j < b->n; j++) {
			s = &b->v[j];
			if (s->in.kind != STATE_MBOX ||
			    strcmp(s->in.path, locks[i].path) != 0)
				continue;
			s->in.offset = off;
			off += s->in.length;
		}
	}
	return 0;
}

static void
batch_unlock(struct mbox_lock *locks, size_t n)
{
	char	 e[512];
	size_t	 i;

	for (i = 0; i < n; i++)
		if (mbox_unlock(&locks[i], e, sizeof(e)) == -1)
			log_warn("%s", e);
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
seen_before(struct delivery_batch *b, size_t i, int same_dev)
{
	size_t	 j;

	for (j = 0; j < i; j++)
		if (b->v[j].in.kind == STATE_MAILDIR &&
		    (same_dev ? b->v[j].dv->dev == b->v[i].dv->dev :
		    b->v[j].dv == b->v[i].dv))
			return 1;
	return 0;
}

/* Flush each file system once, then rename each file into new/: its
 * commit point.  After a failure the rest is taken back. */
static void
batch_maildir_publish(struct delivery_batch *b, int *failed, char *err,
    size_t errlen)
{
	struct staged	*s;
	char		 e[512];
	size_t		 i, n = 0;

	for (i = 0; i < b->n && !*failed; i++)
		if (b->v[i].in.kind == STATE_MAILDIR && !seen_before(b, i, 1) &&
		    maildir_flush(b->v[i].dv, e, sizeof(e)) == -1)
			batch_error(failed, err, errlen, e);
	if (!*failed)
		delivery_hook("synced", 0);
	for (i = 0; i < b->n; i++) {
		s = &b->v[i];
		if (s->in.kind != STATE_MAILDIR || s->state != STAGED_JOURNALED)
			continue;
		if (!*failed && maildir_publish(s->dv, s->in.name, e,
		    sizeof(e)) == -1)
			batch_error(failed, err, errlen, e);
		if (*failed) {
			staged_undo(s);
			continue;
		}
		s->state = STAGED_VISIBLE;
		delivery_hook("published", ++n);
	}
}

/* The renames are durable once each new/ is synced. */
static void
batch_maildir(struct delivery_batch *b, int *failed, char *err,
    size_t errlen)
{
	char	 e[512];
	size_t	 i, j;
	int	 ok;

	batch_maildir_publish(b, failed, err, errlen);
	for (i = 0; i < b->n; i++) {
		if (b->v[i].in.kind != STATE_MAILDIR ||
		    b->v[i].state != STAGED_VISIBLE || seen_before(b, i, 0))
			continue;
		if ((ok = maildir_sync_new(b->v[i].dv, e, sizeof(e))) == -1)
			batch_error(failed, err, errlen, e);
		for (j = i; ok == -1 && j < b->n; j++)
			if (b->v[j].dv == b->v[i].dv &&
			    b->v[j].state == STAGED_VISIBLE)
				b->v[j].state = STAGED_DOUBT;
	}
	delivery_hook("dirsynced", 0);
}

/* Append one mbox's entries and sync; on failure cut it back. */
static void
batch_mbox_one(struct delivery_batch *b, struct mbox_lock *lk, int *failed,
    size_t *appended, char *err, size_t errlen)
{
	struct staged	*s;
	char		 e[512];
	size_t		 i;
	int		 bad = *failed;
	enum staged_state after;

	for (i = 0; i < b->n && !bad; i++) {
		s = &b->v[i];
		if (s->in.kind != STATE_MBOX ||
		    strcmp(s->in.path, lk->path) != 0)
			continue;
		if (mbox_append(lk, s->entry, s->in.length, e,
		    sizeof(e)) == -1) {
			b->nospace = b->nospace || is_nospace(errno);
			batch_error(failed, err, errlen, e);
			bad = 1;
		} else
			delivery_hook("appended", ++*appended);
	}
	if (!bad && mbox_sync(lk, e, sizeof(e)) == -1) {
		b->nospace = b->nospace || is_nospace(errno);
		batch_error(failed, err, errlen, e);
		bad = 1;
	}
	after = STAGED_VISIBLE;
	if (bad) {
		after = STAGED_UNDONE;
		if (mbox_truncate(lk, lk->size, e, sizeof(e)) == -1) {
			batch_error(failed, err, errlen, e);
			after = STAGED_DOUBT;
		}
	}
	for (i = 0; i < b->n; i++) {
		s = &b->v[i];
		if (s->in.kind == STATE_MBOX && s->state == STAGED_JOURNALED &&
		    strcmp(s->in.path, lk->path) == 0)
			s->state = after;
	}
}

static void
batch_mbox(struct delivery_batch *b, struct mbox_lock *locks, size_t nlocks,
    int *failed, char *err, size_t errlen)
{
	size_t	 i, appended = 0;

	for (i = 0; i < nlocks; i++)
		batch_mbox_one(b, &locks[i], failed, &appended, err, errlen);
	if (nlocks > 0)
		delivery_hook("mbox-synced", appended);
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

/* Record what is visible, drop the intents of what was taken back. */
static void
batch_record(struct delivery_batch *b, int *failed, char *err, size_t errlen)
{
	int64_t	*ids;
	char	 e[512];
	size_t	 i;
	int	 n;

	if ((ids = calloc(b->n, sizeof(*ids))) == NULL) {
		batch_error(failed, err, errlen, "out of memory recording "
		    "deliveries");
		return;
	}
	n = ids_collect(b, STAGED_VISIBLE, ids);
	if (state_intents_complete(b->st, ids, (size_t)n, e, sizeof(e)) == 0) {
		for (i = 0; i < b->n; i++)
			if (b->v[i].state == STAGED_VISIBLE)
				b->v[i].state = STAGED_DONE;
		delivery_hook("recorded", (size_t)n);
	} else {
		batch_error(failed, err, errlen, e);
		for (i = 0; i < b->n; i++)
			if (b->v[i].state == STAGED_VISIBLE)
				b->v[i].state = STAGED_DOUBT;
	}
	n = ids_collect(b, STAGED_UNDONE, ids);
	if (state_intents_rollback(b->st, ids, (size_t)n, e, sizeof(e)) == -1)
		log_warn("%s (the next start settles them)", e);
	free(ids);
}

/*
 * The group commit.  Steps, each named for delivery_test_hook: "locked"
 * (mbox files locked, offsets known), "journaled" (intents committed),
 * "synced" (tmp/ files flushed), "published" (n renamed into new/),
 * "dirsynced", "appended" (n mbox entries written), "mbox-synced",
 * "unlocked", "recorded" (delivered rows committed).
 */
static int
batch_commit(struct delivery_batch *b, char *err, size_t errlen)
{
	struct mbox_lock	*locks = NULL;
	size_t			 i, nlocks = 0;
	int			 failed = 0;

	if (b->n == 0 || b->v[0].state != STAGED_WRITTEN)
		return 0;
	if (batch_lock(b, &locks, &nlocks, err, errlen) == -1)
		goto fail;
	delivery_hook("locked", nlocks);
	if (batch_journal(b, err, errlen) == -1)
		goto fail;
	delivery_hook("journaled", b->n);
	batch_maildir(b, &failed, err, errlen);
	batch_mbox(b, locks, nlocks, &failed, err, errlen);
	batch_unlock(locks, nlocks);
	free(locks);
	delivery_hook("unlocked", nlocks);
	batch_record(b, &failed, err, errlen);
	return failed ? -1 : 0;
fail:
	/* nothing is visible yet and no intent was written */
	batch_unlock(locks, nlocks);
	free(locks);
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
 * can be tried again, which is so when every entry is an mbox entry
 * (kept in memory) that was cut back and its intent dropped; Maildir
 * files are gone once taken back.  Then they are made new again.
 */
static int
batch_rearm(struct delivery_batch *b, size_t lo, size_t hi)
{
	size_t	 i;

	for (i = lo; i < hi; i++)
		if (b->v[i].in.kind != STATE_MBOX ||
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

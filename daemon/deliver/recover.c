/* SPDX-License-Identifier: ISC */
/*
 * recover.c - settling the intents a crash left behind: each delivery
 * either happened (record it) or is undone (drop it: the message is
 * fetched again).  Each kind of target decides for its own intents
 * (target.h: settle), from what is on disk or at the remote; this file
 * only hands them over and writes the outcome.  See deliver.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/deliver/deliver-int.h"
#include "daemon/util/log.h"

/* Seconds between two tries of the intents a remote left (below). */
#define RECOVER_LATER_EVERY	60

/*
 * The intents the last recovery left to a remote that was down
 * (target_settle_later): ids from before this process started, so no
 * batch of this process has them in flight, and only these are asked
 * again by delivery_recover_later().  One lock: rounds of several
 * accounts start at once.
 */
static pthread_mutex_t	 later_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t		*later_ids;
static size_t		 later_n;
static time_t		 later_tried;
static int		 later_every = RECOVER_LATER_EVERY;

/* Intents of one kind: its target settles them. */
static void
settle_kind(const struct config *cfg, struct target_settle *s,
    const struct state_intent *v, size_t n)
{
	const struct target	*t;
	char			 e[128];
	size_t			 i;

	if ((t = delivery_target_of(v[0].kind)) == NULL) {
		snprintf(e, sizeof(e), "an intent of unknown kind %d",
		    (int)v[0].kind);
		for (i = 0; i < n; i++)
			target_settle_fail(s, e);
		return;
	}
	t->settle(cfg, v, n, s);
}

/* global: the startup's recovery, which owns the list of intents left
 * to a remote (below); an account's own recovery (a shared store) leaves
 * them pending, asked again at its next round. */
static void
settle_later(struct target_settle *s, int global)
{
	if (!global) {
		if (s->nlater > 0)
			log_warn("recovery: %zu deliveries wait for a "
			    "destination that cannot be reached (asked again "
			    "at the next round)", s->nlater);
		return;
	}
	free(later_ids);
	later_ids = s->later;
	later_n = s->nlater;
	s->later = NULL;
	if (later_n > 0)
		log_warn("recovery: %zu deliveries wait for a destination that "
		    "cannot be reached; their messages are neither fetched "
		    "again nor removed from the source until it answers (asked "
		    "again at the start of rounds)", later_n);
}

static int
settle_write(struct state *st, struct target_settle *s, int global,
    char *err, size_t errlen)
{
	if (state_intents_complete(st, s->done, s->ndone, err, errlen) == -1 ||
	    state_intents_rollback(st, s->undo, s->nundo, err, errlen) == -1)
		return -1;
	if (s->ndone + s->nundo > 0)
		log_info("recovery: %zu delivered before the crash, %zu to be "
		    "fetched again", s->ndone, s->nundo);
	settle_later(s, global);
	if (s->unsettled > 0) {
		snprintf(err, errlen, "recovery: %zu deliveries could not be "
		    "settled, first: %s", s->unsettled, s->first);
		return -1;
	}
	return 0;
}

/*
 * A message recovery found delivered was never flagged or deleted on
 * its server, and the folder's sync point (CONDSTORE) may be from after
 * it was fetched: dropped, so the next round looks at every message and
 * a source with keep = no deletes it there.
 */
static void
settle_resync(struct state *st, const struct state_intent *v, size_t n,
    const struct target_settle *s)
{
	const struct state_intent *last = NULL;
	char			 e[512];
	size_t			 i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < s->ndone && s->done[j] != v[i].id; j++)
			;
		if (j == s->ndone || (last != NULL && strcmp(last->account,
		    v[i].account) == 0 && strcmp(last->folder,
		    v[i].folder) == 0))
			continue;
		last = &v[i];
		if (state_folder_sync_set(st, v[i].account, v[i].folder, NULL,
		    e, sizeof(e)) == -1)
			log_warn("recovery: %s", e);
	}
}

/* Settle v[0..n) (sorted by kind) and write the outcome. */
static int
settle_all(struct state *st, const struct config *cfg,
    const struct state_intent *v, size_t n, int global, char *err,
    size_t errlen)
{
	struct target_settle	 s;
	size_t			 i, j;
	int			 rv = -1;

	memset(&s, 0, sizeof(s));
	if ((s.done = calloc(n + 1, sizeof(*s.done))) == NULL ||
	    (s.undo = calloc(n + 1, sizeof(*s.undo))) == NULL ||
	    (s.later = calloc(n + 1, sizeof(*s.later))) == NULL) {
		snprintf(err, errlen, "recovery: out of memory");
		goto out;
	}
	/* pending intents come sorted by kind, then path and offset */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j].kind == v[i].kind; j++)
			;
		settle_kind(cfg, &s, &v[i], j - i);
	}
	rv = settle_write(st, &s, global, err, errlen);
	settle_resync(st, v, n, &s);
out:
	free(s.done);
	free(s.undo);
	free(s.later);
	return rv;
}

int
delivery_recover(struct state *st, const struct config *cfg, char *err,
    size_t errlen)
{
	struct state_intent	*v;
	size_t			 n;
	int			 rv;

	if (state_claim(st, err, errlen) == -1 ||
	    state_intents_pending(st, &v, &n, err, errlen) == -1)
		return -1;
	pthread_mutex_lock(&later_lock);
	later_tried = time(NULL);
	rv = settle_all(st, cfg, v, n, 1, err, errlen);
	pthread_mutex_unlock(&later_lock);
	state_intents_free(v, n);
	return rv;
}

int
delivery_recover_account(struct state *st, const struct config *cfg,
    char *err, size_t errlen)
{
	struct state_intent	*v;
	size_t			 n;
	int			 rv = 0;

	/* no state_claim(): the lease is the claim, and the fenced handle
	 * lists this account's intents alone */
	if (state_intents_pending(st, &v, &n, err, errlen) == -1)
		return -1;
	if (n > 0)
		rv = settle_all(st, cfg, v, n, 0, err, errlen);
	state_intents_free(v, n);
	return rv;
}

static int
later_has(int64_t id)
{
	size_t	 i;

	for (i = 0; i < later_n; i++)
		if (later_ids[i] == id)
			return 1;
	return 0;
}

int
delivery_recover_later(struct state *st, const struct config *cfg,
    char *err, size_t errlen)
{
	struct state_intent	*v;
	size_t			 n, i, k = 0;
	int			 rv = 0;

	pthread_mutex_lock(&later_lock);
	if (later_n == 0 || time(NULL) - later_tried < later_every) {
		pthread_mutex_unlock(&later_lock);
		return 0;
	}
	later_tried = time(NULL);
	if (state_intents_pending(st, &v, &n, err, errlen) == -1) {
		pthread_mutex_unlock(&later_lock);
		return -1;
	}
	/* only those left before: the rest may be in flight */
	for (i = 0; i < n; i++) {
		if (!later_has(v[i].id)) {
			state_intent_clear(&v[i]);
			continue;
		}
		if (k != i) {
			v[k] = v[i];
			memset(&v[i], 0, sizeof(v[i]));
		}
		k++;
	}
	if (k == 0) {
		later_n = 0;	/* settled some other way */
	} else
		rv = settle_all(st, cfg, v, k, 1, err, errlen);
	pthread_mutex_unlock(&later_lock);
	state_intents_free(v, n);
	return rv;
}

void
delivery_recover_set_interval(int seconds)
{
	later_every = seconds >= 0 ? seconds : RECOVER_LATER_EVERY;
}

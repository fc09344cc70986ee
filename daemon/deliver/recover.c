/* SPDX-License-Identifier: ISC */
/*
 * recover.c - settling the intents a crash left behind: each delivery
 * either happened (record it) or is undone (drop it: the message is
 * fetched again).  Each kind of target decides for its own intents
 * (target.h: settle), from what is on disk or at the remote; this file
 * only hands them over and writes the outcome.  See deliver.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/deliver/deliver-int.h"
#include "daemon/util/log.h"

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

static int
settle_write(struct state *st, struct target_settle *s, char *err,
    size_t errlen)
{
	if (state_intents_complete(st, s->done, s->ndone, err, errlen) == -1 ||
	    state_intents_rollback(st, s->undo, s->nundo, err, errlen) == -1)
		return -1;
	if (s->ndone + s->nundo > 0)
		log_info("recovery: %zu delivered before the crash, %zu to be "
		    "fetched again", s->ndone, s->nundo);
	if (s->unsettled > 0) {
		snprintf(err, errlen, "recovery: %zu deliveries could not be "
		    "settled, first: %s", s->unsettled, s->first);
		return -1;
	}
	return 0;
}

int
delivery_recover(struct state *st, const struct config *cfg, char *err,
    size_t errlen)
{
	struct state_intent	*v;
	struct target_settle	 s;
	size_t			 n, i, j;
	int			 rv = -1;

	memset(&s, 0, sizeof(s));
	if (state_claim(st, err, errlen) == -1 ||
	    state_intents_pending(st, &v, &n, err, errlen) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((s.done = calloc(n, sizeof(*s.done))) == NULL ||
	    (s.undo = calloc(n, sizeof(*s.undo))) == NULL) {
		snprintf(err, errlen, "recovery: out of memory");
		goto out;
	}
	/* pending intents come sorted by kind, then path and offset */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j].kind == v[i].kind; j++)
			;
		settle_kind(cfg, &s, &v[i], j - i);
	}
	rv = settle_write(st, &s, err, errlen);
out:
	free(s.done);
	free(s.undo);
	state_intents_free(v, n);
	return rv;
}

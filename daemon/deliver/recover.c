/* SPDX-License-Identifier: ISC */
/*
 * recover.c - settling the intents a crash left behind: each delivery
 * either happened (record it) or is undone (drop it: the message is
 * fetched again).  Decided from what is on disk; see deliver.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/deliver/deliver.h"
#include "daemon/util/log.h"

struct settle {
	int64_t	*done;		/* delivered: record */
	size_t	 ndone;
	int64_t	*undo;		/* not delivered: drop the intent */
	size_t	 nundo;
	size_t	 unsettled;
	char	 first[512];	/* the first reason something stayed */
};

static void
settle_fail(struct settle *s, const char *e)
{
	log_error("recovery: %s", e);
	if (s->unsettled++ == 0)
		snprintf(s->first, sizeof(s->first), "%s", e);
}

static void
recover_maildir(struct settle *s, const struct state_intent *in)
{
	char	 e[512];
	int	 r;

	if ((r = maildir_find(in->path, in->name, e, sizeof(e))) == -1) {
		settle_fail(s, e);
		return;
	}
	if (r == 1) {
		if (maildir_sync_dirs(in->path, e, sizeof(e)) == -1) {
			settle_fail(s, e);
			return;
		}
		log_info("recovery: maildir %s: %s was delivered before the "
		    "crash", in->path, in->name);
		s->done[s->ndone++] = in->id;
		return;
	}
	if (maildir_discard(in->path, in->name, e, sizeof(e)) == -1) {
		settle_fail(s, e);
		return;
	}
	s->undo[s->nundo++] = in->id;
}

/* Settle one entry under the lock; 1 if it counts as delivered. */
static int
recover_entry(struct settle *s, struct mbox_lock *lk,
    const struct state_intent *in)
{
	enum mbox_found	 found;
	char		 e[512];

	if (mbox_find(lk, in, &found, e, sizeof(e)) == -1) {
		settle_fail(s, e);
		return 0;
	}
	switch (found) {
	case MBOX_WHOLE:
		s->done[s->ndone++] = in->id;
		return 1;
	case MBOX_TORN:
		if (mbox_truncate(lk, in->offset, e, sizeof(e)) == -1) {
			settle_fail(s, e);
			return 0;
		}
		log_warn("recovery: mbox %s: cut off a partial message at "
		    "offset %llu", in->path, (unsigned long long)in->offset);
		break;
	case MBOX_OTHER:
		log_warn("recovery: mbox %s: what is at offset %llu is not "
		    "the message mailsift was writing; left alone",
		    in->path, (unsigned long long)in->offset);
		break;
	case MBOX_ABSENT:
		break;
	}
	s->undo[s->nundo++] = in->id;
	return 0;
}

/* The intents of one mbox file, in offset order. */
static void
recover_mbox(struct settle *s, const struct state_intent *v, size_t n)
{
	struct mbox_lock	 lk;
	struct stat		 sb;
	char			 e[512];
	size_t			 i, first = s->ndone;
	int			 delivered = 0;

	if (stat(v[0].path, &sb) == -1 && errno == ENOENT) {
		for (i = 0; i < n; i++)
			s->undo[s->nundo++] = v[i].id;
		return;
	}
	if (mbox_lock(&lk, v[0].path, 0, e, sizeof(e)) == -1) {
		for (i = 0; i < n; i++)
			settle_fail(s, e);
		return;
	}
	for (i = 0; i < n; i++)
		delivered |= recover_entry(s, &lk, &v[i]);
	if (delivered && mbox_sync(&lk, e, sizeof(e)) == -1) {
		/* not known to be durable: leave them for next time */
		s->unsettled += s->ndone - first;
		s->ndone = first;
		settle_fail(s, e);
	} else if (delivered)
		log_info("recovery: mbox %s: %zu message(s) were delivered "
		    "before the crash", v[0].path, s->ndone - first);
	if (mbox_unlock(&lk, e, sizeof(e)) == -1)
		log_warn("recovery: %s", e);
}

static int
settle_write(struct state *st, struct settle *s, char *err, size_t errlen)
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
delivery_recover(struct state *st, char *err, size_t errlen)
{
	struct state_intent	*v;
	struct settle		 s;
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
	for (i = 0; i < n; i = j) {
		j = i + 1;
		if (v[i].kind == STATE_MAILDIR) {
			recover_maildir(&s, &v[i]);
			continue;
		}
		while (j < n && v[j].kind == STATE_MBOX &&
		    strcmp(v[j].path, v[i].path) == 0)
			j++;
		recover_mbox(&s, &v[i], j - i);
	}
	rv = settle_write(st, &s, err, errlen);
out:
	free(s.done);
	free(s.undo);
	state_intents_free(v, n);
	return rv;
}

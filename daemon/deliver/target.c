/* SPDX-License-Identifier: ISC */
/*
 * target.c - the bookkeeping every target's steps share (target.h):
 * taking a staged message back, the commit's report, recovery's
 * decisions.  Calls a target only through s->dv->target.
 */
#include <stdio.h>

#include "daemon/deliver/target.h"
#include "daemon/util/log.h"

/* If even the take-back fails, recovery will settle it. */
void
staged_undo(struct staged *s)
{
	char	 e[512];

	if (s->dv->target->unstage(s, e, sizeof(e)) == -1) {
		log_warn("%s", e);
		s->state = s->in.id != 0 ? STAGED_DOUBT : STAGED_UNDONE;
		return;
	}
	s->state = STAGED_UNDONE;
}

void
target_report_error(struct target_report *r, const char *e)
{
	if (!r->failed)
		snprintf(r->err, r->errlen, "%s", e);
	else
		log_error("%s", e);
	r->failed = 1;
}

void
target_settle_done(struct target_settle *s, int64_t id)
{
	s->done[s->ndone++] = id;
}

void
target_settle_undo(struct target_settle *s, int64_t id)
{
	s->undo[s->nundo++] = id;
}

void
target_settle_fail(struct target_settle *s, const char *e)
{
	log_error("recovery: %s", e);
	if (s->unsettled++ == 0)
		snprintf(s->first, sizeof(s->first), "%s", e);
}

void
target_settle_later(struct target_settle *s, int64_t id, const char *e)
{
	log_warn("recovery: %s", e);
	s->later[s->nlater++] = id;
}

int
target_unstage_none(struct staged *s, char *err, size_t errlen)
{
	(void)s;
	(void)err;
	(void)errlen;
	return 0;
}

int
target_prepare_none(struct target_group *g, char *err, size_t errlen)
{
	(void)g;
	(void)err;
	(void)errlen;
	return 0;
}

void
target_flush_none(struct target_group *g, struct target_report *r)
{
	(void)g;
	(void)r;
}

void
target_release_none(struct target_group *g)
{
	(void)g;
}

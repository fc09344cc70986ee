/* SPDX-License-Identifier: ISC */
/* queue.c - the front door of queue.h: each call handed to the
 * backend (backend.h). */
#include "daemon/store/backend.h"
#include "daemon/store/queue.h"

int
state_queue_due(struct state *st, const char *kind, const char *account,
    int64_t now, size_t max, struct queue_entry **v, size_t *n, char *err,
    size_t errlen)
{
	return st->be->state_queue_due(st->impl, kind, account, now, max, v, n,
	    err, errlen);
}

int
state_queue_has(struct state *st, const char *key, char *err, size_t errlen)
{
	return st->be->state_queue_has(st->impl, key, err, errlen);
}

int
state_queue_done(struct state *st, int64_t id, char *err, size_t errlen)
{
	return st->be->state_queue_done(st->impl, id, err, errlen);
}

int
state_queue_retry(struct state *st, int64_t id, int64_t next_try,
    const char *why, char *err, size_t errlen)
{
	return st->be->state_queue_retry(st->impl, id, next_try, why, err,
	    errlen);
}

int
state_queue_failed(struct state *st, int64_t id, const char *status,
    const char *why, char *err, size_t errlen)
{
	return st->be->state_queue_failed(st->impl, id, status, why, err,
	    errlen);
}

int
state_queue_counts(struct state *st, const char *kind, struct queue_counts *c,
    char *err, size_t errlen)
{
	return st->be->state_queue_counts(st->impl, kind, c, err, errlen);
}

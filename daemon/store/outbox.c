/* SPDX-License-Identifier: ISC */
/* outbox.c - the front door of outbox.h: each call handed to the
 * backend (backend.h). */
#include "daemon/store/backend.h"
#include "daemon/store/outbox.h"

int
state_outbox_add(struct state *st, const char *key, const char *account,
    const char *smtp, const char *sender, const char *rcpts, const char *data,
    size_t len, char *err, size_t errlen)
{
	return st->be->state_outbox_add(st->impl, key, account, smtp, sender,
	    rcpts, data, len, err, errlen);
}

int
state_outbox_due(struct state *st, const char *account, int64_t now, size_t max,
    struct outbox_entry **v, size_t *n, char *err, size_t errlen)
{
	return st->be->state_outbox_due(st->impl, account, now, max, v, n, err,
	    errlen);
}

int
state_outbox_sent(struct state *st, int64_t id, char *err, size_t errlen)
{
	return st->be->state_outbox_sent(st->impl, id, err, errlen);
}

int
state_outbox_retry(struct state *st, int64_t id, int64_t next_try,
    const char *why, char *err, size_t errlen)
{
	return st->be->state_outbox_retry(st->impl, id, next_try, why, err,
	    errlen);
}

int
state_outbox_failed(struct state *st, int64_t id, const char *why, char *err,
    size_t errlen)
{
	return st->be->state_outbox_failed(st->impl, id, why, err, errlen);
}

int
state_outbox_counts(struct state *st, uint64_t *queued, uint64_t *sent,
    uint64_t *failed, char *err, size_t errlen)
{
	return st->be->state_outbox_counts(st->impl, queued, sent, failed, err,
	    errlen);
}

int
state_reply_allow(struct state *st, const char *account, const char *rule,
    const char *sender, int64_t now, int64_t every, char *err, size_t errlen)
{
	return st->be->state_reply_allow(st->impl, account, rule, sender, now,
	    every, err, errlen);
}

int
state_reply_queue(struct state *st, const struct outbox_msg *m,
    const char *rule, const char *to, int64_t now, int64_t every, char *err,
    size_t errlen)
{
	return st->be->state_reply_queue(st->impl, m, rule, to, now, every, err,
	    errlen);
}

int
state_action_done(struct state *st, const char *key, char *err, size_t errlen)
{
	return st->be->state_action_done(st->impl, key, err, errlen);
}

int
state_action_mark(struct state *st, const char *key, char *err, size_t errlen)
{
	return st->be->state_action_mark(st->impl, key, err, errlen);
}

/* SPDX-License-Identifier: ISC */
/* pg-journal.c - being written. */
#include <stdio.h>

#include "daemon/store/pg-int.h"

static int
pg_todo(char *err, size_t errlen)
{
	snprintf(err, errlen, "PostgreSQL store: not implemented yet");
	return -1;
}

int
pg_intents_record(struct state_impl *st, struct state_intent *v, size_t n, char
    *err, size_t errlen)
{
	(void)st, (void)v, (void)n;
	return pg_todo(err, errlen);
}

int
pg_intents_complete(struct state_impl *st, const int64_t *ids, size_t n, char
    *err, size_t errlen)
{
	(void)st, (void)ids, (void)n;
	return pg_todo(err, errlen);
}

int
pg_intents_complete_batch(struct state_impl *st, const int64_t *ids, const
    uint32_t *uv, const uint32_t *uid, size_t n, const struct queue_item
    *items, size_t nitems, char *err, size_t errlen)
{
	(void)st;
	(void)ids;
	(void)uv;
	(void)uid;
	(void)n;
	(void)items;
	(void)nitems;
	return pg_todo(err, errlen);
}

int
pg_intents_rollback(struct state_impl *st, const int64_t *ids, size_t n, char
    *err, size_t errlen)
{
	(void)st, (void)ids, (void)n;
	return pg_todo(err, errlen);
}

int
pg_intents_pending(struct state_impl *st, struct state_intent **v, size_t *n,
    char *err, size_t errlen)
{
	(void)st, (void)v, (void)n;
	return pg_todo(err, errlen);
}


/* SPDX-License-Identifier: ISC */
/*
 * pipeline.c - the pipeline double of the fetch targets; see fuzz.h.
 *
 * What a source is told depends only on the input: a UID or UIDL is new,
 * known or in doubt by its value, a message of 13 bytes fails delivery,
 * one of 7 is committed with "remove", and a committed UID of 3 mod 4
 * gets a server-side action (flag, copy, move or delete, by UID), so
 * the fuzzer reaches the delete, skip, failure and server-op paths of
 * the sources; a stop after the first message reaches their shutdown.  Each message's bytes
 * are all read and its last one written, so ASan sees any bad length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/pipeline/pipeline.h"
#include "daemon/util/stop.h"
#include "daemon/store/serverops.h"
#include "daemon/store/state.h"
#include "tests/fuzz/fuzz.h"

#define STAGED_MAX	64

struct staged {
	char		*folder;
	char		*uidl;
	struct fetch_key key;
};

struct pipeline {
	fetch_committed_fn	 cb;
	void			*ctx;
	uint64_t		 max_size;
	struct staged		 staged[STAGED_MAX];
	size_t			 nstaged;
	struct fetch_stats	 stats;
	unsigned		 sum;
	uint32_t		 opuids[STAGED_MAX];
	size_t			 nopuids;
};

/* stop_requested() has no pipeline to ask: one session at a time. */
static int	 stop_after_add, stop_now;

struct pipeline *
fuzz_pipeline_new(uint64_t max_size, int stop)
{
	struct pipeline	*pl;

	if ((pl = calloc(1, sizeof(*pl))) == NULL)
		abort();
	pl->max_size = max_size;
	stop_after_add = stop;
	stop_now = 0;
	return pl;
}

static void
staged_clear(struct pipeline *pl)
{
	size_t	 i;

	for (i = 0; i < pl->nstaged; i++) {
		free(pl->staged[i].folder);
		free(pl->staged[i].uidl);
	}
	pl->nstaged = 0;
}

void
fuzz_pipeline_free(struct pipeline *pl)
{
	if (pl == NULL)
		return;
	staged_clear(pl);
	free(pl);
}

static char *
copy_or_null(const char *s)
{
	char	*c;

	if (s == NULL)
		return NULL;
	if ((c = strdup(s)) == NULL)
		abort();
	return c;
}

int
pipeline_flush(struct pipeline *pl)
{
	size_t	 i;

	for (i = 0; i < pl->nstaged; i++) {
		if (pl->cb != NULL)
			pl->cb(pl->ctx, &pl->staged[i].key);
		if (pl->staged[i].key.uid % 4 == 3 && pl->nopuids < STAGED_MAX)
			pl->opuids[pl->nopuids++] = pl->staged[i].key.uid;
	}
	staged_clear(pl);
	return 0;
}

int
pipeline_add(struct pipeline *pl, const struct fetch_key *k, char *data,
    size_t len)
{
	struct staged	*st;
	size_t		 i;

	stop_now = stop_after_add;
	for (i = 0; i < len; i++)
		pl->sum += (unsigned char)data[i];
	if (len > 0)
		data[len - 1] = data[len - 1];
	if (len == 13)
		return -1;
	if (pl->nstaged == STAGED_MAX)
		(void)pipeline_flush(pl);
	st = &pl->staged[pl->nstaged++];
	st->key = *k;
	st->folder = copy_or_null(k->folder);
	st->uidl = copy_or_null(k->uidl);
	st->key.folder = st->folder;
	st->key.uidl = st->uidl;
	st->key.remove = len == 7;
	pl->stats.fetched++;
	return 0;
}

int
pipeline_skip(struct pipeline *pl, const struct fetch_key *k, uint64_t size)
{
	(void)k;
	(void)size;
	pl->stats.skipped++;
	return 0;
}

struct fetch_stats *
pipeline_stats(struct pipeline *pl)
{
	return &pl->stats;
}

void
pipeline_set_committed(struct pipeline *pl, fetch_committed_fn cb, void *ctx)
{
	pl->cb = cb;
	pl->ctx = ctx;
}

void
pipeline_set_total(struct pipeline *pl, size_t n)
{
	(void)pl;
	(void)n;
}

uint64_t
pipeline_max_size(const struct pipeline *pl)
{
	return pl->max_size;
}

/* The fuzzed server's messages go nowhere that keeps flags or dates. */
int
pipeline_keeps_meta(const struct pipeline *pl)
{
	(void)pl;
	return 0;
}

void
pipeline_idle(struct pipeline *pl, int on)
{
	(void)pl;
	(void)on;
}

int
pipeline_known_uidls(struct pipeline *pl, const char *const *uidls,
    size_t n, unsigned char *known)
{
	size_t	 i;

	(void)pl;
	for (i = 0; i < n; i++)
		known[i] = (unsigned char)(uidls[i][0] == 'k' ? 1 :
		    uidls[i][0] == 'd' ? 2 : 0);
	return 0;
}

int
pipeline_known_uids(struct pipeline *pl, const char *folder, uint32_t uv,
    const uint32_t *uids, size_t n, unsigned char *known)
{
	size_t	 i;

	(void)pl;
	(void)folder;
	(void)uv;
	for (i = 0; i < n; i++)
		known[i] = (unsigned char)(uids[i] % 10 == 1 ? 1 :
		    uids[i] % 10 == 2 ? 2 : 0);
	return 0;
}

/* Gmail (X-GM-MSGID): an id ending in 7 was delivered elsewhere. */
int
pipeline_known_msgids(struct pipeline *pl, const uint64_t *ids, size_t n,
    unsigned char *known)
{
	size_t	 i;

	(void)pl;
	for (i = 0; i < n; i++)
		known[i] = (unsigned char)(ids[i] % 10 == 7);
	return 0;
}

int
pipeline_duplicate_msgid(struct pipeline *pl, const struct fetch_key *k,
    uint64_t size)
{
	(void)pl;
	(void)size;
	return k->gm_msgid % 100 == 77 ? -1 : 0;
}

int
pipeline_folder_begin(struct pipeline *pl, const char *folder, uint32_t uv)
{
	(void)pl;
	(void)folder;
	return uv == 13 ? -1 : 0;
}

/* A sync point for every folder, so the fuzzer reaches STATUS, the
 * QRESYNC SELECT and CHANGEDSINCE (when the session has CONDSTORE). */
int
pipeline_folder_sync(struct pipeline *pl, const char *folder,
    struct state_sync *sync)
{
	(void)pl;
	(void)folder;
	memset(sync, 0, sizeof(*sync));
	sync->uidvalidity = 7;
	sync->highestmodseq = 5;
	sync->uidnext = 3;
	return 1;
}

int
pipeline_folder_sync_set(struct pipeline *pl, const char *folder,
    const struct state_sync *sync)
{
	(void)pl;
	(void)folder;
	(void)sync;
	return 0;
}

int
pipeline_server_ops(struct pipeline *pl, const char *folder, uint32_t uv,
    struct server_op **v, size_t *n)
{
	static const char *const action[] = { "flag", "copy", "move",
	    "delete", "label", "unlabel" };
	static const char *const arg[] = { "\\Flagged", "Archive",
	    "Tr&AOQ-sh", "", "B\xc3\xbcro/2026", "\\Important" };
	struct server_op	*ops;
	size_t			 i, k;

	(void)folder;
	(void)uv;
	*v = NULL;
	*n = 0;
	if (pl->nopuids == 0)
		return 0;
	if ((ops = calloc(pl->nopuids, sizeof(*ops))) == NULL)
		abort();
	for (i = 0; i < pl->nopuids; i++) {
		k = (pl->opuids[i] / 4) % 6;
		ops[i].id = (int64_t)i;
		ops[i].uid = pl->opuids[i];
		ops[i].action = copy_or_null(action[k]);
		ops[i].arg = copy_or_null(arg[k]);
	}
	*v = ops;
	*n = pl->nopuids;
	pl->nopuids = 0;
	return 0;
}

void
pipeline_server_ops_free(struct server_op *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(v[i].action);
		free(v[i].arg);
	}
	free(v);
}

int
pipeline_server_op_done(struct pipeline *pl, int64_t id)
{
	(void)pl;
	(void)id;
	return 0;
}

int
stop_requested(void)
{
	return stop_now;
}

/* stop.c's descriptor is not wanted here (its stop_requested is this
 * file's): waits poll the socket alone, a second at most. */
int
stop_wait_fd(int *timeout_ms)
{
	if (*timeout_ms < 0 || *timeout_ms > 1000)
		*timeout_ms = 1000;
	return -1;
}

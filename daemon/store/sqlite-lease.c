/* SPDX-License-Identifier: ISC */
/*
 * sqlite-lease.c - lease.h for a SQLite file: never shared (one daemon
 * holds sqlite_claim() and works every account), so there is nothing
 * to fence and no lease to take; asking for one is a caller's mistake,
 * answered with an error rather than a pretend lease.
 */
#include <stdio.h>

#include "daemon/store/sqlite-int.h"

static int
not_shared(struct state_impl *st, char *err, size_t errlen)
{
	snprintf(err, errlen, "state %s: not a shared store (leases need "
	    "a database server: state = \"postgresql://...\")", st->path);
	return -1;
}

int
sqlite_shared(struct state_impl *st)
{
	(void)st;
	return 0;
}

int
sqlite_daemon_beat(struct state_impl *st, const char *id, const char *host,
    long pid, int ttl, size_t *live, char *err, size_t errlen)
{
	(void)id, (void)host, (void)pid, (void)ttl, (void)live;
	return not_shared(st, err, errlen);
}

int
sqlite_daemon_leave(struct state_impl *st, const char *id, char *err,
    size_t errlen)
{
	(void)id;
	return not_shared(st, err, errlen);
}

int
sqlite_lease_take(struct state_impl *st, const char *account,
    const char *id, int ttl, int64_t *epoch, char *err, size_t errlen)
{
	(void)account, (void)id, (void)ttl, (void)epoch;
	return not_shared(st, err, errlen);
}

int
sqlite_leases_renew(struct state_impl *st, const char *id, int ttl,
    const char *const *accounts, const int64_t *epochs, size_t n,
    unsigned char *kept, char *err, size_t errlen)
{
	(void)id, (void)ttl, (void)accounts, (void)epochs, (void)n;
	(void)kept;
	return not_shared(st, err, errlen);
}

int
sqlite_lease_release(struct state_impl *st, const char *account,
    const char *id, int64_t epoch, char *err, size_t errlen)
{
	(void)account, (void)id, (void)epoch;
	return not_shared(st, err, errlen);
}

int
sqlite_leases_list(struct state_impl *st,
    int (*fn)(const struct lease_row *, void *), void *arg, char *err,
    size_t errlen)
{
	(void)fn, (void)arg;
	return not_shared(st, err, errlen);
}

/* One daemon, one writer: nothing can take the account away. */
int
sqlite_fence(struct state_impl *st, const char *account, const char *id,
    int64_t epoch, char *err, size_t errlen)
{
	(void)st, (void)account, (void)id, (void)epoch, (void)err;
	(void)errlen;
	return 0;
}

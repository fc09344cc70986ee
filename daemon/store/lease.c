/* SPDX-License-Identifier: ISC */
/* lease.c - lease.h's front door: one call through the backend's table
 * (backend.h) each. */
#include "daemon/store/backend.h"
#include "daemon/store/lease.h"

int
state_shared(struct state *st)
{
	return st->be->state_shared(st->impl);
}

int
state_daemon_beat(struct state *st, const char *id, const char *host,
    long pid, int ttl, size_t *live, char *err, size_t errlen)
{
	return st->be->state_daemon_beat(st->impl, id, host, pid, ttl, live,
	    err, errlen);
}

int
state_daemon_leave(struct state *st, const char *id, char *err,
    size_t errlen)
{
	return st->be->state_daemon_leave(st->impl, id, err, errlen);
}

int
state_lease_take(struct state *st, const char *account, const char *id,
    int ttl, int64_t *epoch, char *err, size_t errlen)
{
	return st->be->state_lease_take(st->impl, account, id, ttl, epoch,
	    err, errlen);
}

int
state_leases_renew(struct state *st, const char *id, int ttl,
    const char *const *accounts, const int64_t *epochs, size_t n,
    unsigned char *kept, char *err, size_t errlen)
{
	return st->be->state_leases_renew(st->impl, id, ttl, accounts, epochs,
	    n, kept, err, errlen);
}

int
state_lease_release(struct state *st, const char *account, const char *id,
    int64_t epoch, char *err, size_t errlen)
{
	return st->be->state_lease_release(st->impl, account, id, epoch, err,
	    errlen);
}

int
state_leases_list(struct state *st,
    int (*fn)(const struct lease_row *, void *), void *arg, char *err,
    size_t errlen)
{
	return st->be->state_leases_list(st->impl, fn, arg, err, errlen);
}

int
state_fence(struct state *st, const char *account, const char *id,
    int64_t epoch, char *err, size_t errlen)
{
	return st->be->state_fence(st->impl, account, id, epoch, err, errlen);
}

/* SPDX-License-Identifier: ISC */
/*
 * status-lease.h - on a shared store (store/lease.h), who works which
 * account: each account's lease while it is held, and the daemons that
 * hold leases (a live daemon holding none is not seen here).  For
 * status_collect() (status.h), which keeps it in its report.
 */
#ifndef DAEMON_STATUS_LEASE_H
#define DAEMON_STATUS_LEASE_H

#include <stddef.h>
#include <stdint.h>

struct state;

/* The lease of an account, while someone holds it. */
struct status_lease {
	int		 held;		/* 0: no holder (none yet, expired) */
	char		*node;		/* the holder's node, "" if it left */
	char		*id;		/* the holder's daemon id */
	int64_t		 epoch;
	int64_t		 expires_in;	/* seconds */
};

/* A daemon holding leases now, with how many. */
struct status_daemon {
	char		*id;
	char		*node;
	size_t		 accounts;
};

struct status_leases {
	int			 shared;	/* 0: SQLite, nothing below */
	struct status_lease	*v;		/* one per account named */
	struct status_daemon	*daemons;
	size_t			 ndaemons;
};

/* The leases of the n accounts named: 0, or -1 with err; free with
 * status_leases_free() either way. */
int	status_leases_collect(struct state *, const char *const *accounts,
	    size_t n, struct status_leases *, char *err, size_t errlen);
void	status_leases_free(struct status_leases *, size_t n);

#endif

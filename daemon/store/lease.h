/* SPDX-License-Identifier: ISC */
/*
 * lease.h - the cluster's leases: which daemon works which account.
 * Several daemons may share a store that is a database server
 * (PostgreSQL); each account is then worked by the one daemon holding
 * its lease (owner, epoch, expiry), and every write that a handle makes
 * for the account is fenced by that lease.  A SQLite file is never
 * shared: one daemon holds state_claim() and works every account;
 * state_shared() says 0 and the daemon calls nothing else here (the
 * others fail with "not a shared store").
 *
 * Times are the database's own clock, never a daemon's: ttl is in
 * seconds from the database's now().  A daemon id is unique across
 * restarts (host, pid and random bytes); host is what `pin = HOST`
 * compares.
 */
#ifndef DAEMON_STORE_LEASE_H
#define DAEMON_STORE_LEASE_H

#include <stddef.h>
#include <stdint.h>

struct state;

#define LEASE_ID_MAX	128

struct lease_row {
	const char	*account;
	const char	*owner;		/* a daemon id */
	const char	*host;		/* the owner's host, "" if it left */
	int64_t		 epoch;
	int64_t		 expires_in;	/* seconds; <= 0: expired */
};

/* 1 if several daemons may share this store (leases apply), else 0. */
int	state_shared(struct state *);
/* The daemon id is alive: its row (inserted the first time) seen now.
 * *live: daemons seen within ttl seconds, itself included. */
int	state_daemon_beat(struct state *, const char *id, const char *host,
	    long pid, int ttl, size_t *live, char *err, size_t errlen);
/* The daemon leaves (SIGTERM): its leases expire now, its row goes. */
int	state_daemon_leave(struct state *, const char *id, char *err,
	    size_t errlen);
/* Take account's lease for ttl seconds if it is free or expired (one
 * statement: of two daemons taking at once, one wins).  1 and *epoch
 * (one more than the last holder's) if taken, 0 if another holds it,
 * -1 on error. */
int	state_lease_take(struct state *, const char *account, const char *id,
	    int ttl, int64_t *epoch, char *err, size_t errlen);
/* Renew the n leases id holds (accounts[i] at epochs[i]) for ttl
 * seconds, in one statement: kept[i] is 1 if renewed, 0 if lost (the
 * epoch moved on: stop working that account at once). */
int	state_leases_renew(struct state *, const char *id, int ttl,
	    const char *const *accounts, const int64_t *epochs, size_t n,
	    unsigned char *kept, char *err, size_t errlen);
/* Give a lease back (it expires now) if id still holds it at epoch. */
int	state_lease_release(struct state *, const char *account,
	    const char *id, int64_t epoch, char *err, size_t errlen);
/* Every lease, by account; the row's strings live only during fn. */
int	state_leases_list(struct state *,
	    int (*fn)(const struct lease_row *, void *), void *arg,
	    char *err, size_t errlen);
/*
 * Fence this handle: from now on every transaction that writes for an
 * account (deliveries and intents, skips, folder sync, server
 * operations, outbox, queue, message ids; not the round statistics)
 * first checks, in that transaction and holding the lease row until
 * it commits, that id still holds account's lease at epoch.  A write
 * that finds it lost changes nothing and fails with an err containing
 * "lease lost".  Also: state_intents_pending() of a fenced handle
 * returns the intents of that account only.  A no-op (0) on a store
 * that is not shared.
 */
int	state_fence(struct state *, const char *account, const char *id,
	    int64_t epoch, char *err, size_t errlen);

#endif

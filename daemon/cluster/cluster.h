/* SPDX-License-Identifier: ISC */
/*
 * daemon/cluster/ - several daemons sharing the accounts of one store
 * (store/lease.h): which accounts this daemon works, and for how long
 * it may still act for each.
 *
 * Owns: the daemon's id (node, pid, random hex), a lease manager thread
 * (cluster-manager.c) with a state handle of its own that beats, renews
 * what it holds every lease-time/3, takes free or expired leases up to
 * its share (cluster-balance.c: ceil(accounts / live daemons); an
 * account pinned to a node only by that node's daemon, always) and gives
 * back the excess once the account's thread has left its round (or
 * after a lease time: a hung round acts on nothing anyway); and the
 * answer of guard.h for a thread working an account (cluster.c).  One
 * way inside: cluster.c -> cluster-manager.c -> cluster-balance.c.
 *
 * The guard says yes only while the lease is held, at the epoch the
 * round was fenced with, not being given back, and the monotonic clock
 * is before the time the last successful renewal was SENT plus
 * lease-time minus a margin of lease-time/6: a daemon stopped
 * (SIGSTOP) past its lease answers no at once when it runs again,
 * before any renewal could tell it so.
 *
 * Not shared (SQLite): no thread, no lease; every account is held and
 * no guard is set - one daemon works as before.
 *
 * Never: talks to a mail server, delivers, or writes the store beyond
 * lease.h's calls.  Depends on store/ (lease.h, state.h), conf/
 * (config.h: accounts, pin, lease-time), util/ (log, stop, thread).
 */
#ifndef DAEMON_CLUSTER_CLUSTER_H
#define DAEMON_CLUSTER_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/store/lease.h"

struct config;
struct cluster;
struct cluster_acct;

/* What a round holds: handed to guard_set() as its argument. */
struct cluster_lease {
	struct cluster		*c;
	struct cluster_acct	*slot;
	int64_t			 epoch;
};

/*
 * Start: open the store; on a shared one, beat once and start the
 * manager.  node: the `--node` name (checked by the caller).  NULL on
 * error (err says what).  The configuration must outlive the cluster
 * (a reload stops it and starts another).
 */
struct cluster	*cluster_start(const struct config *, const char *node,
		    char *err, size_t errlen);
/* After the account threads are joined: stop the manager, release
 * every lease, leave (state_daemon_leave).  NULL is fine. */
void		 cluster_stop(struct cluster *);
/* 1 if the store is shared (leases apply). */
int		 cluster_shared(const struct cluster *);
/* The daemon id (store/lease.h) and the node name. */
const char	*cluster_id(const struct cluster *);
const char	*cluster_node(const struct cluster *);
/* The default node name: the host name, cut at the first dot if it
 * does not pass conf_node_check() whole.  -1 if none. */
int		 cluster_default_node(char *buf, size_t len);

/*
 * The account's thread, before a round: 1 and *l filled (the lease,
 * now marked "in a round") if this daemon holds account and may act
 * for it; 0 if not (wait: cluster_wait()).  Not shared: always 1, with
 * l->slot NULL (nothing to fence, no guard).
 */
int		 cluster_round_begin(struct cluster *, const char *account,
		    struct cluster_lease *l);
/* 1 if this daemon holds account's lease and may act for it now (not
 * shared: always), without starting a round. */
int		 cluster_holds(struct cluster *, const char *account);
/* The round is over: a lease being given back is released now. */
void		 cluster_round_end(struct cluster_lease *l);
/* Wait until the manager takes a lease, at most ms milliseconds. */
void		 cluster_wait(struct cluster *, int ms);
/* Wake every cluster_wait(): leases were taken, or the daemon stops. */
void		 cluster_wake(struct cluster *);
/* guard.h's function: arg is a struct cluster_lease. */
int		 cluster_guard(void *arg);
/* 1 if l's lease is lost or being given back: a round that ended
 * early for that is no error. */
int		 cluster_lease_gone(const struct cluster_lease *l);

#endif

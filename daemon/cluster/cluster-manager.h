/* SPDX-License-Identifier: ISC */
/*
 * cluster-manager.h - the lease manager (cluster-manager.c: the thread
 * that takes, renews and gives back) and what cluster.c reads of it:
 * the cluster and its accounts.  Not for use outside daemon/cluster/.
 *
 * Every field a thread reads after start is under lock; the manager
 * never holds it across a call to the store.
 */
#ifndef DAEMON_CLUSTER_CLUSTER_MANAGER_H
#define DAEMON_CLUSTER_CLUSTER_MANAGER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "daemon/conf/conf-node.h"
#include "daemon/store/lease.h"

struct state;

struct cluster_acct {
	const char	*name;		/* the configuration's */
	const char	*pin;		/* NULL: any node */
	int		 held;
	int		 giving_back;	/* the guard says no; released once
					 * the thread left its round */
	int		 in_round;
	double		 give_since;	/* monotonic: giving_back set */
	int64_t		 epoch;
	double		 valid_until;	/* monotonic: renew sent + ttl - margin */
	/* as the last list saw it */
	int		 free;
	int64_t		 expires_in;
};

struct cluster {
	const struct config	*cfg;
	int			 shared;
	char			 node[CONF_NODE_MAX + 1];
	char			 id[LEASE_ID_MAX];
	int			 ttl;		/* lease-time */
	double			 margin;	/* ttl / 6 */
	size_t			 start;		/* balance_plan()'s */
	struct state		*st;		/* the manager's handle */
	pthread_mutex_t		 lock;
	pthread_cond_t		 wake;		/* the manager: stop, release */
	pthread_cond_t		 changed;	/* the threads: a lease taken */
	int			 stopping;
	int			 failing;	/* the manager's: store unreachable */
	pthread_t		 th;
	struct cluster_acct	*v;
	struct cluster_acct	**byname;	/* sorted, for cluster_find */
	size_t			 n;
	size_t			 live;
};

/* Seconds on the monotonic clock. */
double			 cluster_now(void);
/* Tests only: that clock jumps ahead (negative: back), as after a
 * SIGSTOP of that long. */
void			 cluster_test_stall(double seconds);
/* A monotonic time as pthread_cond_timedwait() wants it. */
void			 cluster_deadline(double when, struct timespec *);
struct cluster_acct	*cluster_find(const struct cluster *,
			    const char *account);
/* Sort byname[0..n) for cluster_find(). */
void			 cluster_sort(struct cluster *);
/* cluster-manager.c: the thread, and its end (every lease released,
 * the daemon left). */
int			 cluster_manager_start(struct cluster *, char *err,
			    size_t errlen);
void			 cluster_manager_stop(struct cluster *);

#endif

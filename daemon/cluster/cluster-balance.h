/* SPDX-License-Identifier: ISC */
/*
 * cluster-balance.h - how many accounts a daemon should work and which
 * to take or give back (cluster-balance.c): a pure function of what the
 * lease manager (cluster-manager.c) sees, so the tests need no store.
 */
#ifndef DAEMON_CLUSTER_CLUSTER_BALANCE_H
#define DAEMON_CLUSTER_CLUSTER_BALANCE_H

#include <stddef.h>
#include <stdint.h>

/*
 * For each account: whether this daemon holds it
 * (held), gives it back, its thread is in a round, whether it is free
 * (no lease, or an expired one: takeable now), otherwise the seconds
 * its holder's lease has left, and its pin (pinned_here: to this node;
 * pinned_other: to another).
 */
struct balance_acct {
	int		 held;
	int		 giving_back;
	int		 in_round;
	int		 free;
	int64_t		 expires_in;	/* another's lease, when !free */
	int		 pinned_here;
	int		 pinned_other;
};

struct balance_plan {
	size_t		*take;		/* indexes to take, caller-sized n */
	size_t		 ntake;
	size_t		*give;		/* indexes to give back */
	size_t		 ngive;
	int64_t		 wake_in;	/* seconds to an expiry worth waiting
					 * for, -1: none */
};

/* ceil(accounts / live); live 0 counts as 1. */
size_t		 balance_share(size_t accounts, size_t live);
/* What to take and give back; start: where in v to begin looking for
 * free accounts (daemons starting at once then collide less). */
void		 balance_plan(const struct balance_acct *v, size_t n,
		    size_t live, size_t start, struct balance_plan *p);

#endif

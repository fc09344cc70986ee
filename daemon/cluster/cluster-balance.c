/* SPDX-License-Identifier: ISC */
/*
 * cluster-balance.c - how many accounts this daemon should work and
 * which to take or give back; see cluster.h.  Pure: what the manager
 * saw goes in, a plan comes out, so the tests need no store.
 */
#include <stddef.h>
#include <stdint.h>

#include "daemon/cluster/cluster-balance.h"

size_t
balance_share(size_t accounts, size_t live)
{
	if (live == 0)
		live = 1;
	return (accounts + live - 1) / live;
}

/* Held and not on its way out. */
static size_t
count_held(const struct balance_acct *v, size_t n)
{
	size_t	 i, held = 0;

	for (i = 0; i < n; i++)
		held += v[i].held && !v[i].giving_back;
	return held;
}

/* An account pinned here is taken whatever the share; one pinned to
 * another node never. */
static void
plan_take(const struct balance_acct *v, size_t n, size_t share,
    size_t start, size_t *held, struct balance_plan *p)
{
	size_t	 i, k;

	for (i = 0; i < n; i++)
		if (v[i].free && !v[i].held && v[i].pinned_here) {
			p->take[p->ntake++] = i;
			(*held)++;
		}
	for (k = 0; k < n && *held < share; k++) {
		i = (start + k) % n;
		if (v[i].free && !v[i].held && !v[i].pinned_here &&
		    !v[i].pinned_other) {
			p->take[p->ntake++] = i;
			(*held)++;
		}
	}
}

/* The excess: accounts whose thread is between rounds go first (a
 * thread in IDLE has a session to end), from the end of the list, never
 * one pinned here. */
static void
plan_give(const struct balance_acct *v, size_t n, size_t excess,
    struct balance_plan *p)
{
	size_t	 i, k;
	int	 pass;

	for (pass = 0; pass < 2 && excess > 0; pass++)
		for (k = n; k > 0 && excess > 0; k--) {
			i = k - 1;
			if (!v[i].held || v[i].giving_back ||
			    v[i].pinned_here || v[i].in_round != pass)
				continue;
			p->give[p->ngive++] = i;
			excess--;
		}
}

/* The first lease of another that this daemon would take when it
 * expires (a dead daemon's): the manager wakes then. */
static int64_t
plan_wake(const struct balance_acct *v, size_t n, size_t share, size_t held)
{
	int64_t	 wake = -1;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (v[i].free || v[i].held || v[i].pinned_other ||
		    (!v[i].pinned_here && held >= share))
			continue;
		if (wake == -1 || v[i].expires_in < wake)
			wake = v[i].expires_in < 0 ? 0 : v[i].expires_in;
	}
	return wake;
}

void
balance_plan(const struct balance_acct *v, size_t n, size_t live,
    size_t start, struct balance_plan *p)
{
	size_t	 share = balance_share(n, live);
	size_t	 held = count_held(v, n);

	p->ntake = p->ngive = 0;
	p->wake_in = -1;
	if (n == 0)
		return;
	plan_take(v, n, share, start % n, &held, p);
	if (held > share)
		plan_give(v, n, held - share, p);
	else
		p->wake_in = plan_wake(v, n, share, held);
}

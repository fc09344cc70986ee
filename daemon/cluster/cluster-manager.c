/* SPDX-License-Identifier: ISC */
/*
 * cluster-manager.c - the lease manager thread: every lease-time/3 it
 * beats, renews what it holds (a lease the store says is lost is
 * dropped at once), looks at every lease and takes or gives back what
 * the balance (cluster-balance.c) says; in between it wakes to release
 * a lease given back as soon as its thread left its round, and at the
 * expiry of a lease it would take (a dead daemon's).  See cluster.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/cluster/cluster-balance.h"
#include "daemon/cluster/cluster-manager.h"
#include "daemon/store/state.h"
#include "daemon/util/log.h"
#include "daemon/util/thread.h"

/* Seconds before trying again after the store failed. */
#define RETRY_AFTER	2.0
/* After an expiry it waits for: the store's clock and ours differ a
 * little. */
#define EXPIRY_SLACK	0.3

/* Tests: seconds added to the clock, a stall without stalling. */
static double	 clock_stalled;

double
cluster_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + clock_stalled;
}

void
cluster_test_stall(double seconds)
{
	clock_stalled += seconds;
}

static int
slot_cmp(const void *a, const void *b)
{
	const struct cluster_acct *x = *(struct cluster_acct *const *)a;
	const struct cluster_acct *y = *(struct cluster_acct *const *)b;

	return strcmp(x->name, y->name);
}

void
cluster_sort(struct cluster *c)
{
	qsort(c->byname, c->n, sizeof(*c->byname), slot_cmp);
}

struct cluster_acct *
cluster_find(const struct cluster *c, const char *account)
{
	struct cluster_acct	 key, *kp = &key, **hit;

	key.name = account;
	hit = bsearch(&kp, c->byname, c->n, sizeof(*c->byname), slot_cmp);
	return hit != NULL ? *hit : NULL;
}

void
cluster_deadline(double when, struct timespec *ts)
{
	ts->tv_sec = (time_t)when;
	ts->tv_nsec = (long)((when - (double)ts->tv_sec) * 1e9);
	if (ts->tv_nsec >= 1000000000L)
		ts->tv_nsec = 999999999L;
}

/* Renew every lease held (given back or not), in one statement. */
static int
renew(struct cluster *c)
{
	const char	**names;
	int64_t		*epochs;
	unsigned char	*kept;
	char		 err[512];
	double		 sent;
	size_t		 i, k = 0;
	int		 rv = -1;

	names = calloc(c->n + 1, sizeof(*names));
	epochs = calloc(c->n + 1, sizeof(*epochs));
	kept = calloc(c->n + 1, sizeof(*kept));
	if (names == NULL || epochs == NULL || kept == NULL) {
		log_error("cluster: out of memory renewing leases");
		goto out;
	}
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->n; i++)
		if (c->v[i].held) {
			names[k] = c->v[i].name;
			epochs[k++] = c->v[i].epoch;
		}
	pthread_mutex_unlock(&c->lock);
	sent = cluster_now();
	if (k > 0 && state_leases_renew(c->st, c->id, c->ttl, names, epochs, k,
	    kept, err, sizeof(err)) == -1) {
		log_error("cluster: renewing %zu leases: %s", k, err);
		goto out;
	}
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < k; i++) {
		struct cluster_acct *a = cluster_find(c, names[i]);

		if (a == NULL || !a->held || a->epoch != epochs[i])
			continue;
		if (kept[i]) {
			a->valid_until = sent + (double)c->ttl - c->margin;
			continue;
		}
		a->held = a->giving_back = 0;
		log_event(LOG_LEVEL_WARN, "lease-lost", "%s: lease lost (epoch "
		    "%lld): another daemon took the account over; it is no "
		    "longer worked here", a->name, (long long)epochs[i]);
	}
	pthread_mutex_unlock(&c->lock);
	rv = 0;
out:
	free(names);
	free(epochs);
	free(kept);
	return rv;
}

/* What the list said, collected without the lock (the threads' guard
 * must not wait for the store), applied under it. */
struct seen {
	struct cluster	*c;
	int64_t		*expires_in;	/* per slot; INT64_MIN: no row */
};

/* state_leases_list()'s callback: what each account's row says. */
static int
list_row(const struct lease_row *r, void *arg)
{
	struct seen		*s = arg;
	struct cluster_acct	*a;

	/* byname never changes after start: no lock needed */
	if ((a = cluster_find(s->c, r->account)) == NULL)
		return 0;	/* not ours to work (fetch = no, gone) */
	s->expires_in[a - s->c->v] = r->expires_in;
	return 0;
}

static int
look(struct cluster *c)
{
	struct seen	 s;
	char		 err[512];
	size_t		 i;

	s.c = c;
	if ((s.expires_in = calloc(c->n + 1, sizeof(*s.expires_in))) == NULL) {
		log_error("cluster: out of memory listing the leases");
		return -1;
	}
	for (i = 0; i < c->n; i++)
		s.expires_in[i] = INT64_MIN;
	if (state_leases_list(c->st, list_row, &s, err, sizeof(err)) == -1) {
		log_error("cluster: listing the leases: %s", err);
		free(s.expires_in);
		return -1;
	}
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->n; i++) {
		c->v[i].free = s.expires_in[i] <= 0;	/* or no row */
		c->v[i].expires_in = s.expires_in[i];
	}
	pthread_mutex_unlock(&c->lock);
	free(s.expires_in);
	return 0;
}

static void
take(struct cluster *c, struct cluster_acct *a)
{
	char	 err[512];
	int64_t	 epoch;
	double	 sent = cluster_now();
	int	 r;

	if ((r = state_lease_take(c->st, a->name, c->id, c->ttl, &epoch, err,
	    sizeof(err))) == -1)
		log_error("%s: taking the lease: %s", a->name, err);
	if (r != 1)
		return;		/* another daemon was faster */
	pthread_mutex_lock(&c->lock);
	a->held = 1;
	a->giving_back = 0;
	a->epoch = epoch;
	a->valid_until = sent + (double)c->ttl - c->margin;
	pthread_mutex_unlock(&c->lock);
	log_event(LOG_LEVEL_INFO, "lease-taken", "%s: lease taken (epoch "
	    "%lld): worked by this daemon", a->name, (long long)epoch);
}

/* What the balance sees, under the lock. */
static void
balance_input(struct cluster *c, struct balance_acct *b)
{
	size_t	 i;

	for (i = 0; i < c->n; i++) {
		b[i].held = c->v[i].held;
		b[i].giving_back = c->v[i].giving_back;
		b[i].in_round = c->v[i].in_round != 0;
		b[i].free = c->v[i].free;
		b[i].expires_in = c->v[i].expires_in;
		b[i].pinned_here = c->v[i].pin != NULL &&
		    strcmp(c->v[i].pin, c->node) == 0;
		b[i].pinned_other = c->v[i].pin != NULL && !b[i].pinned_here;
	}
}

/* Take and mark for giving back; *wake_in: seconds to an expiry worth
 * waking for, or -1. */
static int
rebalance(struct cluster *c, int64_t *wake_in)
{
	struct balance_acct	*b;
	struct balance_plan	 p;
	size_t			 i;

	b = calloc(c->n + 1, sizeof(*b));
	p.take = calloc(c->n + 1, sizeof(*p.take));
	p.give = calloc(c->n + 1, sizeof(*p.give));
	if (b == NULL || p.take == NULL || p.give == NULL) {
		log_error("cluster: out of memory balancing");
		free(b);
		free(p.take);
		free(p.give);
		return -1;
	}
	pthread_mutex_lock(&c->lock);
	balance_input(c, b);
	balance_plan(b, c->n, c->live, c->start, &p);
	for (i = 0; i < p.ngive; i++) {
		c->v[p.give[i]].giving_back = 1;
		c->v[p.give[i]].give_since = cluster_now();
		log_event(LOG_LEVEL_INFO, "lease-give-back", "%s: giving the "
		    "lease back (%zu daemons share %zu accounts)",
		    c->v[p.give[i]].name, c->live, c->n);
	}
	pthread_mutex_unlock(&c->lock);
	for (i = 0; i < p.ntake; i++)
		take(c, &c->v[p.take[i]]);
	/* once a pass, not once a lease: every waiting thread wakes */
	if (p.ntake > 0) {
		pthread_mutex_lock(&c->lock);
		pthread_cond_broadcast(&c->changed);
		pthread_mutex_unlock(&c->lock);
	}
	*wake_in = p.wake_in;
	free(b);
	free(p.take);
	free(p.give);
	return 0;
}

/*
 * Leases given back whose thread has left its round.  A round that does
 * not end within a lease time (a server that never answers) is not
 * waited for longer: its guard has said no all along, so it acts on
 * nothing, and the next holder's epoch fences its writes.
 */
static void
release_done(struct cluster *c)
{
	struct cluster_acct	*a;
	char			 err[512];
	size_t			 i;
	int64_t			 epoch;
	int			 late;

	for (i = 0; i < c->n; i++) {
		a = &c->v[i];
		pthread_mutex_lock(&c->lock);
		late = a->in_round &&
		    cluster_now() - a->give_since >= (double)c->ttl;
		if (!a->held || !a->giving_back || (a->in_round && !late)) {
			pthread_mutex_unlock(&c->lock);
			continue;
		}
		if (late)
			log_warn("%s: its round has not ended %d s after the "
			    "lease was to be given back; given back anyway "
			    "(it acts on nothing more)", a->name, c->ttl);
		epoch = a->epoch;
		a->held = a->giving_back = 0;
		pthread_mutex_unlock(&c->lock);
		if (state_lease_release(c->st, a->name, c->id, epoch, err,
		    sizeof(err)) == -1)
			log_error("%s: releasing the lease: %s (it expires "
			    "on its own)", a->name, err);
		else
			log_event(LOG_LEVEL_INFO, "lease-released", "%s: "
			    "lease given back", a->name);
	}
}

/* One beat, renewal, look and balance; -1 if the store failed.  A
 * store that cannot be reached is said once, not every RETRY_AFTER. */
static int
cycle(struct cluster *c, int64_t *wake_in)
{
	char	 err[512];
	size_t	 live;

	*wake_in = -1;
	if (state_daemon_beat(c->st, c->id, c->node, (long)getpid(), c->ttl,
	    &live, err, sizeof(err)) == -1) {
		if (!c->failing)
			log_error("cluster: %s (the leases run out unless it "
			    "answers again)", err);
		c->failing = 1;
		return -1;
	}
	if (c->failing)
		log_info("cluster: the store answers again");
	c->failing = 0;
	pthread_mutex_lock(&c->lock);
	c->live = live;
	pthread_mutex_unlock(&c->lock);
	if (renew(c) == -1 || look(c) == -1)
		return -1;
	return rebalance(c, wake_in);
}

static int
release_pending(struct cluster *c)
{
	size_t	 i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].held && c->v[i].giving_back && !c->v[i].in_round)
			return 1;
	return 0;
}

static void *
manager_run(void *arg)
{
	struct cluster	*c = arg;
	struct timespec	 ts;
	double		 next = 0, now;
	int64_t		 wake_in;

	for (;;) {
		now = cluster_now();
		if (now >= next) {
			next = now + (cycle(c, &wake_in) == -1 ? RETRY_AFTER :
			    (double)c->ttl / 3.0);
			if (wake_in >= 0 && now + (double)wake_in +
			    EXPIRY_SLACK < next)
				next = now + (double)wake_in + EXPIRY_SLACK;
		}
		release_done(c);
		cluster_deadline(next, &ts);
		pthread_mutex_lock(&c->lock);
		while (!c->stopping && !release_pending(c) &&
		    cluster_now() < next)
			(void)pthread_cond_timedwait(&c->wake, &c->lock, &ts);
		if (c->stopping) {
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		pthread_mutex_unlock(&c->lock);
	}
}

int
cluster_manager_start(struct cluster *c, char *err, size_t errlen)
{
	int64_t	 wake_in;

	/* the first take before any account thread asks */
	if (cycle(c, &wake_in) == -1)
		log_warn("cluster: the first look at the leases failed; "
		    "trying again");
	if (thread_start(&c->th, THREAD_STACK_WATCHER, manager_run, c) != 0) {
		snprintf(err, errlen, "cluster: cannot start the lease "
		    "manager thread");
		return -1;
	}
	return 0;
}

void
cluster_manager_stop(struct cluster *c)
{
	char	 err[512];
	size_t	 i, n = 0;

	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->th, NULL);
	for (i = 0; i < c->n; i++) {
		if (!c->v[i].held)
			continue;
		if (state_lease_release(c->st, c->v[i].name, c->id,
		    c->v[i].epoch, err, sizeof(err)) == -1)
			log_error("%s: releasing the lease: %s", c->v[i].name,
			    err);
		else
			n++;
		c->v[i].held = 0;
	}
	if (state_daemon_leave(c->st, c->id, err, sizeof(err)) == -1)
		log_error("cluster: leaving: %s", err);
	log_event(LOG_LEVEL_INFO, "cluster-leave", "cluster: %zu leases given "
	    "back, daemon %s left", n, c->id);
}

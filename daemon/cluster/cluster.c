/* SPDX-License-Identifier: ISC */
/*
 * cluster.c - the daemon's id, its accounts' leases as its threads see
 * them, and the guard; see cluster.h.  The manager thread that changes
 * them is cluster-manager.c's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/cluster/cluster.h"
#include "daemon/cluster/cluster-manager.h"
#include "daemon/conf/conf-node.h"
#include "daemon/conf/config.h"
#include "daemon/store/state.h"
#include "daemon/util/log.h"

int
cluster_default_node(char *buf, size_t len)
{
	char	 host[256], *dot;

	if (gethostname(host, sizeof(host)) == -1)
		return -1;
	host[sizeof(host) - 1] = '\0';
	if (conf_node_check(host) != NULL && (dot = strchr(host, '.')) != NULL)
		*dot = '\0';
	if (conf_node_check(host) != NULL ||
	    (size_t)snprintf(buf, len, "%s", host) >= len)
		return -1;
	return 0;
}

/* node-pid-16 hex digits: another start of the same daemon is another
 * daemon, whose leases are not this one's. */
static int
make_id(struct cluster *c, char *err, size_t errlen)
{
	unsigned char	 r[8];
	char		 hex[sizeof(r) * 2 + 1];
	size_t		 i;
	uint32_t	 h = 2166136261u;

	if (getentropy(r, sizeof(r)) == -1) {
		snprintf(err, errlen, "cluster: no random bytes for the "
		    "daemon id: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	snprintf(c->id, sizeof(c->id), "%s-%ld-%s", c->node, (long)getpid(),
	    hex);
	for (i = 0; c->id[i] != '\0'; i++)
		h = (h ^ (unsigned char)c->id[i]) * 16777619u;
	c->start = h;
	return 0;
}

/* The accounts that are worked (fetch = no: only a destination). */
static int
slots_make(struct cluster *c, char *err, size_t errlen)
{
	const struct config	*cfg = c->cfg;
	size_t			 i;

	c->v = calloc(cfg->naccounts + 1, sizeof(*c->v));
	c->byname = calloc(cfg->naccounts + 1, sizeof(*c->byname));
	if (c->v == NULL || c->byname == NULL) {
		snprintf(err, errlen, "cluster: out of memory");
		return -1;
	}
	for (i = 0; i < cfg->naccounts; i++) {
		if (!cfg->accounts[i].fetch)
			continue;
		c->v[c->n].name = cfg->accounts[i].name;
		c->v[c->n].pin = cfg->accounts[i].pin;
		c->v[c->n].free = 1;
		c->byname[c->n] = &c->v[c->n];
		c->n++;
	}
	cluster_sort(c);
	return 0;
}

static void
cluster_free(struct cluster *c)
{
	if (c == NULL)
		return;
	if (c->st != NULL)
		state_close(c->st);
	pthread_cond_destroy(&c->wake);
	pthread_cond_destroy(&c->changed);
	pthread_mutex_destroy(&c->lock);
	free(c->v);
	free(c->byname);
	free(c);
}

static int
cluster_init(struct cluster *c, const struct config *cfg, const char *node)
{
	pthread_condattr_t	 ca;

	c->cfg = cfg;
	c->ttl = cfg->lease_time > 0 ? cfg->lease_time : 30;
	c->margin = (double)c->ttl / 6.0;
	snprintf(c->node, sizeof(c->node), "%s", node);
	if (pthread_condattr_init(&ca) != 0)
		return -1;
	/* the waits are on the monotonic clock, as the leases' validity */
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&c->wake, &ca) != 0 ||
	    pthread_cond_init(&c->changed, &ca) != 0 ||
	    pthread_mutex_init(&c->lock, NULL) != 0) {
		pthread_condattr_destroy(&ca);
		return -1;
	}
	pthread_condattr_destroy(&ca);
	return 0;
}

struct cluster *
cluster_start(const struct config *cfg, const char *node, char *err,
    size_t errlen)
{
	struct cluster	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    cluster_init(c, cfg, node) == -1) {
		free(c);
		snprintf(err, errlen, "cluster: out of memory");
		return NULL;
	}
	if ((c->st = state_open(cfg->state, 0, err, errlen)) == NULL)
		goto fail;
	if ((c->shared = state_shared(c->st)) == 0) {
		state_close(c->st);	/* one daemon: nothing to manage */
		c->st = NULL;
		return c;
	}
	if (make_id(c, err, errlen) == -1 || slots_make(c, err, errlen) == -1 ||
	    cluster_manager_start(c, err, errlen) == -1)
		goto fail;
	log_event(LOG_LEVEL_INFO, "cluster", "cluster: node %s, daemon id "
	    "%s, %zu accounts shared, lease-time %d s", c->node, c->id, c->n,
	    c->ttl);
	return c;
fail:
	cluster_free(c);
	return NULL;
}

void
cluster_stop(struct cluster *c)
{
	if (c == NULL)
		return;
	if (c->shared)
		cluster_manager_stop(c);
	cluster_free(c);
}

int
cluster_shared(const struct cluster *c)
{
	return c != NULL && c->shared;
}

const char *
cluster_id(const struct cluster *c)
{
	return c->id;
}

const char *
cluster_node(const struct cluster *c)
{
	return c->node;
}

/* Under the lock. */
static int
slot_valid(const struct cluster_acct *a, int64_t epoch, double now)
{
	return a->held && !a->giving_back && a->epoch == epoch &&
	    now < a->valid_until;
}

int
cluster_round_begin(struct cluster *c, const char *account,
    struct cluster_lease *l)
{
	struct cluster_acct	*a;
	int			 ok;

	memset(l, 0, sizeof(*l));
	l->c = c;
	if (!cluster_shared(c))
		return 1;
	if ((a = cluster_find(c, account)) == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	if ((ok = slot_valid(a, a->epoch, cluster_now())) != 0) {
		a->in_round = 1;
		l->slot = a;
		l->epoch = a->epoch;
	}
	pthread_mutex_unlock(&c->lock);
	return ok;
}

int
cluster_holds(struct cluster *c, const char *account)
{
	struct cluster_acct	*a;
	int			 ok;

	if (!cluster_shared(c))
		return 1;
	if ((a = cluster_find(c, account)) == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	ok = slot_valid(a, a->epoch, cluster_now());
	pthread_mutex_unlock(&c->lock);
	return ok;
}

void
cluster_round_end(struct cluster_lease *l)
{
	struct cluster	*c = l->c;

	if (l->slot == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	l->slot->in_round = 0;
	if (l->slot->giving_back)
		pthread_cond_signal(&c->wake);	/* release it now */
	pthread_mutex_unlock(&c->lock);
	l->slot = NULL;
}

void
cluster_wait(struct cluster *c, int ms)
{
	struct timespec	 ts;
	double		 until = cluster_now() + (double)ms / 1000.0;

	if (!cluster_shared(c)) {
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (long)(ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		return;
	}
	cluster_deadline(until, &ts);
	pthread_mutex_lock(&c->lock);
	(void)pthread_cond_timedwait(&c->changed, &c->lock, &ts);
	pthread_mutex_unlock(&c->lock);
}

void
cluster_wake(struct cluster *c)
{
	if (!cluster_shared(c))
		return;
	pthread_mutex_lock(&c->lock);
	pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->lock);
}

static int
lease_ok(const struct cluster_lease *l)
{
	int	 ok;

	if (l == NULL || l->slot == NULL)
		return 1;
	pthread_mutex_lock(&l->c->lock);
	ok = slot_valid(l->slot, l->epoch, cluster_now());
	pthread_mutex_unlock(&l->c->lock);
	return ok;
}

int
cluster_guard(void *arg)
{
	return lease_ok(arg);
}

int
cluster_lease_gone(const struct cluster_lease *l)
{
	return !lease_ok(l);
}

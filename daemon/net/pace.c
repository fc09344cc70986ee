/* SPDX-License-Identifier: ISC */
/* pace.c - connection pacing per server; see pace.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/net/pace.h"

struct pacer {
	int		 limit;		/* 0: none */
	int		 rate;		/* a second; 0: none */
	int		 in_setup;
	double		 next_at;	/* the next start, not before */
	unsigned	 seed;
};

struct pacer *
pacer_new(int limit, int rate, unsigned seed)
{
	struct pacer	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->limit = limit > 0 ? limit : 0;
	p->rate = rate > 0 ? rate : 0;
	p->seed = seed;
	p->next_at = -1e18;
	return p;
}

void
pacer_free(struct pacer *p)
{
	free(p);
}

/* Between half and one and a half times 1/rate: on average the rate. */
static double
pacer_gap(struct pacer *p)
{
	double	 u = (double)(rand_r(&p->seed) % 10001) / 10000.0;

	return (0.5 + u) / (double)p->rate;
}

int
pacer_try(struct pacer *p, double now, double *wait)
{
	*wait = 0;
	if (p->limit > 0 && p->in_setup >= p->limit) {
		/* pacer_done() wakes the waiters; this is a bound */
		*wait = p->rate > 0 ? 1.0 / (double)p->rate : 0.1;
		return 0;
	}
	if (p->rate > 0 && now < p->next_at) {
		*wait = p->next_at - now;
		return 0;
	}
	if (p->rate > 0)
		p->next_at = now + pacer_gap(p);
	p->in_setup++;
	return 1;
}

void
pacer_done(struct pacer *p)
{
	if (p->in_setup > 0)
		p->in_setup--;
}

int
pacer_in_setup(const struct pacer *p)
{
	return p->in_setup;
}

/* The daemon's pacers, one per server, for the life of the process
 * (a reload keeps them: a server is still the same server). */
struct pace_server {
	struct pace_server	*next;
	struct pacer		*p;
	char			*key;	/* "host port" */
};

static pthread_mutex_t		 pace_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 pace_cond = PTHREAD_COND_INITIALIZER;
static struct pace_server	*pace_servers;
static int			 pace_limit = PACE_LIMIT_DEFAULT;
static int			 pace_rate = PACE_RATE_DEFAULT;

void
pace_configure(int limit, int rate)
{
	struct pace_server	*s;

	pthread_mutex_lock(&pace_lock);
	pace_limit = limit;
	pace_rate = rate;
	for (s = pace_servers; s != NULL; s = s->next) {
		s->p->limit = limit > 0 ? limit : 0;
		s->p->rate = rate > 0 ? rate : 0;
	}
	pthread_cond_broadcast(&pace_cond);
	pthread_mutex_unlock(&pace_lock);
}

/* Called with pace_lock held.  NULL when out of memory: not paced. */
static struct pacer *
pace_find(const char *host, const char *port)
{
	struct pace_server	*s;
	size_t			 n = strlen(host) + strlen(port) + 2;
	char			*key;

	if ((key = malloc(n)) == NULL)
		return NULL;
	(void)snprintf(key, n, "%s %s", host, port);
	for (s = pace_servers; s != NULL; s = s->next) {
		if (strcmp(s->key, key) == 0) {
			free(key);
			return s->p;
		}
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->p = pacer_new(pace_limit, pace_rate,
	    (unsigned)time(NULL) ^ (unsigned)n)) == NULL) {
		free(s);
		free(key);
		return NULL;
	}
	s->key = key;
	s->next = pace_servers;
	pace_servers = s;
	return s->p;
}

static double
pace_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* pthread_cond_timedwait takes a CLOCK_REALTIME deadline; a wait is a
 * bound only, so a jump of the wall clock costs at most one extra
 * round of asking. */
static void
pace_wait(double secs)
{
	struct timespec	 ts;
	long		 ns;

	if (secs > 0.5)	/* stop() is asked at least twice a second */
		secs = 0.5;
	if (secs < 0.001)
		secs = 0.001;
	clock_gettime(CLOCK_REALTIME, &ts);
	ns = ts.tv_nsec + (long)(secs * 1e9);
	ts.tv_sec += ns / 1000000000L;
	ts.tv_nsec = ns % 1000000000L;
	(void)pthread_cond_timedwait(&pace_cond, &pace_lock, &ts);
}

int
pace_begin(const char *host, const char *port, int (*stop)(void),
    struct pace_ticket *t)
{
	double	 wait;

	t->p = NULL;
	if (host == NULL || port == NULL)
		return 0;
	pthread_mutex_lock(&pace_lock);
	if ((t->p = pace_find(host, port)) == NULL) {
		pthread_mutex_unlock(&pace_lock);
		return 0;
	}
	while (!pacer_try(t->p, pace_now(), &wait)) {
		if (stop != NULL && stop()) {
			pthread_mutex_unlock(&pace_lock);
			t->p = NULL;
			return -1;
		}
		pace_wait(wait);
	}
	pthread_mutex_unlock(&pace_lock);
	return 0;
}

void
pace_end(struct pace_ticket *t)
{
	if (t->p == NULL)
		return;
	pthread_mutex_lock(&pace_lock);
	pacer_done(t->p);
	pthread_cond_broadcast(&pace_cond);
	pthread_mutex_unlock(&pace_lock);
	t->p = NULL;
}

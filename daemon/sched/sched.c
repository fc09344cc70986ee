/* SPDX-License-Identifier: ISC */
/* sched.c - account rounds, concurrency, backoff, signals; see sched.h. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/act/outbox-send.h"
#include "daemon/act/webhook-send.h"
#include "daemon/cluster/cluster.h"
#include "daemon/conf/rulesets.h"
#include "daemon/deliver/deliver.h"
#include "daemon/net/pace.h"
#include "daemon/oauth/oauth.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/sched/record.h"
#include "daemon/sched/notify.h"
#include "daemon/sched/sched.h"
#include "daemon/source/source.h"
#include "daemon/store/lease.h"
#include "daemon/store/state.h"
#include "daemon/util/guard.h"
#include "daemon/util/log.h"
#include "daemon/util/stop.h"
#include "daemon/util/thread.h"

#define BACKOFF_BASE	30	/* seconds after the first error */
#define BACKOFF_MAX	3600
#define OUTBOX_DRAIN_SECS	300	/* --once: the queue, but not for ever */
/* How often an account waiting for `mailsift auth login` looks again at
 * its grant (a read of the state file, nothing on the network). */
#define OAUTH_LOGIN_CHECK	10
/* The main loop wakes at once for a reload or an exit (stop.h); this
 * often it looks anyway (the systemd watchdog). */
#define SCHED_LOOK_MS		1000
/* An account another daemon holds waits this long at most: a lease
 * taken, a reload or an exit wakes it at once (cluster_wake()); a
 * daemon sharing 1000 accounts three ways must not wake 2000 threads
 * every second for nothing. */
#define CLUSTER_WAIT_MS		30000

/* The handler only sets a flag (stop.h): everyone polls it. */
static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		stop_request_reload();
	else
		stop_request_exit();
}

void
sched_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Replies and forwards the rules queued, and older ones due: one batch
 * a round when polling forever, the whole queue for --once (a run from
 * cron must not leave replies behind), within a time bound.  A failed
 * batch ends it: its entries wait for their backoff.
 */
static int
sched_outbox(const struct config *cfg, struct state *st, const char *name,
    int drain)
{
	time_t	 end = time(NULL) + OUTBOX_DRAIN_SECS;
	int	 r;

	while ((r = outbox_send(cfg, st, name)) == 1 && drain &&
	    time(NULL) < end && !stop_requested())
		;
	return r == -1 ? -1 : 0;
}

/* The same for what the webhook target queued (act/webhook-send.c). */
static int
sched_webhooks(const struct config *cfg, struct state *st, const char *name,
    int drain)
{
	time_t	 end = time(NULL) + OUTBOX_DRAIN_SECS;
	int	 r;

	while ((r = webhook_send(cfg, st, name)) == 1 && drain &&
	    time(NULL) < end && !stop_requested())
		;
	return r == -1 ? -1 : 0;
}

/*
 * A shared store: the handle's writes are fenced by the round's lease,
 * the thread's acts by its guard, and what a daemon that lost the
 * account (or crashed) left pending is settled first: only this
 * account's intents, which the fenced handle lists.
 */
static int
round_lease(struct state *st, const struct config *cfg,
    struct cluster_lease *l, const char *name, int dry_run)
{
	char	 err[1024];

	if (l == NULL || l->slot == NULL)
		return 0;
	if (state_fence(st, name, cluster_id(l->c), l->epoch, err,
	    sizeof(err)) == -1) {
		log_error("%s: %s", name, err);
		return -1;
	}
	guard_set(cluster_guard, l);
	if (!dry_run && delivery_recover_account(st, cfg, err,
	    sizeof(err)) == -1)
		log_error("%s: %s", name, err);
	return 0;
}

/* The round stopped because the lease went (lost, or given back to a
 * daemon that joined): no error, the next holder goes on. */
static int
round_gone(struct cluster_lease *l, const char *name, int rv)
{
	if (l == NULL || !cluster_lease_gone(l))
		return rv;
	log_event(LOG_LEVEL_INFO, "lease-gone", "%s: round ended: the lease "
	    "is lost or given back; what is left goes to the next holder",
	    name);
	return 0;
}

static int
account_round(const struct config *cfg, const struct account *acct,
    const struct rule_set *rules, int dry_run, int allow_idle,
    struct cluster_lease *lease)
{
	struct account		 a = *acct;
	struct state		*st;
	struct pipeline		*pl;
	struct fetch_stats	*fs;
	struct timespec		 t0;
	const char		*kind = NULL;	/* what failed, for record.h */
	char			 err[1024];
	int			 rv;

	if (!acct->fetch)
		return 0;	/* a destination only (imap: targets) */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	log_context_account(a.name);
	if (!allow_idle)
		a.idle = 0;
	if (a.poll <= 0)	/* the source polls too (folders IDLE leaves) */
		a.poll = cfg->poll;
	record_begin(a.name);
	if ((st = state_open(cfg->state, 0, err, sizeof(err))) == NULL) {
		log_error("%s: %s", a.name, err);
		record_round(NULL, a.name, NULL, "state", elapsed(&t0));
		return -1;
	}
	if (round_lease(st, cfg, lease, a.name, dry_run) == -1) {
		record_round(NULL, a.name, NULL, "state", elapsed(&t0));
		state_close(st);
		return -1;
	}
	/* deliveries a destination that was down left at start */
	if (!dry_run && delivery_recover_later(st, cfg, err,
	    sizeof(err)) == -1)
		log_error("recovery: %s", err);
	if ((pl = pipeline_new(cfg, &a, rules, st, dry_run, err,
	    sizeof(err))) == NULL) {
		log_error("%s: %s", a.name, err);
		record_round(dry_run ? NULL : st, a.name, NULL, "state",
		    elapsed(&t0));
		guard_set(NULL, NULL);
		state_close(st);
		return -1;
	}
	if ((rv = source_fetch(&a, pl)) == -1)
		kind = "fetch";
	log_context_folder(NULL);	/* the rest is about the account */
	if (pipeline_flush(pl) == -1) {
		rv = -1;
		kind = "deliver";
	}
	if (!dry_run && sched_outbox(cfg, st, a.name, !allow_idle) == -1) {
		rv = -1;
		if (kind == NULL)
			kind = "outbox";
	}
	if (!dry_run && sched_webhooks(cfg, st, a.name, !allow_idle) == -1) {
		rv = -1;
		if (kind == NULL)
			kind = "webhook";
	}
	fs = pipeline_stats(pl);
	if (rv == -1)
		fs->errors++;
	else if (fs->errors > 0) {
		rv = -1;	/* some message's actions failed */
		kind = "message";
	}
	if ((rv = round_gone(lease, a.name, rv)) == 0)
		kind = NULL;
	if (!dry_run)
		record_round(st, a.name, fs, kind, elapsed(&t0));
	log_event(LOG_LEVEL_INFO, "round", "%s: fetched %zu, delivered %zu, "
	    "skipped %zu, errors %zu, %.1f MB in %.2f s", a.name, fs->fetched,
	    fs->delivered,
	    fs->skipped, fs->errors, (double)fs->bytes / 1e6, elapsed(&t0));
	notify_round(a.name, rv == 0, fs->fetched, fs->delivered);
	pipeline_free(pl);
	guard_set(NULL, NULL);
	state_close(st);
	return rv;
}

int
sched_account_round(const struct config *cfg, const struct account *acct,
    const struct rule_set *rules, int dry_run, int allow_idle)
{
	return account_round(cfg, acct, rules, dry_run, allow_idle, NULL);
}

/* PCRE2 JIT needs memory both writable and executable, which a W^X
 * policy (systemd's MemoryDenyWriteExecute=) refuses: say so once. */
static void
note_interpreted(const struct config *cfg, struct rule_set *const *rules)
{
	const char	*path;

	if ((path = rulesets_interpreted(cfg, rules)) != NULL)
		log_info("rules %s: no PCRE2 JIT (W^X memory policy, or none "
		    "in the library): regexes run in the interpreter, slower, "
		    "same results", path);
}

/* --once: workers take accounts from a shared cursor. */
struct once_run {
	const struct config	*cfg;
	struct rule_set *const	*rules;
	const struct run_opts	*opts;
	pthread_mutex_t		 lock;
	size_t			 next;
	int			 failed;
};

/*
 * --once on a shared store: an account is worked if this daemon holds
 * its lease (the manager took its share at start); else another daemon
 * works it, and it is left to that one.
 */
static int
once_lease(const struct once_run *r, const struct account *a,
    struct cluster_lease *l)
{
	if (cluster_round_begin(r->opts->cluster, a->name, l))
		return 1;
	if (a->fetch)
		log_info("%s: its lease is held by another daemon: left to it",
		    a->name);
	return 0;
}

static void *
once_worker(void *arg)
{
	struct once_run		*r = arg;
	struct cluster_lease	 l;
	size_t			 i;
	int			 rv;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		i = r->next++;
		pthread_mutex_unlock(&r->lock);
		if (i >= r->cfg->naccounts || stop_requested()) {
			log_context_account(NULL);
			return NULL;
		}
		if (!once_lease(r, &r->cfg->accounts[i], &l))
			continue;
		rv = account_round(r->cfg, &r->cfg->accounts[i], r->rules[i],
		    r->opts->dry_run, 0, &l);
		cluster_round_end(&l);
		if (rv == -1) {
			pthread_mutex_lock(&r->lock);
			r->failed = 1;
			pthread_mutex_unlock(&r->lock);
		}
	}
}

int
sched_run_once(const struct config *cfg, struct rule_set *const *rules,
    const struct run_opts *opts)
{
	struct once_run	 r;
	pthread_t	 th[64];
	size_t		 n, i, started = 0;

	note_interpreted(cfg, rules);
	pace_configure(cfg->connect_limit, cfg->connect_rate);
	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.rules = rules;
	r.opts = opts;
	pthread_mutex_init(&r.lock, NULL);
	n = (size_t)cfg->parallel;
	if (n > cfg->naccounts)
		n = cfg->naccounts;
	if (n > sizeof(th) / sizeof(th[0]))
		n = sizeof(th) / sizeof(th[0]);
	for (i = 0; i < n; i++) {
		if (pthread_create(&th[i], NULL, once_worker, &r) != 0) {
			log_error("cannot start a worker thread: %s",
			    strerror(errno));
			break;
		}
		started++;
	}
	if (started == 0)
		(void)once_worker(&r);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	cluster_stop(opts->cluster);
	pthread_mutex_destroy(&r.lock);
	/* a stop (SIGTERM) is not a failure: what was fetched is committed */
	return r.failed ? 1 : 0;
}

/* Forever: one thread per account; a counting gate bounds the rounds
 * running at once (IDLE sessions hold no slot while they wait). */
struct gate {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 free;
};

struct acct_thread {
	const struct config	*cfg;
	const struct account	*acct;
	const struct rule_set	*rules;
	const struct run_opts	*opts;
	struct cluster		*cluster;
	struct gate		*gate;
	pthread_t		 th;
	unsigned		 seed;
	long			 phase;	/* seconds into the poll interval */
	time_t			 start;
};

static void
gate_enter(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (g->free == 0)
		pthread_cond_wait(&g->cond, &g->lock);
	g->free--;
	pthread_mutex_unlock(&g->lock);
}

static void
gate_leave(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->free++;
	pthread_cond_signal(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static long
next_delay(struct acct_thread *t, unsigned failures)
{
	long	 poll = t->acct->poll > 0 ? t->acct->poll : t->cfg->poll;
	long	 d;

	if (failures == 0)
		return poll;
	d = BACKOFF_BASE;
	while (--failures > 0 && d < BACKOFF_MAX)
		d *= 2;
	if (d > BACKOFF_MAX)
		d = BACKOFF_MAX;
	/* jitter: between half and all of it, so accounts spread out */
	return d / 2 + (long)(rand_r(&t->seed) % (unsigned)(d / 2 + 1));
}

/*
 * Polling accounts all start at once (paced by net/pace.h) and would
 * then poll in step, every interval a burst.  After its first round an
 * account waits until its own place in the interval: the polls of N
 * accounts are spread evenly over it from then on.
 */
static long
first_delay(struct acct_thread *t, long d)
{
	time_t	 due = t->start + d + t->phase;
	time_t	 now = time(NULL);

	if (t->acct->idle || due <= now)
		return d;
	return (long)(due - now);
}

static void
sleep_unless_stopped(long seconds)
{
	stop_sleep(seconds);
}

/*
 * An OAuth2 grant that needs a login (the provider refused it) is not
 * retried: no connection, no token request, until the user has run
 * `mailsift auth login` (seen at the next poll, no restart needed).
 * One line when it starts and one when it ends.
 */
static int
acct_blocked(struct acct_thread *t, int *was)
{
	char	 err[512];
	int	 b;

	if ((b = oauth_grant_blocked(t->acct, err, sizeof(err))) == -1) {
		log_error("%s: %s", t->acct->name, err);
		b = 0;	/* the round will say what is wrong */
	}
	if (b && !*was)
		log_event(LOG_LEVEL_WARN, "needs-login", "%s: not polled until "
		    "you run `mailsift auth login %s`", t->acct->name,
		    t->acct->name);
	else if (!b && *was)
		log_event(LOG_LEVEL_INFO, "logged-in", "%s: the OAuth2 grant "
		    "is usable again; polling", t->acct->name);
	*was = b;
	return b;
}

/* A round while this daemon holds the account's lease (any time when
 * the store is not shared): 0.  1 if it does not hold it, or the round
 * ended because the lease went: the thread waits for the lease again,
 * no poll interval. */
static int
acct_round(struct acct_thread *t, int *rv)
{
	struct cluster_lease	 l;
	int			 gone;

	if (!cluster_round_begin(t->cluster, t->acct->name, &l)) {
		cluster_wait(t->cluster, CLUSTER_WAIT_MS);
		return 1;
	}
	if (!t->acct->idle)
		gate_enter(t->gate);
	/* given back while waiting for a slot: not worth a round */
	if ((gone = cluster_lease_gone(&l)) == 0)
		*rv = account_round(t->cfg, t->acct, t->rules,
		    t->opts->dry_run, 1, &l);
	if (!t->acct->idle)
		gate_leave(t->gate);
	gone = gone || cluster_lease_gone(&l);
	cluster_round_end(&l);
	return gone;
}

static void *
acct_loop(void *arg)
{
	struct acct_thread	*t = arg;
	unsigned		 failures = 0;
	int			 rv = 0, blocked = 0, first = 1;
	long			 d;

	while (t->acct->fetch && !stop_requested()) {
		/* another daemon's: not even its OAuth2 grant is looked at */
		if (!cluster_holds(t->cluster, t->acct->name)) {
			cluster_wait(t->cluster, CLUSTER_WAIT_MS);
			continue;
		}
		if (acct_blocked(t, &blocked)) {
			d = next_delay(t, 0);
			if (d > OAUTH_LOGIN_CHECK)
				d = OAUTH_LOGIN_CHECK;
			if (!t->opts->dry_run)
				record_next_poll(t->cfg->state, t->acct->name,
				    d);
			sleep_unless_stopped(d);
			continue;
		}
		if (acct_round(t, &rv) != 0)
			continue;	/* not ours (now): wait for the lease */
		failures = rv == 0 ? 0 : failures + 1;
		d = next_delay(t, failures);
		if (first && failures == 0)
			d = first_delay(t, d);
		first = 0;
		if (!t->opts->dry_run)
			record_next_poll(t->cfg->state, t->acct->name, d);
		if (rv == -1)
			log_event(LOG_LEVEL_WARN, "retry", "%s: retrying in "
			    "%ld s", t->acct->name, d);
		sleep_unless_stopped(d);
	}
	return NULL;
}

/* Accounts that are polled (not `fetch = no` destinations). */
static size_t
fetching(const struct config *cfg)
{
	size_t	 i, n = 0;

	for (i = 0; i < cfg->naccounts; i++)
		n += cfg->accounts[i].fetch != 0;
	return n;
}

static int
threads_start(const struct config *cfg, struct rule_set **rules,
    const struct run_opts *opts, struct cluster *cl, struct gate *g,
    struct acct_thread **out)
{
	struct acct_thread	*t;
	size_t			 i, k = 0, n = 0;
	long			 poll;

	if ((t = calloc(cfg->naccounts, sizeof(*t))) == NULL)
		return -1;
	g->free = cfg->parallel;
	pace_configure(cfg->connect_limit, cfg->connect_rate);
	for (i = 0; i < cfg->naccounts; i++)
		n += cfg->accounts[i].fetch && !cfg->accounts[i].idle;
	for (i = 0; i < cfg->naccounts; i++) {
		poll = cfg->accounts[i].poll > 0 ? cfg->accounts[i].poll :
		    cfg->poll;
		if (cfg->accounts[i].fetch && !cfg->accounts[i].idle)
			t[i].phase = (long)((double)poll * (double)k++ /
			    (double)n);
		t[i].start = time(NULL);
		t[i].cfg = cfg;
		t[i].acct = &cfg->accounts[i];
		t[i].rules = rules[i];
		t[i].opts = opts;
		t[i].cluster = cl;
		t[i].gate = g;
		t[i].seed = (unsigned)time(NULL) ^ (unsigned)i ^
		    (unsigned)getpid();
		if (thread_start(&t[i].th, THREAD_STACK_ACCOUNT, acct_loop,
		    &t[i]) != 0)
			log_fatal("cannot start a thread for account %s",
			    t[i].acct->name);
	}
	*out = t;
	return 0;
}

static void
threads_join(const struct config *cfg, struct acct_thread *t)
{
	size_t	 i;

	for (i = 0; i < cfg->naccounts; i++)
		pthread_join(t[i].th, NULL);
	free(t);
}

/* SIGHUP: a new config whose rule files load too replaces the old one;
 * else the old one keeps running. */
static struct config *
reload(const char *path, struct rule_set ***rules)
{
	struct config	*n;
	char		 err[1024];

	if ((n = config_load(path, err, sizeof(err))) == NULL) {
		log_error("reload: %s; keeping the old configuration", err);
		return NULL;
	}
	if ((*rules = rulesets_load(n, source_rule_flags, err,
	    sizeof(err))) == NULL) {
		log_error("reload: %s; keeping the old configuration", err);
		config_free(n);
		return NULL;
	}
	log_event(LOG_LEVEL_INFO, "reload", "reload: %s loaded", path);
	note_interpreted(n, *rules);
	return n;
}

/* A reload's new accounts and options: the old cluster gives back its
 * leases (its accounts' threads are joined) and a new one, of the same
 * node, takes its share of the new configuration's. */
static struct cluster *
cluster_restart(struct cluster *cl, const struct config *cfg)
{
	char	 node[CONF_NODE_MAX + 1], err[1024];
	int	 shared = cluster_shared(cl);

	snprintf(node, sizeof(node), "%s", cluster_node(cl));
	cluster_stop(cl);
	if ((cl = cluster_start(cfg, node, err, sizeof(err))) == NULL)
		log_error("reload: %s", err);
	else if (shared != cluster_shared(cl))
		log_warn("reload: the state is %sshared now",
		    cluster_shared(cl) ? "" : "not ");
	return cl;
}

int
sched_run_forever(struct config **cfg, struct rule_set ***rules,
    const struct run_opts *opts)
{
	struct gate		 g;
	struct acct_thread	*t;
	struct config		*n;
	struct rule_set		**nr;
	struct cluster		*cl = opts->cluster;
	int			 failed = 0;

	pthread_mutex_init(&g.lock, NULL);
	pthread_cond_init(&g.cond, NULL);
	note_interpreted(*cfg, *rules);
	notify_ready(fetching(*cfg));
	if (threads_start(*cfg, *rules, opts, cl, &g, &t) == -1) {
		cluster_stop(cl);
		return 1;
	}
	while (!stop_exit_requested()) {
		stop_nap(SCHED_LOOK_MS);
		notify_watchdog();
		thread_heap_trim();
		if (!stop_reload_take())
			continue;
		notify_reloading();
		if ((n = reload(opts->config_path, &nr)) == NULL) {
			notify_reload_failed();
			continue;
		}
		stop_set_winding_down(1);
		cluster_wake(cl);
		threads_join(*cfg, t);
		stop_set_winding_down(0);
		/* the old cluster names the old configuration's accounts */
		if (cl != NULL && (cl = cluster_restart(cl, n)) == NULL)
			failed = 1;
		rulesets_free(*rules, (*cfg)->naccounts);
		config_free(*cfg);
		*cfg = n;
		*rules = nr;
		if (failed)
			return 1;
		notify_ready(fetching(*cfg));
		if (threads_start(*cfg, *rules, opts, cl, &g, &t) == -1) {
			cluster_stop(cl);
			return 1;
		}
	}
	log_info("stopping: finishing the messages in hand");
	notify_stopping();
	cluster_wake(cl);
	threads_join(*cfg, t);
	/* every account's thread is gone: nothing acts for them any more */
	cluster_stop(cl);
	pthread_cond_destroy(&g.cond);
	pthread_mutex_destroy(&g.lock);
	return 0;
}

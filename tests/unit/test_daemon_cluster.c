/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_cluster.c - several daemons sharing accounts
 * (daemon/cluster/): the balance alone (cluster-balance.c: the share,
 * pins, what is given back, when to wake), then, against a real
 * PostgreSQL (MSX_STATE_URL, see state-where.h; skipped without one),
 * the leases themselves: of daemons taking at once each account goes to
 * one; a lease taken over makes the old holder's guard say no and its
 * fenced writes fail; a daemon that stops gives every lease back.
 * Waits are bounded loops; nothing asserts a timing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include <cmocka.h>

#include "daemon/cluster/cluster.h"
#include "daemon/cluster/cluster-balance.h"
#include "daemon/cluster/cluster-manager.h"	/* cluster_test_stall */
#include "daemon/conf/config.h"
#include "daemon/store/lease.h"
#include "daemon/store/serverops.h"
#include "daemon/store/state.h"
#include "state-where.h"

#define N	12

struct plan_buf {
	struct balance_plan	 p;
	size_t			 take[N], give[N];
};

static void
plan_run(const struct balance_acct *v, size_t n, size_t live, size_t start,
    struct plan_buf *b)
{
	memset(b, 0, sizeof(*b));
	b->p.take = b->take;
	b->p.give = b->give;
	balance_plan(v, n, live, start, &b->p);
}

static void
test_share(void **state)
{
	(void)state;
	assert_int_equal(balance_share(10, 2), 5);
	assert_int_equal(balance_share(10, 3), 4);
	assert_int_equal(balance_share(10, 4), 3);
	assert_int_equal(balance_share(1, 5), 1);
	assert_int_equal(balance_share(0, 3), 0);
	assert_int_equal(balance_share(7, 0), 7);	/* never divides by 0 */
	assert_int_equal(balance_share(2000, 3), 667);
}

/* Free accounts are taken up to the share, from the start given. */
static void
test_take_share(void **state)
{
	struct balance_acct	 v[10];
	struct plan_buf		 b;
	size_t			 i;

	(void)state;
	memset(v, 0, sizeof(v));
	for (i = 0; i < 10; i++)
		v[i].free = 1;
	plan_run(v, 10, 2, 3, &b);
	assert_int_equal(b.p.ntake, 5);
	assert_int_equal(b.p.ngive, 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(b.take[i], (3 + i) % 10);
	/* alone: everything */
	plan_run(v, 10, 1, 0, &b);
	assert_int_equal(b.p.ntake, 10);
	/* three held already: two more */
	v[0].held = v[1].held = v[2].held = 1;
	v[0].free = v[1].free = v[2].free = 0;
	plan_run(v, 10, 2, 0, &b);
	assert_int_equal(b.p.ntake, 2);
	for (i = 0; i < b.p.ntake; i++)
		assert_false(v[b.take[i]].held);
}

/* Pinned to another node: never taken, even free and under the share;
 * pinned here: taken even over the share, and never given back. */
static void
test_pins(void **state)
{
	struct balance_acct	 v[6];
	struct plan_buf		 b;
	size_t			 i;

	(void)state;
	memset(v, 0, sizeof(v));
	for (i = 0; i < 6; i++)
		v[i].free = 1;
	v[0].pinned_other = v[1].pinned_other = 1;
	plan_run(v, 6, 1, 0, &b);
	assert_int_equal(b.p.ntake, 4);
	for (i = 0; i < b.p.ntake; i++)
		assert_true(b.take[i] >= 2);
	/* share 2 (6 over 3), 2 held; the pinned one still comes */
	memset(v, 0, sizeof(v));
	v[0].held = v[1].held = 1;
	v[2].free = v[3].free = v[4].free = v[5].free = 1;
	v[5].pinned_here = 1;
	plan_run(v, 6, 3, 0, &b);
	assert_int_equal(b.p.ntake, 1);
	assert_int_equal(b.take[0], 5);
	assert_int_equal(b.p.ngive, 1);		/* 3 held > 2: one goes */
	assert_true(b.give[0] == 0 || b.give[0] == 1);
	/* all held are pinned here: nothing to give */
	memset(v, 0, sizeof(v));
	for (i = 0; i < 6; i++)
		v[i].held = v[i].pinned_here = 1;
	plan_run(v, 6, 3, 0, &b);
	assert_int_equal(b.p.ngive, 0);
}

/* A daemon joined: the excess goes, threads between rounds first, and
 * what is being given back counts no more. */
static void
test_give_back(void **state)
{
	struct balance_acct	 v[10];
	struct plan_buf		 b;
	size_t			 i;

	(void)state;
	memset(v, 0, sizeof(v));
	for (i = 0; i < 10; i++)
		v[i].held = v[i].in_round = 1;
	v[2].in_round = v[4].in_round = 0;
	plan_run(v, 10, 2, 0, &b);
	assert_int_equal(b.p.ntake, 0);
	assert_int_equal(b.p.ngive, 5);
	assert_int_equal(b.give[0], 4);	/* between rounds, from the end */
	assert_int_equal(b.give[1], 2);
	for (i = 2; i < 5; i++)
		assert_true(v[b.give[i]].in_round);
	/* the five given back: balanced, nothing more */
	for (i = 0; i < 5; i++)
		v[b.give[i]].giving_back = 1;
	plan_run(v, 10, 2, 0, &b);
	assert_int_equal(b.p.ngive, 0);
	assert_int_equal(b.p.ntake, 0);
}

/* The manager wakes at the first expiry it would take over: a dead
 * daemon's; not when at its share (unless pinned here). */
static void
test_wake(void **state)
{
	struct balance_acct	 v[6];
	struct plan_buf		 b;

	(void)state;
	memset(v, 0, sizeof(v));
	v[0].held = v[1].held = 1;
	v[2].expires_in = 20;
	v[3].expires_in = 7;
	v[4].expires_in = 3;
	v[4].pinned_other = 1;		/* never ours: no reason to wake */
	v[5].expires_in = 12;
	plan_run(v, 6, 1, 0, &b);
	assert_int_equal(b.p.ntake, 0);
	assert_int_equal(b.p.wake_in, 7);
	/* at the share (6 over 3 = 2): nothing to wait for */
	plan_run(v, 6, 3, 0, &b);
	assert_int_equal(b.p.wake_in, -1);
	v[5].pinned_here = 1;
	v[5].pinned_other = 0;
	plan_run(v, 6, 3, 0, &b);
	assert_int_equal(b.p.wake_in, 12);
	/* nothing at all */
	plan_run(v, 0, 3, 0, &b);
	assert_int_equal(b.p.ntake + b.p.ngive, 0);
	assert_int_equal(b.p.wake_in, -1);
}

/* --- against PostgreSQL ------------------------------------------- */

static const char *
pg_url(void)
{
	const char	*url = state_test_url();

	if (url == NULL)
		skip();
	return state_test_fresh(url);
}

struct racer {
	const char	*url;
	const char	*id;
	int		 won[N];
	int		 failed;
};

static void *
race_run(void *arg)
{
	struct racer	*r = arg;
	struct state	*st;
	char		 err[512], name[16];
	int64_t		 epoch;
	int		 i, k;

	if ((st = state_open(r->url, 0, err, sizeof(err))) == NULL) {
		r->failed = 1;
		return NULL;
	}
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "acct%02d", i);
		if ((k = state_lease_take(st, name, r->id, 30, &epoch, err,
		    sizeof(err))) == -1)
			r->failed = 1;
		r->won[i] = k == 1;
	}
	state_close(st);
	return NULL;
}

/* Three daemons taking the same accounts at once: one each. */
static void
test_pg_take_race(void **state)
{
	struct racer	 r[3];
	pthread_t	 th[3];
	const char	*url = pg_url();
	static const char *const ids[3] = { "n1-1-aa", "n2-2-bb", "n3-3-cc" };
	int		 i, j, won;

	(void)state;
	memset(r, 0, sizeof(r));
	for (j = 0; j < 3; j++) {
		r[j].url = url;
		r[j].id = ids[j];
		assert_int_equal(pthread_create(&th[j], NULL, race_run, &r[j]),
		    0);
	}
	for (j = 0; j < 3; j++)
		pthread_join(th[j], NULL);
	for (i = 0; i < N; i++) {
		for (won = 0, j = 0; j < 3; j++) {
			assert_false(r[j].failed);
			won += r[j].won[i];
		}
		assert_int_equal(won, 1);
	}
}

/* A configuration of n fetching accounts on url. */
static struct config *
cfg_make(const char *url, size_t n, int lease_time)
{
	struct config	*cfg = calloc(1, sizeof(*cfg));
	size_t		 i;

	assert_non_null(cfg);
	cfg->state = (char *)url;
	cfg->lease_time = lease_time;
	cfg->accounts = calloc(n, sizeof(*cfg->accounts));
	assert_non_null(cfg->accounts);
	cfg->naccounts = n;
	for (i = 0; i < n; i++) {
		cfg->accounts[i].name = malloc(32);
		assert_non_null(cfg->accounts[i].name);
		snprintf(cfg->accounts[i].name, 32, "acct%02zu", i);
		cfg->accounts[i].fetch = 1;
	}
	return cfg;
}

static void
cfg_drop(struct config *cfg)
{
	size_t	 i;

	for (i = 0; i < cfg->naccounts; i++)
		free(cfg->accounts[i].name);
	free(cfg->accounts);
	free(cfg);
}

struct lease_seen {
	const char	*owner;		/* count this owner's */
	size_t		 live;		/* unexpired rows */
	size_t		 owned;
	int64_t		 epoch;		/* of acct00 */
};

static int
lease_count(const struct lease_row *row, void *arg)
{
	struct lease_seen	*s = arg;

	if (strcmp(row->account, "acct00") == 0)
		s->epoch = row->epoch;
	if (row->expires_in <= 0)
		return 0;
	s->live++;
	s->owned += strcmp(row->owner, s->owner) == 0;
	return 0;
}

static void
leases_seen(struct state *st, const char *owner, struct lease_seen *s)
{
	char	 err[512];

	memset(s, 0, sizeof(*s));
	s->owner = owner;
	assert_int_equal(state_leases_list(st, lease_count, s, err,
	    sizeof(err)), 0);
}

/*
 * One daemon alone takes every account at start.  Another takes one
 * over (the first "left" as a stalled daemon's lease would expire):
 * the first one's guard says no (at its next renewal at the latest),
 * and a write of its fenced handle fails with "lease lost".
 */
static void
test_pg_takeover(void **state)
{
	const char		*url = pg_url();
	struct config		*cfg = cfg_make(url, 4, 6);
	struct cluster		*c;
	struct cluster_lease	 l;
	struct state		*st, *mine;
	struct lease_seen	 s;
	char			 err[512], id[LEASE_ID_MAX];
	int64_t			 epoch;
	int			 i;

	(void)state;
	c = cluster_start(cfg, "node-a", err, sizeof(err));
	assert_non_null(c);
	assert_true(cluster_shared(c));
	snprintf(id, sizeof(id), "%s", cluster_id(c));
	assert_true(strncmp(id, "node-a-", 7) == 0);
	assert_non_null(st = state_open(url, 0, err, sizeof(err)));
	leases_seen(st, id, &s);
	assert_int_equal(s.owned, 4);
	assert_int_equal(cluster_round_begin(c, "nosuch", &l), 0);
	assert_int_equal(cluster_round_begin(c, "acct00", &l), 1);
	assert_non_null(l.slot);
	assert_int_equal(cluster_guard(&l), 1);
	assert_non_null(mine = state_open(url, 0, err, sizeof(err)));
	assert_int_equal(state_fence(mine, "acct00", id, l.epoch, err,
	    sizeof(err)), 0);
	assert_int_equal(state_server_op_add(mine, "acct00", "INBOX", 1, 5,
	    "flag", "\\Seen", err, sizeof(err)), 0);
	/* a stall past the lease, as the store sees it: expired, taken */
	assert_int_equal(state_daemon_leave(st, id, err, sizeof(err)), 0);
	assert_int_equal(state_lease_take(st, "acct00", "node-b-2-bb", 30,
	    &epoch, err, sizeof(err)), 1);
	assert_int_equal(epoch, l.epoch + 1);
	assert_int_equal(state_server_op_add(mine, "acct00", "INBOX", 1, 6,
	    "flag", "\\Seen", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "lease lost"));
	for (i = 0; i < 200 && cluster_guard(&l); i++)
		nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	assert_int_equal(cluster_guard(&l), 0);
	assert_true(cluster_lease_gone(&l));
	cluster_round_end(&l);
	assert_int_equal(cluster_round_begin(c, "acct00", &l), 0);
	/* stopping gives back the rest: nothing of it is unexpired */
	cluster_stop(c);
	leases_seen(st, id, &s);
	assert_int_equal(s.owned, 0);
	assert_int_equal(s.live, 1);		/* node-b's */
	state_close(mine);
	state_close(st);
	cfg_drop(cfg);
}

/*
 * A stall past the lease (SIGSTOP, then SIGCONT): the guard says no at
 * once, before any renewal could tell; a stall shorter than the margin
 * changes nothing.
 */
static void
test_pg_stall(void **state)
{
	const char		*url = pg_url();
	struct config		*cfg = cfg_make(url, 2, 30);
	struct cluster		*c;
	struct cluster_lease	 l;
	char			 err[512];

	(void)state;
	assert_non_null(c = cluster_start(cfg, "node-a", err, sizeof(err)));
	assert_int_equal(cluster_round_begin(c, "acct01", &l), 1);
	cluster_test_stall(3.0);	/* under lease-time/6 = 5 s */
	assert_int_equal(cluster_guard(&l), 1);
	assert_true(cluster_holds(c, "acct00"));
	cluster_test_stall(27.0);	/* 30 s: past lease-time - margin */
	assert_int_equal(cluster_guard(&l), 0);
	assert_true(cluster_lease_gone(&l));
	assert_false(cluster_holds(c, "acct00"));
	cluster_test_stall(-30.0);
	assert_int_equal(cluster_guard(&l), 1);
	cluster_round_end(&l);
	cluster_stop(c);
	cfg_drop(cfg);
}

/* A second daemon joins: the first gives back down to its share once
 * its threads are out of their rounds, and the second takes them. */
static void
test_pg_rebalance(void **state)
{
	const char	*url = pg_url();
	struct config	*cfg = cfg_make(url, 6, 6);
	struct cluster	*a, *b;
	struct state	*st;
	struct lease_seen sa, sb;
	char		 err[512], ida[LEASE_ID_MAX], idb[LEASE_ID_MAX];
	int		 i;

	(void)state;
	assert_non_null(a = cluster_start(cfg, "node-a", err, sizeof(err)));
	snprintf(ida, sizeof(ida), "%s", cluster_id(a));
	assert_non_null(b = cluster_start(cfg, "node-b", err, sizeof(err)));
	snprintf(idb, sizeof(idb), "%s", cluster_id(b));
	assert_non_null(st = state_open(url, 0, err, sizeof(err)));
	for (i = 0; i < 300; i++) {
		leases_seen(st, ida, &sa);
		leases_seen(st, idb, &sb);
		if (sa.owned == 3 && sb.owned == 3)
			break;
		nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	}
	assert_int_equal(sa.owned, 3);
	assert_int_equal(sb.owned, 3);
	/* a leaves: b takes everything over once it looks again */
	cluster_stop(a);
	for (i = 0; i < 300; i++) {
		leases_seen(st, idb, &sb);
		if (sb.owned == 6)
			break;
		nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	}
	assert_int_equal(sb.owned, 6);
	cluster_stop(b);
	state_close(st);
	cfg_drop(cfg);
}

/*
 * Giving back waits for the account's round to end; a round that never
 * ends (a server that hangs) is not waited for beyond a lease time: its
 * guard says no from the start of the give-back, and the lease goes.
 */
static void
test_pg_give_back_round(void **state)
{
	const char		*url = pg_url();
	struct config		*cfg = cfg_make(url, 2, 6);
	struct cluster		*a, *b;
	struct cluster_lease	 l0, l1;
	struct state		*st;
	struct lease_seen	 sb;
	char			 err[512], idb[LEASE_ID_MAX];
	int			 i, gone = 0;

	(void)state;
	assert_non_null(a = cluster_start(cfg, "node-a", err, sizeof(err)));
	assert_int_equal(cluster_round_begin(a, "acct00", &l0), 1);
	assert_int_equal(cluster_round_begin(a, "acct01", &l1), 1);
	assert_non_null(b = cluster_start(cfg, "node-b", err, sizeof(err)));
	snprintf(idb, sizeof(idb), "%s", cluster_id(b));
	assert_non_null(st = state_open(url, 0, err, sizeof(err)));
	for (i = 0; i < 300; i++) {
		gone = cluster_lease_gone(&l0) + cluster_lease_gone(&l1);
		leases_seen(st, idb, &sb);
		if (sb.owned == 1)
			break;
		assert_int_equal(sb.owned, 0);	/* never both */
		nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	}
	assert_int_equal(sb.owned, 1);
	assert_int_equal(gone, 1);		/* one of the two, no more */
	assert_int_equal(cluster_lease_gone(&l0) + cluster_lease_gone(&l1), 1);
	cluster_round_end(&l0);
	cluster_round_end(&l1);
	cluster_stop(a);
	cluster_stop(b);
	state_close(st);
	cfg_drop(cfg);
}

/* Not shared (SQLite): every account is held, nothing is fenced. */
static void
test_not_shared(void **state)
{
	char			 dir[] = "/tmp/msx-cluster.XXXXXX", path[64];
	char			 cmd[96];
	struct config		*cfg;
	struct cluster		*c;
	struct cluster_lease	 l;
	char			 err[512];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	cfg = cfg_make(path, 2, 30);
	assert_non_null(c = cluster_start(cfg, "solo", err, sizeof(err)));
	assert_false(cluster_shared(c));
	assert_int_equal(cluster_round_begin(c, "acct01", &l), 1);
	assert_null(l.slot);
	assert_int_equal(cluster_guard(&l), 1);
	assert_false(cluster_lease_gone(&l));
	cluster_round_end(&l);
	cluster_stop(c);
	cfg_drop(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_share),
		cmocka_unit_test(test_take_share),
		cmocka_unit_test(test_pins),
		cmocka_unit_test(test_give_back),
		cmocka_unit_test(test_wake),
		cmocka_unit_test(test_not_shared),
		cmocka_unit_test(test_pg_take_race),
		cmocka_unit_test(test_pg_takeover),
		cmocka_unit_test(test_pg_rebalance),
		cmocka_unit_test(test_pg_stall),
		cmocka_unit_test(test_pg_give_back_round),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

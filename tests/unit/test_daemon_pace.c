/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_pace.c - connection pacing (daemon/net/pace.c): the
 * pacer driven by a fake clock (the limit on connections in setup at
 * once, the rate, the jitter's bounds), and the blocking front door
 * with a rate of 0 (no waiting: nothing here depends on timing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "daemon/net/pace.h"

/* Never more than the limit in setup; a finished one frees a slot. */
static void
test_limit(void **state)
{
	struct pacer	*p = pacer_new(3, 0, 1);
	double		 w;
	int		 i;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < 3; i++)
		assert_int_equal(pacer_try(p, 0.0, &w), 1);
	assert_int_equal(pacer_in_setup(p), 3);
	assert_int_equal(pacer_try(p, 0.0, &w), 0);
	assert_true(w > 0);
	assert_int_equal(pacer_try(p, 100.0, &w), 0);	/* time is no cure */
	pacer_done(p);
	assert_int_equal(pacer_in_setup(p), 2);
	assert_int_equal(pacer_try(p, 100.0, &w), 1);
	assert_int_equal(pacer_in_setup(p), 3);
	pacer_free(p);
}

/* One more pacer_done() than starts does not go below 0 (a slot is
 * never made out of nothing). */
static void
test_done_floor(void **state)
{
	struct pacer	*p = pacer_new(1, 0, 1);
	double		 w;

	(void)state;
	assert_non_null(p);
	pacer_done(p);
	assert_int_equal(pacer_in_setup(p), 0);
	assert_int_equal(pacer_try(p, 0.0, &w), 1);
	assert_int_equal(pacer_try(p, 0.0, &w), 0);
	pacer_free(p);
}

/*
 * Rate 50: a fake clock steps to each time the pacer names.  Every gap
 * between two starts lies within [0.5, 1.5] / 50 s (the jitter's
 * bounds), the gaps are not all equal (there is jitter), and 1000
 * starts take about 1000 / 50 s (the rate holds on average).
 */
static void
test_rate_jitter(void **state)
{
	struct pacer	*p = pacer_new(0, 50, 42);
	double		 now = 10.0, last = -1, w, gap, lo = 1, hi = 0;
	int		 started = 0, asks = 0;

	(void)state;
	assert_non_null(p);
	while (started < 1000) {
		assert_true(++asks < 100000);
		if (!pacer_try(p, now, &w)) {
			assert_true(w > 0);
			assert_true(w <= 1.5 / 50 + 1e-9);
			now += w;
			continue;
		}
		if (last >= 0) {
			gap = now - last;
			assert_true(gap >= 0.5 / 50 - 1e-9);
			assert_true(gap <= 1.5 / 50 + 1e-9);
			if (gap < lo)
				lo = gap;
			if (gap > hi)
				hi = gap;
		}
		last = now;
		started++;
		pacer_done(p);
	}
	assert_true(hi - lo > 0.5 / 50);	/* spread, not in step */
	/* 999 gaps averaging 1/50 s: within 10 % of 20 s */
	assert_true(last - 10.0 > 18.0 && last - 10.0 < 22.0);
	pacer_free(p);
}

/* Asking early does not start one: only the time it named does. */
static void
test_rate_early(void **state)
{
	struct pacer	*p = pacer_new(0, 10, 7);
	double		 w, w2;

	(void)state;
	assert_non_null(p);
	assert_int_equal(pacer_try(p, 0.0, &w), 1);
	assert_int_equal(pacer_try(p, 0.0, &w), 0);
	assert_true(w >= 0.05 - 1e-9 && w <= 0.15 + 1e-9);
	assert_int_equal(pacer_try(p, w / 2, &w2), 0);
	assert_true(w2 > 0 && w2 <= w / 2 + 1e-9);
	assert_int_equal(pacer_try(p, w, &w2), 1);
	assert_int_equal(pacer_in_setup(p), 2);	/* no limit: both in */
	pacer_free(p);
}

/* Both at once: 4 in setup and 20 a second; a fake clock and a queue
 * of 200 connections whose setups each take 0.5 s: never more than 4
 * in setup, and starts at most as close as the jitter allows. */
static void
test_limit_and_rate(void **state)
{
	struct pacer	*p = pacer_new(4, 20, 3);
	double		 ends[4], now = 0, w, last = -1;
	int		 n = 0, started = 0, i, max = 0;

	(void)state;
	assert_non_null(p);
	while (started < 200) {
		for (i = 0; i < n; i++) {	/* setups that are over */
			if (ends[i] <= now) {
				pacer_done(p);
				ends[i] = ends[--n];
				i--;
			}
		}
		if (pacer_try(p, now, &w)) {
			assert_true(n < 4);
			ends[n++] = now + 0.5;
			if (n > max)
				max = n;
			if (last >= 0)
				assert_true(now - last >= 0.5 / 20 - 1e-9);
			last = now;
			started++;
			continue;
		}
		assert_true(w > 0);
		now += w < 0.01 ? w : 0.01;
		assert_int_equal(pacer_in_setup(p), n);
	}
	assert_int_equal(max, 4);
	pacer_free(p);
}

/* 0 is no limit and no rate: everything starts at once. */
static void
test_unlimited(void **state)
{
	struct pacer	*p = pacer_new(0, 0, 1);
	double		 w;
	int		 i;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < 10000; i++)
		assert_int_equal(pacer_try(p, 0.0, &w), 1);
	assert_int_equal(pacer_in_setup(p), 10000);
	pacer_free(p);
}

static int	stop_now;

static int
stop_flag(void)
{
	return stop_now;
}

/* The front door: per server; a stop while waiting takes no slot. */
static void
test_front_door(void **state)
{
	struct pace_ticket	 a, b, c;

	(void)state;
	pace_configure(1, 0);
	assert_int_equal(pace_begin("h1", "993", stop_flag, &a), 0);
	assert_non_null(a.p);
	/* another server has its own slot */
	assert_int_equal(pace_begin("h2", "993", stop_flag, &b), 0);
	assert_ptr_not_equal(a.p, b.p);
	/* the same host, another port: another server */
	assert_int_equal(pace_begin("h1", "143", stop_flag, &c), 0);
	assert_ptr_not_equal(a.p, c.p);
	pace_end(&c);
	pace_end(&b);
	/* h1:993 is full: a stop gives up at once */
	stop_now = 1;
	assert_int_equal(pace_begin("h1", "993", stop_flag, &b), -1);
	assert_null(b.p);
	assert_int_equal(pacer_in_setup(a.p), 1);
	stop_now = 0;
	pace_end(&a);
	assert_null(a.p);
	assert_int_equal(pace_begin("h1", "993", stop_flag, &b), 0);
	pace_end(&b);
	pace_end(&b);		/* twice is harmless */
	pace_configure(0, 0);
	assert_int_equal(pace_begin("h1", "993", NULL, &a), 0);
	assert_int_equal(pace_begin("h1", "993", NULL, &b), 0);
	assert_int_equal(pacer_in_setup(a.p), 2);
	pace_end(&a);
	pace_end(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_done_floor),
		cmocka_unit_test(test_rate_jitter),
		cmocka_unit_test(test_rate_early),
		cmocka_unit_test(test_limit_and_rate),
		cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_front_door),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

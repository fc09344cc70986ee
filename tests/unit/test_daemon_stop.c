/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_stop.c - the stop descriptor (daemon/util/stop.c) and the
 * pollable flag under it (daemon/util/wake.c): readable after a reload,
 * winding down or exit is asked and not before, down again once the
 * scheduler took the reload or ended the winding down, raised from a
 * signal handler, a request made before the descriptor existed, and
 * stop_sleep() ending on a stop.  The tests run in order in one
 * process: an exit cannot be taken back, so its test comes last.
 */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/util/stop.h"
#include "daemon/util/wake.h"

/* 1 if fd polls readable now. */
static int
readable(int fd)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };

	assert_true(fd >= 0);
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) != 0;
}

/* A flag raised again and again never blocks, even with the pipe full,
 * and one clear brings it down. */
static void
test_wake_flag(void **state)
{
	struct wake	 w;
	int		 i;

	(void)state;
	assert_int_equal(wake_open(&w), 0);
	assert_false(wake_is_up(&w));
	wake_raise(&w);
	assert_true(wake_is_up(&w));
	assert_true(readable(w.rd));
	wake_clear(&w);
	assert_false(wake_is_up(&w));
	for (i = 0; i < 200000; i++)	/* far past a pipe's 64 KB */
		wake_raise(&w);
	assert_true(wake_is_up(&w));
	wake_clear(&w);
	assert_false(wake_is_up(&w));
	wake_close(&w);
	assert_int_equal(w.rd, -1);
	assert_false(wake_is_up(&w));
	wake_raise(&w);			/* closed: nothing, no crash */
}

/* First test on the stop module: a reload asked before anyone made the
 * descriptor finds it readable once made. */
static void
test_request_before_fd(void **state)
{
	int	 fd;

	(void)state;
	stop_request_reload();
	fd = stop_fd();
	assert_true(fd >= 0);
	assert_true(readable(fd));
	assert_int_equal(stop_reload_take(), 1);
	assert_false(readable(fd));
}

static void
test_reload(void **state)
{
	int	 fd = stop_fd(), ms = 30000;

	(void)state;
	assert_false(readable(fd));
	assert_int_equal(stop_wait_fd(&ms), fd);
	assert_int_equal(ms, 30000);
	stop_request_reload();
	assert_true(readable(fd));
	assert_true(stop_reload_requested());
	assert_false(stop_requested());	/* a reload stops no session */
	/* pending reload: no descriptor (it would wake for nothing), a
	 * short look instead */
	assert_int_equal(stop_wait_fd(&ms), -1);
	assert_true(ms > 0 && ms < 30000);
	ms = -1;
	assert_int_equal(stop_wait_fd(&ms), -1);
	assert_true(ms > 0);
	assert_int_equal(stop_reload_take(), 1);
	assert_int_equal(stop_reload_take(), 0);
	assert_false(readable(fd));
	ms = 30000;
	assert_int_equal(stop_wait_fd(&ms), fd);
	assert_int_equal(ms, 30000);
}

static void
test_winding_down(void **state)
{
	int	 fd = stop_fd();

	(void)state;
	stop_set_winding_down(1);
	assert_true(stop_requested());
	assert_true(readable(fd));
	stop_set_winding_down(0);
	assert_false(stop_requested());
	assert_false(readable(fd));
}

/* A reload that comes during the winding down survives its end. */
static void
test_reload_during_winding_down(void **state)
{
	int	 fd = stop_fd();

	(void)state;
	stop_set_winding_down(1);
	stop_request_reload();
	stop_set_winding_down(0);
	assert_true(readable(fd));
	assert_int_equal(stop_reload_take(), 1);
	assert_false(readable(fd));
}

static void
on_usr1(int sig)
{
	(void)sig;
	stop_request_reload();
}

/* As SIGHUP reaches the daemon: the handler alone raises it. */
static void
test_from_signal_handler(void **state)
{
	struct sigaction	 sa;
	int			 fd = stop_fd();

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	assert_false(readable(fd));
	assert_int_equal(raise(SIGUSR1), 0);
	assert_true(readable(fd));
	assert_int_equal(stop_reload_take(), 1);
	assert_false(readable(fd));
}

static void *
ask_reload(void *arg)
{
	(void)arg;
	stop_request_reload();
	return NULL;
}

/* The scheduler's nap ends when a reload is asked from elsewhere (a
 * nap that missed it would last the hour, and the alarm fails the
 * test); taken, the descriptor is down again. */
static void
test_nap_wakes_on_reload(void **state)
{
	pthread_t	 th;

	(void)state;
	alarm(60);
	assert_int_equal(pthread_create(&th, NULL, ask_reload, NULL), 0);
	stop_nap(3600 * 1000);
	assert_int_equal(pthread_join(th, NULL), 0);
	alarm(0);
	assert_true(stop_reload_requested());
	assert_int_equal(stop_reload_take(), 1);
	assert_false(readable(stop_fd()));
}

static void *
ask_exit(void *arg)
{
	(void)arg;
	stop_request_exit();
	return NULL;
}

/* Last: an exit asked from another thread ends an hour's sleep (a
 * sleep that missed it would hang until the alarm fails the test), and
 * the descriptor stays up whatever the scheduler takes or ends. */
static void
test_exit(void **state)
{
	pthread_t	 th;
	int		 fd = stop_fd();

	(void)state;
	assert_false(readable(fd));
	alarm(60);
	assert_int_equal(pthread_create(&th, NULL, ask_exit, NULL), 0);
	stop_sleep(3600);
	assert_int_equal(pthread_join(th, NULL), 0);
	alarm(0);
	assert_true(stop_exit_requested());
	assert_true(stop_requested());
	assert_true(readable(fd));
	stop_set_winding_down(1);
	stop_set_winding_down(0);
	assert_int_equal(stop_reload_take(), 0);
	assert_true(readable(fd));
	stop_sleep(3600);		/* returns at once */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wake_flag),
		cmocka_unit_test(test_request_before_fd),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_winding_down),
		cmocka_unit_test(test_reload_during_winding_down),
		cmocka_unit_test(test_from_signal_handler),
		cmocka_unit_test(test_nap_wakes_on_reload),
		cmocka_unit_test(test_exit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

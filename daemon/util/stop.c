/* SPDX-License-Identifier: ISC */
/* stop.c - the stop and reload flags and their descriptor; see stop.h. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "daemon/util/stop.h"
#include "daemon/util/wake.h"

/* A reload waits for the scheduler's next tick (200 ms): meanwhile the
 * descriptor is up for nothing a session acts on, so it is left out
 * and sessions look again after this long. */
#define STOP_RELOAD_LOOK_MS	250
/* Without a descriptor (none could be made): look this often. */
#define STOP_POLL_MS		1000

static volatile sig_atomic_t	 exit_asked;
static volatile sig_atomic_t	 reload_asked;
/* Set while the scheduler's threads wind down for a reload. */
static volatile sig_atomic_t	 winding_down;

static pthread_once_t		 stop_once = PTHREAD_ONCE_INIT;
static struct wake		 stop_wake = { -1, -1 };
/* stop_wake is open: a signal handler may raise it. */
static volatile sig_atomic_t	 stop_wake_ready;

static int
stop_any(void)
{
	return exit_asked || reload_asked || winding_down;
}

static void
stop_raise(void)
{
	if (stop_wake_ready)
		wake_raise(&stop_wake);
}

/* The descriptor is made when first asked for; a request that came
 * before it raises it now. */
static void
stop_wake_open(void)
{
	if (wake_open(&stop_wake) == -1)
		return;
	stop_wake_ready = 1;
	if (stop_any())
		stop_raise();
}

/* Down, unless something is still asked: cleared first, so a request
 * that comes meanwhile raises it again and is never lost. */
static void
stop_settle(void)
{
	if (!stop_wake_ready)
		return;
	wake_clear(&stop_wake);
	if (stop_any())
		stop_raise();
}

void
stop_request_exit(void)
{
	exit_asked = 1;
	stop_raise();
}

void
stop_request_reload(void)
{
	reload_asked = 1;
	stop_raise();
}

void
stop_set_winding_down(int on)
{
	winding_down = on != 0;
	if (on)
		stop_raise();
	else
		stop_settle();
}

int
stop_requested(void)
{
	return exit_asked || winding_down;
}

int
stop_exit_requested(void)
{
	return exit_asked;
}

int
stop_reload_requested(void)
{
	return reload_asked;
}

int
stop_reload_take(void)
{
	if (!reload_asked)
		return 0;
	reload_asked = 0;
	stop_settle();
	return 1;
}

int
stop_fd(void)
{
	if (pthread_once(&stop_once, stop_wake_open) != 0 || !stop_wake_ready)
		return -1;
	return stop_wake.rd;
}

int
stop_wait_fd(int *timeout_ms)
{
	int	 fd = stop_fd();

	if (fd == -1 || reload_asked) {
		if (*timeout_ms < 0 || *timeout_ms > (fd == -1 ? STOP_POLL_MS :
		    STOP_RELOAD_LOOK_MS))
			*timeout_ms = fd == -1 ? STOP_POLL_MS :
			    STOP_RELOAD_LOOK_MS;
		return -1;
	}
	return fd;
}

/* One wait on the descriptor (fd -1: none); a failing poll must not
 * turn a wait into a spin. */
static void
stop_poll(int fd, int ms)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	struct timespec	 one = { 1, 0 };

	if (poll(&pfd, fd == -1 ? 0 : 1, ms) == -1 && errno != EINTR)
		(void)nanosleep(&one, NULL);
}

void
stop_nap(int max_ms)
{
	int	 fd = stop_fd();

	/* no descriptor: look as often as the scheduler did before */
	stop_poll(fd, fd == -1 && max_ms > 200 ? 200 : max_ms);
}

void
stop_sleep(long seconds)
{
	int	 ms, fd;

	/* The descriptor is up only for what ends the sleep, so a wait
	 * cut short is one the loop's test ends (an EINTR aside: the
	 * daemon's signals all ask something). */
	while (seconds > 0 && !stop_requested() && !stop_reload_requested()) {
		ms = seconds > 60 ? 60000 : (int)seconds * 1000;
		fd = stop_wait_fd(&ms);
		stop_poll(fd, ms);
		seconds -= ms >= 1000 ? ms / 1000 : 1;
	}
}

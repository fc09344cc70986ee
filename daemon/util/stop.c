/* SPDX-License-Identifier: ISC */
/* stop.c - the stop and reload flags; see stop.h. */
#include <signal.h>

#include "daemon/util/stop.h"

static volatile sig_atomic_t	 exit_asked;
static volatile sig_atomic_t	 reload_asked;
/* Set while the scheduler's threads wind down for a reload. */
static volatile sig_atomic_t	 winding_down;

void
stop_request_exit(void)
{
	exit_asked = 1;
}

void
stop_request_reload(void)
{
	reload_asked = 1;
}

void
stop_set_winding_down(int on)
{
	winding_down = on != 0;
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
	return 1;
}

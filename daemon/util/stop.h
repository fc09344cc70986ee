/* SPDX-License-Identifier: ISC */
/*
 * stop.h - the process's stop and reload requests.
 *
 * Owns three flags: exit (SIGTERM, SIGINT), reload (SIGHUP) and winding
 * down (the scheduler ending its rounds for a reload).  The signal
 * handlers set them (the setters are async-signal-safe: they only store
 * a sig_atomic_t); sources, the outbox drain and the scheduler read them.
 * Never installs a handler itself (sched.c does) and never logs.  A
 * module of its own so that sources can ask "should I stop?" without
 * calling back into the scheduler that called them.
 */
#ifndef DAEMON_STOP_H
#define DAEMON_STOP_H

/* SIGTERM/SIGINT: finish the message in hand, commit, log out, exit. */
void	stop_request_exit(void);
/* SIGHUP: reload the configuration. */
void	stop_request_reload(void);
/* The scheduler joins its threads for a reload: on while it waits. */
void	stop_set_winding_down(int on);

/* What a round asks: stop now (exit asked, or winding down)? */
int	stop_requested(void);
/* Exit asked (a reload's winding down does not count). */
int	stop_exit_requested(void);
/* A reload is pending; stop_reload_take() also clears it. */
int	stop_reload_requested(void);
int	stop_reload_take(void);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * stop.h - the process's stop and reload requests.
 *
 * Owns three flags: exit (SIGTERM, SIGINT), reload (SIGHUP) and winding
 * down (the scheduler ending its rounds for a reload).  The signal
 * handlers set them (the setters are async-signal-safe: they store a
 * sig_atomic_t and write(2) to a pipe); sources, the outbox drain and
 * the scheduler read them.  And a descriptor, readable while any of
 * them is up, for a thread that waits long (IDLE, a poll interval) to
 * poll along with its own: it sleeps for minutes and still stops at
 * once.  Never installs a handler itself (sched.c does) and never
 * logs.  A module of its own so that sources can ask "should I stop?"
 * without calling back into the scheduler that called them.
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

/*
 * Readable while exit, a reload or winding down is asked; no longer
 * once the scheduler has taken the reload (stop_reload_take) or ended
 * the winding down.  -1 if no descriptor could be made.  Poll it, never
 * read it.
 */
int	stop_fd(void);
/*
 * What a long wait polls: stop_fd(), and *timeout_ms as given (< 0:
 * for ever).  But while a reload waits for the scheduler to take it the
 * descriptor is readable for nothing a session acts on: then -1 and a
 * timeout cut to a quarter second, to look again without spinning
 * (also, at a second, when there is no descriptor).
 */
int	stop_wait_fd(int *timeout_ms);
/* Sleep seconds, ending early on exit, a reload or winding down. */
void	stop_sleep(long seconds);
/* The scheduler's wait for requests: at most max_ms, less as soon as
 * one is asked (it is the one that takes a reload, so it waits on the
 * descriptor even then). */
void	stop_nap(int max_ms);

#endif

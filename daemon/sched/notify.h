/* SPDX-License-Identifier: ISC */
/*
 * notify.h - telling systemd how the daemon is (sd_notify(3)), for a
 * unit of Type=notify: READY=1 once the configuration, the rules and
 * the state are loaded and before the first round; STATUS= after every
 * round, one line summing up the accounts and what the last round did;
 * WATCHDOG=1 from the scheduler's loop when the unit sets WatchdogSec=;
 * RELOADING=1 and STOPPING=1 around a reload and at the end.
 *
 * Outside systemd (NOTIFY_SOCKET unset) every call only updates the
 * counts: sd_notify() does nothing then.  Called by sched.c alone; the
 * account threads call notify_round() concurrently (a mutex guards the
 * counts).  Never logs and never fails the caller: a lost notification
 * is systemd's to time out on.
 */
#ifndef DAEMON_NOTIFY_H
#define DAEMON_NOTIFY_H

#include <stddef.h>

/* The status line is cut to this (systemctl shows one line). */
#define NOTIFY_STATUS_MAX	256

/* Forget the last configuration's accounts, expect naccounts, and say
 * READY=1 (again after a reload).  Reads the watchdog interval. */
void	notify_ready(size_t naccounts);
/* An account's round ended: ok or not, and what it fetched and
 * delivered.  Updates the counts and sends the STATUS= line. */
void	notify_round(const char *account, int ok, size_t fetched,
	    size_t delivered);
/* WATCHDOG=1, at most every half interval: call it as often as you
 * like from the loop that must stay alive. */
void	notify_watchdog(void);
void	notify_reloading(void);
/* The new configuration was refused: the old one runs on. */
void	notify_reload_failed(void);
void	notify_stopping(void);

/* The STATUS= line as it would be sent now (for tests). */
void	notify_status_line(char *buf, size_t len);

#endif

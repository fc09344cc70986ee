/* SPDX-License-Identifier: ISC */
/*
 * daemon/sched/ - the scheduler: owns when accounts run (once each, or
 * forever with a poll interval), how many at a time, the backoff after
 * an error, the signal handlers and the reload.  Never talks to a
 * server, a file or the state itself: a round is the source table's
 * fetch (source.h) into a pipeline (pipeline.h), then the outbox
 * (act/outbox-send.h).  Depends on conf/, source/, pipeline/, act/,
 * store/, cluster/ (on a shared store: whether this daemon holds an
 * account's lease, the fence and the guard of its round), oauth/
 * (whether a grant needs a login: such an account is
 * not polled until the user logs in again), metrics/ (record.c: each round's figures) and util/ (stop.h,
 * where its handlers leave the stop and reload requests that everyone
 * else reads).  Tells systemd how it goes through notify.h (READY,
 * STATUS, WATCHDOG; libsystemd), a no-op outside systemd.
 *
 * sched.h - running accounts: one round each (--once) or forever, at most
 * `parallel` rounds at a time, exponential backoff with jitter after an
 * error, signals (SIGTERM/SIGINT: finish the message in hand, commit,
 * log out, exit 0; SIGHUP: reload the config, keeping the old one if the
 * new one is bad).  One failing account never stops the others.
 */
#ifndef DAEMON_SCHED_H
#define DAEMON_SCHED_H

#include "daemon/conf/conf.h"

struct rule_set;
struct cluster;

struct run_opts {
	int		 once;
	int		 dry_run;
	const char	*config_path;
	/* cluster.h's, handed over: a run works only the accounts whose
	 * lease it holds, and stops it (releasing them) at its end */
	struct cluster	*cluster;
};

/* Install the handlers: SIGTERM, SIGINT, SIGHUP set stop.h's flags;
 * SIGPIPE is ignored. */
void	sched_signals_init(void);
/* One round for one account: fetch, deliver, log the summary line.
 * 0 on success, -1 on error (logged). */
int	sched_account_round(const struct config *, const struct account *,
	    const struct rule_set *, int dry_run, int allow_idle);
/* --once: every account once (after SIGTERM, those not yet started are
 * left out); 0 if none failed, 1 otherwise. */
int	sched_run_once(const struct config *, struct rule_set *const *rules,
	    const struct run_opts *);
/* Poll forever (until SIGTERM); *cfg and *rules (one rule set per
 * account, rulesets.h) may be replaced on SIGHUP. */
int	sched_run_forever(struct config **cfg, struct rule_set ***rules,
	    const struct run_opts *);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * pace.h - paces new connections to each server, so that a daemon with
 * thousands of accounts does not start thousands of logins at once (a
 * thundering herd: the server's logins time out, and every account
 * goes to backoff).
 *
 * Per server (host and port): at most `limit` connections in setup
 * (TCP, TLS, greeting, login) at once, and new ones started `rate` a
 * second on average, each gap between two starts drawn between half and
 * one and a half times 1/rate (jitter: starts do not fall into step).
 * A limit or a rate of 0 is no limit.  A session, once logged in, holds
 * no slot.
 *
 * The pacer itself (pacer_*) is pure: it is told the time and says how
 * long to wait, so tests drive it with a fake clock.  pace_begin() and
 * pace_end() are the blocking front door the sources call.  Never
 * touches the network; never logs.
 */
#ifndef DAEMON_NET_PACE_H
#define DAEMON_NET_PACE_H

#define PACE_LIMIT_DEFAULT	16	/* in setup at once, per server */
#define PACE_RATE_DEFAULT	50	/* new connections a second */

struct pacer;

struct pacer	*pacer_new(int limit, int rate, unsigned seed);
void		 pacer_free(struct pacer *);
/* At NOW (seconds, any monotonic origin): 1 if a connection may start,
 * and it is counted in setup until pacer_done(); else 0 and *wait, the
 * seconds after which to ask again. */
int		 pacer_try(struct pacer *, double now, double *wait);
void		 pacer_done(struct pacer *);
int		 pacer_in_setup(const struct pacer *);

/* The limits of every server's pacer from now on (run, reload). */
void		 pace_configure(int limit, int rate);

/* Blocks until a connection to HOST:PORT may start; 0, or -1 when
 * stop() said to give up (no slot taken).  stop may be NULL.  Every 0
 * is followed by one pace_end() once the setup is over, done or not. */
struct pace_ticket {
	struct pacer	*p;
};
int		 pace_begin(const char *host, const char *port,
		    int (*stop)(void), struct pace_ticket *);
void		 pace_end(struct pace_ticket *);

#endif

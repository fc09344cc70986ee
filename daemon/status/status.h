/* SPDX-License-Identifier: ISC */
/*
 * daemon/status/ - how the accounts are doing, for `mailsift status`
 * and the page the metrics listener serves: status.h is the front door.
 *
 * Owns: one report per account from what the store records (its rounds,
 * delivered today and in all, skipped, outbox, server actions pending:
 * state_account_status()) and whether a daemon holds the store now
 * (state_claimed()); on a shared store (store/lease.h) who holds each
 * account's lease and which daemons hold any (status-lease.c); the one
 * judgement of an account's state (ok,
 * failing, idle-waiting, needs attention, new; needs login when its
 * OAuth2 grant was refused, from store/oauth.h); the HTML page of the
 * report (status-html.c); the listener's two paths, / and /metrics
 * (serve.c, over net/httpd.h and metrics/metrics.h).
 *
 * Never: changes what the store records, talks to a mail server, or
 * trusts a string: names, errors and server text in the page are
 * escaped for HTML.  Depends on store/, metrics/, net/ (httpd.h only),
 * util/.
 */
#ifndef DAEMON_STATUS_H
#define DAEMON_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/status/status-lease.h"
#include "daemon/store/state.h"

/* Rounds failed in a row from which an account needs attention, and the
 * age of a queued outbox message that needs it too. */
#define STATUS_ATTENTION_FAILURES	3
#define STATUS_ATTENTION_OUTBOX_AGE	(24 * 3600)

struct status_account {
	char				*name;
	const char			*state;	/* status_judge() */
	/* its OAuth2 grant was refused: "needs login" until the user runs
	 * `mailsift auth login NAME`; why (no token in it), or NULL */
	int				 needs_login;
	char				*login_why;
	struct state_account_status	 s;
};

struct status_report {
	int64_t			 now;
	int64_t			 today;		/* local midnight */
	int			 has_state;	/* the state file exists */
	int			 daemon;	/* a daemon holds it now */
	struct status_account	*v;
	size_t			 n;
	struct status_leases	 leases;	/* who holds v[i] */
};

/* The report on the n accounts named, from the state file at path (a
 * missing file is no error: every account is "new").  0, or -1 with
 * err; free with status_report_free() either way. */
int		 status_collect(const char *path, const char *const *accounts,
		    size_t n, int64_t now, struct status_report *, char *err,
		    size_t errlen);
void		 status_report_free(struct status_report *);
/* "needs login" is set by status_collect() from the grant; else
 * "needs attention", "failing", "new", "idle-waiting" (a daemon runs and
 * the account waits in IDLE or for its next poll) or "ok". */
const char	*status_judge(const struct state_account_status *,
		    int daemon, int64_t now);
/* The phase shown: "polling", "idle", "waiting", or "-" without daemon. */
const char	*status_phase(const struct status_account *, int daemon,
		    int64_t now);

/* For people: a local time "2026-12-04 13:40:02" ("-" for 0), and a
 * duration "45s", "12m", "3h", "2d". */
const char	*status_time(int64_t t, char *buf, size_t len);
const char	*status_age(int64_t seconds, char *buf, size_t len);

/* The report as one HTML page (UTF-8, no script, no external asset);
 * NULL if out of memory, else free() it. */
char		*status_html(const struct status_report *, size_t *len);

/* The metrics listener: / (the page) and /metrics, from a thread of its
 * own that opens the state file at state_path for each request. */
struct status_server;
struct status_server *status_serve_start(const char *spec,
		    const char *state_path, char *err, size_t errlen);
void		 status_serve_stop(struct status_server *);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * daemon/metrics/ - the live counters of a running mailsift, for the
 * Prometheus exposition (/metrics) and the status page.  metrics.h is
 * the front door.
 *
 * Owns: per account, since the process started, the messages fetched,
 * delivered and skipped, the bytes fetched, the rounds and their
 * duration (a histogram), errors by kind, rule actions by type and
 * outcome, outbox messages sent, retried and refused, IMAP sessions in
 * IDLE, the time of the last good round; and the first error logged in
 * the round a thread is running (metrics_round_begin()), so the round's
 * record can say what went wrong.  The exposition of all of it in the
 * text format 0.0.4 (metrics-text.c).
 *
 * Never: logs, touches a file, the store or the network, or includes a
 * header of another daemon/ folder: sched/, pipeline/, act/ and
 * source/ write into it, cmd/ and the listener read it, and it calls
 * nobody back.  Every function is safe from any thread (one mutex).
 */
#ifndef DAEMON_METRICS_H
#define DAEMON_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* A round's end, as sched/ reports it. */
struct metrics_round {
	uint64_t	 fetched;
	uint64_t	 delivered;
	uint64_t	 skipped;
	uint64_t	 bytes;
	double		 seconds;
	int64_t		 end;		/* time(NULL) at its end */
	/* NULL for a good round; else one of "state", "fetch",
	 * "deliver", "message", "outbox" */
	const char	*error_kind;
};

enum metrics_outbox {
	METRICS_OUTBOX_SENT,
	METRICS_OUTBOX_RETRY,
	METRICS_OUTBOX_FAILED
};

/* Make account known, so its series exist (at zero) before its first
 * round. */
void	metrics_account(const char *account);
/* This thread runs a round of account: errors it logs from now on are
 * the round's (metrics_round_error()). */
void	metrics_round_begin(const char *account);
void	metrics_round_end(const char *account, const struct metrics_round *);
/* The first error line logged by this thread since metrics_round_begin(),
 * or "" (into buf, always terminated). */
void	metrics_round_error(char *buf, size_t len);
/* For log.h's hook: note an error line of this thread's round. */
void	metrics_log_line(int is_error, const char *line);
void	metrics_action(const char *account, const char *type, int ok);
void	metrics_outbox(const char *account, enum metrics_outbox);
/* An IMAP session of account starts (on) or stops waiting in IDLE. */
void	metrics_idle(const char *account, int on);
/* The accounts known here, in the order they became known: an array of
 * *n copies, NULL if out of memory; free with metrics_names_free(). */
char	**metrics_account_names(size_t *n);
void	 metrics_names_free(char **, size_t n);
/* Forget everything (tests). */
void	metrics_reset(void);

/* What only the store knows, per account, added to the exposition as
 * gauges. */
struct metrics_gauges {
	const char	*account;
	uint64_t	 outbox_queued;
	int64_t		 outbox_oldest;	/* created; 0 if none queued */
	int64_t		 last_ok;	/* end of the last good round; 0 */
};

/*
 * The exposition, text format 0.0.4: every family with its HELP and TYPE
 * lines; the counters of the accounts known here, in the order they
 * became known, then the store's gauges of the n accounts in g.  now is
 * the time the ages are taken at.  Returns a buffer to free() with its
 * length in *len, or NULL if out of memory.
 */
char	*metrics_text(const struct metrics_gauges *g, size_t n, int64_t now,
	    size_t *len);

#endif

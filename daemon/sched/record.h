/* SPDX-License-Identifier: ISC */
/*
 * record.h - what a round leaves behind besides mail: its figures in the
 * live counters (metrics/metrics.h) and its record in the store
 * (state_round_record()), which `mailsift status`, /metrics and the
 * status page read.  Part of sched/: only sched.c calls it.  A failure
 * to record is logged as a warning and never fails the round.
 */
#ifndef DAEMON_SCHED_RECORD_H
#define DAEMON_SCHED_RECORD_H

struct state;
struct fetch_stats;

/* This thread starts a round of account: errors it logs from now on are
 * the round's. */
void	record_begin(const char *account);
/* The round ended: error_kind NULL if it went well, else what failed
 * ("state", "fetch", "deliver", "message", "outbox").  st may be NULL
 * (the store could not be opened: counted, not recorded). */
void	record_round(struct state *st, const char *account,
	    const struct fetch_stats *fs, const char *error_kind,
	    double seconds);
/* Polling forever: the account waits delay seconds for its next round. */
void	record_next_poll(const char *where, const char *account,
	    long delay);

#endif

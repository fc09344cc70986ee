/* SPDX-License-Identifier: ISC */
/*
 * metrics-int.h - the inside of daemon/metrics/: the counters as
 * metrics.c keeps them and metrics-text.c reads them under the lock.
 */
#ifndef DAEMON_METRICS_INT_H
#define DAEMON_METRICS_INT_H

#include <pthread.h>

#include "daemon/metrics/metrics.h"

/* Upper bounds of the round duration buckets, in seconds; +Inf last. */
#define METRICS_BUCKETS	11
extern const double	 metrics_bucket_le[METRICS_BUCKETS];

/* Error kinds and action (type, outcome) pairs are few: a fixed table
 * per account, the rest counted as "other". */
#define METRICS_PAIRS	32
#define METRICS_WORD	32

struct metrics_pair {
	char		 a[METRICS_WORD];
	char		 b[METRICS_WORD];
	uint64_t	 n;
};

/* The plain counters of an account, by index. */
enum metrics_counter {
	MC_FETCHED,
	MC_DELIVERED,
	MC_SKIPPED,
	MC_BYTES,
	MC_OUTBOX_SENT,
	MC_OUTBOX_RETRY,
	MC_OUTBOX_FAILED,
	MC_MAX
};

struct metrics_acct {
	char		*name;
	uint64_t	 c[MC_MAX];
	uint64_t	 rounds_ok;
	uint64_t	 rounds_failed;
	struct metrics_pair errors[METRICS_PAIRS];
	size_t		 nerrors;
	struct metrics_pair actions[METRICS_PAIRS];
	size_t		 nactions;
	int64_t		 last_ok;
	long		 idle;
	uint64_t	 bucket[METRICS_BUCKETS];	/* not cumulative */
	uint64_t	 count;
	double		 sum;
};

struct metrics_all {
	pthread_mutex_t		 lock;
	struct metrics_acct	**v;
	size_t			 n;
};

extern struct metrics_all	 metrics_all;

#endif

/* SPDX-License-Identifier: ISC */
/* record.c - a round's figures into the counters and the store; see
 * record.h. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/metrics/metrics.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/sched/record.h"
#include "daemon/store/state.h"
#include "daemon/util/log.h"

static pthread_once_t	 hook_once = PTHREAD_ONCE_INIT;

static void
record_log_line(enum log_level level, const char *line)
{
	metrics_log_line(level == LOG_LEVEL_ERROR, line);
}

static void
record_hook(void)
{
	log_set_hook(record_log_line);
}

void
record_begin(const char *account)
{
	(void)pthread_once(&hook_once, record_hook);
	metrics_round_begin(account);
}

void
record_round(struct state *st, const char *account,
    const struct fetch_stats *fs, const char *error_kind, double seconds)
{
	struct metrics_round	 mr;
	struct state_round	 sr;
	char			 why[512], err[1024];
	size_t			 n;

	metrics_round_error(why, sizeof(why));
	memset(&mr, 0, sizeof(mr));
	if (fs != NULL) {
		mr.fetched = fs->fetched;
		mr.delivered = fs->delivered;
		mr.skipped = fs->skipped;
		mr.bytes = fs->bytes;
	}
	mr.seconds = seconds;
	mr.end = (int64_t)time(NULL);
	mr.error_kind = error_kind;
	metrics_round_end(account, &mr);
	if (st == NULL)
		return;
	memset(&sr, 0, sizeof(sr));
	sr.account = account;
	sr.end = mr.end;
	sr.ok = error_kind == NULL;
	sr.fetched = mr.fetched;
	sr.delivered = mr.delivered;
	sr.skipped = mr.skipped;
	sr.bytes = mr.bytes;
	sr.seconds = seconds;
	if (why[0] == '\0')
		snprintf(why, sizeof(why), "the round failed (%s)",
		    error_kind != NULL ? error_kind : "?");
	/* the record is the account's: its name need not open the line */
	n = strlen(account);
	sr.error = strncmp(why, account, n) == 0 && why[n] == ':' &&
	    why[n + 1] == ' ' ? why + n + 2 : why;
	if (state_round_record(st, &sr, err, sizeof(err)) == -1)
		log_warn("%s: %s", account, err);
}

void
record_next_poll(const char *where, const char *account, long delay)
{
	struct state	*st;
	char		 err[1024];

	if ((st = state_open(where, STATE_EXISTING, err,
	    sizeof(err))) == NULL ||
	    state_account_phase(st, account, "waiting", (int64_t)time(NULL) +
	    delay, err, sizeof(err)) == -1)
		log_warn("%s: %s", account, err);
	state_close(st);
}

/* SPDX-License-Identifier: ISC */
/* metrics.c - the live counters; see metrics.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/metrics/metrics-int.h"

const double metrics_bucket_le[METRICS_BUCKETS] = {
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800
};

struct metrics_all metrics_all = { PTHREAD_MUTEX_INITIALIZER, NULL, 0 };

/* The round this thread runs, and the first error it logged. */
static _Thread_local int	 round_active;
static _Thread_local char	 round_error[512];

/* The account's counters, created if new; NULL if out of memory (the
 * counts are then lost, nothing else).  Called with the lock held. */
static struct metrics_acct *
acct_get(const char *name)
{
	struct metrics_acct	**v, *a;
	size_t			 i;

	for (i = 0; i < metrics_all.n; i++)
		if (strcmp(metrics_all.v[i]->name, name) == 0)
			return metrics_all.v[i];
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->name = strdup(name)) == NULL ||
	    (v = reallocarray(metrics_all.v, metrics_all.n + 1,
	    sizeof(*v))) == NULL) {
		if (a != NULL)
			free(a->name);
		free(a);
		return NULL;
	}
	v[metrics_all.n++] = a;
	metrics_all.v = v;
	return a;
}

/* Count one (a, b) in a pair table; the table full, under "other". */
static void
pair_add(struct metrics_pair *t, size_t *n, const char *a, const char *b)
{
	size_t	 i;

	for (i = 0; i < *n; i++)
		if (strcmp(t[i].a, a) == 0 && strcmp(t[i].b, b) == 0)
			break;
	if (i == *n) {
		if (*n >= METRICS_PAIRS - 1) {
			a = "other";
			b = "other";
			for (i = 0; i < *n; i++)
				if (strcmp(t[i].a, a) == 0)
					break;
		}
		if (i == *n) {
			snprintf(t[i].a, sizeof(t[i].a), "%s", a);
			snprintf(t[i].b, sizeof(t[i].b), "%s", b);
			(*n)++;
		}
	}
	t[i].n++;
}

void
metrics_account(const char *account)
{
	pthread_mutex_lock(&metrics_all.lock);
	(void)acct_get(account);
	pthread_mutex_unlock(&metrics_all.lock);
}

void
metrics_round_begin(const char *account)
{
	metrics_account(account);
	round_active = 1;
	round_error[0] = '\0';
}

static void
histogram_add(struct metrics_acct *a, double seconds)
{
	size_t	 i;

	for (i = 0; i < METRICS_BUCKETS; i++)
		if (seconds <= metrics_bucket_le[i])
			break;
	if (i < METRICS_BUCKETS)
		a->bucket[i]++;
	a->count++;
	a->sum += seconds;
}

void
metrics_round_end(const char *account, const struct metrics_round *r)
{
	struct metrics_acct	*a;

	round_active = 0;
	pthread_mutex_lock(&metrics_all.lock);
	if ((a = acct_get(account)) != NULL) {
		a->c[MC_FETCHED] += r->fetched;
		a->c[MC_DELIVERED] += r->delivered;
		a->c[MC_SKIPPED] += r->skipped;
		a->c[MC_BYTES] += r->bytes;
		histogram_add(a, r->seconds);
		if (r->error_kind == NULL) {
			a->rounds_ok++;
			a->last_ok = r->end;
		} else {
			a->rounds_failed++;
			pair_add(a->errors, &a->nerrors, r->error_kind, "");
		}
	}
	pthread_mutex_unlock(&metrics_all.lock);
}

void
metrics_round_error(char *buf, size_t len)
{
	if (len > 0)
		snprintf(buf, len, "%s", round_error);
}

void
metrics_log_line(int is_error, const char *line)
{
	if (is_error && round_active && round_error[0] == '\0')
		snprintf(round_error, sizeof(round_error), "%s", line);
}

void
metrics_action(const char *account, const char *type, int ok)
{
	struct metrics_acct	*a;

	pthread_mutex_lock(&metrics_all.lock);
	if ((a = acct_get(account)) != NULL)
		pair_add(a->actions, &a->nactions, type, ok ? "ok" : "failed");
	pthread_mutex_unlock(&metrics_all.lock);
}

void
metrics_outbox(const char *account, enum metrics_outbox what)
{
	struct metrics_acct	*a;
	static const enum metrics_counter c[] = {
		MC_OUTBOX_SENT, MC_OUTBOX_RETRY, MC_OUTBOX_FAILED
	};

	pthread_mutex_lock(&metrics_all.lock);
	if ((a = acct_get(account)) != NULL)
		a->c[c[what]]++;
	pthread_mutex_unlock(&metrics_all.lock);
}

void
metrics_idle(const char *account, int on)
{
	struct metrics_acct	*a;

	pthread_mutex_lock(&metrics_all.lock);
	if ((a = acct_get(account)) != NULL)
		a->idle += on ? 1 : (a->idle > 0 ? -1 : 0);
	pthread_mutex_unlock(&metrics_all.lock);
}

char **
metrics_account_names(size_t *n)
{
	char	**v;
	size_t	 i;

	pthread_mutex_lock(&metrics_all.lock);
	*n = metrics_all.n;
	if ((v = calloc(*n + 1, sizeof(*v))) != NULL)
		for (i = 0; i < *n; i++)
			if ((v[i] = strdup(metrics_all.v[i]->name)) == NULL) {
				metrics_names_free(v, i);
				v = NULL;
				break;
			}
	pthread_mutex_unlock(&metrics_all.lock);
	return v;
}

void
metrics_names_free(char **v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
metrics_reset(void)
{
	size_t	 i;

	pthread_mutex_lock(&metrics_all.lock);
	for (i = 0; i < metrics_all.n; i++) {
		free(metrics_all.v[i]->name);
		free(metrics_all.v[i]);
	}
	free(metrics_all.v);
	metrics_all.v = NULL;
	metrics_all.n = 0;
	pthread_mutex_unlock(&metrics_all.lock);
	round_active = 0;
	round_error[0] = '\0';
}

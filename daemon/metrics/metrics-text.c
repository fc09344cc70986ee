/* SPDX-License-Identifier: ISC */
/*
 * metrics-text.c - the counters in Prometheus' text exposition format
 * 0.0.4; see metrics.h.  Label values are escaped as the format says
 * (backslash, double quote, line feed), so an account name cannot break
 * a line or a series.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/metrics/metrics-int.h"

struct out {
	char	*p;
	size_t	 len;
	size_t	 size;
	int	 failed;
};

static void
out_add(struct out *o, const char *s, size_t n)
{
	char	*p;
	size_t	 size;

	if (o->failed)
		return;
	if (o->len + n + 1 > o->size) {
		size = o->size == 0 ? 4096 : o->size;
		while (o->len + n + 1 > size)
			size *= 2;
		if ((p = realloc(o->p, size)) == NULL) {
			o->failed = 1;
			return;
		}
		o->p = p;
		o->size = size;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
out_printf(struct out *o, const char *fmt, ...)
{
	char	 buf[512];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		o->failed = 1;	/* only numbers and names we chose go here */
		return;
	}
	out_add(o, buf, (size_t)n);
}

/* A label value, escaped. */
static void
out_label(struct out *o, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			out_add(o, "\\\\", 2);
		else if (*s == '"')
			out_add(o, "\\\"", 2);
		else if (*s == '\n')
			out_add(o, "\\n", 2);
		else
			out_add(o, s, 1);
	}
}

static void
family(struct out *o, const char *name, const char *type, const char *help)
{
	out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{account="A"[,k="v"]...} (the label pairs after the account). */
static void
series(struct out *o, const char *name, const char *account,
    const char *k1, const char *v1, const char *k2, const char *v2)
{
	out_printf(o, "%s{account=\"", name);
	out_label(o, account);
	if (k1 != NULL) {
		out_printf(o, "\",%s=\"", k1);
		out_label(o, v1);
	}
	if (k2 != NULL) {
		out_printf(o, "\",%s=\"", k2);
		out_label(o, v2);
	}
	out_add(o, "\"} ", 3);
}

static void
counter(struct out *o, const char *name, const char *help,
    enum metrics_counter c)
{
	size_t			 i;
	const struct metrics_acct *a;

	family(o, name, "counter", help);
	for (i = 0; i < metrics_all.n; i++) {
		a = metrics_all.v[i];
		series(o, name, a->name, NULL, NULL, NULL, NULL);
		out_printf(o, "%llu\n", (unsigned long long)a->c[c]);
	}
}

static void
counters(struct out *o)
{
	counter(o, "mailsift_messages_fetched_total",
	    "Messages fetched from the account's source.",
	    MC_FETCHED);
	counter(o, "mailsift_messages_delivered_total",
	    "Messages delivered and recorded.",
	    MC_DELIVERED);
	counter(o, "mailsift_messages_skipped_total",
	    "Messages skipped (larger than max-size, or known).",
	    MC_SKIPPED);
	counter(o, "mailsift_fetched_bytes_total",
	    "Bytes of the messages fetched.",
	    MC_BYTES);
	counter(o, "mailsift_outbox_sent_total",
	    "Queued replies and forwards the SMTP server accepted.",
	    MC_OUTBOX_SENT);
	counter(o, "mailsift_outbox_retried_total",
	    "Outbox sends that failed for now and wait to be retried.",
	    MC_OUTBOX_RETRY);
	counter(o, "mailsift_outbox_failed_total",
	    "Outbox messages refused for good.",
	    MC_OUTBOX_FAILED);
}

static void
rounds(struct out *o)
{
	const struct metrics_acct	*a;
	size_t				 i, j;

	family(o, "mailsift_rounds_total", "counter",
	    "Rounds run, by result (ok, error).");
	for (i = 0; i < metrics_all.n; i++) {
		a = metrics_all.v[i];
		series(o, "mailsift_rounds_total", a->name, "result", "ok",
		    NULL, NULL);
		out_printf(o, "%llu\n", (unsigned long long)a->rounds_ok);
		series(o, "mailsift_rounds_total", a->name, "result", "error",
		    NULL, NULL);
		out_printf(o, "%llu\n", (unsigned long long)a->rounds_failed);
	}
	family(o, "mailsift_errors_total", "counter", "Failed rounds by the "
	    "kind of error (state, fetch, deliver, message, outbox).");
	for (i = 0; i < metrics_all.n; i++)
		for (a = metrics_all.v[i], j = 0; j < a->nerrors; j++) {
			series(o, "mailsift_errors_total", a->name, "kind",
			    a->errors[j].a, NULL, NULL);
			out_printf(o, "%llu\n",
			    (unsigned long long)a->errors[j].n);
		}
	family(o, "mailsift_actions_total", "counter",
	    "Rule actions carried out, by type and outcome (ok, failed).");
	for (i = 0; i < metrics_all.n; i++)
		for (a = metrics_all.v[i], j = 0; j < a->nactions; j++) {
			series(o, "mailsift_actions_total", a->name, "action",
			    a->actions[j].a, "outcome", a->actions[j].b);
			out_printf(o, "%llu\n",
			    (unsigned long long)a->actions[j].n);
		}
}

static void
histogram(struct out *o)
{
	const char			*h = "mailsift_round_duration_seconds";
	const struct metrics_acct	*a;
	char				 le[32];
	uint64_t			 cum;
	size_t				 i, j;

	family(o, h, "histogram", "How long rounds took.");
	for (i = 0; i < metrics_all.n; i++) {
		a = metrics_all.v[i];
		for (cum = 0, j = 0; j < METRICS_BUCKETS; j++) {
			cum += a->bucket[j];
			snprintf(le, sizeof(le), "%g", metrics_bucket_le[j]);
			series(o, "mailsift_round_duration_seconds_bucket",
			    a->name, "le", le, NULL, NULL);
			out_printf(o, "%llu\n", (unsigned long long)cum);
		}
		series(o, "mailsift_round_duration_seconds_bucket", a->name,
		    "le", "+Inf", NULL, NULL);
		out_printf(o, "%llu\n", (unsigned long long)a->count);
		series(o, "mailsift_round_duration_seconds_sum", a->name,
		    NULL, NULL, NULL, NULL);
		out_printf(o, "%.6f\n", a->sum);
		series(o, "mailsift_round_duration_seconds_count", a->name,
		    NULL, NULL, NULL, NULL);
		out_printf(o, "%llu\n", (unsigned long long)a->count);
	}
}

static const struct metrics_gauges *
gauges_of(const struct metrics_gauges *g, size_t n, const char *account)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (g[i].account != NULL && strcmp(g[i].account, account) == 0)
			return &g[i];
	return NULL;
}

/* The store's gauges: for the accounts we count, then any others. */
static void
store_gauges(struct out *o, const struct metrics_gauges *g, size_t n,
    int64_t now)
{
	const struct metrics_gauges	*x;
	size_t				 i;

	family(o, "mailsift_outbox_messages", "gauge",
	    "Replies and forwards queued, not yet sent.");
	for (i = 0; i < n; i++) {
		series(o, "mailsift_outbox_messages", g[i].account, NULL,
		    NULL, NULL, NULL);
		out_printf(o, "%llu\n",
		    (unsigned long long)g[i].outbox_queued);
	}
	family(o, "mailsift_outbox_oldest_age_seconds", "gauge",
	    "Age of the oldest queued outbox message (0: none).");
	for (i = 0; i < n; i++) {
		series(o, "mailsift_outbox_oldest_age_seconds", g[i].account,
		    NULL, NULL, NULL, NULL);
		x = &g[i];
		out_printf(o, "%lld\n", x->outbox_oldest > 0 &&
		    now > x->outbox_oldest ?
		    (long long)(now - x->outbox_oldest) : 0LL);
	}
}

static void
live_gauges(struct out *o, const struct metrics_gauges *g, size_t n)
{
	const struct metrics_gauges	*x;
	const struct metrics_acct	*a;
	int64_t				 t;
	size_t				 i;

	family(o, "mailsift_last_success_timestamp_seconds", "gauge",
	    "When the last good round ended (Unix time; 0: never).");
	for (i = 0; i < metrics_all.n; i++) {
		a = metrics_all.v[i];
		t = a->last_ok;
		if ((x = gauges_of(g, n, a->name)) != NULL && x->last_ok > t)
			t = x->last_ok;
		series(o, "mailsift_last_success_timestamp_seconds", a->name,
		    NULL, NULL, NULL, NULL);
		out_printf(o, "%lld\n", (long long)t);
	}
	family(o, "mailsift_idle_sessions", "gauge",
	    "IMAP sessions waiting in IDLE.");
	for (i = 0; i < metrics_all.n; i++) {
		a = metrics_all.v[i];
		series(o, "mailsift_idle_sessions", a->name, NULL, NULL,
		    NULL, NULL);
		out_printf(o, "%ld\n", a->idle);
	}
}

char *
metrics_text(const struct metrics_gauges *g, size_t n, int64_t now,
    size_t *len)
{
	struct out	 o;

	memset(&o, 0, sizeof(o));
	pthread_mutex_lock(&metrics_all.lock);
	counters(&o);
	rounds(&o);
	histogram(&o);
	live_gauges(&o, g, n);
	pthread_mutex_unlock(&metrics_all.lock);
	store_gauges(&o, g, n, now);
	if (o.failed) {
		free(o.p);
		return NULL;
	}
	*len = o.len;
	return o.p;
}

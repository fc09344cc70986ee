/* SPDX-License-Identifier: ISC */
/*
 * serve.c - what the metrics listener serves: /metrics (the counters of
 * metrics.h and the store's gauges) and / (the status page), for the
 * accounts the counters know (every configured one is made known at
 * the start; an account added by a reload, at its first round).  The
 * store is opened for each request, from the listener's thread: a
 * handle belongs to one thread (state.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/metrics/metrics.h"
#include "daemon/net/httpd.h"
#include "daemon/status/status.h"
#include "daemon/util/log.h"

struct status_server {
	struct httpd	*h;
	char		*state_path;
};

/* The report on the accounts the counters know; -1 (logged) if the store
 * cannot tell, with r still usable (every account "new"). */
static int
serve_report(const struct status_server *sv, struct status_report *r)
{
	char	**names, err[1024];
	size_t	 n = 0;
	int	 rv;

	if ((names = metrics_account_names(&n)) == NULL) {
		memset(r, 0, sizeof(*r));
		return -1;
	}
	rv = status_collect(sv->state_path, (const char *const *)names, n,
	    (int64_t)time(NULL), r, err, sizeof(err));
	if (rv == -1)
		log_warn("metrics-listen: %s", err);
	metrics_names_free(names, n);
	return rv;
}

static void
serve_metrics(const struct status_server *sv, struct httpd_reply *rep)
{
	struct status_report	 r;
	struct metrics_gauges	*g;
	size_t			 i, n = 0;

	/* without the store, the counters still go out */
	if (serve_report(sv, &r) == 0 &&
	    (g = calloc(r.n + 1, sizeof(*g))) != NULL) {
		for (i = 0; i < r.n; i++) {
			g[i].account = r.v[i].name;
			g[i].outbox_queued = r.v[i].s.outbox_queued;
			g[i].outbox_oldest = r.v[i].s.outbox_oldest;
			g[i].last_ok = r.v[i].s.last_ok;
		}
		n = r.n;
	} else
		g = NULL;
	rep->body = metrics_text(g, n, (int64_t)time(NULL), &rep->len);
	rep->status = rep->body != NULL ? 200 : 500;
	rep->type = "text/plain; version=0.0.4; charset=utf-8";
	free(g);
	status_report_free(&r);
}

static void
serve_page(const struct status_server *sv, struct httpd_reply *rep)
{
	struct status_report	 r;

	if (serve_report(sv, &r) == -1) {
		status_report_free(&r);
		rep->status = 500;
		return;
	}
	rep->body = status_html(&r, &rep->len);
	rep->status = rep->body != NULL ? 200 : 500;
	rep->type = "text/html; charset=utf-8";
	status_report_free(&r);
}

static void
serve(void *ctx, const char *path, struct httpd_reply *rep)
{
	const struct status_server	*sv = ctx;

	if (strcmp(path, "/metrics") == 0)
		serve_metrics(sv, rep);
	else if (strcmp(path, "/") == 0)
		serve_page(sv, rep);
	else
		rep->status = 404;
}

struct status_server *
status_serve_start(const char *spec, const char *state_path, char *err,
    size_t errlen)
{
	struct status_server	*sv;

	if ((sv = calloc(1, sizeof(*sv))) == NULL ||
	    (sv->state_path = strdup(state_path)) == NULL) {
		snprintf(err, errlen, "metrics-listen: out of memory");
		free(sv);
		return NULL;
	}
	if ((sv->h = httpd_start(spec, serve, sv, err, errlen)) == NULL) {
		free(sv->state_path);
		free(sv);
		return NULL;
	}
	return sv;
}

void
status_serve_stop(struct status_server *sv)
{
	if (sv == NULL)
		return;
	httpd_stop(sv->h);
	free(sv->state_path);
	free(sv);
}

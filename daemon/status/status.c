/* SPDX-License-Identifier: ISC */
/* status.c - each account's report from the store; see status.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/status/status.h"
#include "daemon/store/oauth.h"

const char *
status_judge(const struct state_account_status *s, int daemon, int64_t now)
{
	if (s->failures >= STATUS_ATTENTION_FAILURES ||
	    (s->outbox_queued > 0 && s->outbox_oldest > 0 &&
	    now - s->outbox_oldest > STATUS_ATTENTION_OUTBOX_AGE))
		return "needs attention";
	if (s->failures > 0)
		return "failing";
	if (s->phase == NULL && s->last_ok == 0)
		return "new";
	if (daemon && s->phase != NULL && (strcmp(s->phase, "idle") == 0 ||
	    (strcmp(s->phase, "waiting") == 0 && s->next_poll > now)))
		return "idle-waiting";
	return "ok";
}

const char *
status_phase(const struct status_account *a, int daemon, int64_t now)
{
	const char	*p = a->s.phase;

	if (!daemon || p == NULL)
		return "-";
	/* the wait is over: its round is running */
	if (strcmp(p, "waiting") == 0 && a->s.next_poll <= now)
		return "polling";
	return p;
}

/* Local midnight of now: "today" starts there. */
static int64_t
day_start(int64_t now)
{
	struct tm	 tm;
	time_t		 t = (time_t)now;

	if (localtime_r(&t, &tm) == NULL)
		return now - now % 86400;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

static int
report_init(struct status_report *r, const char *const *accounts, size_t n,
    int64_t now, char *err, size_t errlen)
{
	size_t	 i;

	memset(r, 0, sizeof(*r));
	r->now = now;
	r->today = day_start(now);
	if ((r->v = calloc(n + 1, sizeof(*r->v))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		if ((r->v[i].name = strdup(accounts[i])) == NULL)
			goto nomem;
		r->n++;
		r->v[i].state = "new";
	}
	return 0;
nomem:
	snprintf(err, errlen, "status: out of memory");
	return -1;
}

/* Accounts whose OAuth2 grant needs a login: that is their state,
 * whatever their rounds say (they are not polled until then). */
static int
report_grants(struct state *st, struct status_report *r, char *err,
    size_t errlen)
{
	struct oauth_grant	*g;
	size_t			 n, i, j;

	if (state_oauth_list(st, &g, &n, err, errlen) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (!g[i].needs_login)
			continue;
		for (j = 0; j < r->n; j++) {
			if (strcmp(r->v[j].name, g[i].account) != 0)
				continue;
			r->v[j].needs_login = 1;
			r->v[j].state = "needs login";
			if (g[i].error != NULL && r->v[j].login_why == NULL)
				r->v[j].login_why = strdup(g[i].error);
		}
	}
	state_oauth_list_free(g, n);
	return 0;
}

int
status_collect(const char *path, const char *const *accounts, size_t n,
    int64_t now, struct status_report *r, char *err, size_t errlen)
{
	struct state	*st;
	size_t		 i;
	int		 claimed;

	if (report_init(r, accounts, n, now, err, errlen) == -1)
		return -1;
	if ((claimed = state_exists(path, err, errlen)) != 1)
		return claimed;	/* 0: nothing ran yet */
	if ((st = state_open(path, STATE_EXISTING, err, errlen)) == NULL)
		return -1;
	r->has_state = 1;
	if ((claimed = state_claimed(st, err, errlen)) == -1 ||
	    status_leases_collect(st, accounts, n, &r->leases, err,
	    errlen) == -1)
		goto fail;
	/* daemons sharing a store hold leases, not its claim */
	r->daemon = r->leases.shared ? r->leases.ndaemons > 0 : claimed;
	for (i = 0; i < r->n; i++) {
		if (state_account_status(st, r->v[i].name, r->today,
		    &r->v[i].s, err, errlen) == -1)
			goto fail;
		r->v[i].state = status_judge(&r->v[i].s, r->daemon, now);
	}
	if (report_grants(st, r, err, errlen) == -1)
		goto fail;
	state_close(st);
	return 0;
fail:
	state_close(st);
	return -1;
}

void
status_report_free(struct status_report *r)
{
	size_t	 i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].login_why);
		state_account_status_clear(&r->v[i].s);
	}
	status_leases_free(&r->leases, r->n);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

const char *
status_time(int64_t t, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (t == 0 || localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return "-";
	return buf;
}

const char *
status_age(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 2 * 3600)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(buf, len, "%lldh", (long long)(s / 3600));
	else
		snprintf(buf, len, "%lldd", (long long)(s / 86400));
	return buf;
}

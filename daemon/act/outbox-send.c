/* SPDX-License-Identifier: ISC */
/*
 * outbox-send.c - the outbox drain: what replies, forwards and redirects
 * queued (reply.c) is sent at the end of the round, one batch per call,
 * with what the server said recorded before QUIT; a temporary failure
 * comes again after a backoff, a lasting one is recorded as failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/act/outbox-send.h"
#include "daemon/metrics/metrics.h"
#include "daemon/send/smtp.h"
#include "daemon/store/outbox.h"
#include "daemon/util/guard.h"
#include "daemon/util/log.h"

#define OUTBOX_BATCH	32
#define RETRY_BASE	60
#define RETRY_MAX	3600

/* "a\nb\n" into a NULL-terminated vector pointing into s (modified). */
static size_t
split_rcpts(char *s, const char **v, size_t max)
{
	size_t	 n = 0;
	char	*p;

	while (*s != '\0' && n < max) {
		if ((p = strchr(s, '\n')) != NULL)
			*p = '\0';
		if (*s != '\0')
			v[n++] = s;
		if (p == NULL)
			break;
		s = p + 1;
	}
	return n;
}

struct send_ctx {
	struct state		*st;
	const struct outbox_entry *e;
	const char		*srv;
	int			 rv;
};

/* What the server said, recorded before QUIT (smtp_send_then): the
 * window in which a crash sends the message twice is this commit. */
static void
send_record(void *arg, const struct smtp_result *res)
{
	struct send_ctx			*x = arg;
	const struct outbox_entry	*e = x->e;
	char				 err[512];
	int64_t				 delay;
	int				 rv;

	if (res->status == SMTP_OK) {
		rv = state_outbox_sent(x->st, e->id, err, sizeof(err));
		metrics_outbox(e->account, METRICS_OUTBOX_SENT);
		if (rv == 0)
			log_info("%s: sent queued message %lld via %s",
			    e->account, (long long)e->id, x->srv);
	} else if (res->status == SMTP_TEMPFAIL) {
		delay = RETRY_BASE << (e->attempts < 6 ? e->attempts : 6);
		if (delay > RETRY_MAX)
			delay = RETRY_MAX;
		log_warn("%s: queued message %lld: %s; trying again in %lld s",
		    e->account, (long long)e->id, res->error,
		    (long long)delay);
		metrics_outbox(e->account, METRICS_OUTBOX_RETRY);
		rv = state_outbox_retry(x->st, e->id, (int64_t)time(NULL) +
		    delay, res->error, err, sizeof(err));
	} else {
		log_error("%s: queued message %lld refused for good: %s",
		    e->account, (long long)e->id, res->error);
		metrics_outbox(e->account, METRICS_OUTBOX_FAILED);
		rv = state_outbox_failed(x->st, e->id, res->error, err,
		    sizeof(err));
	}
	if (rv == -1)
		log_error("%s", err);
	x->rv = res->status == SMTP_OK ? rv : -1;
}

static int
send_one(const struct config *cfg, struct state *st, struct outbox_entry *e)
{
	const struct smtp_server *srv = config_smtp(cfg, e->smtp);
	struct smtp_result	 res;
	struct send_ctx		 x;
	const char		*rcpts[64];
	char			 err[512];
	size_t			 n;

	if (srv == NULL) {
		metrics_outbox(e->account, METRICS_OUTBOX_FAILED);
		return state_outbox_failed(st, e->id, "smtp section gone from "
		    "the configuration", err, sizeof(err));
	}
	n = split_rcpts(e->rcpts, rcpts, 64);
	memset(&res, 0, sizeof(res));
	x.st = st;
	x.e = e;
	x.srv = srv->name;
	x.rv = -1;
	(void)smtp_send_then(srv, e->sender, rcpts, n, e->data, e->len, &res,
	    send_record, &x);
	smtp_result_free(&res);
	return x.rv;
}

int
outbox_send(const struct config *cfg, struct state *st,
    const char *account)
{
	struct outbox_entry	*v;
	char			 err[512];
	size_t			 n, i;
	int			 rv = 0, refused = 0;

	if (state_outbox_due(st, account, (int64_t)time(NULL), OUTBOX_BATCH,
	    &v, &n, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	for (i = 0; i < n; i++) {
		/* queued, it waits for the lease's next holder */
		if (!refused && !guard_ok()) {
			log_warn("%s: %zu queued messages not sent: the "
			    "account's lease is lost or given back", account,
			    n - i);
			refused = 1;
			rv = -1;
		}
		if (!refused && send_one(cfg, st, &v[i]) == -1)
			rv = -1;
		state_outbox_entry_free(&v[i]);
	}
	free(v);
	if (rv == -1)
		return -1;
	return n == OUTBOX_BATCH;
}

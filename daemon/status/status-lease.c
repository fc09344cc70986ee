/* SPDX-License-Identifier: ISC */
/*
 * status-lease.c - on a shared store, who works which account: each
 * account's lease while it is held, and the daemons that hold leases
 * (a live daemon holding none is not seen here); see status.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/status/status.h"
#include "daemon/store/lease.h"

static struct status_account *
account_of(struct status_report *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0)
			return &r->v[i];
	return NULL;
}

static int
daemon_count(struct status_report *r, const struct lease_row *row)
{
	struct status_daemon	*d;
	size_t			 i;

	for (i = 0; i < r->ndaemons; i++)
		if (strcmp(r->daemons[i].id, row->owner) == 0) {
			r->daemons[i].accounts++;
			return 0;
		}
	/* r->n + 1 slots: one per account at most */
	d = &r->daemons[r->ndaemons];
	if ((d->id = strdup(row->owner)) == NULL ||
	    (d->node = strdup(row->host)) == NULL)
		return -1;
	d->accounts = 1;
	r->ndaemons++;
	return 0;
}

static int
lease_row(const struct lease_row *row, void *arg)
{
	struct status_report	*r = arg;
	struct status_account	*a;
	struct status_lease	*l;

	if (row->expires_in <= 0 || (a = account_of(r, row->account)) == NULL)
		return 0;	/* not held, or not configured here */
	l = &a->lease;
	if ((l->node = strdup(row->host)) == NULL ||
	    (l->id = strdup(row->owner)) == NULL)
		return -1;
	l->held = 1;
	l->epoch = row->epoch;
	l->expires_in = row->expires_in;
	return daemon_count(r, row);
}

int
status_leases(struct state *st, struct status_report *r, char *err,
    size_t errlen)
{
	if (!state_shared(st))
		return 0;
	r->shared = 1;
	if ((r->daemons = calloc(r->n + 1, sizeof(*r->daemons))) == NULL)
		goto nomem;
	err[0] = '\0';
	if (state_leases_list(st, lease_row, r, err, errlen) == 0)
		return 0;
	if (err[0] != '\0')
		return -1;	/* the store's; else the callback's, below */
nomem:
	snprintf(err, errlen, "status: out of memory");
	return -1;
}

void
status_leases_free(struct status_report *r)
{
	size_t	 i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].lease.node);
		free(r->v[i].lease.id);
		memset(&r->v[i].lease, 0, sizeof(r->v[i].lease));
	}
	for (i = 0; i < r->ndaemons; i++) {
		free(r->daemons[i].id);
		free(r->daemons[i].node);
	}
	free(r->daemons);
	r->daemons = NULL;
	r->ndaemons = 0;
}

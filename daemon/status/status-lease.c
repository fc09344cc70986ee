/* SPDX-License-Identifier: ISC */
/* status-lease.c - who holds which account's lease; see status-lease.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/status/status-lease.h"
#include "daemon/store/lease.h"

struct collect {
	struct status_leases	*out;
	const char *const	*accounts;
	size_t			 n;
};

static struct status_lease *
lease_of(struct collect *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->accounts[i], name) == 0)
			return &c->out->v[i];
	return NULL;
}

static int
daemon_count(struct status_leases *r, const struct lease_row *row)
{
	struct status_daemon	*d;
	size_t			 i;

	for (i = 0; i < r->ndaemons; i++)
		if (strcmp(r->daemons[i].id, row->owner) == 0) {
			r->daemons[i].accounts++;
			return 0;
		}
	/* n + 1 slots: one per account at most */
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
	struct collect		*c = arg;
	struct status_lease	*l;

	if (row->expires_in <= 0 || (l = lease_of(c, row->account)) == NULL)
		return 0;	/* not held, or not configured here */
	if ((l->node = strdup(row->host)) == NULL ||
	    (l->id = strdup(row->owner)) == NULL)
		return -1;
	l->held = 1;
	l->epoch = row->epoch;
	l->expires_in = row->expires_in;
	return daemon_count(c->out, row);
}

int
status_leases_collect(struct state *st, const char *const *accounts,
    size_t n, struct status_leases *r, char *err, size_t errlen)
{
	struct collect	 c = { r, accounts, n };

	memset(r, 0, sizeof(*r));
	if (!state_shared(st))
		return 0;
	r->shared = 1;
	if ((r->v = calloc(n + 1, sizeof(*r->v))) == NULL ||
	    (r->daemons = calloc(n + 1, sizeof(*r->daemons))) == NULL)
		goto nomem;
	err[0] = '\0';
	if (state_leases_list(st, lease_row, &c, err, errlen) == 0)
		return 0;
	if (err[0] != '\0')
		return -1;	/* the store's; else the callback's, below */
nomem:
	snprintf(err, errlen, "status: out of memory");
	return -1;
}

void
status_leases_free(struct status_leases *r, size_t n)
{
	size_t	 i;

	for (i = 0; r->v != NULL && i < n; i++) {
		free(r->v[i].node);
		free(r->v[i].id);
	}
	free(r->v);
	r->v = NULL;
	for (i = 0; i < r->ndaemons; i++) {
		free(r->daemons[i].id);
		free(r->daemons[i].node);
	}
	free(r->daemons);
	r->daemons = NULL;
	r->ndaemons = 0;
}

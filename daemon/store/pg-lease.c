/* SPDX-License-Identifier: ISC */
/*
 * pg-lease.c - lease.h on PostgreSQL: the daemon and lease tables of
 * pg-schema.c (whose comment is the design: the one statement that
 * takes a lease, renewal, release, and the fence that pg_begin()
 * checks).  Every time is the database's now(); a daemon's clock never
 * decides who holds what.  Each operation is one statement, outside any
 * transaction of the handle's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/pg-int.h"

int
pg_shared(struct state_impl *st)
{
	(void)st;
	return 1;
}

int
pg_daemon_beat(struct state_impl *st, const char *id, const char *host,
    long pid, int ttl, size_t *live, char *err, size_t errlen)
{
	struct pg_num	 p, t;
	const char	*vals[4];
	PGresult	*r;

	vals[0] = id;
	vals[1] = host;
	vals[2] = pg_i64(&p, pid);
	vals[3] = pg_i64(&t, ttl);
	/* the count sees the row of this statement too: a CTE's rows are
	 * not visible to the outer query, so it adds itself */
	if ((r = pg_run(st, "recording the daemon", "WITH me AS ("
	    "INSERT INTO daemon (id, host, pid) VALUES ($1, $2, $3)"
	    " ON CONFLICT (id) DO UPDATE SET seen = now(),"
	    " host = excluded.host, pid = excluded.pid RETURNING id)"
	    " SELECT 1 + (SELECT count(*) FROM daemon"
	    "  WHERE id <> $1 AND seen > now() - make_interval(secs => $4))"
	    " FROM me", 4, vals, NULL, NULL, err, errlen)) == NULL)
		return -1;
	*live = PQntuples(r) == 1 ? (size_t)pg_get_i64(r, 0, 0) : 1;
	PQclear(r);
	return 0;
}

int
pg_daemon_leave(struct state_impl *st, const char *id, char *err,
    size_t errlen)
{
	const char	*vals[1] = { id };

	return pg_exec(st, "removing the daemon", "WITH gone AS ("
	    "UPDATE lease SET expires = now() WHERE owner = $1"
	    " AND expires > now())"
	    " DELETE FROM daemon WHERE id = $1", 1, vals, err, errlen);
}

int
pg_lease_take(struct state_impl *st, const char *account, const char *id,
    int ttl, int64_t *epoch, char *err, size_t errlen)
{
	struct pg_num	 t;
	const char	*vals[3];
	PGresult	*r;
	int		 taken;

	vals[0] = account;
	vals[1] = id;
	vals[2] = pg_i64(&t, ttl);
	/* pg-schema.c: of two takers at once, the second's conflict waits
	 * for the first's row and then finds it unexpired */
	if ((r = pg_run(st, "taking a lease", "INSERT INTO lease"
	    " (account, owner, epoch, expires)"
	    " VALUES ($1, $2, 1, now() + make_interval(secs => $3))"
	    " ON CONFLICT (account) DO UPDATE SET owner = excluded.owner,"
	    " epoch = lease.epoch + 1, expires = excluded.expires"
	    " WHERE lease.expires < now() RETURNING epoch", 3, vals, NULL,
	    NULL, err, errlen)) == NULL)
		return -1;
	if ((taken = PQntuples(r) == 1))
		*epoch = pg_get_i64(r, 0, 0);
	PQclear(r);
	return taken;
}

/* kept[i] for every account the statement gave back. */
static void
pg_renew_kept(const PGresult *r, const char *const *accounts, size_t n,
    unsigned char *kept)
{
	int	 row;
	size_t	 i;

	memset(kept, 0, n);
	for (row = 0; row < PQntuples(r); row++)
		for (i = 0; i < n; i++)
			if (strcmp(PQgetvalue(r, row, 0), accounts[i]) == 0)
				kept[i] = 1;
}

int
pg_leases_renew(struct state_impl *st, const char *id, int ttl,
    const char *const *accounts, const int64_t *epochs, size_t n,
    unsigned char *kept, char *err, size_t errlen)
{
	struct pg_array	 acc = { 0 }, eps = { 0 };
	struct pg_num	 t;
	const char	*vals[4];
	PGresult	*r = NULL;
	size_t		 i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		pg_array_str(&acc, accounts[i]);
		pg_array_i64(&eps, epochs[i]);
	}
	vals[0] = id;
	vals[1] = pg_i64(&t, ttl);
	if ((vals[2] = pg_array_end(&acc)) == NULL ||
	    (vals[3] = pg_array_end(&eps)) == NULL)
		snprintf(err, errlen, "state %s: renewing leases: out of "
		    "memory", st->shown);
	else
		r = pg_run(st, "renewing leases", "UPDATE lease"
		    " SET expires = now() + make_interval(secs => $2)"
		    " FROM unnest($3::text[], $4::int8[])"
		    "  AS mine(account, epoch)"
		    " WHERE lease.account = mine.account"
		    " AND lease.epoch = mine.epoch AND lease.owner = $1"
		    " RETURNING lease.account", 4, vals, NULL, NULL, err,
		    errlen);
	pg_array_free(&acc);
	pg_array_free(&eps);
	if (r == NULL)
		return -1;
	pg_renew_kept(r, accounts, n, kept);
	PQclear(r);
	return 0;
}

int
pg_lease_release(struct state_impl *st, const char *account,
    const char *id, int64_t epoch, char *err, size_t errlen)
{
	struct pg_num	 e;
	const char	*vals[3];

	vals[0] = account;
	vals[1] = id;
	vals[2] = pg_i64(&e, epoch);
	return pg_exec(st, "releasing a lease", "UPDATE lease"
	    " SET expires = now() WHERE account = $1 AND owner = $2"
	    " AND epoch = $3 AND expires > now()", 3, vals, err, errlen);
}

int
pg_leases_list(struct state_impl *st,
    int (*fn)(const struct lease_row *, void *), void *arg, char *err,
    size_t errlen)
{
	struct lease_row	 row;
	PGresult		*r;
	int			 i, rv = 0;

	if ((r = pg_run(st, "listing leases", "SELECT l.account, l.owner,"
	    " coalesce(d.host, ''), l.epoch,"
	    " floor(extract(epoch FROM l.expires - now()))::int8"
	    " FROM lease l LEFT JOIN daemon d ON d.id = l.owner"
	    " ORDER BY l.account", 0, NULL, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r) && rv == 0; i++) {
		row.account = PQgetvalue(r, i, 0);
		row.owner = PQgetvalue(r, i, 1);
		row.host = PQgetvalue(r, i, 2);
		row.epoch = pg_get_i64(r, i, 3);
		row.expires_in = pg_get_i64(r, i, 4);
		rv = fn(&row, arg);
	}
	PQclear(r);
	return rv;
}

int
pg_fence(struct state_impl *st, const char *account, const char *id,
    int64_t epoch, char *err, size_t errlen)
{
	if (strlen(account) >= sizeof(st->fence_account) ||
	    strlen(id) >= sizeof(st->fence_owner)) {
		snprintf(err, errlen, "state %s: account %s: name or daemon id "
		    "too long to fence", st->shown, account);
		return -1;
	}
	snprintf(st->fence_account, sizeof(st->fence_account), "%s", account);
	snprintf(st->fence_owner, sizeof(st->fence_owner), "%s", id);
	st->fence_epoch = epoch;
	return 0;
}

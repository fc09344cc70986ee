/* SPDX-License-Identifier: ISC */
/*
 * pg-pool.h - the PostgreSQL backend's connections (pg-pool.c): one
 * pool per URL and process, lending a connection for as long as a
 * statement, a transaction or an advisory lock needs it; handles own
 * none.  Only daemon/store/pg*.c include it, through pg-int.h.
 */
#ifndef DAEMON_STORE_PG_POOL_H
#define DAEMON_STORE_PG_POOL_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct pg_pool;

/* The pool of url, shared (counted) until the last put; NULL: out of
 * memory. */
struct pg_pool	*pg_pool_get(const char *url);
void		 pg_pool_put(struct pg_pool *);
/* A connection of the pool, waiting for one to come back if all are
 * lent; NULL with "state SHOWN: ..." in err. */
PGconn		*pg_pool_lend(struct pg_pool *, const char *shown, char *err,
		    size_t errlen);
void		 pg_pool_back(struct pg_pool *, PGconn *);
/* A connection of its own (pg_claim()): NULL with err set. */
PGconn		*pg_connect(const char *url, const char *shown, char *err,
		    size_t errlen);
/* Reset a connection found broken: 0 if it is good again. */
int		 pg_pool_fix(PGconn *);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * pg-write.h - what the PostgreSQL backend's operation files
 * (pg-status.c, pg-outbox.c, pg-queue.c, pg-serverops.c, pg-msgid.c,
 * pg-oauth.c) share beyond pg-int.h: one write in its own transaction,
 * fenced or not, and the count of rows a statement changed.  Inside
 * daemon/store/pg*.c only.
 */
#ifndef DAEMON_STORE_PG_WRITE_H
#define DAEMON_STORE_PG_WRITE_H

#include "daemon/store/pg-int.h"

/*
 * Run one statement that writes (pg_run()'s arguments) as a call of its
 * own.  PG_FENCED on a fenced handle: inside pg_begin(PG_FENCED) ...
 * pg_commit(), so the lease check and the write commit together;
 * otherwise alone, a single statement being atomic by itself.  The
 * number of rows changed, or -1 with err set (nothing changed).
 */
int64_t		 pg_write(struct state_impl *, int fenced, const char *what,
		    const char *sql, int n, const char *const *vals,
		    const int *lens, const int *fmts, char *err,
		    size_t errlen);
/* The rows an INSERT, UPDATE or DELETE changed (PQcmdTuples()). */
int64_t		 pg_changed(PGresult *);
/* A copy of a text column, NULL for NULL (pg_get_str() gives ""):
 * 0, or -1 when out of memory. */
int		 pg_get_opt(PGresult *, int row, int col, char **dst);

#endif

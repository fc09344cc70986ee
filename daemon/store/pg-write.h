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
/*
 * The rows of r as a new array of elements of size bytes: load(r, row,
 * element) fills one (0, or -1 out of memory, the element left clear),
 * clear(element) frees one.  r is PQclear()ed.  0 with *out (NULL if no
 * rows) and *n, or -1 with "out of memory" in err and nothing kept.
 */
int		 pg_rows_load(PGresult *r, size_t size,
		    int (*load)(PGresult *, int, void *),
		    void (*clear)(void *), void **out, size_t *n, char *err,
		    size_t errlen);
/* A copy of a text column, NULL for NULL (pg_get_str() gives ""):
 * 0, or -1 when out of memory. */
int		 pg_get_opt(PGresult *, int row, int col, char **dst);

#endif

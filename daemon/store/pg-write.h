/* SPDX-License-Identifier: ISC */
/*
 * pg-write.h - what the PostgreSQL backend's operation files
 * (pg-admin.c, pg-status.c, pg-outbox.c, pg-queue.c, pg-serverops.c,
 * pg-msgid.c, pg-oauth.c) share beyond pg-int.h: one write in its own
 * transaction, fenced or not, the count of rows a statement changed, a
 * SELECT's rows kept as an array, a message text made valid UTF-8, and
 * a text column that may be NULL.
 * Inside daemon/store/pg*.c only.
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
/* How to keep one row of a result: load(r, row, element) fills one
 * (0, or -1 out of memory, the element left clear), clear(element)
 * frees one. */
struct pg_rowtype {
	size_t	 size;
	int	(*load)(PGresult *, int, void *);
	void	(*clear)(void *);
};
/* Run a SELECT (pg_run()'s arguments) and keep its rows as a new array
 * of t's elements: 0 with *out (NULL if no rows) and *n, or -1 with err
 * set and nothing kept. */
int		 pg_rows(struct state_impl *, const char *what, const char *sql,
		    int nvals, const char *const *vals,
		    const struct pg_rowtype *t, void **out, size_t *n,
		    char *err, size_t errlen);
/*
 * A message text (an error, a reason) as PostgreSQL's UTF8 text takes
 * it: s itself if it is valid UTF-8 (or NULL), else a copy in *copy
 * with every byte that is not replaced by '?' (the caller frees *copy).
 * SQLite stores any bytes; PostgreSQL refuses the whole statement, and
 * a server's reply may carry anything.  NULL when out of memory.  Only
 * for texts shown to people: a key or an address must fail, not
 * change.
 */
const char	*pg_utf8(const char *s, char **copy);
/*
 * The same into buf (len bytes, cut at a whole character), for a
 * Message-ID: a sender writes any bytes there, and a message the store
 * cannot record would be fetched again every round.  Both sides of a
 * comparison (state_seen_content()) go through it, so two ids differing
 * only in bytes that are not UTF-8 compare equal, as ids cut at
 * STATE_MSGID_MAX do.  Returns buf (NULL for NULL).
 */
const char	*pg_utf8_fit(const char *s, char *buf, size_t len);
/* pg_write() (all parameters text) with vals[at], a message text, made
 * valid UTF-8 first (pg_utf8()). */
int64_t		 pg_write_text(struct state_impl *, int fenced,
		    const char *what, const char *sql, int n,
		    const char **vals, int at, char *err, size_t errlen);
/* A copy of a text column, NULL for NULL (pg_get_str() gives ""):
 * 0, or -1 when out of memory. */
int		 pg_get_opt(PGresult *, int row, int col, char **dst);

#endif

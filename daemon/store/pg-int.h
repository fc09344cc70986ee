/* SPDX-License-Identifier: ISC */
/*
 * pg-int.h - the inside of the PostgreSQL backend: what the pg-*.c
 * files share - the handle (struct state_impl), the query, error and
 * transaction helpers (pg.c), and the operations pg-backend.c collects
 * into pg_backend (backend.h).  Nothing outside daemon/store/pg*.c
 * includes it.
 *
 * Conventions of every pg_*() operation:
 *   - parameters go as text through pg_run() (never spliced into SQL),
 *     binary only for BYTEA (sha256, message bytes);
 *   - a write that belongs to an account is one transaction opened with
 *     pg_begin(st, PG_FENCED, ...): the fence of lease.h is checked
 *     first, inside it; round statistics and OAuth2 grants use
 *     PG_UNFENCED;
 *   - errors read "state <URL as state_redact() shows it>: what:
 *     PostgreSQL's message", never the password;
 *   - the schema is pg-schema.c's; its meaning is state.h's, the same
 *     as the SQLite backend's (sqlite-*.c are the reference: same
 *     records, same answers, same errors where a test checks them).
 */
#ifndef DAEMON_STORE_PG_INT_H
#define DAEMON_STORE_PG_INT_H

#include <libpq-fe.h>

#include "daemon/store/backend.h"
#include "daemon/store/lease.h"
#include "daemon/store/state.h"

struct state_impl {
	PGconn		*conn;
	char		*url;		/* as given: for PQconnectdb only */
	char		*shown;		/* state_redact()ed: for messages */
	int		 in_tx;		/* between pg_begin and commit */
	int		 oauth_locked;	/* pg_oauth_lock() holds one */
	int64_t		 oauth_key;	/* ... on this advisory key */
	/* state_fence(): empty account if the handle is not fenced */
	char		 fence_account[256];
	char		 fence_owner[LEASE_ID_MAX];
	int64_t		 fence_epoch;
	char		 daemon_id[LEASE_ID_MAX];	/* pg_claim()'s row */
};

#define PG_UNFENCED	0
#define PG_FENCED	1

/* Write "state SHOWN: what: PostgreSQL's reason" into err (from r if
 * not NULL, else the connection's); returns -1. */
int		 pg_fail(struct state_impl *, const char *what,
		    const PGresult *r, char *err, size_t errlen);
/*
 * Run one statement with n parameters: vals[i] text (NULL: SQL NULL),
 * or binary of lens[i] bytes where fmts[i] is 1 (lens and fmts NULL:
 * all text).  Returns the result (PGRES_COMMAND_OK or TUPLES_OK; the
 * caller PQclear()s it) or NULL with err set.  Outside a transaction a
 * connection found broken (a server restart) is reset and the
 * statement tried once more.
 */
PGresult	*pg_run(struct state_impl *, const char *what, const char *sql,
		    int n, const char *const *vals, const int *lens,
		    const int *fmts, char *err, size_t errlen);
/* pg_run() for a statement whose rows are not wanted: 0 or -1. */
int		 pg_exec(struct state_impl *, const char *what,
		    const char *sql, int n, const char *const *vals,
		    char *err, size_t errlen);
/* BEGIN; with PG_FENCED on a fenced handle, then the lease check
 * (lease.h): "lease lost" in err and rolled back if it fails. */
int		 pg_begin(struct state_impl *, int fenced, char *err,
		    size_t errlen);
int		 pg_commit(struct state_impl *, char *err, size_t errlen);
void		 pg_rollback(struct state_impl *);
/* Numbers as parameters and out of results. */
struct pg_num {
	char	 s[24];
};
const char	*pg_i64(struct pg_num *, int64_t);
int64_t		 pg_get_i64(const PGresult *, int row, int col);
/* A copy of a text column ("" for NULL) or of a BYTEA column (text
 * format, unescaped; NUL after its *len bytes); NULL: out of memory. */
char		*pg_get_str(const PGresult *, int row, int col);
unsigned char	*pg_get_bytea(const PGresult *, int row, int col,
		    size_t *len);
/* "" for NULL: POP3 accounts have one folder, "". */
const char	*pg_folder_name(const char *);

#endif

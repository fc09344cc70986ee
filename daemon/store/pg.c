/* SPDX-License-Identifier: ISC */
/*
 * pg.c - the helpers every pg-*.c file shares (pg-int.h): running a
 * statement on a connection lent by the pool (pg-pool.c), errors that
 * name the store and never its password, transactions with the lease
 * check of lease.h, and values in and out of results.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/pg-int.h"

/* SQLSTATEs of a server going away: the connection is as good as
 * broken even if libpq has not noticed yet (admin_shutdown,
 * crash_shutdown, cannot_connect_now). */
static int
pg_broken(PGconn *c, const PGresult *r)
{
	const char	*state;

	if (PQstatus(c) == CONNECTION_BAD)
		return 1;
	state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	return state != NULL && (strcmp(state, "57P01") == 0 ||
	    strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0 ||
	    strncmp(state, "08", 2) == 0);
}

static int
pg_ok(const PGresult *r)
{
	ExecStatusType	 s = PQresultStatus(r);

	return r != NULL && (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK);
}

/* The reason in r, else in c: the primary message, one line. */
int
pg_fail_conn(struct state_impl *st, PGconn *c, const char *what,
    const PGresult *r, char *err, size_t errlen)
{
	const char	*m = NULL;

	if (r != NULL && (m = PQresultErrorField(r,
	    PG_DIAG_MESSAGE_PRIMARY)) == NULL)
		m = PQresultErrorMessage(r);
	if ((m == NULL || m[0] == '\0') && c != NULL)
		m = PQerrorMessage(c);
	if (m == NULL || m[0] == '\0')
		m = r == NULL ? "out of memory" : "no reason given";
	snprintf(err, errlen, "state %s: %s: %.*s", st->shown, what,
	    (int)strcspn(m, "\n"), m);
	return -1;
}

int
pg_fail(struct state_impl *st, const char *what, const PGresult *r,
    char *err, size_t errlen)
{
	return pg_fail_conn(st, st->conn, what, r, err, errlen);
}

static PGresult *
pg_exec_on(PGconn *c, const char *sql, int n, const char *const *vals,
    const int *lens, const int *fmts)
{
	if (n == 0)
		return PQexec(c, sql);
	return PQexecParams(c, sql, n, NULL, vals, lens, fmts, 0);
}

/*
 * On c: once, or twice if the first try found c broken and retry is
 * set (then nothing of a transaction can be lost: there is none).
 */
static PGresult *
pg_run_on(struct state_impl *st, PGconn *c, int retry, const char *what,
    const char *sql, int n, const char *const *vals, const int *lens,
    const int *fmts, char *err, size_t errlen)
{
	PGresult	*r;

	r = pg_exec_on(c, sql, n, vals, lens, fmts);
	if (!pg_ok(r) && retry && pg_broken(c, r) && pg_pool_fix(c) == 0) {
		PQclear(r);
		r = pg_exec_on(c, sql, n, vals, lens, fmts);
	}
	if (pg_ok(r))
		return r;
	pg_fail_conn(st, c, what, r, err, errlen);
	PQclear(r);
	return NULL;
}

PGresult *
pg_run(struct state_impl *st, const char *what, const char *sql, int n,
    const char *const *vals, const int *lens, const int *fmts, char *err,
    size_t errlen)
{
	PGconn		*c;
	PGresult	*r;

	/* a transaction or an advisory lock is on this connection */
	if (st->conn != NULL)
		return pg_run_on(st, st->conn, 0, what, sql, n, vals, lens,
		    fmts, err, errlen);
	if ((c = pg_pool_lend(st->pool, st->shown, err, errlen)) == NULL)
		return NULL;
	r = pg_run_on(st, c, 1, what, sql, n, vals, lens, fmts, err, errlen);
	pg_pool_back(st->pool, c);
	return r;
}

int
pg_exec(struct state_impl *st, const char *what, const char *sql, int n,
    const char *const *vals, char *err, size_t errlen)
{
	PGresult	*r;

	if ((r = pg_run(st, what, sql, n, vals, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

int
pg_hold(struct state_impl *st, char *err, size_t errlen)
{
	if (st->conn != NULL)
		return 0;
	if ((st->conn = pg_pool_lend(st->pool, st->shown, err,
	    errlen)) == NULL)
		return -1;
	return 1;
}

void
pg_release(struct state_impl *st)
{
	if (st->conn == NULL || st->in_tx || st->oauth_locked)
		return;
	pg_pool_back(st->pool, st->conn);
	st->conn = NULL;
}

/* The lease check of lease.h, first thing in a fenced transaction. */
static int
pg_fence_check(struct state_impl *st, char *err, size_t errlen)
{
	struct pg_num	 epoch;
	const char	*vals[3];
	PGresult	*r;
	int		 held;

	vals[0] = st->fence_account;
	vals[1] = st->fence_owner;
	vals[2] = pg_i64(&epoch, st->fence_epoch);
	if ((r = pg_run(st, "checking the lease", "SELECT 1 FROM lease"
	    " WHERE account = $1 AND owner = $2 AND epoch = $3 FOR SHARE",
	    3, vals, NULL, NULL, err, errlen)) == NULL)
		return -1;
	held = PQntuples(r) == 1;
	PQclear(r);
	if (held)
		return 0;
	snprintf(err, errlen, "state %s: account %s: lease lost (another "
	    "daemon holds it now)", st->shown, st->fence_account);
	return -1;
}

int
pg_begin(struct state_impl *st, int fenced, char *err, size_t errlen)
{
	PGresult	*r;
	int		 lent;

	if (st->in_tx) {
		snprintf(err, errlen, "state %s: a transaction is already "
		    "open on this handle", st->shown);
		return -1;
	}
	if ((lent = pg_hold(st, err, errlen)) == -1)
		return -1;
	/* BEGIN is the first statement: safe to try again if broken */
	if ((r = pg_run_on(st, st->conn, lent, "starting a transaction",
	    "BEGIN", 0, NULL, NULL, NULL, err, errlen)) == NULL) {
		pg_release(st);
		return -1;
	}
	PQclear(r);
	st->in_tx = 1;
	if (fenced == PG_FENCED && st->fence_account[0] != '\0' &&
	    pg_fence_check(st, err, errlen) == -1) {
		pg_rollback(st);
		return -1;
	}
	return 0;
}

int
pg_commit(struct state_impl *st, char *err, size_t errlen)
{
	PGresult	*r;

	if (!st->in_tx) {
		snprintf(err, errlen, "state %s: committing: no transaction "
		    "is open", st->shown);
		return -1;
	}
	r = pg_run_on(st, st->conn, 0, "committing", "COMMIT", 0, NULL, NULL,
	    NULL, err, errlen);
	/* a failed COMMIT ends the transaction too (rolled back) */
	st->in_tx = 0;
	pg_release(st);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

void
pg_rollback(struct state_impl *st)
{
	if (!st->in_tx)
		return;
	/* a broken connection has nothing left to roll back */
	if (PQstatus(st->conn) == CONNECTION_OK)
		PQclear(PQexec(st->conn, "ROLLBACK"));
	st->in_tx = 0;
	pg_release(st);
}

const char *
pg_i64(struct pg_num *n, int64_t v)
{
	snprintf(n->s, sizeof(n->s), "%lld", (long long)v);
	return n->s;
}

int64_t
pg_get_i64(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return (int64_t)strtoll(PQgetvalue(r, row, col), NULL, 10);
}

char *
pg_get_str(const PGresult *r, int row, int col)
{
	return strdup(PQgetvalue(r, row, col));	/* "" for NULL */
}

unsigned char *
pg_get_bytea(const PGresult *r, int row, int col, size_t *len)
{
	unsigned char	*raw, *copy;
	size_t		 n = 0;

	*len = 0;
	if (PQgetisnull(r, row, col))
		return calloc(1, 1);
	if ((raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row,
	    col), &n)) == NULL)
		return NULL;
	if ((copy = malloc(n + 1)) != NULL) {
		memcpy(copy, raw, n);
		copy[n] = '\0';
		*len = n;
	}
	PQfreemem(raw);
	return copy;
}

const char *
pg_folder_name(const char *folder)
{
	return folder != NULL ? folder : "";
}

/* Append n bytes of s, growing the buffer; remembers running out. */
static void
pg_array_put(struct pg_array *a, const char *s, size_t n)
{
	char	*ns;
	size_t	 cap;

	if (a->oom)
		return;
	if (a->cap - a->len < n + 2) {
		cap = (a->cap + n + 2) * 2;
		if ((ns = realloc(a->s, cap)) == NULL) {
			a->oom = 1;
			return;
		}
		a->s = ns;
		a->cap = cap;
	}
	memcpy(a->s + a->len, s, n);
	a->len += n;
	a->s[a->len] = '\0';
}

/* The separator before an element: "{" first, "," after. */
static void
pg_array_next(struct pg_array *a)
{
	pg_array_put(a, a->len == 0 ? "{" : ",", 1);
}

void
pg_array_str(struct pg_array *a, const char *s)
{
	size_t	 n;

	pg_array_next(a);
	if (s == NULL) {
		pg_array_put(a, "NULL", 4);
		return;
	}
	/* quoted: an element may hold ',', '{', spaces or be "NULL" */
	pg_array_put(a, "\"", 1);
	while (*s != '\0') {
		n = strcspn(s, "\"\\");
		pg_array_put(a, s, n);
		if (s[n] == '\0')
			break;
		pg_array_put(a, "\\", 1);
		pg_array_put(a, s + n, 1);
		s += n + 1;
	}
	pg_array_put(a, "\"", 1);
}

void
pg_array_i64(struct pg_array *a, int64_t v)
{
	struct pg_num	 n;

	pg_array_next(a);
	pg_i64(&n, v);
	pg_array_put(a, n.s, strlen(n.s));
}

void
pg_array_hex(struct pg_array *a, const unsigned char *p, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 two[2];
	size_t			 i;

	pg_array_next(a);
	if (p == NULL) {
		pg_array_put(a, "NULL", 4);
		return;
	}
	pg_array_put(a, "\"", 1);
	for (i = 0; i < n; i++) {
		two[0] = hex[p[i] >> 4];
		two[1] = hex[p[i] & 0xf];
		pg_array_put(a, two, 2);
	}
	pg_array_put(a, "\"", 1);
}

const char *
pg_array_end(struct pg_array *a)
{
	if (a->len == 0)
		pg_array_put(a, "{", 1);
	pg_array_put(a, "}", 1);
	return a->oom ? NULL : a->s;
}

void
pg_array_free(struct pg_array *a)
{
	free(a->s);
	memset(a, 0, sizeof(*a));
}

PGresult *
pg_run_fenced(struct state_impl *st, const char *what, const char *sql,
    int n, const char *const *vals, const int *lens, const int *fmts,
    char *err, size_t errlen)
{
	PGresult	*r;

	/* unfenced, one statement is a transaction of its own; inside the
	 * caller's transaction, its pg_begin() checked the lease */
	if (st->fence_account[0] == '\0' || st->in_tx)
		return pg_run(st, what, sql, n, vals, lens, fmts, err, errlen);
	if (pg_begin(st, PG_FENCED, err, errlen) == -1)
		return NULL;
	if ((r = pg_run(st, what, sql, n, vals, lens, fmts, err,
	    errlen)) == NULL) {
		pg_rollback(st);
		return NULL;
	}
	if (pg_commit(st, err, errlen) == -1) {
		PQclear(r);
		return NULL;
	}
	return r;
}

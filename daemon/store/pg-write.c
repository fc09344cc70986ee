/* SPDX-License-Identifier: ISC */
/*
 * pg-write.c - one write as a call of its own, fenced or not, and
 * the result helpers the PostgreSQL backend's operation files share
 * (see pg-write.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/pg-write.h"

int64_t
pg_changed(PGresult *r)
{
	const char	*s = PQcmdTuples(r);

	/* "" for a statement that counts nothing */
	return s[0] == '\0' ? 0 : strtoll(s, NULL, 10);
}

int64_t
pg_write(struct state_impl *st, int fenced, const char *what,
    const char *sql, int n, const char *const *vals, const int *lens,
    const int *fmts, char *err, size_t errlen)
{
	PGresult	*r;
	int64_t		 changed;

	r = fenced == PG_FENCED ?
	    pg_run_fenced(st, what, sql, n, vals, lens, fmts, err, errlen) :
	    pg_run(st, what, sql, n, vals, lens, fmts, err, errlen);
	if (r == NULL)
		return -1;
	changed = pg_changed(r);
	PQclear(r);
	return changed;
}

int
pg_get_opt(PGresult *r, int row, int col, char **dst)
{
	*dst = NULL;
	if (PQgetisnull(r, row, col))
		return 0;
	return (*dst = strdup(PQgetvalue(r, row, col))) == NULL ? -1 : 0;
}

static int
rows_keep(PGresult *r, const struct pg_rowtype *t, void **out, size_t *n,
    char *err, size_t errlen)
{
	unsigned char	*v = NULL;
	int		 rows = PQntuples(r), i = 0;

	if (rows > 0 && (v = calloc((size_t)rows, t->size)) == NULL)
		goto fail;
	for (i = 0; i < rows; i++)
		if (t->load(r, i, v + (size_t)i * t->size) == -1)
			goto fail;
	*out = v;
	*n = (size_t)rows;
	return 0;
fail:
	while (i > 0)
		t->clear(v + (size_t)--i * t->size);
	free(v);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
pg_rows(struct state_impl *st, const char *what, const char *sql, int nvals,
    const char *const *vals, const struct pg_rowtype *t, void **out,
    size_t *n, char *err, size_t errlen)
{
	PGresult	*r;
	int		 rv;

	*out = NULL;
	*n = 0;
	if ((r = pg_run(st, what, sql, nvals, vals, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	rv = rows_keep(r, t, out, n, err, errlen);
	PQclear(r);
	return rv;
}

/* The length of the valid UTF-8 sequence at p (RFC 3629: no overlong
 * form, no surrogate, nothing past U+10FFFF), 0 if there is none. */
static size_t
utf8_seq(const unsigned char *p)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

const char *
pg_utf8(const char *s, char **copy)
{
	const unsigned char	*p;
	unsigned char		*q;
	size_t			 k;

	*copy = NULL;
	if (s == NULL)
		return NULL;
	for (p = (const unsigned char *)s; *p != '\0'; p += k)
		if ((k = utf8_seq(p)) == 0)
			break;
	if (*p == '\0')
		return s;
	if ((*copy = strdup(s)) == NULL)
		return NULL;
	for (q = (unsigned char *)*copy; *q != '\0'; q += k)
		if ((k = utf8_seq(q)) == 0) {
			*q = '?';
			k = 1;
		}
	return *copy;
}

const char *
pg_utf8_fit(const char *s, char *buf, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 k, n = 0;

	if (s == NULL)
		return NULL;
	while (*p != '\0') {
		if ((k = utf8_seq(p)) == 0) {
			k = 1;
			if (n + 1 >= len)
				break;
			buf[n++] = '?';
		} else {
			if (n + k >= len)
				break;
			memcpy(buf + n, p, k);
			n += k;
		}
		p += k;
	}
	buf[n] = '\0';
	return buf;
}

int64_t
pg_write_text(struct state_impl *st, int fenced, const char *what,
    const char *sql, int n, const char **vals, int at, char *err,
    size_t errlen)
{
	char	*copy = NULL;
	int64_t	 rv;

	if (vals[at] != NULL && (vals[at] = pg_utf8(vals[at], &copy)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rv = pg_write(st, fenced, what, sql, n, vals, NULL, NULL, err, errlen);
	free(copy);
	return rv;
}

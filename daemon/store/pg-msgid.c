/* SPDX-License-Identifier: ISC */
/* pg-msgid.c - providers' message ids (Gmail's X-GM-MSGID), PostgreSQL
 * backend; see msgid.h, and sqlite-msgid.c for the same records on
 * SQLite.  The ids are unsigned 64-bit: stored as the same bits in a
 * signed BIGINT.  A folder's ids are looked up a chunk at a time, one
 * statement per chunk, not one per id. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/store/msgid.h"
#include "daemon/store/pg-write.h"

/* Ids per statement: bounds the array literal (about 21 bytes each). */
#define MSGID_CHUNK	4096

/* The array literal "{id,id,...}" of n ids into buf (big enough). */
static void
msgid_array(const uint64_t *ids, size_t n, char *buf, size_t len)
{
	size_t	 off = 0, i;

	buf[off++] = '{';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%" PRId64,
		    i == 0 ? "" : ",", (int64_t)ids[i]);
	snprintf(buf + off, len - off, "}");
}

static int
msgids_known_chunk(struct state_impl *st, const char *account,
    const uint64_t *ids, size_t n, unsigned char *known, char *buf,
    size_t len, char *err, size_t errlen)
{
	const char	*vals[2];
	PGresult	*r;
	int64_t		 at;
	int		 rows, i;

	msgid_array(ids, n, buf, len);
	vals[0] = account;
	vals[1] = buf;
	/* the positions (1-based) of the ids recorded */
	if ((r = pg_run(st, "reading message ids", "SELECT u.i FROM"
	    " unnest($2::bigint[]) WITH ORDINALITY AS u(id, i) WHERE EXISTS"
	    " (SELECT 1 FROM provider_msgid p WHERE p.account = $1 AND"
	    " p.msgid = u.id)", 2, vals, NULL, NULL, err, errlen)) == NULL)
		return -1;
	rows = PQntuples(r);
	for (i = 0; i < rows; i++) {
		at = pg_get_i64(r, i, 0);
		if (at >= 1 && (uint64_t)at <= n)
			known[at - 1] = 1;
	}
	PQclear(r);
	return 0;
}

int
pg_msgids_known(struct state_impl *st, const char *account,
    const uint64_t *ids, size_t n, unsigned char *known, char *err,
    size_t errlen)
{
	char	*buf;
	size_t	 len, off, k;
	int	 rv = 0;

	if (n == 0)
		return 0;
	memset(known, 0, n);
	len = (n < MSGID_CHUNK ? n : MSGID_CHUNK) * 21 + 3;
	if ((buf = malloc(len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (off = 0; off < n && rv == 0; off += k) {
		k = n - off < MSGID_CHUNK ? n - off : MSGID_CHUNK;
		rv = msgids_known_chunk(st, account, ids + off, k, known + off,
		    buf, len, err, errlen);
	}
	free(buf);
	return rv;
}

int
pg_msgid_record(struct state_impl *st, const char *account, uint64_t id,
    const char *folder, uint32_t uid, char *err, size_t errlen)
{
	struct pg_num	 a, b, c;
	const char	*vals[5];

	vals[0] = account;
	vals[1] = pg_i64(&a, (int64_t)id);
	vals[2] = pg_folder_name(folder);
	vals[3] = pg_i64(&b, uid);
	vals[4] = pg_i64(&c, (int64_t)time(NULL));
	return pg_write(st, PG_FENCED, "recording a message id", "INSERT INTO"
	    " provider_msgid (account, msgid, folder, uid, time) VALUES ($1,"
	    " $2, $3, $4, $5) ON CONFLICT (account, msgid) DO NOTHING", 5,
	    vals, NULL, NULL, err, errlen) == -1 ? -1 : 0;
}

int
pg_msgids_forget(struct state_impl *st, const char *account,
    const char *folder, const uint32_t *uid, char *err, size_t errlen)
{
	struct pg_num	 a;
	const char	*vals[3];

	vals[0] = account;
	vals[1] = folder;
	vals[2] = uid != NULL ? pg_i64(&a, *uid) : NULL;
	/* in the caller's transaction (pg_forget()), fenced there */
	return pg_write(st, PG_UNFENCED, "forgetting message ids", "DELETE"
	    " FROM provider_msgid WHERE account = $1 AND ($2::text IS NULL OR"
	    " folder = $2) AND ($3::bigint IS NULL OR uid = $3)", 3, vals,
	    NULL, NULL, err, errlen) == -1 ? -1 : 0;
}

/* SPDX-License-Identifier: ISC */
/*
 * pg-folder.c - folders in the PostgreSQL backend: their UIDVALIDITY,
 * the reset that moves a past UIDVALIDITY's rows aside (sqlite.c), the
 * IMAP sync point (sqlite-sync.c), and whether set-aside rows wait for
 * the duplicate check.  See state.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/store/pg-int.h"

int
pg_folder_get(struct state_impl *st, const char *account,
    const char *folder, int64_t *id, uint32_t *uidvalidity, char *err,
    size_t errlen)
{
	const char	*vals[2] = { account, pg_folder_name(folder) };
	PGresult	*r;
	int		 found;

	if ((r = pg_run(st, "looking up a folder", "SELECT id, uidvalidity"
	    " FROM folder WHERE account = $1 AND name = $2", 2, vals, NULL,
	    NULL, err, errlen)) == NULL)
		return -1;
	if ((found = PQntuples(r) == 1)) {
		*id = pg_get_i64(r, 0, 0);
		*uidvalidity = (uint32_t)pg_get_i64(r, 0, 1);
	}
	PQclear(r);
	return found;
}

int
pg_folder_uidvalidity(struct state_impl *st, const char *account,
    const char *folder, uint32_t *uidvalidity, char *err, size_t errlen)
{
	int64_t	 id;

	return pg_folder_get(st, account, folder, &id, uidvalidity, err,
	    errlen);
}

/* The rows of the old UIDVALIDITY move to message_old, in one
 * statement (its parts see one snapshot, and commit together). */
static int
pg_set_aside(struct state_impl *st, int64_t id, uint32_t old, uint32_t new,
    size_t *moved, char *err, size_t errlen)
{
	struct pg_num	 n[4];
	const char	*vals[4];
	PGresult	*r;

	vals[0] = pg_i64(&n[0], id);
	vals[1] = pg_i64(&n[1], old);
	vals[2] = pg_i64(&n[2], (int64_t)time(NULL));
	vals[3] = pg_i64(&n[3], new);
	if ((r = pg_run(st, "setting old rows aside", "WITH gone AS ("
	    "DELETE FROM message WHERE folder_id = $1 RETURNING *),"
	    " kept AS (INSERT INTO message_old (folder_id, uidvalidity, uid,"
	    " uidl, status, reason, message_id, size, sha256, location, time,"
	    " set_aside) SELECT folder_id, $2, uid, uidl, status, reason,"
	    " message_id, size, sha256, location, time, $3 FROM gone"
	    " ORDER BY uid, uidl COLLATE \"C\" RETURNING 1),"
	    " f AS (UPDATE folder SET uidvalidity = $4 WHERE id = $1)"
	    " SELECT count(*) FROM kept", 4, vals, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	*moved = (size_t)pg_get_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* In the transaction: the folder made or moved to uidvalidity. */
static int
pg_reset_locked(struct state_impl *st, const char *account,
    const char *folder, uint32_t uidvalidity, size_t *moved, char *err,
    size_t errlen)
{
	struct pg_num	 uv;
	const char	*vals[3];
	PGresult	*r;
	int64_t		 id = 0;
	uint32_t	 old = 0;
	int		 found;

	vals[0] = account;
	vals[1] = pg_folder_name(folder);
	vals[2] = pg_i64(&uv, uidvalidity);
	if ((r = pg_run(st, "looking up a folder", "SELECT id, uidvalidity"
	    " FROM folder WHERE account = $1 AND name = $2 FOR UPDATE", 2,
	    vals, NULL, NULL, err, errlen)) == NULL)
		return -1;
	if ((found = PQntuples(r) == 1)) {
		id = pg_get_i64(r, 0, 0);
		old = (uint32_t)pg_get_i64(r, 0, 1);
	}
	PQclear(r);
	if (!found)
		return pg_exec(st, "adding a folder", "INSERT INTO folder"
		    " (account, name, uidvalidity) VALUES ($1, $2, $3)"
		    " ON CONFLICT (account, name) DO NOTHING", 3, vals, err,
		    errlen);
	if (old == uidvalidity)
		return 0;
	return pg_set_aside(st, id, old, uidvalidity, moved, err, errlen);
}

int
pg_folder_reset(struct state_impl *st, const char *account,
    const char *folder, uint32_t uidvalidity, size_t *set_aside, char *err,
    size_t errlen)
{
	int64_t		 id;
	uint32_t	 known;
	size_t		 moved = 0;
	int		 r;

	/* the usual round: nothing changed, one read and no transaction */
	if ((r = pg_folder_get(st, account, folder, &id, &known, err,
	    errlen)) == -1)
		return -1;
	if (r == 0 || known != uidvalidity) {
		if (pg_begin(st, PG_FENCED, err, errlen) == -1)
			return -1;
		if (pg_reset_locked(st, account, folder, uidvalidity, &moved,
		    err, errlen) == -1) {
			pg_rollback(st);
			return -1;
		}
		if (pg_commit(st, err, errlen) == -1)
			return -1;
	}
	if (set_aside != NULL)
		*set_aside = moved;
	return 0;
}

int
pg_folder_sync(struct state_impl *st, const char *account,
    const char *folder, struct state_sync *sync, char *err, size_t errlen)
{
	const char	*vals[2] = { account, pg_folder_name(folder) };
	PGresult	*r;
	int64_t		 modseq;
	int		 found;

	if ((r = pg_run(st, "reading a folder's sync point", "SELECT"
	    " uidvalidity, highestmodseq, uidnext, only_unseen FROM"
	    " folder_sync WHERE account = $1 AND folder = $2", 2, vals, NULL,
	    NULL, err, errlen)) == NULL)
		return -1;
	if ((found = PQntuples(r) == 1)) {
		sync->uidvalidity = (uint32_t)pg_get_i64(r, 0, 0);
		modseq = pg_get_i64(r, 0, 1);
		/* a row no mailsift wrote: no sync point, a full pass */
		sync->highestmodseq = modseq > 0 ? (uint64_t)modseq : 0;
		sync->uidnext = (uint32_t)pg_get_i64(r, 0, 2);
		sync->only_unseen = pg_get_i64(r, 0, 3) != 0;
	}
	PQclear(r);
	return found && sync->highestmodseq != 0;
}

int
pg_folder_sync_set(struct state_impl *st, const char *account,
    const char *folder, const struct state_sync *sync, char *err,
    size_t errlen)
{
	struct pg_num	 n[5];
	const char	*vals[7];
	PGresult	*r;

	if (sync != NULL && (sync->highestmodseq == 0 ||
	    sync->highestmodseq > INT64_MAX)) {
		snprintf(err, errlen, "state %s: HIGHESTMODSEQ %llu out of "
		    "range", st->shown,
		    (unsigned long long)sync->highestmodseq);
		return -1;
	}
	vals[0] = account;
	vals[1] = pg_folder_name(folder);
	if (sync == NULL)
		r = pg_run_fenced(st, "recording a folder's sync point",
		    "DELETE FROM folder_sync WHERE account = $1 AND"
		    " folder = $2", 2, vals, NULL, NULL, err, errlen);
	else {
		vals[2] = pg_i64(&n[0], sync->uidvalidity);
		vals[3] = pg_i64(&n[1], (int64_t)sync->highestmodseq);
		vals[4] = pg_i64(&n[2], sync->uidnext);
		vals[5] = pg_i64(&n[3], sync->only_unseen != 0);
		vals[6] = pg_i64(&n[4], (int64_t)time(NULL));
		r = pg_run_fenced(st, "recording a folder's sync point",
		    "INSERT INTO folder_sync (account, folder, uidvalidity,"
		    " highestmodseq, uidnext, only_unseen, time) VALUES"
		    " ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account,"
		    " folder) DO UPDATE SET uidvalidity = excluded.uidvalidity,"
		    " highestmodseq = excluded.highestmodseq,"
		    " uidnext = excluded.uidnext,"
		    " only_unseen = excluded.only_unseen, time = excluded.time",
		    7, vals, NULL, NULL, err, errlen);
	}
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

int
pg_folder_set_aside(struct state_impl *st, const char *account,
    const char *folder, char *err, size_t errlen)
{
	const char	*vals[2] = { account, pg_folder_name(folder) };
	PGresult	*r;
	int		 some;

	if ((r = pg_run(st, "reading set-aside rows", "SELECT 1 FROM"
	    " message_old o JOIN folder f ON f.id = o.folder_id"
	    " WHERE f.account = $1 AND f.name = $2 AND o.matched = 0 LIMIT 1",
	    2, vals, NULL, NULL, err, errlen)) == NULL)
		return -1;
	some = PQntuples(r) == 1;
	PQclear(r);
	return some;
}

/* SPDX-License-Identifier: ISC */
/*
 * pg-admin.c - what `mailsift state` shows and forgets (PostgreSQL
 * backend); see state.h, and sqlite-admin.c for the same answers on
 * SQLite.  Text is ordered bytewise (COLLATE "C"), as SQLite orders it,
 * whatever the database's locale.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/store/pg-write.h"

/* A text column, NULL for NULL; lives as long as r. */
static const char *
column_str(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int
pg_folders_list(struct state_impl *st, const char *account,
    int (*fn)(const struct state_folder_info *, void *), void *arg,
    char *err, size_t errlen)
{
	struct state_folder_info	 fi;
	PGresult			*r;
	int				 rows, i;

	if ((r = pg_run(st, "listing folders", "SELECT f.account, f.name,"
	    " f.uidvalidity, m.delivered, m.skipped, m.duplicates,"
	    " (SELECT count(*) FROM message_old o WHERE o.folder_id = f.id),"
	    " (SELECT count(*) FROM intent i WHERE i.account = f.account AND"
	    "  i.folder = f.name), m.last"
	    " FROM folder f CROSS JOIN LATERAL (SELECT"
	    "  count(*) FILTER (WHERE status = 'delivered') AS delivered,"
	    "  count(*) FILTER (WHERE status = 'skipped') AS skipped,"
	    "  count(*) FILTER (WHERE status = 'duplicate') AS duplicates,"
	    "  coalesce(max(time) FILTER (WHERE status = 'delivered'), 0)"
	    "  AS last FROM message WHERE folder_id = f.id) m"
	    " WHERE $1::text IS NULL OR f.account = $1"
	    " ORDER BY f.account COLLATE \"C\", f.name COLLATE \"C\"", 1,
	    &account, NULL, NULL, err, errlen)) == NULL)
		return -1;
	rows = PQntuples(r);
	for (i = 0; i < rows; i++) {
		fi.account = PQgetvalue(r, i, 0);
		fi.folder = PQgetvalue(r, i, 1);
		fi.uidvalidity = (uint32_t)pg_get_i64(r, i, 2);
		fi.delivered = (uint64_t)pg_get_i64(r, i, 3);
		fi.skipped = (uint64_t)pg_get_i64(r, i, 4);
		fi.duplicates = (uint64_t)pg_get_i64(r, i, 5);
		fi.set_aside = (uint64_t)pg_get_i64(r, i, 6);
		fi.pending = (uint64_t)pg_get_i64(r, i, 7);
		fi.last = pg_get_i64(r, i, 8);
		if (fn(&fi, arg) == -1)
			break;
	}
	PQclear(r);
	return 0;
}

int
pg_messages_list(struct state_impl *st, const char *account,
    const char *folder, int (*fn)(const struct state_msg_info *, void *),
    void *arg, char *err, size_t errlen)
{
	struct state_msg_info	 mi;
	const char		*vals[2];
	PGresult		*r;
	int			 rows, i;

	vals[0] = account;
	vals[1] = pg_folder_name(folder);
	/* SQLite puts NULLs first: the UIDs of POP3 rows, the UIDLs of
	 * IMAP ones */
	if ((r = pg_run(st, "listing messages", "SELECT uidvalidity, uid,"
	    " uidl, status, reason, message_id, size, location, time FROM"
	    " (SELECT f.uidvalidity, m.uid, m.uidl, m.status, m.reason,"
	    " m.message_id, m.size, m.location, m.time, 0 AS aside"
	    " FROM message m JOIN folder f ON f.id = m.folder_id"
	    " WHERE f.account = $1 AND f.name = $2"
	    " UNION ALL SELECT o.uidvalidity, o.uid, o.uidl, 'set-aside',"
	    " o.status || coalesce(': ' || o.reason, ''), o.message_id,"
	    " o.size, o.location, o.time, 1 FROM message_old o JOIN folder f"
	    " ON f.id = o.folder_id WHERE f.account = $1 AND f.name = $2) u"
	    " ORDER BY aside, uidvalidity, uid NULLS FIRST,"
	    " uidl COLLATE \"C\" NULLS FIRST", 2, vals, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	rows = PQntuples(r);
	for (i = 0; i < rows; i++) {
		mi.uidvalidity = (uint32_t)pg_get_i64(r, i, 0);
		mi.uid = (uint32_t)pg_get_i64(r, i, 1);	/* POP3: 0 */
		mi.uidl = column_str(r, i, 2);
		mi.status = PQgetvalue(r, i, 3);
		mi.reason = column_str(r, i, 4);
		mi.message_id = column_str(r, i, 5);
		mi.size = (uint64_t)pg_get_i64(r, i, 6);
		mi.location = column_str(r, i, 7);
		mi.time = pg_get_i64(r, i, 8);
		if (fn(&mi, arg) == -1)
			break;
	}
	PQclear(r);
	return 0;
}

#define FORGET_FOLDERS \
    " folder_id IN (SELECT id FROM folder WHERE account = $1 AND" \
    " ($2::text IS NULL OR name = $2))"

/* Run a DELETE over the folders selected by $1 account and $2 folder
 * (NULL: all), with $3 the key if one is given; adds the rows deleted
 * to *n if n is not NULL.  In pg_forget()'s transaction. */
static int
forget_run(struct state_impl *st, const char *sql, const char *account,
    const char *folder, const char *key, uint64_t *n, char *err,
    size_t errlen)
{
	const char	*vals[3];
	int64_t		 k;

	vals[0] = account;
	vals[1] = folder;
	vals[2] = key;
	if ((k = pg_write(st, PG_UNFENCED, "forgetting", sql,
	    key != NULL ? 3 : 2, vals, NULL, NULL, err, errlen)) == -1)
		return -1;
	if (n != NULL)
		*n += (uint64_t)k;
	return 0;
}

static int
forget_rows(struct state_impl *st, const char *account, const char *folder,
    const uint32_t *uid, const char *uidl, uint64_t *removed, char *err,
    size_t errlen)
{
	struct pg_num	 u;

	if (uid != NULL)
		return forget_run(st, "DELETE FROM message WHERE uid ="
		    " $3::bigint AND" FORGET_FOLDERS, account, folder,
		    pg_i64(&u, *uid), removed, err, errlen);
	if (uidl != NULL)
		return forget_run(st, "DELETE FROM message WHERE uidl ="
		    " $3::text AND" FORGET_FOLDERS, account, folder, uidl,
		    removed, err, errlen);
	if (forget_run(st, "DELETE FROM message WHERE" FORGET_FOLDERS,
	    account, folder, NULL, removed, err, errlen) == -1 ||
	    forget_run(st, "DELETE FROM message_old WHERE" FORGET_FOLDERS,
	    account, folder, NULL, NULL, err, errlen) == -1)
		return -1;
	return forget_run(st, "DELETE FROM folder WHERE account = $1 AND"
	    " ($2::text IS NULL OR name = $2)", account, folder, NULL, NULL,
	    err, errlen);
}

int
pg_forget(struct state_impl *st, const char *account, const char *folder,
    const uint32_t *uid, const char *uidl, uint64_t *removed, char *err,
    size_t errlen)
{
	int	 rc;

	*removed = 0;
	if (uid != NULL && (uidl != NULL || folder == NULL)) {
		snprintf(err, errlen, "state %s: forgetting a UID needs a "
		    "folder and no UIDL", st->shown);
		return -1;
	}
	if (pg_begin(st, PG_FENCED, err, errlen) == -1)
		return -1;
	rc = forget_rows(st, account, folder, uid, uidl, removed, err,
	    errlen);
	/* a sync point would skip the folder, forgotten messages and all */
	if (rc == 0)
		rc = forget_run(st, "DELETE FROM folder_sync WHERE account = $1"
		    " AND ($2::text IS NULL OR folder = $2)", account, folder,
		    NULL, NULL, err, errlen);
	/* the provider ids recorded through what is forgotten go too, so
	 * the messages are fetched again rather than taken as duplicates */
	if (rc == 0 && uidl == NULL)
		rc = pg_msgids_forget(st, account, folder, uid, err, errlen);
	if (rc == -1) {
		pg_rollback(st);
		*removed = 0;
		return -1;
	}
	return pg_commit(st, err, errlen);
}

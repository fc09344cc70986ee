/* SPDX-License-Identifier: ISC */
/*
 * sqlite-admin.c - what `mailsift state` shows and forgets (SQLite
 * backend).  See state.h.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/store/sqlite-int.h"

static const char *
column_str(sqlite3_stmt *stmt, int col)
{
	return (const char *)sqlite3_column_text(stmt, col);
}

int
sqlite_folders_list(struct state_impl *st, const char *account,
    int (*fn)(const struct state_folder_info *, void *), void *arg,
    char *err, size_t errlen)
{
	struct state_folder_info	 fi;
	sqlite3_stmt			*stmt;
	int				 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT f.account, f.name,"
	    " f.uidvalidity,"
	    " (SELECT count(*) FROM message m WHERE m.folder_id = f.id AND"
	    "  m.status = 'delivered'),"
	    " (SELECT count(*) FROM message m WHERE m.folder_id = f.id AND"
	    "  m.status = 'skipped'),"
	    " (SELECT count(*) FROM message m WHERE m.folder_id = f.id AND"
	    "  m.status = 'duplicate'),"
	    " (SELECT count(*) FROM message_old o WHERE o.folder_id = f.id),"
	    " (SELECT count(*) FROM intent i WHERE i.account = f.account AND"
	    "  i.folder = f.name),"
	    " (SELECT coalesce(max(m.time), 0) FROM message m WHERE"
	    "  m.folder_id = f.id AND m.status = 'delivered')"
	    " FROM folder f WHERE ?1 IS NULL OR f.account = ?1"
	    " ORDER BY f.account, f.name", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		fi.account = column_str(stmt, 0);
		fi.folder = column_str(stmt, 1);
		fi.uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 2);
		fi.delivered = (uint64_t)sqlite3_column_int64(stmt, 3);
		fi.skipped = (uint64_t)sqlite3_column_int64(stmt, 4);
		fi.duplicates = (uint64_t)sqlite3_column_int64(stmt, 5);
		fi.set_aside = (uint64_t)sqlite3_column_int64(stmt, 6);
		fi.pending = (uint64_t)sqlite3_column_int64(stmt, 7);
		fi.last = sqlite3_column_int64(stmt, 8);
		if (fn(&fi, arg) == -1) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "listing folders", err, errlen);
	return 0;
}

int
sqlite_messages_list(struct state_impl *st, const char *account,
    const char *folder, int (*fn)(const struct state_msg_info *, void *),
    void *arg, char *err, size_t errlen)
{
	struct state_msg_info	 mi;
	sqlite3_stmt		*stmt;
	int			 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT f.uidvalidity, m.uid,"
	    " m.uidl, m.status, m.reason, m.message_id, m.size, m.location,"
	    " m.time, 0 FROM message m JOIN folder f ON f.id = m.folder_id"
	    " WHERE f.account = ?1 AND f.name = ?2"
	    " UNION ALL SELECT o.uidvalidity, o.uid, o.uidl, 'set-aside',"
	    " o.status || coalesce(': ' || o.reason, ''), o.message_id,"
	    " o.size, o.location, o.time, 1 FROM message_old o JOIN folder f"
	    " ON f.id = o.folder_id WHERE f.account = ?1 AND f.name = ?2"
	    " ORDER BY 10, 1, 2, 3", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, folder == NULL ? "" : folder);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		mi.uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 0);
		mi.uid = (uint32_t)sqlite3_column_int64(stmt, 1);
		mi.uidl = column_str(stmt, 2);
		mi.status = column_str(stmt, 3);
		mi.reason = column_str(stmt, 4);
		mi.message_id = column_str(stmt, 5);
		mi.size = (uint64_t)sqlite3_column_int64(stmt, 6);
		mi.location = column_str(stmt, 7);
		mi.time = sqlite3_column_int64(stmt, 8);
		if (fn(&mi, arg) == -1) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "listing messages", err, errlen);
	return 0;
}

/* Run a DELETE over the folders selected by ?1 account and ?2 folder
 * (NULL: all), with ?3 an optional key; adds the rows deleted to *n. */
static int
forget_run(struct state_impl *st, const char *sql, const char *account,
    const char *folder, const uint32_t *uid, const char *uidl, uint64_t *n,
    char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, sql, err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, folder);
	if (uid != NULL)
		sqlite3_bind_int64(stmt, 3, *uid);
	else if (uidl != NULL)
		sqlite_bind_str(stmt, 3, uidl);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "forgetting", err, errlen);
	if (n != NULL)
		*n += (uint64_t)sqlite3_changes(st->db);
	return 0;
}

#define FORGET_FOLDERS \
    " folder_id IN (SELECT id FROM folder WHERE account = ?1 AND" \
    " (?2 IS NULL OR name = ?2))"

static int
forget_all(struct state_impl *st, const char *account, const char *folder,
    uint64_t *removed, char *err, size_t errlen)
{
	if (forget_run(st, "DELETE FROM message WHERE" FORGET_FOLDERS,
	    account, folder, NULL, NULL, removed, err, errlen) == -1 ||
	    forget_run(st, "DELETE FROM message_old WHERE" FORGET_FOLDERS,
	    account, folder, NULL, NULL, NULL, err, errlen) == -1)
		return -1;
	return forget_run(st, "DELETE FROM folder WHERE account = ?1 AND"
	    " (?2 IS NULL OR name = ?2)", account, folder, NULL, NULL, NULL,
	    err, errlen);
}

int
sqlite_forget(struct state_impl *st, const char *account, const char *folder,
    const uint32_t *uid, const char *uidl, uint64_t *removed, char *err,
    size_t errlen)
{
	int	 rc;

	*removed = 0;
	if (uid != NULL && (uidl != NULL || folder == NULL)) {
		snprintf(err, errlen, "state %s: forgetting a UID needs a "
		    "folder and no UIDL", st->path);
		return -1;
	}
	if (sqlite_begin(st, err, errlen) == -1)
		return -1;
	if (uid != NULL)
		rc = forget_run(st, "DELETE FROM message WHERE uid = ?3 AND"
		    FORGET_FOLDERS, account, folder, uid, NULL, removed, err,
		    errlen);
	else if (uidl != NULL)
		rc = forget_run(st, "DELETE FROM message WHERE uidl = ?3 AND"
		    FORGET_FOLDERS, account, folder, NULL, uidl, removed, err,
		    errlen);
	else
		rc = forget_all(st, account, folder, removed, err, errlen);
	/* a sync point would skip the folder, forgotten messages and all */
	if (rc == 0)
		rc = forget_run(st, "DELETE FROM folder_sync WHERE account = ?1"
		    " AND (?2 IS NULL OR folder = ?2)", account, folder, NULL,
		    NULL, NULL, err, errlen);
	/* the provider ids recorded through what is forgotten go too, so
	 * the messages are fetched again rather than taken as duplicates */
	if (rc == 0 && uidl == NULL)
		rc = sqlite_msgids_forget(st, account, folder, uid, err,
		    errlen);
	if (rc == -1) {
		sqlite_rollback(st);
		return -1;
	}
	return sqlite_commit(st, err, errlen);
}

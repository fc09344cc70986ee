/* SPDX-License-Identifier: ISC */
/* sqlite-sync.c - the IMAP sync point of a folder (CONDSTORE, RFC 7162)
 * in the SQLite backend; see state.h. */
#include <stdint.h>
#include <stdio.h>

#include "daemon/store/sqlite-int.h"

int
sqlite_folder_sync(struct state_impl *st, const char *account,
    const char *folder, struct state_sync *sync, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int64_t		 modseq;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT uidvalidity, "
	    "highestmodseq, uidnext, only_unseen FROM folder_sync WHERE account = ?1 AND "
	    "folder = ?2", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, sqlite_folder_name(folder));
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		sync->uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 0);
		modseq = sqlite3_column_int64(stmt, 1);
		/* a row no mailsift wrote: no sync point, a full pass */
		sync->highestmodseq = modseq > 0 ? (uint64_t)modseq : 0;
		sync->uidnext = (uint32_t)sqlite3_column_int64(stmt, 2);
		sync->only_unseen = sqlite3_column_int(stmt, 3) != 0;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_fail(st, "reading a folder's sync point", err,
		    errlen);
	return rc == SQLITE_ROW && sync->highestmodseq != 0;
}

int
sqlite_folder_sync_set(struct state_impl *st, const char *account,
    const char *folder, const struct state_sync *sync, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if (sync != NULL && (sync->highestmodseq == 0 ||
	    sync->highestmodseq > INT64_MAX)) {
		snprintf(err, errlen, "state %s: HIGHESTMODSEQ %llu out of "
		    "range", st->path, (unsigned long long)sync->highestmodseq);
		return -1;
	}
	if ((stmt = sqlite_prepare(st, SLOT_MAX, sync == NULL ?
	    "DELETE FROM folder_sync WHERE account = ?1 AND folder = ?2" :
	    "INSERT OR REPLACE INTO folder_sync (account, folder, "
	    "uidvalidity, highestmodseq, uidnext, only_unseen, time) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7)", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, sqlite_folder_name(folder));
	if (sync != NULL) {
		sqlite3_bind_int64(stmt, 3, sync->uidvalidity);
		sqlite3_bind_int64(stmt, 4, (int64_t)sync->highestmodseq);
		sqlite3_bind_int64(stmt, 5, sync->uidnext);
		sqlite3_bind_int(stmt, 6, sync->only_unseen != 0);
		sqlite3_bind_int64(stmt, 7, sqlite_now());
	}
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "recording a folder's sync point", err,
		    errlen);
	return 0;
}

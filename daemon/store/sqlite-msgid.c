/* SPDX-License-Identifier: ISC */
/* sqlite-msgid.c - providers' message ids (Gmail's X-GM-MSGID), SQLite
 * backend; see msgid.h.  The ids are unsigned 64-bit: stored as the
 * same bits in SQLite's signed INTEGER. */
#include <stdio.h>
#include <string.h>

#include "daemon/store/msgid.h"
#include "daemon/store/sqlite-int.h"

int
sqlite_msgids_known(struct state_impl *st, const char *account,
    const uint64_t *ids, size_t n, unsigned char *known, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt;
	size_t		 i;
	int		 rc = SQLITE_DONE;

	if (n == 0)
		return 0;
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT 1 FROM provider_msgid"
	    " WHERE account = ?1 AND msgid = ?2", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(stmt, 2, (sqlite3_int64)ids[i]);
		rc = sqlite3_step(stmt);
		known[i] = rc == SQLITE_ROW;
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			break;
		sqlite3_reset(stmt);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_fail(st, "reading message ids", err, errlen);
	return 0;
}

int
sqlite_msgid_record(struct state_impl *st, const char *account, uint64_t id,
    const char *folder, uint32_t uid, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "INSERT OR IGNORE INTO"
	    " provider_msgid (account, msgid, folder, uid, time) VALUES"
	    " (?1, ?2, ?3, ?4, ?5)", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)id);
	sqlite_bind_str(stmt, 3, sqlite_folder_name(folder));
	sqlite3_bind_int64(stmt, 4, uid);
	sqlite3_bind_int64(stmt, 5, sqlite_now());
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "recording a message id", err, errlen);
	return 0;
}

int
sqlite_msgids_forget(struct state_impl *st, const char *account,
    const char *folder, const uint32_t *uid, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "DELETE FROM provider_msgid"
	    " WHERE account = ?1 AND (?2 IS NULL OR folder = ?2) AND"
	    " (?3 IS NULL OR uid = ?3)", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, folder);
	if (uid != NULL)
		sqlite3_bind_int64(stmt, 3, *uid);
	else
		sqlite3_bind_null(stmt, 3);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "forgetting message ids", err, errlen);
	return 0;
}

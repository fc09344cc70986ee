/* SPDX-License-Identifier: ISC */
/* sqlite-serverops.c - pending server-side actions (SQLite backend); see
 * serverops.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/serverops.h"
#include "daemon/store/sqlite-int.h"

int
sqlite_server_op_add(struct state_impl *st, const char *account,
    const char *folder, uint32_t uidvalidity, uint32_t uid, const char *action,
    const char *arg, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "INSERT OR IGNORE INTO"
	    " server_op (account, folder, uidvalidity, uid, action, arg,"
	    " created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", err,
	    errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, sqlite_folder_name(folder));
	sqlite3_bind_int64(stmt, 3, uidvalidity);
	sqlite3_bind_int64(stmt, 4, uid);
	sqlite_bind_str(stmt, 5, action);
	sqlite_bind_str(stmt, 6, arg != NULL ? arg : "");
	sqlite3_bind_int64(stmt, 7, sqlite_now());
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "recording a server action", err,
		    errlen);
	return 0;
}

static int
op_load(sqlite3_stmt *stmt, struct server_op *op)
{
	const unsigned char	*a = sqlite3_column_text(stmt, 2);
	const unsigned char	*g = sqlite3_column_text(stmt, 3);

	op->id = sqlite3_column_int64(stmt, 0);
	op->uid = (uint32_t)sqlite3_column_int64(stmt, 1);
	op->action = strdup(a != NULL ? (const char *)a : "");
	op->arg = strdup(g != NULL ? (const char *)g : "");
	return op->action == NULL || op->arg == NULL ? -1 : 0;
}

int
sqlite_server_ops_ready(struct state_impl *st, const char *account,
    const char *folder, uint32_t uidvalidity, struct server_op **out,
    size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt		*stmt;
	struct server_op	*v = NULL, *nv;
	size_t			 cap = 0;
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT s.id, s.uid, s.action,"
	    " s.arg FROM server_op s WHERE s.account = ?1 AND s.folder = ?2"
	    " AND s.uidvalidity = ?3 AND EXISTS (SELECT 1 FROM message m"
	    " JOIN folder f ON f.id = m.folder_id WHERE f.account = ?1 AND"
	    " f.name = ?2 AND f.uidvalidity = ?3 AND m.uid = s.uid)"
	    " ORDER BY s.uid, s.action IN ('move', 'delete'), s.id", err,
	    errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, sqlite_folder_name(folder));
	sqlite3_bind_int64(stmt, 3, uidvalidity);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		memset(&v[*n], 0, sizeof(v[*n]));
		if (op_load(stmt, &v[*n]) == -1) {
			(*n)++;
			break;
		}
		(*n)++;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		state_server_ops_free(v, *n);
		*n = 0;
		if (rc == SQLITE_ROW) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return sqlite_fail(st, "reading server actions", err, errlen);
	}
	*out = v;
	return 0;
}

int
sqlite_server_op_done(struct state_impl *st, int64_t id, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "DELETE FROM server_op WHERE"
	    " id = ?1", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "forgetting a server action", err,
		    errlen);
	return 0;
}

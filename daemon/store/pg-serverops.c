/* SPDX-License-Identifier: ISC */
/* pg-serverops.c - pending server-side actions (PostgreSQL backend); see
 * serverops.h, and sqlite-serverops.c for the same records on SQLite.
 * Adding and settling one is a fenced write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/store/pg-write.h"
#include "daemon/store/serverops.h"

int
pg_server_op_add(struct state_impl *st, const char *account,
    const char *folder, uint32_t uidvalidity, uint32_t uid, const char *action,
    const char *arg, char *err, size_t errlen)
{
	struct pg_num	 a, b, c;
	const char	*vals[7];

	vals[0] = account;
	vals[1] = pg_folder_name(folder);
	vals[2] = pg_i64(&a, uidvalidity);
	vals[3] = pg_i64(&b, uid);
	vals[4] = action;
	vals[5] = arg != NULL ? arg : "";
	vals[6] = pg_i64(&c, (int64_t)time(NULL));
	return pg_write(st, PG_FENCED, "recording a server action",
	    "INSERT INTO server_op (account, folder, uidvalidity, uid, action,"
	    " arg, created) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT"
	    " (account, folder, uidvalidity, uid, action, arg) DO NOTHING", 7,
	    vals, NULL, NULL, err, errlen) == -1 ? -1 : 0;
}

static int
op_load(PGresult *r, int row, void *p)
{
	struct server_op	*op = p;

	op->id = pg_get_i64(r, row, 0);
	op->uid = (uint32_t)pg_get_i64(r, row, 1);
	op->action = pg_get_str(r, row, 2);
	op->arg = pg_get_str(r, row, 3);
	if (op->action == NULL || op->arg == NULL) {
		free(op->action);
		free(op->arg);
		return -1;
	}
	return 0;
}

static void
op_clear(void *p)
{
	struct server_op	*op = p;

	free(op->action);
	free(op->arg);
}

static const struct pg_rowtype op_type = {
	sizeof(struct server_op), op_load, op_clear
};

int
pg_server_ops_ready(struct state_impl *st, const char *account,
    const char *folder, uint32_t uidvalidity, struct server_op **out,
    size_t *n, char *err, size_t errlen)
{
	struct pg_num	 a;
	const char	*vals[3];
	void		*v;

	*out = NULL;
	vals[0] = account;
	vals[1] = pg_folder_name(folder);
	vals[2] = pg_i64(&a, uidvalidity);
	if (pg_rows(st, "reading server actions", "SELECT s.id, s.uid,"
	    " s.action, s.arg FROM server_op s WHERE s.account = $1 AND"
	    " s.folder = $2 AND s.uidvalidity = $3 AND EXISTS (SELECT 1 FROM"
	    " message m JOIN folder f ON f.id = m.folder_id WHERE f.account ="
	    " $1 AND f.name = $2 AND f.uidvalidity = $3 AND m.uid = s.uid)"
	    " ORDER BY s.uid, s.action IN ('move', 'delete'), s.id", 3, vals,
	    &op_type, &v, n, err, errlen) == -1)
		return -1;
	*out = v;
	return 0;
}

int
pg_server_op_done(struct state_impl *st, int64_t id, char *err,
    size_t errlen)
{
	struct pg_num	 a;
	const char	*val = pg_i64(&a, id);

	return pg_write(st, PG_FENCED, "forgetting a server action",
	    "DELETE FROM server_op WHERE id = $1", 1, &val, NULL, NULL, err,
	    errlen) == -1 ? -1 : 0;
}

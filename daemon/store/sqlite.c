/* SPDX-License-Identifier: ISC */
/*
 * sqlite.c - the SQLite backend of the state store: the helpers the
 * other sqlite-*.c files share (errors, transactions, the statement
 * cache), a connection's settings, an idle handle's closing and
 * reopening (sqlite_park), and folders with their UIDVALIDITY.  Opening
 * a state file and its schema are in sqlite-open.c.  Implements
 * state.h; SQL lives only in sqlite*.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/store/sqlite-int.h"

/* Writers of other threads and processes hold the lock for one batch:
 * milliseconds, rarely seconds.  Past this, something is stuck. */
#define STATE_BUSY_MS	60000

int64_t
sqlite_now(void)
{
	return (int64_t)time(NULL);
}

static const char *
sqlite_hint(int code)
{
	switch (code & 0xff) {
	case SQLITE_FULL:
		return " (disk full: free space on the file system of the "
		    "state file)";
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return " (check that the state file and its directory are "
		    "writable by this user)";
	case SQLITE_CANTOPEN:
		return " (check the path of the state file and the "
		    "permissions of its directory)";
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return " (another process kept the state file locked for "
		    "too long)";
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return " (not a mailsift state file, or damaged)";
	case SQLITE_IOERR:
		return " (I/O error: check the disk)";
	default:
		return "";
	}
}

int
sqlite_fail(struct state_impl *st, const char *what, char *err, size_t errlen)
{
	int	 code = sqlite3_errcode(st->db);

	snprintf(err, errlen, "state %s: %s: %s%s", st->path, what,
	    sqlite3_errmsg(st->db), sqlite_hint(code));
	return -1;
}

int
sqlite_exec(struct state_impl *st, const char *sql, const char *what, char *err,
    size_t errlen)
{
	if (sqlite_unpark(st, err, errlen) == -1)
		return -1;
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_fail(st, what, err, errlen);
	return 0;
}

int
sqlite_begin(struct state_impl *st, char *err, size_t errlen)
{
	return sqlite_exec(st, "BEGIN IMMEDIATE", "starting a transaction",
	    err, errlen);
}

int
sqlite_commit(struct state_impl *st, char *err, size_t errlen)
{
	if (sqlite_exec(st, "COMMIT", "committing", err, errlen) == -1) {
		sqlite_rollback(st);
		return -1;
	}
	return 0;
}

void
sqlite_rollback(struct state_impl *st)
{
	/* Fails only when no transaction is open, which is fine here. */
	if (st->db != NULL && !sqlite3_get_autocommit(st->db))
		(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *
sqlite_prepare(struct state_impl *st, enum state_slot slot, const char *sql,
    char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;

	if (sqlite_unpark(st, err, errlen) == -1)
		return NULL;
	if (slot < SLOT_MAX && st->slot[slot] != NULL) {
		stmt = st->slot[slot];
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return stmt;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, slot < SLOT_MAX ?
	    SQLITE_PREPARE_PERSISTENT : 0, &stmt, NULL) != SQLITE_OK) {
		sqlite_fail(st, "preparing a query", err, errlen);
		return NULL;
	}
	if (slot < SLOT_MAX)
		st->slot[slot] = stmt;
	return stmt;
}

void
sqlite_release(enum state_slot slot, sqlite3_stmt *stmt)
{
	if (slot < SLOT_MAX)
		sqlite3_reset(stmt);
	else
		sqlite3_finalize(stmt);
}

int
sqlite_bind_str(sqlite3_stmt *stmt, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(stmt, i);
	return sqlite3_bind_text(stmt, i, s, -1, SQLITE_STATIC);
}

char *
sqlite_column_str(sqlite3_stmt *stmt, int col)
{
	const unsigned char	*s = sqlite3_column_text(stmt, col);

	return strdup(s != NULL ? (const char *)s : "");
}

char *
sqlite_column_blob(sqlite3_stmt *stmt, int col, size_t *len)
{
	const void	*blob = sqlite3_column_blob(stmt, col);
	char		*p;

	*len = (size_t)sqlite3_column_bytes(stmt, col);
	if ((p = malloc(*len + 1)) == NULL)
		return NULL;
	if (*len > 0)
		memcpy(p, blob, *len);
	p[*len] = '\0';
	return p;
}

const char *
sqlite_folder_name(const char *folder)
{
	return folder == NULL ? "" : folder;
}

int
sqlite_folder_id(struct state_impl *st, const char *account, const char *folder,
    uint32_t uidvalidity, int create, int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_FOLDER_FIND, "SELECT id FROM "
	    "folder WHERE account = ?1 AND name = ?2", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, sqlite_folder_name(folder));
	rc = sqlite3_step(stmt);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite_release(SLOT_FOLDER_FIND, stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_fail(st, "looking up a folder", err, errlen);
	if (*id != 0 || !create)
		return 0;
	if ((stmt = sqlite_prepare(st, SLOT_FOLDER_ADD, "INSERT INTO folder "
	    "(account, name, uidvalidity) VALUES (?1, ?2, ?3)", err,
	    errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, sqlite_folder_name(folder));
	sqlite3_bind_int64(stmt, 3, uidvalidity);
	rc = sqlite3_step(stmt);
	sqlite_release(SLOT_FOLDER_ADD, stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "adding a folder", err, errlen);
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
sqlite_folder_get(struct state_impl *st, const char *account,
    const char *folder, int64_t *id, uint32_t *uidvalidity, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT id, uidvalidity "
	    "FROM folder WHERE account = ?1 AND name = ?2", err,
	    errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, sqlite_folder_name(folder));
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(stmt, 0);
		*uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_fail(st, "looking up a folder", err, errlen);
	return rc == SQLITE_ROW;
}

int
sqlite_folder_uidvalidity(struct state_impl *st, const char *account,
    const char *folder, uint32_t *uidvalidity, char *err, size_t errlen)
{
	int64_t	 id;

	return sqlite_folder_get(st, account, folder, &id, uidvalidity, err,
	    errlen);
}

static int
folder_set_aside(struct state_impl *st, int64_t id, uint32_t old, uint32_t new,
    size_t *moved, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "INSERT INTO message_old "
	    "(folder_id, uidvalidity, uid, uidl, status, reason, message_id,"
	    " size, sha256, location, time, set_aside) SELECT folder_id, ?2,"
	    " uid, uidl, status, reason, message_id, size, sha256, location,"
	    " time, ?3 FROM message WHERE folder_id = ?1", err,
	    errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, old);
	sqlite3_bind_int64(stmt, 3, sqlite_now());
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "setting old rows aside", err, errlen);
	*moved = (size_t)sqlite3_changes(st->db);
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "DELETE FROM message WHERE "
	    "folder_id = ?1", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "setting old rows aside", err, errlen);
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "UPDATE folder SET "
	    "uidvalidity = ?2 WHERE id = ?1", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, new);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "updating UIDVALIDITY", err, errlen);
	return 0;
}

int
sqlite_folder_reset(struct state_impl *st, const char *account,
    const char *folder, uint32_t uidvalidity, size_t *set_aside, char *err,
    size_t errlen)
{
	int64_t		 id;
	uint32_t	 old;
	size_t		 moved = 0;
	int		 r;

	if (sqlite_begin(st, err, errlen) == -1)
		return -1;
	if ((r = sqlite_folder_get(st, account, folder, &id, &old, err,
	    errlen)) == -1)
		goto fail;
	if (r == 0 && sqlite_folder_id(st, account, folder, uidvalidity, 1,
	    &id, err, errlen) == -1)
		goto fail;
	if (r == 1 && old != uidvalidity && folder_set_aside(st, id, old,
	    uidvalidity, &moved, err, errlen) == -1)
		goto fail;
	if (sqlite_commit(st, err, errlen) == -1)
		return -1;
	if (set_aside != NULL)
		*set_aside = moved;
	return 0;
fail:
	sqlite_rollback(st);
	return -1;
}

/* 1 if the database is (now) in WAL mode, 0 if not, -1 if busy, -2 on
 * another error (reported). */
static int
sqlite_wal_try(struct state_impl *st, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	const char	*mode;
	int		 rc, wal;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "PRAGMA journal_mode=WAL",
	    err, errlen)) == NULL)
		return -2;
	rc = sqlite3_step(stmt);
	wal = rc == SQLITE_ROW &&
	    (mode = (const char *)sqlite3_column_text(stmt, 0)) != NULL &&
	    strcmp(mode, "wal") == 0;
	sqlite3_finalize(stmt);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return -1;
	if (rc != SQLITE_ROW) {
		sqlite_fail(st, "switching to WAL mode", err, errlen);
		return -2;
	}
	return wal;
}

int
sqlite_pragmas(struct state_impl *st, char *err, size_t errlen)
{
	struct timespec	 ts = { 0, 10000000L };
	int		 wal, tries;

	if (sqlite3_busy_timeout(st->db, STATE_BUSY_MS) != SQLITE_OK)
		return sqlite_fail(st, "setting the busy timeout", err, errlen);
	/* Switching a new file to WAL does not wait on the busy handler
	 * when another connection is doing the same: retry. */
	for (tries = 0; (wal = sqlite_wal_try(st, err, errlen)) == -1 &&
	    tries < STATE_BUSY_MS / 10; tries++)
		(void)nanosleep(&ts, NULL);
	if (wal == -2)
		return -1;
	if (wal != 1) {
		snprintf(err, errlen, "state %s: cannot switch to WAL mode "
		    "(is it on a network file system?)", st->path);
		return -1;
	}
	return sqlite_exec(st, "PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=ON", "setting options", err, errlen);
}

void
sqlite_park(struct state_impl *st)
{
	size_t	 i;

	if (st->db == NULL || !sqlite3_get_autocommit(st->db))
		return;
	for (i = 0; i < SLOT_MAX; i++) {
		sqlite3_finalize(st->slot[i]);
		st->slot[i] = NULL;
	}
	/* a statement still open somewhere keeps it open: no harm */
	if (sqlite3_close(st->db) == SQLITE_OK)
		st->db = NULL;
}

/* The file and its schema were checked when the handle was opened. */
int
sqlite_unpark(struct state_impl *st, char *err, size_t errlen)
{
	if (st->db != NULL)
		return 0;
	if (sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		sqlite_fail(st, "reopening", err, errlen);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (sqlite_pragmas(st, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	(void)sqlite3_close(st->db);	/* no statement yet: it closes */
	st->db = NULL;
	return -1;
}

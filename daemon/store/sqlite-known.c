/* SPDX-License-Identifier: ISC */
/*
 * sqlite-known.c - which messages are known: the UID and UIDL sets the
 * fetch loop asks, skipped messages, and duplicates recognised after a
 * UIDVALIDITY change (SQLite backend).  See state.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/records-int.h"
#include "daemon/store/sqlite-int.h"

static const char uids_known_sql[] = "SELECT m.uid FROM message m"
    " JOIN folder f ON f.id = m.folder_id WHERE f.account = ?1 AND"
    " f.name = ?2 AND f.uidvalidity = ?3 AND m.uid IS NOT NULL"
    " UNION SELECT uid FROM intent WHERE account = ?1 AND"
    " folder = ?2 AND uidvalidity = ?3 AND uid IS NOT NULL ORDER BY 1";
/* Delivered for sure: what a source that does not keep mail may delete.
 * Not the skipped ones, and not those whose intent is still in doubt. */
static const char uids_done_sql[] = "SELECT m.uid FROM message m"
    " JOIN folder f ON f.id = m.folder_id WHERE f.account = ?1 AND"
    " f.name = ?2 AND f.uidvalidity = ?3 AND m.uid IS NOT NULL AND"
    " m.status IN ('delivered', 'duplicate') ORDER BY 1";

static int
uids_load(struct state_impl *st, const char *sql, const char *account,
    const char *folder, uint32_t uidvalidity, struct uidset *set, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt;
	uint32_t	 known;
	size_t		 cap = 0;
	int		 rc;

	set->v = NULL;
	set->n = 0;
	if ((rc = sqlite_folder_uidvalidity(st, account, folder, &known, err,
	    errlen)) == -1)
		return -1;
	if (rc == 1 && known != uidvalidity) {
		snprintf(err, errlen, "state %s: account %s folder %s: "
		    "UIDVALIDITY %u asked for, %u recorded (internal error: "
		    "the folder was not reset)", st->path, account,
		    sqlite_folder_name(folder), uidvalidity, known);
		return -1;
	}
	if ((stmt = sqlite_prepare(st, SLOT_MAX, sql, err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, sqlite_folder_name(folder));
	sqlite3_bind_int64(stmt, 3, uidvalidity);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if (uidset_add(set, &cap,
		    (uint32_t)sqlite3_column_int64(stmt, 0)) == -1)
			break;
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_ROW)
		snprintf(err, errlen, "state %s: account %s folder %s: out of "
		    "memory loading %zu UIDs", st->path, account,
		    sqlite_folder_name(folder), set->n);
	else
		sqlite_fail(st, "loading UIDs", err, errlen);
	uidset_free(set);
	return -1;
}

int
sqlite_uids_delivered(struct state_impl *st, const char *account,
    const char *folder, uint32_t uidvalidity, struct uidset *set, char *err,
    size_t errlen)
{
	return uids_load(st, uids_known_sql, account, folder, uidvalidity, set,
	    err, errlen);
}

int
sqlite_uids_deletable(struct state_impl *st, const char *account,
    const char *folder, uint32_t uidvalidity, struct uidset *set, char *err,
    size_t errlen)
{
	return uids_load(st, uids_done_sql, account, folder, uidvalidity, set,
	    err, errlen);
}

static const char uidls_known_sql[] = "SELECT m.uidl FROM message m"
    " JOIN folder f ON f.id = m.folder_id WHERE f.account = ?1 AND"
    " f.name = ?2 AND m.uidl IS NOT NULL UNION SELECT uidl FROM"
    " intent WHERE account = ?1 AND folder = ?2 AND uidl IS NOT NULL"
    " ORDER BY 1";
static const char uidls_done_sql[] = "SELECT m.uidl FROM message m"
    " JOIN folder f ON f.id = m.folder_id WHERE f.account = ?1 AND"
    " f.name = ?2 AND m.uidl IS NOT NULL AND"
    " m.status IN ('delivered', 'duplicate') ORDER BY 1";

static int
uidls_load(struct state_impl *st, const char *sql, const char *account,
    const char *folder, struct uidlset *set, char *err, size_t errlen)
{
	struct uidl_loader	 l = { NULL, 0, 0, NULL, 0, 0 };
	sqlite3_stmt		*stmt;
	const char		*s;
	int			 rc;

	memset(set, 0, sizeof(*set));
	if ((stmt = sqlite_prepare(st, SLOT_MAX, sql, err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, sqlite_folder_name(folder));
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(stmt, 0);
		if (s == NULL || uidl_loader_add(&l, s,
		    (size_t)sqlite3_column_bytes(stmt, 0)) == -1)
			break;
	}
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE && uidl_loader_finish(&l, set) == 0)
		rc = 0;
	else if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		snprintf(err, errlen, "state %s: account %s: out of memory "
		    "loading %zu UIDLs", st->path, account, l.n);
	else
		sqlite_fail(st, "loading UIDLs", err, errlen);
	free(l.buf);
	free(l.off);
	return rc == 0 ? 0 : -1;
}

int
sqlite_uidls_delivered(struct state_impl *st, const char *account,
    const char *folder, struct uidlset *set, char *err, size_t errlen)
{
	return uidls_load(st, uidls_known_sql, account, folder, set, err,
	    errlen);
}

int
sqlite_uidls_deletable(struct state_impl *st, const char *account,
    const char *folder, struct uidlset *set, char *err, size_t errlen)
{
	return uidls_load(st, uidls_done_sql, account, folder, set, err,
	    errlen);
}

static int
key_check(struct state_impl *st, const struct msg_key *key, char *err,
    size_t errlen)
{
	if (key->account == NULL || (key->uidl == NULL && key->uid == 0)) {
		snprintf(err, errlen, "state %s: internal error: message "
		    "without account, UID or UIDL", st->path);
		return -1;
	}
	return 0;
}

/* Insert or replace the row of key in its folder (created if needed). */
static int
message_put(struct state_impl *st, const struct msg_key *key,
    const char *status, const char *reason, const struct msg_content *c,
    char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int64_t		 fid;
	uint32_t	 uidvalidity;
	int		 rc;

	if ((rc = sqlite_folder_get(st, key->account, key->folder, &fid,
	    &uidvalidity, err, errlen)) == -1)
		return -1;
	if (rc == 1 && key->uidl == NULL && uidvalidity != key->uidvalidity) {
		snprintf(err, errlen, "state %s: account %s folder %s UID %u: "
		    "UIDVALIDITY %u given, %u recorded (internal error: the "
		    "folder was not reset)", st->path, key->account,
		    sqlite_folder_name(key->folder), key->uid, key->uidvalidity,
		    uidvalidity);
		return -1;
	}
	if (rc == 0 && sqlite_folder_id(st, key->account, key->folder,
	    key->uidvalidity, 1, &fid, err, errlen) == -1)
		return -1;
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "INSERT OR REPLACE INTO "
	    "message (folder_id, uid, uidl, status, reason, message_id, size,"
	    " sha256, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	    err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, fid);
	if (key->uidl == NULL)
		sqlite3_bind_int64(stmt, 2, key->uid);
	sqlite_bind_str(stmt, 3, key->uidl);
	sqlite_bind_str(stmt, 4, status);
	sqlite_bind_str(stmt, 5, reason);
	sqlite3_bind_int64(stmt, 7, c == NULL ? 0 : (int64_t)c->size);
	if (c != NULL && c->hashed) {
		sqlite_bind_str(stmt, 6, c->message_id);
		sqlite3_bind_blob(stmt, 8, c->sha256, STATE_SHA256_LEN,
		    SQLITE_STATIC);
	}
	sqlite3_bind_int64(stmt, 9, sqlite_now());
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "recording a message", err, errlen);
	return 0;
}

int
sqlite_mark_skipped(struct state_impl *st, const struct msg_key *key,
    const struct msg_content *c, const char *reason, char *err,
    size_t errlen)
{
	if (key_check(st, key, err, errlen) == -1 ||
	    sqlite_begin(st, err, errlen) == -1)
		return -1;
	if (message_put(st, key, "skipped", reason, c, err, errlen) == -1) {
		sqlite_rollback(st);
		return -1;
	}
	return sqlite_commit(st, err, errlen);
}

/* Use up one unmatched set-aside row with this content; 1 if found. */
static int
old_match(struct state_impl *st, int64_t fid, const struct msg_content *c,
    char *why, size_t whylen, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int64_t		 row = 0;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT rowid, uidvalidity,"
	    " coalesce(uid, uidl) FROM message_old WHERE folder_id = ?1 AND"
	    " size = ?2 AND sha256 = ?3 AND coalesce(message_id, '') = ?4"
	    " AND matched = 0 ORDER BY rowid LIMIT 1", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, fid);
	sqlite3_bind_int64(stmt, 2, (int64_t)c->size);
	sqlite3_bind_blob(stmt, 3, c->sha256, STATE_SHA256_LEN, SQLITE_STATIC);
	sqlite_bind_str(stmt, 4, c->message_id);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		row = sqlite3_column_int64(stmt, 0);
		snprintf(why, whylen, "delivered before as UIDVALIDITY %lld "
		    "UID %s", (long long)sqlite3_column_int64(stmt, 1),
		    (const char *)sqlite3_column_text(stmt, 2));
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_fail(st, "looking up set-aside rows", err,
		    errlen);
	if (row == 0)
		return 0;
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "UPDATE message_old SET "
	    "matched = 1 WHERE rowid = ?1", err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, row);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "using a set-aside row", err, errlen);
	return 1;
}

int
sqlite_seen_content(struct state_impl *st, const struct msg_key *key,
    const struct msg_content *c, char *err, size_t errlen)
{
	char	 why[128];
	int64_t	 fid;
	int	 r;

	if (key_check(st, key, err, errlen) == -1)
		return -1;
	if (!c->hashed)
		return 0;
	if (sqlite_begin(st, err, errlen) == -1)
		return -1;
	if (sqlite_folder_id(st, key->account, key->folder, 0, 0, &fid, err,
	    errlen) == -1)
		goto fail;
	if (fid == 0) {
		sqlite_rollback(st);
		return 0;
	}
	if ((r = old_match(st, fid, c, why, sizeof(why), err, errlen)) == -1)
		goto fail;
	if (r == 0) {
		sqlite_rollback(st);
		return 0;
	}
	if (message_put(st, key, "duplicate", why, c, err, errlen) == -1)
		goto fail;
	if (sqlite_commit(st, err, errlen) == -1)
		return -1;
	return 1;
fail:
	sqlite_rollback(st);
	return -1;
}

int
sqlite_folder_set_aside(struct state_impl *st, const char *account,
    const char *folder, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT 1 FROM message_old o"
	    " JOIN folder f ON f.id = o.folder_id WHERE f.account = ?1 AND"
	    " f.name = ?2 AND o.matched = 0 LIMIT 1", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, account);
	sqlite_bind_str(stmt, 2, sqlite_folder_name(folder));
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "reading set-aside rows", err, errlen);
	return 0;
}

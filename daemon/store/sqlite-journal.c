/* SPDX-License-Identifier: ISC */
/*
 * sqlite-journal.c - the intent journal: deliveries recorded before they
 * become visible and resolved after (SQLite backend).  See state.h and
 * deliver.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/queue.h"
#include "daemon/store/sqlite-int.h"

/* indexed by enum state_target */
static const char *const target_names[] = {
	"maildir", "mbox", "lmtp", "imap", "webhook"
};

static int
intent_insert(struct state_impl *st, struct state_intent *in, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_INTENT_ADD, "INSERT INTO intent "
	    "(account, folder, uidvalidity, uid, uidl, kind, path, name,"
	    " mbox_offset, mbox_length, entry_sha256, message_id, size,"
	    " sha256, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
	    " ?11, ?12, ?13, ?14, ?15)", err, errlen)) == NULL)
		return -1;
	sqlite_bind_str(stmt, 1, in->account);
	sqlite_bind_str(stmt, 2, in->folder == NULL ? "" : in->folder);
	sqlite3_bind_int64(stmt, 3, in->uidvalidity);
	if (in->uidl == NULL)
		sqlite3_bind_int64(stmt, 4, in->uid);
	sqlite_bind_str(stmt, 5, in->uidl);
	sqlite_bind_str(stmt, 6, target_names[in->kind]);
	sqlite_bind_str(stmt, 7, in->path);
	sqlite_bind_str(stmt, 8, in->name);
	sqlite3_bind_int64(stmt, 9, (int64_t)in->offset);
	sqlite3_bind_int64(stmt, 10, (int64_t)in->length);
	if (in->kind == STATE_MBOX)
		sqlite3_bind_blob(stmt, 11, in->entry_sha256,
		    STATE_SHA256_LEN, SQLITE_STATIC);
	sqlite_bind_str(stmt, 12, in->content.message_id);
	sqlite3_bind_int64(stmt, 13, (int64_t)in->content.size);
	/* no digest: an empty blob (the column predates DELIVERY_NO_DIGEST
	 * and says NOT NULL); the message row gets NULL */
	if (in->content.hashed)
		sqlite3_bind_blob(stmt, 14, in->content.sha256,
		    STATE_SHA256_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_blob(stmt, 14, "", 0, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 15, in->time);
	rc = sqlite3_step(stmt);
	sqlite_release(SLOT_INTENT_ADD, stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "recording an intent", err, errlen);
	in->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
sqlite_intents_record(struct state_impl *st, struct state_intent *v, size_t n,
    char *err, size_t errlen)
{
	size_t	 i;

	if (n == 0)
		return 0;
	if (sqlite_begin(st, err, errlen) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (intent_insert(st, &v[i], err, errlen) == -1) {
			sqlite_rollback(st);
			return -1;
		}
	}
	return sqlite_commit(st, err, errlen);
}

/* Run one cached statement that takes the intent id (and the time). */
static int
intent_step(struct state_impl *st, enum state_slot slot, const char *sql,
    int64_t id, const char *what, char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, slot, sql, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	if (sqlite3_bind_parameter_count(stmt) >= 2)
		sqlite3_bind_int64(stmt, 2, sqlite_now());
	rc = sqlite3_step(stmt);
	sqlite_release(slot, stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, what, err, errlen);
	return 0;
}

#define INTENT_COLUMNS \
    "i.uid, i.uidl, 'delivered', i.message_id, i.size," \
    " nullif(i.sha256, x'')," \
    " CASE i.kind WHEN 'maildir' THEN 'maildir:' || i.path || '/new/' ||" \
    " i.name WHEN 'webhook' THEN 'webhook:' || i.path || '#' || i.name" \
    " WHEN 'lmtp' THEN 'lmtp:' || i.path" \
    " WHEN 'imap' THEN 'imap:' || i.path || CASE WHEN" \
    " i.remote_uid > 0 THEN ';UIDVALIDITY=' || i.remote_uidvalidity ||" \
    " '/;UID=' || i.remote_uid ELSE '' END" \
    " ELSE 'mbox:' || i.path || '@' || i.mbox_offset END, ?2"

static int
intent_complete(struct state_impl *st, int64_t id, char *err, size_t errlen)
{
	if (intent_step(st, SLOT_INTENT_FOLDER, "INSERT OR IGNORE INTO folder"
	    " (account, name, uidvalidity) SELECT account, folder,"
	    " uidvalidity FROM intent WHERE id = ?1", id, "adding a folder",
	    err, errlen) == -1)
		return -1;
	if (intent_step(st, SLOT_INTENT_DONE, "INSERT OR REPLACE INTO message"
	    " (folder_id, uid, uidl, status, message_id, size, sha256,"
	    " location, time) SELECT f.id, " INTENT_COLUMNS " FROM intent i"
	    " JOIN folder f ON f.account = i.account AND f.name = i.folder"
	    " WHERE i.id = ?1 AND f.uidvalidity = i.uidvalidity", id,
	    "recording a delivery", err, errlen) == -1)
		return -1;
	/* The folder moved to another UIDVALIDITY meanwhile: the message
	 * still counts for the duplicate check. */
	if (intent_step(st, SLOT_INTENT_DONE_OLD, "INSERT INTO message_old"
	    " (folder_id, uid, uidl, status, message_id, size, sha256,"
	    " location, time, uidvalidity, set_aside) SELECT f.id, "
	    INTENT_COLUMNS ", i.uidvalidity, ?2 FROM intent i JOIN folder f"
	    " ON f.account = i.account AND f.name = i.folder WHERE i.id = ?1"
	    " AND f.uidvalidity <> i.uidvalidity", id, "recording a delivery",
	    err, errlen) == -1)
		return -1;
	return intent_step(st, SLOT_INTENT_DEL, "DELETE FROM intent WHERE "
	    "id = ?1", id, "removing an intent", err, errlen);
}

/* The destination's APPENDUID, for the record's location. */
static int
intent_remote(struct state_impl *st, int64_t id, uint32_t uv, uint32_t uid,
    char *err, size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_INTENT_REMOTE, "UPDATE intent SET"
	    " remote_uidvalidity = ?2, remote_uid = ?3 WHERE id = ?1", err,
	    errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, uv);
	sqlite3_bind_int64(stmt, 3, uid);
	rc = sqlite3_step(stmt);
	sqlite_release(SLOT_INTENT_REMOTE, stmt);
	if (rc != SQLITE_DONE)
		return sqlite_fail(st, "recording an APPENDUID", err, errlen);
	return 0;
}

int
sqlite_intents_complete_batch(struct state_impl *st, const int64_t *ids,
    const uint32_t *uv, const uint32_t *uid, size_t n,
    const struct queue_item *items, size_t nitems, char *err, size_t errlen)
{
	size_t	 i;

	if (n == 0 && nitems == 0)
		return 0;
	if (sqlite_begin(st, err, errlen) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if ((uid != NULL && uid[i] != 0 && intent_remote(st, ids[i],
		    uv[i], uid[i], err, errlen) == -1) ||
		    intent_complete(st, ids[i], err, errlen) == -1)
			goto fail;
	for (i = 0; i < nitems; i++)
		if (sqlite_queue_insert(st, &items[i], err, errlen) == -1)
			goto fail;
	return sqlite_commit(st, err, errlen);
fail:
	sqlite_rollback(st);
	return -1;
}

int
sqlite_intents_complete(struct state_impl *st, const int64_t *ids, size_t n,
    char *err, size_t errlen)
{
	return sqlite_intents_complete_batch(st, ids, NULL, NULL, n, NULL, 0,
	    err, errlen);
}

int
sqlite_intents_rollback(struct state_impl *st, const int64_t *ids, size_t n,
    char *err, size_t errlen)
{
	size_t	 i;

	if (n == 0)
		return 0;
	if (sqlite_begin(st, err, errlen) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (intent_step(st, SLOT_INTENT_DEL, "DELETE FROM intent WHERE "
		    "id = ?1", ids[i], "removing an intent", err,
		    errlen) == -1) {
			sqlite_rollback(st);
			return -1;
		}
	}
	return sqlite_commit(st, err, errlen);
}

static int
column_dup(sqlite3_stmt *stmt, int col, char **out)
{
	const char	*s = (const char *)sqlite3_column_text(stmt, col);

	*out = NULL;
	if (s == NULL)
		return 0;
	return (*out = strdup(s)) == NULL ? -1 : 0;
}

static void
column_sha(sqlite3_stmt *stmt, int col, unsigned char *out)
{
	const void	*p = sqlite3_column_blob(stmt, col);

	if (p != NULL && sqlite3_column_bytes(stmt, col) == STATE_SHA256_LEN)
		memcpy(out, p, STATE_SHA256_LEN);
}

static int
intent_load(sqlite3_stmt *stmt, struct state_intent *in)
{
	const char	*kind, *msgid;
	size_t		 i;

	memset(in, 0, sizeof(*in));
	in->id = sqlite3_column_int64(stmt, 0);
	in->uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 3);
	in->uid = (uint32_t)sqlite3_column_int64(stmt, 4);
	kind = (const char *)sqlite3_column_text(stmt, 6);
	/* a kind written by a newer build is settled by nobody: its
	 * intent stays (recover.c) */
	in->kind = STATE_UNKNOWN;
	for (i = 0; kind != NULL && i < sizeof(target_names) /
	    sizeof(target_names[0]); i++)
		if (strcmp(kind, target_names[i]) == 0)
			in->kind = (enum state_target)i;
	in->offset = (uint64_t)sqlite3_column_int64(stmt, 9);
	in->length = (uint64_t)sqlite3_column_int64(stmt, 10);
	column_sha(stmt, 11, in->entry_sha256);
	if ((msgid = (const char *)sqlite3_column_text(stmt, 12)) != NULL)
		snprintf(in->content.message_id,
		    sizeof(in->content.message_id), "%s", msgid);
	in->content.size = (uint64_t)sqlite3_column_int64(stmt, 13);
	column_sha(stmt, 14, in->content.sha256);
	in->content.hashed = sqlite3_column_bytes(stmt, 14) ==
	    STATE_SHA256_LEN;
	in->time = sqlite3_column_int64(stmt, 15);
	if (column_dup(stmt, 1, &in->account) == -1 ||
	    column_dup(stmt, 2, &in->folder) == -1 ||
	    column_dup(stmt, 5, &in->uidl) == -1 ||
	    column_dup(stmt, 7, &in->path) == -1 ||
	    column_dup(stmt, 8, &in->name) == -1) {
		state_intent_clear(in);
		return -1;
	}
	return 0;
}

int
sqlite_intents_pending(struct state_impl *st, struct state_intent **out,
    size_t *n, char *err, size_t errlen)
{
	struct state_intent	*v = NULL, *nv;
	sqlite3_stmt		*stmt;
	size_t			 cap = 0, len = 0;
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((stmt = sqlite_prepare(st, SLOT_MAX, "SELECT id, account, folder,"
	    " uidvalidity, uid, uidl, kind, path, name, mbox_offset,"
	    " mbox_length, entry_sha256, message_id, size, sha256, time"
	    " FROM intent ORDER BY kind, path, mbox_offset, id", err,
	    errlen)) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		if (intent_load(stmt, &v[len]) == -1)
			break;
		len++;
	}
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE) {
		*out = v;
		*n = len;
		return 0;
	}
	if (rc == SQLITE_ROW)
		snprintf(err, errlen, "state %s: out of memory loading "
		    "intents", st->path);
	else
		sqlite_fail(st, "loading intents", err, errlen);
	state_intents_free(v, len);
	return -1;
}


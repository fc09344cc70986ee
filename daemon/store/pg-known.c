/* SPDX-License-Identifier: ISC */
/*
 * pg-known.c - which messages are known, in the PostgreSQL backend: the
 * UID and UIDL sets the fetch loop asks, skipped messages, and
 * duplicates recognised after a UIDVALIDITY change (sqlite-known.c is
 * the reference).  UIDLs sort with COLLATE "C": byte order, what
 * uidlset_has() bisects with strcmp(), whatever the database's locale.
 * See state.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/store/pg-int.h"
#include "daemon/store/pg-write.h"
#include "daemon/store/records-int.h"

static const char uids_known_sql[] = "SELECT m.uid FROM message m"
    " JOIN folder f ON f.id = m.folder_id WHERE f.account = $1 AND"
    " f.name = $2 AND f.uidvalidity = $3 AND m.uid IS NOT NULL"
    " UNION SELECT uid FROM intent WHERE account = $1 AND"
    " folder = $2 AND uidvalidity = $3 AND uid IS NOT NULL ORDER BY 1";
/* Delivered for sure: what a source that does not keep mail may delete.
 * Not the skipped ones, and not those whose intent is still in doubt. */
static const char uids_done_sql[] = "SELECT m.uid FROM message m"
    " JOIN folder f ON f.id = m.folder_id WHERE f.account = $1 AND"
    " f.name = $2 AND f.uidvalidity = $3 AND m.uid IS NOT NULL AND"
    " m.status IN ('delivered', 'duplicate') ORDER BY 1";

static int
pg_uids_load(struct state_impl *st, const char *sql, const char *account,
    const char *folder, uint32_t uidvalidity, struct uidset *set, char *err,
    size_t errlen)
{
	struct pg_num	 uv;
	const char	*vals[3];
	PGresult	*r;
	uint32_t	 known;
	size_t		 cap = 0;
	int		 i, rc;

	set->v = NULL;
	set->n = 0;
	if ((rc = pg_folder_uidvalidity(st, account, folder, &known, err,
	    errlen)) == -1)
		return -1;
	if (rc == 1 && known != uidvalidity) {
		snprintf(err, errlen, "state %s: account %s folder %s: "
		    "UIDVALIDITY %u asked for, %u recorded (internal error: "
		    "the folder was not reset)", st->shown, account,
		    pg_folder_name(folder), uidvalidity, known);
		return -1;
	}
	vals[0] = account;
	vals[1] = pg_folder_name(folder);
	vals[2] = pg_i64(&uv, uidvalidity);
	if ((r = pg_run(st, "loading UIDs", sql, 3, vals, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++)
		if (uidset_add(set, &cap, (uint32_t)pg_get_i64(r, i, 0)) ==
		    -1) {
			snprintf(err, errlen, "state %s: account %s folder %s: "
			    "out of memory loading %zu UIDs", st->shown,
			    account, pg_folder_name(folder), set->n);
			uidset_free(set);
			PQclear(r);
			return -1;
		}
	PQclear(r);
	return 0;
}

int
pg_uids_delivered(struct state_impl *st, const char *account,
    const char *folder, uint32_t uidvalidity, struct uidset *set, char *err,
    size_t errlen)
{
	return pg_uids_load(st, uids_known_sql, account, folder, uidvalidity,
	    set, err, errlen);
}

int
pg_uids_deletable(struct state_impl *st, const char *account,
    const char *folder, uint32_t uidvalidity, struct uidset *set, char *err,
    size_t errlen)
{
	return pg_uids_load(st, uids_done_sql, account, folder, uidvalidity,
	    set, err, errlen);
}

static const char uidls_known_sql[] = "SELECT m.uidl COLLATE \"C\" AS"
    " uidl FROM message m JOIN folder f ON f.id = m.folder_id"
    " WHERE f.account = $1 AND f.name = $2 AND m.uidl IS NOT NULL"
    " UNION SELECT uidl COLLATE \"C\" FROM intent WHERE account = $1"
    " AND folder = $2 AND uidl IS NOT NULL ORDER BY uidl";
static const char uidls_done_sql[] = "SELECT m.uidl FROM message m"
    " JOIN folder f ON f.id = m.folder_id WHERE f.account = $1 AND"
    " f.name = $2 AND m.uidl IS NOT NULL AND"
    " m.status IN ('delivered', 'duplicate')"
    " ORDER BY m.uidl COLLATE \"C\"";

static int
pg_uidls_load(struct state_impl *st, const char *sql, const char *account,
    const char *folder, struct uidlset *set, char *err, size_t errlen)
{
	struct uidl_loader	 l = { NULL, 0, 0, NULL, 0, 0 };
	const char		*vals[2] = { account, pg_folder_name(folder) };
	PGresult		*r;
	int			 i, rv = 0;

	memset(set, 0, sizeof(*set));
	if ((r = pg_run(st, "loading UIDLs", sql, 2, vals, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r) && rv == 0; i++)
		rv = uidl_loader_add(&l, PQgetvalue(r, i, 0),
		    (size_t)PQgetlength(r, i, 0));
	PQclear(r);
	if (rv == 0)
		rv = uidl_loader_finish(&l, set);
	if (rv == -1)
		snprintf(err, errlen, "state %s: account %s: out of memory "
		    "loading %zu UIDLs", st->shown, account, l.n);
	free(l.buf);
	free(l.off);
	return rv;
}

int
pg_uidls_delivered(struct state_impl *st, const char *account,
    const char *folder, struct uidlset *set, char *err, size_t errlen)
{
	return pg_uidls_load(st, uidls_known_sql, account, folder, set, err,
	    errlen);
}

int
pg_uidls_deletable(struct state_impl *st, const char *account,
    const char *folder, struct uidlset *set, char *err, size_t errlen)
{
	return pg_uidls_load(st, uidls_done_sql, account, folder, set, err,
	    errlen);
}

static int
pg_key_check(struct state_impl *st, const struct msg_key *key, char *err,
    size_t errlen)
{
	if (key->account == NULL || (key->uidl == NULL && key->uid == 0)) {
		snprintf(err, errlen, "state %s: internal error: message "
		    "without account, UID or UIDL", st->shown);
		return -1;
	}
	return 0;
}

/* The folder's id, made with the key's UIDVALIDITY if new; an IMAP key
 * must carry the folder's current one. */
static int
pg_key_folder(struct state_impl *st, const struct msg_key *key,
    int64_t *fid, char *err, size_t errlen)
{
	struct pg_num	 uv;
	const char	*vals[3];
	PGresult	*r;
	uint32_t	 known;
	int		 rc;

	if ((rc = pg_folder_get(st, key->account, key->folder, fid, &known,
	    err, errlen)) == -1)
		return -1;
	if (rc == 1 && key->uidl == NULL && known != key->uidvalidity) {
		snprintf(err, errlen, "state %s: account %s folder %s UID %u: "
		    "UIDVALIDITY %u given, %u recorded (internal error: the "
		    "folder was not reset)", st->shown, key->account,
		    pg_folder_name(key->folder), key->uid, key->uidvalidity,
		    known);
		return -1;
	}
	if (rc == 1)
		return 0;
	vals[0] = key->account;
	vals[1] = pg_folder_name(key->folder);
	vals[2] = pg_i64(&uv, key->uidvalidity);
	if ((r = pg_run(st, "adding a folder", "INSERT INTO folder (account,"
	    " name, uidvalidity) VALUES ($1, $2, $3) ON CONFLICT (account,"
	    " name) DO UPDATE SET name = excluded.name RETURNING id", 3, vals,
	    NULL, NULL, err, errlen)) == NULL)
		return -1;
	*fid = pg_get_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* SQLite's INSERT OR REPLACE: the whole row, on the index of its key. */
#define MESSAGE_PUT(target) "INSERT INTO message (folder_id, uid, uidl," \
    " status, reason, message_id, size, sha256, time) VALUES ($1, $2, $3," \
    " $4, $5, $6, $7, $8, $9) ON CONFLICT " target " DO UPDATE SET" \
    " uid = excluded.uid, uidl = excluded.uidl, status = excluded.status," \
    " reason = excluded.reason, message_id = excluded.message_id," \
    " size = excluded.size, sha256 = excluded.sha256, location = NULL," \
    " time = excluded.time"

/* Insert or replace the row of key in its folder (created if needed);
 * in the caller's transaction. */
static int
pg_message_put(struct state_impl *st, const struct msg_key *key,
    const char *status, const char *reason, const struct msg_content *c,
    char *err, size_t errlen)
{
	struct pg_num	 n[4];
	const char	*vals[9];
	char		 why[512], msgid[STATE_MSGID_MAX];
	int		 lens[9] = { 0 }, fmts[9] = { 0 };
	PGresult	*r;
	int64_t		 fid;
	int		 hashed = c != NULL && c->hashed;

	if (pg_key_folder(st, key, &fid, err, errlen) == -1)
		return -1;
	vals[0] = pg_i64(&n[0], fid);
	vals[1] = key->uidl == NULL ? pg_i64(&n[1], key->uid) : NULL;
	vals[2] = key->uidl;
	vals[3] = status;
	vals[4] = pg_utf8_fit(reason, why, sizeof(why));
	vals[5] = hashed ? pg_utf8_fit(c->message_id, msgid, sizeof(msgid)) :
	    NULL;
	vals[6] = pg_i64(&n[2], c == NULL ? 0 : (int64_t)c->size);
	vals[7] = hashed ? (const char *)c->sha256 : NULL;
	lens[7] = STATE_SHA256_LEN;
	fmts[7] = 1;
	vals[8] = pg_i64(&n[3], (int64_t)time(NULL));
	if ((r = pg_run(st, "recording a message", key->uidl == NULL ?
	    MESSAGE_PUT("(folder_id, uid) WHERE uid IS NOT NULL") :
	    MESSAGE_PUT("(folder_id, uidl) WHERE uidl IS NOT NULL"), 9, vals,
	    lens, fmts, err, errlen)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

int
pg_mark_skipped(struct state_impl *st, const struct msg_key *key,
    const struct msg_content *c, const char *reason, char *err,
    size_t errlen)
{
	if (pg_key_check(st, key, err, errlen) == -1 ||
	    pg_begin(st, PG_FENCED, err, errlen) == -1)
		return -1;
	if (pg_message_put(st, key, "skipped", reason, c, err, errlen) == -1) {
		pg_rollback(st);
		return -1;
	}
	return pg_commit(st, err, errlen);
}

/* Use up one unmatched set-aside row with this content; 1 if found. */
static int
pg_old_match(struct state_impl *st, int64_t fid, const struct msg_content *c,
    char *why, size_t whylen, char *err, size_t errlen)
{
	struct pg_num	 n[2];
	const char	*vals[4];
	int		 lens[4] = { 0, 0, STATE_SHA256_LEN, 0 };
	int		 fmts[4] = { 0, 0, 1, 0 };
	char		 msgid[STATE_MSGID_MAX];
	PGresult	*r;
	int		 found;

	vals[0] = pg_i64(&n[0], fid);
	vals[1] = pg_i64(&n[1], (int64_t)c->size);
	vals[2] = (const char *)c->sha256;
	vals[3] = pg_utf8_fit(c->message_id, msgid, sizeof(msgid));
	if ((r = pg_run(st, "using a set-aside row", "UPDATE message_old"
	    " SET matched = 1 WHERE id = (SELECT id FROM message_old"
	    " WHERE folder_id = $1 AND size = $2 AND sha256 = $3"
	    " AND coalesce(message_id, '') = $4 AND matched = 0"
	    " ORDER BY id LIMIT 1 FOR UPDATE)"
	    " RETURNING uidvalidity, coalesce(uid::text, uidl)", 4, vals,
	    lens, fmts, err, errlen)) == NULL)
		return -1;
	if ((found = PQntuples(r) == 1))
		snprintf(why, whylen, "delivered before as UIDVALIDITY %s "
		    "UID %s", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
	PQclear(r);
	return found;
}

int
pg_seen_content(struct state_impl *st, const struct msg_key *key,
    const struct msg_content *c, char *err, size_t errlen)
{
	char		 why[128];
	int64_t		 fid;
	uint32_t	 uv;
	int		 r;

	if (pg_key_check(st, key, err, errlen) == -1)
		return -1;
	if (!c->hashed)
		return 0;
	if (pg_begin(st, PG_FENCED, err, errlen) == -1)
		return -1;
	if ((r = pg_folder_get(st, key->account, key->folder, &fid, &uv, err,
	    errlen)) == 1)
		r = pg_old_match(st, fid, c, why, sizeof(why), err, errlen);
	if (r == 1 && pg_message_put(st, key, "duplicate", why, c, err,
	    errlen) == -1)
		r = -1;
	if (r != 1) {
		pg_rollback(st);
		return r;
	}
	if (pg_commit(st, err, errlen) == -1)
		return -1;
	return 1;
}

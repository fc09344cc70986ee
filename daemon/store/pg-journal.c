/* SPDX-License-Identifier: ISC */
/*
 * pg-journal.c - the intent journal in the PostgreSQL backend:
 * deliveries recorded before they become visible and resolved after
 * (sqlite-journal.c is the reference; state.h and deliver.h the
 * guarantee).  Where SQLite runs statements per intent, this runs one
 * per batch over arrays (unnest()): statements per message are what
 * the database server's capacity is counted in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/store/pg-int.h"
#include "daemon/store/pg-write.h"
#include "daemon/store/queue.h"

/* indexed by enum state_target */
static const char *const target_names[] = {
	"maildir", "mbox", "lmtp", "imap", "webhook"
};

/* The columns of intents_record()'s arrays, in order. */
enum {
	IN_ACCOUNT, IN_FOLDER, IN_UIDVALIDITY, IN_UID, IN_UIDL, IN_KIND,
	IN_PATH, IN_NAME, IN_OFFSET, IN_LENGTH, IN_ENTRY_SHA, IN_MSGID,
	IN_SIZE, IN_SHA, IN_TIME, IN_MAX
};

/* The ids are drawn first (nextval, in input order) so that each comes
 * back to its own intent: RETURNING promises no order. */
static const char intents_add_sql[] = "WITH v AS (SELECT"
    " nextval(pg_get_serial_sequence('intent', 'id')) AS id, u.*"
    " FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[],"
    " $5::text[], $6::text[], $7::text[], $8::text[], $9::int8[],"
    " $10::int8[], $11::text[], $12::text[], $13::int8[], $14::text[],"
    " $15::int8[]) WITH ORDINALITY AS u(account, folder, uidvalidity,"
    " uid, uidl, kind, path, name, mbox_offset, mbox_length,"
    " entry_sha256, message_id, size, sha256, time, ord)),"
    " ins AS (INSERT INTO intent (id, account, folder, uidvalidity, uid,"
    " uidl, kind, path, name, mbox_offset, mbox_length, entry_sha256,"
    " message_id, size, sha256, time) SELECT id, account, folder,"
    " uidvalidity, uid, uidl, kind, path, name, mbox_offset,"
    " mbox_length, decode(entry_sha256, 'hex'), message_id, size,"
    " decode(sha256, 'hex'), time FROM v)"
    " SELECT id FROM v ORDER BY ord";

static void
pg_intent_row(struct pg_array *a, const struct state_intent *in)
{
	char	 msgid[STATE_MSGID_MAX];

	pg_array_str(&a[IN_ACCOUNT], in->account);
	pg_array_str(&a[IN_FOLDER], pg_folder_name(in->folder));
	pg_array_i64(&a[IN_UIDVALIDITY], in->uidvalidity);
	if (in->uidl == NULL)
		pg_array_i64(&a[IN_UID], in->uid);
	else
		pg_array_str(&a[IN_UID], NULL);
	pg_array_str(&a[IN_UIDL], in->uidl);
	pg_array_str(&a[IN_KIND], target_names[in->kind]);
	pg_array_str(&a[IN_PATH], in->path);
	pg_array_str(&a[IN_NAME], in->name);
	pg_array_i64(&a[IN_OFFSET], (int64_t)in->offset);
	pg_array_i64(&a[IN_LENGTH], (int64_t)in->length);
	pg_array_hex(&a[IN_ENTRY_SHA], in->kind == STATE_MBOX ?
	    in->entry_sha256 : NULL, STATE_SHA256_LEN);
	pg_array_str(&a[IN_MSGID], pg_utf8_fit(in->content.message_id, msgid,
	    sizeof(msgid)));
	pg_array_i64(&a[IN_SIZE], (int64_t)in->content.size);
	/* no digest: empty bytes (NOT NULL, as in SQLite); the message
	 * row gets NULL */
	pg_array_hex(&a[IN_SHA], in->content.sha256, in->content.hashed ?
	    STATE_SHA256_LEN : 0);
	pg_array_i64(&a[IN_TIME], in->time);
}

int
pg_intents_record(struct state_impl *st, struct state_intent *v, size_t n,
    char *err, size_t errlen)
{
	struct pg_array	 a[IN_MAX];
	const char	*vals[IN_MAX];
	PGresult	*r = NULL;
	size_t		 i;
	int		 k, oom = 0;

	if (n == 0)
		return 0;
	memset(a, 0, sizeof(a));
	for (i = 0; i < n; i++)
		pg_intent_row(a, &v[i]);
	for (k = 0; k < IN_MAX; k++)
		if ((vals[k] = pg_array_end(&a[k])) == NULL)
			oom = 1;
	if (oom)
		snprintf(err, errlen, "state %s: out of memory recording %zu "
		    "intents", st->shown, n);
	else
		r = pg_run_fenced(st, "recording intents", intents_add_sql,
		    IN_MAX, vals, NULL, NULL, err, errlen);
	for (k = 0; k < IN_MAX; k++)
		pg_array_free(&a[k]);
	if (r == NULL)
		return -1;
	for (i = 0; i < n && i < (size_t)PQntuples(r); i++)
		v[i].id = pg_get_i64(r, (int)i, 0);
	PQclear(r);
	return 0;
}

/* Where the delivered message is, as sqlite-journal.c writes it. */
#define PG_LOCATION \
    " CASE i.kind WHEN 'maildir' THEN 'maildir:' || i.path || '/new/' ||" \
    " i.name WHEN 'webhook' THEN 'webhook:' || i.path || '#' || i.name" \
    " WHEN 'lmtp' THEN 'lmtp:' || i.path" \
    " WHEN 'imap' THEN 'imap:' || i.path || CASE WHEN i.ruid > 0 THEN" \
    " ';UIDVALIDITY=' || i.ruv || '/;UID=' || i.ruid ELSE '' END" \
    " ELSE 'mbox:' || i.path || '@' || i.mbox_offset END"

/* SQLite's INSERT OR REPLACE of the delivered row: the whole row. */
#define PG_DELIVERED(key) " INSERT INTO message (folder_id, uid, uidl," \
    " status, message_id, size, sha256, location, time) SELECT fid, uid," \
    " uidl, 'delivered', message_id, size, sha256, location, $4 FROM d" \
    " WHERE " key " IS NOT NULL ON CONFLICT (folder_id, " key ") WHERE " \
    key " IS NOT NULL DO UPDATE SET uid = excluded.uid," \
    " uidl = excluded.uidl, status = excluded.status, reason = NULL," \
    " message_id = excluded.message_id, size = excluded.size," \
    " sha256 = excluded.sha256, location = excluded.location," \
    " time = excluded.time"

/*
 * Every intent of the batch done, in one statement: the destination's
 * APPENDUID taken in from the arrays, the folders made (the first
 * intent's UIDVALIDITY, as SQLite's INSERT OR IGNORE in id order), the
 * delivered rows written (of one message delivered twice, the last
 * intent's), those of a folder that moved on to another UIDVALIDITY
 * meanwhile set aside (they still count for the duplicate check), and
 * the intents dropped.  Its parts see one snapshot: f is the folders
 * made here plus those that were there.
 */
static const char intents_done_sql[] = "WITH"
    " u AS (SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[])"
    "  AS u(id, ruv, ruid)),"
    " i AS (SELECT i.id, i.account, i.folder, i.uidvalidity, i.uid,"
    "  i.uidl, i.kind, i.path, i.name, i.mbox_offset, i.message_id,"
    "  i.size, nullif(i.sha256, ''::bytea) AS sha256,"
    "  CASE WHEN u.ruid <> 0 THEN u.ruv ELSE i.remote_uidvalidity END"
    "  AS ruv,"
    "  CASE WHEN u.ruid <> 0 THEN u.ruid ELSE i.remote_uid END AS ruid"
    "  FROM intent i JOIN u ON u.id = i.id),"
    " fnew AS (INSERT INTO folder (account, name, uidvalidity)"
    "  SELECT DISTINCT ON (account, folder) account, folder, uidvalidity"
    "  FROM i ORDER BY account, folder, id"
    "  ON CONFLICT (account, name) DO NOTHING"
    "  RETURNING id, account, name, uidvalidity),"
    " f AS (SELECT * FROM fnew UNION ALL SELECT id, account, name,"
    "  uidvalidity FROM folder WHERE (account, name) IN"
    "  (SELECT account, folder FROM i)),"
    " d AS (SELECT DISTINCT ON (f.id, i.uid, i.uidl) f.id AS fid, i.*,"
    PG_LOCATION " AS location FROM i JOIN f ON f.account = i.account"
    "  AND f.name = i.folder WHERE f.uidvalidity = i.uidvalidity"
    "  ORDER BY f.id, i.uid, i.uidl, i.id DESC),"
    " m1 AS (" PG_DELIVERED("uid") "),"
    " m2 AS (" PG_DELIVERED("uidl") "),"
    " o AS (INSERT INTO message_old (folder_id, uid, uidl, status,"
    "  message_id, size, sha256, location, time, uidvalidity, set_aside)"
    "  SELECT f.id, i.uid, i.uidl, 'delivered', i.message_id, i.size,"
    "  i.sha256," PG_LOCATION ", $4, i.uidvalidity, $4 FROM i JOIN f"
    "  ON f.account = i.account AND f.name = i.folder"
    "  WHERE f.uidvalidity <> i.uidvalidity ORDER BY i.id),"
    " gone AS (DELETE FROM intent WHERE id IN (SELECT id FROM u))"
    " SELECT count(*) FROM i";

static int
pg_intents_done(struct state_impl *st, const int64_t *ids,
    const uint32_t *uv, const uint32_t *uid, size_t n, char *err,
    size_t errlen)
{
	struct pg_array	 a[3];
	struct pg_num	 now;
	const char	*vals[4];
	size_t		 i;
	int		 k, rv = 0;

	memset(a, 0, sizeof(a));
	for (i = 0; i < n; i++) {
		pg_array_i64(&a[0], ids[i]);
		pg_array_i64(&a[1], uid != NULL ? uv[i] : 0);
		pg_array_i64(&a[2], uid != NULL ? uid[i] : 0);
	}
	for (k = 0; k < 3; k++)
		if ((vals[k] = pg_array_end(&a[k])) == NULL)
			rv = -1;
	vals[3] = pg_i64(&now, (int64_t)time(NULL));
	if (rv == -1)
		snprintf(err, errlen, "state %s: out of memory completing "
		    "%zu intents", st->shown, n);
	else
		rv = pg_exec(st, "recording deliveries", intents_done_sql, 4,
		    vals, err, errlen);
	for (k = 0; k < 3; k++)
		pg_array_free(&a[k]);
	return rv;
}

int
pg_intents_complete_batch(struct state_impl *st, const int64_t *ids,
    const uint32_t *uv, const uint32_t *uid, size_t n,
    const struct queue_item *items, size_t nitems, char *err, size_t errlen)
{
	size_t	 i;

	if (n == 0 && nitems == 0)
		return 0;
	if (pg_begin(st, PG_FENCED, err, errlen) == -1)
		return -1;
	if (n > 0 && pg_intents_done(st, ids, uv, uid, n, err, errlen) == -1)
		goto fail;
	for (i = 0; i < nitems; i++)
		if (pg_queue_insert(st, &items[i], err, errlen) == -1)
			goto fail;
	return pg_commit(st, err, errlen);
fail:
	pg_rollback(st);
	return -1;
}

int
pg_intents_complete(struct state_impl *st, const int64_t *ids, size_t n,
    char *err, size_t errlen)
{
	return pg_intents_complete_batch(st, ids, NULL, NULL, n, NULL, 0, err,
	    errlen);
}

int
pg_intents_rollback(struct state_impl *st, const int64_t *ids, size_t n,
    char *err, size_t errlen)
{
	struct pg_array	 a = { 0 };
	const char	*vals[1];
	PGresult	*r = NULL;
	size_t		 i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		pg_array_i64(&a, ids[i]);
	if ((vals[0] = pg_array_end(&a)) == NULL)
		snprintf(err, errlen, "state %s: out of memory removing %zu "
		    "intents", st->shown, n);
	else
		r = pg_run_fenced(st, "removing intents", "DELETE FROM intent"
		    " WHERE id = ANY ($1::int8[])", 1, vals, NULL, NULL, err,
		    errlen);
	pg_array_free(&a);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* A 32-byte digest column into out; 1 if it held one. */
static int
pg_get_sha(const PGresult *r, int row, int col, unsigned char *out)
{
	unsigned char	*p;
	size_t		 len;
	int		 got;

	if ((p = pg_get_bytea(r, row, col, &len)) == NULL)
		return -1;
	if ((got = len == STATE_SHA256_LEN))
		memcpy(out, p, STATE_SHA256_LEN);
	free(p);
	return got;
}

static int
pg_intent_load(const PGresult *r, int row, struct state_intent *in)
{
	const char	*kind = PQgetvalue(r, row, 6);
	size_t		 i;
	int		 sha;

	memset(in, 0, sizeof(*in));
	in->id = pg_get_i64(r, row, 0);
	in->uidvalidity = (uint32_t)pg_get_i64(r, row, 3);
	in->uid = (uint32_t)pg_get_i64(r, row, 4);
	/* a kind written by a newer build is settled by nobody: its
	 * intent stays (recover.c) */
	in->kind = STATE_UNKNOWN;
	for (i = 0; i < sizeof(target_names) / sizeof(target_names[0]); i++)
		if (strcmp(kind, target_names[i]) == 0)
			in->kind = (enum state_target)i;
	in->offset = (uint64_t)pg_get_i64(r, row, 9);
	in->length = (uint64_t)pg_get_i64(r, row, 10);
	snprintf(in->content.message_id, sizeof(in->content.message_id),
	    "%s", PQgetvalue(r, row, 12));
	in->content.size = (uint64_t)pg_get_i64(r, row, 13);
	in->time = pg_get_i64(r, row, 15);
	if (pg_get_sha(r, row, 11, in->entry_sha256) == -1 ||
	    (sha = pg_get_sha(r, row, 14, in->content.sha256)) == -1)
		return -1;
	in->content.hashed = sha;
	if ((in->account = pg_get_str(r, row, 1)) == NULL ||
	    (in->folder = pg_get_str(r, row, 2)) == NULL ||
	    (!PQgetisnull(r, row, 5) &&
	    (in->uidl = pg_get_str(r, row, 5)) == NULL) ||
	    (in->path = pg_get_str(r, row, 7)) == NULL ||
	    (in->name = pg_get_str(r, row, 8)) == NULL) {
		state_intent_clear(in);
		return -1;
	}
	return 0;
}

int
pg_intents_pending(struct state_impl *st, struct state_intent **out,
    size_t *n, char *err, size_t errlen)
{
	const char	*vals[1] = { st->fence_account };
	PGresult	*r;
	int		 i;

	*out = NULL;
	*n = 0;
	/* a fenced handle settles its own account's intents only */
	if ((r = pg_run(st, "loading intents", "SELECT id, account, folder,"
	    " uidvalidity, uid, uidl, kind, path, name, mbox_offset,"
	    " mbox_length, entry_sha256, message_id, size, sha256, time"
	    " FROM intent WHERE $1 = '' OR account = $1"
	    " ORDER BY kind COLLATE \"C\", path COLLATE \"C\", mbox_offset,"
	    " id", 1, vals, NULL, NULL, err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) > 0 && (*out = calloc((size_t)PQntuples(r),
	    sizeof(**out))) == NULL)
		goto oom;
	for (i = 0; i < PQntuples(r); i++, (*n)++)
		if (pg_intent_load(r, i, &(*out)[i]) == -1)
			goto oom;
	PQclear(r);
	return 0;
oom:
	PQclear(r);
	state_intents_free(*out, *n);
	*out = NULL;
	*n = 0;
	snprintf(err, errlen, "state %s: out of memory loading intents",
	    st->shown);
	return -1;
}

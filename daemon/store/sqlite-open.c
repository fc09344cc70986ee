/* SPDX-License-Identifier: ISC */
/*
 * sqlite-open.c - opening and closing a state file: a new file built
 * whole under a temporary name, WAL mode and the pragmas, the schema and
 * its migrations from older versions, and the lock of sqlite_claim().
 * The helpers it runs SQL through are in sqlite.c.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/store/sqlite-int.h"

#define STATE_SCHEMA	8

static const char schema_sql[] =
    "CREATE TABLE folder ("
    " id INTEGER PRIMARY KEY,"
    " account TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " uidvalidity INTEGER NOT NULL,"
    " UNIQUE (account, name));"
    "CREATE TABLE message ("
    " folder_id INTEGER NOT NULL REFERENCES folder(id),"
    " uid INTEGER,"
    " uidl TEXT,"
    " status TEXT NOT NULL"
    "  CHECK (status IN ('delivered', 'skipped', 'duplicate')),"
    " reason TEXT,"
    " message_id TEXT,"
    " size INTEGER NOT NULL,"
    " sha256 BLOB,"
    " location TEXT,"
    " time INTEGER NOT NULL,"
    " CHECK ((uid IS NULL) <> (uidl IS NULL)));"
    "CREATE UNIQUE INDEX message_by_uid ON message (folder_id, uid)"
    " WHERE uid IS NOT NULL;"
    "CREATE UNIQUE INDEX message_by_uidl ON message (folder_id, uidl)"
    " WHERE uidl IS NOT NULL;"
    /* Rows of an earlier UIDVALIDITY: kept for the duplicate check and
     * for the user, never deleted except by an explicit forget. */
    "CREATE TABLE message_old ("
    " folder_id INTEGER NOT NULL REFERENCES folder(id),"
    " uidvalidity INTEGER NOT NULL,"
    " uid INTEGER,"
    " uidl TEXT,"
    " status TEXT NOT NULL,"
    " reason TEXT,"
    " message_id TEXT,"
    " size INTEGER NOT NULL,"
    " sha256 BLOB,"
    " location TEXT,"
    " time INTEGER NOT NULL,"
    " set_aside INTEGER NOT NULL,"
    " matched INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX message_old_by_content ON message_old"
    " (folder_id, size, sha256);"
    "CREATE TABLE intent ("
    " id INTEGER PRIMARY KEY,"
    " account TEXT NOT NULL,"
    " folder TEXT NOT NULL,"
    " uidvalidity INTEGER NOT NULL,"
    " uid INTEGER,"
    " uidl TEXT,"
    " kind TEXT NOT NULL CHECK (kind IN ('maildir', 'mbox')),"
    " path TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " mbox_offset INTEGER NOT NULL,"
    " mbox_length INTEGER NOT NULL,"
    " entry_sha256 BLOB,"
    " message_id TEXT,"
    " size INTEGER NOT NULL,"
    " sha256 BLOB NOT NULL,"
    " time INTEGER NOT NULL);"
    "CREATE INDEX intent_by_folder ON intent (account, folder);"
    /* Replies and forwards waiting for SMTP; key makes queuing the same
     * action for the same message twice a no-op. */
    "CREATE TABLE outbox ("
    " id INTEGER PRIMARY KEY,"
    " key TEXT NOT NULL UNIQUE,"
    " account TEXT NOT NULL,"
    " smtp TEXT NOT NULL,"
    " sender TEXT NOT NULL,"
    " rcpts TEXT NOT NULL,"
    " data BLOB NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_try INTEGER NOT NULL,"
    " last_error TEXT,"
    " created INTEGER NOT NULL);"
    "CREATE INDEX outbox_due ON outbox (status, next_try);"
    /* When a rule last replied to a sender (RFC 3834 rate limit). */
    "CREATE TABLE reply_log ("
    " account TEXT NOT NULL,"
    " rule TEXT NOT NULL,"
    " sender TEXT NOT NULL,"
    " last INTEGER NOT NULL,"
    " PRIMARY KEY (account, rule, sender));"
    /* Actions with effects outside the state (files saved, commands
     * run) done for a message, so a refetch does not repeat them. */
    /* Server-side actions of the rules (IMAP move, copy, flag, delete),
     * kept until done so a crash cannot lose them; carried out only for
     * messages recorded as delivered or filed. */
    "CREATE TABLE server_op ("
    " id INTEGER PRIMARY KEY,"
    " account TEXT NOT NULL,"
    " folder TEXT NOT NULL,"
    " uidvalidity INTEGER NOT NULL,"
    " uid INTEGER NOT NULL,"
    " action TEXT NOT NULL,"
    " arg TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " UNIQUE (account, folder, uidvalidity, uid, action, arg));"
    "CREATE TABLE action_done ("
    " key TEXT PRIMARY KEY,"
    " time INTEGER NOT NULL);";

/*
 * Each schema version after the first: migration[v - 2] takes a file of
 * version v - 1 to v, in the transaction of sqlite_schema(), so a state
 * file of an older mailsift keeps working.
 */
static const char *const schema_migration[] = {
	/* 2: how each account's rounds went (`mailsift status`) */
	"CREATE TABLE account_run ("
	" account TEXT PRIMARY KEY,"
	" phase TEXT,"
	" updated INTEGER NOT NULL DEFAULT 0,"
	" next_poll INTEGER NOT NULL DEFAULT 0,"
	" last_ok INTEGER NOT NULL DEFAULT 0,"
	" ok_fetched INTEGER NOT NULL DEFAULT 0,"
	" ok_delivered INTEGER NOT NULL DEFAULT 0,"
	" ok_skipped INTEGER NOT NULL DEFAULT 0,"
	" ok_bytes INTEGER NOT NULL DEFAULT 0,"
	" ok_seconds REAL NOT NULL DEFAULT 0,"
	" last_error TEXT,"
	" last_error_time INTEGER NOT NULL DEFAULT 0,"
	" failures INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS outbox_by_account ON outbox"
	" (account, status);"
	"CREATE INDEX IF NOT EXISTS server_op_by_account ON server_op"
	" (account);",
	/* 3: each IMAP folder's sync point (CONDSTORE), apart from the
	 * folder row: dropping it only costs a full pass */
	"CREATE TABLE folder_sync ("
	" account TEXT NOT NULL,"
	" folder TEXT NOT NULL,"
	" uidvalidity INTEGER NOT NULL,"
	" highestmodseq INTEGER NOT NULL,"
	" uidnext INTEGER NOT NULL,"
	" only_unseen INTEGER NOT NULL,"
	" time INTEGER NOT NULL,"
	" PRIMARY KEY (account, folder));",
	/* 4: providers' message ids (msgid.h: Gmail's X-GM-MSGID) */
	"CREATE TABLE IF NOT EXISTS provider_msgid ("
	" account TEXT NOT NULL,"
	" msgid INTEGER NOT NULL,"
	" folder TEXT NOT NULL,"
	" uid INTEGER NOT NULL,"
	" time INTEGER NOT NULL,"
	" PRIMARY KEY (account, msgid));",
	/* 5: an intent's kind is any target's name (lmtp, later imap and
	 * webhook), checked by the code that reads it: SQLite cannot
	 * change a CHECK, so the table is made again */
	"CREATE TABLE intent_new ("
	" id INTEGER PRIMARY KEY,"
	" account TEXT NOT NULL,"
	" folder TEXT NOT NULL,"
	" uidvalidity INTEGER NOT NULL,"
	" uid INTEGER,"
	" uidl TEXT,"
	" kind TEXT NOT NULL,"
	" path TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" mbox_offset INTEGER NOT NULL,"
	" mbox_length INTEGER NOT NULL,"
	" entry_sha256 BLOB,"
	" message_id TEXT,"
	" size INTEGER NOT NULL,"
	" sha256 BLOB NOT NULL,"
	" time INTEGER NOT NULL);"
	/* by name: a test's file, set back to an older version, may have
	 * the columns of a later one */
	"INSERT INTO intent_new SELECT id, account, folder, uidvalidity, uid,"
	" uidl, kind, path, name, mbox_offset, mbox_length, entry_sha256,"
	" message_id, size, sha256, time FROM intent;"
	"DROP TABLE intent;"
	"ALTER TABLE intent_new RENAME TO intent;"
	"CREATE INDEX intent_by_folder ON intent (account, folder);",
	/* 6: an imap: delivery's APPENDUID (UIDPLUS), set just before its
	 * record, which names the message at the destination with it */
	"ALTER TABLE intent ADD COLUMN remote_uidvalidity INTEGER NOT NULL"
	" DEFAULT 0;"
	"ALTER TABLE intent ADD COLUMN remote_uid INTEGER NOT NULL DEFAULT 0;",
	/* 7: the delivery queue (queue.h): webhook requests to send */
	"CREATE TABLE IF NOT EXISTS delivery_queue ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL,"
	" key TEXT NOT NULL UNIQUE,"
	" target TEXT NOT NULL,"
	" account TEXT NOT NULL,"
	" entry BLOB NOT NULL,"
	" status TEXT NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_try INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" last_error TEXT);"
	"CREATE INDEX IF NOT EXISTS delivery_queue_due ON delivery_queue"
	" (kind, status, next_try);",
	/* 8: each account's OAuth2 grant (oauth.h); the tokens are secrets,
	 * which is one more reason the file is 0600 */
	"CREATE TABLE IF NOT EXISTS oauth_grant ("
	" account TEXT PRIMARY KEY,"
	" provider TEXT NOT NULL,"
	" scopes TEXT NOT NULL,"
	" refresh_token TEXT,"
	" access_token TEXT,"
	" expires INTEGER NOT NULL DEFAULT 0,"
	" last_refresh INTEGER NOT NULL DEFAULT 0,"
	" state TEXT NOT NULL DEFAULT 'ok'"
	"  CHECK (state IN ('ok', 'needs-login')),"
	" error TEXT,"
	" updated INTEGER NOT NULL);",
};

/* Bring db from version `from` to STATE_SCHEMA; the caller holds a
 * transaction. */
static int
sqlite_migrate(sqlite3 *db, int from, char **why)
{
	char	 sql[64];
	int	 v;

	for (v = from + 1; v <= STATE_SCHEMA; v++)
		if (sqlite3_exec(db, schema_migration[v - 2], NULL, NULL,
		    why) != SQLITE_OK)
			return -1;
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", STATE_SCHEMA);
	return sqlite3_exec(db, sql, NULL, NULL, why) == SQLITE_OK ? 0 : -1;
}

/* Create the directories above path (0700) that do not exist. */
static int
sqlite_mkdirs(const char *path, char *err, size_t errlen)
{
	char	 dir[PATH_MAX];
	size_t	 i, len = strlen(path);

	if (len >= sizeof(dir)) {
		snprintf(err, errlen, "state %s: path too long", path);
		return -1;
	}
	memcpy(dir, path, len + 1);
	for (i = 1; i < len; i++) {
		if (dir[i] != '/')
			continue;
		dir[i] = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "state %s: cannot create "
			    "directory %s: %s", path, dir, strerror(errno));
			return -1;
		}
		dir[i] = '/';
	}
	return 0;
}

/* Run the statements of sql on db; the message names path and what. */
static int
sqlite_create_exec(sqlite3 *db, const char *sql, const char *path,
    char *err, size_t errlen)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "state %s: cannot create: %s", path,
	    sqlite3_errmsg(db));
	return -1;
}

/* The tables and the version, in tmp, in one transaction. */
static int
sqlite_create_schema(const char *tmp, const char *path, char *err,
    size_t errlen)
{
	sqlite3	*db = NULL;
	char	*why = NULL;
	int	 rv = -1;

	if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "state %s: cannot create: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	if (sqlite_create_exec(db, "BEGIN", path, err, errlen) == -1 ||
	    sqlite_create_exec(db, schema_sql, path, err, errlen) == -1)
		goto out;
	if (sqlite_migrate(db, 1, &why) == -1) {
		snprintf(err, errlen, "state %s: cannot create: %s", path,
		    why != NULL ? why : "out of memory");
		goto out;
	}
	if (sqlite_create_exec(db, "COMMIT", path, err, errlen) == -1)
		goto out;
	rv = 0;
out:
	sqlite3_free(why);
	if (sqlite3_close(db) != SQLITE_OK && rv == 0) {
		snprintf(err, errlen, "state %s: cannot create: close failed",
		    path);
		rv = -1;
	}
	return rv;
}

/* The new name on stable storage before anything is recorded under it. */
static int
sqlite_sync_dir(const char *path, char *err, size_t errlen)
{
	char		 dir[PATH_MAX];
	const char	*slash = strrchr(path, '/');
	int		 fd, rv = 0;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
		    (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "state %s: cannot sync directory %s: %s",
		    path, dir, strerror(errno));
		rv = -1;
	}
	if (fd != -1)
		(void)close(fd);	/* read-only */
	return rv;
}

/*
 * A new state is built under a temporary name and linked into place
 * whole, so that a crash never leaves an empty file where the state
 * belongs: an empty state file is then always damage (sqlite_check_size),
 * never a start.  mkstemp makes it 0600 from the start; SQLite gives its
 * -wal and -shm files the mode of the database.
 */
static int
sqlite_create_file(const char *path, char *err, size_t errlen)
{
	char	 tmp[PATH_MAX];
	int	 fd, rv = -1;

	if (access(path, F_OK) == 0)
		return 0;
	if (sqlite_mkdirs(path, err, errlen) == -1)
		return -1;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new-XXXXXX", path) >=
	    sizeof(tmp)) {
		snprintf(err, errlen, "state %s: path too long", path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(err, errlen, "state %s: cannot create %s: %s", path,
		    tmp, strerror(errno));
		return -1;
	}
	(void)close(fd);	/* nothing written through it */
	if (sqlite_create_schema(tmp, path, err, errlen) == -1)
		goto out;
	if (link(tmp, path) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "state %s: cannot create: %s", path,
		    strerror(errno));
		goto out;
	}
	(void)unlink(tmp);
	rv = sqlite_sync_dir(path, err, errlen);
out:
	(void)unlink(tmp);	/* a leftover is only a name */
	return rv;
}

/* An existing state that is empty lost its data: starting afresh from it
 * would fetch and deliver every kept message again. */
static int
sqlite_check_size(const char *path, const struct stat *sb, char *err,
    size_t errlen)
{
	if (sb->st_size > 0)
		return 0;
	snprintf(err, errlen, "state %s: the file is empty (0 bytes), so "
	    "everything it recorded is gone; mailsift would fetch and "
	    "deliver every message again.  Restore it from a backup, or "
	    "remove it to start afresh on purpose", path);
	return -1;
}

static int
sqlite_user_version(struct state_impl *st, int *version, char *err,
    size_t errlen)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if ((stmt = sqlite_prepare(st, SLOT_MAX, "PRAGMA user_version", err,
	    errlen)) == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		return sqlite_fail(st, "reading the schema version", err,
		    errlen);
	return 0;
}

static int
sqlite_schema(struct state_impl *st, char *err, size_t errlen)
{
	char	*why = NULL;
	int	 version = 0;

	if (sqlite_begin(st, err, errlen) == -1)
		return -1;
	if (sqlite_user_version(st, &version, err, errlen) == -1)
		goto fail;
	if (version > STATE_SCHEMA) {
		snprintf(err, errlen, "state %s: schema version %d was "
		    "written by a newer mailsift (this one knows %d)",
		    st->path, version, STATE_SCHEMA);
		goto fail;
	}
	if (version == 0) {
		if (sqlite_exec(st, schema_sql, "creating the tables", err,
		    errlen) == -1)
			goto fail;
		version = 1;
	}
	if (version < STATE_SCHEMA && sqlite_migrate(st->db, version,
	    &why) == -1) {
		snprintf(err, errlen, "state %s: upgrading the schema from "
		    "version %d: %s", st->path, version,
		    why != NULL ? why : sqlite3_errmsg(st->db));
		sqlite3_free(why);
		goto fail;
	}
	return sqlite_commit(st, err, errlen);
fail:
	sqlite_rollback(st);
	return -1;
}

/*
 * A daemon holds one connection per account, thousands of them, most
 * waiting in IDLE.  By default each connection's page cache starts with
 * a bulk allocation of about 90 KB; without it pages are taken one by
 * one as read, and sqlite_release() can give them all back.  Must run
 * before SQLite's first use in the process (later it is refused,
 * SQLITE_MISUSE, and only memory is lost): every handle comes through
 * sqlite_open(), and pthread_once holds the others back meanwhile.
 */
static void
sqlite_configure(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
}

struct state_impl *
sqlite_open(const char *path, int flags, char *err, size_t errlen)
{
	static pthread_once_t	 once = PTHREAD_ONCE_INIT;
	struct state_impl	*st;
	struct stat	 sb;

	if (pthread_once(&once, sqlite_configure) != 0) {
		snprintf(err, errlen, "state %s: cannot set SQLite up", path);
		return NULL;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "state %s: out of memory", path);
		free(st);
		return NULL;
	}
	st->lockfd = -1;
	st->oauth_lockfd = -1;
	if (!(flags & STATE_EXISTING) &&
	    sqlite_create_file(path, err, errlen) == -1)
		goto fail;
	if (stat(path, &sb) == -1) {
		snprintf(err, errlen, "state %s: %s (check the path given "
		    "with -s)", path, strerror(errno));
		goto fail;
	}
	if (sqlite_check_size(path, &sb, err, errlen) == -1)
		goto fail;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		sqlite_fail(st, "open", err, errlen);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (sqlite_pragmas(st, err, errlen) == -1 ||
	    sqlite_schema(st, err, errlen) == -1)
		goto fail;
	return st;
fail:
	sqlite_close(st);
	return NULL;
}

void
sqlite_close(struct state_impl *st)
{
	size_t	 i;

	if (st == NULL)
		return;
	for (i = 0; i < SLOT_MAX; i++)
		sqlite3_finalize(st->slot[i]);
	/* Fails only with unfinalized statements, and there are none. */
	(void)sqlite3_close(st->db);
	if (st->lockfd != -1)
		(void)close(st->lockfd);	/* a lock: nothing to lose */
	sqlite_oauth_unlock(st);
	free(st->path);
	free(st);
}

int
sqlite_exists(const char *path, char *err, size_t errlen)
{
	if (access(path, F_OK) == 0)
		return 1;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	snprintf(err, errlen, "state %s: %s", path, strerror(errno));
	return -1;
}

const char *
sqlite_path(const struct state_impl *st)
{
	return st->path;
}

int
sqlite_claim(struct state_impl *st, char *err, size_t errlen)
{
	char	 path[PATH_MAX];
	int	 fd;

	if (st->lockfd != -1)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s.lock", st->path) >=
	    sizeof(path)) {
		snprintf(err, errlen, "state %s: path too long", st->path);
		return -1;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "state %s: cannot open %s: %s",
		    st->path, path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		snprintf(err, errlen, "state %s: %s (another mailsift is "
		    "running with this state file; stop it first)", st->path,
		    errno == EWOULDBLOCK ? "in use" : strerror(errno));
		(void)close(fd);
		return -1;
	}
	st->lockfd = fd;
	return 0;
}

/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_state.c - the state store's SQLite backend
 * (daemon/store/sqlite.c, sqlite-journal.c, sqlite-admin.c) and
 * `mailsift state` (daemon/cmd/cmd-state.c).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/state-where.h"
#include "tests/unit/tmpdir.h"
#include <sqlite3.h>

#include "daemon/store/msgid.h"
#include "daemon/store/oauth.h"
#include "daemon/store/state.h"

int	cmd_state(int, char **);

struct fixture {
	char		 dir[64];
	char		 path[PATH_MAX];	/* the SQLite file */
	const char	*where;		/* path, or $MSX_STATE_URL */
};

static char	 err[2048];

static int
setup(void **state)
{
	struct fixture	*f;

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mailsift-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/a/b/state.db", f->dir);
	f->where = state_test_fresh(f->path);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	tmpdir_remove_at(AT_FDCWD, f->dir);
	free(f);
	return 0;
}

static struct state *
st_open(struct fixture *f)
{
	struct state	*st;

	if ((st = state_open(f->where, 0, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	return st;
}

static void
content_make(struct msg_content *c, const char *msgid, uint64_t size,
    unsigned char fill)
{
	memset(c, 0, sizeof(*c));
	c->size = size;
	c->hashed = 1;
	memset(c->sha256, fill, sizeof(c->sha256));
	snprintf(c->message_id, sizeof(c->message_id), "%s", msgid);
}

/* An intent as the delivery code makes it; free with
 * state_intent_clear(). */
static void
intent_make(struct state_intent *in, const char *account, const char *folder,
    uint32_t uidvalidity, uint32_t uid, const char *uidl,
    const struct msg_content *c)
{
	memset(in, 0, sizeof(*in));
	in->account = strdup(account);
	in->folder = strdup(folder);
	in->uidvalidity = uidvalidity;
	in->uid = uid;
	in->uidl = uidl == NULL ? NULL : strdup(uidl);
	in->content = *c;
	in->kind = STATE_MAILDIR;
	in->path = strdup("/home/u/Mail");
	in->name = strdup("1.M2P3Q4.host,S=5");
	in->time = 1700000000;
	assert_non_null(in->account);
	assert_non_null(in->path);
}

static int64_t
journal(struct state *st, const char *account, const char *folder,
    uint32_t uidvalidity, uint32_t uid, const char *uidl,
    const struct msg_content *c)
{
	struct state_intent	 in;
	int64_t			 id;

	intent_make(&in, account, folder, uidvalidity, uid, uidl, c);
	if (state_intents_record(st, &in, 1, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	id = in.id;
	assert_true(id > 0);
	state_intent_clear(&in);
	return id;
}

static void
delivered(struct state *st, const char *account, const char *folder,
    uint32_t uidvalidity, uint32_t uid, const char *uidl,
    const struct msg_content *c)
{
	int64_t	 id;

	id = journal(st, account, folder, uidvalidity, uid, uidl, c);
	if (state_intents_complete(st, &id, 1, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

static int
mode_of(const char *path)
{
	struct stat	 sb;

	assert_int_equal(stat(path, &sb), 0);
	return (int)(sb.st_mode & 07777);
}

static void
pragma_is(const char *path, const char *pragma, const char *want)
{
	sqlite3_stmt	*stmt;
	sqlite3		*db;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, pragma, -1, &stmt, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(stmt, 0), want);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

static void
test_open_creates(void **state)
{
	struct fixture	*f = *state;
	struct state	*st;
	char		 dir[PATH_MAX];

	STATE_TEST_FILE_ONLY();
	assert_null(state_open(f->path, STATE_EXISTING, err, sizeof(err)));
	assert_non_null(strstr(err, f->path));
	st = st_open(f);
	assert_string_equal(state_path(st), f->path);
	state_close(st);
	snprintf(dir, sizeof(dir), "%s/a/b", f->dir);
	assert_int_equal(mode_of(dir), 0700);
	assert_int_equal(mode_of(f->path), 0600);
	pragma_is(f->path, "PRAGMA user_version", "8");
	pragma_is(f->path, "PRAGMA journal_mode", "wal");
	st = state_open(f->path, STATE_EXISTING, err, sizeof(err));
	assert_non_null(st);
	state_close(st);
}

static void
test_newer_schema(void **state)
{
	struct fixture	*f = *state;
	sqlite3		*db;

	STATE_TEST_FILE_ONLY();
	state_close(st_open(f));
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=99", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(state_open(f->path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "newer mailsift"));
	assert_non_null(strstr(err, f->path));
}

static void
test_not_a_database(void **state)
{
	struct fixture	*f = *state;
	char		 junk[4096];
	int		 fd;

	STATE_TEST_FILE_ONLY();
	state_close(st_open(f));
	unlink(f->path);
	memset(junk, 'x', sizeof(junk));
	fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);
	assert_null(state_open(f->path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "not a mailsift state file"));
}

/* An empty state file is damage, not a start: with keep = true every
 * message would be delivered again. */
static void
test_empty_state_refused(void **state)
{
	struct fixture	*f = *state;
	char		 dir[PATH_MAX];
	struct stat	 sb;
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	STATE_TEST_FILE_ONLY();
	state_close(st_open(f));
	snprintf(dir, sizeof(dir), "%s/a/b", f->dir);
	/* Nothing of the creation is left beside it. */
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		assert_null(strstr(de->d_name, ".new-"));
	closedir(d);
	assert_int_equal(unlink(f->path), 0);
	fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd != -1);
	close(fd);
	assert_null(state_open(f->path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "empty"));
	assert_non_null(strstr(err, f->path));
	assert_null(state_open(f->path, STATE_EXISTING, err, sizeof(err)));
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
}

static void
test_folder_uidvalidity(void **state)
{
	struct fixture	*f = *state;
	struct state	*st = st_open(f);
	uint32_t	 uv = 0;
	size_t		 moved = 99;

	assert_int_equal(state_folder_uidvalidity(st, "a", "INBOX", &uv, err,
	    sizeof(err)), 0);
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 5, &moved, err,
	    sizeof(err)), 0);
	assert_int_equal(moved, 0);
	assert_int_equal(state_folder_uidvalidity(st, "a", "INBOX", &uv, err,
	    sizeof(err)), 1);
	assert_int_equal(uv, 5);
	/* another account's folder of the same name is another folder */
	assert_int_equal(state_folder_uidvalidity(st, "b", "INBOX", &uv, err,
	    sizeof(err)), 0);
	moved = 99;
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 5, &moved, err,
	    sizeof(err)), 0);
	assert_int_equal(moved, 0);
	state_close(st);
}

static void
test_uids(void **state)
{
	struct fixture		*f = *state;
	struct state		*st = st_open(f);
	struct msg_content	 c;
	struct msg_key		 k = { "a", "INBOX", 5, 7, NULL };
	struct uidset		 set;
	static const uint32_t	 want[] = { 3, 5, 7, 9, 11 };
	size_t			 i;

	content_make(&c, "<m@x>", 100, 0x11);
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 5, NULL, err,
	    sizeof(err)), 0);
	delivered(st, "a", "INBOX", 5, 9, NULL, &c);
	delivered(st, "a", "INBOX", 5, 3, NULL, &c);
	delivered(st, "a", "INBOX", 5, 5, NULL, &c);
	assert_int_equal(state_mark_skipped(st, &k, NULL, "larger than "
	    "max-size", err, sizeof(err)), 0);
	(void)journal(st, "a", "INBOX", 5, 11, NULL, &c);	/* in doubt */
	delivered(st, "a", "Other", 5, 4, NULL, &c);
	assert_int_equal(state_uids_delivered(st, "a", "INBOX", 5, &set, err,
	    sizeof(err)), 0);
	assert_int_equal(set.n, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(set.v[i], want[i]);
		assert_true(uidset_has(&set, want[i]));
	}
	assert_false(uidset_has(&set, 1));
	assert_false(uidset_has(&set, 4));
	assert_false(uidset_has(&set, 12));
	uidset_free(&set);
	/* asking with a stale UIDVALIDITY is a bug of the caller */
	assert_int_equal(state_uids_delivered(st, "a", "INBOX", 6, &set, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "UIDVALIDITY 6"));
	/* a skipped message with the wrong UIDVALIDITY too */
	k.uidvalidity = 6;
	assert_int_equal(state_mark_skipped(st, &k, NULL, "x", err,
	    sizeof(err)), -1);
	/* an unknown folder has nothing */
	assert_int_equal(state_uids_delivered(st, "a", "Nope", 1, &set, err,
	    sizeof(err)), 0);
	assert_int_equal(set.n, 0);
	uidset_free(&set);
	state_close(st);
}

/* Thousands of UIDs: one transaction to record, one query to load. */
static void
test_uids_many(void **state)
{
	struct fixture		*f = *state;
	struct state		*st = st_open(f);
	struct state_intent	*v;
	struct msg_content	 c;
	struct uidset		 set;
	int64_t			*ids;
	size_t			 i, n = 5000;

	content_make(&c, "", 10, 0x22);
	v = calloc(n, sizeof(*v));
	ids = calloc(n, sizeof(*ids));
	assert_non_null(v);
	assert_non_null(ids);
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 1, NULL, err,
	    sizeof(err)), 0);
	for (i = 0; i < n; i++)
		intent_make(&v[i], "a", "INBOX", 1, (uint32_t)(n - i) * 2,
		    NULL, &c);
	assert_int_equal(state_intents_record(st, v, n, err, sizeof(err)), 0);
	for (i = 0; i < n; i++)
		ids[i] = v[i].id;
	assert_int_equal(state_intents_complete(st, ids, n, err, sizeof(err)),
	    0);
	assert_int_equal(state_uids_delivered(st, "a", "INBOX", 1, &set, err,
	    sizeof(err)), 0);
	assert_int_equal(set.n, n);
	for (i = 1; i <= 2 * n + 1; i++)
		assert_int_equal(uidset_has(&set, (uint32_t)i), i % 2 == 0);
	uidset_free(&set);
	for (i = 0; i < n; i++)
		state_intent_clear(&v[i]);
	free(v);
	free(ids);
	state_close(st);
}

static void
test_uidls(void **state)
{
	struct fixture		*f = *state;
	struct state		*st = st_open(f);
	struct msg_content	 c;
	struct msg_key		 k = { "pop", NULL, 0, 0, "zz-skipped" };
	struct uidlset		 set;

	content_make(&c, "<p@x>", 10, 0x33);
	delivered(st, "pop", "", 0, 0, "b-2", &c);
	delivered(st, "pop", "", 0, 0, "a-1", &c);
	delivered(st, "pop", "", 0, 0, "c-3", &c);
	delivered(st, "other", "", 0, 0, "d-4", &c);
	assert_int_equal(state_mark_skipped(st, &k, NULL, "too big", err,
	    sizeof(err)), 0);
	assert_int_equal(state_uidls_delivered(st, "pop", NULL, &set, err,
	    sizeof(err)), 0);
	assert_int_equal(set.n, 4);
	assert_string_equal(set.v[0], "a-1");
	assert_string_equal(set.v[1], "b-2");
	assert_string_equal(set.v[2], "c-3");
	assert_string_equal(set.v[3], "zz-skipped");
	assert_true(uidlset_has(&set, "c-3"));
	assert_true(uidlset_has(&set, "zz-skipped"));
	assert_false(uidlset_has(&set, "d-4"));
	assert_false(uidlset_has(&set, "c"));
	uidlset_free(&set);
	state_close(st);
}

struct listed {
	struct state_folder_info	 fi[8];
	char				 acct[8][32];
	char				 folder[8][32];
	size_t				 n;
	char				 status[16][16];
	uint32_t			 uv[16];
	uint32_t			 uid[16];
	char				 loc[16][128];
	size_t				 nmsg;
};

static int
list_folder(const struct state_folder_info *fi, void *arg)
{
	struct listed	*l = arg;

	assert_true(l->n < 8);
	l->fi[l->n] = *fi;
	snprintf(l->acct[l->n], 32, "%s", fi->account);
	snprintf(l->folder[l->n], 32, "%s", fi->folder);
	l->n++;
	return 0;
}

static int
list_msg(const struct state_msg_info *mi, void *arg)
{
	struct listed	*l = arg;

	assert_true(l->nmsg < 16);
	snprintf(l->status[l->nmsg], 16, "%s", mi->status);
	snprintf(l->loc[l->nmsg], 128, "%s", mi->location ? mi->location :
	    "");
	l->uv[l->nmsg] = mi->uidvalidity;
	l->uid[l->nmsg] = mi->uid;
	l->nmsg++;
	return 0;
}

/* A Message-ID is the sender's: any bytes.  A message whose id is not
 * UTF-8 is recorded all the same (delivered, skipped) and recognised
 * after a UIDVALIDITY change; a database that keeps UTF-8 only must not
 * refuse it, or the message would be fetched again every round. */
static void
test_msgid_any_bytes(void **state)
{
	struct fixture		*f = *state;
	struct state		*st = st_open(f);
	struct msg_content	 c1, c2;
	struct msg_key		 k = { "a", "INBOX", 5, 2, NULL };
	struct uidset		 set;

	content_make(&c1, "<caf\xe9\xf0\x28@x>", 100, 0x01);
	content_make(&c2, "<b\xff@x>", 200, 0x02);
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 5, NULL, err,
	    sizeof(err)), 0);
	delivered(st, "a", "INBOX", 5, 1, NULL, &c1);
	if (state_mark_skipped(st, &k, &c2, "rule \xe9t\xe9", err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(state_uids_delivered(st, "a", "INBOX", 5, &set, err,
	    sizeof(err)), 0);
	assert_int_equal(set.n, 2);
	uidset_free(&set);
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 6, NULL, err,
	    sizeof(err)), 0);
	k.uidvalidity = 6;
	k.uid = 10;
	assert_int_equal(state_seen_content(st, &k, &c1, err, sizeof(err)), 1);
	state_close(st);
}

/* A new UIDVALIDITY sets rows aside; re-fetched copies are recognised by
 * Message-ID, size and SHA-256, each old row at most once. */
static void
test_uidvalidity_change(void **state)
{
	struct fixture		*f = *state;
	struct state		*st = st_open(f);
	struct msg_content	 c1, c2, c3, c2b;
	struct msg_key		 k = { "a", "INBOX", 6, 0, NULL };
	struct uidset		 set;
	struct listed		 l;
	size_t			 moved;
	int64_t			 id;

	content_make(&c1, "<1@x>", 100, 0x01);
	content_make(&c2, "<2@x>", 200, 0x02);
	content_make(&c3, "<1@x>", 100, 0x03);	/* same id, other bytes */
	content_make(&c2b, "<other@x>", 200, 0x02);
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 5, NULL, err,
	    sizeof(err)), 0);
	delivered(st, "a", "INBOX", 5, 1, NULL, &c1);
	delivered(st, "a", "INBOX", 5, 2, NULL, &c2);
	delivered(st, "a", "Sent", 5, 1, NULL, &c1);
	/* an intent of the old UIDVALIDITY, completed after the change */
	id = journal(st, "a", "INBOX", 5, 3, NULL, &c3);
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 6, &moved, err,
	    sizeof(err)), 0);
	assert_int_equal(moved, 2);
	assert_int_equal(state_intents_complete(st, &id, 1, err, sizeof(err)),
	    0);
	assert_int_equal(state_uids_delivered(st, "a", "INBOX", 6, &set, err,
	    sizeof(err)), 0);
	assert_int_equal(set.n, 0);
	uidset_free(&set);

	k.uid = 10;
	assert_int_equal(state_seen_content(st, &k, &c1, err, sizeof(err)), 1);
	k.uid = 11;	/* a second copy: the old row is used up */
	assert_int_equal(state_seen_content(st, &k, &c1, err, sizeof(err)), 0);
	k.uid = 12;	/* matched by its bytes, the late intent's row */
	assert_int_equal(state_seen_content(st, &k, &c3, err, sizeof(err)), 1);
	k.uid = 13;	/* same bytes, other Message-ID */
	assert_int_equal(state_seen_content(st, &k, &c2b, err, sizeof(err)),
	    0);
	k.uid = 14;
	assert_int_equal(state_seen_content(st, &k, &c2, err, sizeof(err)), 1);
	k.folder = "Sent";	/* Sent's rows were never set aside */
	k.uid = 15;
	assert_int_equal(state_seen_content(st, &k, &c1, err, sizeof(err)), 0);

	assert_int_equal(state_uids_delivered(st, "a", "INBOX", 6, &set, err,
	    sizeof(err)), 0);
	assert_int_equal(set.n, 3);
	assert_true(uidset_has(&set, 10) && uidset_has(&set, 12) &&
	    uidset_has(&set, 14));
	uidset_free(&set);

	memset(&l, 0, sizeof(l));
	assert_int_equal(state_folders_list(st, "a", list_folder, &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.folder[0], "INBOX");
	assert_int_equal(l.fi[0].uidvalidity, 6);
	assert_int_equal(l.fi[0].delivered, 0);
	assert_int_equal(l.fi[0].duplicates, 3);
	assert_int_equal(l.fi[0].set_aside, 3);
	assert_int_equal(l.fi[1].delivered, 1);
	assert_int_equal(state_messages_list(st, "a", "INBOX", list_msg, &l,
	    err, sizeof(err)), 0);
	assert_int_equal(l.nmsg, 6);
	assert_string_equal(l.status[0], "duplicate");
	assert_string_equal(l.status[3], "set-aside");
	assert_int_equal(l.uv[3], 5);
	assert_int_equal(l.uid[3], 1);
	state_close(st);
}

static void
test_intents(void **state)
{
	struct fixture		*f = *state;
	struct state		*st = st_open(f);
	struct state_intent	 in[3], *v;
	struct msg_content	 c;
	struct listed		 l;
	int64_t			 ids[2];
	size_t			 n, i;

	content_make(&c, "<i@x>", 321, 0x44);
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 5, NULL, err,
	    sizeof(err)), 0);
	intent_make(&in[0], "a", "INBOX", 5, 1, NULL, &c);
	intent_make(&in[1], "a", "INBOX", 5, 2, NULL, &c);
	intent_make(&in[2], "a", "INBOX", 5, 3, NULL, &c);
	/* delivered without a digest (DELIVERY_NO_DIGEST): none comes back */
	in[0].content.hashed = 0;
	for (i = 1; i < 3; i++) {
		in[i].kind = STATE_MBOX;
		free(in[i].path);
		free(in[i].name);
		in[i].path = strdup("/var/mail/u");
		in[i].name = strdup("From MAILER-DAEMON Thu Nov 27 10:00:00 "
		    "2025");
		in[i].offset = i == 1 ? 5000 : 1000;
		in[i].length = 400;
		memset(in[i].entry_sha256, 0x50 + (int)i, STATE_SHA256_LEN);
	}
	assert_int_equal(state_intents_record(st, in, 3, err, sizeof(err)), 0);
	assert_int_equal(state_intents_pending(st, &v, &n, err, sizeof(err)),
	    0);
	assert_int_equal(n, 3);
	/* maildir first, then mbox by offset */
	assert_int_equal(v[0].id, in[0].id);
	assert_int_equal(v[1].id, in[2].id);
	assert_int_equal(v[2].id, in[1].id);
	assert_string_equal(v[0].name, "1.M2P3Q4.host,S=5");
	assert_string_equal(v[0].path, "/home/u/Mail");
	assert_int_equal(v[0].kind, STATE_MAILDIR);
	assert_false(v[0].content.hashed);
	assert_int_equal(v[0].content.size, 321);
	assert_true(v[1].content.hashed);
	assert_string_equal(v[1].account, "a");
	assert_string_equal(v[1].folder, "INBOX");
	assert_int_equal(v[1].uidvalidity, 5);
	assert_int_equal(v[1].uid, 3);
	assert_null(v[1].uidl);
	assert_int_equal(v[1].kind, STATE_MBOX);
	assert_int_equal(v[1].offset, 1000);
	assert_int_equal(v[1].length, 400);
	assert_memory_equal(v[1].entry_sha256, in[2].entry_sha256,
	    STATE_SHA256_LEN);
	assert_memory_equal(v[1].content.sha256, c.sha256, STATE_SHA256_LEN);
	assert_string_equal(v[1].content.message_id, "<i@x>");
	assert_int_equal(v[1].content.size, 321);
	assert_int_equal(v[1].time, 1700000000);
	state_intents_free(v, n);

	ids[0] = in[0].id;
	ids[1] = in[2].id;
	assert_int_equal(state_intents_complete(st, ids, 2, err, sizeof(err)),
	    0);
	assert_int_equal(state_intents_rollback(st, &in[1].id, 1, err,
	    sizeof(err)), 0);
	assert_int_equal(state_intents_pending(st, &v, &n, err, sizeof(err)),
	    0);
	assert_int_equal(n, 0);
	state_intents_free(v, n);
	memset(&l, 0, sizeof(l));
	assert_int_equal(state_messages_list(st, "a", "INBOX", list_msg, &l,
	    err, sizeof(err)), 0);
	assert_int_equal(l.nmsg, 2);
	assert_string_equal(l.status[0], "delivered");
	assert_string_equal(l.loc[0], "maildir:/home/u/Mail/new/"
	    "1.M2P3Q4.host,S=5");
	assert_string_equal(l.loc[1], "mbox:/var/mail/u@1000");
	for (i = 0; i < 3; i++)
		state_intent_clear(&in[i]);
	state_close(st);
}

static void
test_claim(void **state)
{
	struct fixture	*f = *state;
	struct state	*a = st_open(f), *b = st_open(f);

	assert_int_equal(state_claim(a, err, sizeof(err)), 0);
	assert_int_equal(state_claim(a, err, sizeof(err)), 0);
	assert_int_equal(state_claim(b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "another mailsift"));
	state_close(a);
	assert_int_equal(state_claim(b, err, sizeof(err)), 0);
	state_close(b);
}

/* The front door picks the backend from the name: a path is SQLite,
 * a postgresql:// URL the PostgreSQL backend,
 * another URL is refused; no message shows a URL's password. */
static void
test_backend_choice(void **state)
{
	struct fixture	*f = *state;
	char		 buf[256];
	const char	*pg = "postgresql://alice:s3cret@db.example:5432/mail"
			    "?sslmode=require";
	const char	*down = "postgresql://alice:s3cret@127.0.0.1:1/mail";

	assert_int_equal(state_is_url(pg), 1);
	assert_int_equal(state_is_url("postgres://db/mail"), 1);
	assert_int_equal(state_is_url("/var/lib/a://b"), 0);
	assert_int_equal(state_is_url("state.db"), 0);
	assert_string_equal(state_redact(pg, buf, sizeof(buf)),
	    "postgresql://alice:***@db.example:5432/mail?sslmode=require");
	assert_string_equal(state_redact("postgresql://db/mail?user=a&"
	    "password=pw&sslmode=disable", buf, sizeof(buf)),
	    "postgresql://db/mail?user=a&password=***&sslmode=disable");
	assert_string_equal(state_redact("postgres://alice@db/mail", buf,
	    sizeof(buf)), "postgres://alice@db/mail");
	assert_string_equal(state_redact(f->path, buf, sizeof(buf)),
	    f->path);
	/* PostgreSQL: a server that is not there (port 1 refuses at
	 * once) is a connection error naming the URL, never the password */
	assert_null(state_open(down, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "state postgresql://alice:***@"
	    "127.0.0.1:1/mail: connecting: "));
	assert_null(strstr(err, "s3cret"));
	assert_int_equal(state_exists(down, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "connecting"));
	assert_null(strstr(err, "s3cret"));
	assert_null(state_open("mysql://bob:pw@db/mail", 0, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "unknown kind of store"));
	assert_null(strstr(err, ":pw@"));
	/* a path: SQLite, there once opened */
	if (state_test_url() == NULL) {
		assert_int_equal(state_exists(f->path, err, sizeof(err)), 0);
		state_close(st_open(f));
		assert_int_equal(state_exists(f->path, err, sizeof(err)), 1);
	}
}

/* An account going idle: its handle gives its connection back (SQLite:
 * closed, and the last connection takes the WAL file with it), and the
 * next call opens it again with the data whole. */
static void
test_idle_handle(void **state)
{
	struct fixture	*f = *state;
	struct state	*st = st_open(f);
	char		 wal[PATH_MAX + 8];
	uint32_t	 uv = 0;
	size_t		 moved = 0;
	int		 lite = state_test_url() == NULL;

	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 7, &moved, err,
	    sizeof(err)), 0);
	if (lite)
		assert_int_equal(access(wal, F_OK), 0);
	assert_int_equal(state_account_phase(st, "a", "idle", 0, err,
	    sizeof(err)), 0);
	if (lite)
		assert_int_equal(access(wal, F_OK), -1);
	assert_int_equal(state_folder_uidvalidity(st, "a", "INBOX", &uv, err,
	    sizeof(err)), 1);
	assert_int_equal(uv, 7);
	assert_int_equal(state_account_phase(st, "a", "polling", 0, err,
	    sizeof(err)), 0);
	if (lite)
		assert_int_equal(access(wal, F_OK), 0);
	/* idle twice in a row, then a write: still one handle that works */
	assert_int_equal(state_account_phase(st, "a", "idle", 0, err,
	    sizeof(err)), 0);
	assert_int_equal(state_account_phase(st, "a", "idle", 0, err,
	    sizeof(err)), 0);
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 8, &moved, err,
	    sizeof(err)), 0);
	assert_int_equal(state_folder_uidvalidity(st, "a", "INBOX", &uv, err,
	    sizeof(err)), 1);
	assert_int_equal(uv, 8);
	state_close(st);
}

/* The OAuth2 grant lock (oauth.h): one per handle at a time, given
 * back by unlock or close, then free for another handle. */
static void
test_oauth_lock(void **state)
{
	struct fixture	*f = *state;
	struct state	*a = st_open(f), *b = st_open(f);
	char		 lock[PATH_MAX + 16];

	assert_int_equal(state_oauth_lock(a, "acct", err, sizeof(err)), 0);
	assert_int_equal(state_oauth_lock(a, "acct", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already holds"));
	state_oauth_unlock(a);
	state_oauth_unlock(a);		/* twice: harmless */
	assert_int_equal(state_oauth_lock(b, "acct", err, sizeof(err)), 0);
	state_close(b);			/* gives it back */
	assert_int_equal(state_oauth_lock(a, "acct", err, sizeof(err)), 0);
	state_oauth_unlock(a);
	if (state_test_url() == NULL) {	/* SQLite: the byte lock's file */
		snprintf(lock, sizeof(lock), "%s.oauth-lock", f->path);
		assert_int_equal(access(lock, F_OK), 0);
	}
	state_close(a);
}

/* Gmail's X-GM-MSGID (msgid.h): per account, the full 64 bits, the
 * first folder kept, and forgotten with what it came through. */
static void
test_msgids(void **state)
{
	struct fixture	*f = *state;
	struct state	*st = st_open(f);
	const uint64_t	 ids[] = { 1500000000000000001ULL,
			    UINT64_MAX, 42, 7 };
	unsigned char	 known[4];
	uint32_t	 uid = 9;
	uint64_t	 n;

	assert_int_equal(state_msgids_known(st, "g", ids, 4, known, err,
	    sizeof(err)), 0);
	assert_memory_equal(known, "\0\0\0\0", 4);
	assert_int_equal(state_msgid_record(st, "g", ids[0], "INBOX", 3, err,
	    sizeof(err)), 0);
	assert_int_equal(state_msgid_record(st, "g", ids[1], "Work", 9, err,
	    sizeof(err)), 0);
	/* again through another folder: no error, the first stays */
	assert_int_equal(state_msgid_record(st, "g", ids[0], "Work", 4, err,
	    sizeof(err)), 0);
	assert_int_equal(state_msgid_record(st, "other", ids[2], "INBOX", 1,
	    err, sizeof(err)), 0);
	assert_int_equal(state_msgids_known(st, "g", ids, 4, known, err,
	    sizeof(err)), 0);
	assert_memory_equal(known, "\1\1\0\0", 4);
	/* forgetting Work UID 4 leaves the INBOX record */
	uid = 4;
	assert_int_equal(state_forget(st, "g", "Work", &uid, NULL, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(state_msgids_known(st, "g", ids, 1, known, err,
	    sizeof(err)), 0);
	assert_int_equal(known[0], 1);
	uid = 9;
	assert_int_equal(state_forget(st, "g", "Work", &uid, NULL, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(state_msgids_known(st, "g", ids, 2, known, err,
	    sizeof(err)), 0);
	assert_memory_equal(known, "\1\0", 2);
	assert_int_equal(state_forget(st, "g", NULL, NULL, NULL, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(state_msgids_known(st, "g", ids, 1, known, err,
	    sizeof(err)), 0);
	assert_int_equal(known[0], 0);
	assert_int_equal(state_msgids_known(st, "other", ids + 2, 1, known,
	    err, sizeof(err)), 0);
	assert_int_equal(known[0], 1);
	state_close(st);
}

static void
test_forget(void **state)
{
	struct fixture		*f = *state;
	struct state		*st = st_open(f);
	struct msg_content	 c;
	struct uidset		 set;
	struct uidlset		 lset;
	struct listed		 l;
	uint32_t		 uid = 2, uv;
	uint64_t		 n;

	content_make(&c, "<f@x>", 10, 0x55);
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 5, NULL, err,
	    sizeof(err)), 0);
	delivered(st, "a", "INBOX", 5, 1, NULL, &c);
	delivered(st, "a", "INBOX", 5, 2, NULL, &c);
	delivered(st, "a", "INBOX", 5, 3, NULL, &c);
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 6, NULL, err,
	    sizeof(err)), 0);
	delivered(st, "a", "INBOX", 6, 1, NULL, &c);
	delivered(st, "a", "INBOX", 6, 2, NULL, &c);
	delivered(st, "pop", "", 0, 0, "x1", &c);
	delivered(st, "pop", "", 0, 0, "x2", &c);

	assert_int_equal(state_forget(st, "a", NULL, &uid, NULL, &n, err,
	    sizeof(err)), -1);
	assert_int_equal(state_forget(st, "a", "INBOX", &uid, NULL, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(state_uids_delivered(st, "a", "INBOX", 6, &set, err,
	    sizeof(err)), 0);
	assert_int_equal(set.n, 1);
	assert_true(uidset_has(&set, 1));
	uidset_free(&set);

	assert_int_equal(state_forget(st, "pop", NULL, NULL, "x2", &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(state_uidls_delivered(st, "pop", "", &lset, err,
	    sizeof(err)), 0);
	assert_int_equal(lset.n, 1);
	assert_string_equal(lset.v[0], "x1");
	uidlset_free(&lset);

	/* all: rows, set-aside rows and the UIDVALIDITY */
	assert_int_equal(state_forget(st, "a", NULL, NULL, NULL, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(state_folder_uidvalidity(st, "a", "INBOX", &uv, err,
	    sizeof(err)), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(state_folders_list(st, NULL, list_folder, &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.acct[0], "pop");
	assert_int_equal(l.fi[0].delivered, 1);
	state_close(st);
}

struct writer {
	struct fixture	*f;
	const char	*account;
	int		 failed;
	char		 err[1024];
};

#define WRITER_BATCHES	20
#define WRITER_BATCH	50

static void *
writer_run(void *p)
{
	struct writer		*w = p;
	struct state_intent	 in[WRITER_BATCH];
	struct msg_content	 c;
	struct state		*st;
	int64_t			 ids[WRITER_BATCH];
	char			 account[8], folder[] = "INBOX";
	char			 path[] = "/m", name[] = "n";
	size_t			 b, i;

	if ((st = state_open(w->f->where, 0, w->err, sizeof(w->err))) == NULL) {
		w->failed = 1;
		return NULL;
	}
	memset(&c, 0, sizeof(c));
	c.hashed = 1;
	snprintf(account, sizeof(account), "%s", w->account);
	for (b = 0; b < WRITER_BATCHES && !w->failed; b++) {
		memset(in, 0, sizeof(in));
		for (i = 0; i < WRITER_BATCH; i++) {
			in[i].account = account;
			in[i].folder = folder;
			in[i].uidvalidity = 1;
			in[i].uid = (uint32_t)(b * WRITER_BATCH + i + 1);
			in[i].content = c;
			in[i].path = path;
			in[i].name = name;
		}
		if (state_intents_record(st, in, WRITER_BATCH, w->err,
		    sizeof(w->err)) == -1) {
			w->failed = 1;
			break;
		}
		for (i = 0; i < WRITER_BATCH; i++)
			ids[i] = in[i].id;
		if (state_intents_complete(st, ids, WRITER_BATCH, w->err,
		    sizeof(w->err)) == -1)
			w->failed = 1;
	}
	state_close(st);
	return NULL;
}

/* Two threads with a handle each write at once: both get through. */
static void
test_concurrent_writers(void **state)
{
	struct fixture	*f = *state;
	struct writer	 w[2];
	struct uidset	 set;
	struct state	*st;
	pthread_t	 t[2];
	int		 i;

	state_close(st_open(f));
	memset(w, 0, sizeof(w));
	for (i = 0; i < 2; i++) {
		w[i].f = f;
		w[i].account = i ? "w1" : "w0";
		assert_int_equal(pthread_create(&t[i], NULL, writer_run, &w[i]),
		    0);
	}
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (i = 0; i < 2; i++)
		if (w[i].failed)
			fail_msg("writer %d: %s", i, w[i].err);
	st = st_open(f);
	for (i = 0; i < 2; i++) {
		assert_int_equal(state_uids_delivered(st, i ? "w1" : "w0",
		    "INBOX", 1, &set, err, sizeof(err)), 0);
		assert_int_equal(set.n, WRITER_BATCHES * WRITER_BATCH);
		uidset_free(&set);
	}
	state_close(st);
}

/* Run `mailsift state ARGS`; its standard output goes to out. */
static int
run_cmd(struct fixture *f, char *out, size_t outlen, int argc, ...)
{
	char	*argv[16], path[PATH_MAX];
	va_list	 ap;
	ssize_t	 n;
	int	 i, fd, saved, rv;

	assert_true(argc < 16);
	va_start(ap, argc);
	for (i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	snprintf(path, sizeof(path), "%s/out", f->dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	fflush(stdout);
	saved = dup(1);
	assert_true(dup2(fd, 1) == 1);
	rv = cmd_state(argc, argv);
	fflush(stdout);
	assert_true(dup2(saved, 1) == 1);
	close(saved);
	n = pread(fd, out, outlen - 1, 0);
	assert_true(n >= 0);
	out[n] = '\0';
	close(fd);
	return rv;
}

static void
test_cmd_state(void **state)
{
	struct fixture		*f = *state;
	struct state		*st;
	struct msg_content	 c;
	struct msg_key		 k = { "work", "INBOX", 77, 9, NULL };
	char			 out[8192];
	char			*where = (char *)f->where;	/* argv */

	if (state_test_url() == NULL)
		assert_int_equal(run_cmd(f, out, sizeof(out), 3, "state", "-s",
		    where), 1);	/* no such file */
	st = st_open(f);
	content_make(&c, "<c@x>", 1234, 0x66);
	assert_int_equal(state_folder_reset(st, "work", "INBOX", 77, NULL, err,
	    sizeof(err)), 0);
	delivered(st, "work", "INBOX", 77, 5, NULL, &c);
	delivered(st, "work", "INBOX", 77, 6, NULL, &c);
	assert_int_equal(state_mark_skipped(st, &k, NULL, "larger than "
	    "max-size", err, sizeof(err)), 0);
	delivered(st, "pop", "", 0, 0, "U1", &c);
	state_close(st);

	assert_int_equal(run_cmd(f, out, sizeof(out), 3, "state", "-s",
	    where), 0);
	assert_non_null(strstr(out, "ACCOUNT"));
	assert_non_null(strstr(out, "work "));
	assert_non_null(strstr(out, " 77 "));
	assert_non_null(strstr(out, "pop "));
	assert_null(strstr(out, "<c@x>"));
	assert_int_equal(run_cmd(f, out, sizeof(out), 6, "state", "-s",
	    where, "--account", "work", "-v"), 0);
	assert_null(strstr(out, "pop "));
	assert_non_null(strstr(out, "uid 77/5 "));
	assert_non_null(strstr(out, "<c@x>"));
	assert_non_null(strstr(out, "(larger than max-size)"));

	assert_int_equal(run_cmd(f, out, sizeof(out), 6, "state", "forget",
	    "-s", where, "--account", "work"), 2);
	assert_int_equal(run_cmd(f, out, sizeof(out), 8, "state", "forget",
	    "-s", where, "--account", "work", "--uid", "5"), 2);
	assert_int_equal(run_cmd(f, out, sizeof(out), 10, "state", "forget",
	    "-s", where, "--account", "work", "--folder", "INBOX", "--uid",
	    "x5"), 2);
	assert_int_equal(run_cmd(f, out, sizeof(out), 10, "state", "forget",
	    "-s", where, "--account", "work", "--folder", "INBOX", "--uid",
	    "5"), 0);
	assert_non_null(strstr(out, "forgot 1 message"));
	assert_int_equal(run_cmd(f, out, sizeof(out), 10, "state", "forget",
	    "-s", where, "--account", "work", "--folder", "INBOX", "--uid",
	    "5"), 1);
	assert_int_equal(run_cmd(f, out, sizeof(out), 8, "state", "forget",
	    "-s", where, "--account", "pop", "--uidl", "U1"), 0);
	assert_int_equal(run_cmd(f, out, sizeof(out), 7, "state", "forget",
	    "-s", where, "--account", "work", "--all"), 0);
	assert_non_null(strstr(out, "forgot 2 message"));
	assert_int_equal(run_cmd(f, out, sizeof(out), 3, "state", "-s",
	    where), 0);
	assert_non_null(strstr(out, "pop "));
	assert_null(strstr(out, "work "));
	assert_int_equal(run_cmd(f, out, sizeof(out), 1, "state"), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_empty_state_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_folder_uidvalidity, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_uids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uids_many, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_uidls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uidvalidity_change, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_msgid_any_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_intents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_choice, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_idle_handle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_oauth_lock, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msgids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cmd_state, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

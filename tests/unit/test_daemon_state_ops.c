/* SPDX-License-Identifier: ISC */
/*
 * Contract tests of the store's other records, for every backend
 * (state-where.h: a SQLite file, or MSX_STATE_URL): server actions
 * handed out only once their message is recorded and in their order
 * (serverops.h), `mailsift state`'s lists of folders and messages with
 * their set-aside rows, in bytewise order (state.h), the outbox's due
 * entries per account (outbox.h), a server's error text of any bytes
 * recorded (not refused), and on a shared store the fence: a
 * handle whose lease was taken over writes nothing (lease.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/state-where.h"
#include "tests/unit/tmpdir.h"

#include "daemon/store/lease.h"
#include "daemon/store/msgid.h"
#include "daemon/store/outbox.h"
#include "daemon/store/serverops.h"
#include "daemon/store/state.h"

static char	 dir[64];
static char	 err[512];

/* A fresh store: a SQLite file in its own directory, or the database of
 * MSX_STATE_URL emptied. */
static int
setup(void **state)
{
	char	 path[sizeof(dir) + 16];

	if (tmpdir_make(dir, sizeof(dir), "mailsift-sops") == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/state.db", dir);
	*state = state_open(state_test_fresh(path), 0, err, sizeof(err));
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	state_close(*state);
	return tmpdir_remove(dir);
}

/* A message recorded (skipped: the shortest way to a message row). */
static void
recorded(struct state *st, const char *account, const char *folder,
    uint32_t uidvalidity, uint32_t uid, const char *uidl)
{
	struct msg_key	 k;

	memset(&k, 0, sizeof(k));
	k.account = account;
	k.folder = folder;
	k.uidvalidity = uidvalidity;
	k.uid = uid;
	k.uidl = uidl;
	if (state_mark_skipped(st, &k, NULL, "too big", err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
}

static void
op_add(struct state *st, uint32_t uidvalidity, uint32_t uid,
    const char *action, const char *arg)
{
	if (state_server_op_add(st, "a", "INBOX", uidvalidity, uid, action,
	    arg, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

static void
test_server_ops(void **state)
{
	struct state			*st = *state;
	struct state_account_status	 as;
	struct server_op		*v;
	size_t				 n;

	assert_int_equal(state_folder_reset(st, "a", "INBOX", 7, NULL, err,
	    sizeof(err)), 0);
	recorded(st, "a", "INBOX", 7, 5, NULL);
	op_add(st, 7, 5, "move", "Trash");
	op_add(st, 7, 5, "flag", "\\Seen");
	op_add(st, 7, 5, "copy", "Archive");
	op_add(st, 7, 5, "flag", "\\Seen");	/* again: nothing new */
	op_add(st, 7, 6, "flag", "\\Seen");	/* not recorded yet */
	op_add(st, 8, 5, "flag", "\\Seen");	/* another UIDVALIDITY */
	assert_int_equal(state_server_ops_ready(st, "a", "INBOX", 7, &v, &n,
	    err, sizeof(err)), 0);
	/* the flag and the copy before the move, else as recorded */
	assert_int_equal(n, 3);
	assert_int_equal(v[0].uid, 5);
	assert_string_equal(v[0].action, "flag");
	assert_string_equal(v[0].arg, "\\Seen");
	assert_string_equal(v[1].action, "copy");
	assert_string_equal(v[1].arg, "Archive");
	assert_string_equal(v[2].action, "move");
	assert_int_equal(state_server_op_done(st, v[0].id, err, sizeof(err)),
	    0);
	state_server_ops_free(v, n);
	assert_int_equal(state_server_ops_ready(st, "a", "INBOX", 7, &v, &n,
	    err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].action, "copy");
	state_server_ops_free(v, n);
	/* UID 6 comes once its message is recorded */
	recorded(st, "a", "INBOX", 7, 6, NULL);
	assert_int_equal(state_server_ops_ready(st, "a", "INBOX", 7, &v, &n,
	    err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[2].uid, 6);
	state_server_ops_free(v, n);
	assert_int_equal(state_account_status(st, "a", 0, &as, err,
	    sizeof(err)), 0);
	assert_int_equal(as.server_ops, 4);
	state_account_status_clear(&as);
}

struct listed {
	char		 line[8][96];
	size_t		 n;
};

static int
list_folder(const struct state_folder_info *fi, void *arg)
{
	struct listed	*l = arg;

	if (l->n == 8)
		return -1;
	snprintf(l->line[l->n++], sizeof(l->line[0]), "%s/%s %u %llu %llu",
	    fi->account, fi->folder, fi->uidvalidity,
	    (unsigned long long)fi->skipped,
	    (unsigned long long)fi->set_aside);
	return 0;
}

static int
list_message(const struct state_msg_info *mi, void *arg)
{
	struct listed	*l = arg;

	if (l->n == 8)
		return -1;
	snprintf(l->line[l->n++], sizeof(l->line[0]), "%u %u %s %s %s",
	    mi->uidvalidity, mi->uid, mi->uidl != NULL ? mi->uidl : "-",
	    mi->status, mi->reason != NULL ? mi->reason : "-");
	return 0;
}

static void
test_lists(void **state)
{
	struct state	*st = *state;
	struct listed	 l;

	assert_int_equal(state_folder_reset(st, "a", "INBOX", 7, NULL, err,
	    sizeof(err)), 0);
	recorded(st, "a", "INBOX", 7, 9, NULL);
	recorded(st, "a", "INBOX", 7, 2, NULL);
	assert_int_equal(state_folder_reset(st, "a", "INBOX", 8, NULL, err,
	    sizeof(err)), 0);
	recorded(st, "a", "INBOX", 8, 1, NULL);
	/* bytewise, whatever the database's locale: "B" < "a" < "b" */
	recorded(st, "B", "", 0, 0, "b");
	recorded(st, "B", "", 0, 0, "B");
	recorded(st, "B", "", 0, 0, "a");
	memset(&l, 0, sizeof(l));
	assert_int_equal(state_messages_list(st, "a", "INBOX", list_message,
	    &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.line[0], "8 1 - skipped too big");
	assert_string_equal(l.line[1], "7 2 - set-aside skipped: too big");
	assert_string_equal(l.line[2], "7 9 - set-aside skipped: too big");
	memset(&l, 0, sizeof(l));
	assert_int_equal(state_messages_list(st, "B", NULL, list_message, &l,
	    err, sizeof(err)), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.line[0], "0 0 B skipped too big");
	assert_string_equal(l.line[1], "0 0 a skipped too big");
	assert_string_equal(l.line[2], "0 0 b skipped too big");
	memset(&l, 0, sizeof(l));
	assert_int_equal(state_folders_list(st, NULL, list_folder, &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.line[0], "B/ 0 3 0");
	assert_string_equal(l.line[1], "a/INBOX 8 1 2");
	/* one account only */
	memset(&l, 0, sizeof(l));
	assert_int_equal(state_folders_list(st, "a", list_folder, &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.line[0], "a/INBOX 8 1 2");
	/* a callback's -1 stops the walk, and is no error */
	memset(&l, 0, sizeof(l));
	l.n = 7;
	assert_int_equal(state_folders_list(st, NULL, list_folder, &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 8);
	assert_string_equal(l.line[7], "B/ 0 3 0");
}

static void
outbox_add(struct state *st, const char *key, const char *account)
{
	if (state_outbox_add(st, key, account, "out", "", "r@x\n", key,
	    strlen(key), err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

static void
test_outbox_due(void **state)
{
	struct state		*st = *state;
	struct outbox_entry	*v;
	int64_t			 later = (int64_t)time(NULL) + 3600;
	size_t			 n, i;

	outbox_add(st, "k1", "a");
	outbox_add(st, "k2", "b");
	outbox_add(st, "k3", "a");
	assert_int_equal(state_outbox_due(st, "a", INT64_MAX, 10, &v, &n,
	    err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(v[0].data, "k1", 2);
	assert_int_equal(v[0].len, 2);
	assert_string_equal(v[1].account, "a");
	assert_memory_equal(v[1].data, "k3", 2);
	assert_string_equal(v[1].sender, "");
	assert_string_equal(v[1].rcpts, "r@x\n");
	assert_int_equal(state_outbox_retry(st, v[0].id, later, "421 later",
	    err, sizeof(err)), 0);
	for (i = 0; i < n; i++)
		state_outbox_entry_free(&v[i]);
	free(v);
	/* oldest first, at most max */
	assert_int_equal(state_outbox_due(st, NULL, INT64_MAX, 1, &v, &n,
	    err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(v[0].data, "k1", 2);
	assert_int_equal(v[0].attempts, 1);
	state_outbox_entry_free(&v[0]);
	free(v);
	/* k1 waits until later */
	assert_int_equal(state_outbox_due(st, "a", later - 1, 10, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(v[0].data, "k3", 2);
	state_outbox_entry_free(&v[0]);
	free(v);
}

/* A server's words may be any bytes: recorded all the same (on a
 * database that keeps UTF-8 only, what is not is replaced byte for
 * byte), not refused with the whole record. */
static void
test_any_bytes(void **state)
{
	struct state			*st = *state;
	struct state_account_status	 as;
	struct state_round		 r;
	struct outbox_entry		*v;
	const char			*why = "550 caf\xe9 \xf0\x28 refused";
	uint64_t			 q, s, x;
	size_t				 n;

	memset(&r, 0, sizeof(r));
	r.account = "a";
	r.end = 1000;
	r.error = why;
	assert_int_equal(state_round_record(st, &r, err, sizeof(err)), 0);
	outbox_add(st, "k1", "a");
	assert_int_equal(state_outbox_due(st, "a", INT64_MAX, 1, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(state_outbox_failed(st, v[0].id, why, err,
	    sizeof(err)), 0);
	state_outbox_entry_free(&v[0]);
	free(v);
	assert_int_equal(state_outbox_counts(st, &q, &s, &x, err,
	    sizeof(err)), 0);
	assert_int_equal(x, 1);
	assert_int_equal(state_account_status(st, "a", 0, &as, err,
	    sizeof(err)), 0);
	assert_non_null(as.last_error);
	assert_int_equal(strlen(as.last_error), strlen(why));
	assert_memory_equal(as.last_error, "550 caf", 7);
	assert_string_equal(as.last_error + 11, " refused");
	assert_int_equal(as.failures, 1);
	state_account_status_clear(&as);
}

/* Handle st, fenced for account "f" as daemon d1, loses the lease to
 * d2 (other handle o): every write st then tries fails with "lease
 * lost" and changes nothing. */
static void
lose_lease(struct state *st, struct state *o)
{
	int64_t	 e1, e2;
	size_t	 live;

	assert_int_equal(state_daemon_beat(st, "d1", "h1", 1, 30, &live, err,
	    sizeof(err)), 0);
	assert_int_equal(state_lease_take(st, "f", "d1", 30, &e1, err,
	    sizeof(err)), 1);
	assert_int_equal(state_fence(st, "f", "d1", e1, err, sizeof(err)), 0);
	outbox_add(st, "before", "f");
	assert_int_equal(state_lease_take(o, "f", "d2", 30, &e2, err,
	    sizeof(err)), 0);
	assert_int_equal(state_lease_release(st, "f", "d1", e1, err,
	    sizeof(err)), 0);
	assert_int_equal(state_lease_take(o, "f", "d2", 30, &e2, err,
	    sizeof(err)), 1);
	assert_true(e2 > e1);
}

static void
lost(int rv)
{
	assert_int_equal(rv, -1);
	assert_non_null(strstr(err, "lease lost"));
}

static void
test_fenced_writes(void **state)
{
	struct state		*st = *state, *o;
	struct outbox_msg	 m = { "f/1/away/0", "f", "out", "", "s@x\n",
				    "hi", 2 };
	struct outbox_entry	*v;
	unsigned char		 known[1];
	uint64_t		 q, s, x, id = 77;
	size_t			 n;

	if (!state_shared(st))
		skip();		/* one daemon per file: nothing to fence */
	o = state_open(state_test_url(), 0, err, sizeof(err));
	assert_non_null(o);
	lose_lease(st, o);
	lost(state_outbox_add(st, "after", "f", "out", "", "r@x\n", "x", 1,
	    err, sizeof(err)));
	assert_int_equal(state_outbox_due(o, "f", INT64_MAX, 10, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	lost(state_outbox_sent(st, v[0].id, err, sizeof(err)));
	state_outbox_entry_free(&v[0]);
	free(v);
	lost(state_reply_queue(st, &m, "away", "s@x", 1000, 86400, err,
	    sizeof(err)));
	lost(state_action_mark(st, "f/1/save/0", err, sizeof(err)));
	lost(state_server_op_add(st, "f", "INBOX", 7, 1, "flag", "\\Seen",
	    err, sizeof(err)));
	lost(state_msgid_record(st, "f", id, "INBOX", 1, err, sizeof(err)));
	/* the new holder sees none of it */
	assert_int_equal(state_outbox_counts(o, &q, &s, &x, err,
	    sizeof(err)), 0);
	assert_int_equal(q, 1);
	assert_int_equal(s, 0);
	assert_int_equal(state_action_done(o, "f/1/save/0", err,
	    sizeof(err)), 0);
	assert_int_equal(state_msgids_known(o, "f", &id, 1, known, err,
	    sizeof(err)), 0);
	assert_int_equal(known[0], 0);
	assert_int_equal(state_reply_allow(o, "f", "away", "s@x", 1000,
	    86400, err, sizeof(err)), 1);
	state_close(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_server_ops, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_due, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_any_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fenced_writes, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_deliver_commit.c - the target contract as the batch commit
 * drives it (daemon/deliver/deliver-commit.c, target.h): in a batch that
 * holds both kinds of target, every step runs for all kinds before the
 * next (prepare, intent, flush, publish, release, record); a failure
 * before the intents takes back every kind; a failure while one kind
 * publishes takes back the kinds after it; a thread whose guard says no
 * (util/guard.h: its lease lost) delivers nothing, whether it says so
 * before the batch or only once the intents are written; and recovery
 * hands each kind its own intents (recover.c).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/deliver/deliver.h"
#include "daemon/store/state.h"
#include "daemon/util/guard.h"

/* Messages 0 and 2 go to the Maildir, 1 and 3 to the mbox. */
#define NMSG	4

struct fixture {
	char		 dir[64];
	char		 state[PATH_MAX];
	char		 maildir[PATH_MAX];
	char		 mbox[PATH_MAX];
	char		 target_md[PATH_MAX + 16];
	char		 target_mb[PATH_MAX + 16];
};

static char	 err[1024];

/* The steps seen, "name n" each, for the order test. */
static char	 steps[64][32];
static size_t	 nsteps;
/* The step at which a crash child _exit()s. */
static const char *crash_step;

static void
rm_rf(const char *path)
{
	char	 cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static size_t
dir_count(const char *path)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 n = 0;

	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static size_t
maildir_count(struct fixture *f, const char *sub)
{
	char	 p[PATH_MAX + 8];

	snprintf(p, sizeof(p), "%s/%s", f->maildir, sub);
	return dir_count(p);
}

/* Entries in the mbox: lines starting "From " (the bodies have none). */
static size_t
mbox_count(struct fixture *f)
{
	char	 line[1024];
	FILE	*fp;
	size_t	 n = 0;

	if ((fp = fopen(f->mbox, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "From ", 5) == 0)
			n++;
	fclose(fp);
	return n;
}

static struct msg_key
key_uid(uint32_t uid)
{
	struct msg_key	 k = { "acct", "INBOX", 7, uid, NULL };

	return k;
}

static struct state *
st_open(struct fixture *f)
{
	struct state	*st;

	if ((st = state_open(f->state, 0, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	return st;
}

static size_t
delivered(struct fixture *f)
{
	struct state	*st = st_open(f);
	struct uidset	 set;
	size_t		 n;

	assert_int_equal(state_uids_delivered(st, "acct", "INBOX", 7, &set,
	    err, sizeof(err)), 0);
	n = set.n;
	uidset_free(&set);
	state_close(st);
	return n;
}

static size_t
pending(struct fixture *f)
{
	struct state_intent	*v;
	struct state		*st = st_open(f);
	size_t			 n;

	assert_int_equal(state_intents_pending(st, &v, &n, err, sizeof(err)),
	    0);
	state_intents_free(v, n);
	state_close(st);
	return n;
}

static int
setup(void **state)
{
	struct fixture	*f;
	struct state	*st;

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mailsift-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->state, sizeof(f->state), "%s/state.db", f->dir);
	snprintf(f->maildir, sizeof(f->maildir), "%s/Mail", f->dir);
	snprintf(f->mbox, sizeof(f->mbox), "%s/mail/inbox", f->dir);
	snprintf(f->target_md, sizeof(f->target_md), "maildir:%s",
	    f->maildir);
	snprintf(f->target_mb, sizeof(f->target_mb), "mbox:%s", f->mbox);
	st = st_open(f);
	assert_int_equal(state_folder_reset(st, "acct", "INBOX", 7, NULL, err,
	    sizeof(err)), 0);
	state_close(st);
	nsteps = 0;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	delivery_test_hook = NULL;
	guard_set(NULL, NULL);	/* a failed guard test leaves none behind */
	rm_rf(f->dir);
	free(f);
	return 0;
}

/*
 * Stage the NMSG messages alternately into the Maildir and the mbox and
 * commit; the commit's result.  done[i] says whether message i is.
 */
static int
commit_mixed(struct fixture *f, int *done)
{
	struct delivery_batch	*b;
	struct delivery		*dv[2];
	struct state		*st = st_open(f);
	struct msg_key		 k;
	char			 msg[128];
	size_t			 i;
	int			 rv;

	dv[0] = delivery_open(NULL, f->target_md, NULL, err, sizeof(err));
	dv[1] = delivery_open(NULL, f->target_mb, NULL, err, sizeof(err));
	if (dv[0] == NULL || dv[1] == NULL)
		fail_msg("%s", err);
	assert_non_null(b = delivery_batch_new(st));
	for (i = 0; i < NMSG; i++) {
		k = key_uid((uint32_t)i + 1);
		snprintf(msg, sizeof(msg), "Message-ID: <%zu@test>\n"
		    "Subject: %zu\n\nbody %zu\n", i, i, i);
		if (delivery_stage(b, dv[i % 2], &k, msg, strlen(msg), 0, err,
		    sizeof(err)) == -1)
			fail_msg("stage %zu: %s", i, err);
	}
	rv = delivery_batch_commit(b, err, sizeof(err));
	for (i = 0; i < NMSG; i++)
		done[i] = delivery_batch_done(b, i);
	delivery_batch_free(b);
	delivery_close(dv[0]);
	delivery_close(dv[1]);
	state_close(st);
	return rv;
}

static void
record_step(const char *step, size_t n)
{
	if (nsteps < sizeof(steps) / sizeof(steps[0]))
		snprintf(steps[nsteps++], sizeof(steps[0]), "%s %zu", step, n);
}

/* Every step for both kinds before the next step, in the order of the
 * guarantee; the Maildir publishes before the mbox (the table's order). */
static void
test_order(void **state)
{
	static const char *const want[] = {
		"locked 1", "journaled 4", "synced 0", "published 1",
		"published 2", "dirsynced 0", "appended 1", "appended 2",
		"mbox-synced 2", "unlocked 1", "recorded 4"
	};
	struct fixture	*f = *state;
	int		 done[NMSG];
	size_t		 i;

	delivery_test_hook = record_step;
	assert_int_equal(commit_mixed(f, done), 0);
	delivery_test_hook = NULL;
	assert_int_equal(nsteps, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < nsteps; i++)
		assert_string_equal(steps[i], want[i]);
	for (i = 0; i < NMSG; i++)
		assert_true(done[i]);
	assert_int_equal(maildir_count(f, "new"), 2);
	assert_int_equal(maildir_count(f, "tmp"), 0);
	assert_int_equal(mbox_count(f), 2);
	assert_int_equal(delivered(f), NMSG);
	assert_int_equal(pending(f), 0);
}

/* The mbox cannot be prepared (it is a directory): before any intent,
 * so the Maildir's staged files are taken back too; nothing recorded. */
static void
test_prepare_fails(void **state)
{
	struct fixture	*f = *state;
	char		 parent[PATH_MAX];
	int		 done[NMSG];
	size_t		 i;

	snprintf(parent, sizeof(parent), "%s/mail", f->dir);
	assert_int_equal(mkdir(parent, 0700), 0);
	assert_int_equal(mkdir(f->mbox, 0700), 0);
	delivery_test_hook = record_step;
	assert_int_equal(commit_mixed(f, done), -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_non_null(strstr(err, f->mbox));
	assert_int_equal(nsteps, 0);
	for (i = 0; i < NMSG; i++)
		assert_false(done[i]);
	assert_int_equal(maildir_count(f, "tmp"), 0);
	assert_int_equal(maildir_count(f, "new"), 0);
	assert_int_equal(delivered(f), 0);
	assert_int_equal(pending(f), 0);
}

/* The Maildir's second file vanishes before its rename: the first stays
 * delivered (its rename was its commit point), the rest of the batch,
 * the mbox's entries among it, is taken back and its intents dropped. */
static struct fixture	*spoil_fixture;

static void
spoil_hook(const char *step, size_t n)
{
	struct dirent	*de;
	char		 p[PATH_MAX + 512];
	DIR		*d;

	if (strcmp(step, "published") != 0 || n != 1)
		return;
	snprintf(p, sizeof(p), "%s/tmp", spoil_fixture->maildir);
	assert_non_null(d = opendir(p));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/tmp/%s", spoil_fixture->maildir,
		    de->d_name);
		assert_int_equal(unlink(p), 0);
	}
	closedir(d);
}

static void
test_publish_fails(void **state)
{
	struct fixture	*f = *state;
	int		 done[NMSG];

	spoil_fixture = f;
	delivery_test_hook = spoil_hook;
	assert_int_equal(commit_mixed(f, done), -1);
	delivery_test_hook = NULL;
	assert_non_null(strstr(err, "cannot move tmp/"));
	assert_true(done[0]);
	assert_false(done[1]);
	assert_false(done[2]);
	assert_false(done[3]);
	assert_int_equal(maildir_count(f, "new"), 1);
	assert_int_equal(mbox_count(f), 0);
	assert_int_equal(delivered(f), 1);
	assert_int_equal(pending(f), 0);
}

/* The guard's answer, as a lease manager would change it. */
static int	 lease_held;

static int
guard_lease(void *arg)
{
	(void)arg;
	return lease_held;
}

/* No message done, none in the Maildir (tmp/ nor new/) or the mbox,
 * nothing recorded, no intent left. */
static void
assert_nothing_delivered(struct fixture *f, const int *done)
{
	size_t	 i;

	for (i = 0; i < NMSG; i++)
		assert_false(done[i]);
	assert_int_equal(maildir_count(f, "tmp"), 0);
	assert_int_equal(maildir_count(f, "new"), 0);
	assert_int_equal(mbox_count(f), 0);
	assert_int_equal(delivered(f), 0);
	assert_int_equal(pending(f), 0);
}

/* Lost before the batch: nothing is locked, written or recorded. */
static void
test_guard_refuses(void **state)
{
	struct fixture	*f = *state;
	int		 done[NMSG];

	lease_held = 0;
	guard_set(guard_lease, NULL);
	delivery_test_hook = record_step;
	assert_int_equal(commit_mixed(f, done), -1);
	guard_set(NULL, NULL);
	assert_non_null(strstr(err, "lease is lost"));
	assert_int_equal(nsteps, 0);
	assert_nothing_delivered(f, done);
}

static void
lose_hook(const char *step, size_t n)
{
	(void)n;
	if (strcmp(step, "synced") == 0)
		lease_held = 0;
}

/* Lost after the intents (a stall while flushing): nothing becomes
 * visible, every kind is taken back. */
static void
test_guard_lost_after_intents(void **state)
{
	struct fixture	*f = *state;
	int		 done[NMSG];

	lease_held = 1;
	guard_set(guard_lease, NULL);
	delivery_test_hook = lose_hook;
	assert_int_equal(commit_mixed(f, done), -1);
	delivery_test_hook = NULL;
	guard_set(NULL, NULL);
	assert_int_equal(lease_held, 0);	/* the hook ran */
	assert_non_null(strstr(err, "lease is lost"));
	assert_nothing_delivered(f, done);
	/* held again: the same messages go through */
	lease_held = 1;
	guard_set(guard_lease, NULL);
	assert_int_equal(commit_mixed(f, done), 0);
	guard_set(NULL, NULL);
	assert_int_equal(delivered(f), NMSG);
}

static void
crash_hook(const char *step, size_t n)
{
	(void)n;
	if (strcmp(step, crash_step) == 0)
		_exit(0);
}

/* A crash after the Maildir published and before the mbox appended:
 * recovery settles each kind's intents by its own rule, and a second
 * commit delivers what was undone, each message exactly once. */
static void
test_recover_mixed(void **state)
{
	struct fixture	*f = *state;
	struct state	*st;
	int		 done[NMSG], status;
	pid_t		 pid;

	crash_step = "dirsynced";
	if ((pid = fork()) == 0) {
		delivery_test_hook = crash_hook;
		(void)commit_mixed(f, done);
		_exit(13);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(pending(f), NMSG);
	st = st_open(f);
	if (delivery_recover(st, NULL, err, sizeof(err)) == -1)
		fail_msg("recover: %s", err);
	state_close(st);
	assert_int_equal(pending(f), 0);
	assert_int_equal(delivered(f), 2);	/* the Maildir's two */
	assert_int_equal(maildir_count(f, "new"), 2);
	assert_int_equal(mbox_count(f), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_guard_refuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_guard_lost_after_intents,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_recover_mixed, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

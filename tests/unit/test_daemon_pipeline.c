/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_pipeline.c - the per-message path (daemon/pipeline/
 * pipeline.c, with daemon/act/ carrying out the rules) without a server:
 * an in-memory source hands raw messages to the pipeline the way the
 * real sources do (known? -> pipeline_add -> pipeline_flush, deleting or
 * flagging only in the committed callback), into a temporary Maildir
 * with a state file beside it.
 *
 * What is checked: plan -> stage -> commit -> done (the callback comes
 * only after the commit, when the file is in new/ and the state has it);
 * a failing action or a target that cannot be opened leaves the message
 * for the next round; two deliveries of one message, once each; dry-run
 * writes and records nothing; a second round delivers nothing again.
 */
#include <sys/stat.h>

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

#include "tests/unit/tmpdir.h"

#include "rules/rules.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/store/state.h"
#include "daemon/util/log.h"

#define MEM_MAX		8

/* One message of the in-memory source. */
struct mem_msg {
	const char	*uidl;
	const char	*text;
};

/* What the committed callback saw, at the time it was called. */
struct mem_done {
	char		 uidl[64];
	int		 remove;
	size_t		 in_new;	/* files in the watched new/ */
	int		 known;		/* the state's word on the message */
};

struct fixture;

/* The in-memory source: messages by UIDL, as a local source keys them. */
struct mem_source {
	struct fixture		*f;
	const struct mem_msg	*msgs;
	size_t			 n;
	struct mem_done		 done[MEM_MAX];
	size_t			 ndone;
	size_t			 added;
};

struct fixture {
	char			 dir[64];
	char			 name[8];	/* the account's */
	char			 state[PATH_MAX];
	char			 maildir[PATH_MAX];
	char			 deliver[PATH_MAX + 16];
	char			 watch[PATH_MAX + 8];	/* a new/ */
	struct config		 cfg;
	struct account		 acct;
	struct state		*st;
	struct rule_set		*rules;
};

static const struct mem_msg	 plain[] = {
	{ "m1", "From: a@example.org\nTo: me@example.com\nSubject: one\n"
	    "Message-ID: <1@example.org>\n\nfirst\n" },
	{ "m2", "From: b@example.org\nTo: me@example.com\nSubject: two\n"
	    "Message-ID: <2@example.org>\n\nsecond\n" },
};

/* Files in a directory; 0 if there is no such directory. */
static size_t
files_in(const char *path)
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

/* The whole of the only file in a directory, or NULL. */
static char *
only_file(const char *path)
{
	struct dirent	*de;
	struct stat	 sb;
	char		 file[PATH_MAX * 2], *buf = NULL;
	DIR		*d;
	int		 fd;

	if (files_in(path) != 1 || (d = opendir(path)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL && de->d_name[0] == '.')
		;
	assert_non_null(de);
	snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
	closedir(d);
	assert_true((fd = open(file, O_RDONLY)) != -1);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_non_null(buf = calloc(1, (size_t)sb.st_size + 1));
	assert_int_equal(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	close(fd);
	return buf;
}

/* 0: unknown to the state, 1: delivered, 2: known, not surely delivered
 * (as pipeline_known_uidls() says, but asked of the state itself). */
static int
known(struct state *st, const char *uidl)
{
	struct uidlset	 set, done;
	char		 err[1024];
	int		 k = 0;

	if (state_uidls_delivered(st, "mem", "", &set, err,
	    sizeof(err)) == -1)
		return -1;
	if (state_uidls_deletable(st, "mem", "", &done, err,
	    sizeof(err)) == -1) {
		uidlset_free(&set);
		return -1;
	}
	if (uidlset_has(&set, uidl))
		k = uidlset_has(&done, uidl) ? 1 : 2;
	uidlset_free(&set);
	uidlset_free(&done);
	return k;
}

static void
mem_committed(void *ctx, const struct fetch_key *k)
{
	struct mem_source	*src = ctx;
	struct mem_done		*d;

	if (src->ndone == MEM_MAX)
		return;
	d = &src->done[src->ndone++];
	snprintf(d->uidl, sizeof(d->uidl), "%s", k->uidl);
	d->remove = k->remove;
	d->in_new = files_in(src->f->watch);
	d->known = known(src->f->st, k->uidl);
}

static void
mem_open(struct mem_source *src, struct fixture *f,
    const struct mem_msg *msgs, size_t n)
{
	memset(src, 0, sizeof(*src));
	src->f = f;
	src->msgs = msgs;
	src->n = n;
}

/* Hand message i over as a source does: a copy the pipeline may write
 * to, keyed by its UIDL. */
static int
mem_add(struct mem_source *src, struct pipeline *pl, size_t i)
{
	struct fetch_key	 k;
	char			*copy;
	int			 rv;

	memset(&k, 0, sizeof(k));
	k.folder = "";
	k.uidl = src->msgs[i].uidl;
	assert_non_null(copy = strdup(src->msgs[i].text));
	rv = pipeline_add(pl, &k, copy, strlen(copy));
	free(copy);
	src->added++;
	return rv;
}

/* One round: what the state does not know is handed over, then the
 * batch is committed.  0, or -1 as pipeline_add() and pipeline_flush(). */
static int
mem_round(struct mem_source *src, struct pipeline *pl)
{
	const char	*uidls[MEM_MAX];
	unsigned char	 seen[MEM_MAX];
	size_t		 i;
	int		 rv = 0;

	for (i = 0; i < src->n; i++)
		uidls[i] = src->msgs[i].uidl;
	pipeline_set_committed(pl, mem_committed, src);
	if (pipeline_known_uidls(pl, uidls, src->n, seen) == -1)
		return -1;
	for (i = 0; i < src->n && rv == 0; i++)
		if (!seen[i])
			rv = mem_add(src, pl, i);
	if (rv == 0)
		rv = pipeline_flush(pl);
	pipeline_set_committed(pl, NULL, NULL);
	return rv;
}

static struct pipeline *
pl_open(struct fixture *f, int dry_run)
{
	struct pipeline	*pl;
	char		 err[1024];

	pl = pipeline_new(&f->cfg, &f->acct, f->rules, f->st, dry_run, err,
	    sizeof(err));
	if (pl == NULL)
		fail_msg("pipeline_new: %s", err);
	return pl;
}

/* Rules from yaml, where every %s is the test's directory. */
static void
rules_load(struct fixture *f, const char *fmt)
{
	char	 yaml[4096], err[1024];
	size_t	 i, o = 0;

	for (i = 0; fmt[i] != '\0' && o + sizeof(f->dir) < sizeof(yaml); i++) {
		if (fmt[i] == '%' && fmt[i + 1] == 's') {
			o += (size_t)snprintf(yaml + o, sizeof(yaml) - o, "%s",
			    f->dir);
			i++;
		} else
			yaml[o++] = fmt[i];
	}
	yaml[o] = '\0';
	rule_set_free(f->rules);
	f->rules = rule_set_load_buffer("t.yaml", yaml, o, 0, err,
	    sizeof(err));
	if (f->rules == NULL)
		fail_msg("rules: %s", err);
}

static void
path_of(const struct fixture *f, const char *rel, char *out, size_t len)
{
	int	 n = snprintf(out, len, "%s/%s", f->dir, rel);

	assert_true(n > 0 && (size_t)n < len);
}

static int
setup(void **state)
{
	struct fixture	*f;
	char		 err[1024];

	log_init(0, LOG_LEVEL_ERROR);
	assert_non_null(f = calloc(1, sizeof(*f)));
	snprintf(f->dir, sizeof(f->dir), "/tmp/mailsift-pl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->name, sizeof(f->name), "mem");
	path_of(f, "state/state.db", f->state, sizeof(f->state));
	path_of(f, "Maildir", f->maildir, sizeof(f->maildir));
	path_of(f, "Maildir/new", f->watch, sizeof(f->watch));
	snprintf(f->deliver, sizeof(f->deliver), "maildir:%s", f->maildir);
	f->cfg.max_size = 1024 * 1024;
	f->acct.name = f->name;
	f->acct.type = ACCT_MAILDIR;
	f->acct.keep = 1;
	f->acct.deliver = f->deliver;
	if ((f->st = state_open(f->state, 0, err, sizeof(err))) == NULL)
		fail_msg("state_open: %s", err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	rule_set_free(f->rules);
	state_close(f->st);
	tmpdir_remove_at(AT_FDCWD, f->dir);
	free(f);
	return 0;
}

/* Staged is not delivered: nothing in new/, nothing recorded, no
 * callback until the flush; then each callback finds its message in
 * new/ and in the state. */
static void
test_commit_then_done(void **state)
{
	struct fixture		*f = *state;
	struct mem_source	 src;
	struct pipeline		*pl = pl_open(f, 0);
	struct fetch_stats	*fs = pipeline_stats(pl);

	mem_open(&src, f, plain, 2);
	pipeline_set_committed(pl, mem_committed, &src);
	assert_int_equal(mem_add(&src, pl, 0), 0);
	assert_int_equal(mem_add(&src, pl, 1), 0);
	assert_int_equal(src.ndone, 0);
	assert_int_equal(files_in(f->watch), 0);
	assert_int_equal(known(f->st, "m1"), 0);
	assert_int_equal(pipeline_flush(pl), 0);
	assert_int_equal(src.ndone, 2);
	assert_string_equal(src.done[0].uidl, "m1");
	assert_string_equal(src.done[1].uidl, "m2");
	assert_int_equal(src.done[0].in_new, 2);
	assert_int_equal(src.done[0].known, 1);
	assert_int_equal(src.done[1].known, 1);
	assert_int_equal(src.done[0].remove, 0);
	assert_int_equal(fs->fetched, 2);
	assert_int_equal(fs->delivered, 2);
	assert_int_equal(fs->errors, 0);
	pipeline_free(pl);
}

/* Without rules the message goes to the account's target as fetched;
 * CRLF line ends become LF. */
static void
test_bytes_as_fetched(void **state)
{
	static const struct mem_msg crlf[] = {
		{ "c1", "Subject: crlf\r\nMessage-ID: <c@x>\r\n\r\nbody\r\n" },
	};
	struct fixture		*f = *state;
	struct mem_source	 src;
	struct pipeline		*pl = pl_open(f, 0);
	char			*text;

	mem_open(&src, f, crlf, 1);
	assert_int_equal(mem_round(&src, pl), 0);
	pipeline_free(pl);
	assert_non_null(text = only_file(f->watch));
	assert_string_equal(text, "Subject: crlf\nMessage-ID: <c@x>\n\nbody\n");
	free(text);
	assert_int_equal(src.ndone, 1);
}

/* With rules: the plan edits the message, and the edited message is
 * what is staged and committed. */
static void
test_rules_plan_stage_commit(void **state)
{
	struct fixture		*f = *state;
	struct mem_source	 src;
	struct pipeline		*pl;
	char			*text;

	rules_load(f, "rules:\n  - name: tag\n"
	    "    do: [ { add-header: { X-Sifted: 'yes' } } ]\n");
	pl = pl_open(f, 0);
	mem_open(&src, f, plain, 1);
	assert_int_equal(mem_round(&src, pl), 0);
	assert_int_equal(pipeline_stats(pl)->delivered, 1);
	pipeline_free(pl);
	assert_non_null(text = only_file(f->watch));
	assert_true(strncmp(text, "X-Sifted: yes\n", 14) == 0);
	assert_string_equal(text + 14, plain[0].text);
	free(text);
}

static const struct mem_msg	 failing[] = {
	{ "f1", "From: a@example.org\nSubject: FAIL now\n\nx\n" },
	{ "ok", "From: b@example.org\nSubject: fine\n\ny\n" },
};

/* A failing action (a pipe to false) leaves its message for the next
 * round: nothing staged or recorded, no callback, an error counted; the
 * other messages go on.  Next round, with the action working, it comes
 * again and is delivered; the other one does not come again. */
static void
test_failing_action_left_for_next_round(void **state)
{
	struct fixture		*f = *state;
	struct mem_source	 src;
	struct pipeline		*pl;

	rules_load(f, "rules:\n  - name: p\n    when: { subject: '^FAIL' }\n"
	    "    do: [ { pipe: [false] } ]\n");
	pl = pl_open(f, 0);
	mem_open(&src, f, failing, 2);
	assert_int_equal(mem_round(&src, pl), 0);
	assert_int_equal(pipeline_stats(pl)->errors, 1);
	assert_int_equal(pipeline_stats(pl)->delivered, 1);
	pipeline_free(pl);
	assert_int_equal(src.ndone, 1);
	assert_string_equal(src.done[0].uidl, "ok");
	assert_int_equal(files_in(f->watch), 1);
	assert_int_equal(known(f->st, "f1"), 0);
	assert_int_equal(known(f->st, "ok"), 1);

	rules_load(f, "rules:\n  - name: p\n    when: { subject: '^FAIL' }\n"
	    "    do: [ { pipe: [true] } ]\n");
	pl = pl_open(f, 0);
	mem_open(&src, f, failing, 2);
	assert_int_equal(mem_round(&src, pl), 0);
	assert_int_equal(pipeline_stats(pl)->errors, 0);
	pipeline_free(pl);
	assert_int_equal(src.added, 1);
	assert_int_equal(src.ndone, 1);
	assert_string_equal(src.done[0].uidl, "f1");
	assert_int_equal(files_in(f->watch), 2);
	assert_int_equal(known(f->st, "f1"), 1);
}

static const struct mem_msg	 two[] = {
	{ "t1", "From: a@example.org\nSubject: TWO places\n\nx\n" },
};

/* A target that cannot be opened (a file where its directory should
 * be): pipeline_add() fails, so the source stops; even the round's last
 * flush commits none of the message's deliveries, records nothing and
 * calls back for nothing. */
static void
test_failing_target_left_for_next_round(void **state)
{
	struct fixture		*f = *state;
	struct mem_source	 src;
	struct pipeline		*pl;
	char			 blocker[PATH_MAX], a_new[PATH_MAX];
	int			 fd;

	path_of(f, "blocker", blocker, sizeof(blocker));
	path_of(f, "A/new", a_new, sizeof(a_new));
	assert_true((fd = open(blocker, O_WRONLY | O_CREAT, 0600)) != -1);
	close(fd);
	rules_load(f, "rules:\n  - name: two\n    when: { subject: '^TWO' }\n"
	    "    do:\n      - deliver: \"maildir:%s/A\"\n"
	    "      - deliver: \"maildir:%s/blocker/B\"\n");
	pl = pl_open(f, 0);
	mem_open(&src, f, two, 1);
	pipeline_set_committed(pl, mem_committed, &src);
	assert_int_equal(mem_add(&src, pl, 0), -1);
	assert_int_equal(pipeline_flush(pl), 0);
	pipeline_free(pl);
	assert_int_equal(src.ndone, 0);
	assert_int_equal(files_in(a_new), 0);
	assert_int_equal(known(f->st, "t1"), 0);

	/* the target fixed, the next round delivers it to both */
	assert_int_equal(unlink(blocker), 0);
	pl = pl_open(f, 0);
	mem_open(&src, f, two, 1);
	assert_int_equal(mem_round(&src, pl), 0);
	pipeline_free(pl);
	assert_int_equal(src.ndone, 1);
	assert_int_equal(files_in(a_new), 1);
	assert_int_equal(known(f->st, "t1"), 1);
}

/* Two deliveries of one message: both targets get it, once each, one
 * callback, nothing to the account's target (a rule filed it); a second
 * round delivers nothing. */
static void
test_two_deliveries(void **state)
{
	struct fixture		*f = *state;
	struct mem_source	 src;
	struct pipeline		*pl;
	char			 a_new[PATH_MAX], b_new[PATH_MAX], *text;
	int			 round;

	path_of(f, "A/new", a_new, sizeof(a_new));
	path_of(f, "B/new", b_new, sizeof(b_new));
	rules_load(f, "rules:\n  - name: two\n    when: { subject: '^TWO' }\n"
	    "    do:\n      - deliver: \"maildir:%s/A\"\n"
	    "      - deliver: \"maildir:%s/B\"\n");
	for (round = 0; round < 2; round++) {
		pl = pl_open(f, 0);
		mem_open(&src, f, two, 1);
		assert_int_equal(mem_round(&src, pl), 0);
		assert_int_equal(pipeline_stats(pl)->fetched, round == 0);
		assert_int_equal(pipeline_stats(pl)->delivered, round == 0);
		pipeline_free(pl);
		assert_int_equal(src.ndone, round == 0);
		assert_int_equal(files_in(a_new), 1);
		assert_int_equal(files_in(b_new), 1);
		assert_int_equal(files_in(f->watch), 0);
		assert_int_equal(known(f->st, "t1"), 1);
	}
	assert_non_null(text = only_file(b_new));
	assert_string_equal(text, two[0].text);
	free(text);
}

/* A second round over the same messages fetches and delivers nothing. */
static void
test_second_round_delivers_nothing(void **state)
{
	struct fixture		*f = *state;
	struct mem_source	 src;
	struct pipeline		*pl;

	pl = pl_open(f, 0);
	mem_open(&src, f, plain, 2);
	assert_int_equal(mem_round(&src, pl), 0);
	pipeline_free(pl);
	assert_int_equal(src.ndone, 2);
	pl = pl_open(f, 0);
	mem_open(&src, f, plain, 2);
	assert_int_equal(mem_round(&src, pl), 0);
	assert_int_equal(pipeline_stats(pl)->fetched, 0);
	pipeline_free(pl);
	assert_int_equal(src.added, 0);
	assert_int_equal(src.ndone, 0);
	assert_int_equal(files_in(f->watch), 2);
}

/* Dry run, with rules and without: nothing written, nothing carried
 * out, nothing recorded, no callback. */
static void
test_dry_run(void **state)
{
	struct fixture		*f = *state;
	struct mem_source	 src;
	struct pipeline		*pl;
	char			 touched[PATH_MAX], a_new[PATH_MAX];
	struct stat		 sb;
	int			 with;

	path_of(f, "touched", touched, sizeof(touched));
	path_of(f, "A/new", a_new, sizeof(a_new));
	for (with = 0; with < 2; with++) {
		if (with)
			rules_load(f, "rules:\n  - name: r\n    do:\n"
			    "      - pipe: [sh, -c, 'touch %s/touched']\n"
			    "      - deliver: \"maildir:%s/A\"\n");
		pl = pl_open(f, 1);
		mem_open(&src, f, plain, 2);
		assert_int_equal(mem_round(&src, pl), 0);
		assert_int_equal(pipeline_stats(pl)->fetched, 2);
		assert_int_equal(pipeline_stats(pl)->delivered, 0);
		pipeline_free(pl);
		assert_int_equal(src.ndone, 0);
		assert_int_equal(files_in(f->watch), 0);
		assert_int_equal(files_in(a_new), 0);
		assert_int_equal(stat(touched, &sb), -1);
		assert_int_equal(known(f->st, "m1"), 0);
		assert_int_equal(known(f->st, "m2"), 0);
	}
}

static const struct mem_msg	 marked[] = {
	{ "d1", "From: a@example.org\nSubject: DELETE me\n\nx\n" },
	{ "x1", "From: a@example.org\nSubject: DROP me\n\nx\n" },
};

/* A rule's delete reaches the source with the committed message (a
 * source without server-side actions deletes it then); discard files
 * nothing and records the message, so it is not fetched again. */
static void
test_delete_and_discard(void **state)
{
	struct fixture		*f = *state;
	struct mem_source	 src;
	struct pipeline		*pl;

	rules_load(f, "rules:\n"
	    "  - name: d\n    when: { subject: '^DELETE' }\n"
	    "    do: [ delete ]\n"
	    "  - name: x\n    when: { subject: '^DROP' }\n"
	    "    do: [ discard ]\n");
	pl = pl_open(f, 0);
	mem_open(&src, f, marked, 2);
	assert_int_equal(mem_round(&src, pl), 0);
	pipeline_free(pl);
	assert_int_equal(src.ndone, 1);
	assert_string_equal(src.done[0].uidl, "d1");
	assert_int_equal(src.done[0].remove, 1);
	assert_int_equal(src.done[0].known, 1);
	assert_int_equal(files_in(f->watch), 1);
	assert_int_equal(known(f->st, "x1"), 2);
	pl = pl_open(f, 0);
	mem_open(&src, f, marked, 2);
	assert_int_equal(mem_round(&src, pl), 0);
	pipeline_free(pl);
	assert_int_equal(src.added, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_then_done,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytes_as_fetched,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules_plan_stage_commit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_failing_action_left_for_next_round, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_failing_target_left_for_next_round, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_deliveries,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_second_round_delivers_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_and_discard,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

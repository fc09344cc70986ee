/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_safename.c - attachment file names (daemon/util/safename.c) and
 * save-attachments (daemon/act/save.c): a taken name costs one more
 * try however many files a sender made exist, a save that can never
 * succeed is reported and recorded and does not hold the message back,
 * dedupe still saves the same bytes once, and nothing is written through
 * a symlinked directory.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/tmpdir.h"

#include "mime/mime.h"
#include "rules/rules.h"
#include "daemon/act/save.h"
#include "daemon/deliver/deliver.h"
#include "daemon/util/safename.h"
#include "daemon/store/state.h"

static char	 dir[64];

static const char msg_text[] =
    "From: a@example.com\n"
    "To: b@example.com\n"
    "Subject: invoice\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=XX\n"
    "\n"
    "--XX\n"
    "Content-Type: text/plain\n"
    "\n"
    "see attached\n"
    "--XX\n"
    "Content-Type: application/pdf\n"
    "Content-Disposition: attachment; filename=x.pdf\n"
    "\n"
    "%PDF-1.4 the same bytes\n"
    "--XX--\n";

struct save {
	struct rule_set		*set;
	struct mime_message	*msg;
	struct rule_plan	*plan;
	struct state		*st;
};

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/msx-safename.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove_at(AT_FDCWD, dir);
	return 0;
}

static int
count_files(const char *path)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
touch(const char *path)
{
	int	 fd;

	assert_int_not_equal(fd = open(path, O_WRONLY | O_CREAT | O_EXCL,
	    0600), -1);
	close(fd);
}

/* x.pdf, x-1.pdf ... x-9999.pdf in sub: what the old counter tried. */
static void
fill_collisions(const char *sub)
{
	char	 p[PATH_MAX];
	int	 i;

	snprintf(p, sizeof(p), "%s/x.pdf", sub);
	touch(p);
	for (i = 1; i < 10000; i++) {
		snprintf(p, sizeof(p), "%s/x-%d.pdf", sub, i);
		touch(p);
	}
}

static void
test_make(void **state)
{
	char	 out[SAFENAME_MAX + 1];

	(void)state;
	safename_make("../../etc/pass\twd", "fb", out);
	assert_string_equal(out, "passwd");
	safename_make("..", "fb", out);
	assert_string_equal(out, "fb");
	safename_make(NULL, "fb", out);
	assert_string_equal(out, "fb");
}

/* Two messages were enough to make every later x.pdf fail. */
static void
test_create_collisions(void **state)
{
	char	 sub[PATH_MAX], used[SAFENAME_MAX + 16], used2[SAFENAME_MAX + 16];
	int	 dfd, fd;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/coll", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	fill_collisions(sub);
	assert_int_not_equal(dfd = open(sub, O_RDONLY | O_DIRECTORY), -1);
	fd = safename_create(dfd, "x.pdf", used);
	if (fd == -1)
		fail_msg("x.pdf with 10000 names taken: %s", strerror(errno));
	close(fd);
	assert_int_equal(strncmp(used, "x-", 2), 0);
	assert_string_equal(used + strlen(used) - 4, ".pdf");
	assert_int_not_equal(fd = safename_create(dfd, "x.pdf", used2), -1);
	close(fd);
	assert_string_not_equal(used, used2);
	/* no extension, and a name that is free */
	assert_int_not_equal(fd = safename_create(dfd, "README", used), -1);
	close(fd);
	assert_string_equal(used, "README");
	assert_int_not_equal(fd = safename_create(dfd, "README", used), -1);
	close(fd);
	assert_int_equal(strncmp(used, "README-", 7), 0);
	assert_int_equal(count_files(sub), 10004);
	close(dfd);
}

static void
save_open_msg(struct save *s, const char *to, int dedupe, const char *text)
{
	char	 yaml[PATH_MAX + 256], db[PATH_MAX], err[1024];
	struct rule_input in;

	snprintf(yaml, sizeof(yaml), "version: 1\nrules:\n  - name: s\n"
	    "    when: { subject: invoice }\n    do:\n"
	    "      - save-attachments: { to: '%s'%s }\n", to,
	    dedupe ? ", dedupe: sha256" : "");
	s->set = rule_set_load_buffer("t.yaml", yaml, strlen(yaml), 0, err,
	    sizeof(err));
	if (s->set == NULL)
		fail_msg("%s", err);
	assert_non_null(s->msg = mime_message_parse(text, strlen(text),
	    NULL));
	memset(&in, 0, sizeof(in));
	in.msg = s->msg;
	in.size = strlen(text);
	in.account = "acct";
	in.now = 1700000000;
	assert_non_null(s->plan = rule_set_eval(s->set, &in, NULL, NULL));
	assert_int_equal(rule_plan_count(s->plan), 1);
	snprintf(db, sizeof(db), "%s/state.db", dir);
	s->st = state_open(db, 0, err, sizeof(err));
	if (s->st == NULL)
		fail_msg("%s", err);
}

static void
save_open(struct save *s, const char *to, int dedupe)
{
	save_open_msg(s, to, dedupe, msg_text);
}

static void
save_close(struct save *s)
{
	state_close(s->st);
	rule_plan_free(s->plan);
	mime_message_free(s->msg);
	rule_set_free(s->set);
}

static int
save_run(struct save *s, const char *key)
{
	return save_attachments(s->st, rule_plan_action(s->plan, 0),
	    key, "acct");
}

/* The old code failed the action, so the message was left on the server
 * and tried again every round, forever. */
static void
test_save_collisions(void **state)
{
	struct save	 s;
	char		 to[PATH_MAX];

	(void)state;
	snprintf(to, sizeof(to), "%s/inv", dir);
	assert_int_equal(mkdir(to, 0700), 0);
	fill_collisions(to);
	save_open(&s, to, 0);
	assert_int_equal(save_run(&s, "acct/INBOX/1/1/s/save-attachments"), 0);
	assert_int_equal(count_files(to), 10001);
	save_close(&s);
}

static void
test_save_dedupe(void **state)
{
	struct save	 s;
	char		 to[PATH_MAX];

	(void)state;
	snprintf(to, sizeof(to), "%s/dd", dir);
	save_open(&s, to, 1);
	assert_int_equal(save_run(&s, "acct/INBOX/2/1/s/save-attachments"), 0);
	assert_int_equal(save_run(&s, "acct/INBOX/2/2/s/save-attachments"), 0);
	assert_int_equal(count_files(to), 1);
	save_close(&s);
	/* without dedupe the second copy gets a name of its own */
	save_open(&s, to, 0);
	assert_int_equal(save_run(&s, "acct/INBOX/2/3/s/save-attachments"), 0);
	assert_int_equal(count_files(to), 2);
	save_close(&s);
}

/* A directory below the configured one that is a symlink: nothing is
 * written through it, the save is reported and recorded, and the rest
 * of the plan goes on (the message is not held back round after round). */
static void
test_save_symlink_dir(void **state)
{
	struct save	 s;
	char		 to[PATH_MAX], victim[PATH_MAX], link[PATH_MAX];
	char		 tpl[PATH_MAX];

	(void)state;
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(link, sizeof(link), "%s/base/example.com", dir);
	snprintf(to, sizeof(to), "%s/base", dir);
	assert_int_equal(mkdir(victim, 0700), 0);
	assert_int_equal(mkdir(to, 0700), 0);
	assert_int_equal(symlink(victim, link), 0);
	/* planted by another local user */
	assert_int_equal(lchown(link, 65534, 65534), 0);
	snprintf(tpl, sizeof(tpl), "%s/base/{from.domain}/2024", dir);
	save_open(&s, tpl, 0);
	assert_int_equal(save_run(&s, "acct/INBOX/1/9/s/save-attachments"), 0);
	assert_int_equal(count_files(victim), 0);
	/* recorded: the next round does not try again */
	assert_int_equal(save_run(&s, "acct/INBOX/1/9/s/save-attachments"), 0);
	assert_int_equal(count_files(victim), 0);
	save_close(&s);
}

/* A message whose two attachments are each size bytes of their own
 * letter, in lines. */
static char *
big_msg(size_t size)
{
	static const char head[] =
	    "From: a@example.com\nTo: b@example.com\nSubject: invoice\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=XX\n\n";
	char	*m, *p;
	size_t	 i, j, cap = sizeof(head) + 2 * size + 512;

	assert_non_null(m = malloc(cap));
	p = m + snprintf(m, cap, "%s", head);
	for (j = 0; j < 2; j++) {
		p += sprintf(p, "--XX\nContent-Type: application/pdf\n"
		    "Content-Disposition: attachment; filename=%s.pdf\n\n",
		    j == 0 ? "big" : "other");
		for (i = 0; i < size; i++)
			*p++ = (i + 1) % 64 == 0 ? '\n' : (char)('A' + j);
		*p++ = '\n';
	}
	p += sprintf(p, "--XX--\n");
	assert_true((size_t)(p - m) < cap);
	return m;
}

/* Each file in path is whole: size bytes of one letter (its last line
 * break belongs to the MIME boundary). */
static void
assert_files_whole(const char *path, size_t size)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		 f[PATH_MAX];

	assert_non_null(d = opendir(path));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
		assert_int_equal(stat(f, &sb), 0);
		if ((size_t)sb.st_size != size)
			fail_msg("%s: %lld bytes, not %zu", f,
			    (long long)sb.st_size, size);
	}
	closedir(d);
}

/* Nothing but the saved files: no temporary left behind. */
static int
count_hidden(const char *path)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	assert_non_null(d = opendir(path));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] == '.' && strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static const char	*crash_step;

static void
crash_hook(const char *step, size_t n)
{
	(void)n;
	if (crash_step != NULL && strcmp(step, crash_step) == 0)
		_exit(7);
}

/* Run the save in a child that dies: with step NULL, killed by SIGXFSZ
 * in the middle of writing the first file (as by kill -9); otherwise
 * at that step of the save. */
static void
save_crash(const char *to, const char *text, const char *step)
{
	struct save	 s;
	struct rlimit	 rl;
	pid_t		 pid;
	int		 status;

	assert_int_not_equal(pid = fork(), -1);
	if (pid == 0) {
		save_open_msg(&s, to, 0, text);
		crash_step = step;
		delivery_test_hook = crash_hook;
		if (step == NULL) {
			rl.rlim_cur = rl.rlim_max = 64 * 1024;
			if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
				_exit(3);
		}
		(void)save_run(&s, "acct/INBOX/5/1/s/save-attachments");
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (step == NULL) {
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGXFSZ);
	} else {
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 7);
	}
}

/*
 * Killed while an attachment is written, or at any step after: no file
 * under a real name is ever short, and the next round leaves each
 * attachment saved exactly once, whole, with no temporary left.
 */
static void
test_save_crash(void **state)
{
	static const char *const steps[] = { NULL, "save-written",
	    "save-linked", "save-synced", "save-marked" };
	struct save	 s;
	char		 to[PATH_MAX];
	char		*text;
	size_t		 i, size = 256 * 1024;

	(void)state;
	text = big_msg(size);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		snprintf(to, sizeof(to), "%s/crash%zu", dir, i);
		save_crash(to, text, steps[i]);
		assert_files_whole(to, size);
		save_open_msg(&s, to, 0, text);
		assert_int_equal(save_run(&s,
		    "acct/INBOX/5/1/s/save-attachments"), 0);
		if (count_files(to) != 2)
			fail_msg("crash at %s: %d files, not 2", steps[i] ==
			    NULL ? "a write" : steps[i], count_files(to));
		assert_files_whole(to, size);
		assert_int_equal(count_hidden(to), 0);
		save_close(&s);
		/* the state file is shared: a fresh one for the next step */
		snprintf(to, sizeof(to), "%s/state.db", dir);
		assert_int_equal(unlink(to), 0);
	}
	free(text);
}

static void
plant(const char *path, int old)
{
	struct timespec	 ts[2];

	touch(path);
	if (!old)
		return;
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts[0]), 0);
	ts[0].tv_sec -= 37 * 3600;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/*
 * A temporary of a message never fetched again: the first save into its
 * directory removes ours when stale and partial (one name, 36 hours
 * old); a fresh one, one that has its real name too, and other hidden
 * files stay.
 */
static void
test_save_sweep(void **state)
{
	struct save	 s;
	char		 to[256], stale[PATH_MAX], fresh[PATH_MAX];
	char		 placed[PATH_MAX], real[PATH_MAX], other[PATH_MAX];

	(void)state;
	snprintf(to, sizeof(to), "%s/sweep", dir);
	assert_int_equal(mkdir(to, 0700), 0);
	snprintf(stale, sizeof(stale), "%s/.mailsift-tmp.0123456789ab"
	    "0123456789ab", to);
	snprintf(fresh, sizeof(fresh), "%s/.mailsift-tmp.fedcba987654"
	    "fedcba987654", to);
	snprintf(placed, sizeof(placed), "%s/.mailsift-tmp.aaaaaaaaaaaa"
	    "aaaaaaaaaaaa", to);
	snprintf(real, sizeof(real), "%s/placed.pdf", to);
	snprintf(other, sizeof(other), "%s/.hidden", to);
	plant(stale, 1);
	plant(fresh, 0);
	plant(placed, 1);
	assert_int_equal(link(placed, real), 0);
	plant(other, 1);
	save_open(&s, to, 0);
	assert_int_equal(save_run(&s, "acct/INBOX/6/1/s/save-attachments"), 0);
	save_close(&s);
	assert_int_equal(access(stale, F_OK), -1);
	assert_int_equal(access(fresh, F_OK), 0);
	assert_int_equal(access(placed, F_OK), 0);
	assert_int_equal(access(other, F_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make),
		cmocka_unit_test(test_create_collisions),
		cmocka_unit_test(test_save_collisions),
		cmocka_unit_test(test_save_dedupe),
		cmocka_unit_test(test_save_symlink_dir),
		cmocka_unit_test(test_save_crash),
		cmocka_unit_test(test_save_sweep),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

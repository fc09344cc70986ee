/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_pipe.c - the pipe action as the daemon runs it
 * (daemon/act/pipe.c, with the plan from rules/act-pipe.c): a field
 * cannot become an option of the command, the child's environment is
 * the minimal one plus the message's fields, every argument count the
 * loader accepts runs, and a failed start leaks no descriptor.
 *
 * The start failures are forced in a forked child: too few descriptors
 * (RLIMIT_NOFILE) for the second pipe, and no process to spare
 * (RLIMIT_NPROC, as nobody when run as root).
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mime/mime.h"
#include "rules/rules.h"
#include "daemon/act/pipe.h"

#define NOW		1796040000	/* 2026-11-30 12:00:00 UTC */
#define FD_SCAN_MAX	1024
#define SKIPPED		77		/* a forked check could not force
					 * its failure */

struct run {
	struct rule_set		*set;
	struct mime_message	*msg;
	struct rule_plan	*plan;
	struct act_msg	 m;
	char			 text[512];
};

/* Load yaml, evaluate it on a message with this Subject, and return
 * the plan's first action (a pipe). */
static const struct rule_action *
run_open(struct run *r, const char *yaml, const char *subject)
{
	struct rule_input		 in;
	const struct rule_action	*a;
	char				 err[1024];
	int				 n;

	memset(r, 0, sizeof(*r));
	r->set = rule_set_load_buffer("t.yaml", yaml, strlen(yaml), 0, err,
	    sizeof(err));
	if (r->set == NULL)
		fail_msg("%s", err);
	n = snprintf(r->text, sizeof(r->text), "From: Eve <eve@example.org>\n"
	    "To: me@example.com\nSubject: %s\nMessage-ID: <m1@example.org>\n"
	    "\nhello\n", subject);
	assert_true(n > 0 && (size_t)n < sizeof(r->text));
	r->msg = mime_message_parse(r->text, (size_t)n, NULL);
	assert_non_null(r->msg);
	memset(&in, 0, sizeof(in));
	in.msg = r->msg;
	in.size = (size_t)n;
	in.account = "work";
	in.folder = "INBOX";
	in.now = NOW;
	r->plan = rule_set_eval(r->set, &in, NULL, NULL);
	assert_non_null(r->plan);
	a = rule_plan_action(r->plan, 0);
	assert_non_null(a);
	assert_int_equal(rule_action_type(a), RULE_ACTION_PIPE);
	r->m.data = r->text;
	r->m.len = (size_t)n;
	r->m.owned = 0;
	return a;
}

static void
run_close(struct run *r)
{
	if (r->m.owned)
		free(r->m.data);
	rule_plan_free(r->plan);
	mime_message_free(r->msg);
	rule_set_free(r->set);
}

static int
fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static int
fd_count(void)
{
	int	 fd, n = 0;

	for (fd = 0; fd < FD_SCAN_MAX; fd++)
		n += fd_open(fd);
	return n;
}

/* Wait for a forked check; its exit status is the verdict. */
static void
child_verdict(pid_t pid, const char *what)
{
	int	 status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == SKIPPED)
		skip();
	if (WEXITSTATUS(status) != 0)
		fail_msg("%s: check %d failed in the forked child", what,
		    WEXITSTATUS(status));
}

/* Subject "-o/PATH": with sort, an option would write PATH. */
static void
test_field_is_never_an_option(void **state)
{
	struct run			 r;
	const struct rule_action	*a;
	char				 dir[] = "/tmp/msx-pipe.XXXXXX";
	char				 victim[64], subject[128];
	struct stat			 sb;
	int				 rv;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(victim, sizeof(victim), "%s/x", dir);
	snprintf(subject, sizeof(subject), "-o%s", victim);
	a = run_open(&r, "rules:\n  - name: p\n"
	    "    do: [ { pipe: [/usr/bin/sort, '{subject}'] } ]\n", subject);
	/* sort now reads a file named "_o..." that is not there: the pipe
	 * fails, and nothing is written. */
	rv = pipe_run(a, &r.m, 0, "work");
	if (stat(victim, &sb) == 0) {
		unlink(victim);
		rmdir(dir);
		fail_msg("Subject '%s' made sort write %s", subject, victim);
	}
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(rv, -1);
	run_close(&r);
}

/* The child sees PATH=/usr/bin:/bin, the message's fields, and nothing
 * else of the daemon's environment. */
static void
test_environment_is_minimal(void **state)
{
	struct run			 r;
	const struct rule_action	*a;
	char				*out, *path;

	(void)state;
	path = getenv("PATH") != NULL ? strdup(getenv("PATH")) : NULL;
	assert_int_equal(setenv("MSX_TEST_SECRET", "hunter2", 1), 0);
	assert_int_equal(setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1),
	    0);
	a = run_open(&r, "rules:\n  - name: p\n"
	    "    do: [ { pipe: { command: [env], filter: true } } ]\n",
	    "-rf / \t$(x)");
	assert_int_equal(pipe_run(a, &r.m, 1, "work"), 0);
	out = strndup(r.m.data, r.m.len);
	assert_non_null(out);
	if (strstr(out, "hunter2") != NULL)
		fail_msg("the daemon's environment reached the child:\n%s",
		    out);
	if (strstr(out, "\nPATH=/usr/bin:/bin\n") == NULL &&
	    strncmp(out, "PATH=/usr/bin:/bin\n", 19) != 0)
		fail_msg("no minimal PATH:\n%s", out);
	/* values exact, but on one line */
	if (strstr(out, "MAILSIFT_SUBJECT=-rf /  $(x)\n") == NULL ||
	    strstr(out, "MAILSIFT_FROM=eve@example.org\n") == NULL ||
	    strstr(out, "MAILSIFT_FROM_NAME=Eve\n") == NULL ||
	    strstr(out, "MAILSIFT_TO=me@example.com\n") == NULL ||
	    strstr(out, "MAILSIFT_MESSAGE_ID=m1@example.org\n") == NULL ||
	    strstr(out, "MAILSIFT_ACCOUNT=work\n") == NULL ||
	    strstr(out, "MAILSIFT_FOLDER=INBOX\n") == NULL ||
	    strstr(out, "MAILSIFT_RULE=p\n") == NULL)
		fail_msg("the message's fields are not all there:\n%s", out);
	free(out);
	run_close(&r);
	unsetenv("MSX_TEST_SECRET");
	if (path != NULL)
		setenv("PATH", path, 1);
	free(path);
}

/* env: [NAME...] passes those of the daemon's variables that are set. */
static void
test_environment_named(void **state)
{
	struct run			 r;
	const struct rule_action	*a;
	char				*out;

	(void)state;
	assert_int_equal(setenv("MSX_TEST_PASS", "yes", 1), 0);
	assert_int_equal(setenv("MSX_TEST_OTHER", "no", 1), 0);
	unsetenv("MSX_TEST_UNSET");
	a = run_open(&r, "rules:\n  - name: p\n"
	    "    do: [ { pipe: { command: [env], filter: true,\n"
	    "      env: [MSX_TEST_PASS, MSX_TEST_UNSET] } } ]\n", "s");
	assert_int_equal(pipe_run(a, &r.m, 1, "work"), 0);
	out = strndup(r.m.data, r.m.len);
	assert_non_null(out);
	assert_non_null(strstr(out, "MSX_TEST_PASS=yes\n"));
	assert_null(strstr(out, "MSX_TEST_OTHER"));
	assert_null(strstr(out, "MSX_TEST_UNSET"));
	free(out);
	run_close(&r);
}

/* Every argument count the loader accepts runs. */
static void
test_most_arguments(void **state)
{
	struct run			 r;
	const struct rule_action	*a;
	char				 yaml[1024];
	size_t				 i, off;

	(void)state;
	off = (size_t)snprintf(yaml, sizeof(yaml), "rules:\n  - name: p\n"
	    "    do: [ { pipe: [/bin/sh, -c, 'exit $(($# - %d))', sh",
	    RULE_PIPE_ARGS_MAX - 4);
	for (i = 4; i < RULE_PIPE_ARGS_MAX; i++)
		off += (size_t)snprintf(yaml + off, sizeof(yaml) - off, ", a");
	snprintf(yaml + off, sizeof(yaml) - off, "] } ]\n");
	a = run_open(&r, yaml, "s");
	assert_int_equal(rule_action_argc(a), RULE_PIPE_ARGS_MAX);
	assert_int_equal(pipe_run(a, &r.m, 0, "work"), 0);
	run_close(&r);
}

/* In the forked child: the second pipe() cannot have descriptors. */
static int
check_pipe_failure(const struct rule_action *a, struct act_msg *m)
{
	struct rlimit	 rl;
	int		 fd1, fd2;

	/* The two lowest free descriptors, the last ones allowed. */
	if ((fd1 = open("/dev/null", O_RDONLY)) == -1 ||
	    (fd2 = open("/dev/null", O_RDONLY)) == -1)
		return 1;
	close(fd1);
	close(fd2);
	rl.rlim_cur = rl.rlim_max = (rlim_t)(fd2 > fd1 ? fd2 : fd1) + 1;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		return SKIPPED;
	if (pipe_run(a, m, 1, "work") != -1)
		return 2;
	if (fd_open(fd1) || fd_open(fd2))
		return 3;
	return 0;
}

/* In the forked child: fork() is refused. */
static int
check_fork_failure(const struct rule_action *a, struct act_msg *m)
{
	struct rlimit	 rl = { 0, 0 };
	int		 before;

	if (geteuid() == 0 && (setgid(65534) == -1 || setuid(65534) == -1))
		return SKIPPED;
	if (setrlimit(RLIMIT_NPROC, &rl) == -1)
		return SKIPPED;
	before = fd_count();
	if (pipe_run(a, m, 1, "work") != -1)
		return SKIPPED;		/* fork was not refused after all */
	if (fd_count() != before)
		return 3;
	return 0;
}

static void
forked_check(int (*check)(const struct rule_action *, struct act_msg *),
    const char *what)
{
	struct run			 r;
	const struct rule_action	*a;
	pid_t				 pid;

	a = run_open(&r, "rules:\n  - name: p\n"
	    "    do: [ { pipe: { command: [/bin/cat], filter: true } } ]\n",
	    "s");
	if ((pid = fork()) == 0)
		_exit(check(a, &r.m));
	assert_true(pid > 0);
	run_close(&r);
	child_verdict(pid, what);
}

static void
test_pipe_failure_leaks_nothing(void **state)
{
	(void)state;
	forked_check(check_pipe_failure, "pipe() fails");
}

static void
test_fork_failure_leaks_nothing(void **state)
{
	(void)state;
	forked_check(check_fork_failure, "fork() fails");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_is_never_an_option),
		cmocka_unit_test(test_environment_is_minimal),
		cmocka_unit_test(test_environment_named),
		cmocka_unit_test(test_most_arguments),
		cmocka_unit_test(test_pipe_failure_leaks_nothing),
		cmocka_unit_test(test_fork_failure_leaks_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

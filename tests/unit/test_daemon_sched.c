/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_sched.c - the scheduler's rounds (daemon/sched/sched.c)
 * over local Maildir accounts, no server: --once runs every account and
 * its exit status says whether any failed, one failing account does not
 * stop the others (one worker or several), a failed rule action fails
 * the account's round and leaves the message for the next, and a stop
 * asked before the run starts no account and is no failure.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
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
#include "daemon/conf/conf.h"
#include "daemon/sched/sched.h"
#include "daemon/source/source.h"
#include "daemon/util/log.h"
#include "daemon/util/stop.h"

static const char msg_a[] = "From: a@example.org\nSubject: a\n"
    "Message-ID: <a@example.org>\n\nfirst\n";

static char	 dir[64];

static int
setup(void **state)
{
	(void)state;
	log_init(0, LOG_LEVEL_ERROR);
	return tmpdir_make(dir, sizeof(dir), "mssched");
}

static int
teardown(void **state)
{
	(void)state;
	return tmpdir_remove(dir);
}

static const char *
in_dir(const char *rel)
{
	static char	 bufs[16][PATH_MAX];
	static int	 next;
	char		*p = bufs[next++ % 16];

	snprintf(p, PATH_MAX, "%s/%s", dir, rel);
	return p;
}

/* Maildir account NAME reads dir/NAME-src into dir/NAME-dst; with
 * a source that is there only if present. */
static void
account_text(char *buf, size_t len, const char *name, int present)
{
	char	 rel[64];

	if (present) {
		snprintf(rel, sizeof(rel), "%s-src", name);
		tmpdir_maildir(in_dir(rel));
		snprintf(rel, sizeof(rel), "%s-src/new/1700000000.M1P1.h",
		    name);
		tmpdir_write(in_dir(rel), msg_a);
	}
	snprintf(rel, sizeof(rel), "%s-dst", name);
	tmpdir_maildir(in_dir(rel));
	snprintf(buf, len, "account %s {\n type = maildir\n path = "
	    "\"%s/%s-src\"\n deliver = \"maildir:%s/%s-dst\"\n keep = false\n"
	    "}\n", name, dir, name, dir, name);
}

/* Accounts "a" (whose source is missing if a_fails), "b" and "c". */
static struct config *
conf_make(int parallel, int a_fails)
{
	struct config	*conf;
	char		 text[4096], acct[3][1024], err[1024];

	account_text(acct[0], sizeof(acct[0]), "a", !a_fails);
	account_text(acct[1], sizeof(acct[1]), "b", 1);
	account_text(acct[2], sizeof(acct[2]), "c", 1);
	snprintf(text, sizeof(text), "state = \"%s/state.db\"\n"
	    "parallel = %d\n%s%s%s", dir, parallel, acct[0], acct[1],
	    acct[2]);
	tmpdir_write(in_dir("t.conf"), text);
	if ((conf = config_load(in_dir("t.conf"), err, sizeof(err))) == NULL)
		fail_msg("config: %s", err);
	return conf;
}

static int
once(const struct config *conf)
{
	struct rule_set	*rules[3] = { NULL, NULL, NULL };
	struct run_opts	 opts;

	memset(&opts, 0, sizeof(opts));
	opts.once = 1;
	opts.config_path = in_dir("t.conf");
	return sched_run_once(conf, rules, &opts);
}

static void
test_once_all_ok(void **state)
{
	struct config	*conf;

	(void)state;
	conf = conf_make(2, 0);
	assert_int_equal(once(conf), 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("a-dst")), 1);
	assert_int_equal(tmpdir_maildir_count(in_dir("b-dst")), 1);
	assert_int_equal(tmpdir_maildir_count(in_dir("c-dst")), 1);
	assert_int_equal(tmpdir_maildir_count(in_dir("a-src")), 0);	/* keep = no */
	/* again: nothing new, still no failure */
	assert_int_equal(once(conf), 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("a-dst")), 1);
	config_free(conf);
}

/* With one worker, the accounts run in order: the first fails, the
 * others still run. */
static void
test_once_one_fails(void **state)
{
	struct config	*conf;

	(void)state;
	conf = conf_make(1, 1);
	assert_int_equal(once(conf), 1);
	assert_int_equal(tmpdir_maildir_count(in_dir("a-dst")), 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("b-dst")), 1);
	assert_int_equal(tmpdir_maildir_count(in_dir("c-dst")), 1);
	config_free(conf);
}

static void
test_once_one_fails_parallel(void **state)
{
	struct config	*conf;

	(void)state;
	conf = conf_make(3, 1);
	assert_int_equal(once(conf), 1);
	assert_int_equal(tmpdir_maildir_count(in_dir("b-dst")), 1);
	assert_int_equal(tmpdir_maildir_count(in_dir("c-dst")), 1);
	config_free(conf);
}

/* A rule action that fails (a pipe exiting 1) fails the round and
 * leaves the message at its source, keep = no or not. */
static void
test_round_action_fails(void **state)
{
	static const char yaml[] = "rules:\n  - name: p\n    do: { pipe: "
	    "['/bin/false'] }\n";
	struct config	*conf;
	struct rule_set	*rules;
	char		 err[1024];

	(void)state;
	conf = conf_make(1, 0);
	rules = rule_set_load_buffer("t.yaml", yaml, strlen(yaml),
	    source_rule_flags(&conf->accounts[1]), err, sizeof(err));
	if (rules == NULL)
		fail_msg("rules: %s", err);
	assert_int_equal(sched_account_round(conf, &conf->accounts[1], rules,
	    0, 0), -1);
	assert_int_equal(tmpdir_maildir_count(in_dir("b-src")), 1);
	assert_int_equal(tmpdir_maildir_count(in_dir("b-dst")), 0);
	rule_set_free(rules);
	assert_int_equal(sched_account_round(conf, &conf->accounts[1], NULL,
	    0, 0), 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("b-src")), 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("b-dst")), 1);
	config_free(conf);
}

/* Dry run: nothing delivered, nothing removed, no failure. */
static void
test_once_dry_run(void **state)
{
	struct rule_set	*rules[3] = { NULL, NULL, NULL };
	struct run_opts	 opts;
	struct config	*conf;

	(void)state;
	conf = conf_make(2, 0);
	memset(&opts, 0, sizeof(opts));
	opts.once = 1;
	opts.dry_run = 1;
	assert_int_equal(sched_run_once(conf, rules, &opts), 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("a-dst")), 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("a-src")), 1);
	config_free(conf);
}

/* SIGTERM before the run: no account starts, and that is no failure.
 * In a child: the stop flag stays set for the process. */
static void
test_once_stopped(void **state)
{
	struct config	*conf;
	pid_t		 pid;
	int		 status;

	(void)state;
	conf = conf_make(2, 0);
	if ((pid = fork()) == 0) {
		stop_request_exit();
		_exit(once(conf) == 0 && tmpdir_maildir_count(in_dir("a-dst")) == 0 &&
		    tmpdir_maildir_count(in_dir("b-dst")) == 0 ? 0 : 1);
	}
	assert_int_not_equal(pid, -1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	config_free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_once_all_ok, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_once_one_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_once_one_fails_parallel,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_action_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_once_dry_run, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_once_stopped, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

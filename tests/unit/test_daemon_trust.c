/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for daemon/conf/trust.c and its users: a rule file (or the
 * configuration) that someone else could change is refused, wherever
 * the weak spot is: the file, a directory on the way, a directory
 * holding a symbolic link on the way.  Ownership cases need root: they
 * are skipped otherwise.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
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

#include "daemon/conf/conf.h"
#include "daemon/util/log.h"
#include "daemon/conf/rulesets.h"
#include "daemon/conf/trust.h"
#include "daemon/source/source.h"

#define NOBODY_UID	65534

static const char rules_yaml[] =
    "rules:\n  - name: r\n    do: { pipe: ['/bin/true'] }\n";

static char	 dir[64];

static int
setup(void **state)
{
	(void)state;
	log_init(0, LOG_LEVEL_ERROR);
	snprintf(dir, sizeof(dir), "/tmp/mstrust.XXXXXX");
	if (mkdtemp(dir) == NULL || chmod(dir, 0755) == -1)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char	 cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* dir/rel, in a buffer of its own until the test has made 16 more. */
static const char *
in_dir(const char *rel)
{
	static char	 bufs[16][PATH_MAX];
	static int	 next;
	char		*p = bufs[next++ % 16];

	snprintf(p, PATH_MAX, "%s/%s", dir, rel);
	return p;
}

static void
file_write(const char *path, const char *text, mode_t mode)
{
	int	 fd;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_not_equal(fd, -1);
	assert_int_equal(write(fd, text, strlen(text)),
	    (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static const char *
file_put(const char *rel, const char *text, mode_t mode)
{
	const char	*path = in_dir(rel);

	file_write(path, text, mode);
	return path;
}

static const char *
dir_put(const char *rel, mode_t mode)
{
	const char	*path = in_dir(rel);

	if (mkdir(path, 0700) == -1)
		assert_int_equal(errno, EEXIST);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* Load a configuration whose one account uses the rule file at rules
 * (and extra global options), then its rule sets: NULL or the error. */
static int
rules_load(const char *rules, const char *extra, char *err, size_t errlen)
{
	struct config	 *conf;
	struct rule_set	**sets;
	char		  text[PATH_MAX + 256], path[PATH_MAX];

	snprintf(text, sizeof(text), "%saccount a {\n type = stdin\n"
	    " deliver = \"maildir:/m\"\n rules = \"%s\"\n}\n", extra, rules);
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	file_write(path, text, 0600);
	if ((conf = config_load(path, err, errlen)) == NULL)
		fail_msg("config: %s", err);
	sets = rulesets_load(conf, source_rule_flags, err, errlen);
	rulesets_free(sets, conf->naccounts);
	config_free(conf);
	return sets != NULL ? 0 : -1;
}

static void
rules_ok(const char *rules, const char *extra)
{
	char	 err[1024];

	if (rules_load(rules, extra, err, sizeof(err)) == -1)
		fail_msg("refused: %s", err);
}

/* Refused with an error that starts with the rule file and says want. */
static void
rules_refused(const char *rules, const char *extra, const char *want)
{
	char	 err[1024];

	if (rules_load(rules, extra, err, sizeof(err)) == 0)
		fail_msg("%s loaded, expected '%s'", rules, want);
	if (strncmp(err, rules, strlen(rules)) != 0 ||
	    strstr(err, want) == NULL)
		fail_msg("error '%s' does not say '%s: ... %s'", err, rules,
		    want);
}

static void
test_rules_file_writable(void **state)
{
	const char	*r;
	char		 want[PATH_MAX + 64];

	(void)state;
	r = file_put("r.yaml", rules_yaml, 0644);
	rules_ok(r, "");
	snprintf(want, sizeof(want), "writable by group or others, but "
	    "mailsift runs as %s; chmod go-w %s",
	    geteuid() == 0 ? "root" : "", r);
	if (geteuid() != 0)
		snprintf(want, sizeof(want), "chmod go-w %s", r);
	assert_int_equal(chmod(r, 0666), 0);
	rules_refused(r, "", want);
	assert_int_equal(chmod(r, 0664), 0);
	rules_refused(r, "", want);
	assert_int_equal(chmod(r, 0646), 0);
	rules_refused(r, "", want);
}

static void
test_rules_file_owner(void **state)
{
	const char	*r;
	char		 want[PATH_MAX + 64];

	(void)state;
	if (geteuid() != 0)
		skip();
	r = file_put("r.yaml", rules_yaml, 0644);
	assert_int_equal(chown(r, NOBODY_UID, NOBODY_UID), 0);
	snprintf(want, sizeof(want), "owned by uid %u, but mailsift runs as "
	    "root and would run its commands as root; chown root %s",
	    NOBODY_UID, r);
	rules_refused(r, "", want);
	/* Started as root with user = nobody, the rules run as nobody:
	 * a file of theirs is theirs to write. */
	rules_ok(r, "user = nobody\n");
	rules_refused(r, "user = root\n", want);
	assert_int_equal(chown(r, 0, 0), 0);
	rules_ok(r, "");
}

static void
test_rules_directory(void **state)
{
	const char	*d, *r;
	char		 want[PATH_MAX + 64];

	(void)state;
	d = dir_put("d", 0777);
	r = file_put("d/r.yaml", rules_yaml, 0644);
	snprintf(want, sizeof(want), "its directory %s is writable by group "
	    "or others, who could replace the file; chmod go-w %s", d, d);
	rules_refused(r, "", want);
	/* The sticky bit keeps others to their own files, as in /tmp. */
	assert_int_equal(chmod(d, 01777), 0);
	rules_ok(r, "");
	/* A directory higher up counts too. */
	assert_int_equal(chmod(d, 0755), 0);
	dir_put("d/e", 0755);
	r = file_put("d/e/r.yaml", rules_yaml, 0644);
	rules_ok(r, "");
	assert_int_equal(chmod(d, 0775), 0);
	rules_refused(r, "", want);
	assert_int_equal(chmod(d, 0755), 0);
	if (geteuid() != 0)
		return;
	assert_int_equal(chown(d, NOBODY_UID, NOBODY_UID), 0);
	snprintf(want, sizeof(want), "its directory %s is owned by uid %u, "
	    "who could replace the file, but mailsift runs as root; "
	    "chown root %s", d, NOBODY_UID, d);
	rules_refused(r, "", want);
	assert_int_equal(chown(d, 0, 0), 0);
}

static void
test_rules_symlink(void **state)
{
	const char	*good, *bad, *r, *link;
	char		 want[PATH_MAX + 64];

	(void)state;
	good = dir_put("good", 0755);
	bad = dir_put("bad", 0777);
	r = file_put("good/r.yaml", rules_yaml, 0644);
	/* A link in a directory others may write to: they can re-point it. */
	link = in_dir("bad/link.yaml");
	assert_int_equal(symlink(r, link), 0);
	snprintf(want, sizeof(want), "its directory %s is writable", bad);
	rules_refused(link, "", want);
	/* A link to a directory, relative, with dot-dot: followed and
	 * checked all the way. */
	link = in_dir("good/up");
	assert_int_equal(symlink("../bad", link), 0);
	(void)file_put("bad/r.yaml", rules_yaml, 0644);
	rules_refused(in_dir("good/up/r.yaml"), "", want);
	assert_int_equal(chmod(bad, 0755), 0);
	rules_ok(in_dir("good/up/r.yaml"), "");
	rules_ok(in_dir("bad/link.yaml"), "");
	rules_ok(in_dir("good/../good/./r.yaml"), "");
	(void)good;
}

static void
test_rules_errors(void **state)
{
	const char	*loop;
	char		 err[1024];

	(void)state;
	rules_refused(in_dir("none.yaml"), "", "cannot open: No such file");
	rules_refused(in_dir("nodir/r.yaml"), "", "cannot open: No such file");
	rules_refused(dir, "", "is a directory, not a file");
	loop = in_dir("loop");
	assert_int_equal(symlink("loop", loop), 0);
	rules_refused(loop, "", "cannot open: Too many levels of symbolic");
	/* A relative path is walked from the working directory. */
	(void)file_put("rel.yaml", rules_yaml, 0644);
	assert_int_equal(chdir(dir), 0);
	assert_int_not_equal(trust_file_open("rel.yaml", 0, TRUST_NOBODY,
	    &(struct stat){ 0 }, err, sizeof(err)), -1);
	assert_int_equal(chdir("/"), 0);
}

/* The configuration goes through the same check. */
static void
test_config_directory(void **state)
{
	const char	*d, *c;
	char		 err[1024], want[PATH_MAX + 64];
	struct config	*conf;

	(void)state;
	d = dir_put("cd", 0757);
	c = file_put("cd/m.conf", "account a {\n type = stdin\n"
	    " deliver = \"maildir:/m\"\n}\n", 0644);
	conf = config_load(c, err, sizeof(err));
	assert_null(conf);
	snprintf(want, sizeof(want), "%s: its directory %s is writable by "
	    "group or others", c, d);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, want);
	assert_int_equal(chmod(d, 0755), 0);
	conf = config_load(c, err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	config_free(conf);
}

/* In a child that became nobody: exit 0 if want (NULL: success) is what
 * trust_file_open() says of path, else 1. */
static int
as_nobody(const char *path, const char *want)
{
	struct stat	 st;
	char		 err[1024];
	pid_t		 pid;
	int		 status, fd;

	if ((pid = fork()) == 0) {
		if (setgid(NOBODY_UID) == -1 || setuid(NOBODY_UID) == -1)
			_exit(2);
		fd = trust_file_open(path, 0, TRUST_NOBODY, &st, err,
		    sizeof(err));
		if (want == NULL)
			_exit(fd != -1 ? 0 : 1);
		_exit(fd == -1 && strstr(err, want) != NULL ? 0 : 1);
	}
	assert_int_not_equal(pid, -1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Not root: root's files and ours, not anyone else's. */
static void
test_not_root(void **state)
{
	const char	*r;

	(void)state;
	if (geteuid() != 0)
		skip();
	r = file_put("r.yaml", rules_yaml, 0644);
	assert_int_equal(as_nobody(r, NULL), 0);
	assert_int_equal(chown(r, NOBODY_UID, NOBODY_UID), 0);
	assert_int_equal(as_nobody(r, NULL), 0);
	assert_int_equal(chmod(r, 0664), 0);
	assert_int_equal(as_nobody(r, "writable by group or others, but "
	    "mailsift runs as nobody; chmod go-w"), 0);
	assert_int_equal(chmod(r, 0644), 0);
	assert_int_equal(chown(r, 1, 1), 0);
	assert_int_equal(as_nobody(r, "owned by uid 1, but mailsift runs as "
	    "nobody and would run its commands as nobody; chown nobody"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_file_writable),
		cmocka_unit_test(test_rules_file_owner),
		cmocka_unit_test(test_rules_directory),
		cmocka_unit_test(test_rules_symlink),
		cmocka_unit_test(test_rules_errors),
		cmocka_unit_test(test_config_directory),
		cmocka_unit_test(test_not_root),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

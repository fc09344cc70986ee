/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_pidfile.c - `mailsift run --pidfile` (daemon/cmd/cmd-run.c):
 * the pidfile is written before privileges are dropped, so a symlink or
 * a hard link planted at its path must not make mailsift write through
 * it; a pidfile another mailsift holds is refused; a stale one is taken
 * over.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/cmd/cmd.h"

static char	 dir[64];
static char	 conf[PATH_MAX];

static const char victim_text[] = "precious data\n";

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE	*f;

	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
read_text(const char *path, char *out, size_t outlen)
{
	ssize_t	 n;
	int	 fd;

	assert_int_not_equal(fd = open(path, O_RDONLY), -1);
	assert_true((n = read(fd, out, outlen - 1)) >= 0);
	out[n] = '\0';
	close(fd);
}

static int
setup(void **state)
{
	char	 text[4 * PATH_MAX], mbox[PATH_MAX];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/msx-pidfile.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(mbox, sizeof(mbox), "%s/in.mbox", dir);
	write_file(mbox, "", 0600);
	snprintf(conf, sizeof(conf), "%s/m.conf", dir);
	snprintf(text, sizeof(text), "state = \"%s/state.db\"\n"
	    "account \"m\" {\n\ttype = mbox\n\tkeep = true\n"
	    "\tpath = \"%s\"\n\tdeliver = \"maildir:%s/out\"\n}\n", dir, mbox,
	    dir);
	write_file(conf, text, 0600);
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

static int
run_with_pidfile(const char *pidfile)
{
	char	*argv[] = { (char *)"run", (char *)"-c", conf,
		    (char *)"--once", (char *)"--pidfile", (char *)pidfile,
		    NULL };

	optind = 0;	/* glibc: start getopt afresh */
	return cmd_run(6, argv);
}

/* Run as root, the old code truncated the link's target and wrote the
 * pid into it: any file on the system. */
static void
test_symlink(void **state)
{
	char	 victim[PATH_MAX], pidfile[PATH_MAX], text[64];

	(void)state;
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(pidfile, sizeof(pidfile), "%s/link.pid", dir);
	write_file(victim, victim_text, 0644);
	assert_int_equal(symlink(victim, pidfile), 0);
	assert_int_not_equal(run_with_pidfile(pidfile), 0);
	read_text(victim, text, sizeof(text));
	assert_string_equal(text, victim_text);
}

static void
test_hard_link(void **state)
{
	char	 victim[PATH_MAX], pidfile[PATH_MAX], text[64];

	(void)state;
	snprintf(victim, sizeof(victim), "%s/victim2", dir);
	snprintf(pidfile, sizeof(pidfile), "%s/hard.pid", dir);
	write_file(victim, victim_text, 0644);
	assert_int_equal(link(victim, pidfile), 0);
	assert_int_not_equal(run_with_pidfile(pidfile), 0);
	read_text(victim, text, sizeof(text));
	assert_string_equal(text, victim_text);
}

static void
test_not_regular(void **state)
{
	char	 pidfile[PATH_MAX];

	(void)state;
	snprintf(pidfile, sizeof(pidfile), "%s/dir.pid", dir);
	assert_int_equal(mkdir(pidfile, 0700), 0);
	assert_int_not_equal(run_with_pidfile(pidfile), 0);
}

/* Another mailsift holds the lock: refused, and the file left alone. */
static void
test_locked(void **state)
{
	char	 pidfile[PATH_MAX], text[64];
	int	 fd;

	(void)state;
	snprintf(pidfile, sizeof(pidfile), "%s/locked.pid", dir);
	write_file(pidfile, "12345\n", 0644);
	assert_int_not_equal(fd = open(pidfile, O_RDONLY), -1);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	assert_int_not_equal(run_with_pidfile(pidfile), 0);
	read_text(pidfile, text, sizeof(text));
	assert_string_equal(text, "12345\n");
	close(fd);
}

/* Left by a mailsift that is gone (no lock): taken over. */
static void
test_stale(void **state)
{
	char	 pidfile[PATH_MAX], text[64], want[64];

	(void)state;
	snprintf(pidfile, sizeof(pidfile), "%s/stale.pid", dir);
	write_file(pidfile, "999999999\n", 0644);
	assert_int_equal(run_with_pidfile(pidfile), 0);
	read_text(pidfile, text, sizeof(text));
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(text, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symlink),
		cmocka_unit_test(test_hard_link),
		cmocka_unit_test(test_not_regular),
		cmocka_unit_test(test_locked),
		cmocka_unit_test(test_stale),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for daemon/conf/secret.c: conf_secret() with a password and with
 * a password-command (first line, failures, timeout, stdin and stderr,
 * a program others could change).
 */
#include <sys/stat.h>
#include <sys/types.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/conf/conf.h"

static char	 dir[64];
static char	 pidfile[PATH_MAX];
static char	 errfile[PATH_MAX];

static int
group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mailsift-secret-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(pidfile, sizeof(pidfile), "%s/sleep.pid", dir);
	snprintf(errfile, sizeof(errfile), "%s/stderr.txt", dir);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if ((unlink(pidfile) == -1 && errno != ENOENT) ||
	    (unlink(errfile) == -1 && errno != ENOENT))
		return -1;
	return rmdir(dir);
}

static char *
secret_of(const char *command, char *err, size_t errlen)
{
	static char	 label[] = "account 'test'", buf[PATH_MAX + 128];
	struct endpoint	 ep;

	memset(&ep, 0, sizeof(ep));
	snprintf(buf, sizeof(buf), "%s", command);
	ep.label = label;
	ep.password_command = buf;
	err[0] = '\0';
	return conf_secret(&ep, err, errlen);
}

static void
test_secret_password(void **state)
{
	struct endpoint	 ep;
	char		 pw[] = "plain", err[256];
	char		*s;

	(void)state;
	memset(&ep, 0, sizeof(ep));
	ep.password = pw;
	s = conf_secret(&ep, err, sizeof(err));
	assert_non_null(s);
	assert_string_equal(s, "plain");
	assert_ptr_not_equal(s, pw);
	conf_secret_free(s);
	ep.password = NULL;
	assert_null(conf_secret(&ep, err, sizeof(err)));
	assert_non_null(strstr(err, "neither password nor password-command"));
}

static void
test_secret_command_first_line(void **state)
{
	char	 err[256];
	char	*s;

	(void)state;
	s = secret_of("printf 's3cret\\nsecond line\\n'", err, sizeof(err));
	if (s == NULL)
		fail_msg("%s", err);
	assert_string_equal(s, "s3cret");
	conf_secret_free(s);
	s = secret_of("printf 'tok en\\r\\nx'", err, sizeof(err));
	assert_non_null(s);
	assert_string_equal(s, "tok en");
	conf_secret_free(s);
	s = secret_of("printf no-newline", err, sizeof(err));
	assert_non_null(s);
	assert_string_equal(s, "no-newline");
	conf_secret_free(s);
	conf_secret_free(NULL);
}

static void
test_secret_command_fails(void **state)
{
	char	 err[256];

	(void)state;
	assert_null(secret_of("echo topsecret; exit 3", err, sizeof(err)));
	assert_string_equal(err,
	    "account 'test': password-command exited with status 3");
	assert_null(secret_of("printf '\\nlater'", err, sizeof(err)));
	assert_string_equal(err,
	    "account 'test': password-command printed an empty first line");
	assert_null(secret_of("true", err, sizeof(err)));
	assert_non_null(strstr(err, "empty first line"));
	assert_null(secret_of("echo topsecret; kill -9 $$", err, sizeof(err)));
	assert_string_equal(err,
	    "account 'test': password-command was killed by signal 9");
	assert_null(secret_of("printf 'a\\0b\\n'", err, sizeof(err)));
	assert_non_null(strstr(err, "NUL"));
	assert_null(secret_of("head -c 70000 /dev/zero | tr '\\0' a", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "printed more than 65536 bytes"));
	assert_null(strstr(err, "aaaa"));
	assert_null(secret_of("/nonexistent/command 2>/dev/null", err,
	    sizeof(err)));
	assert_string_equal(err, "account 'test': password-command: "
	    "/nonexistent/command: cannot open: No such file or directory");
	assert_null(secret_of("nonexistent-command 2>/dev/null", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "exited with status 127"));
}

/* dir/name, a script that prints "pw" and leaves a mark that it ran. */
static const char *
script_put(const char *name, mode_t mode)
{
	static char	 path[PATH_MAX];
	FILE		*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "#!/bin/sh\ntouch '%s/ran'\necho pw\n", dir);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static int
script_ran(void)
{
	char	 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/ran", dir);
	return unlink(path) == 0;
}

/* A program others could change would run their code as us. */
static void
test_secret_program_trust(void **state)
{
	const char	*script;
	char		 err[PATH_MAX + 256], want[PATH_MAX + 256], cmd[PATH_MAX];
	char		 sub[PATH_MAX];
	char		*s;

	(void)state;
	script = script_put("pw.sh", 0755);
	s = secret_of(script, err, sizeof(err));
	if (s == NULL)
		fail_msg("%s", err);
	assert_string_equal(s, "pw");
	conf_secret_free(s);
	assert_true(script_ran());

	assert_int_equal(chmod(script, 0777), 0);
	snprintf(want, sizeof(want), "account 'test': password-command: %s: "
	    "writable by group or others, but mailsift runs as ", script);
	assert_null(secret_of(script, err, sizeof(err)));
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("'%s' does not start with '%s'", err, want);
	assert_false(script_ran());
	/* With arguments and leading blanks: the same program. */
	snprintf(cmd, sizeof(cmd), "  %s --flag; echo x", script);
	assert_null(secret_of(cmd, err, sizeof(err)));
	assert_non_null(strstr(err, "writable by group or others"));
	assert_false(script_ran());
	assert_int_equal(chmod(script, 0755), 0);

	/* A directory others may write to: they could swap the program. */
	snprintf(sub, sizeof(sub), "%s/bin", dir);
	assert_int_equal(mkdir(sub, 0777), 0);
	assert_int_equal(chmod(sub, 0777), 0);
	script = script_put("bin/pw.sh", 0755);
	assert_null(secret_of(script, err, sizeof(err)));
	snprintf(want, sizeof(want), "its directory %s is writable by group "
	    "or others", sub);
	assert_non_null(strstr(err, want));
	assert_false(script_ran());
	assert_int_equal(chmod(sub, 0755), 0);
	s = secret_of(script, err, sizeof(err));
	assert_non_null(s);
	conf_secret_free(s);
	assert_true(script_ran());
	assert_int_equal(unlink(script), 0);
	assert_int_equal(rmdir(sub), 0);
	script = script_put("pw.sh", 0755);
	assert_int_equal(unlink(script), 0);
}

static long long
elapsed_ms(const struct timespec *t0)
{
	struct timespec	 t1;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &t1), 0);
	return (long long)(t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A process that is gone, or a zombie waiting for its reaper. */
static int
process_dead(pid_t pid)
{
	char	 path[64], buf[256], *p;
	FILE	*f;
	size_t	 n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static void
test_secret_timeout(void **state)
{
	struct timespec	 t0, tick = { 0, 10 * 1000 * 1000 };
	char		 err[256], cmd[PATH_MAX + 64], pidbuf[32];
	FILE		*f;
	pid_t		 pid;
	int		 i;

	(void)state;
	conf_secret_set_timeout(300);
	snprintf(cmd, sizeof(cmd), "sleep 30 & echo $! > %s; wait", pidfile);
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
	assert_null(secret_of(cmd, err, sizeof(err)));
	assert_true(elapsed_ms(&t0) < 2000);
	assert_string_equal(err, "account 'test': password-command timed out "
	    "after 300 ms and was killed");
	/* The whole process group died, not only the shell. */
	assert_non_null(f = fopen(pidfile, "r"));
	assert_non_null(fgets(pidbuf, sizeof(pidbuf), f));
	fclose(f);
	pid = (pid_t)atol(pidbuf);
	assert_true(pid > 1);
	for (i = 0; i < 100 && !process_dead(pid); i++)
		assert_int_equal(nanosleep(&tick, NULL), 0);
	assert_true(process_dead(pid));

	/* Closing stdout does not escape the deadline either. */
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
	assert_null(secret_of("echo early; exec >&-; sleep 30", err,
	    sizeof(err)));
	assert_true(elapsed_ms(&t0) < 2000);
	assert_non_null(strstr(err, "timed out"));
	assert_null(strstr(err, "early"));
	conf_secret_set_timeout(0);
}

/* stdin is /dev/null, not ours; stderr is ours, not captured. */
static void
test_secret_stdio(void **state)
{
	char	 err[256], buf[64];
	char	*s;
	int	 in[2], saved_in, saved_err, fd;
	ssize_t	 n;

	(void)state;
	assert_int_equal(pipe(in), 0);
	assert_int_equal(write(in[1], "leak\n", 5), 5);
	assert_int_equal(close(in[1]), 0);
	saved_in = dup(0);
	saved_err = dup(2);
	fd = open(errfile, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(saved_in != -1 && saved_err != -1 && fd != -1);
	assert_int_not_equal(dup2(in[0], 0), -1);
	assert_int_not_equal(dup2(fd, 2), -1);
	s = secret_of("echo oops >&2; if read x; then echo \"read $x\"; "
	    "else echo eof; fi", err, sizeof(err));
	assert_int_not_equal(dup2(saved_in, 0), -1);
	assert_int_not_equal(dup2(saved_err, 2), -1);
	assert_int_equal(close(saved_in), 0);
	assert_int_equal(close(saved_err), 0);
	assert_int_equal(close(in[0]), 0);
	assert_non_null(s);
	assert_string_equal(s, "eof");
	conf_secret_free(s);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "oops\n");
	assert_int_equal(close(fd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_password),
		cmocka_unit_test(test_secret_command_first_line),
		cmocka_unit_test(test_secret_command_fails),
		cmocka_unit_test(test_secret_program_trust),
		cmocka_unit_test(test_secret_timeout),
		cmocka_unit_test(test_secret_stdio),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

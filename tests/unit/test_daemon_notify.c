/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_notify.c - daemon/sched/notify.c: the STATUS= line it
 * builds from the rounds (counts, failing names, one bounded line) and
 * what reaches a notify socket (READY=1, STATUS=, WATCHDOG=1) through
 * libsystemd, received here on a socket of our own.
 */
#include <sys/socket.h>
#include <sys/un.h>
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

#include "daemon/sched/notify.h"

static char	 line[NOTIFY_STATUS_MAX];

static const char *
status(void)
{
	notify_status_line(line, sizeof(line));
	return line;
}

/* Outside systemd nothing is sent: only the counts change. */
static void
test_counts(void **state)
{
	(void)state;
	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);
	notify_ready(3);
	assert_string_equal(status(), "accounts: 0 ok, 0 failing, 3 not run "
	    "yet; last round: none; delivered since start: 0");
	notify_round("home", 1, 5, 4);
	notify_round("work", 0, 0, 0);
	assert_string_equal(status(), "accounts: 1 ok, 1 failing (work), 1 "
	    "not run yet; last round: work failed, fetched 0, delivered 0; "
	    "delivered since start: 4");
	/* a second round of an account replaces its outcome */
	notify_round("work", 1, 2, 2);
	notify_round("list", 0, 1, 0);
	assert_string_equal(status(), "accounts: 2 ok, 1 failing (list), 0 "
	    "not run yet; last round: list failed, fetched 1, delivered 0; "
	    "delivered since start: 6");
	/* a reload forgets the accounts, not what was delivered */
	notify_ready(1);
	assert_string_equal(status(), "accounts: 0 ok, 0 failing, 1 not run "
	    "yet; last round: list failed, fetched 1, delivered 0; "
	    "delivered since start: 6");
}

/* One line whatever the names: controls replaced, length bounded. */
static void
test_one_bounded_line(void **state)
{
	char	 name[40];
	int	 i;

	(void)state;
	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);
	notify_ready(2);
	notify_round("a\nb\033[2J", 0, 0, 0);
	assert_non_null(strstr(status(), "(a?b?[2J)"));
	assert_null(strchr(line, '\n'));
	notify_ready(100);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "account-with-a-long-name-%02d", i);
		notify_round(name, 0, 0, 0);
	}
	assert_int_equal(strlen(status()), sizeof(line) - 1);
	assert_non_null(strstr(line, "accounts: 0 ok, 100 failing ("));
}

/* A datagram socket of ours as NOTIFY_SOCKET; the next datagram. */
static int
sock_open(char *path, size_t len)
{
	struct sockaddr_un	 sun;
	int			 fd;

	snprintf(path, len, "/tmp/msx-notify-%ld.sock", (long)getpid());
	(void)unlink(path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	assert_true((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
	return fd;
}

static const char *
sock_next(int fd)
{
	static char	 buf[1024];
	ssize_t		 n;

	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static void
test_socket(void **state)
{
	struct timespec	 ms = { 0, 1000 * 1000 };
	const char	*msg;
	char		 path[108], pid[32];
	int		 fd;

	(void)state;
	fd = sock_open(path, sizeof(path));
	/* a watchdog of 2 us for us: any later call is past half of it */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	assert_int_equal(setenv("WATCHDOG_USEC", "2", 1), 0);
	assert_int_equal(setenv("WATCHDOG_PID", pid, 1), 0);
	notify_ready(1);
	assert_string_equal(sock_next(fd),
	    "READY=1\nSTATUS=1 account, first round starting");
	notify_round("home", 1, 3, 2);
	msg = sock_next(fd);
	assert_true(strncmp(msg, "STATUS=", 7) == 0);
	assert_string_equal(msg + 7, status());
	assert_non_null(strstr(msg, "STATUS=accounts: 1 ok, 0 failing, 0 not "
	    "run yet; last round: home ok, fetched 3, delivered 2; "));
	nanosleep(&ms, NULL);
	notify_watchdog();
	assert_string_equal(sock_next(fd), "WATCHDOG=1");
	notify_reloading();
	assert_non_null(strstr(sock_next(fd), "RELOADING=1\n"));
	notify_reload_failed();
	assert_non_null(strstr(sock_next(fd), "READY=1\n"));
	notify_stopping();
	assert_non_null(strstr(sock_next(fd), "STOPPING=1\n"));
	/* the watchdog of another process is not ours */
	assert_int_equal(setenv("WATCHDOG_PID", "1", 1), 0);
	notify_ready(1);
	(void)sock_next(fd);
	nanosleep(&ms, NULL);
	notify_watchdog();
	assert_int_equal(recv(fd, pid, sizeof(pid), MSG_DONTWAIT), -1);
	assert_int_equal(close(fd), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_one_bounded_line),
		cmocka_unit_test(test_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

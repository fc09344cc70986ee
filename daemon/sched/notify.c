/* SPDX-License-Identifier: ISC */
/* notify.c - READY, STATUS, WATCHDOG for systemd; see notify.h. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "daemon/sched/notify.h"

#define NAME_MAX_SHOWN	64

/* The last outcome of each account that has had a round. */
struct notify_acct {
	char	 name[NAME_MAX_SHOWN];
	int	 ok;
};

static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static struct notify_acct *accts;
static size_t		 naccts, cap, expected;
static char		 last[NOTIFY_STATUS_MAX];
static unsigned long long delivered_total;

/* The watchdog: only the scheduler's loop touches these. */
static uint64_t		 wd_usec;
static struct timespec	 wd_last;

/* A name from the configuration, made fit for one status line. */
static void
copy_name(char *dst, size_t len, const char *src)
{
	size_t	 i;

	for (i = 0; i + 1 < len && src[i] != '\0'; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ?
		    '?' : src[i];
	dst[i] = '\0';
}

static struct notify_acct *
acct_find(const char *name)
{
	struct notify_acct	*v;
	char			 shown[NAME_MAX_SHOWN];
	size_t			 i;

	copy_name(shown, sizeof(shown), name);
	for (i = 0; i < naccts; i++)
		if (strcmp(accts[i].name, shown) == 0)
			return &accts[i];
	if (naccts == cap) {
		if ((v = reallocarray(accts, cap + 8, sizeof(*v))) == NULL)
			return NULL;	/* not counted: the status only */
		accts = v;
		cap += 8;
	}
	memcpy(accts[naccts].name, shown, sizeof(shown));
	return &accts[naccts++];
}

/* With the lock held. */
static void
status_line(char *buf, size_t len)
{
	char	 failing[NOTIFY_STATUS_MAX] = "";
	size_t	 i, ok = 0, bad = 0, off = 0;
	int	 n;

	for (i = 0; i < naccts; i++) {
		if (accts[i].ok) {
			ok++;
			continue;
		}
		bad++;
		n = snprintf(failing + off, sizeof(failing) - off, "%s%s",
		    off == 0 ? "" : ", ", accts[i].name);
		if (n > 0)
			off += (size_t)n < sizeof(failing) - off ? (size_t)n :
			    sizeof(failing) - off - 1;
	}
	snprintf(buf, len, "accounts: %zu ok, %zu failing%s%s%s, %zu not run "
	    "yet; last round: %s; delivered since start: %llu", ok, bad,
	    bad ? " (" : "", failing, bad ? ")" : "",
	    expected > naccts ? expected - naccts : 0,
	    last[0] != '\0' ? last : "none", delivered_total);
}

void
notify_status_line(char *buf, size_t len)
{
	pthread_mutex_lock(&lock);
	status_line(buf, len);
	pthread_mutex_unlock(&lock);
}

void
notify_ready(size_t naccounts)
{
	uint64_t	 usec = 0;

	pthread_mutex_lock(&lock);
	naccts = 0;
	expected = naccounts;
	pthread_mutex_unlock(&lock);
	/* WATCHDOG_USEC is for us only if WATCHDOG_PID is our pid. */
	wd_usec = sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
	clock_gettime(CLOCK_MONOTONIC, &wd_last);
	(void)sd_notifyf(0, "READY=1\nSTATUS=%zu account%s, first round "
	    "starting", naccounts, naccounts == 1 ? "" : "s");
}

void
notify_round(const char *account, int ok, size_t fetched,
    size_t delivered)
{
	struct notify_acct	*a;
	char			 line[NOTIFY_STATUS_MAX];
	char			 name[NAME_MAX_SHOWN];

	copy_name(name, sizeof(name), account);
	pthread_mutex_lock(&lock);
	if ((a = acct_find(account)) != NULL)
		a->ok = ok;
	delivered_total += delivered;
	snprintf(last, sizeof(last), "%s %s, fetched %zu, delivered %zu",
	    name, ok ? "ok" : "failed", fetched, delivered);
	status_line(line, sizeof(line));
	pthread_mutex_unlock(&lock);
	(void)sd_notifyf(0, "STATUS=%s", line);
}

void
notify_watchdog(void)
{
	struct timespec	 now;
	int64_t		 since;

	if (wd_usec == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	since = ((int64_t)now.tv_sec - wd_last.tv_sec) * 1000000 +
	    ((int64_t)now.tv_nsec - wd_last.tv_nsec) / 1000;
	/* twice per interval, as sd_watchdog_enabled(3) advises */
	if (since < (int64_t)(wd_usec / 2))
		return;
	wd_last = now;
	(void)sd_notify(0, "WATCHDOG=1");
}

void
notify_reloading(void)
{
	(void)sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
}

void
notify_reload_failed(void)
{
	(void)sd_notify(0, "READY=1\nSTATUS=reload refused (see the log): "
	    "the old configuration runs on");
}

void
notify_stopping(void)
{
	(void)sd_notify(0, "STOPPING=1\nSTATUS=stopping: finishing the "
	    "messages in hand");
}

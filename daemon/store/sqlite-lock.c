/* SPDX-License-Identifier: ISC */
/*
 * sqlite-lock.c - the SQLite backend's OAuth2 grant lock (oauth.h): a
 * byte of the file "STATE.oauth-lock" next to the state, the byte the
 * account's name hashes to, locked with an open file description lock
 * so that threads of one process wait for each other too.
 */
#define _GNU_SOURCE		/* F_OFD_SETLKW */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/store/sqlite-int.h"

/* Bytes of STATE.oauth-lock that grants' names hash to: two grants on
 * one byte only wait for each other. */
#define OAUTH_LOCK_SLOTS	4096

static off_t
grant_slot(const char *account)
{
	uint32_t	 h = 2166136261u;	/* FNV-1a */

	for (; *account != '\0'; account++)
		h = (h ^ (unsigned char)*account) * 16777619u;
	return (off_t)(h % OAUTH_LOCK_SLOTS);
}

int
sqlite_oauth_lock(struct state_impl *st, const char *account, char *err,
    size_t errlen)
{
	char		 path[PATH_MAX];
	struct flock	 fl;
	int		 fd;

	if (st->oauth_lockfd != -1) {
		snprintf(err, errlen, "account '%s': this handle already "
		    "holds an OAuth2 lock", account);
		return -1;
	}
	/* a store no other process can open: nothing to share */
	if (st->path[0] == '\0' || strcmp(st->path, ":memory:") == 0)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s.oauth-lock", st->path) >=
	    sizeof(path)) {
		snprintf(err, errlen, "account '%s': the state file's path is "
		    "too long for its OAuth2 lock", account);
		return -1;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "account '%s': cannot open the OAuth2 "
		    "lock %s: %s", account, path, strerror(errno));
		return -1;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = grant_slot(account);
	fl.l_len = 1;
	/* the holder's token request is bounded (OAUTH_TIMEOUT_MS) */
	while (fcntl(fd, F_OFD_SETLKW, &fl) == -1) {
		if (errno == EINTR)
			continue;
		snprintf(err, errlen, "account '%s': cannot lock %s: %s",
		    account, path, strerror(errno));
		(void)close(fd);
		return -1;
	}
	st->oauth_lockfd = fd;
	return 0;
}

void
sqlite_oauth_unlock(struct state_impl *st)
{
	if (st->oauth_lockfd == -1)
		return;
	(void)close(st->oauth_lockfd);	/* closing drops the lock */
	st->oauth_lockfd = -1;
}

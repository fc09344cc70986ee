/* SPDX-License-Identifier: ISC */
/* safename.c - safe attachment file names; see safename.h. */
#define _GNU_SOURCE		/* renameat2(2), RENAME_NOREPLACE */

#include <sys/random.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/util/safename.h"

static const char *
base_name(const char *s)
{
	const char	*p, *b = s;

	for (p = s; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	return b;
}

/* Cut at most max bytes without splitting a UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

void
safename_make(const char *name, const char *fallback, char *out)
{
	const unsigned char	*s;
	size_t			 n = 0;
	char			 tmp[SAFENAME_MAX * 4 + 1];

	if (name != NULL) {
		for (s = (const unsigned char *)base_name(name);
		    *s != '\0' && n < sizeof(tmp) - 1; s++) {
			if (*s < 0x20 || *s == 0x7f)
				continue;
			if (*s == '.' && n == 0)
				continue;	/* no hidden or ".." names */
			tmp[n++] = (char)*s;
		}
		while (n > 0 && (tmp[n - 1] == ' ' || tmp[n - 1] == '.'))
			n--;
	}
	if (n == 0) {
		snprintf(out, SAFENAME_MAX + 1, "%s", fallback);
		return;
	}
	n = utf8_cut(tmp, n, SAFENAME_MAX);
	memcpy(out, tmp, n);
	out[n] = '\0';
}

/* 48 random bits as 12 hex digits: a name no sender can have made
 * exist in advance, so one more try is all a collision costs. */
static int
random_suffix(char *out)
{
	unsigned char	 r[6];
	ssize_t		 n;
	size_t		 i;

	do
		n = getrandom(r, sizeof(r), 0);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(r)) {
		if (n != -1)
			errno = EAGAIN;
		return -1;
	}
	for (i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	return 0;
}

/* One way of making a name exist: 0, or -1 with errno (EEXIST: taken). */
typedef int (*name_try)(int dirfd, const char *name, const char *arg);

static int
create_at(int dirfd, const char *name, const char *arg)
{
	(void)arg;
	return openat(dirfd, name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

/* A second name for the file arg: never replaces what is there.  Where
 * the file system has no hard links, a rename that does not replace
 * (the temporary is gone then). */
static int
link_at(int dirfd, const char *name, const char *arg)
{
	if (linkat(dirfd, arg, dirfd, name, 0) == 0)
		return 0;
	if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS)
		return -1;
	return renameat2(dirfd, arg, dirfd, name, RENAME_NOREPLACE);
}

/* name, then "stem-<12 random hex digits>.ext" a fixed number of times. */
static int
name_pick(int dirfd, const char *name, char *out, name_try fn,
    const char *arg)
{
	const char	*dot;
	char		 suffix[13];
	size_t		 stem;
	int		 fd, i;

	snprintf(out, SAFENAME_OUT_MAX, "%s", name);
	if ((fd = fn(dirfd, out, arg)) != -1 || errno != EEXIST)
		return fd;
	dot = strrchr(name, '.');
	stem = dot != NULL && dot != name ? (size_t)(dot - name) : strlen(name);
	for (i = 0; i < SAFENAME_TRIES; i++) {
		if (random_suffix(suffix) == -1)
			return -1;
		snprintf(out, SAFENAME_OUT_MAX, "%.*s-%s%s", (int)stem, name,
		    suffix, name + stem);
		if ((fd = fn(dirfd, out, arg)) != -1 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

int
safename_create(int dirfd, const char *name, char *out)
{
	return name_pick(dirfd, name, out, create_at, NULL);
}

int
safename_link(int dirfd, const char *tmp, const char *name, char *out)
{
	return name_pick(dirfd, name, out, link_at, tmp);
}

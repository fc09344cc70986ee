/* SPDX-License-Identifier: ISC */
/*
 * tmpdir.h - what the unit tests that write files share: a private
 * directory under /tmp, made and removed (without a shell); files
 * written whole; Maildirs made and counted.  Header-only (static
 * inline) so a test program stays one source file in the Makefile.
 * Include it after <cmocka.h>: the writers assert.
 */
#ifndef TESTS_UNIT_TMPDIR_H
#define TESTS_UNIT_TMPDIR_H

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* dir := "/tmp/NAME.XXXXXX", made, mode 0700; 0 or -1. */
static inline int
tmpdir_make(char *dir, size_t len, const char *name)
{
	int	 n;

	n = snprintf(dir, len, "/tmp/%s.XXXXXX", name);
	if (n < 0 || (size_t)n >= len || mkdtemp(dir) == NULL)
		return -1;
	return chmod(dir, 0700);
}

/* name under dfd and all below it; symbolic links are removed, never
 * followed. */
static inline void
tmpdir_remove_at(int dfd, const char *name)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	if (unlinkat(dfd, name, 0) == 0 || (errno != EISDIR && errno != EPERM))
		return;
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			tmpdir_remove_at(dirfd(d), de->d_name);
	closedir(d);
	(void)unlinkat(dfd, name, AT_REMOVEDIR);
}

/* 0 if dir is gone. */
static inline int
tmpdir_remove(const char *dir)
{
	tmpdir_remove_at(AT_FDCWD, dir);
	return access(dir, F_OK) == -1 && errno == ENOENT ? 0 : -1;
}

static inline void
tmpdir_write(const char *path, const char *text)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_not_equal(fd, -1);
	assert_int_equal(write(fd, text, strlen(text)),
	    (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

/* path, path/new, path/cur, path/tmp. */
static inline void
tmpdir_maildir(const char *path)
{
	static const char *const subs[] = { "", "/new", "/cur", "/tmp" };
	char		 p[PATH_MAX];
	size_t		 i;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, subs[i]);
		assert_int_equal(mkdir(p, 0700), 0);
	}
}

/* Entries of path not starting with a dot; 0 if there is no path. */
static inline size_t
tmpdir_count(const char *path)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 n = 0;

	if ((d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Messages in the Maildir path (new and cur). */
static inline size_t
tmpdir_maildir_count(const char *path)
{
	char	 p[PATH_MAX];
	size_t	 n;

	snprintf(p, sizeof(p), "%s/new", path);
	n = tmpdir_count(p);
	snprintf(p, sizeof(p), "%s/cur", path);
	return n + tmpdir_count(p);
}

#endif

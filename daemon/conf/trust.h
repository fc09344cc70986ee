/* SPDX-License-Identifier: ISC */
/*
 * trust.h - the files that decide what mailsift runs and where it writes
 * (the configuration, rule files, a password-command program) may be
 * changed by no one but root and the user mailsift runs as.
 *
 * trust_file_open() checks the file and every directory on the way to
 * it, the directories holding symbolic links on the way included: each
 * must be owned by root, by the effective uid or by `also` (the user
 * mailsift will switch to, or TRUST_NOBODY), and must not be writable by
 * group or others, except a directory with the sticky bit (/tmp): there
 * others cannot replace a file they do not own.  The path is walked one
 * component at a time from "/", each opened with O_NOFOLLOW below the
 * one checked before it and checked with fstat(), so what is checked is
 * what is read: nothing can be swapped in between.
 *
 * Errors do not start with the path (the caller names the file); they
 * say what is wrong and the chown or chmod that fixes it.
 */
#ifndef DAEMON_TRUST_H
#define DAEMON_TRUST_H

#include <sys/types.h>
#include <sys/stat.h>
#include <stddef.h>

#define TRUST_NOBODY	((uid_t)-1)

/* trust_file_open() flags */
#define TRUST_EXEC	0x01	/* a program: O_PATH, it need not be readable */

/* The checked file, opened read-only (O_NONBLOCK, O_NOCTTY, O_CLOEXEC),
 * with its fstat() in st; or -1 with the reason in err. */
int	 trust_file_open(const char *path, unsigned flags, uid_t also,
	    struct stat *st, char *err, size_t errlen);
/* The same for a regular file of at most max bytes, read whole: the
 * bytes (NUL-terminated; *len does not count the NUL), or NULL with the
 * reason in err. */
char	*trust_file_read(const char *path, size_t max, uid_t also,
	    struct stat *st, size_t *len, char *err, size_t errlen);

#endif

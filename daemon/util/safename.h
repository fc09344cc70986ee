/* SPDX-License-Identifier: ISC */
/*
 * safename.h - turning an attacker-chosen attachment name into a file
 * name that is safe to create in a directory.
 *
 * The result is a single path component: the basename of the given name
 * (after both '/' and '\\'), with control characters and DEL removed, no
 * leading dots, at most SAFENAME_MAX bytes cut on a UTF-8 boundary, and
 * never empty, "." or "..".  Non-ASCII text is kept.
 */
#ifndef DAEMON_SAFENAME_H
#define DAEMON_SAFENAME_H

#include <stddef.h>

#define SAFENAME_MAX	200
/* Room for a name safename_create() may use: a "-" and 12 hex digits
 * more, well below NAME_MAX. */
#define SAFENAME_OUT_MAX	(SAFENAME_MAX + 16)
/* Random names tried after the plain one is taken (48 bits each: a
 * second one is never needed in practice). */
#define SAFENAME_TRIES		4

/* Write the safe form of name (fallback when nothing usable is left) into
 * out, which has room for SAFENAME_MAX + 1 bytes. */
void	safename_make(const char *name, const char *fallback, char *out);
/* Create name under the directory dirfd (O_EXCL, never overwriting,
 * never following a symlink).  When the name is taken, "a.pdf" becomes
 * "a-<12 random hex digits>.pdf": a fixed number of tries whatever
 * files exist, so no sender can use up the names.  Returns the open
 * descriptor and writes the name used to out (SAFENAME_OUT_MAX bytes),
 * or -1 with errno set. */
int	safename_create(int dirfd, const char *name, char *out);
/* Give the file tmp in dirfd the name name as safename_create() picks
 * it, never replacing a file: a hard link (tmp stays), or where the
 * file system has none, a rename that does not replace (tmp is gone).
 * 0, or -1 with errno set. */
int	safename_link(int dirfd, const char *tmp, const char *name,
	    char *out);

#endif

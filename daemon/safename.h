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

/* Write the safe form of name (fallback when nothing usable is left) into
 * out, which has room for SAFENAME_MAX + 1 bytes. */
void	safename_make(const char *name, const char *fallback, char *out);
/* Create name under the directory dirfd, never overwriting and never
 * following a symlink: on collision "a.pdf" becomes "a-1.pdf", "a-2.pdf"
 * ...  Returns the open descriptor and writes the name used to out (room
 * for SAFENAME_MAX + 16 bytes), or -1 with errno set. */
int	safename_create(int dirfd, const char *name, char *out);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * wipe.h - freeing a string that held a secret (a password, a token, a
 * form with a client secret in it): its bytes zeroed first, so that a
 * later heap dump or a reused block does not show it.  Depends on libc.
 */
#ifndef DAEMON_UTIL_WIPE_H
#define DAEMON_UTIL_WIPE_H

/* Zeroes s up to its NUL and frees it; NULL is fine. */
void	wipe_free(char *s);

#endif

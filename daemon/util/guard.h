/* SPDX-License-Identifier: ISC */
/*
 * guard.h - may this thread still act for its account?
 *
 * On a shared store (store/lease.h) a daemon works an account only
 * while it holds the account's lease.  The store fences every write,
 * but what happens outside it - a file written to a Maildir, a message
 * sent, a server told to move or expunge - no database can take back.
 * So before each such act the thread asks guard_ok(); when the lease
 * is lost or being given back (a stall past its expiry, a rebalance)
 * the answer is 0 and the act is not done: the message stays with its
 * intent pending, for the lease's next holder to settle.
 *
 * The guard is per thread: the scheduler sets it for the thread that
 * works an account (and a thread that thread starts for it sets the
 * same).  A thread with no guard may always act (one daemon, a SQLite
 * store, the command line).  Never blocks, never logs.
 */
#ifndef DAEMON_UTIL_GUARD_H
#define DAEMON_UTIL_GUARD_H

/* 1 if the thread may act, 0 if not. */
typedef int	(*guard_fn)(void *arg);

/* This thread's guard (fn NULL: none). */
void	guard_set(guard_fn fn, void *arg);
/* The guard in force for this thread, to hand to a thread it starts. */
void	guard_get(guard_fn *fn, void **arg);
/* 1: go on; 0: the account is no longer this thread's to act for. */
int	guard_ok(void);

#endif

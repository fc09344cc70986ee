/* SPDX-License-Identifier: ISC */
/*
 * thread.h - threads with a stack of a chosen size.  A daemon with
 * thousands of accounts runs thousands of threads; glibc's default
 * stack (8 MB, the RLIMIT_STACK) is address space reserved for each,
 * 16 GB for 2000.  Only pages touched cost memory, but a bounded stack
 * also bounds what a thread can touch.
 */
#ifndef DAEMON_UTIL_THREAD_H
#define DAEMON_UTIL_THREAD_H

#include <pthread.h>
#include <stddef.h>

/*
 * An account's thread runs a whole round: the IMAP or POP3 session
 * (a response line buffer of 8 KB, TLS), MIME parsing (iterative, its
 * depth bounded by max_depth and kept on the heap), rule evaluation
 * (conditions nested at most RULE_COND_DEPTH = 64 deep; PCRE2 10.30+
 * keeps the interpreter's backtracking on the heap, and the JIT uses a
 * 32 KB block of this stack when no JIT stack is given) and the
 * deliveries (mbox copies through a 64 KB buffer, the largest local).
 * 1 MB leaves room for all that, and for ASan's larger frames.
 */
#define THREAD_STACK_ACCOUNT	(1024 * 1024)
/* An IDLE watcher only speaks IMAP (line buffer 8 KB, TLS, logging's
 * 8 KB): 256 KB is ample. */
#define THREAD_STACK_WATCHER	(256 * 1024)

/* pthread_create(3) with a stack of STACK bytes; 0 or an errno. */
int	thread_start(pthread_t *, size_t stack, void *(*)(void *), void *);
/*
 * Before a long wait (IMAP IDLE): the pages of this thread's stack
 * below the caller's frame, touched by the deepest calls so far (TLS
 * handshake, SQLite, a message's rules), go back to the system; they
 * come back as zeros when next used.  Only the calling thread's own
 * stack, whose bounds the system gives (pthread_getattr_np).
 */
void	thread_stack_trim(void);
/*
 * What the threads going idle freed (a round's messages, TLS handshakes,
 * SQLite's schema) stays in the allocator's free lists, scattered
 * between what is still in use.  The scheduler's loop calls this: after
 * a thread went idle (thread_stack_trim) it gives every whole free page
 * back to the system (glibc's malloc_trim; elsewhere a no-op), at most
 * every 10 s.  Only one thread may call it.
 */
void	thread_heap_trim(void);

#endif

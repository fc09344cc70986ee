/* SPDX-License-Identifier: ISC */
/* thread.c - threads with a chosen stack size; see thread.h. */
#define _GNU_SOURCE		/* pthread_getattr_np() */
#include <sys/mman.h>

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "daemon/util/thread.h"

/* Left alone below the caller's frame: madvise's own frame, a signal
 * handler's, the red zone. */
#define THREAD_TRIM_MARGIN	(8 * 1024)
/* The allocator is trimmed at most this often. */
#define THREAD_HEAP_TRIM_SEC	10

/* A thread went idle since the last trim of the allocator. */
static atomic_int	 heap_idle_news;
static time_t		 heap_trimmed;	/* only the scheduler's thread */

int
thread_start(pthread_t *th, size_t stack, void *(*fn)(void *), void *arg)
{
	pthread_attr_t	 attr;
	int		 rv;

	if ((rv = pthread_attr_init(&attr)) != 0)
		return rv;
	/* a size the system refuses (below PTHREAD_STACK_MIN): its own */
	(void)pthread_attr_setstacksize(&attr, stack);
	rv = pthread_create(th, &attr, fn, arg);
	(void)pthread_attr_destroy(&attr);
	return rv;
}

/* The lowest usable address of this thread's stack (above its guard),
 * or 0 where the system cannot say. */
static uintptr_t
stack_low(void)
{
	pthread_attr_t	 attr;
	void		*addr;
	size_t		 size, guard;
	int		 ok;

	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return 0;
	ok = pthread_attr_getstack(&attr, &addr, &size) == 0 &&
	    pthread_attr_getguardsize(&attr, &guard) == 0;
	(void)pthread_attr_destroy(&attr);
	return ok ? (uintptr_t)addr + guard : 0;
}

void
thread_stack_trim(void)
{
	volatile char	 here = 0;
	long		 page = sysconf(_SC_PAGESIZE);
	uintptr_t	 lo, hi;

	if (page <= 0 || (lo = stack_low()) == 0)
		return;
	lo = (lo + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
	hi = (uintptr_t)&here;
	if (hi < lo + THREAD_TRIM_MARGIN)
		return;
	hi = (hi - THREAD_TRIM_MARGIN) & ~((uintptr_t)page - 1);
	/* stacks grow down: what lies below is free, and reads as zeros
	 * when next touched; a refusal only costs memory */
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
	atomic_store(&heap_idle_news, 1);
}

void
thread_heap_trim(void)
{
	time_t	 now = time(NULL);

	if (now - heap_trimmed < THREAD_HEAP_TRIM_SEC ||
	    !atomic_exchange(&heap_idle_news, 0))
		return;
	heap_trimmed = now;
#ifdef __GLIBC__
	/* whole free pages inside every arena, not only at their tops;
	 * the answer (whether any came back) changes nothing */
	(void)malloc_trim(0);
#endif
}

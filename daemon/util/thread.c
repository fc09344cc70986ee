/* SPDX-License-Identifier: ISC */
/* thread.c - threads with a chosen stack size; see thread.h. */
#include <pthread.h>
#include <stddef.h>

#include "daemon/util/thread.h"

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

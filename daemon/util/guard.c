/* SPDX-License-Identifier: ISC */
/* guard.c - the per-thread guard of guard.h. */
#include <stddef.h>

#include "daemon/util/guard.h"

static _Thread_local guard_fn	 guard_fn_cur;
static _Thread_local void	*guard_arg_cur;

void
guard_set(guard_fn fn, void *arg)
{
	guard_fn_cur = fn;
	guard_arg_cur = arg;
}

void
guard_get(guard_fn *fn, void **arg)
{
	*fn = guard_fn_cur;
	*arg = guard_arg_cur;
}

int
guard_ok(void)
{
	return guard_fn_cur == NULL || guard_fn_cur(guard_arg_cur);
}

/* SPDX-License-Identifier: ISC */
/* wipe.c - see wipe.h. */
#include <stdlib.h>
#include <string.h>

#include "daemon/util/wipe.h"

void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	/* explicit_bzero: a memset before free may be optimised away */
	explicit_bzero(s, strlen(s));
	free(s);
}

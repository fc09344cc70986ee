/* SPDX-License-Identifier: ISC */
/* local.c - what the local sources share; see local.h. */
#include <stdlib.h>
#include <string.h>

#include "daemon/pipeline/pipeline.h"
#include "daemon/source/local.h"

int
local_add(struct pipeline *pl, const char *key, unsigned seq,
    const char *data, size_t len)
{
	struct fetch_key k;
	char		*copy;
	int		 rv;

	if ((copy = malloc(len + 1)) == NULL)
		return -1;
	memcpy(copy, data, len);
	memset(&k, 0, sizeof(k));
	k.folder = "";
	k.uidl = key;
	k.seq = seq;
	rv = pipeline_add(pl, &k, copy, len);
	free(copy);
	return rv;
}

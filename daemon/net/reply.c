/* SPDX-License-Identifier: ISC */
/* reply.c - a server's reply shown bounded and printable; see reply.h. */
#include <stddef.h>

#include "daemon/net/reply.h"
#include "daemon/util/log.h"

char *
reply_show(const char *line, size_t len, char *out, size_t outlen)
{
	if (outlen == 0)
		return out;
	/* nothing to show: no pointer arithmetic on a NULL line */
	if (line == NULL || len == 0) {
		out[0] = '\0';
		return out;
	}
	return log_clean(line, len, out, outlen, LOG_CLEAN_MARK);
}

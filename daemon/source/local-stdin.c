/* SPDX-License-Identifier: ISC */
/*
 * local-stdin.c - the stdin source: one message on standard input, as
 * an MDA gets it (mailsift run --once from a .forward or procmail).
 * Its key is made of the time and our pid: each run delivers what it
 * was given.  Nothing can be flagged or deleted at this source.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/pipeline/pipeline.h"
#include "daemon/source/source.h"
#include "daemon/util/log.h"

static int
stdin_fetch(const struct account *acct, struct pipeline *pl)
{
	struct fetch_key k;
	char		*buf = NULL, *nb, key[96];
	size_t		 len = 0, cap = 0;
	ssize_t		 n;
	int		 rv;

	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
		}
		if ((n = read(STDIN_FILENO, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			log_error("%s: reading standard input: %s",
			    acct->name, strerror(errno));
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	memset(&k, 0, sizeof(k));
	k.folder = "";
	snprintf(key, sizeof(key), "stdin:%lld.%ld", (long long)time(NULL),
	    (long)getpid());
	k.uidl = key;
	rv = pipeline_add(pl, &k, buf, len);
	free(buf);
	return rv == -1 ? -1 : pipeline_flush(pl);
}

const struct source source_stdin = {
	ACCT_STDIN, "stdin", 0, stdin_fetch
};

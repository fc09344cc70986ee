/* SPDX-License-Identifier: ISC */
/*
 * imap-compress.c - COMPRESS=DEFLATE (RFC 4978), for accounts that set
 * compress = yes: after login, if the server offers it, "COMPRESS
 * DEFLATE", and from its OK on conn.c compresses both ways.  It is for
 * slow links; it costs CPU on both sides, so it is off by default.  A
 * server without it, or one that says NO (e.g. [COMPRESSIONACTIVE]
 * when TLS compresses already), is no error: the session goes on
 * uncompressed, noted once per account so that a daemon polling every
 * few minutes does not repeat it.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "daemon/net/conn.h"
#include "daemon/source/imap-int.h"
#include "daemon/util/log.h"

/* Accounts noted so far; past this many, notes go to the debug log. */
#define NOTED_MAX	64
/* Longer names (conf allows 128) are compared by their start. */
#define NOTED_NAME	128

static pthread_mutex_t	 noted_lock = PTHREAD_MUTEX_INITIALIZER;
static char		 noted[NOTED_MAX][NOTED_NAME + 1];
static size_t		 nnoted;

/* 1 the first time for this account name, 0 after. */
static int
note_first(const char *name)
{
	size_t	 i;
	int	 first = 1;

	if (pthread_mutex_lock(&noted_lock) != 0)
		return 0;
	for (i = 0; i < nnoted && first; i++)
		if (strncmp(noted[i], name, NOTED_NAME) == 0)
			first = 0;
	if (first && nnoted < NOTED_MAX)
		snprintf(noted[nnoted++], sizeof(noted[0]), "%s", name);
	else if (first)
		first = 0;
	/* Unlocking a mutex this thread holds does not fail. */
	(void)pthread_mutex_unlock(&noted_lock);
	return first;
}

static void
compress_note(const struct imap *s, const char *why)
{
	if (note_first(s->acct->name))
		log_info("%s: compress = yes, but %s; going on uncompressed",
		    s->acct->name, why);
	else
		log_debug("%s: uncompressed: %s", s->acct->name, why);
}

int
imap_compress_start(struct imap *s)
{
	char	 why[600];

	if (!s->acct->compress)
		return 0;
	if (!(s->caps & CAP_COMPRESS)) {
		compress_note(s, "the server does not offer COMPRESS=DEFLATE");
		return 0;
	}
	if (imap_cmd(s, "COMPRESS DEFLATE") == -1) {
		if (s->broken || s->bye)
			return -1;
		snprintf(why, sizeof(why), "the server refused COMPRESS "
		    "DEFLATE: %s", s->err);
		s->err[0] = '\0';
		compress_note(s, why);
		return 0;
	}
	if (conn_compress(s->c) == -1) {
		snprintf(s->err, sizeof(s->err), "%s", conn_error(s->c));
		return -1;
	}
	log_debug("%s: COMPRESS=DEFLATE on", s->acct->name);
	return 0;
}

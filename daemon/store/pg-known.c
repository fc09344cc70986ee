/* SPDX-License-Identifier: ISC */
/* pg-known.c - being written. */
#include <stdio.h>

#include "daemon/store/pg-int.h"

static int
pg_todo(char *err, size_t errlen)
{
	snprintf(err, errlen, "PostgreSQL store: not implemented yet");
	return -1;
}

int
pg_uids_delivered(struct state_impl *st, const char *account, const char
    *folder, uint32_t uidvalidity, struct uidset *set, char *err, size_t
    errlen)
{
	(void)st, (void)account, (void)folder, (void)uidvalidity, (void)set;
	return pg_todo(err, errlen);
}

int
pg_uids_deletable(struct state_impl *st, const char *account, const char
    *folder, uint32_t uidvalidity, struct uidset *set, char *err, size_t
    errlen)
{
	(void)st, (void)account, (void)folder, (void)uidvalidity, (void)set;
	return pg_todo(err, errlen);
}

int
pg_uidls_delivered(struct state_impl *st, const char *account, const char
    *folder, struct uidlset *set, char *err, size_t errlen)
{
	(void)st, (void)account, (void)folder, (void)set;
	return pg_todo(err, errlen);
}

int
pg_uidls_deletable(struct state_impl *st, const char *account, const char
    *folder, struct uidlset *set, char *err, size_t errlen)
{
	(void)st, (void)account, (void)folder, (void)set;
	return pg_todo(err, errlen);
}

int
pg_mark_skipped(struct state_impl *st, const struct msg_key *key, const struct
    msg_content *content, const char *reason, char *err, size_t errlen)
{
	(void)st, (void)key, (void)content, (void)reason;
	return pg_todo(err, errlen);
}

int
pg_seen_content(struct state_impl *st, const struct msg_key *key, const struct
    msg_content *content, char *err, size_t errlen)
{
	(void)st, (void)key, (void)content;
	return pg_todo(err, errlen);
}


/* SPDX-License-Identifier: ISC */
/* pg-folder.c - being written. */
#include <stdio.h>

#include "daemon/store/pg-int.h"

static int
pg_todo(char *err, size_t errlen)
{
	snprintf(err, errlen, "PostgreSQL store: not implemented yet");
	return -1;
}

int
pg_folder_uidvalidity(struct state_impl *st, const char *account, const char
    *folder, uint32_t *uidvalidity, char *err, size_t errlen)
{
	(void)st, (void)account, (void)folder, (void)uidvalidity;
	return pg_todo(err, errlen);
}

int
pg_folder_reset(struct state_impl *st, const char *account, const char *folder,
    uint32_t uidvalidity, size_t *set_aside, char *err, size_t errlen)
{
	(void)st;
	(void)account;
	(void)folder;
	(void)uidvalidity;
	(void)set_aside;
	return pg_todo(err, errlen);
}

int
pg_folder_sync(struct state_impl *st, const char *account, const char *folder,
    struct state_sync *sync, char *err, size_t errlen)
{
	(void)st, (void)account, (void)folder, (void)sync;
	return pg_todo(err, errlen);
}

int
pg_folder_sync_set(struct state_impl *st, const char *account, const char
    *folder, const struct state_sync *sync, char *err, size_t errlen)
{
	(void)st, (void)account, (void)folder, (void)sync;
	return pg_todo(err, errlen);
}

int
pg_folder_set_aside(struct state_impl *st, const char *account, const char
    *folder, char *err, size_t errlen)
{
	(void)st, (void)account, (void)folder;
	return pg_todo(err, errlen);
}


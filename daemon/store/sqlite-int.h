/* SPDX-License-Identifier: ISC */
/*
 * sqlite-int.h - the inside of the SQLite backend: what sqlite.c and the
 * sqlite-*.c files share - the handle (struct state), its statement
 * cache and the error and transaction helpers.  Nothing outside
 * daemon/store/sqlite*.c includes it; callers see only state.h,
 * outbox.h, queue.h and serverops.h.
 */
#ifndef DAEMON_STORE_SQLITE_INT_H
#define DAEMON_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "daemon/store/state.h"

/* Slots of the statement cache: statements run once per message. */
enum state_slot {
	SLOT_FOLDER_FIND,
	SLOT_FOLDER_ADD,
	SLOT_INTENT_ADD,
	SLOT_INTENT_FOLDER,
	SLOT_INTENT_DONE,
	SLOT_INTENT_DONE_OLD,
	SLOT_INTENT_DEL,
	SLOT_INTENT_REMOTE,
	SLOT_MAX
};

struct state {
	sqlite3		*db;
	char		*path;
	int		 lockfd;	/* state_claim(), or -1 */
	sqlite3_stmt	*slot[SLOT_MAX];
};

/* Write "state PATH: what: sqlite's reason (hint)" into err; returns -1. */
int		 state_fail(struct state *, const char *what, char *err,
		    size_t errlen);
int		 state_exec(struct state *, const char *sql, const char *what,
		    char *err, size_t errlen);
/* BEGIN IMMEDIATE: writers queue at the start, never deadlock midway. */
int		 state_begin(struct state *, char *err, size_t errlen);
int		 state_commit(struct state *, char *err, size_t errlen);
void		 state_rollback(struct state *);
/* A prepared statement: cached in slot if slot < SLOT_MAX, else fresh
 * (the caller finalizes it).  NULL on error, reported. */
sqlite3_stmt	*state_prepare(struct state *, enum state_slot, const char *sql,
		    char *err, size_t errlen);
void		 state_release(enum state_slot, sqlite3_stmt *);
/* Bind a string that may be NULL; the text must outlive the step. */
int		 state_bind_str(sqlite3_stmt *, int, const char *);
/* A copy of a column: text ("" for NULL), or a blob with a NUL after
 * its *len bytes; NULL when out of memory. */
char		*state_column_str(sqlite3_stmt *, int col);
char		*state_column_blob(sqlite3_stmt *, int col, size_t *len);
/* The id of a folder row, creating it with uidvalidity if create is set;
 * 0 if absent and not created. */
int		 state_folder_id(struct state *, const char *account,
		    const char *folder, uint32_t uidvalidity, int create,
		    int64_t *id, char *err, size_t errlen);
/* 1 with the folder's id and UIDVALIDITY, 0 if unknown, -1 on error. */
int		 state_folder_get(struct state *, const char *account,
		    const char *folder, int64_t *id, uint32_t *uidvalidity,
		    char *err, size_t errlen);
/* Drop the provider message ids (msgid.h) recorded through the
 * account's folder (NULL: all) and uid (NULL: all), in the caller's
 * transaction: for state_forget(). */
int		 state_msgids_forget(struct state *, const char *account,
		    const char *folder, const uint32_t *uid, char *err,
		    size_t errlen);
/* Queue one item (queue.h) in the caller's transaction: for
 * state_intents_complete_batch(). */
struct queue_item;
int		 state_queue_insert(struct state *, const struct queue_item *,
		    char *err, size_t errlen);
/* "" for NULL: POP3 accounts have one folder, "". */
const char	*state_folder_name(const char *);
int64_t		 state_now(void);

#endif

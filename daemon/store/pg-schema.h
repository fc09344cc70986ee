/* SPDX-License-Identifier: ISC */
/*
 * pg-schema.h - the PostgreSQL store's schema, as versioned migrations:
 * data only (SQL text), no libpq call, so it builds before the backend
 * that runs it.  The tables and their meaning are those of the SQLite
 * backend's schema 8 (sqlite-open.c), plus the cluster's: `daemon` (who
 * is alive) and `lease` (which daemon works which account, with the
 * epoch every commit is fenced by; see pg-schema.c).
 *
 * How a backend brings a database up to date, in ONE transaction
 * (several daemons may start at once against an empty database):
 *   BEGIN;
 *   pg_schema_prologue()     lock (advisory, held to COMMIT) and
 *                            CREATE TABLE IF NOT EXISTS schema_version
 *   pg_schema_current()      one row, one column: the version (0: empty)
 *   a version above pg_schema_version() is a newer mailsift's: stop;
 *   for each migration with version > current, in order:
 *       its sql, then pg_schema_record() with $1 = version (int8) and
 *       $2 = what (text);
 *   COMMIT;
 * Applying them again changes nothing.
 */
#ifndef DAEMON_STORE_PG_SCHEMA_H
#define DAEMON_STORE_PG_SCHEMA_H

#include <stddef.h>

struct pg_migration {
	int		 version;	/* 1, 2, ...: no gap */
	const char	*what;		/* one line, recorded with it */
	const char	*sql;		/* statements; no BEGIN/COMMIT */
};

/* The migrations, oldest first; *n is set to their count. */
const struct pg_migration *pg_schema_migrations(size_t *n);
/* The newest version this mailsift knows (the last migration's). */
int		 pg_schema_version(void);
const char	*pg_schema_prologue(void);
const char	*pg_schema_current(void);
const char	*pg_schema_record(void);

#endif

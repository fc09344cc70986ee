/* SPDX-License-Identifier: ISC */
/*
 * pgprobe - test-pg-harness.sh's client: proof that the build finds
 * libpq and that the store's migrations (daemon/store/pg-schema.c) apply
 * to a real PostgreSQL.
 *
 *   pgprobe facts URL     connect; print "server_version_num N" and
 *                         "fsync on|off"; then a table written and read
 *                         back in one transaction: "transaction ok"
 *   pgprobe migrate URL   bring the schema up to date as pg-schema.h
 *                         says; print "schema A -> B, N applied"
 *
 * Exits 1 with the server's message on stderr on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "daemon/store/pg-schema.h"

/* Run sql; 0 if it ended as `want` (PGRES_COMMAND_OK or _TUPLES_OK). */
static int
run(PGconn *db, const char *sql, ExecStatusType want, PGresult **out)
{
	PGresult	*r = PQexec(db, sql);

	if (PQresultStatus(r) != want) {
		fprintf(stderr, "pgprobe: %.60s...: %s", sql,
		    PQerrorMessage(db));
		PQclear(r);
		return -1;
	}
	if (out != NULL)
		*out = r;
	else
		PQclear(r);
	return 0;
}

/* The first column of the single row sql returns, copied into buf. */
static int
one_value(PGconn *db, const char *sql, char *buf, size_t len)
{
	PGresult	*r;
	int		 rv = -1;

	if (run(db, sql, PGRES_TUPLES_OK, &r) == -1)
		return -1;
	if (PQntuples(r) != 1 || PQnfields(r) < 1)
		fprintf(stderr, "pgprobe: %s: %d rows\n", sql, PQntuples(r));
	else if ((size_t)snprintf(buf, len, "%s", PQgetvalue(r, 0, 0)) >= len)
		fprintf(stderr, "pgprobe: %s: value too long\n", sql);
	else
		rv = 0;
	PQclear(r);
	return rv;
}

static int
facts(PGconn *db)
{
	char	 v[64];

	if (one_value(db, "SHOW server_version_num", v, sizeof(v)) == -1)
		return -1;
	printf("server_version_num %s\n", v);
	if (one_value(db, "SHOW fsync", v, sizeof(v)) == -1)
		return -1;
	printf("fsync %s\n", v);

	if (run(db, "DROP TABLE IF EXISTS probe", PGRES_COMMAND_OK,
	    NULL) == -1 ||
	    run(db, "CREATE TABLE probe (id BIGINT PRIMARY KEY, body BYTEA)",
	    PGRES_COMMAND_OK, NULL) == -1 ||
	    run(db, "BEGIN", PGRES_COMMAND_OK, NULL) == -1 ||
	    run(db, "INSERT INTO probe VALUES (1, '\\x00ff'::bytea),"
	    " (2, NULL)", PGRES_COMMAND_OK, NULL) == -1 ||
	    one_value(db, "SELECT count(*) || ':' ||"
	    " string_agg(encode(body, 'hex'), ',' ORDER BY id) FROM probe",
	    v, sizeof(v)) == -1 ||
	    run(db, "COMMIT", PGRES_COMMAND_OK, NULL) == -1)
		return -1;
	if (strcmp(v, "2:00ff") != 0) {
		fprintf(stderr, "pgprobe: read back %s, wrote 2:00ff\n", v);
		return -1;
	}
	if (one_value(db, "SELECT count(*) FROM probe", v, sizeof(v)) == -1)
		return -1;
	if (strcmp(v, "2") != 0) {
		fprintf(stderr, "pgprobe: %s rows after COMMIT, not 2\n", v);
		return -1;
	}
	printf("transaction ok\n");
	return 0;
}

/* Record migration m as applied, with its number and line as params. */
static int
record(PGconn *db, const struct pg_migration *m)
{
	char		 num[16];
	const char	*params[2] = { num, m->what };
	PGresult	*r;
	int		 rv = 0;

	snprintf(num, sizeof(num), "%d", m->version);
	r = PQexecParams(db, pg_schema_record(), 2, NULL, params, NULL, NULL,
	    0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "pgprobe: recording version %d: %s",
		    m->version, PQerrorMessage(db));
		rv = -1;
	}
	PQclear(r);
	return rv;
}

static int
apply_from(PGconn *db, int from, int *applied)
{
	const struct pg_migration	*m;
	size_t				 i, n;

	m = pg_schema_migrations(&n);
	for (i = 0; i < n; i++) {
		if (m[i].version <= from)
			continue;
		if (run(db, m[i].sql, PGRES_COMMAND_OK, NULL) == -1 ||
		    record(db, &m[i]) == -1)
			return -1;
		(*applied)++;
	}
	return 0;
}

static int
migrate(PGconn *db)
{
	char	 v[32];
	int	 from, applied = 0;

	if (run(db, "BEGIN", PGRES_COMMAND_OK, NULL) == -1)
		return -1;
	/* the prologue's last statement is a CREATE: COMMAND_OK */
	if (run(db, pg_schema_prologue(), PGRES_COMMAND_OK, NULL) == -1 ||
	    one_value(db, pg_schema_current(), v, sizeof(v)) == -1)
		goto fail;
	from = atoi(v);
	if (from > pg_schema_version()) {
		fprintf(stderr, "pgprobe: schema version %d is a newer "
		    "mailsift's (this one knows %d)\n", from,
		    pg_schema_version());
		goto fail;
	}
	if (apply_from(db, from, &applied) == -1 ||
	    run(db, "COMMIT", PGRES_COMMAND_OK, NULL) == -1)
		goto fail;
	printf("schema %d -> %d, %d applied\n", from, pg_schema_version(),
	    applied);
	return 0;
fail:
	PQclear(PQexec(db, "ROLLBACK"));
	return -1;
}

/* Server NOTICEs ("relation already exists, skipping") are not ours to
 * print. */
static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

int
main(int argc, char *argv[])
{
	PGconn	*db;
	int	 rv;

	if (argc != 3 || (strcmp(argv[1], "facts") != 0 &&
	    strcmp(argv[1], "migrate") != 0)) {
		fprintf(stderr, "usage: pgprobe facts|migrate URL\n");
		return 2;
	}
	db = PQconnectdb(argv[2]);
	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "pgprobe: connect: %s", PQerrorMessage(db));
		PQfinish(db);
		return 1;
	}
	PQsetNoticeProcessor(db, quiet, NULL);
	if (strcmp(argv[1], "facts") == 0)
		rv = facts(db);
	else
		rv = migrate(db);
	PQfinish(db);
	if (fflush(stdout) == EOF)
		rv = -1;
	return rv == 0 ? 0 : 1;
}

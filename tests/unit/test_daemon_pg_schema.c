/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_pg_schema.c - the PostgreSQL store's migration list
 * (daemon/store/pg-schema.c) as data, without a server: versions 1 to N
 * with no gap, each with its line and its SQL and no transaction
 * control of its own (the runner holds one transaction), the cluster's
 * tables with the columns fencing needs, and the runner's statements.
 * tests/integration/test-pg-harness.sh applies them to a real server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/store/pg-schema.h"

static void
test_versions(void **state)
{
	const struct pg_migration	*m;
	size_t				 i, n;

	(void)state;
	m = pg_schema_migrations(&n);
	assert_non_null(m);
	assert_true(n >= 2);
	for (i = 0; i < n; i++)
		assert_int_equal(m[i].version, (int)i + 1);
	assert_int_equal(pg_schema_version(), m[n - 1].version);
}

/* 1 if sql holds the statement word (at its start or after a ';'). */
static int
has_statement(const char *sql, const char *word)
{
	const char	*p = sql;
	size_t		 len = strlen(word);

	for (;;) {
		while (*p == ' ')
			p++;
		if (strncmp(p, word, len) == 0)
			return 1;
		if ((p = strchr(p, ';')) == NULL)
			return 0;
		p++;
	}
}

static void
test_no_transaction_control(void **state)
{
	const struct pg_migration	*m;
	size_t				 i, n;

	(void)state;
	m = pg_schema_migrations(&n);
	for (i = 0; i < n; i++) {
		assert_non_null(m[i].what);
		assert_true(m[i].what[0] != '\0');
		assert_non_null(m[i].sql);
		assert_true(strlen(m[i].sql) > 20);
		assert_false(has_statement(m[i].sql, "BEGIN"));
		assert_false(has_statement(m[i].sql, "COMMIT"));
		assert_false(has_statement(m[i].sql, "ROLLBACK"));
		assert_null(strstr(m[i].sql, "schema_version"));
	}
	assert_true(has_statement("x; COMMIT", "COMMIT"));
}

/* The text of table name's CREATE TABLE across all migrations, or NULL. */
static const char *
table_sql(const char *name)
{
	const struct pg_migration	*m;
	char				 key[64];
	size_t				 i, n;
	const char			*p;

	snprintf(key, sizeof(key), "CREATE TABLE %s (", name);
	m = pg_schema_migrations(&n);
	for (i = 0; i < n; i++)
		if ((p = strstr(m[i].sql, key)) != NULL)
			return p;
	return NULL;
}

/* 1 if the CREATE TABLE at sql declares col, a column's name or its
 * name with its whole declaration (before the table's ';'). */
static int
has_column(const char *sql, const char *col)
{
	char		 key[64];
	const char	*end = strchr(sql, ';'), *p = sql;
	size_t		 len;

	len = (size_t)snprintf(key, sizeof(key), " %s", col);
	while ((p = strstr(p, key)) != NULL && (end == NULL || p < end)) {
		if (p[len] == ' ' || p[len] == ',' || p[len] == ')')
			return 1;
		p += len;
	}
	return 0;
}

static void
test_cluster_tables(void **state)
{
	const char	*lease, *daemon;
	const char	*store[] = { "folder", "message", "message_old",
	    "intent", "outbox", "reply_log", "server_op", "action_done",
	    "account_run", "folder_sync", "provider_msgid",
	    "delivery_queue", "oauth_grant" };
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(store) / sizeof(store[0]); i++)
		assert_non_null(table_sql(store[i]));
	assert_non_null(lease = table_sql("lease"));
	assert_true(has_column(lease, "account TEXT PRIMARY KEY"));
	assert_true(has_column(lease, "owner TEXT NOT NULL"));
	assert_true(has_column(lease, "epoch BIGINT NOT NULL"));
	assert_true(has_column(lease, "expires TIMESTAMPTZ NOT NULL"));
	assert_non_null(daemon = table_sql("daemon"));
	assert_true(has_column(daemon, "id TEXT PRIMARY KEY"));
	assert_true(has_column(daemon, "host"));
	assert_true(has_column(daemon, "pid"));
	assert_true(has_column(daemon, "started"));
	assert_true(has_column(daemon, "seen"));
	assert_false(has_column(daemon, "epoch"));
}

static void
test_runner_statements(void **state)
{
	(void)state;
	assert_non_null(strstr(pg_schema_prologue(),
	    "pg_advisory_xact_lock("));
	assert_non_null(strstr(pg_schema_prologue(),
	    "CREATE TABLE IF NOT EXISTS schema_version"));
	assert_non_null(strstr(pg_schema_current(), "FROM schema_version"));
	assert_non_null(strstr(pg_schema_record(), "($1, $2)"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_no_transaction_control),
		cmocka_unit_test(test_cluster_tables),
		cmocka_unit_test(test_runner_statements),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

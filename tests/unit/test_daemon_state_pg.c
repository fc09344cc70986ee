/* SPDX-License-Identifier: ISC */
/*
 * What only a shared store (PostgreSQL, MSX_STATE_URL: state-where.h)
 * has: leases taken by one of two racing daemons, renewed or found lost,
 * the fence of the store's own writes (deliveries, skips, folders, sync
 * points: lease.h), the daemon rows, the schema's versions, and the
 * connection pool (more threads than connections; its sessions ended
 * by the server; a server restart, with MSX_PG_RESTART, the command
 * that restarts it).  Every test is
 * skipped against a SQLite file: it has none of this.  SQL of its own
 * (libpq) looks at the rows behind the store's back.
 */
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "tests/unit/state-where.h"

#include "daemon/store/lease.h"
#include "daemon/store/oauth.h"
#include "daemon/store/state.h"

#define RACE_ACCOUNTS	40
#define POOL_THREADS	24
#define POOL_ROUNDS	10
#define POOL_SIZE	8	/* pg-pool.c's PG_POOL_SIZE */

static const char *where;
static char	 err[512];

static int
setup(void **state)
{
	if (state_test_url() == NULL) {
		*state = NULL;
		return 0;
	}
	where = state_test_fresh("");
	*state = state_open(where, 0, err, sizeof(err));
	if (*state == NULL)
		fprintf(stderr, "%s\n", err);
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	state_close(*state);
	return 0;
}

#define NEEDS_SERVER(st) do {						\
	if ((st) == NULL)						\
		skip();							\
} while (0)

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* One value of sql (-1 for a statement without rows), run on a
 * connection of the test's own. */
static long long
sql_value(const char *sql)
{
	PGconn		*c = PQconnectdb(where);
	PGresult	*r;
	long long	 v = -1;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect: %s", PQerrorMessage(c));
	(void)PQsetNoticeProcessor(c, quiet, NULL);
	r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return v;
}

struct racer {
	const char	*id;
	int64_t		 epoch[RACE_ACCOUNTS];
	int		 won[RACE_ACCOUNTS];
	int		 rv;
};

static void *
race(void *arg)
{
	struct racer	*r = arg;
	struct state	*st;
	char		 acct[32], e[256];
	int		 i;

	if ((st = state_open(where, 0, e, sizeof(e))) == NULL) {
		r->rv = -1;
		return NULL;
	}
	for (i = 0; i < RACE_ACCOUNTS && r->rv == 0; i++) {
		snprintf(acct, sizeof(acct), "acct%02d", i);
		if ((r->won[i] = state_lease_take(st, acct, r->id, 30,
		    &r->epoch[i], e, sizeof(e))) == -1)
			r->rv = -1;
	}
	state_close(st);
	return NULL;
}

/* Two daemons take the same accounts at once: each goes to one. */
static void
test_lease_race(void **state)
{
	struct racer	 a = { .id = "d1" }, b = { .id = "d2" };
	pthread_t	 ta, tb;
	int		 i, na = 0;

	NEEDS_SERVER(*state);
	assert_int_equal(pthread_create(&ta, NULL, race, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, race, &b), 0);
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_int_equal(pthread_join(tb, NULL), 0);
	assert_int_equal(a.rv, 0);
	assert_int_equal(b.rv, 0);
	for (i = 0; i < RACE_ACCOUNTS; i++) {
		assert_int_equal(a.won[i] + b.won[i], 1);
		assert_int_equal(a.won[i] ? a.epoch[i] : b.epoch[i], 1);
		na += a.won[i];
	}
	assert_int_equal(sql_value("SELECT count(*) FROM lease"),
	    RACE_ACCOUNTS);
	assert_int_equal(sql_value("SELECT count(*) FROM lease WHERE "
	    "owner = 'd1'"), na);
}

/* Renewed while held; lost (kept 0) once another daemon took it. */
static void
test_lease_renew(void **state)
{
	struct state		*st = *state;
	const char *const	 accts[2] = { "x", "y" };
	int64_t			 ep[2], e2;
	unsigned char		 kept[2];

	NEEDS_SERVER(st);
	assert_int_equal(state_lease_take(st, "x", "d1", 30, &ep[0], err,
	    sizeof(err)), 1);
	assert_int_equal(state_lease_take(st, "y", "d1", 30, &ep[1], err,
	    sizeof(err)), 1);
	/* held: another cannot take it */
	assert_int_equal(state_lease_take(st, "y", "d2", 30, &e2, err,
	    sizeof(err)), 0);
	memset(kept, 7, sizeof(kept));
	assert_int_equal(state_leases_renew(st, "d1", 60, accts, ep, 2, kept,
	    err, sizeof(err)), 0);
	assert_int_equal(kept[0], 1);
	assert_int_equal(kept[1], 1);
	assert_true(sql_value("SELECT count(*) FROM lease WHERE expires >"
	    " now() + interval '45 s'") == 2);
	/* d1 stalls past y's lease; d2 takes it over */
	assert_int_equal(sql_value("UPDATE lease SET expires = now() -"
	    " interval '1 s' WHERE account = 'y'"), -1);
	assert_int_equal(state_lease_take(st, "y", "d2", 30, &e2, err,
	    sizeof(err)), 1);
	assert_int_equal(e2, ep[1] + 1);
	assert_int_equal(state_leases_renew(st, "d1", 60, accts, ep, 2, kept,
	    err, sizeof(err)), 0);
	assert_int_equal(kept[0], 1);
	assert_int_equal(kept[1], 0);
	/* a release at the old epoch leaves d2's lease alone */
	assert_int_equal(state_lease_release(st, "y", "d1", ep[1], err,
	    sizeof(err)), 0);
	assert_int_equal(sql_value("SELECT count(*) FROM lease WHERE "
	    "account = 'y' AND owner = 'd2' AND expires > now()"), 1);
}

static int
list_row(const struct lease_row *r, void *arg)
{
	char	*out = arg;
	size_t	 len = strlen(out);

	snprintf(out + len, 256 - len, "%s:%s:%s:%lld:%s;", r->account,
	    r->owner, r->host, (long long)r->epoch,
	    r->expires_in > 0 ? "live" : "expired");
	return 0;
}

/* Daemon rows: counted while alive; leaving expires their leases. */
static void
test_daemons(void **state)
{
	struct state	*st = *state;
	char		 out[256] = "";
	size_t		 live;
	int64_t		 e;

	NEEDS_SERVER(st);
	assert_int_equal(state_daemon_beat(st, "d1", "h1", 11, 30, &live,
	    err, sizeof(err)), 0);
	assert_int_equal(live, 1);
	assert_int_equal(state_daemon_beat(st, "d2", "h2", 12, 30, &live,
	    err, sizeof(err)), 0);
	assert_int_equal(live, 2);
	assert_int_equal(state_daemon_beat(st, "d1", "h1", 11, 30, &live,
	    err, sizeof(err)), 0);
	assert_int_equal(live, 2);
	assert_int_equal(state_lease_take(st, "a", "d1", 30, &e, err,
	    sizeof(err)), 1);
	assert_int_equal(state_lease_take(st, "b", "d2", 30, &e, err,
	    sizeof(err)), 1);
	assert_int_equal(state_leases_list(st, list_row, out, err,
	    sizeof(err)), 0);
	assert_string_equal(out, "a:d1:h1:1:live;b:d2:h2:1:live;");
	assert_int_equal(state_daemon_leave(st, "d1", err, sizeof(err)), 0);
	out[0] = '\0';
	assert_int_equal(state_leases_list(st, list_row, out, err,
	    sizeof(err)), 0);
	assert_string_equal(out, "a:d1::1:expired;b:d2:h2:1:live;");
	assert_int_equal(state_daemon_beat(st, "d2", "h2", 12, 30, &live,
	    err, sizeof(err)), 0);
	assert_int_equal(live, 1);
	/* free again: the next holder's epoch follows d1's */
	assert_int_equal(state_lease_take(st, "a", "d3", 30, &e, err,
	    sizeof(err)), 1);
	assert_int_equal(e, 2);
}

static void
content(struct msg_content *c, unsigned char fill)
{
	memset(c, 0, sizeof(*c));
	c->size = 100;
	c->hashed = 1;
	memset(c->sha256, fill, sizeof(c->sha256));
	snprintf(c->message_id, sizeof(c->message_id), "<%u@x>", fill);
}

static void
intent(struct state_intent *in, const char *account, uint32_t uid,
    const struct msg_content *c)
{
	memset(in, 0, sizeof(*in));
	in->account = strdup(account);
	in->folder = strdup("INBOX");
	in->uidvalidity = 7;
	in->uid = uid;
	in->content = *c;
	in->kind = STATE_MAILDIR;
	in->path = strdup("/m");
	in->name = strdup("n");
	in->time = 1;
	assert_non_null(in->account);
	assert_non_null(in->name);
}

static void
lost(int rv)
{
	assert_int_equal(rv, -1);
	assert_non_null(strstr(err, "account f: lease lost (another daemon "
	    "holds it now)"));
}

/* A stalled daemon whose lease was taken over records nothing of its
 * deliveries, skips, folders or sync points; its pending intents are
 * only its account's. */
static void
test_fence(void **state)
{
	struct state		*st = *state, *o;
	struct state_intent	 in[2], *v;
	struct state_sync	 sync = { 9, 5, 10, 0 };
	struct msg_content	 c;
	struct msg_key		 k = { "f", "INBOX", 7, 3, NULL };
	struct uidset		 set;
	int64_t			 e1, e2, id;
	size_t			 n;

	NEEDS_SERVER(st);
	assert_non_null(o = state_open(where, 0, err, sizeof(err)));
	content(&c, 1);
	assert_int_equal(state_lease_take(st, "f", "d1", 30, &e1, err,
	    sizeof(err)), 1);
	assert_int_equal(state_fence(st, "f", "d1", e1, err, sizeof(err)), 0);
	assert_int_equal(state_folder_reset(st, "f", "INBOX", 7, NULL, err,
	    sizeof(err)), 0);
	intent(&in[0], "f", 1, &c);
	intent(&in[1], "g", 1, &c);
	assert_int_equal(state_intents_record(st, &in[0], 1, err,
	    sizeof(err)), 0);
	assert_int_equal(state_intents_record(o, &in[1], 1, err,
	    sizeof(err)), 0);
	/* fenced: its own account's intents only */
	assert_int_equal(state_intents_pending(st, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].account, "f");
	state_intents_free(v, n);
	assert_int_equal(state_intents_pending(o, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	state_intents_free(v, n);
	/* d1 stalls past its lease; d2 takes the account over */
	assert_int_equal(sql_value("UPDATE lease SET expires = now() -"
	    " interval '1 s'"), -1);
	assert_int_equal(state_lease_take(o, "f", "d2", 30, &e2, err,
	    sizeof(err)), 1);
	id = in[0].id;
	lost(state_intents_complete(st, &id, 1, err, sizeof(err)));
	lost(state_intents_rollback(st, &id, 1, err, sizeof(err)));
	lost(state_intents_record(st, &in[0], 1, err, sizeof(err)));
	lost(state_mark_skipped(st, &k, NULL, "too big", err, sizeof(err)));
	lost(state_folder_reset(st, "f", "INBOX", 8, NULL, err, sizeof(err)));
	lost(state_folder_sync_set(st, "f", "INBOX", &sync, err,
	    sizeof(err)));
	/* nothing of it reached the store */
	assert_int_equal(sql_value("SELECT count(*) FROM message"), 0);
	assert_int_equal(sql_value("SELECT count(*) FROM folder_sync"), 0);
	assert_int_equal(sql_value("SELECT count(*) FROM intent"), 2);
	assert_int_equal(state_uids_delivered(o, "f", "INBOX", 7, &set, err,
	    sizeof(err)), 0);
	assert_int_equal(set.n, 1);	/* the intent, still in doubt */
	uidset_free(&set);
	/* the new holder, fenced, completes it */
	assert_int_equal(state_fence(o, "f", "d2", e2, err, sizeof(err)), 0);
	assert_int_equal(state_intents_complete(o, &id, 1, err,
	    sizeof(err)), 0);
	assert_int_equal(sql_value("SELECT count(*) FROM message WHERE "
	    "location = 'maildir:/m/new/n'"), 1);
	state_intent_clear(&in[0]);
	state_intent_clear(&in[1]);
	state_close(o);
}

/* A newer mailsift's schema is refused; an empty database is no store
 * for STATE_EXISTING. */
static void
test_schema_versions(void **state)
{
	struct state	*st = *state;

	NEEDS_SERVER(st);
	assert_int_equal(sql_value("SELECT max(version) FROM schema_version"),
	    2);
	assert_int_equal(sql_value("INSERT INTO schema_version (version,"
	    " what) VALUES (99, 'from the future')"), -1);
	assert_null(state_open(where, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "schema version 99 was written by a "
	    "newer mailsift (this one knows 2)"));
	assert_int_equal(sql_value("DROP SCHEMA public CASCADE;"
	    " CREATE SCHEMA public"), -1);
	assert_int_equal(state_exists(where, err, sizeof(err)), 0);
	assert_null(state_open(where, STATE_EXISTING, err, sizeof(err)));
	assert_non_null(strstr(err, "holds no mailsift store"));
	assert_int_equal(sql_value("SELECT count(*) FROM pg_tables WHERE"
	    " schemaname = 'public'"), 0);
}

struct worker {
	int	 n;
	int	 rv;
	char	 err[256];
};

/* Rounds of one account each: a handle, a folder, a delivery. */
static void *
work(void *arg)
{
	struct worker		*w = arg;
	struct state		*st;
	struct state_intent	 in;
	struct msg_content	 c;
	char			 acct[32];
	int			 i;

	content(&c, (unsigned char)w->n);
	snprintf(acct, sizeof(acct), "w%02d", w->n);
	for (i = 1; i <= POOL_ROUNDS && w->rv == 0; i++) {
		if ((st = state_open(where, 0, w->err,
		    sizeof(w->err))) == NULL) {
			w->rv = -1;
			break;
		}
		intent(&in, acct, (uint32_t)i, &c);
		if (state_folder_reset(st, acct, "INBOX", 7, NULL, w->err,
		    sizeof(w->err)) == -1 ||
		    state_intents_record(st, &in, 1, w->err,
		    sizeof(w->err)) == -1 ||
		    state_intents_complete(st, &in.id, 1, w->err,
		    sizeof(w->err)) == -1)
			w->rv = -1;
		state_intent_clear(&in);
		state_close(st);
	}
	return NULL;
}

/* More threads than connections: all served, none over the pool's. */
static void
test_pool_threads(void **state)
{
	struct worker	 w[POOL_THREADS];
	pthread_t	 t[POOL_THREADS];
	int		 i;

	NEEDS_SERVER(*state);
	memset(w, 0, sizeof(w));
	for (i = 0; i < POOL_THREADS; i++) {
		w[i].n = i;
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < POOL_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		if (w[i].rv != 0)
			fail_msg("thread %d: %s", i, w[i].err);
	}
	assert_int_equal(sql_value("SELECT count(*) FROM message"),
	    POOL_THREADS * POOL_ROUNDS);
	/* this process's (the handle of setup() keeps the pool open) */
	assert_in_range(sql_value("SELECT count(*) FROM pg_stat_activity"
	    " WHERE application_name = 'mailsift'"), 1, POOL_SIZE);
}

/* The server restarts under an open handle: its next statement gets a
 * fresh connection, and nothing is lost. */
static void
test_pool_restart(void **state)
{
	struct state	*st = *state;
	const char	*restart = getenv("MSX_PG_RESTART");
	uint32_t	 uv;

	NEEDS_SERVER(st);
	if (restart == NULL || restart[0] == '\0')
		skip();
	assert_int_equal(state_folder_reset(st, "r", "INBOX", 5, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(system(restart), 0);
	assert_int_equal(state_folder_uidvalidity(st, "r", "INBOX", &uv, err,
	    sizeof(err)), 1);
	assert_int_equal(uv, 5);
	assert_int_equal(system(restart), 0);
	/* a transaction's first statement may retry too */
	assert_int_equal(state_folder_reset(st, "r", "INBOX", 6, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(state_folder_uidvalidity(st, "r", "INBOX", &uv, err,
	    sizeof(err)), 1);
	assert_int_equal(uv, 6);
}

/*
 * The server ends the pool's sessions (as an administrator would; the
 * terminate waits until they are gone):
 * what runs on a connection held for a lock fails, being tied to the
 * session that is gone; the next statement gets a connection again.
 */
static void
test_pool_killed(void **state)
{
	struct state	*st = *state;
	uint32_t	 uv;

	NEEDS_SERVER(st);
	assert_int_equal(state_folder_reset(st, "k", "INBOX", 5, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(state_oauth_lock(st, "k", err, sizeof(err)), 0);
	assert_true(sql_value("SELECT count(pg_terminate_backend(pid, 10000))"
	    " FROM pg_stat_activity WHERE application_name = 'mailsift'") >=
	    1);
	assert_int_equal(state_folder_uidvalidity(st, "k", "INBOX", &uv, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "looking up a folder: "));
	state_oauth_unlock(st);
	assert_int_equal(state_folder_uidvalidity(st, "k", "INBOX", &uv, err,
	    sizeof(err)), 1);
	assert_int_equal(uv, 5);
	assert_true(sql_value("SELECT count(pg_terminate_backend(pid, 10000))"
	    " FROM pg_stat_activity WHERE application_name = 'mailsift'") >=
	    1);
	/* and again: the reset's first statement retries on a new session */
	assert_int_equal(state_folder_reset(st, "k", "INBOX", 6, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(state_folder_uidvalidity(st, "k", "INBOX", &uv, err,
	    sizeof(err)), 1);
	assert_int_equal(uv, 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lease_race, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lease_renew, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_daemons, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_versions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pool_threads, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pool_restart, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pool_killed, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: ISC */
/*
 * pg-pool.c - the PostgreSQL backend's connections.  A handle is opened
 * per account round and held through IDLE, so a daemon with thousands
 * of accounts holds thousands of handles: a connection each would be
 * thousands of server processes.  Handles therefore own none; the
 * process keeps one pool per URL (counted by the handles open on it,
 * closed with the last) and lends a connection for as long as a
 * statement, a transaction or an advisory lock needs it (pg.c).
 * Thread-safe: one mutex for every pool, a condition per pool for the
 * threads waiting for a connection to come back.  A connection found
 * broken is reset when next lent (pg.c retries a statement outside a
 * transaction once).  Not fork-safe: a child must not use or close its
 * parent's pool (its connections are the parent's sessions); libpq's
 * sockets are close-on-exec, so a child that execs leaves them alone.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/store/pg-pool.h"

/* Connections per URL and process.  A statement takes milliseconds and
 * a round holds one only for its short transactions, so a few serve
 * thousands of accounts; more would only multiply server processes. */
#define PG_POOL_SIZE	8
/* How long a statement waits for a free connection before it fails:
 * long enough for any transaction, short enough not to hang. */
#define PG_POOL_WAIT	60
/* Seconds to reach the server (the URL's connect_timeout wins). */
#define PG_CONNECT_TIMEOUT	"10"

struct pg_pool {
	struct pg_pool	*next;
	char		*url;
	int		 refs;		/* handles open on it */
	size_t		 open;		/* idle, lent or being made */
	size_t		 nidle;
	PGconn		*idle[PG_POOL_SIZE];
	pthread_cond_t	 back;		/* one came back, or a slot freed */
};

static pthread_mutex_t	 pools_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pg_pool	*pools;

/* Server NOTICEs ("relation already exists, skipping") are no news
 * for the daemon's log. */
static void
pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* The first line of libpq's message, for "state X: what: reason". */
static void
pg_conn_reason(PGconn *c, char *buf, size_t len)
{
	const char	*m = c != NULL ? PQerrorMessage(c) : "out of memory";

	snprintf(buf, len, "%.*s", (int)strcspn(m, "\n"), m);
}

PGconn *
pg_connect(const char *url, const char *shown, char *err, size_t errlen)
{
	/* later keywords win: the URL's own connect_timeout overrides */
	static const char *const keys[] = { "connect_timeout",
	    "application_name", "dbname", NULL };
	const char	*vals[] = { PG_CONNECT_TIMEOUT, "mailsift", url, NULL };
	PGconn		*c;
	char		 why[256];

	c = PQconnectdbParams(keys, vals, 1);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		pg_conn_reason(c, why, sizeof(why));
		snprintf(err, errlen, "state %s: connecting: %s", shown, why);
		PQfinish(c);
		return NULL;
	}
	(void)PQsetNoticeProcessor(c, pg_quiet, NULL);
	return c;
}

int
pg_pool_fix(PGconn *c)
{
	PQreset(c);
	if (PQstatus(c) != CONNECTION_OK)
		return -1;
	(void)PQsetNoticeProcessor(c, pg_quiet, NULL);
	return 0;
}

struct pg_pool *
pg_pool_get(const char *url)
{
	struct pg_pool	*p;

	pthread_mutex_lock(&pools_lock);
	for (p = pools; p != NULL; p = p->next)
		if (strcmp(p->url, url) == 0)
			break;
	if (p == NULL && (p = calloc(1, sizeof(*p))) != NULL) {
		if ((p->url = strdup(url)) == NULL ||
		    pthread_cond_init(&p->back, NULL) != 0) {
			free(p->url);
			free(p);
			p = NULL;
		} else {
			p->next = pools;
			pools = p;
		}
	}
	if (p != NULL)
		p->refs++;
	pthread_mutex_unlock(&pools_lock);
	return p;
}

void
pg_pool_put(struct pg_pool *p)
{
	struct pg_pool	**pp;
	size_t		 i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&pools_lock);
	if (--p->refs > 0) {
		pthread_mutex_unlock(&pools_lock);
		return;
	}
	for (pp = &pools; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	pthread_mutex_unlock(&pools_lock);
	/* the last handle is closed: nothing is lent any more */
	for (i = 0; i < p->nidle; i++)
		PQfinish(p->idle[i]);
	pthread_cond_destroy(&p->back);
	free(p->url);
	free(p);
}

/* Wait for an idle connection or a free slot; 0, or -1 after
 * PG_POOL_WAIT seconds.  Called and returns with pools_lock held. */
static int
pg_pool_wait(struct pg_pool *p)
{
	struct timespec	 until;

	if (clock_gettime(CLOCK_REALTIME, &until) == -1)
		return -1;
	until.tv_sec += PG_POOL_WAIT;
	while (p->nidle == 0 && p->open >= PG_POOL_SIZE)
		if (pthread_cond_timedwait(&p->back, &pools_lock, &until) ==
		    ETIMEDOUT)
			return -1;
	return 0;
}

PGconn *
pg_pool_lend(struct pg_pool *p, const char *shown, char *err, size_t errlen)
{
	PGconn	*c;

	pthread_mutex_lock(&pools_lock);
	if (pg_pool_wait(p) == -1) {
		pthread_mutex_unlock(&pools_lock);
		snprintf(err, errlen, "state %s: all %d connections stayed "
		    "busy for %d s", shown, PG_POOL_SIZE, PG_POOL_WAIT);
		return NULL;
	}
	if (p->nidle > 0) {
		c = p->idle[--p->nidle];
		pthread_mutex_unlock(&pools_lock);
		/* broken when last used (a server restart): try again now */
		if (PQstatus(c) == CONNECTION_OK || pg_pool_fix(c) == 0)
			return c;
		pg_pool_back(p, c);
		snprintf(err, errlen, "state %s: connecting: %.*s", shown,
		    (int)strcspn(PQerrorMessage(c), "\n"), PQerrorMessage(c));
		return NULL;
	}
	p->open++;
	pthread_mutex_unlock(&pools_lock);
	if ((c = pg_connect(p->url, shown, err, errlen)) == NULL) {
		pthread_mutex_lock(&pools_lock);
		p->open--;
		pthread_cond_signal(&p->back);
		pthread_mutex_unlock(&pools_lock);
	}
	return c;
}

void
pg_pool_back(struct pg_pool *p, PGconn *c)
{
	PGTransactionStatusType	 ts = PQtransactionStatus(c);

	/* never hand on a connection in the middle of something */
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
		PQclear(PQexec(c, "ROLLBACK"));
	else if (ts == PQTRANS_ACTIVE) {
		PQfinish(c);
		c = NULL;
	}
	pthread_mutex_lock(&pools_lock);
	if (c != NULL)
		p->idle[p->nidle++] = c;
	else
		p->open--;
	pthread_cond_signal(&p->back);
	pthread_mutex_unlock(&pools_lock);
}

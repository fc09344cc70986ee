/* SPDX-License-Identifier: ISC */
/*
 * imap-idle.c - after the round, with `idle = true`: wait for new mail
 * in the account's folders and fetch it as it comes, imap_idle().
 *
 * The round's session IDLEs on the first folder.  The others:
 *   - NOTIFY (RFC 5465), where the server offers it (Dovecot does) and
 *     idle-notify is on: the same session hears of them, a STATUS
 *     response naming the folder that changed;
 *   - else a connection each, in a thread of its own, that only
 *     EXAMINEs its folder, IDLEs and raises a flag: idle-max-folders
 *     connections in all (the round's included), since servers limit
 *     connections per user (Dovecot's default is 10); the folders left
 *     over, and any whose connection fails, are fetched every poll
 *     interval, and the log says so once.
 * Every fetch happens on the round's session, in the round's thread:
 * the pipeline is never shared.  A stop (SIGTERM) ends the watchers'
 * IDLE, each logs out, and the round's thread waits for them all.
 *
 * A session in IDLE sleeps on its socket and on descriptors that say
 * why else to wake - the process's stop (stop.h), a watcher's news for
 * the round's session, the round's end for the watchers - and at most
 * IDLE_LOOK_SEC: thousands of idle accounts cost no CPU.  At every
 * wake-up it also asks guard_ok() (guard.h): an account this daemon
 * may no longer work for ends its IDLE as for a stop.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/net/conn.h"
#include "daemon/source/imap-int.h"
#include "daemon/source/imap-notify.h"
#include "daemon/util/guard.h"
#include "daemon/util/log.h"
#include "daemon/util/thread.h"
#include "daemon/util/stop.h"
#include "daemon/util/wake.h"

/* Re-IDLE before the 30 minutes after which servers may drop us. */
#define IDLE_RENEW_SEC	(28 * 60)
/* The longest sleep between looks at what no descriptor announces (a
 * guard lost, the renewal time). */
#define IDLE_LOOK_SEC	30
/* The NOTIFY SET command, all folder names quoted. */
#define NOTIFY_CMD_MAX	(32 * 1024)

/* A folder watched from a connection of its own. */
struct idle_watch {
	struct imap	 s;
	const struct imap_round *round;
	const char	*folder;
	atomic_int	*dirty;		/* the set's flag for this folder */
	atomic_int	 failed;	/* the connection is gone: poll */
	atomic_int	 quit;		/* the round ends: log out */
	const struct wake *news;	/* raised with dirty or failed */
	const struct wake *quit_wake;	/* raised with quit */
	guard_fn	 guard;		/* the round thread's, for this one */
	void		*guard_arg;
	pthread_t	 th;
	int		 started;
};

struct idle_set {
	struct imap	*s;		/* the round's session */
	const struct imap_round *round;
	size_t		 n;		/* the account's folders */
	atomic_int	*dirty;		/* [n]: new mail seen, to fetch */
	unsigned char	*polled;	/* [n]: fetched at the interval */
	char		**raw;		/* [n]: NOTIFY: names as on the wire */
	struct idle_watch *w;
	size_t		 nw;
	time_t		 next_poll;
	struct wake	 news;		/* watchers -> the round's session */
	struct wake	 quit;		/* the round's session -> watchers */
};

/* Why else an IDLE ends: wake(ctx) says so; fd is readable when it may
 * (-1: none); look at least every max_sec. */
struct idle_why {
	int		(*wake)(void *ctx);
	void		*ctx;
	int		 fd;
	long		 max_sec;
};

/* Sleep until the socket has data, a stop, why->fd, or the time to
 * look again; 1 with data, 0 without, -1 on error. */
static int
idle_sleep(struct imap *s, const struct idle_why *why, time_t renew)
{
	time_t	 now = time(NULL);
	long	 sec = why->max_sec;
	int	 fds[2], ms;

	if (sec > renew - now)
		sec = renew - now;
	ms = sec > 0 ? (int)sec * 1000 : 0;
	fds[0] = stop_wait_fd(&ms);
	fds[1] = why->fd;
	return conn_wait_readable_or(s->c, ms, fds, 2);
}

/* IDLE until the selected folder changes, why says so, the renewal
 * time, a stop, or the guard says the account is no longer ours. */
static int
idle_wait(struct imap *s, const struct idle_why *why)
{
	char	 tag[16];
	time_t	 renew = time(NULL) + IDLE_RENEW_SEC;
	int	 r;

	/*
	 * New mail announced since the folder's SELECT, in the response to
	 * the round's last command (Cyrus does), is not announced again in
	 * IDLE: the caller fetches first.
	 */
	if (s->exists_changed)
		return 0;
	/* hours in IDLE need no message-sized buffers */
	imap_resp_free(&s->r);
	if (imap_send(s, tag, sizeof(tag), "IDLE") == -1)
		return -1;
	if ((r = imap_wait(s, tag)) != 1) {
		if (r == 0)
			snprintf(s->err, sizeof(s->err), "IDLE ended at once");
		return -1;
	}
	/* make bench-accounts counts these: the time until all are in */
	log_debug("%s: in IDLE", s->acct->name);
	/* hours of waiting need neither buffers nor a deep stack; the
	 * log line above was the deepest call before the wait */
	conn_idle(s->c);
	thread_stack_trim();
	while (!s->exists_changed && !stop_requested() && guard_ok() &&
	    !why->wake(why->ctx) && time(NULL) < renew) {
		if ((r = idle_sleep(s, why, renew)) == -1) {
			snprintf(s->err, sizeof(s->err), "%s",
			    conn_error(s->c));
			return -1;
		}
		if (r == 1 && imap_read_untagged(s) == -1)
			return -1;
	}
	if (conn_printf(s->c, "DONE\r\n") == -1 || conn_flush(s->c) == -1) {
		snprintf(s->err, sizeof(s->err), "%s", conn_error(s->c));
		return -1;
	}
	return imap_wait_done(s, tag);
}

/* --- a watcher: its own connection, its own thread -------------------- */

static int
watch_wake(void *ctx)
{
	struct idle_watch	*w = ctx;

	return atomic_load(&w->quit);
}

static void *
watch_run(void *arg)
{
	struct idle_watch	*w = arg;
	struct imap		*s = &w->s;
	/* no descriptor to hear the round's end by: look every second */
	struct idle_why		 why = { watch_wake, w, w->quit_wake->rd,
				    w->quit_wake->rd != -1 ? IDLE_LOOK_SEC : 1 };

	guard_set(w->guard, w->guard_arg);
	log_context_account(s->acct->name);
	if (imap_session_start(s) == -1 ||
	    w->round->folder_select(s, w->folder, 1) == -1)
		goto fail;
	while (!stop_requested() && guard_ok() && !atomic_load(&w->quit)) {
		if (idle_wait(s, &why) == -1)
			goto fail;
		if (s->exists_changed) {
			/* handed on: the main session fetches the folder */
			atomic_store(w->dirty, 1);
			wake_raise(w->news);
			s->exists_changed = 0;
		}
	}
	if (!s->broken && !s->bye)
		(void)imap_cmd(s, "LOGOUT");
	log_context_account(NULL);
	return NULL;
fail:
	if (!stop_requested() && !atomic_load(&w->quit))
		log_warn("%s: folder %s: its IDLE connection failed (%s): "
		    "fetched every %ld s instead", s->acct->name, w->folder,
		    s->err[0] != '\0' ? s->err : "closed", s->acct->poll);
	atomic_store(&w->failed, 1);
	atomic_store(w->dirty, 1);	/* what came meanwhile */
	wake_raise(w->news);
	log_context_account(NULL);
	return NULL;
}

static void
watchers_start(struct idle_set *set)
{
	const struct account	*a = set->s->acct;
	size_t			 i, max = (size_t)a->idle_max_folders;

	if (max < 1)
		max = 1;
	set->nw = set->n < max ? set->n - 1 : max - 1;
	/* without them, both sides look every second: slower, still right */
	if (set->nw > 0 && (wake_open(&set->news) == -1 ||
	    wake_open(&set->quit) == -1))
		log_warn("%s: cannot make a pipe for the IDLE watchers (%s): "
		    "each looks for news every second", a->name,
		    strerror(errno));
	if (set->nw > 0 && (set->w = calloc(set->nw, sizeof(*set->w))) ==
	    NULL) {
		log_warn("%s: out of memory: the folders other than %s are "
		    "fetched every %ld s", a->name, a->folders[0], a->poll);
		set->nw = 0;
	}
	for (i = 0; i < set->nw; i++) {
		struct idle_watch *w = &set->w[i];

		imap_session_init(&w->s, a, set->s->pl);
		w->round = set->round;
		w->folder = a->folders[i + 1];
		w->dirty = &set->dirty[i + 1];
		w->news = &set->news;
		w->quit_wake = &set->quit;
		guard_get(&w->guard, &w->guard_arg);
		if (thread_start(&w->th, THREAD_STACK_WATCHER, watch_run,
		    w) != 0) {
			log_warn("%s: folder %s: cannot start a thread to "
			    "watch it: fetched every %ld s", a->name,
			    w->folder, a->poll);
			atomic_store(&w->failed, 1);
			continue;
		}
		w->started = 1;
	}
	for (i = set->nw + 1; i < set->n; i++)
		set->polled[i] = 1;
	if (set->n > set->nw + 1)
		log_info("%s: idle-max-folders is %d: %zu folder(s) from %s on "
		    "are not watched with IDLE but fetched every %ld s",
		    a->name, a->idle_max_folders, set->n - set->nw - 1,
		    a->folders[set->nw + 1], a->poll);
}

static void
watchers_stop(struct idle_set *set)
{
	size_t	 i;

	for (i = 0; i < set->nw; i++)
		atomic_store(&set->w[i].quit, 1);
	wake_raise(&set->quit);
	for (i = 0; i < set->nw; i++) {
		if (set->w[i].started)
			pthread_join(set->w[i].th, NULL);
		imap_session_free(&set->w[i].s);
	}
	free(set->w);
	set->w = NULL;
	set->nw = 0;
}

/* --- NOTIFY: one session hears of every folder ------------------------ */

static int
notify_status(struct imap *s, struct imap_scan *sc)
{
	struct idle_set		*set = s->status_ctx;
	struct imap_status	 st;
	char			 name[4 * IMAP_FOLDER_MAX];
	long			 i;
	size_t			 j;

	if (imap_status_parse(sc, name, sizeof(name), &st) == -1)
		return -1;
	if ((i = imap_notify_match((const char *const *)set->raw, set->n,
	    name)) != -1) {
		atomic_store(&set->dirty[i], 1);
		return 0;
	}
	/* a name we cannot place (the server spelled it its own way):
	 * looking at every folder is safe */
	for (j = 0; j < set->n; j++)
		atomic_store(&set->dirty[j], 1);
	return 0;
}

/* NOTIFY SET for all the folders: 0, or -1 when the server refused it
 * (then the session still works: the caller falls back). */
static int
notify_start(struct idle_set *set)
{
	struct imap	*s = set->s;
	char		 server[IMAP_FOLDER_MAX + 1], q[4 * IMAP_FOLDER_MAX];
	char		**quoted, *cmd = NULL;
	size_t		 i;
	int		 rv = -1;

	if ((set->raw = calloc(set->n, sizeof(*set->raw))) == NULL ||
	    (quoted = calloc(set->n, sizeof(*quoted))) == NULL)
		return -1;
	for (i = 0; i < set->n; i++) {
		if (set->round->folder_name(s, s->acct->folders[i], server,
		    sizeof(server), q, sizeof(q)) == -1 ||
		    (quoted[i] = strdup(q)) == NULL ||
		    (set->raw[i] = malloc(sizeof(q))) == NULL ||
		    imap_unquote(q, set->raw[i], sizeof(q)) == -1)
			goto out;
	}
	if ((cmd = malloc(NOTIFY_CMD_MAX)) == NULL ||
	    imap_notify_cmd((const char *const *)quoted, set->n, cmd,
	    NOTIFY_CMD_MAX) == -1)
		goto out;
	s->status_response = notify_status;
	s->status_ctx = set;
	rv = imap_cmd(s, "%s", cmd);
out:
	for (i = 0; i < set->n; i++)
		free(quoted[i]);
	free(quoted);
	free(cmd);
	if (rv == -1) {
		s->status_response = NULL;
		s->status_ctx = NULL;
	}
	return rv;
}

/* --- the round's side ------------------------------------------------- */

static int
polled_any(const struct idle_set *set)
{
	size_t	 i;

	for (i = 0; i < set->nw; i++)
		if (atomic_load(&set->w[i].failed))
			return 1;
	for (i = 1; i < set->n; i++)
		if (set->polled[i])
			return 1;
	return 0;
}

static int
main_wake(void *ctx)
{
	struct idle_set	*set = ctx;
	size_t		 i;

	/* down before the flags are read: news raised meanwhile stays */
	wake_clear(&set->news);
	for (i = 1; i < set->n; i++)
		if (atomic_load(&set->dirty[i]))
			return 1;
	return time(NULL) >= set->next_poll && polled_any(set);
}

/* Fetch the folders other than the first that have news, or whose
 * poll time came. */
static int
others_fetch(struct idle_set *set)
{
	struct imap	*s = set->s;
	int		 due = time(NULL) >= set->next_poll;
	size_t		 i;

	for (i = 1; i < set->n && !stop_requested(); i++) {
		int polled = set->polled[i] || (i <= set->nw &&
		    atomic_load(&set->w[i - 1].failed));

		if (!atomic_exchange(&set->dirty[i], 0) && !(due && polled))
			continue;
		log_debug("%s: folder %s: %s", s->acct->name,
		    s->acct->folders[i], polled ? "poll" : "new mail");
		if (set->round->folder_fetch(s, s->acct->folders[i]) == -1)
			return -1;
		/* mail that came while it was fetched: again, next turn */
		if (s->exists_changed)
			atomic_store(&set->dirty[i], 1);
	}
	if (due)
		set->next_poll = time(NULL) + s->acct->poll;
	return 0;
}

static int
set_init(struct idle_set *set, struct imap *s)
{
	memset(set, 0, sizeof(*set));
	set->news.rd = set->news.wr = -1;
	set->quit.rd = set->quit.wr = -1;
	set->s = s;
	set->n = s->acct->nfolders;
	set->next_poll = time(NULL) + s->acct->poll;
	if ((set->dirty = calloc(set->n, sizeof(*set->dirty))) == NULL ||
	    (set->polled = calloc(set->n, 1)) == NULL) {
		free(set->dirty);
		snprintf(s->err, sizeof(s->err), "out of memory");
		return -1;
	}
	return 0;
}

static void
set_free(struct idle_set *set)
{
	size_t	 i;

	watchers_stop(set);
	wake_close(&set->news);
	wake_close(&set->quit);
	set->s->status_response = NULL;
	set->s->status_ctx = NULL;
	for (i = 0; set->raw != NULL && i < set->n; i++)
		free(set->raw[i]);
	free(set->raw);
	free(set->dirty);
	free(set->polled);
}

/* How the folders other than the first are watched. */
static void
set_watch(struct idle_set *set)
{
	struct imap	*s = set->s;

	if (set->n < 2)
		return;
	if ((s->caps & CAP_NOTIFY) && s->acct->idle_notify) {
		if (notify_start(set) == 0) {
			log_info("%s: NOTIFY: %zu folders watched on one "
			    "connection", s->acct->name, set->n);
			return;
		}
		if (s->bye || s->broken)
			return;
		log_warn("%s: the server offers NOTIFY, but it could not be "
		    "set up (%s): one connection per folder instead",
		    s->acct->name, s->err[0] != '\0' ? s->err : "out of memory");
		s->err[0] = '\0';
	}
	watchers_start(set);
}

/* What the round's session waits for besides its folder: the
 * watchers' news, and the poll time of the folders left to polling. */
static void
main_why(struct idle_set *set, struct idle_why *why)
{
	time_t	 now = time(NULL);

	why->wake = main_wake;
	why->ctx = set;
	why->fd = set->news.rd;
	why->max_sec = IDLE_LOOK_SEC;
	if (set->nw > 0 && set->news.rd == -1)
		why->max_sec = 1;
	if (polled_any(set) && set->next_poll - now < why->max_sec)
		why->max_sec = set->next_poll > now ?
		    (long)(set->next_poll - now) : 0;
}

int
imap_idle(struct imap *s, const struct imap_round *round)
{
	const char	*first = s->acct->folders[0];
	struct idle_set	 set;
	struct idle_why	 why;
	int		 r, rv = 0;

	if (!(s->caps & CAP_IDLE)) {
		snprintf(s->err, sizeof(s->err), "server does not support "
		    "IDLE; set idle no to poll instead");
		return -1;
	}
	if (set_init(&set, s) == -1)
		return -1;
	set.round = round;
	set_watch(&set);
	while (!stop_requested() && guard_ok() && !s->bye && !s->broken) {
		if ((s->folder == NULL || strcmp(s->folder, first) != 0) &&
		    round->folder_fetch(s, first) == -1) {
			rv = -1;
			break;
		}
		pipeline_idle(s->pl, 1);
		main_why(&set, &why);
		r = idle_wait(s, &why);
		pipeline_idle(s->pl, 0);
		if (r == 0 && !guard_ok())
			break;	/* not ours to fetch any more: as a stop */
		if (r == -1 || (s->exists_changed &&
		    round->folder_fetch(s, first) == -1) ||
		    others_fetch(&set) == -1) {
			rv = -1;
			break;
		}
	}
	if (s->bye || s->broken)
		rv = -1;
	set_free(&set);
	return rv;
}

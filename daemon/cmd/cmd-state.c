/* SPDX-License-Identifier: ISC */
/*
 * cmd-state.c - `mailsift state`: show what the state file records, per
 * account and folder (every message with -v), and `mailsift state
 * forget`, which drops records so that those messages are fetched again.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/cmd/cmd.h"
#include "daemon/store/queue.h"
#include "daemon/store/state.h"


struct show {
	struct state	*st;
	int		 verbose;
	int		 rows;
	int		 failed;
};

static void
state_usage(void)
{
	fprintf(stderr,
	    "usage: mailsift state -s STATE [--account A] [-v]\n"
	    "       mailsift state forget -s STATE --account A "
	    "[--folder F] (--uid N | --uidl X | --all)\n");
}

static const char *
time_text(int64_t t, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (t == 0 || localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return "-";
	return buf;
}

static int
show_message(const struct state_msg_info *mi, void *arg)
{
	char	 id[32], tbuf[32];

	(void)arg;
	if (mi->uidl != NULL)
		snprintf(id, sizeof(id), "uidl %.20s", mi->uidl);
	else
		snprintf(id, sizeof(id), "uid %u/%u", mi->uidvalidity, mi->uid);
	printf("    %-24s %-9s %s %10llu %s", id, mi->status,
	    time_text(mi->time, tbuf, sizeof(tbuf)),
	    (unsigned long long)mi->size,
	    mi->message_id != NULL && *mi->message_id != '\0' ?
	    mi->message_id : "-");
	if (mi->location != NULL)
		printf(" %s", mi->location);
	if (mi->reason != NULL)
		printf(" (%s)", mi->reason);
	putchar('\n');
	return 0;
}

static int
show_folder(const struct state_folder_info *fi, void *arg)
{
	struct show	*sh = arg;
	char		 uv[16], tbuf[32], err[1024];

	if (sh->rows++ == 0)
		printf("%-16s %-20s %11s %9s %7s %9s %9s %7s %s\n", "ACCOUNT",
		    "FOLDER", "UIDVALIDITY", "DELIVERED", "SKIPPED",
		    "DUPLICATE", "SET-ASIDE", "PENDING", "LAST DELIVERY");
	snprintf(uv, sizeof(uv), "%u", fi->uidvalidity);
	printf("%-16s %-20s %11s %9llu %7llu %9llu %9llu %7llu %s\n",
	    fi->account, *fi->folder == '\0' ? "-" : fi->folder,
	    fi->uidvalidity == 0 ? "-" : uv,
	    (unsigned long long)fi->delivered,
	    (unsigned long long)fi->skipped,
	    (unsigned long long)fi->duplicates,
	    (unsigned long long)fi->set_aside,
	    (unsigned long long)fi->pending,
	    time_text(fi->last, tbuf, sizeof(tbuf)));
	if (sh->verbose && state_messages_list(sh->st, fi->account,
	    fi->folder, show_message, NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "mailsift: %s\n", err);
		sh->failed = 1;
		return -1;
	}
	return 0;
}

/* The webhook queue's counts, when it has anything (queue.h). */
static int
show_webhooks(struct state *st)
{
	struct queue_counts	 c;
	char			 err[1024];

	if (state_queue_counts(st, "webhook", &c, err, sizeof(err)) == -1) {
		fprintf(stderr, "mailsift: %s\n", err);
		return -1;
	}
	if (c.queued + c.delivered + c.failed + c.expired == 0)
		return 0;
	printf("webhooks: %llu queued, %llu delivered, %llu refused, %llu "
	    "given up\n", (unsigned long long)c.queued,
	    (unsigned long long)c.delivered, (unsigned long long)c.failed,
	    (unsigned long long)c.expired);
	return 0;
}

static int
state_show(const char *path, const char *account, int verbose)
{
	struct show	 sh;
	char		 err[1024];
	int		 rv = 1;

	memset(&sh, 0, sizeof(sh));
	sh.verbose = verbose;
	if ((sh.st = state_open(path, STATE_EXISTING, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "mailsift: %s\n", err);
		return 1;
	}
	if (state_folders_list(sh.st, account, show_folder, &sh, err,
	    sizeof(err)) == -1)
		fprintf(stderr, "mailsift: %s\n", err);
	else if (!sh.failed) {
		if (sh.rows == 0)
			printf("nothing recorded%s%s in %s\n", account ?
			    " for account " : "", account ? account : "",
			    state_path(sh.st));
		rv = show_webhooks(sh.st) == -1 ? 1 : 0;
	}
	state_close(sh.st);
	return rv;
}

static int
parse_uid(const char *s, uint32_t *uid)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *s < '1' || *s > '9' || *end != '\0' ||
	    v > UINT32_MAX) {
		fprintf(stderr, "mailsift: state forget: bad UID \"%s\" "
		    "(a number from 1 to %lu)\n", s, (unsigned long)UINT32_MAX);
		return -1;
	}
	*uid = (uint32_t)v;
	return 0;
}

struct forget_opts {
	const char	*path;
	const char	*account;
	const char	*folder;
	const char	*uid;
	const char	*uidl;
	int		 all;
};

static int
state_forget_run(const struct forget_opts *o)
{
	struct state	*st;
	uint32_t	 uid;
	uint64_t	 n;
	char		 err[1024];
	int		 rv;

	if (o->uid != NULL && parse_uid(o->uid, &uid) == -1)
		return 2;
	if ((st = state_open(o->path, STATE_EXISTING, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "mailsift: %s\n", err);
		return 1;
	}
	rv = state_forget(st, o->account, o->folder, o->uid ? &uid : NULL,
	    o->uidl, &n, err, sizeof(err));
	state_close(st);
	if (rv == -1) {
		fprintf(stderr, "mailsift: %s\n", err);
		return 1;
	}
	if (n == 0 && !o->all) {
		fprintf(stderr, "mailsift: state forget: nothing recorded for "
		    "account %s%s%s with %s %s\n", o->account,
		    o->folder ? " folder " : "", o->folder ? o->folder : "",
		    o->uid ? "UID" : "UIDL", o->uid ? o->uid : o->uidl);
		return 1;
	}
	printf("forgot %llu message(s) of account %s%s%s; they will be "
	    "fetched again\n", (unsigned long long)n, o->account,
	    o->folder ? " folder " : "", o->folder ? o->folder : "");
	return 0;
}

static int
state_forget_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "account", required_argument, NULL, 'a' },
		{ "folder", required_argument, NULL, 'f' },
		{ "uid", required_argument, NULL, 'u' },
		{ "uidl", required_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 }
	};
	struct forget_opts	 o;
	int			 c;

	memset(&o, 0, sizeof(o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.path = optarg;
			break;
		case 'a':
			o.account = optarg;
			break;
		case 'f':
			o.folder = optarg;
			break;
		case 'u':
			o.uid = optarg;
			break;
		case 'l':
			o.uidl = optarg;
			break;
		case 'A':
			o.all = 1;
			break;
		default:
			state_usage();
			return 2;
		}
	}
	if (optind != argc || o.path == NULL || o.account == NULL ||
	    (o.uid != NULL) + (o.uidl != NULL) + o.all != 1 ||
	    (o.uid != NULL && o.folder == NULL)) {
		if (o.uid != NULL && o.folder == NULL)
			fprintf(stderr, "mailsift: state forget: --uid needs "
			    "--folder\n");
		state_usage();
		return 2;
	}
	return state_forget_run(&o);
}

int
cmd_state(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "account", required_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*path = NULL, *account = NULL;
	int		 c, verbose = 0;

	if (argc >= 2 && strcmp(argv[1], "forget") == 0)
		return state_forget_cmd(argc - 1, argv + 1);
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:v", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'a':
			account = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			state_usage();
			return 2;
		}
	}
	if (optind != argc || path == NULL) {
		state_usage();
		return 2;
	}
	return state_show(path, account, verbose);
}

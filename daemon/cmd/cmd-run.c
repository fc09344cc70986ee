/* SPDX-License-Identifier: ISC */
/*
 * cmd-run.c - `mailsift run`: fetch, filter and deliver, once or forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/cluster/cluster.h"
#include "daemon/cmd/cmd.h"
#include "daemon/conf/conf.h"
#include "daemon/deliver/deliver.h"
#include "daemon/metrics/metrics.h"
#include "daemon/oauth/oauth.h"
#include "daemon/util/log.h"
#include "daemon/conf/rulesets.h"
#include "daemon/sched/sched.h"
#include "daemon/source/imap-dest.h"
#include "daemon/source/source.h"
#include "daemon/status/status.h"
#include "daemon/store/lease.h"
#include "daemon/store/state.h"

static void
run_usage(void)
{
	fprintf(stderr, "usage: mailsift run [-c FILE] [--once] [--dry-run] "
	    "[--daemon] [--pidfile FILE] [--node NAME] [-v|-vv]\n");
}

/* Started as root with `user` set: become that user for good. */
static int
drop_privileges(const char *user)
{
	struct passwd	*pw;

	if (getuid() != 0 || user == NULL)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_error("user %s: no such user (option user)", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1) {
		log_error("cannot become user %s: %s", user, strerror(errno));
		return -1;
	}
	if (setenv("HOME", pw->pw_dir, 1) == -1)
		return -1;
	return 0;
}

/*
 * The pidfile is written before privileges are dropped, in a directory
 * others may write: never through a symlink (O_NOFOLLOW), never into a
 * FIFO, device or directory, never into a file with a second name (a hard
 * link to some other file) or another user's file.  One left by a
 * mailsift that is gone is taken over; one whose lock is held (flock,
 * for as long as that mailsift lives) means another mailsift is running.
 */
static int
pidfile_check(int fd, const char *path)
{
	struct stat	 sb;

	if (fstat(fd, &sb) == -1) {
		log_error("pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_nlink != 1 ||
	    sb.st_uid != geteuid()) {
		log_error("pidfile %s: not a regular file of ours with one "
		    "name (a hard link, a device, another user's?): refused; "
		    "remove it or choose another path", path);
		return -1;
	}
	return 0;
}

static int
pidfile_write(const char *path)
{
	char	 buf[32];
	int	 fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0644);
	if (fd == -1) {
		log_error("pidfile %s: %s%s", path, strerror(errno),
		    errno == ELOOP ? " (a symlink: refused)" : "");
		return -1;
	}
	if (pidfile_check(fd, path) == -1)
		goto fail;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_error("pidfile %s: another mailsift is running", path);
		goto fail;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, buf, (size_t)n) != n) {
		log_error("pidfile %s: %s", path, strerror(errno));
		goto fail;
	}
	return 0;	/* fd stays open: the lock lives as long as we do */
fail:
	close(fd);
	return -1;
}

/*
 * Settle what a crash left in the journal.  The handle is kept open for
 * the life of the process: its claim on the state file keeps a second
 * mailsift from "recovering" deliveries this one has in flight.
 */
static struct state *
recover(const struct config *cfg)
{
	struct state	*st;
	char		 err[1024];

	if ((st = state_open(cfg->state, 0, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		return NULL;
	}
	/* imap: targets reach their destination through the IMAP session
	 * of the source: handed over here, deliver/ never calls it */
	imap_client_set(&imap_dest_client);
	/* shared: other daemons' intents are not ours; each account's are
	 * settled by the round that holds its lease (sched.c), and the
	 * leases, not a claim, say who works what */
	if (state_shared(st))
		return st;
	if (delivery_recover(st, cfg, err, sizeof(err)) == -1) {
		log_error("recovery: %s", err);
		state_close(st);
		return NULL;
	}
	return st;
}

/* --node NAME, else the host name: what `pin` compares and status
 * shows. */
static int
node_pick(const char *given, char *buf, size_t len)
{
	const char	*why;

	if (given == NULL) {
		if (cluster_default_node(buf, len) == 0)
			return 0;
		fprintf(stderr, "mailsift: the host name is no usable node "
		    "name: give one with --node NAME\n");
		return -1;
	}
	if ((why = conf_node_check(given)) != NULL) {
		fprintf(stderr, "mailsift: --node '%s' %s\n", given, why);
		return -1;
	}
	snprintf(buf, len, "%s", given);
	return 0;
}

/* The leases of a shared store (cluster.h), handed to sched/. */
static int
cluster_begin(const struct config *cfg, const char *node,
    struct run_opts *opts)
{
	char	 err[1024];

	if ((opts->cluster = cluster_start(cfg, node, err,
	    sizeof(err))) == NULL) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

/* /metrics and the status page, for the accounts configured now (a
 * reload's new accounts join at their first round; a new metrics-listen
 * takes a restart). */
static struct status_server *
metrics_listen(const struct config *cfg)
{
	struct status_server	*sv;
	char			 err[1024];
	size_t			 i;

	for (i = 0; i < cfg->naccounts; i++)
		metrics_account(cfg->accounts[i].name);
	if ((sv = status_serve_start(cfg->metrics_listen, cfg->state, err,
	    sizeof(err))) == NULL)
		log_error("%s", err);
	else
		log_info("metrics-listen: serving /metrics and / on %s",
		    cfg->metrics_listen);
	return sv;
}

int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "node", required_argument, NULL, 'N' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct run_opts	 opts = { 0, 0, NULL, NULL };
	struct config	*cfg;
	struct rule_set	**rules;
	struct state	*claim = NULL;
	struct status_server *listener = NULL;
	const char	*pidfile = NULL, *node_arg = NULL;
	char		 path[4096], err[1024], node[CONF_NODE_MAX + 1];
	int		 ch, verbose = 0, detach = 0, rv;

	while ((ch = getopt_long(argc, argv, "c:ondp:vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			opts.config_path = optarg;
			break;
		case 'o':
			opts.once = 1;
			break;
		case 'n':
			opts.dry_run = 1;
			break;
		case 'd':
			detach = 1;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'N':
			node_arg = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			run_usage();
			return ch == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		run_usage();
		return 2;
	}
	if (node_pick(node_arg, node, sizeof(node)) == -1)
		return 2;
	if (opts.config_path == NULL) {
		if (config_default_path(path, sizeof(path)) == -1) {
			fprintf(stderr, "mailsift: no configuration file "
			    "(use -c FILE)\n");
			return 1;
		}
		opts.config_path = path;
	}
	if ((cfg = config_load(opts.config_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailsift: %s\n", err);
		return 1;
	}
	/* auth = oauth2 logins find their grants there */
	if (oauth_session_init(cfg->state) == -1) {
		fprintf(stderr, "mailsift: state path too long\n");
		config_free(cfg);
		return 1;
	}
	if ((rules = rulesets_load(cfg, source_rule_flags, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "mailsift: %s\n", err);
		config_free(cfg);
		return 1;
	}
	log_init(cfg->log_syslog || detach, verbose >= 2 ? LOG_LEVEL_TRACE :
	    verbose == 1 && cfg->log_level < LOG_LEVEL_DEBUG ?
	    LOG_LEVEL_DEBUG : (enum log_level)cfg->log_level);
	log_set_format((enum log_format)cfg->log_format);
	sched_signals_init();
	if (detach && daemon(0, 0) == -1) {
		log_error("cannot detach: %s", strerror(errno));
		rv = 1;
		goto out;
	}
	if ((pidfile != NULL && pidfile_write(pidfile) == -1) ||
	    drop_privileges(cfg->user) == -1 ||
	    (claim = recover(cfg)) == NULL) {
		rv = 1;
		goto out;
	}
	if (!opts.once && cfg->metrics_listen != NULL &&
	    (listener = metrics_listen(cfg)) == NULL) {
		rv = 1;
		goto out;
	}
	if (cluster_begin(cfg, node, &opts) == -1) {
		rv = 1;
		goto out;
	}
	if (opts.once)
		rv = sched_run_once(cfg, rules, &opts);
	else
		rv = sched_run_forever(&cfg, &rules, &opts);
out:
	status_serve_stop(listener);
	if (claim != NULL)
		state_close(claim);
	rulesets_free(rules, cfg->naccounts);
	config_free(cfg);
	return rv;
}

/* SPDX-License-Identifier: ISC */
/*
 * cmd-check.c - `mailsift check [-c FILE]`: load the configuration and
 * its rule files, open an existing state, show one line per account and
 * smtp server and say whether it is usable: what `run` would refuse at
 * start, `check` refuses.  Nothing is contacted, no password-command is
 * run and nothing is created; passwords are never shown.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/cmd/cmd.h"
#include "daemon/conf/conf.h"
#include "daemon/conf/oauth2.h"
#include "daemon/conf/rulesets.h"
#include "daemon/source/source.h"
#include "daemon/store/oauth.h"
#include "daemon/store/state.h"

static void
check_usage(void)
{
	fprintf(stderr, "usage: mailsift check [-c FILE]\n");
}

static void
check_print_folders(const struct account *a)
{
	size_t	 i;

	printf(" folders=");
	for (i = 0; i < a->nfolders; i++)
		printf("%s%s", i == 0 ? "" : ",", a->folders[i]);
}

static void
check_print_account(const struct account *a)
{
	const struct source *src = source_of(a);

	printf("account %s: %s", a->name, src->name);
	if (src->caps & SOURCE_SERVER) {
		printf(" %s:%s tls=%s", a->ep.host, a->ep.port,
		    tls_mode_name(a->ep.tls));
		if (!a->ep.tls_verify)
			printf(" tls-verify=no");
		printf(" user=%s", a->ep.user);
		if (a->ep.oauth2 != NULL)
			printf(" auth=oauth2(%s)",
			    oauth2_provider_name(a->ep.oauth2->provider));
	}
	if (src->caps & SOURCE_PATH)
		printf(" %s", a->path);
	if (src->caps & SOURCE_FOLDERS)
		check_print_folders(a);
	if (a->idle)
		printf(" idle");
	if (a->rules != NULL)
		printf(" rules=%s", a->rules);
	if (!a->fetch)
		printf(" fetch=no (a destination only)");
	if (a->deliver != NULL)
		printf(" deliver=%s", a->deliver);
	printf("\n");
}

static void
check_print_smtp(const struct smtp_server *s)
{
	printf("smtp %s: %s:%s tls=%s from=%s\n", s->name, s->ep.host,
	    s->ep.port, tls_mode_name(s->ep.tls), s->from);
}

/* The rule files as `run` loads them, and the state if there is one
 * (`run` would create a missing one; `check` creates nothing). */
static int
check_rules_state(const struct config *conf)
{
	struct rule_set	**rules;
	struct state	 *st;
	char		  err[1024];
	int		  rc;

	if ((rules = rulesets_load(conf, source_rule_flags, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "mailsift: %s\n", err);
		return -1;
	}
	rulesets_free(rules, conf->naccounts);
	if ((rc = state_exists(conf->state, err, sizeof(err))) == 0)
		return 0;
	if (rc == -1 || (st = state_open(conf->state, STATE_EXISTING, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "mailsift: %s\n", err);
		return -1;
	}
	state_close(st);
	return 0;
}

/* What `run` would find of each oauth2 account's grant: a warning for
 * one that has none yet or needs a new login (the configuration is
 * fine; the login is the user's next step, not an error). */
static void
check_oauth_grants(const struct config *conf)
{
	const struct account	*a;
	struct oauth_grant	 g;
	struct state		*st = NULL;
	char			 err[1024];
	size_t			 i;
	int			 rc;

	for (i = 0; i < conf->naccounts; i++) {
		a = &conf->accounts[i];
		if (a->ep.oauth2 == NULL ||
		    a->ep.oauth2->flow == OAUTH2_FLOW_CLIENT_CREDENTIALS)
			continue;
		if (st == NULL && state_exists(conf->state, err,
		    sizeof(err)) == 1)
			st = state_open(conf->state, STATE_EXISTING, err,
			    sizeof(err));
		rc = st == NULL ? 0 : state_oauth_get(st, a->name, &g, err,
		    sizeof(err));
		if (rc == 1 && !g.needs_login) {
			state_oauth_grant_clear(&g);
			continue;
		}
		if (rc == 1)
			state_oauth_grant_clear(&g);
		fflush(stdout);
		fprintf(stderr, "mailsift: warning: account '%s': %s; run "
		    "`mailsift auth login %s`\n", a->name, rc == 1 ?
		    "its OAuth2 grant needs a new login" : rc == 0 ?
		    "no OAuth2 grant yet" : err, a->name);
	}
	if (st != NULL)
		state_close(st);
}

/* Fine for `send`, not for `run`: say which, and fail as `run` would. */
static int
check_no_account(struct config *conf)
{
	fflush(stdout);
	fprintf(stderr, "mailsift: %s: %s: `mailsift run` needs one%s\n",
	    conf->path, CONFIG_NO_ACCOUNT, conf->nsmtp > 0 ? " (`mailsift "
	    "send` can use this file as it is)" : "");
	config_free(conf);
	return 1;
}

int
cmd_check(int argc, char **argv)
{
	struct config	*conf;
	char		 path[PATH_MAX], err[1024];
	const char	*file = NULL;
	size_t		 i;
	int		 ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "c:")) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		default:
			check_usage();
			return 2;
		}
	}
	if (optind != argc) {
		check_usage();
		return 2;
	}
	if (file == NULL) {
		if (config_default_path(path, sizeof(path)) == -1) {
			fprintf(stderr, "mailsift: %s\n", path);
			return 1;
		}
		file = path;
	}
	if ((conf = config_load_opts(file, CONFIG_ACCOUNTS_OPTIONAL, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "mailsift: %s\n", err);
		return 1;
	}
	if (check_rules_state(conf) == -1) {
		config_free(conf);
		return 1;
	}
	for (i = 0; i < conf->naccounts; i++)
		check_print_account(&conf->accounts[i]);
	for (i = 0; i < conf->nsmtp; i++)
		check_print_smtp(&conf->smtp[i]);
	check_oauth_grants(conf);
	if (conf->naccounts == 0)
		return check_no_account(conf);
	config_free(conf);
	printf("configuration ok\n");
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "mailsift: check: cannot write the summary\n");
		return 1;
	}
	return 0;
}

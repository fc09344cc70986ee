/* SPDX-License-Identifier: ISC */
/*
 * cmd-auth.c - `mailsift auth ...`: the OAuth2 grants of the accounts
 * with auth = oauth2 (daemon/oauth/).
 *
 *   auth status [-c FILE]   each grant: provider, scopes, access-token
 *                           expiry, last refresh, state (ok / needs
 *                           login); no token is printed
 *   auth token [-c FILE] ACCOUNT
 *                           a valid access token on stdout, refreshed if
 *                           need be: for password-command of a tool (or
 *                           an account) that cannot do OAuth2 itself
 *   auth login --device [-c FILE] ACCOUNT
 *                           the device grant (RFC 8628): shows where to
 *                           go and the code to type, waits for approval
 *   auth logout [-c FILE] ACCOUNT
 *                           revokes the refresh token where the provider
 *                           can (RFC 7009), forgets the grant; exit 0 if
 *                           revoked or the provider has no revocation
 *                           endpoint, 1 if revocation failed (the grant
 *                           is forgotten all the same) or on error
 *
 *   auth login [-c FILE] [--no-browser] [--timeout SECONDS] [-v] ACCOUNT
 *                           code + PKCE with a loopback redirect (or the
 *                           redirected URL pasted), the grant stored
 *
 * An account with oauth2-flow = client-credentials needs no login: its
 * token is the app's, asked when needed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/cmd/cmd.h"
#include "daemon/conf/oauth2.h"
#include "daemon/conf/conf.h"
#include "daemon/oauth/oauth.h"
#include "daemon/store/oauth.h"
#include "daemon/store/state.h"
#include "daemon/util/log.h"

static void
auth_usage(FILE *f)
{
	fprintf(f, "usage: mailsift auth status [-c FILE]\n"
	    "       mailsift auth token [-c FILE] ACCOUNT\n"
	    "       mailsift auth login [-c FILE] [--no-browser] "
	    "[--timeout SECONDS] [-v] ACCOUNT\n"
	    "       mailsift auth login --device [-c FILE] ACCOUNT\n"
	    "       mailsift auth logout [-c FILE] ACCOUNT\n");
}

static const char *
auth_time(int64_t t, char *buf, size_t len)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		return "-";
	return buf;
}

/* oauth2-flow = client-credentials: the app's token, no user login. */
static int
auth_app_only(const struct config *cfg, const struct account *a)
{
	const struct oauth2_conf	*oc = config_oauth2(cfg, &a->ep);

	return oc != NULL && oc->flow == OAUTH2_FLOW_CLIENT_CREDENTIALS;
}

/* auth status: the accounts whose token is the app's, so that a grant
 * without a refresh token (or none yet) reads as what it is. */
static void
auth_status_app_only(const struct config *cfg)
{
	size_t	 i;

	for (i = 0; i < cfg->naccounts; i++)
		if (auth_app_only(cfg, &cfg->accounts[i]))
			printf("%s: oauth2-flow = client-credentials (app-only): "
			    "no login; tokens asked when needed\n",
			    cfg->accounts[i].name);
}

/* auth status: the accounts with auth = oauth2 that have no grant yet
 * (nothing to list in the store, but something for the user to do). */
static void
auth_status_missing(const struct config *cfg, const struct oauth_grant *v,
    size_t n)
{
	const struct account	*a;
	size_t			 i, j;

	for (i = 0; i < cfg->naccounts; i++) {
		a = &cfg->accounts[i];
		if (a->ep.oauth2 == NULL || auth_app_only(cfg, a))
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(v[j].account, a->name) == 0)
				break;
		if (j == n)
			printf("%s: no grant yet; run `mailsift auth login "
			    "%s`\n", a->name, a->name);
	}
}

static int
auth_status(const struct config *cfg)
{
	struct state		*st;
	struct oauth_grant	*v;
	size_t			 n, i;
	char			 err[1024], t1[32], t2[32], shown[512];

	if ((st = state_open(cfg->state, STATE_EXISTING, err,
	    sizeof(err))) == NULL) {
		printf("no grant (state %s: not created yet)\n",
		    state_redact(cfg->state, shown, sizeof(shown)));
		auth_status_missing(cfg, NULL, 0);
		auth_status_app_only(cfg);
		return fflush(stdout) == EOF ? 1 : 0;
	}
	if (state_oauth_list(st, &v, &n, err, sizeof(err)) == -1) {
		fprintf(stderr, "mailsift: %s\n", err);
		state_close(st);
		return 1;
	}
	printf("%-16s %-10s %-12s %-21s %-21s %s\n", "ACCOUNT", "PROVIDER",
	    "STATE", "TOKEN EXPIRES", "LAST REFRESH", "SCOPES");
	for (i = 0; i < n; i++)
		printf("%-16s %-10s %-12s %-21s %-21s %s\n", v[i].account,
		    v[i].provider, v[i].needs_login ? "needs-login" : "ok",
		    auth_time(v[i].expires, t1, sizeof(t1)),
		    auth_time(v[i].last_refresh, t2, sizeof(t2)), v[i].scopes);
	for (i = 0; i < n; i++)
		if (v[i].needs_login)
			printf("%s: %s; run `mailsift auth login %s`\n",
			    v[i].account, v[i].error != NULL ? v[i].error :
			    "needs login", v[i].account);
	auth_status_missing(cfg, v, n);
	state_oauth_list_free(v, n);
	state_close(st);
	auth_status_app_only(cfg);
	return fflush(stdout) == EOF ? 1 : 0;
}

static int
auth_token(const struct config *cfg, const char *name)
{
	const struct account	*a;
	struct oauth_client_buf	 b;
	struct state		*st = NULL;
	char			 err[1024], *token = NULL;
	int			 rv = 1;

	if ((a = config_account(cfg, name)) == NULL) {
		fprintf(stderr, "mailsift: no account '%s'\n", name);
		return 1;
	}
	if (oauth_client_build(cfg, a, a->type == ACCT_POP3 ? OAUTH2_POP3 :
	    OAUTH2_IMAP, &b, err, sizeof(err)) == -1 ||
	    (st = state_open(cfg->state, 0, err, sizeof(err))) == NULL)
		goto out;
	if (oauth_token(st, &b.c, NULL, &token, err, sizeof(err)) !=
	    OAUTH_OK)
		goto out;
	printf("%s\n", token);
	rv = fflush(stdout) == EOF ? 1 : 0;
out:
	if (rv != 0 && err[0] != '\0')
		fprintf(stderr, "mailsift: %s\n", err);
	oauth_token_free(token);
	if (st != NULL)
		state_close(st);
	oauth_client_clear(&b);
	return rv;
}

/* The account's client for its login protocol, and the state file;
 * -1 with the message printed. */
static int
auth_open(const struct config *cfg, const char *name,
    const struct account **a, struct oauth_client_buf *b,
    struct state **st)
{
	char	 err[1024];

	*st = NULL;
	memset(b, 0, sizeof(*b));
	if ((*a = config_account(cfg, name)) == NULL) {
		fprintf(stderr, "mailsift: no account '%s'\n", name);
		return -1;
	}
	if (oauth_client_build(cfg, *a, (*a)->type == ACCT_POP3 ?
	    OAUTH2_POP3 : OAUTH2_IMAP, b, err, sizeof(err)) == -1 ||
	    (*st = state_open(cfg->state, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailsift: %s\n", err);
		oauth_client_clear(b);
		return -1;
	}
	return 0;
}

static void
auth_close(struct oauth_client_buf *b, struct state *st)
{
	if (st != NULL)
		state_close(st);
	oauth_client_clear(b);
}

/* What the user types, and where (RFC 8628 3.3). */
static void
auth_device_show(const struct oauth_device *d, void *arg)
{
	const char	*name = arg;

	printf("To log in account '%s', open\n\n    %s\n\nand enter the "
	    "code\n\n    %s\n\n", name, d->verification_uri, d->user_code);
	if (d->verification_uri_complete != NULL)
		printf("(or open %s, which holds the code)\n\n",
		    d->verification_uri_complete);
	if (d->expires_in > 0)
		printf("The code is valid for %ld minutes.  Waiting for the "
		    "login...\n", (d->expires_in + 59) / 60);
	else
		printf("Waiting for the login...\n");
	fflush(stdout);
}

static int
cmd_auth_login_device(const struct config *cfg, const char *name)
{
	const struct account	*a;
	struct oauth_client_buf	 b;
	struct oauth_device_ui	 ui;
	struct state		*st;
	char			 url[1024], err[1024];
	enum oauth_status	 s;

	if (auth_open(cfg, name, &a, &b, &st) == -1)
		return 1;
	if (oauth_device_url(cfg, a, url, sizeof(url), err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "mailsift: %s\n", err);
		auth_close(&b, st);
		return 1;
	}
	memset(&ui, 0, sizeof(ui));
	ui.show = auth_device_show;
	ui.arg = (void *)a->name;
	s = oauth_device_login(st, &b.c, url, &ui, err, sizeof(err));
	auth_close(&b, st);
	if (s != OAUTH_OK) {
		fprintf(stderr, "mailsift: %s\n", err);
		return 1;
	}
	printf("Logged in: account '%s' has its grant; mailsift refreshes "
	    "its tokens from now on.\n", a->name);
	return fflush(stdout) == EOF ? 1 : 0;
}


/* How long `auth login` waits for the redirect by default. */
#define AUTH_LOGIN_TIMEOUT	300

struct auth_login_args {
	int	 device;
	int	 no_browser;
	long	 timeout;
	int	 verbose;
};

static int
auth_login_timeout(const char *v, long *out)
{
	char	*end;
	long	 n = strtol(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n < 1 || n > 86400) {
		fprintf(stderr, "mailsift: --timeout: '%s' is not a number of "
		    "seconds (1 to 86400)\n", v);
		return -1;
	}
	*out = n;
	return 0;
}

static int
auth_login(const struct config *cfg, const char *name,
    const struct auth_login_args *la)
{
	const struct account		*a;
	struct oauth_login_opts		 o;
	struct oauth_login_result	 res;
	struct state			*st;
	char				 err[1024], shown[512];
	int				 rv;

	log_init(0, la->verbose >= 2 ? LOG_LEVEL_TRACE : la->verbose == 1 ?
	    LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
	if ((a = config_account(cfg, name)) == NULL) {
		fprintf(stderr, "mailsift: no account '%s'\n", name);
		return 1;
	}
	if (auth_app_only(cfg, a)) {
		printf("account '%s' uses oauth2-flow = client-credentials: "
		    "no login is needed; mailsift asks the token endpoint "
		    "for the app's token when it needs one (try `mailsift "
		    "auth token %s`)\n", a->name, a->name);
		return fflush(stdout) == EOF ? 1 : 0;
	}
	if (la->device)
		return cmd_auth_login_device(cfg, name);
	if ((st = state_open(cfg->state, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailsift: %s\n", err);
		return 1;
	}
	memset(&o, 0, sizeof(o));
	o.no_browser = la->no_browser;
	o.timeout = la->timeout;
	o.out = stdout;
	o.in = 0;
	rv = oauth_login(st, cfg, a, &o, &res, err, sizeof(err));
	state_close(st);
	if (rv == -1) {
		fprintf(stderr, "mailsift: %s\n", err);
		return 1;
	}
	printf("Logged in: account '%s', scopes '%s'; the grant is in %s.\n",
	    name, res.scopes, state_redact(cfg->state, shown,
	    sizeof(shown)));
	if (res.no_refresh)
		fprintf(stderr, "mailsift: warning: %s: the provider sent no "
		    "refresh token (is 'offline_access' missing from "
		    "oauth2-scopes?): the access token works for %ld s, then "
		    "`mailsift auth login %s` is needed again\n", name,
		    res.expires_in, name);
	return fflush(stdout) == EOF ? 1 : 0;
}

static int
cmd_auth_logout(const struct config *cfg, const char *name)
{
	const struct account	*a;
	struct oauth_client_buf	 b;
	struct state		*st;
	char			 url[1024], err[1024];
	int			 has_url;
	enum oauth_logout	 out;

	if (auth_open(cfg, name, &a, &b, &st) == -1)
		return 1;
	err[0] = '\0';
	if ((has_url = oauth_revoke_url(cfg, a, url, sizeof(url), err,
	    sizeof(err))) == -1) {
		fprintf(stderr, "mailsift: %s\n", err);
		auth_close(&b, st);
		return 1;
	}
	out = oauth_logout(st, &b.c, has_url ? url : NULL, err, sizeof(err));
	auth_close(&b, st);
	switch (out) {
	case OAUTH_LOGOUT_REVOKED:
		printf("account '%s': refresh token revoked at the provider; "
		    "grant forgotten\n", a->name);
		break;
	case OAUTH_LOGOUT_FORGOTTEN:
		printf("account '%s': grant forgotten here; %s\n", a->name,
		    auth_app_only(cfg, a) ? "an app-only token ends by "
		    "itself" : "the provider has no revocation endpoint: "
		    "remove mailsift's access in your account's security "
		    "settings to end it there");
		break;
	case OAUTH_LOGOUT_REVOKE_FAILED:
		fprintf(stderr, "mailsift: %s\n", err);
		printf("account '%s': grant forgotten here, but NOT revoked "
		    "at the provider: the refresh token may still be valid "
		    "there (remove mailsift's access in your account's "
		    "security settings)\n", a->name);
		fflush(stdout);
		return 1;
	case OAUTH_LOGOUT_NO_GRANT:
		printf("account '%s': no grant stored; nothing to do\n",
		    a->name);
		break;
	case OAUTH_LOGOUT_FAILED:
		fprintf(stderr, "mailsift: %s\n", err);
		return 1;
	}
	return fflush(stdout) == EOF ? 1 : 0;
}

int
cmd_auth(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "device", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "no-browser", no_argument, NULL, 'B' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct config	*cfg;
	const char	*config_path = NULL, *sub;
	char		 path[4096], err[1024];
	struct auth_login_args	 la = { 0, 0, AUTH_LOGIN_TIMEOUT, 0 };
	int		 ch, rv, one;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		auth_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	sub = argv[1];
	optind = 1;
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "c:hv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'B':
			la.no_browser = 1;
			break;
		case 'T':
			if (auth_login_timeout(optarg, &la.timeout) == -1)
				return 2;
			break;
		case 'v':
			la.verbose++;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'D':
			la.device = 1;
			break;
		case 'h':
			auth_usage(stdout);
			return 0;
		default:
			auth_usage(stderr);
			return 2;
		}
	}
	/* the subcommands that take one ACCOUNT */
	one = strcmp(sub, "token") == 0 || strcmp(sub, "login") == 0 ||
	    strcmp(sub, "logout") == 0;
	if ((strcmp(sub, "status") == 0 && optind != argc) ||
	    (one && optind + 1 != argc) ||
	    (strcmp(sub, "status") != 0 && !one) ||
	    (la.device && strcmp(sub, "login") != 0)) {
		auth_usage(stderr);
		return 2;
	}
	if (config_path == NULL) {
		if (config_default_path(path, sizeof(path)) == -1) {
			fprintf(stderr, "mailsift: no configuration file "
			    "(use -c FILE)\n");
			return 1;
		}
		config_path = path;
	}
	if ((cfg = config_load(config_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailsift: %s\n", err);
		return 1;
	}
	if (strcmp(sub, "login") == 0)
		rv = auth_login(cfg, argv[optind], &la);
	else if (strcmp(sub, "logout") == 0)
		rv = cmd_auth_logout(cfg, argv[optind]);
	else
		rv = strcmp(sub, "status") == 0 ? auth_status(cfg) :
		    auth_token(cfg, argv[optind]);
	config_free(cfg);
	return rv;
}

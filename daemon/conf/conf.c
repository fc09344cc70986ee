/* SPDX-License-Identifier: ISC */
/*
 * conf.c - read mailsift.conf, parse it with libconfuse, check it and
 * build struct config; see conf.h.
 *
 * Checks of a single value (conf-value.c) run as libconfuse validate
 * callbacks, while the parser still knows the line.  The same callbacks note on which line
 * each option was set, so the checks that span several options (after
 * parsing, in conf-build.c) can name a line too.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/conf/conf.h"
#include "daemon/conf/conf-build.h"
#include "daemon/conf/conf-load.h"
#include "daemon/conf/conf-text.h"
#include "daemon/conf/conf-value.h"
#include "daemon/conf/oauth2.h"
#include "daemon/util/log.h"
#include "daemon/conf/trust.h"

/* Anything bigger is not a configuration file. */
#define CONF_MAX_FILE	(1024 * 1024)

static cfg_opt_t account_opts[] = {
	CFG_STR("type", NULL, CFGF_NODEFAULT),
	CFG_STR("host", NULL, CFGF_NODEFAULT),
	CFG_INT("port", 0, CFGF_NODEFAULT),
	CFG_STR("tls", "implicit", CFGF_NONE),
	CFG_BOOL("tls-verify", cfg_true, CFGF_NONE),
	CFG_STR("tls-ca-file", NULL, CFGF_NODEFAULT),
	CFG_STR("tls-fingerprint", NULL, CFGF_NODEFAULT),
	CFG_BOOL("allow-plaintext-auth", cfg_false, CFGF_NONE),
	CFG_STR("user", NULL, CFGF_NODEFAULT),
	CFG_STR("password", NULL, CFGF_NODEFAULT),
	CFG_STR("password-command", NULL, CFGF_NODEFAULT),
	CFG_STR("auth", "auto", CFGF_NONE),
	CFG_STR("oauth2-provider", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-client-id", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-client-secret", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-client-secret-command", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-tenant", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-scopes", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-issuer", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-authorize-url", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-token-url", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-device-url", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-revoke-url", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-flow", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-token-command", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-store-command", NULL, CFGF_NODEFAULT),
	CFG_STR("auth-failure-command", NULL, CFGF_NODEFAULT),
	CFG_STR_LIST("folders", NULL, CFGF_NODEFAULT),
	CFG_BOOL("only-unseen", cfg_false, CFGF_NONE),
	CFG_BOOL("keep", cfg_true, CFGF_NONE),
	CFG_BOOL("idle", cfg_false, CFGF_NONE),
	CFG_INT("idle-max-folders", 5, CFGF_NONE),
	CFG_BOOL("idle-notify", cfg_true, CFGF_NONE),
	CFG_BOOL("compress", cfg_false, CFGF_NONE),
	CFG_BOOL("condstore", cfg_true, CFGF_NONE),
	CFG_BOOL("fetch", cfg_true, CFGF_NONE),
	CFG_INT("poll", 0, CFGF_NODEFAULT),
	CFG_STR("path", NULL, CFGF_NODEFAULT),
	CFG_STR("deliver", NULL, CFGF_NODEFAULT),
	CFG_STR("rules", NULL, CFGF_NODEFAULT),
	CFG_STR("smtp", NULL, CFGF_NODEFAULT),
	CFG_STR("recipient", NULL, CFGF_NODEFAULT),
	CFG_STR("lmtp-tls", "auto", CFGF_NONE),
	CFG_STR("lmtp-tls-ca-file", NULL, CFGF_NODEFAULT),
	CFG_STR("lmtp-reject", "keep", CFGF_NONE),
	CFG_INT("lmtp-connections", 4, CFGF_NONE),
	CFG_STR("pin", NULL, CFGF_NODEFAULT),
	CFG_END()
};

static cfg_opt_t smtp_opts[] = {
	CFG_STR("host", NULL, CFGF_NODEFAULT),
	CFG_INT("port", 0, CFGF_NODEFAULT),
	CFG_STR("tls", "implicit", CFGF_NONE),
	CFG_BOOL("tls-verify", cfg_true, CFGF_NONE),
	CFG_STR("tls-ca-file", NULL, CFGF_NODEFAULT),
	CFG_STR("tls-fingerprint", NULL, CFGF_NODEFAULT),
	CFG_BOOL("allow-plaintext-auth", cfg_false, CFGF_NONE),
	CFG_STR("user", NULL, CFGF_NODEFAULT),
	CFG_STR("password", NULL, CFGF_NODEFAULT),
	CFG_STR("password-command", NULL, CFGF_NODEFAULT),
	CFG_STR("auth", "auto", CFGF_NONE),
	CFG_STR("oauth2-provider", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-client-id", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-client-secret", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-client-secret-command", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-tenant", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-scopes", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-issuer", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-authorize-url", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-token-url", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-device-url", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-revoke-url", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-flow", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-token-command", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-store-command", NULL, CFGF_NODEFAULT),
	CFG_STR("auth-failure-command", NULL, CFGF_NODEFAULT),
	CFG_STR("oauth2-account", NULL, CFGF_NODEFAULT),
	CFG_STR("from", NULL, CFGF_NODEFAULT),
	CFG_END()
};

static cfg_opt_t webhook_opts[] = {
	CFG_STR("url", NULL, CFGF_NODEFAULT),
	CFG_STR("secret", NULL, CFGF_NODEFAULT),
	CFG_STR("secret-command", NULL, CFGF_NODEFAULT),
	CFG_STR("format", "json", CFGF_NONE),
	CFG_INT("timeout", 30, CFGF_NONE),
	CFG_STR("max-size", "10M", CFGF_NONE),
	CFG_STR_LIST("headers", NULL, CFGF_NODEFAULT),
	CFG_INT("retry-time", 259200, CFGF_NONE),
	CFG_INT("retry-min", 30, CFGF_NONE),
	CFG_BOOL("tls-verify", cfg_true, CFGF_NONE),
	CFG_STR("tls-ca-file", NULL, CFGF_NODEFAULT),
	CFG_END()
};

static cfg_opt_t root_opts[] = {
	CFG_STR("state", "~/.local/state/mailsift/state.db", CFGF_NONE),
	CFG_STR("log", "stderr", CFGF_NONE),
	CFG_STR("log-level", "info", CFGF_NONE),
	CFG_STR("log-format", "text", CFGF_NONE),
	CFG_INT("poll", 300, CFGF_NONE),
	CFG_INT("parallel", 4, CFGF_NONE),
	CFG_INT("connect-limit", 16, CFGF_NONE),
	CFG_INT("connect-rate", 50, CFGF_NONE),
	CFG_INT("lease-time", 30, CFGF_NONE),
	CFG_STR("user", NULL, CFGF_NODEFAULT),
	CFG_STR("max-size", "64M", CFGF_NONE),
	CFG_STR("deliver", NULL, CFGF_NODEFAULT),
	CFG_STR("metrics-listen", NULL, CFGF_NODEFAULT),
	CFG_STR("auth-failure-command", NULL, CFGF_NODEFAULT),
	CFG_SEC("account", account_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("smtp", smtp_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("webhook", webhook_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_END()
};

/* libconfuse's scanner is global state: one load at a time. */
static pthread_mutex_t	 conf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conf_load	*conf_current;

/*
 * libconfuse's "found duplicate title 'x'" names neither the kind of
 * section nor the first one.  A libconfuse built with translations keeps
 * its own message.
 */
static int
errfunc_duplicate(struct conf_load *ld, cfg_t *cfg, const char *fmt,
    va_list ap)
{
	const char	*title, *kind = "account";
	cfg_t		*first, *smtp;
	va_list		 cp;

	if (cfg == NULL || strcmp(fmt, "found duplicate title '%s'") != 0)
		return 0;
	va_copy(cp, ap);
	title = va_arg(cp, const char *);
	va_end(cp);
	first = cfg_gettsec(cfg, "account", title);
	if ((smtp = cfg_gettsec(cfg, "smtp", title)) != NULL) {
		/* Both kinds have the name: which one repeats it is unknown. */
		kind = first != NULL ? "section" : "smtp";
		first = first != NULL ? first : smtp;
	}
	if (first == NULL)
		return 0;
	conf_fail(ld, cfg->line, "%s '%s' is defined twice (first on line "
	    "%d); names must be unique", kind, title,
	    conf_section_line(ld, first));
	return 1;
}

/* libconfuse's errors (syntax, unknown options) and our callbacks'. */
__attribute__((format(printf, 2, 0)))
static void
conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct conf_load	*ld = conf_current;
	char			 msg[768];

	if (ld == NULL || errfunc_duplicate(ld, cfg, fmt, ap))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (cfg != NULL && cfg->title != NULL)
		conf_fail(ld, cfg->line, "%s '%s': %s", cfg->name, cfg->title,
		    msg);
	else
		conf_fail(ld, cfg != NULL ? cfg->line : 0, "%s", msg);
}

static int
opt_line_add(struct conf_load *ld, const cfg_t *sec, const char *name,
    int line)
{
	struct opt_line	*p;
	size_t		 cap;

	if (ld->nlines == ld->linecap) {
		cap = ld->linecap == 0 ? 64 : ld->linecap * 2;
		if ((p = reallocarray(ld->lines, cap, sizeof(*p))) == NULL)
			return -1;
		ld->lines = p;
		ld->linecap = cap;
	}
	ld->lines[ld->nlines].sec = sec;
	ld->lines[ld->nlines].name = name;
	ld->lines[ld->nlines].line = line;
	ld->nlines++;
	return 0;
}

/* Called by libconfuse after each value it sets. */
static int
opt_validate(cfg_t *sec, cfg_opt_t *opt)
{
	struct conf_load	*ld = conf_current;
	int			 first;

	if (ld == NULL)
		return -1;
	first = conf_opt_line(ld, sec, opt->name);
	if (first != 0 && (opt->flags & CFGF_LIST) == 0) {
		cfg_error(sec, "%s: set twice (first on line %d)", opt->name,
		    first);
		return -1;
	}
	if (first == 0 && opt_line_add(ld, sec, opt->name, sec->line) == -1) {
		cfg_error(sec, "out of memory");
		return -1;
	}
	return conf_value_check(sec, opt);
}

static void
opts_register(cfg_t *cfg, const char *section, const cfg_opt_t *opts)
{
	char	 name[64];

	for (; opts->name != NULL; opts++) {
		if (opts->type == CFGT_SEC)
			continue;
		if (section == NULL)
			snprintf(name, sizeof(name), "%s", opts->name);
		else
			snprintf(name, sizeof(name), "%s|%s", section,
			    opts->name);
		cfg_set_validate_func(cfg, name, opt_validate);
	}
}

/*
 * The file decides what runs (password-command) and where mail goes:
 * only root and the user mailsift runs as may be able to change it
 * (trust.h).
 */
static int
conf_read(struct conf_load *ld, char **out, size_t *outlen)
{
	char	 why[PATH_MAX + 256];
	char	*buf, *nul;
	size_t	 len;

	if ((buf = trust_file_read(ld->path, CONF_MAX_FILE, TRUST_NOBODY,
	    &ld->st, &len, why, sizeof(why))) == NULL) {
		conf_fail(ld, 0, "%s", why);
		return -1;
	}
	if ((nul = memchr(buf, '\0', len)) != NULL) {
		conf_fail(ld, 0, "contains a NUL byte at offset %zu; is this "
		    "a text file?", (size_t)(nul - buf));
		explicit_bzero(buf, len);
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

static int
conf_env_defined(const char *name)
{
	return getenv(name) != NULL;
}

static cfg_t *
conf_parse(struct conf_load *ld, char *text, size_t len)
{
	cfg_t		*cfg;
	const char	*why;
	char		 var[128];
	int		 line = 0;

	if ((why = conf_text_blank(text, len, &line)) != NULL) {
		conf_fail(ld, line, "%s", why);
		return NULL;
	}
	if ((why = conf_text_vars_check(text, len, conf_env_defined, var,
	    sizeof(var), &line)) != NULL) {
		conf_fail(ld, line, "${%s} %s", var, why);
		return NULL;
	}
	if ((why = conf_text_escapes_check(text, len, var, sizeof(var),
	    &line)) != NULL) {
		conf_fail(ld, line, "\"%s\" %s; write '%s' or \"\\%s\"", var,
		    why, var, var);
		return NULL;
	}
	if ((cfg = cfg_init(root_opts, CFGF_NONE)) == NULL) {
		conf_fail(ld, 0, "cannot set up the parser: %s",
		    strerror(errno));
		return NULL;
	}
	cfg_set_error_function(cfg, conf_errfunc);
	opts_register(cfg, NULL, root_opts);
	opts_register(cfg, "account", account_opts);
	opts_register(cfg, "smtp", smtp_opts);
	opts_register(cfg, "webhook", webhook_opts);
	if (!ld->failed && cfg_parse_buf(cfg, text) == CFG_SUCCESS)
		return cfg;
	conf_fail(ld, 0, "cannot parse (out of memory?)");
	cfg_free(cfg);
	return NULL;
}

/* Refuse a readable file with a password, like fetchmail does. */
static int
conf_check_secrets(struct conf_load *ld, const struct config *conf)
{
	size_t	 i;
	int	 secret = 0;

	for (i = 0; i < conf->naccounts; i++)
		secret |= conf->accounts[i].ep.password != NULL ||
		    (conf->accounts[i].ep.oauth2 != NULL &&
		    conf->accounts[i].ep.oauth2->client_secret != NULL);
	for (i = 0; i < conf->nsmtp; i++)
		secret |= conf->smtp[i].ep.password != NULL;
	for (i = 0; i < conf->nwebhooks; i++)
		secret |= conf->webhooks[i].ep.password != NULL;
	if (!secret || (ld->st.st_mode & 077) == 0)
		return 0;
	conf_fail(ld, 0, "contains a password and is readable by others; "
	    "chmod 600 %s", ld->path);
	return -1;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	return config_load_opts(path, 0, err, errlen);
}

struct config *
config_load_opts(const char *path, int flags, char *err, size_t errlen)
{
	struct conf_load	 ld;
	struct config		*conf = NULL;
	cfg_t			*cfg = NULL;
	char			*text = NULL;
	size_t			 len = 0;

	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	ld.accounts_optional = (flags & CONFIG_ACCOUNTS_OPTIONAL) != 0;
	ld.err = err;
	ld.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if (conf_read(&ld, &text, &len) == -1)
		return NULL;
	if (pthread_mutex_lock(&conf_lock) != 0) {
		conf_fail(&ld, 0, "cannot lock the parser");
		goto fail;
	}
	conf_current = &ld;
	if ((cfg = conf_parse(&ld, text, len)) != NULL &&
	    (conf = conf_build(&ld, cfg)) != NULL &&
	    conf_check_secrets(&ld, conf) == -1) {
		config_free(conf);
		conf = NULL;
	}
	if (cfg != NULL)
		cfg_free(cfg);
	conf_current = NULL;
	if (pthread_mutex_unlock(&conf_lock) != 0)
		log_warn("%s: cannot unlock the parser", path);
fail:
	explicit_bzero(text, len);
	free(text);
	free(ld.lines);
	return conf;
}

int
config_default_path(char *buf, size_t len)
{
	const char	*dir = getenv("XDG_CONFIG_HOME"), *home;
	int		 n;

	if (dir != NULL && dir[0] == '/')
		n = snprintf(buf, len, "%s/mailsift/mailsift.conf", dir);
	else if ((home = getenv("HOME")) != NULL && home[0] == '/')
		n = snprintf(buf, len, "%s/.config/mailsift/mailsift.conf",
		    home);
	else
		n = snprintf(buf, len, "neither XDG_CONFIG_HOME nor HOME is "
		    "set; give the configuration file with -c");
	if (n < 0 || (size_t)n >= len) {
		snprintf(buf, len, "the configuration path is too long");
		return -1;
	}
	return buf[0] == '/' ? 0 : -1;
}

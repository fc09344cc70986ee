/* SPDX-License-Identifier: ISC */
/*
 * conf-build.c - turn the parsed libconfuse tree into struct config and
 * check what no single value shows: options that need or exclude each
 * other, options that do not apply to an account's type, references
 * between sections, defaults that depend on other options.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conf/conf-build.h"
#include "daemon/conf/conf-load.h"
#include "daemon/conf/conf-oauth2.h"
#include "daemon/conf/config.h"
#include "daemon/conf/conf-text.h"
#include "daemon/store/state.h"
#include "rules/rules.h"

#define NAME_MAX_LEN	128

/* Sets of account types, for the options that apply to some only.  The
 * configuration's knowledge of each type is here and in conf.c's names;
 * what a source can do is the source table's (daemon/source/source.h),
 * which conf/ never includes. */
enum {
	FOR_IMAP = 1 << ACCT_IMAP,
	FOR_POP3 = 1 << ACCT_POP3,
	FOR_REMOTE = (1 << ACCT_IMAP) | (1 << ACCT_POP3),
	FOR_FILES = (1 << ACCT_MAILDIR) | (1 << ACCT_MBOX)
};

/* Default ports of the types with a server: with TLS, and without. */
static const struct {
	const char	*implicit;
	const char	*plain;
} account_ports[] = {
	[ACCT_IMAP] = { "993", "143" },
	[ACCT_POP3] = { "995", "110" },
};

static const struct option_scope {
	const char	*name;
	unsigned	 types;
	const char	*which;
} account_scope[] = {
	{ "host", FOR_REMOTE, "imap and pop3" },
	{ "port", FOR_REMOTE, "imap and pop3" },
	{ "tls", FOR_REMOTE, "imap and pop3" },
	{ "tls-verify", FOR_REMOTE, "imap and pop3" },
	{ "tls-ca-file", FOR_REMOTE, "imap and pop3" },
	{ "tls-fingerprint", FOR_REMOTE, "imap and pop3" },
	{ "allow-plaintext-auth", FOR_REMOTE, "imap and pop3" },
	{ "user", FOR_REMOTE, "imap and pop3" },
	{ "password", FOR_REMOTE, "imap and pop3" },
	{ "password-command", FOR_REMOTE, "imap and pop3" },
	{ "auth", FOR_REMOTE, "imap and pop3" },
	{ "folders", FOR_IMAP, "imap" },
	{ "only-unseen", FOR_IMAP, "imap" },
	{ "idle", FOR_IMAP, "imap" },
	{ "idle-max-folders", FOR_IMAP, "imap" },
	{ "idle-notify", FOR_IMAP, "imap" },
	{ "compress", FOR_IMAP, "imap" },
	{ "condstore", FOR_IMAP, "imap" },
	{ "path", FOR_FILES, "maildir and mbox" },
};

/* An error about section sec: "PATH:LINE: account 'NAME': message". */
__attribute__((format(printf, 4, 5)))
static int
sec_fail(struct conf_load *ld, cfg_t *sec, int line, const char *fmt, ...)
{
	char	 msg[768];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_fail(ld, line, "%s '%s': %s", cfg_name(sec), cfg_title(sec), msg);
	return -1;
}

static int
build_str(struct conf_load *ld, char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	if ((*dst = strdup(src)) == NULL) {
		conf_fail(ld, 0, "out of memory");
		return -1;
	}
	return 0;
}

static int
build_path(struct conf_load *ld, cfg_t *sec, const char *opt, char **dst)
{
	const char	*v = cfg_getstr(sec, opt), *why;

	*dst = NULL;
	if (v == NULL || (why = conf_path_expand(v, dst)) == NULL)
		return 0;
	conf_fail(ld, conf_opt_line(ld, sec, opt), "%s: '%s' %s", opt, v, why);
	return -1;
}

/* The state: a path like any other, or a database URL kept as is (its
 * password never shown: state_redact()). */
static int
build_state(struct conf_load *ld, cfg_t *sec, char **dst)
{
	const char	*v = cfg_getstr(sec, "state");

	if (v == NULL || !state_is_url(v))
		return build_path(ld, sec, "state", dst);
	if ((*dst = strdup(v)) == NULL) {
		conf_fail(ld, conf_opt_line(ld, sec, "state"), "state: out "
		    "of memory");
		return -1;
	}
	return 0;
}

/* Names appear in logs, messages and the state database. */
static int
name_check(struct conf_load *ld, cfg_t *sec)
{
	const unsigned char	*p = (const unsigned char *)cfg_title(sec);
	size_t			 len = strlen((const char *)p);

	if (len == 0 || len > NAME_MAX_LEN) {
		conf_fail(ld, conf_section_line(ld, sec), "%s name must be 1 "
		    "to %d characters", cfg_name(sec), NAME_MAX_LEN);
		return -1;
	}
	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			conf_fail(ld, conf_section_line(ld, sec), "%s name "
			    "must not hold control characters", cfg_name(sec));
			return -1;
		}
	return 0;
}

static int
endpoint_build(struct conf_load *ld, cfg_t *sec, struct endpoint *ep,
    const struct enum_name *auths)
{
	char		 label[NAME_MAX_LEN + 32], fp[CONF_FINGERPRINT_LEN];
	const char	*v;

	snprintf(label, sizeof(label), "%s '%s'", cfg_name(sec),
	    cfg_title(sec));
	if (build_str(ld, &ep->label, label) == -1 ||
	    build_str(ld, &ep->host, cfg_getstr(sec, "host")) == -1 ||
	    build_str(ld, &ep->user, cfg_getstr(sec, "user")) == -1 ||
	    build_str(ld, &ep->password, cfg_getstr(sec, "password")) == -1 ||
	    build_str(ld, &ep->password_command,
	    cfg_getstr(sec, "password-command")) == -1 ||
	    build_path(ld, sec, "tls-ca-file", &ep->tls_ca_file) == -1)
		return -1;
	/* The parse-time checks saw every value below. */
	ep->tls = (enum tls_mode)conf_enum_lookup(conf_tls_names,
	    cfg_getstr(sec, "tls"));
	ep->auth = (enum auth_mech)conf_enum_lookup(auths,
	    cfg_getstr(sec, "auth"));
	ep->tls_verify = cfg_getbool(sec, "tls-verify") == cfg_true;
	ep->allow_plaintext_auth =
	    cfg_getbool(sec, "allow-plaintext-auth") == cfg_true;
	if (conf_oauth2_build(ld, sec, ep) == -1)
		return -1;
	if ((v = cfg_getstr(sec, "tls-fingerprint")) == NULL)
		return 0;
	if (conf_fingerprint_parse(v, fp, sizeof(fp)) != NULL)
		return sec_fail(ld, sec, conf_opt_line(ld, sec,
		    "tls-fingerprint"), "tls-fingerprint: not a SHA-256");
	return build_str(ld, &ep->tls_fingerprint, fp);
}

static int
endpoint_port(struct conf_load *ld, cfg_t *sec, struct endpoint *ep,
    const char *implicit, const char *plain)
{
	char	 buf[24];

	if (cfg_size(sec, "port") == 0)
		return build_str(ld, &ep->port,
		    ep->tls == TLS_IMPLICIT ? implicit : plain);
	snprintf(buf, sizeof(buf), "%ld", cfg_getint(sec, "port"));
	return build_str(ld, &ep->port, buf);
}

/* user, password, password-command and tls, for a server that wants a
 * login (need_user) or may take one. */
static int
endpoint_check_login(struct conf_load *ld, cfg_t *sec,
    const struct endpoint *ep, int need_user)
{
	const char	*secret = ep->password != NULL ? "password" :
			    ep->password_command != NULL ? "password-command" :
			    NULL;
	int		 line = conf_section_line(ld, sec);

	if (ep->oauth2 != NULL)
		return conf_oauth2_check_login(ld, sec, ep);
	if (ep->password != NULL && ep->password_command != NULL)
		return sec_fail(ld, sec, conf_opt_line(ld, sec,
		    "password-command"), "'password' and 'password-command' "
		    "are both set; keep one");
	if (need_user && ep->user == NULL)
		return sec_fail(ld, sec, line, "'user' is required");
	if (ep->user != NULL && secret == NULL)
		return sec_fail(ld, sec, conf_opt_line(ld, sec, "user"),
		    "needs 'password' or 'password-command'");
	if (ep->user == NULL && secret != NULL)
		return sec_fail(ld, sec, conf_opt_line(ld, sec, secret),
		    "'%s' is set but 'user' is not", secret);
	if (secret != NULL && ep->tls == TLS_NONE && !ep->allow_plaintext_auth)
		return sec_fail(ld, sec, conf_opt_line(ld, sec, "tls"),
		    "tls = none would send the password unencrypted; use "
		    "implicit or starttls, or set allow-plaintext-auth = true");
	return 0;
}

static int
account_folders(struct conf_load *ld, cfg_t *sec, struct account *a)
{
	unsigned int	 i, j, n = cfg_size(sec, "folders");
	const char	*f;

	if ((a->folders = calloc(n == 0 ? 1 : n, sizeof(char *))) == NULL) {
		conf_fail(ld, 0, "out of memory");
		return -1;
	}
	if (n == 0) {
		a->nfolders = 1;
		return build_str(ld, &a->folders[0], "INBOX");
	}
	for (i = 0; i < n; i++) {
		f = cfg_getnstr(sec, "folders", i);
		for (j = 0; j < i; j++)
			if (strcmp(a->folders[j], f) == 0)
				return sec_fail(ld, sec, conf_opt_line(ld, sec,
				    "folders"), "folders: '%s' is listed twice",
				    f);
		/* \All: the folder the server marks so (RFC 6154) */
		if (f[0] == '\\' && rule_special_use_index(f,
		    strlen(f)) == -1)
			return sec_fail(ld, sec, conf_opt_line(ld, sec,
			    "folders"), "folders: '%.64s' is not a SPECIAL-USE "
			    "folder (" RULE_SPECIAL_USE_NAMES "); no other "
			    "folder name starts with '\\'", f);
		a->nfolders = i + 1;
		if (build_str(ld, &a->folders[i], f) == -1)
			return -1;
	}
	return 0;
}

/* The account's own deliver, else the global default, else none (an
 * error that account_check() reports). */
static int
account_deliver(struct conf_load *ld, cfg_t *root, cfg_t *sec,
    struct account *a)
{
	cfg_t		*from = sec;
	const char	*v, *why;

	if ((v = cfg_getstr(sec, "deliver")) == NULL) {
		from = root;
		if ((v = cfg_getstr(root, "deliver")) == NULL)
			return 0;
	}
	if ((why = conf_deliver_expand(v, &a->deliver)) == NULL)
		return 0;
	conf_fail(ld, conf_opt_line(ld, from, "deliver"), "deliver: '%s' %s",
	    v, why);
	return -1;
}

/* deliver = "webhook:NAME" names a webhook section. */
static int
deliver_check_webhook(struct conf_load *ld, const struct config *conf,
    cfg_t *sec, const struct account *a)
{
	struct rule_target	 t;
	char			 name[NAME_MAX_LEN + 1];

	if (a->deliver == NULL ||	/* fetch = no: a destination only */
	    rule_target_parse(a->deliver, strlen(a->deliver), &t) == -1 ||
	    strcmp(t.kind, "webhook") != 0)
		return 0;
	snprintf(name, sizeof(name), "%.*s", (int)t.arglen, t.arg);
	if (config_webhook(conf, name) != NULL)
		return 0;
	return sec_fail(ld, sec, a->line, "webhook '%s' is not defined; add "
	    "a webhook \"%s\" { url = ...  secret = ... } section or fix "
	    "the name", name, name);
}

static int
account_check(struct conf_load *ld, const struct config *conf, cfg_t *sec,
    const struct account *a)
{
	const struct option_scope	*s;
	size_t				 i;
	int				 line, type_line;

	type_line = conf_opt_line(ld, sec, "type");
	for (i = 0; i < sizeof(account_scope) / sizeof(account_scope[0]); i++) {
		s = &account_scope[i];
		line = conf_opt_line(ld, sec, s->name);
		if (line != 0 && (s->types & (1u << a->type)) == 0)
			return sec_fail(ld, sec, line, "'%s' does not apply "
			    "to type %s, only to %s", s->name,
			    acct_type_name(a->type), s->which);
	}
	if ((FOR_REMOTE & (1u << a->type)) != 0) {
		if (a->ep.host == NULL)
			return sec_fail(ld, sec, type_line, "type %s needs "
			    "'host'", acct_type_name(a->type));
		if (endpoint_check_login(ld, sec, &a->ep, 1) == -1)
			return -1;
	}
	if (a->ep.auth == AUTH_APOP && (FOR_POP3 & (1u << a->type)) == 0)
		return sec_fail(ld, sec, conf_opt_line(ld, sec, "auth"),
		    "auth apop is for pop3 accounts only");
	if ((FOR_FILES & (1u << a->type)) != 0 && a->path == NULL)
		return sec_fail(ld, sec, type_line, "type %s needs 'path'",
		    acct_type_name(a->type));
	if (a->deliver == NULL && a->fetch)
		return sec_fail(ld, sec, a->line, "'deliver' is required "
		    "here, or as a global default");
	if (deliver_check_webhook(ld, conf, sec, a) == -1)
		return -1;
	if (a->smtp != NULL && config_smtp(conf, a->smtp) == NULL)
		return sec_fail(ld, sec, conf_opt_line(ld, sec, "smtp"),
		    "smtp '%s' is not defined; add an smtp \"%s\" { ... } "
		    "section or fix the name", a->smtp, a->smtp);
	return 0;
}

/* deliver = "imap:NAME[/FOLDER]": NAME is an account of type imap,
 * defined anywhere in the file (so this runs after all are built). */
static int
account_dest_check(struct conf_load *ld, const struct config *conf,
    cfg_t *sec, const struct account *a)
{
	const struct account	*d;
	struct rule_target	 t;
	char			 name[NAME_MAX_LEN + 1];
	const char		*slash;
	size_t			 n;

	if (a->deliver == NULL || rule_target_parse(a->deliver,
	    strlen(a->deliver), &t) == -1 || strcmp(t.kind, "imap") != 0)
		return 0;
	slash = memchr(t.arg, '/', t.arglen);
	n = slash != NULL ? (size_t)(slash - t.arg) : t.arglen;
	if (n == 0 || n >= sizeof(name))
		return sec_fail(ld, sec, conf_opt_line(ld, sec, "deliver"),
		    "deliver: '%s' must be imap:ACCOUNT or imap:ACCOUNT/FOLDER",
		    a->deliver);
	memcpy(name, t.arg, n);
	name[n] = '\0';
	if ((d = config_account(conf, name)) == NULL)
		return sec_fail(ld, sec, conf_opt_line(ld, sec, "deliver"),
		    "deliver: account '%s' is not defined; add an account "
		    "\"%s\" { type = imap ... fetch = no } section for the "
		    "destination", name, name);
	if (d->type != ACCT_IMAP)
		return sec_fail(ld, sec, conf_opt_line(ld, sec, "deliver"),
		    "deliver: account '%s' is of type %s; an imap: target "
		    "needs an account of type imap", name,
		    acct_type_name(d->type));
	if (d == a)
		return sec_fail(ld, sec, conf_opt_line(ld, sec, "deliver"),
		    "deliver: account '%s' would deliver into itself", name);
	return 0;
}

static int
account_build(struct conf_load *ld, cfg_t *root, cfg_t *sec,
    struct account *a)
{
	int	 type;

	if (name_check(ld, sec) == -1 ||
	    build_str(ld, &a->name, cfg_title(sec)) == -1)
		return -1;
	a->line = conf_section_line(ld, sec);
	if ((type = conf_enum_lookup(conf_type_names,
	    cfg_getstr(sec, "type"))) == -1)
		return sec_fail(ld, sec, a->line, "'type' is required: imap, "
		    "pop3, maildir, mbox or stdin");
	a->type = (enum acct_type)type;
	if (endpoint_build(ld, sec, &a->ep, conf_auth_names) == -1 ||
	    account_folders(ld, sec, a) == -1 ||
	    build_path(ld, sec, "path", &a->path) == -1 ||
	    build_path(ld, sec, "rules", &a->rules) == -1 ||
	    build_str(ld, &a->smtp, cfg_getstr(sec, "smtp")) == -1 ||
	    build_str(ld, &a->recipient, cfg_getstr(sec, "recipient")) == -1 ||
	    build_str(ld, &a->pin, cfg_getstr(sec, "pin")) == -1 ||
	    build_path(ld, sec, "lmtp-tls-ca-file", &a->lmtp_tls_ca_file) ==
	    -1 || account_deliver(ld, root, sec, a) == -1)
		return -1;
	a->lmtp_tls = conf_enum_lookup(conf_lmtp_tls_names,
	    cfg_getstr(sec, "lmtp-tls"));
	a->lmtp_reject = conf_enum_lookup(conf_lmtp_reject_names,
	    cfg_getstr(sec, "lmtp-reject"));
	a->lmtp_conns = (int)cfg_getint(sec, "lmtp-connections");
	a->only_unseen = cfg_getbool(sec, "only-unseen") == cfg_true;
	a->keep = cfg_getbool(sec, "keep") == cfg_true;
	a->idle = cfg_getbool(sec, "idle") == cfg_true;
	a->idle_max_folders = (int)cfg_getint(sec, "idle-max-folders");
	a->idle_notify = cfg_getbool(sec, "idle-notify") == cfg_true;
	a->compress = cfg_getbool(sec, "compress") == cfg_true;
	a->condstore = cfg_getbool(sec, "condstore") == cfg_true;
	a->fetch = cfg_getbool(sec, "fetch") == cfg_true;
	a->poll = cfg_size(sec, "poll") > 0 ? cfg_getint(sec, "poll") : 0;
	if ((size_t)a->type >= sizeof(account_ports) / sizeof(account_ports[0]) ||
	    account_ports[a->type].implicit == NULL)
		return 0;
	return endpoint_port(ld, sec, &a->ep, account_ports[a->type].implicit,
	    account_ports[a->type].plain);
}

static int
smtp_build(struct conf_load *ld, cfg_t *sec, struct smtp_server *s)
{
	if (name_check(ld, sec) == -1 ||
	    build_str(ld, &s->name, cfg_title(sec)) == -1)
		return -1;
	s->line = conf_section_line(ld, sec);
	if (endpoint_build(ld, sec, &s->ep, conf_smtp_auth_names) == -1 ||
	    build_str(ld, &s->from, cfg_getstr(sec, "from")) == -1 ||
	    endpoint_port(ld, sec, &s->ep, "465", "587") == -1)
		return -1;
	if (s->ep.host == NULL)
		return sec_fail(ld, sec, s->line, "'host' is required");
	if (s->from == NULL)
		return sec_fail(ld, sec, s->line, "'from' (the envelope "
		    "sender) is required");
	return endpoint_check_login(ld, sec, &s->ep, 0);
}

static int
webhook_headers(struct conf_load *ld, cfg_t *sec, struct webhook *w)
{
	unsigned int	 i, n = cfg_size(sec, "headers");

	if (n == 0)
		return 0;
	if ((w->headers = calloc(n, sizeof(*w->headers))) == NULL) {
		conf_fail(ld, 0, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		w->nheaders = i + 1;
		if (build_str(ld, &w->headers[i], cfg_getnstr(sec, "headers",
		    i)) == -1)
			return -1;
	}
	return 0;
}

static int
webhook_build(struct conf_load *ld, cfg_t *sec, struct webhook *w)
{
	char	 label[NAME_MAX_LEN + 32];

	if (name_check(ld, sec) == -1 ||
	    build_str(ld, &w->name, cfg_title(sec)) == -1)
		return -1;
	w->line = conf_section_line(ld, sec);
	snprintf(label, sizeof(label), "webhook '%s'", cfg_title(sec));
	if (build_str(ld, &w->ep.label, label) == -1 ||
	    build_str(ld, &w->url, cfg_getstr(sec, "url")) == -1 ||
	    build_str(ld, &w->ep.password, cfg_getstr(sec, "secret")) == -1 ||
	    build_str(ld, &w->ep.password_command,
	    cfg_getstr(sec, "secret-command")) == -1 ||
	    build_path(ld, sec, "tls-ca-file", &w->ep.tls_ca_file) == -1 ||
	    webhook_headers(ld, sec, w) == -1)
		return -1;
	w->ep.tls_verify = cfg_getbool(sec, "tls-verify") == cfg_true;
	w->format = (enum webhook_format)conf_enum_lookup(
	    conf_webhook_format_names, cfg_getstr(sec, "format"));
	w->timeout = cfg_getint(sec, "timeout");
	w->retry_time = cfg_getint(sec, "retry-time");
	w->retry_min = cfg_getint(sec, "retry-min");
	if (conf_size_parse(cfg_getstr(sec, "max-size"), &w->max_size) != NULL)
		return sec_fail(ld, sec, conf_opt_line(ld, sec, "max-size"),
		    "max-size: not a size");
	if (w->url == NULL)
		return sec_fail(ld, sec, w->line, "'url' is required");
	if ((w->ep.password == NULL) == (w->ep.password_command == NULL))
		return sec_fail(ld, sec, w->line, "one of 'secret' and "
		    "'secret-command' is required (the requests are signed)");
	return 0;
}

static int
global_build(struct conf_load *ld, cfg_t *cfg, struct config *conf)
{
	if (build_str(ld, &conf->path, ld->path) == -1 ||
	    build_state(ld, cfg, &conf->state) == -1 ||
	    build_str(ld, &conf->user, cfg_getstr(cfg, "user")) == -1 ||
	    build_str(ld, &conf->metrics_listen,
	    cfg_getstr(cfg, "metrics-listen")) == -1)
		return -1;
	conf->log_syslog = conf_enum_lookup(conf_log_names,
	    cfg_getstr(cfg, "log"));
	conf->log_level = conf_enum_lookup(conf_level_names,
	    cfg_getstr(cfg, "log-level"));
	conf->log_format = conf_enum_lookup(conf_log_format_names,
	    cfg_getstr(cfg, "log-format"));
	conf->poll = cfg_getint(cfg, "poll");
	conf->parallel = (int)cfg_getint(cfg, "parallel");
	conf->connect_limit = (int)cfg_getint(cfg, "connect-limit");
	conf->connect_rate = (int)cfg_getint(cfg, "connect-rate");
	conf->lease_time = (int)cfg_getint(cfg, "lease-time");
	if (conf_size_parse(cfg_getstr(cfg, "max-size"),
	    &conf->max_size) != NULL) {
		conf_fail(ld, conf_opt_line(ld, cfg, "max-size"),
		    "max-size: not a size");
		return -1;
	}
	return 0;
}

static int
sections_build(struct conf_load *ld, cfg_t *cfg, struct config *conf)
{
	unsigned int	 i, nacct = cfg_size(cfg, "account");
	unsigned int	 nsmtp = cfg_size(cfg, "smtp");
	unsigned int	 nweb = cfg_size(cfg, "webhook");
	cfg_t		*sec;

	if (nacct == 0 && !ld->accounts_optional) {
		conf_fail(ld, 0, "%s", CONFIG_NO_ACCOUNT);
		return -1;
	}
	if ((nacct > 0 &&
	    (conf->accounts = calloc(nacct, sizeof(*conf->accounts))) == NULL) ||
	    (nsmtp > 0 &&
	    (conf->smtp = calloc(nsmtp, sizeof(*conf->smtp))) == NULL) ||
	    (nweb > 0 &&
	    (conf->webhooks = calloc(nweb, sizeof(*conf->webhooks))) == NULL)) {
		conf_fail(ld, 0, "out of memory");
		return -1;
	}
	for (i = 0; i < nsmtp; i++) {
		conf->nsmtp = i + 1;
		if (smtp_build(ld, cfg_getnsec(cfg, "smtp", i),
		    &conf->smtp[i]) == -1)
			return -1;
	}
	for (i = 0; i < nweb; i++) {
		conf->nwebhooks = i + 1;
		if (webhook_build(ld, cfg_getnsec(cfg, "webhook", i),
		    &conf->webhooks[i]) == -1)
			return -1;
	}
	for (i = 0; i < nacct; i++) {
		conf->naccounts = i + 1;
		sec = cfg_getnsec(cfg, "account", i);
		if (account_build(ld, cfg, sec, &conf->accounts[i]) == -1 ||
		    account_check(ld, conf, sec, &conf->accounts[i]) == -1 ||
		    conf_oauth2_defaults(ld, cfg, &conf->accounts[i].ep) == -1)
			return -1;
	}
	for (i = 0; i < nsmtp; i++)
		if (conf_oauth2_check_account(ld, conf,
		    cfg_getnsec(cfg, "smtp", i), &conf->smtp[i].ep) == -1 ||
		    conf_oauth2_defaults(ld, cfg, &conf->smtp[i].ep) == -1)
			return -1;
	for (i = 0; i < nacct; i++)
		if (account_dest_check(ld, conf, cfg_getnsec(cfg, "account", i),
		    &conf->accounts[i]) == -1)
			return -1;
	return 0;
}

struct config *
conf_build(struct conf_load *ld, cfg_t *cfg)
{
	struct config	*conf;

	if ((conf = calloc(1, sizeof(*conf))) == NULL) {
		conf_fail(ld, 0, "out of memory");
		return NULL;
	}
	if (global_build(ld, cfg, conf) == -1 ||
	    sections_build(ld, cfg, conf) == -1) {
		config_free(conf);
		return NULL;
	}
	return conf;
}

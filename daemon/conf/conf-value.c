/* SPDX-License-Identifier: ISC */
/*
 * conf-value.c - the checks of one option's value, run by libconfuse as
 * each value is set (conf.c's validate callback), so that an error
 * names its line: enums, ranges, paths, addresses, URLs, header fields,
 * the state's path or URL.  The checks that span several options run
 * after parsing, in conf-build.c.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "daemon/conf/conf-load.h"
#include "daemon/conf/conf-node.h"
#include "daemon/conf/conf-text.h"
#include "daemon/conf/conf-value.h"
#include "daemon/conf/oauth2.h"
#include "daemon/conf/trust.h"
#include "daemon/store/state.h"
#include "rules/line.h"

static const char *
opt_last_str(cfg_opt_t *opt)
{
	return cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
}

/* "a, b or c", for messages. */
static void
enum_list(const struct enum_name *names, char *buf, size_t len)
{
	size_t	 i, n, off = 0;
	int	 w;

	buf[0] = '\0';
	for (n = 0; names[n].name != NULL; n++)
		continue;
	for (i = 0; i < n && off < len; i++) {
		w = snprintf(buf + off, len - off, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i].name);
		if (w < 0)
			return;
		off += (size_t)w;
	}
}

static int
check_enum(cfg_t *sec, cfg_opt_t *opt, const struct enum_name *names)
{
	const char	*v = opt_last_str(opt);
	char		 list[160];

	if (conf_enum_lookup(names, v) != -1)
		return 0;
	enum_list(names, list, sizeof(list));
	cfg_error(sec, "%s: '%s' is not valid; use %s", cfg_opt_name(opt), v,
	    list);
	return -1;
}

static int
check_range(cfg_t *sec, cfg_opt_t *opt, long min, long max)
{
	long	 v = cfg_opt_getnint(opt, 0);

	if (v >= min && v <= max)
		return 0;
	cfg_error(sec, "%s: %ld is out of range; use %ld to %ld",
	    cfg_opt_name(opt), v, min, max);
	return -1;
}

static int
check_type(cfg_t *sec, cfg_opt_t *opt)
{
	return check_enum(sec, opt, conf_type_names);
}

static int
check_tls(cfg_t *sec, cfg_opt_t *opt)
{
	return check_enum(sec, opt, conf_tls_names);
}

static int
check_lmtp_tls(cfg_t *sec, cfg_opt_t *opt)
{
	return check_enum(sec, opt, conf_lmtp_tls_names);
}

static int
check_lmtp_reject(cfg_t *sec, cfg_opt_t *opt)
{
	return check_enum(sec, opt, conf_lmtp_reject_names);
}

/* The template parses; what it gives is checked per message. */
static int
check_recipient(cfg_t *sec, cfg_opt_t *opt)
{
	struct rule_line	*l;
	char			 e[512];

	if ((l = rule_line_parse(opt_last_str(opt), e, sizeof(e))) != NULL) {
		rule_line_free(l);
		return 0;
	}
	cfg_error(sec, "recipient: '%s': %s", opt_last_str(opt), e);
	return -1;
}

static int
check_account_auth(cfg_t *sec, cfg_opt_t *opt)
{
	return check_enum(sec, opt, conf_auth_names);
}

static int
check_smtp_auth(cfg_t *sec, cfg_opt_t *opt)
{
	return check_enum(sec, opt, conf_smtp_auth_names);
}

static int
check_log(cfg_t *sec, cfg_opt_t *opt)
{
	return check_enum(sec, opt, conf_log_names);
}

static int
check_log_level(cfg_t *sec, cfg_opt_t *opt)
{
	return check_enum(sec, opt, conf_level_names);
}

static int
check_log_format(cfg_t *sec, cfg_opt_t *opt)
{
	return check_enum(sec, opt, conf_log_format_names);
}

static int
check_port(cfg_t *sec, cfg_opt_t *opt)
{
	return check_range(sec, opt, 1, 65535);
}

static int
check_poll(cfg_t *sec, cfg_opt_t *opt)
{
	return check_range(sec, opt, 1, 86400);
}

static int
check_lmtp_conns(cfg_t *sec, cfg_opt_t *opt)
{
	return check_range(sec, opt, 1, 16);
}

static int
check_idle_max(cfg_t *sec, cfg_opt_t *opt)
{
	return check_range(sec, opt, 1, 100);
}

static int
check_parallel(cfg_t *sec, cfg_opt_t *opt)
{
	return check_range(sec, opt, 1, 64);
}

/* connect-limit, connect-rate: 0 is no limit (net/pace.h) */
static int
check_pace(cfg_t *sec, cfg_opt_t *opt)
{
	return check_range(sec, opt, 0, 10000);
}

/* A lease shorter than a few renewals (every third of it) would be lost
 * to one slow statement; one longer than an hour leaves a dead daemon's
 * accounts unworked for too long. */
static int
check_lease_time(cfg_t *sec, cfg_opt_t *opt)
{
	return check_range(sec, opt, CONF_LEASE_TIME_MIN, CONF_LEASE_TIME_MAX);
}

static int
check_pin(cfg_t *sec, cfg_opt_t *opt)
{
	const char	*v = opt_last_str(opt), *why;

	if ((why = conf_node_check(v)) == NULL)
		return 0;
	cfg_error(sec, "pin: '%s' %s: a node name as given to `mailsift run "
	    "--node` (default: the host name)", v, why);
	return -1;
}

static int
check_path(cfg_t *sec, cfg_opt_t *opt)
{
	const char	*v = opt_last_str(opt), *why;
	char		*path;

	why = conf_path_expand(v, &path);
	free(path);
	if (why == NULL)
		return 0;
	cfg_error(sec, "%s: '%s' %s", cfg_opt_name(opt), v, why);
	return -1;
}

/* The state: a path, or a database URL left to the store to judge. */
static int
check_state(cfg_t *sec, cfg_opt_t *opt)
{
	if (state_is_url(opt_last_str(opt)))
		return 0;
	return check_path(sec, opt);
}

static int
check_ca_file(cfg_t *sec, cfg_opt_t *opt)
{
	const char	*why;
	char		*path;
	struct stat	 st;
	int		 rc = -1;

	if ((why = conf_path_expand(opt_last_str(opt), &path)) != NULL)
		cfg_error(sec, "%s: '%s' %s", cfg_opt_name(opt),
		    opt_last_str(opt), why);
	else if (stat(path, &st) == -1)
		cfg_error(sec, "%s: %s: %s", cfg_opt_name(opt), path,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode))
		cfg_error(sec, "%s: %s is not a file", cfg_opt_name(opt), path);
	else
		rc = 0;
	free(path);
	return rc;
}

static int
check_deliver(cfg_t *sec, cfg_opt_t *opt)
{
	const char	*v = opt_last_str(opt), *why;
	char		*target;

	why = conf_deliver_expand(v, &target);
	free(target);
	if (why == NULL)
		return 0;
	cfg_error(sec, "deliver: '%s' %s", v, why);
	return -1;
}

static int
check_fingerprint(cfg_t *sec, cfg_opt_t *opt)
{
	char		 fp[CONF_FINGERPRINT_LEN];
	const char	*why;

	if ((why = conf_fingerprint_parse(opt_last_str(opt), fp,
	    sizeof(fp))) == NULL)
		return 0;
	cfg_error(sec, "tls-fingerprint: %s", why);
	return -1;
}

static int
check_size(cfg_t *sec, cfg_opt_t *opt)
{
	const char	*v = opt_last_str(opt), *why;
	uint64_t	 size;

	if ((why = conf_size_parse(v, &size)) == NULL)
		return 0;
	cfg_error(sec, "max-size: '%s' %s", v, why);
	return -1;
}

static int
check_webhook_format(cfg_t *sec, cfg_opt_t *opt)
{
	return check_enum(sec, opt, conf_webhook_format_names);
}

static int
check_timeout(cfg_t *sec, cfg_opt_t *opt)
{
	return check_range(sec, opt, 1, 3600);
}

static int
check_retry(cfg_t *sec, cfg_opt_t *opt)
{
	return check_range(sec, opt, 1, 365L * 86400);
}

/* A URL libcurl is to post to: http or https, nothing to split a
 * request line or a header with. */
static int
check_url(cfg_t *sec, cfg_opt_t *opt)
{
	const char	*v = opt_last_str(opt), *p;

	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			break;
	if (*p == '\0' && (strncmp(v, "https://", 8) == 0 ||
	    strncmp(v, "http://", 7) == 0) && strlen(v) > 8)
		return 0;
	cfg_error(sec, "url: '%s' must be an http:// or https:// URL without "
	    "spaces", v);
	return -1;
}

/* "Name: value", no line break; not one mailsift sets itself. */
static int
check_header(cfg_t *sec, cfg_opt_t *opt)
{
	const char	*v = opt_last_str(opt), *p, *colon;

	colon = strchr(v, ':');
	for (p = v; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			break;
	if (colon != NULL && colon != v && *p == '\0' &&
	    strncasecmp(v, "X-Mailsift-", 11) != 0 &&
	    strncasecmp(v, "Content-Type:", 13) != 0 &&
	    strncasecmp(v, "Content-Length:", 15) != 0)
		return 0;
	cfg_error(sec, "headers: '%s' must be \"Name: value\" on one line, "
	    "and not one mailsift sets (X-Mailsift-*, Content-Type, "
	    "Content-Length)", v);
	return -1;
}

static int
check_system_user(cfg_t *sec, cfg_opt_t *opt)
{
	const char	*v = opt_last_str(opt);
	struct passwd	 pw, *res;
	char		 buf[16384];
	int		 rc;

	rc = getpwnam_r(v, &pw, buf, sizeof(buf), &res);
	if (rc == 0 && res != NULL)
		return 0;
	if (rc != 0)
		cfg_error(sec, "user: cannot look up '%s': %s", v,
		    strerror(rc));
	else
		cfg_error(sec, "user: no user '%s' on this system", v);
	return -1;
}

static int
check_from(cfg_t *sec, cfg_opt_t *opt)
{
	const char	*v = opt_last_str(opt), *at = strchr(v, '@');

	if (at != NULL && at != v && at[1] != '\0' &&
	    strpbrk(v, " \t\r\n<>\"") == NULL)
		return 0;
	cfg_error(sec, "from: '%s' is not an address like me@example.com", v);
	return -1;
}

/* metrics-listen: "HOST:PORT", "[V6]:PORT", ":PORT" or "PORT" (no host:
 * the loopback); the listener resolves the host when it starts. */
static int
check_listen(cfg_t *sec, cfg_opt_t *opt)
{
	const char	*v = opt_last_str(opt), *p = strrchr(v, ':');
	char		*end;
	long		 port;

	p = p != NULL ? p + 1 : v;
	port = strtol(p, &end, 10);
	if (*p >= '0' && *p <= '9' && *end == '\0' && port >= 1 &&
	    port <= 65535 && strpbrk(v, " \t\r\n/") == NULL &&
	    (v[0] != '[' || strstr(v, "]:") != NULL))
		return 0;
	cfg_error(sec, "metrics-listen: '%s' is not HOST:PORT (e.g. "
	    "127.0.0.1:9532)", v);
	return -1;
}

static int
check_nonempty(cfg_t *sec, cfg_opt_t *opt)
{
	if (cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1)[0] != '\0')
		return 0;
	cfg_error(sec, "%s: must not be empty", cfg_opt_name(opt));
	return -1;
}

struct opt_rule {
	const char	*section;	/* NULL: any */
	const char	*option;
	int		(*check)(cfg_t *, cfg_opt_t *);
};

static const struct opt_rule opt_rules[] = {
	{ "root", "state", check_state },
	{ "root", "log", check_log },
	{ "root", "log-level", check_log_level },
	{ "root", "log-format", check_log_format },
	{ "root", "parallel", check_parallel },
	{ "root", "connect-limit", check_pace },
	{ "root", "connect-rate", check_pace },
	{ "root", "lease-time", check_lease_time },
	{ "root", "user", check_system_user },
	{ "root", "max-size", check_size },
	{ "root", "metrics-listen", check_listen },
	{ "account", "type", check_type },
	{ "account", "auth", check_account_auth },
	{ "account", "path", check_path },
	{ "account", "rules", check_path },
	{ "account", "idle-max-folders", check_idle_max },
	{ "account", "recipient", check_recipient },
	{ "account", "lmtp-tls", check_lmtp_tls },
	{ "account", "lmtp-tls-ca-file", check_ca_file },
	{ "account", "lmtp-reject", check_lmtp_reject },
	{ "account", "lmtp-connections", check_lmtp_conns },
	{ "account", "pin", check_pin },
	{ "smtp", "auth", check_smtp_auth },
	{ "smtp", "from", check_from },
	{ "webhook", "url", check_url },
	{ "webhook", "format", check_webhook_format },
	{ "webhook", "timeout", check_timeout },
	{ "webhook", "max-size", check_size },
	{ "webhook", "headers", check_header },
	{ "webhook", "retry-time", check_retry },
	{ "webhook", "retry-min", check_retry },
	{ NULL, "poll", check_poll },
	{ NULL, "port", check_port },
	{ NULL, "tls", check_tls },
	{ NULL, "tls-ca-file", check_ca_file },
	{ NULL, "tls-fingerprint", check_fingerprint },
	{ NULL, "deliver", check_deliver },
};

int
conf_value_check(cfg_t *sec, cfg_opt_t *opt)
{
	const struct opt_rule	*r;
	size_t			 i;

	for (i = 0; i < sizeof(opt_rules) / sizeof(opt_rules[0]); i++) {
		r = &opt_rules[i];
		if ((r->section == NULL ||
		    strcmp(r->section, cfg_name(sec)) == 0) &&
		    strcmp(r->option, cfg_opt_name(opt)) == 0)
			return r->check(sec, opt);
	}
	if (opt->type == CFGT_STR)
		return check_nonempty(sec, opt);
	return 0;
}

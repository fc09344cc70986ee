/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for daemon/conf/conf.c, conf-build.c, conf-text.c and
 * cmd-check.c: the configuration file and `mailsift check`.
 *
 * Every test writes its files into one temporary directory, which is
 * also $HOME, so "~/" paths are predictable; the directory is removed at
 * the end.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/cmd/cmd.h"
#include "daemon/conf/conf.h"
#include "daemon/conf/conf-text.h"
#include "daemon/conf/oauth2.h"
#include "daemon/util/log.h"

/* The smallest account that loads, for tests of everything else. */
#define STDIN_ACCOUNT \
	"account \"a\" {\n type = stdin\n deliver = \"maildir:/m\"\n}\n"

static char	 dir[64];
static char	 files[32][32];
static size_t	 nfiles;

static int
group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mailsift-conf-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	if (setenv("HOME", dir, 1) == -1 || unsetenv("XDG_CONFIG_HOME") == -1)
		return -1;
	log_init(0, LOG_LEVEL_ERROR);
	return 0;
}

static int
group_teardown(void **state)
{
	char	 path[PATH_MAX];
	size_t	 i;

	(void)state;
	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (unlink(path) == -1 && errno != ENOENT)
			return -1;
	}
	return rmdir(dir);
}

/* dir/name, remembered for the cleanup. */
static const char *
file_path(const char *name)
{
	static char	 path[PATH_MAX];
	size_t		 i;

	for (i = 0; i < nfiles; i++)
		if (strcmp(files[i], name) == 0)
			break;
	if (i == nfiles) {
		assert_true(nfiles < sizeof(files) / sizeof(files[0]));
		snprintf(files[nfiles++], sizeof(files[0]), "%s", name);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static const char *
file_write(const char *name, mode_t mode, const char *text, size_t len)
{
	const char	*path = file_path(name);
	int		 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_not_equal(fd, -1);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static const char *
conf_write(const char *text, mode_t mode)
{
	return file_write("t.conf", mode, text, strlen(text));
}

static struct config *
load_ok(const char *text, mode_t mode)
{
	struct config	*conf;
	char		 err[1024];

	conf = config_load(conf_write(text, mode), err, sizeof(err));
	if (conf == NULL)
		fail_msg("load failed: %s", err);
	return conf;
}

/* Loading fails with "PATH:LINE: ..." (no LINE if 0) holding want. */
static void
load_error_mode(const char *text, mode_t mode, int line, const char *want)
{
	struct config	*conf;
	char		 err[1024], prefix[PATH_MAX + 32];
	const char	*path = conf_write(text, mode);

	conf = config_load(path, err, sizeof(err));
	if (conf != NULL) {
		config_free(conf);
		fail_msg("loaded, expected an error with '%s'", want);
	}
	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", path);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, prefix);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not say '%s'", err, want);
}

static void
load_error(const char *text, int line, const char *want)
{
	load_error_mode(text, 0600, line, want);
}

static char *
home_path(const char *rest)
{
	static char	 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", dir, rest);
	return path;
}

static const char full_conf[] =
    "# every option\n"
    "state = \"~/state/db.sqlite\"\n"
    "log = syslog\n"
    "log-level = debug\n"
    "poll = 60\n"
    "parallel = 8\n"
    "user = \"root\"\n"
    "max-size = 10M\n"
    "deliver = \"mbox:~/Mail/default.mbox\"\n"
    "\n"
    "account \"work\" {\n"
    "\ttype = imap\n"
    "\thost = \"imap.example.com\"\n"
    "\ttls = starttls\n"
    "\ttls-verify = false\n"
    "\ttls-ca-file = \"~/ca.pem\"\n"
    "\ttls-fingerprint = \"sha256:A0:B1:C2:D3:E4:F5:06:17:28:39:4A:5B:"
    "6C:7D:8E:9F:A0:B1:C2:D3:E4:F5:06:17:28:39:4A:5B:6C:7D:8E:9F\"\n"
    "\tuser = \"jane@example.com\"\n"
    "\tpassword = 'pa$${x} \"w\\\\'\n"
    "\tauth = login\n"
    "\tfolders = { \"INBOX\",  # a comment inside a list\n"
    "\t\t\"Lists/a b\" }\n"
    "\tonly-unseen = true\n"
    "\tkeep = false\n"
    "\tidle = true\n"
    "\tpoll = 30\n"
    "\tdeliver = \"maildir:~/Mail/work\"\n"
    "\trules = \"~/rules/work.yaml\"\n"
    "\tsmtp = \"out\"\n"
    "}\n"
    "account \"gmail\" {\n"
    "\ttype = imap\n"
    "\thost = \"imap.gmail.com\"\n"
    "\tport = 1993\n"
    "\ttls = none\n"
    "\tallow-plaintext-auth = true\n"
    "\tuser = \"me@gmail.com\"\n"
    "\tpassword-command = \"printf token\"\n"
    "\tauth = xoauth2\n"
    "}\n"
    "account \"isp\" {\n"
    "\ttype = pop3\n"
    "\thost = \"pop.example.org\"\n"
    "\tuser = jd\n"
    "\tpassword = \"isp-pw-9\"\n"
    "\tauth = apop\n"
    "}\n"
    "account \"old\" { type = maildir path = \"/srv/old\" keep = false\n"
    "\tdeliver = \"maildir:/srv/new\" }\n"
    "account \"spool\" { type = mbox path = \"~/spool.mbox\" }\n"
    "account \"pipe\" { type = stdin }\n"
    "smtp \"out\" {\n"
    "\thost = \"smtp.example.com\"\n"
    "\ttls = starttls\n"
    "\ttls-fingerprint = \"0123456789ABCDEF0123456789ABCDEF"
    "0123456789ABCDEF0123456789ABCDEF\"\n"
    "\tuser = \"jane@example.com\"\n"
    "\tpassword-command = \"printf x\"\n"
    "\tauth = plain\n"
    "\tfrom = \"jane@example.com\"\n"
    "}\n"
    "smtp \"relay\" { host = \"localhost\" tls = none\n"
    "\tfrom = \"me@localhost\" }\n"
    "log-format = json\n";

static void
test_full_config_globals(void **state)
{
	struct config	*conf;

	(void)state;
	file_write("ca.pem", 0644, "x\n", 2);
	conf = load_ok(full_conf, 0600);
	assert_string_equal(conf->path, file_path("t.conf"));
	assert_string_equal(conf->state, home_path("/state/db.sqlite"));
	assert_int_equal(conf->log_syslog, 1);
	assert_int_equal(conf->log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(conf->log_format, LOG_FORMAT_JSON);
	assert_int_equal(conf->poll, 60);
	assert_int_equal(conf->parallel, 8);
	assert_string_equal(conf->user, "root");
	assert_int_equal(conf->max_size, 10 * 1024 * 1024);
	assert_int_equal(conf->naccounts, 6);
	assert_int_equal(conf->nsmtp, 2);
	config_free(conf);
}

static void
test_full_config_imap(void **state)
{
	struct config		*conf;
	const struct account	*a;

	(void)state;
	file_write("ca.pem", 0644, "x\n", 2);
	conf = load_ok(full_conf, 0600);
	a = config_account(conf, "work");
	assert_non_null(a);
	assert_ptr_equal(a, &conf->accounts[0]);
	assert_string_equal(a->name, "work");
	assert_int_equal(a->type, ACCT_IMAP);
	assert_string_equal(a->ep.label, "account 'work'");
	assert_string_equal(a->ep.host, "imap.example.com");
	assert_string_equal(a->ep.port, "143");
	assert_int_equal(a->ep.tls, TLS_STARTTLS);
	assert_int_equal(a->ep.tls_verify, 0);
	assert_string_equal(a->ep.tls_ca_file, home_path("/ca.pem"));
	assert_string_equal(a->ep.tls_fingerprint, "sha256:"
	    "a0b1c2d3e4f5061728394a5b6c7d8e9fa0b1c2d3e4f5061728394a5b6c7d8e9f");
	assert_int_equal(a->ep.allow_plaintext_auth, 0);
	assert_string_equal(a->ep.user, "jane@example.com");
	/* Single quotes: no ${} expansion, only \\ and \' are escapes. */
	assert_string_equal(a->ep.password, "pa$${x} \"w\\");
	assert_null(a->ep.password_command);
	assert_int_equal(a->ep.auth, AUTH_LOGIN);
	assert_int_equal(a->nfolders, 2);
	assert_string_equal(a->folders[0], "INBOX");
	assert_string_equal(a->folders[1], "Lists/a b");
	assert_int_equal(a->only_unseen, 1);
	assert_int_equal(a->keep, 0);
	assert_int_equal(a->idle, 1);
	assert_int_equal(a->poll, 30);
	assert_null(a->path);
	assert_memory_equal(a->deliver, "maildir:", 8);
	assert_string_equal(a->deliver + 8, home_path("/Mail/work"));
	assert_string_equal(a->rules, home_path("/rules/work.yaml"));
	assert_string_equal(a->smtp, "out");
	assert_int_equal(a->line, 12);

	a = config_account(conf, "gmail");
	assert_non_null(a);
	assert_string_equal(a->ep.port, "1993");
	assert_int_equal(a->ep.tls, TLS_NONE);
	assert_int_equal(a->ep.tls_verify, 1);
	assert_int_equal(a->ep.allow_plaintext_auth, 1);
	assert_null(a->ep.password);
	assert_string_equal(a->ep.password_command, "printf token");
	assert_int_equal(a->ep.auth, AUTH_XOAUTH2);
	assert_int_equal(a->nfolders, 1);
	assert_string_equal(a->folders[0], "INBOX");
	assert_int_equal(a->keep, 1);
	assert_int_equal(a->poll, 0);
	assert_null(a->rules);
	assert_null(a->smtp);
	/* The global default deliver, ~ expanded. */
	assert_string_equal(a->deliver + 5, home_path("/Mail/default.mbox"));
	assert_memory_equal(a->deliver, "mbox:", 5);
	config_free(conf);
}

static void
test_full_config_others(void **state)
{
	struct config			*conf;
	const struct account		*a;
	const struct smtp_server	*s;

	(void)state;
	file_write("ca.pem", 0644, "x\n", 2);
	conf = load_ok(full_conf, 0600);
	a = config_account(conf, "isp");
	assert_non_null(a);
	assert_int_equal(a->type, ACCT_POP3);
	assert_string_equal(a->ep.port, "995");
	assert_int_equal(a->ep.tls, TLS_IMPLICIT);
	assert_int_equal(a->ep.auth, AUTH_APOP);
	assert_string_equal(a->ep.password, "isp-pw-9");

	a = config_account(conf, "old");
	assert_non_null(a);
	assert_int_equal(a->type, ACCT_MAILDIR);
	assert_string_equal(a->path, "/srv/old");
	assert_int_equal(a->keep, 0);
	assert_string_equal(a->deliver, "maildir:/srv/new");
	assert_null(a->ep.host);
	assert_null(a->ep.port);

	a = config_account(conf, "spool");
	assert_non_null(a);
	assert_int_equal(a->type, ACCT_MBOX);
	assert_string_equal(a->path, home_path("/spool.mbox"));

	a = config_account(conf, "pipe");
	assert_non_null(a);
	assert_int_equal(a->type, ACCT_STDIN);
	assert_null(config_account(conf, "nope"));

	s = config_smtp(conf, "out");
	assert_non_null(s);
	assert_string_equal(s->ep.label, "smtp 'out'");
	assert_string_equal(s->ep.host, "smtp.example.com");
	assert_string_equal(s->ep.port, "587");
	assert_int_equal(s->ep.tls, TLS_STARTTLS);
	assert_string_equal(s->ep.tls_fingerprint, "sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_string_equal(s->ep.password_command, "printf x");
	assert_int_equal(s->ep.auth, AUTH_PLAIN);
	assert_string_equal(s->from, "jane@example.com");
	s = config_smtp(conf, "relay");
	assert_non_null(s);
	assert_string_equal(s->ep.port, "587");
	assert_int_equal(s->ep.tls, TLS_NONE);
	assert_null(s->ep.user);
	assert_null(config_smtp(conf, "work"));
	config_free(conf);
}

static void
test_defaults(void **state)
{
	struct config		*conf;
	const struct account	*a;

	(void)state;
	conf = load_ok(
	    "deliver = \"maildir:~/Mail\"\n"
	    "account i { type = imap host = h user = u password = p }\n"
	    "account p { type = pop3 host = h user = u password = p }\n"
	    "smtp s { host = h from = \"a@b\" }\n", 0600);
	assert_string_equal(conf->state,
	    home_path("/.local/state/mailsift/state.db"));
	assert_int_equal(conf->log_syslog, 0);
	assert_int_equal(conf->log_level, LOG_LEVEL_INFO);
	assert_int_equal(conf->log_format, LOG_FORMAT_TEXT);
	assert_int_equal(conf->poll, 300);
	assert_int_equal(conf->parallel, 4);
	assert_int_equal(conf->lease_time, 30);
	assert_null(conf->user);
	assert_int_equal(conf->max_size, 64 * 1024 * 1024);

	a = &conf->accounts[0];
	assert_int_equal(a->ep.tls, TLS_IMPLICIT);
	assert_string_equal(a->ep.port, "993");
	assert_int_equal(a->ep.tls_verify, 1);
	assert_null(a->ep.tls_ca_file);
	assert_null(a->ep.tls_fingerprint);
	assert_int_equal(a->ep.allow_plaintext_auth, 0);
	assert_int_equal(a->ep.auth, AUTH_AUTO);
	assert_int_equal(a->nfolders, 1);
	assert_string_equal(a->folders[0], "INBOX");
	assert_int_equal(a->only_unseen, 0);
	assert_int_equal(a->keep, 1);
	assert_int_equal(a->idle, 0);
	assert_int_equal(a->idle_max_folders, 5);
	assert_int_equal(a->idle_notify, 1);
	assert_int_equal(a->poll, 0);
	assert_null(a->pin);
	assert_string_equal(a->deliver + 8, home_path("/Mail"));
	assert_string_equal(conf->accounts[1].ep.port, "995");
	assert_string_equal(conf->smtp[0].ep.port, "465");
	assert_int_equal(conf->smtp[0].ep.tls, TLS_IMPLICIT);
	config_free(conf);
}

static void
test_port_defaults_follow_tls(void **state)
{
	struct config	*conf;

	(void)state;
	conf = load_ok(
	    "deliver = \"maildir:/m\"\n"
	    "account a { type = imap host = h user = u password = p\n"
	    "  tls = starttls }\n"
	    "account b { type = imap host = h user = u password = p\n"
	    "  tls = none allow-plaintext-auth = true }\n"
	    "account c { type = pop3 host = h user = u password = p\n"
	    "  tls = starttls }\n"
	    "account d { type = pop3 host = h user = u password = p\n"
	    "  tls = implicit port = 10995 }\n"
	    "smtp s { host = h tls = starttls from = \"a@b\" }\n", 0600);
	assert_string_equal(conf->accounts[0].ep.port, "143");
	assert_string_equal(conf->accounts[1].ep.port, "143");
	assert_string_equal(conf->accounts[2].ep.port, "110");
	assert_string_equal(conf->accounts[3].ep.port, "10995");
	assert_string_equal(conf->smtp[0].ep.port, "587");
	config_free(conf);
}

static void
test_example_config_loads(void **state)
{
	struct config	*conf;
	char		 err[1024];

	(void)state;
	/* The tests run from the top of the source tree. */
	conf = config_load("etc/mailsift.conf", err, sizeof(err));
	if (conf == NULL)
		fail_msg("etc/mailsift.conf: %s", err);
	assert_int_equal(conf->naccounts, 10);
	assert_int_equal(conf->nsmtp, 2);
	assert_int_equal(conf->nwebhooks, 1);
	assert_int_equal(conf->accounts[0].type, ACCT_IMAP);
	assert_int_equal(conf->accounts[1].type, ACCT_IMAP);
	assert_int_equal(conf->accounts[2].type, ACCT_POP3);
	assert_int_equal(conf->accounts[6].type, ACCT_MAILDIR);
	assert_string_equal(conf->accounts[1].folders[1], "Family");
	/* the OAuth2 examples: Gmail, Outlook.com, Gmail's submission */
	assert_non_null(conf->accounts[3].ep.oauth2);
	assert_int_equal(conf->accounts[3].ep.oauth2->provider, OAUTH2_GOOGLE);
	assert_non_null(conf->accounts[4].ep.oauth2);
	assert_int_equal(conf->accounts[4].ep.oauth2->provider,
	    OAUTH2_MICROSOFT);
	assert_ptr_equal(conf->smtp[1].ep.oauth2->grant, &conf->accounts[3]);
	assert_int_equal(conf->accounts[5].ep.oauth2->flow,
	    OAUTH2_FLOW_CLIENT_CREDENTIALS);
	/* the network targets' examples */
	assert_string_equal(conf->accounts[7].deliver,
	    "imap:gathered/Archive/ISP");
	assert_false(conf->accounts[8].fetch);
	assert_string_equal(conf->accounts[9].deliver, "webhook:helpdesk");
	config_free(conf);
}

static void
test_syntax_error_line(void **state)
{
	(void)state;
	/* Comments before the error: libconfuse 3.3 alone would say 9. */
	load_error("# one\n// two\n/* three\n   four */\n"
	    "account a {\n type = = imap\n}\n", 6, "unexpected token");
	load_error("poll = 5\nparallel = abc\n", 2,
	    "invalid integer value for option 'parallel'");
	load_error("account a {\n type = stdin\n\n", 1, "'{' is never closed");
	load_error("# x\n}\n", 2, "'}' without a matching '{'");
	load_error("\n\nstate = \"abc\n\n", 3, "string is never closed");
	load_error("# x\n/* open\n", 2, "'/*' comment is never closed");
	load_error("account {\n type = stdin\n}\n", 1, "missing title");
}

static void
test_unknown_option(void **state)
{
	(void)state;
	load_error("# c\naccount \"a\" {\n type = imap\n frobnicate = 1\n}\n",
	    4, "account 'a': no such option 'frobnicate'");
	load_error("colour = blue\n", 1, "no such option 'colour'");
	/* A global-only option inside a section is unknown there. */
	load_error("account a {\n parallel = 2\n}\n", 2,
	    "no such option 'parallel'");
}

static void
test_bad_enums(void **state)
{
	(void)state;
	load_error("account a {\n type = imap4\n}\n", 2,
	    "type: 'imap4' is not valid; use imap, pop3, maildir, mbox or "
	    "stdin");
	load_error("account a {\n tls = ssl\n}\n", 2,
	    "tls: 'ssl' is not valid; use implicit, starttls or none");
	load_error("account a {\n auth = cram-md5\n}\n", 2,
	    "use auto, plain, login, xoauth2, oauthbearer, apop or oauth2");
	load_error("smtp s {\n auth = apop\n}\n", 2,
	    "use auto, plain, login, xoauth2 or oauth2");
	load_error("log = file\n", 1, "use stderr or syslog");
	load_error("log-level = verbose\n", 1,
	    "use error, warn, info, debug or trace");
	load_error("log-format = yaml\n", 1, "use text or json");
	load_error("account a {\n keep = maybe\n}\n", 2,
	    "invalid boolean value for option 'keep'");
}

static void
test_ranges(void **state)
{
	(void)state;
	load_error("parallel = 0\n", 1, "parallel: 0 is out of range; use 1 "
	    "to 64");
	load_error("parallel = 65\n", 1, "parallel: 65 is out of range");
	load_error("poll = 0\n", 1, "poll: 0 is out of range");
	load_error("account a {\n port = 65536\n}\n", 2,
	    "port: 65536 is out of range; use 1 to 65535");
	load_error("account a {\n poll = -5\n}\n", 2, "poll: -5 is out");
	load_error("\nuser = \"no-such-user-here\"\n", 2,
	    "no user 'no-such-user-here'");
	load_error("lease-time = 5\n", 1, "lease-time: 5 is out of range; "
	    "use 6 to 3600");
	load_error("\nlease-time = 3601\n", 2, "lease-time: 3601 is out");
}

/* A shared store's options: lease-time, and pin with a node's name. */
static void
test_cluster_options(void **state)
{
	struct config	*conf;

	(void)state;
	conf = load_ok(
	    "lease-time = 60\n"
	    "account i { type = imap host = h user = u password = p\n"
	    " deliver = \"maildir:~/M\" pin = \"mail1.example\" }\n", 0600);
	assert_int_equal(conf->lease_time, 60);
	assert_string_equal(conf->accounts[0].pin, "mail1.example");
	config_free(conf);
	load_error("account a {\n pin = \"two words\"\n}\n", 2,
	    "pin: 'two words' has a space");
	load_error("account a {\n\n pin = \"\"\n}\n", 3,
	    "pin: '' is empty");
	load_error("account a {\n pin = \"x12345678901234567890123456789012345678"
	    "90123456789012345678901234567\"\n}\n", 2,
	    "is longer than 64 bytes");
	assert_null(conf_node_check("mail1"));
	assert_null(conf_node_check("a.b-c_d:1"));
	assert_non_null(conf_node_check("caf\xc3\xa9"));
	assert_non_null(conf_node_check("tab\there"));
}

static void
test_missing_required(void **state)
{
	(void)state;
	load_error("account a {\n type = imap\n user = u\n password = p\n"
	    " deliver = \"maildir:/m\"\n}\n", 2,
	    "account 'a': type imap needs 'host'");
	load_error("account a {\n type = pop3\n host = h\n password = p\n"
	    " deliver = \"maildir:/m\"\n}\n", 2, "'user' is required");
	load_error("account a {\n type = pop3\n host = h\n user = u\n"
	    " deliver = \"maildir:/m\"\n}\n", 4,
	    "needs 'password' or 'password-command'");
	load_error("account a {\n host = h\n}\n", 2, "'type' is required");
	load_error("account a {\n type = mbox\n deliver = \"maildir:/m\"\n}\n",
	    2, "type mbox needs 'path'");
	load_error("account a {\n type = stdin\n}\n", 2,
	    "'deliver' is required here, or as a global default");
	load_error("smtp s {\n from = \"a@b\"\n}\n" STDIN_ACCOUNT, 2,
	    "smtp 's': 'host' is required");
	load_error("smtp s {\n host = h\n}\n" STDIN_ACCOUNT, 2,
	    "'from' (the envelope sender) is required");
	load_error("poll = 60\n", 0, "no account is configured");
	load_error("", 0, "no account is configured");
}

static void
test_password_and_command(void **state)
{
	(void)state;
	load_error("account a {\n type = imap\n host = h\n user = u\n"
	    " password = p\n password-command = \"pass x\"\n"
	    " deliver = \"maildir:/m\"\n}\n", 6,
	    "'password' and 'password-command' are both set; keep one");
	load_error(STDIN_ACCOUNT "smtp s {\n host = h\n from = \"a@b\"\n"
	    " password = p\n}\n", 8, "'password' is set but 'user' is not");
}

static void
test_smtp_reference(void **state)
{
	(void)state;
	load_error("smtp \"out\" { host = h from = \"a@b\" }\n"
	    "account a {\n type = stdin\n deliver = \"maildir:/m\"\n"
	    " smtp = \"outgoing\"\n}\n", 5,
	    "smtp 'outgoing' is not defined");
}

static void
test_duplicates(void **state)
{
	(void)state;
	load_error(STDIN_ACCOUNT "\n" STDIN_ACCOUNT, 6,
	    "account 'a' is defined twice (first on line 2)");
	load_error(STDIN_ACCOUNT "smtp s { host = h from = \"a@b\" }\n"
	    "smtp s { host = h from = \"a@b\" }\n", 6,
	    "smtp 's' is defined twice");
	load_error("account a {\n type = stdin\n deliver = \"maildir:/m\"\n"
	    " deliver = \"mbox:/m\"\n}\n", 4,
	    "deliver: set twice (first on line 3)");
	load_error("account a {\n type = imap\n host = h\n user = u\n"
	    " password = p\n folders = { INBOX, x, INBOX }\n"
	    " deliver = \"maildir:/m\"\n}\n", 6, "'INBOX' is listed twice");
}

/* folders = { '\All' }: a SPECIAL-USE attribute, resolved at the
 * server; any other name starting with '\' is refused.  In double
 * quotes libconfuse takes "\A" as an escape: "\\All" is needed. */
static void
test_special_use_folders(void **state)
{
	struct config	*conf;

	(void)state;
	conf = load_ok("account a {\n type = imap\n host = h\n user = u\n"
	    " password = p\n folders = { '\\All', \"\\\\Archive\", "
	    "'\\junk', INBOX }\n deliver = \"maildir:/m\"\n}\n", 0600);
	assert_int_equal(conf->accounts[0].nfolders, 4);
	assert_string_equal(conf->accounts[0].folders[0], "\\All");
	assert_string_equal(conf->accounts[0].folders[1], "\\Archive");
	assert_string_equal(conf->accounts[0].folders[2], "\\junk");
	config_free(conf);
	load_error("account a {\n type = imap\n host = h\n user = u\n"
	    " password = p\n folders = { INBOX, '\\Spam' }\n"
	    " deliver = \"maildir:/m\"\n}\n", 6, "folders: '\\Spam' is not "
	    "a SPECIAL-USE folder (\\All, \\Archive");
	load_error("account a {\n type = imap\n host = h\n user = u\n"
	    " password = p\n folders = { '\\Junk/x' }\n"
	    " deliver = \"maildir:/m\"\n}\n", 6, "no other folder name "
	    "starts with '\\'");
	/* "\Junk" in double quotes would reach mailsift as "Junk", a folder
	 * of that name: refused where it is written, with the fix */
	load_error("account a {\n type = imap\n host = h\n user = u\n"
	    " password = p\n folders = { INBOX,\n \"\\Junk\" }\n"
	    " deliver = \"maildir:/m\"\n}\n", 7, "\"\\Junk\" in double "
	    "quotes loses its backslash; write '\\Junk' or \"\\\\Junk\"");
	/* not a SPECIAL-USE name: an escape as libconfuse has it */
	conf = load_ok("account a {\n type = imap\n host = h\n user = u\n"
	    " password = p\n folders = { \"a\\tb\" }\n"
	    " deliver = \"maildir:/m\"\n}\n", 0600);
	assert_string_equal(conf->accounts[0].folders[0], "a\tb");
	config_free(conf);
}

static void
test_fingerprint(void **state)
{
	char	 out[CONF_FINGERPRINT_LEN];
	char	 hex[] = "ABCDEFabcdef0123456789abcdefABCDEF"
		    "0123456789abcdef0123456789ab";

	(void)state;
	assert_int_equal(strlen(hex), 62);
	assert_non_null(conf_fingerprint_parse(hex, out, sizeof(out)));
	assert_null(conf_fingerprint_parse("sha256:ABCDEFabcdef0123456789abcd"
	    "efABCDEF0123456789abcdef0123456789abcd", out, sizeof(out)));
	assert_string_equal(out, "sha256:abcdefabcdef0123456789abcdefabcdef"
	    "0123456789abcdef0123456789abcd");
	assert_non_null(conf_fingerprint_parse("sha256:ABCDEFabcdef012345678"
	    "9abcdefABCDEF0123456789abcdef0123456789abcdef", out, sizeof(out)));
	assert_non_null(conf_fingerprint_parse("sha1:AB", out, sizeof(out)));
	assert_non_null(conf_fingerprint_parse("", out, sizeof(out)));
	load_error("account a {\n type = imap\n tls-fingerprint = \"sha256:"
	    "AB:CD:EF\"\n}\n", 3, "tls-fingerprint: expected the certificate's "
	    "SHA-256 as 64 hex digits");
	load_error("account a {\n tls-fingerprint = \"zz\"\n}\n", 2,
	    "tls-fingerprint: expected");
}

static void
test_max_size(void **state)
{
	uint64_t	 v;

	(void)state;
	assert_null(conf_size_parse("123", &v));
	assert_int_equal(v, 123);
	assert_null(conf_size_parse("1k", &v));
	assert_int_equal(v, 1024);
	assert_null(conf_size_parse("3G", &v));
	assert_int_equal(v, 3ULL << 30);
	assert_null(conf_size_parse("18446744073709551615", &v));
	assert_int_equal(v, UINT64_MAX);
	assert_non_null(conf_size_parse("18446744073709551616", &v));
	assert_non_null(conf_size_parse("17179869184G", &v));
	assert_non_null(conf_size_parse("0", &v));
	assert_non_null(conf_size_parse("64MB", &v));
	assert_non_null(conf_size_parse("-1", &v));
	assert_non_null(conf_size_parse("M", &v));
	load_error("max-size = 12Q\n", 1, "max-size: '12Q' expected a number "
	    "of bytes with an optional K, M or G suffix");
	load_error("\nmax-size = 0\n", 2, "max-size: '0' must be more than 0");
}

static void
test_paths(void **state)
{
	char	*p;

	(void)state;
	assert_null(conf_path_expand("~", &p));
	assert_string_equal(p, dir);
	free(p);
	assert_null(conf_path_expand("~/a/b", &p));
	assert_string_equal(p, home_path("/a/b"));
	free(p);
	assert_null(conf_path_expand("/abs", &p));
	assert_string_equal(p, "/abs");
	free(p);
	assert_non_null(conf_path_expand("~bob/x", &p));
	assert_null(p);
	assert_non_null(conf_path_expand("rel/x", &p));
	assert_non_null(conf_path_expand("", &p));
	assert_null(conf_deliver_expand("mbox:~/x", &p));
	assert_string_equal(p + 5, home_path("/x"));
	free(p);
	assert_non_null(conf_deliver_expand("mh:/x", &p));
	assert_non_null(conf_deliver_expand("maildir:", &p));
	load_error("state = \"db.sqlite\"\n", 1, "state: 'db.sqlite' must be "
	    "an absolute path or start with ~/");
	load_error("account a {\n deliver = \"~/Mail\"\n}\n", 2,
	    "deliver: '~/Mail' must be maildir:PATH, mbox:PATH, "
	    "lmtp:ADDRESS, imap:ACCOUNT/FOLDER or webhook:NAME");
	load_error("account a {\n path = \"~bob/Mail\"\n}\n", 2,
	    "~user is not supported");
	load_error("account a {\n tls-ca-file = \"/nonexistent/ca.pem\"\n}\n",
	    2, "tls-ca-file: /nonexistent/ca.pem: No such file or directory");
}

static void
test_home_unset(void **state)
{
	(void)state;
	assert_int_equal(unsetenv("HOME"), 0);
	load_error("account a {\n type = stdin\n"
	    " deliver = \"maildir:~/M\"\n}\n",
	    3, "HOME is not set");
	/* The default state path needs HOME too. */
	load_error(STDIN_ACCOUNT, 0, "state: '~/.local/state/mailsift/"
	    "state.db' starts with ~ but HOME is not set");
	assert_int_equal(setenv("HOME", dir, 1), 0);
}

static void
test_type_scope(void **state)
{
	(void)state;
	load_error("account a {\n type = pop3\n host = h\n user = u\n"
	    " password = p\n idle = true\n deliver = \"maildir:/m\"\n}\n", 6,
	    "'idle' does not apply to type pop3, only to imap");
	load_error("account a {\n type = pop3\n host = h\n user = u\n"
	    " password = p\n idle-max-folders = 3\n"
	    " deliver = \"maildir:/m\"\n}\n", 6,
	    "'idle-max-folders' does not apply to type pop3, only to imap");
	load_error("account a {\n type = imap\n host = h\n user = u\n"
	    " password = p\n idle-max-folders = 0\n"
	    " deliver = \"maildir:/m\"\n}\n", 6, "idle-max-folders");
	load_error("account a {\n type = maildir\n path = /x\n host = h\n"
	    " deliver = \"maildir:/m\"\n}\n", 4,
	    "'host' does not apply to type maildir, only to imap and pop3");
	load_error("account a {\n type = stdin\n path = /x\n"
	    " deliver = \"maildir:/m\"\n}\n", 3, "'path' does not apply");
	load_error("account a {\n type = imap\n host = h\n user = u\n"
	    " password = p\n auth = apop\n deliver = \"maildir:/m\"\n}\n", 6,
	    "auth apop is for pop3 accounts only");
	load_error("account a {\n type = imap\n host = h\n user = u\n"
	    " password = p\n tls = none\n deliver = \"maildir:/m\"\n}\n", 6,
	    "tls = none would send the password unencrypted");
	load_error("account a {\n type = stdin\n deliver = \"maildir:/m\"\n"
	    " user = \"\"\n}\n", 4, "user: must not be empty");
	load_error(STDIN_ACCOUNT "smtp s {\n host = h\n from = \"nobody\"\n}\n",
	    7, "from: 'nobody' is not an address");
}

static void
test_permissions(void **state)
{
	static const char	 with_password[] =
	    "account a {\n type = imap\n host = h\n user = u\n"
	    " password = 'hunter2'\n deliver = \"maildir:/m\"\n}\n";
	static const char	 with_command[] =
	    "account a {\n type = imap\n host = h\n user = u\n"
	    " password-command = \"pass show x\"\n"
	    " deliver = \"maildir:/m\"\n}\n";
	struct config		*conf;
	char			 want[PATH_MAX + 128];

	(void)state;
	snprintf(want, sizeof(want), "contains a password and is readable by "
	    "others; chmod 600 %s", file_path("t.conf"));
	load_error_mode(with_password, 0644, 0, want);
	load_error_mode(with_password, 0640, 0, want);
	load_error_mode(with_password, 0604, 0, want);
	conf = load_ok(with_password, 0600);
	assert_string_equal(conf->accounts[0].ep.password, "hunter2");
	config_free(conf);
	conf = load_ok(with_password, 0400);
	config_free(conf);
	conf = load_ok(with_command, 0644);
	assert_null(conf->accounts[0].ep.password);
	config_free(conf);
	/* A password in an smtp section counts as well. */
	load_error_mode(STDIN_ACCOUNT "smtp s { host = h from = \"a@b\"\n"
	    " user = u password = p }\n", 0644, 0, "contains a password");
}

static void
test_root_ownership(void **state)
{
	const char	*path;

	(void)state;
	if (geteuid() != 0)
		skip();
	/* As root, a file another user may change is refused... */
	load_error_mode(STDIN_ACCOUNT, 0664, 0,
	    "writable by group or others, but mailsift runs as root");
	path = conf_write(STDIN_ACCOUNT, 0644);
	assert_int_equal(chown(path, 1, 1), 0);
	{
		char		 err[1024];
		struct config	*conf = config_load(path, err, sizeof(err));

		assert_null(conf);
		assert_non_null(strstr(err, "owned by uid 1, but mailsift runs "
		    "as root"));
	}
	assert_int_equal(chown(path, 0, 0), 0);
	config_free(load_ok(STDIN_ACCOUNT, 0644));
}

static void
test_file_errors(void **state)
{
	struct config	*conf;
	char		 err[1024];

	(void)state;
	conf = config_load(file_path("missing.conf"), err, sizeof(err));
	assert_null(conf);
	assert_non_null(strstr(err, "missing.conf: cannot open: No such file"));
	conf = config_load(dir, err, sizeof(err));
	assert_null(conf);
	assert_non_null(strstr(err, "is a directory, not a file"));
	conf = config_load(file_write("nul.conf", 0600, "poll = 1\n\0x", 11),
	    err, sizeof(err));
	assert_null(conf);
	assert_non_null(strstr(err, "contains a NUL byte at offset 9"));
	/* A tiny error buffer is cut, not overrun. */
	conf = config_load(file_path("missing.conf"), err, 8);
	assert_null(conf);
	assert_int_equal(strlen(err), 7);
}

static void
test_text_blank(void **state)
{
	char		 buf[256];
	const char	*why;
	int		 line = 0;

	(void)state;
	snprintf(buf, sizeof(buf), "a = \"#x\" # c\nb = 'y//z' // c\n"
	    "/* q\n*/ c = d//e\nf = \"\\\"#\" # g\n");
	assert_null(conf_text_blank(buf, strlen(buf), &line));
	assert_string_equal(buf, "a = \"#x\"    \nb = 'y//z'     \n    \n"
	    "   c = d//e\nf = \"\\\"#\"    \n");
	snprintf(buf, sizeof(buf), "a { b = { \"}\" } }\n");
	assert_null(conf_text_blank(buf, strlen(buf), &line));
	snprintf(buf, sizeof(buf), "x = 'it\\'s # not' # yes\n");
	assert_null(conf_text_blank(buf, strlen(buf), &line));
	assert_string_equal(buf, "x = 'it\\'s # not'      \n");
	snprintf(buf, sizeof(buf), "a {\n\"\n\"\n");
	why = conf_text_blank(buf, strlen(buf), &line);
	assert_non_null(why);
	assert_int_equal(line, 1);
	snprintf(buf, sizeof(buf), "\n\n'abc\n");
	assert_non_null(conf_text_blank(buf, strlen(buf), &line));
	assert_int_equal(line, 3);
}

static void
test_names(void **state)
{
	char	 buf[PATH_MAX];

	(void)state;
	assert_string_equal(acct_type_name(ACCT_IMAP), "imap");
	assert_string_equal(acct_type_name(ACCT_STDIN), "stdin");
	assert_string_equal(tls_mode_name(TLS_STARTTLS), "starttls");
	assert_string_equal(auth_mech_name(AUTH_OAUTHBEARER), "oauthbearer");
	assert_int_equal(config_default_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, home_path("/.config/mailsift/mailsift.conf"));
	assert_int_equal(setenv("XDG_CONFIG_HOME", "/xdg", 1), 0);
	assert_int_equal(config_default_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/xdg/mailsift/mailsift.conf");
	assert_int_equal(config_default_path(buf, 10), -1);
	assert_int_equal(unsetenv("XDG_CONFIG_HOME"), 0);
	load_error("account \"\" {\n type = stdin\n}\n", 2,
	    "account name must be 1 to 128 characters");
	load_error("account \"a\\tb\" {\n type = stdin\n}\n", 2,
	    "must not hold control characters");
}

/* Run cmd_check with stdout and stderr in files; returns its status. */
static int
check_run(const char *conf, char *out, size_t outlen)
{
	char	 a0[] = "check", a1[] = "-c", a2[PATH_MAX];
	char	*argv[] = { a0, a1, a2, NULL };
	int	 saved_out, saved_err, fd, rc;
	ssize_t	 n;

	snprintf(a2, sizeof(a2), "%s", conf);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	fd = open(file_path("check.txt"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(saved_out != -1 && saved_err != -1 && fd != -1);
	assert_int_not_equal(dup2(fd, 1), -1);
	assert_int_not_equal(dup2(fd, 2), -1);
	rc = cmd_check(3, argv);
	fflush(stdout);
	fflush(stderr);
	assert_int_not_equal(dup2(saved_out, 1), -1);
	assert_int_not_equal(dup2(saved_err, 2), -1);
	assert_int_equal(close(saved_out), 0);
	assert_int_equal(close(saved_err), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, out, outlen - 1);
	assert_true(n >= 0);
	out[n] = '\0';
	assert_int_equal(close(fd), 0);
	return rc;
}

static const char rules_ok[] = "version: 1\nrules:\n  - name: x\n"
    "    when: { subject: 'a' }\n    do: [ keep ]\n";

static void
test_check_command(void **state)
{
	char		 out[4096];
	const char	*path;

	(void)state;
	file_write("ca.pem", 0644, "x\n", 2);
	path = conf_write(full_conf, 0600);
	/* check loads the rule files, as run does */
	assert_int_equal(check_run(path, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "rules/work.yaml"));
	assert_int_equal(mkdir(file_path("rules"), 0700), 0);
	file_write("rules/work.yaml", 0600, rules_ok, strlen(rules_ok));
	path = conf_write(full_conf, 0600);	/* file_path()'s buffer */
	assert_int_equal(check_run(path, out, sizeof(out)), 0);
	assert_int_equal(unlink(file_path("rules/work.yaml")), 0);
	assert_int_equal(rmdir(file_path("rules")), 0);
	assert_non_null(strstr(out, "account work: imap imap.example.com:143 "
	    "tls=starttls tls-verify=no user=jane@example.com "
	    "folders=INBOX,Lists/a b idle rules="));
	assert_non_null(strstr(out, "rules/work.yaml deliver=maildir:"));
	assert_non_null(strstr(out, "account isp: pop3 pop.example.org:995 "
	    "tls=implicit user=jd deliver=mbox:"));
	assert_non_null(strstr(out, "account old: maildir /srv/old "
	    "deliver=maildir:/srv/new\n"));
	assert_non_null(strstr(out, "account pipe: stdin deliver=mbox:"));
	assert_non_null(strstr(out, "smtp out: smtp.example.com:587 "
	    "tls=starttls from=jane@example.com\n"));
	assert_non_null(strstr(out, "\nconfiguration ok\n"));
	/* Neither the password nor the commands' output. */
	assert_null(strstr(out, "pa$$"));
	assert_null(strstr(out, "isp-pw-9"));
	assert_null(strstr(out, "token"));

	path = conf_write("account a {\n type = pop3\n}\n", 0600);
	assert_int_equal(check_run(path, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "mailsift: "));
	assert_non_null(strstr(out, "t.conf:2: account 'a': type pop3 needs "
	    "'host'"));
	assert_null(strstr(out, "configuration ok"));
}

/* `send` needs an smtp section, not an account: the file loads for it
 * (and for check, which says that run needs one); run's load refuses. */
static void
test_accounts_optional(void **state)
{
	static const char smtp_only[] = "smtp s {\n host = h\n"
	    " from = \"me@example.org\"\n}\n";
	struct config	*conf;
	char		 err[1024], out[4096];
	const char	*path;

	(void)state;
	path = conf_write(smtp_only, 0600);
	conf = config_load_opts(path, CONFIG_ACCOUNTS_OPTIONAL, err,
	    sizeof(err));
	if (conf == NULL)
		fail_msg("load failed: %s", err);
	assert_int_equal(conf->naccounts, 0);
	assert_null(conf->accounts);
	assert_int_equal(conf->nsmtp, 1);
	assert_string_equal(conf->smtp[0].from, "me@example.org");
	config_free(conf);
	load_error(smtp_only, 0, CONFIG_NO_ACCOUNT);
	/* the flag lifts that one rule, no other */
	path = conf_write("smtp s {\n host = h\n}\n", 0600);
	assert_null(config_load_opts(path, CONFIG_ACCOUNTS_OPTIONAL, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "'from' (the envelope sender) is "
	    "required"));
	/* check shows the smtp line, then says what run needs; exit 1 */
	path = conf_write(smtp_only, 0600);
	assert_int_equal(check_run(path, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "smtp s: h:465 tls=implicit "
	    "from=me@example.org\n"));
	assert_non_null(strstr(out, "no account is configured; add an "
	    "account NAME { type = ... } section: `mailsift run` needs one "
	    "(`mailsift send` can use this file as it is)"));
	assert_null(strstr(out, "configuration ok"));
}

/* An unset ${VAR} is named where it is, not reported as an empty option
 * somewhere else; a default, single quotes and a set one load. */
static void
test_env_vars(void **state)
{
	struct config	*conf;

	(void)state;
	assert_int_equal(unsetenv("MSX_TEST_UNSET"), 0);
	assert_int_equal(setenv("MSX_TEST_USER", "jane", 1), 0);
	load_error("poll = 60\nsmtp s {\n host = h\n user = \"${MSX_TEST_UNSET}\"\n"
	    " from = \"a@b\"\n}\n" STDIN_ACCOUNT, 4,
	    "${MSX_TEST_UNSET} is not set in the environment");
	load_error("account \"a\" {\n type = stdin\n deliver = "
	    "${MSX_TEST_UNSET}\n}\n", 3, "${MSX_TEST_UNSET} is not set");
	conf = load_ok("smtp s {\n host = h\n user = \"${MSX_TEST_USER}\"\n"
	    " password = '${MSX_TEST_UNSET}'\n from = \"${MSX_TEST_UNSET:-a@b}\"\n"
	    "}\n" STDIN_ACCOUNT, 0600);
	assert_string_equal(conf->smtp[0].ep.user, "jane");
	assert_string_equal(conf->smtp[0].from, "a@b");
	config_free(conf);
	assert_int_equal(unsetenv("MSX_TEST_USER"), 0);
}

/* An account with fetch = no needs no deliver: a destination only
 * (deliver/imap.c).  Once crashed the webhook check, which took its
 * deliver for granted. */
static void
test_fetch_no_destination(void **state)
{
	struct config	*conf;

	(void)state;
	conf = load_ok("account a {\n type = pop3\n host = h\n user = u\n"
	    " password = p\n deliver = \"imap:d/Archive\"\n}\n"
	    "account d {\n type = imap\n host = h\n user = u\n"
	    " password = p\n fetch = no\n}\n", 0600);
	assert_int_equal(conf->naccounts, 2);
	assert_null(conf->accounts[1].deliver);
	assert_false(conf->accounts[1].fetch);
	config_free(conf);
	load_error("account d {\n type = imap\n host = h\n user = u\n"
	    " password = p\n}\n", 2, "'deliver' is required");
}

/* The lmtp target's account options (deliver/lmtp.c). */
static void
test_lmtp_options(void **state)
{
	struct config	*conf;

	(void)state;
	conf = load_ok("account \"a\" {\n type = stdin\n"
	    " deliver = \"lmtp:/run/lmtp\"\n recipient = \"{to.address}\"\n"
	    " lmtp-tls = starttls\n lmtp-reject = skip\n}\n", 0600);
	assert_string_equal(conf->accounts[0].recipient, "{to.address}");
	assert_int_equal(conf->accounts[0].lmtp_tls, LMTP_TLS_STARTTLS);
	assert_int_equal(conf->accounts[0].lmtp_reject, LMTP_REJECT_SKIP);
	assert_null(conf->accounts[0].lmtp_tls_ca_file);
	config_free(conf);
	conf = load_ok("account \"a\" {\n type = stdin\n"
	    " deliver = \"lmtp:/run/lmtp\"\n}\n", 0600);
	assert_null(conf->accounts[0].recipient);
	assert_int_equal(conf->accounts[0].lmtp_tls, LMTP_TLS_AUTO);
	assert_int_equal(conf->accounts[0].lmtp_reject, LMTP_REJECT_KEEP);
	config_free(conf);
	load_error("account \"a\" {\n type = stdin\n"
	    " deliver = \"lmtp:/run/lmtp\"\n recipient = \"{nosuch}\"\n}\n",
	    4, "recipient");
	load_error("account \"a\" {\n type = stdin\n"
	    " deliver = \"lmtp:/run/lmtp\"\n lmtp-tls = maybe\n}\n",
	    4, "lmtp-tls");
	load_error("account \"a\" {\n type = stdin\n"
	    " deliver = \"lmtp:/run/lmtp\"\n lmtp-reject = drop\n}\n",
	    4, "lmtp-reject");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config_globals),
		cmocka_unit_test(test_full_config_imap),
		cmocka_unit_test(test_full_config_others),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_port_defaults_follow_tls),
		cmocka_unit_test(test_example_config_loads),
		cmocka_unit_test(test_syntax_error_line),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_bad_enums),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_cluster_options),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_password_and_command),
		cmocka_unit_test(test_smtp_reference),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_special_use_folders),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_max_size),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_home_unset),
		cmocka_unit_test(test_type_scope),
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_root_ownership),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_text_blank),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_check_command),
		cmocka_unit_test(test_env_vars),
		cmocka_unit_test(test_accounts_optional),
		cmocka_unit_test(test_lmtp_options),
		cmocka_unit_test(test_fetch_no_destination),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

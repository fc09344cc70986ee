/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for daemon/conf/conf-oauth2.c and oauth2-presets.c: the
 * oauth2-* options (auth = oauth2), their errors, and the provider
 * presets.
 */
#include <sys/stat.h>
#include <sys/types.h>
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

#include "daemon/conf/conf.h"
#include "daemon/conf/oauth2.h"
#include "daemon/util/log.h"

static char	 dir[64];
static char	 path[PATH_MAX];

/* An imap account "a" logging in with OAuth2; extra goes inside. */
#define ACCOUNT(extra) \
	"account a {\n type = imap\n host = h\n user = \"u@example.com\"\n" \
	" deliver = \"maildir:/m\"\n auth = oauth2\n" extra "}\n"

static int
group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mailsift-oauth2c-XXXXXX");
	if (mkdtemp(dir) == NULL || setenv("HOME", dir, 1) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	log_init(0, LOG_LEVEL_ERROR);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	(void)unlink(path);
	return rmdir(dir);
}

static void
conf_write(const char *text, mode_t mode)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_not_equal(fd, -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static struct config *
load_ok(const char *text)
{
	struct config	*conf;
	char		 err[1024];

	conf_write(text, 0600);
	if ((conf = config_load(path, err, sizeof(err))) == NULL)
		fail_msg("load failed: %s", err);
	return conf;
}

/* Loading fails with "PATH:LINE: ..." holding want. */
static void
load_error(const char *text, int line, const char *want)
{
	struct config	*conf;
	char		 err[1024], prefix[PATH_MAX + 32];

	conf_write(text, 0600);
	if ((conf = config_load(path, err, sizeof(err))) != NULL) {
		config_free(conf);
		fail_msg("loaded, expected an error with '%s'", want);
	}
	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, prefix);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not say '%s'", err, want);
}

static void
test_google(void **state)
{
	struct config			*conf;
	const struct account		*a;
	const struct oauth2_conf	*oc;

	(void)state;
	conf = load_ok(ACCOUNT(" oauth2-provider = google\n"
	    " oauth2-client-id = \"123.apps.googleusercontent.com\"\n"
	    " oauth2-client-secret-command = \"pass gmail-app\"\n"));
	a = config_account(conf, "a");
	assert_non_null(a);
	oc = config_oauth2(conf, &a->ep);
	assert_non_null(oc);
	assert_ptr_equal(oc, a->ep.oauth2);
	assert_int_equal(oc->provider, OAUTH2_GOOGLE);
	assert_string_equal(oc->client_id, "123.apps.googleusercontent.com");
	assert_string_equal(oc->client_secret_command, "pass gmail-app");
	assert_null(oc->client_secret);
	assert_null(a->ep.password);
	assert_int_equal(a->ep.auth, AUTH_AUTO);
	assert_string_equal(oauth2_scopes(oc, OAUTH2_IMAP),
	    "https://mail.google.com/");
	assert_string_equal(oauth2_preset(oc->provider)->token_url,
	    "https://oauth2.googleapis.com/token");
	config_free(conf);
}

static void
test_microsoft_and_smtp_reference(void **state)
{
	struct config			*conf;
	const struct smtp_server	*s;
	const struct oauth2_conf	*oc;
	char				 url[256];

	(void)state;
	conf = load_ok(ACCOUNT(" oauth2-provider = microsoft\n"
	    " oauth2-client-id = \"c1\"\n oauth2-tenant = contoso.com\n")
	    "smtp out {\n host = smtp.office365.com\n user = u\n"
	    " from = \"u@example.com\"\n auth = oauth2\n"
	    " oauth2-account = a\n}\n");
	s = config_smtp(conf, "out");
	assert_non_null(s);
	assert_non_null(s->ep.oauth2);
	assert_string_equal(s->ep.oauth2->account, "a");
	/* resolved at build: smtp_send() logs in with it, config unseen */
	assert_ptr_equal(s->ep.oauth2->grant, config_account(conf, "a"));
	oc = config_oauth2(conf, &s->ep);
	assert_ptr_equal(oc, config_account(conf, "a")->ep.oauth2);
	assert_int_equal(oc->provider, OAUTH2_MICROSOFT);
	assert_int_equal(oauth2_url_expand(oauth2_preset(oc->provider)->
	    token_url, oc->tenant, url, sizeof(url)), 0);
	assert_string_equal(url, "https://login.microsoftonline.com/"
	    "contoso.com/oauth2/v2.0/token");
	assert_int_equal(oauth2_url_expand(oauth2_preset(oc->provider)->
	    device_url, NULL, url, sizeof(url)), 0);
	assert_string_equal(url, "https://login.microsoftonline.com/"
	    "common/oauth2/v2.0/devicecode");
	assert_int_equal(oauth2_url_expand("https://x/{tenant}/y", "t", url,
	    10), -1);
	/* no refresh token from Microsoft without offline_access */
	assert_non_null(strstr(oauth2_scopes(oc, OAUTH2_SMTP),
	    "offline_access"));
	assert_non_null(strstr(oauth2_scopes(oc, OAUTH2_SMTP), "SMTP.Send"));
	assert_non_null(strstr(oauth2_scopes(oc, OAUTH2_POP3),
	    "POP.AccessAsUser.All"));
	assert_null(oauth2_preset(oc->provider)->revoke_url);
	config_free(conf);
}

static void
test_custom(void **state)
{
	struct config			*conf;
	const struct oauth2_conf	*oc;

	(void)state;
	conf = load_ok(ACCOUNT(" oauth2-provider = custom\n"
	    " oauth2-client-id = cli\n oauth2-client-secret = s3\n"
	    " oauth2-scopes = \"openid offline_access\"\n"
	    " oauth2-token-url = \"http://127.0.0.1:4000/token\"\n"
	    " oauth2-revoke-url = \"https://id.example.com/revoke\"\n"));
	oc = config_account(conf, "a")->ep.oauth2;
	assert_int_equal(oc->provider, OAUTH2_CUSTOM);
	assert_string_equal(oc->token_url, "http://127.0.0.1:4000/token");
	assert_string_equal(oc->client_secret, "s3");
	assert_string_equal(oauth2_scopes(oc, OAUTH2_POP3),
	    "openid offline_access");
	assert_null(oauth2_preset(OAUTH2_CUSTOM));
	config_free(conf);
	conf = load_ok(ACCOUNT(" oauth2-provider = custom\n"
	    " oauth2-client-id = cli\n"
	    " oauth2-issuer = \"https://id.example.com\"\n"));
	oc = config_account(conf, "a")->ep.oauth2;
	assert_string_equal(oc->issuer, "https://id.example.com");
	assert_null(oauth2_scopes(oc, OAUTH2_IMAP));
	config_free(conf);
}

/* The keyring commands go together; auth-failure-command: the
 * account's, else the global one. */
static void
test_keyring_and_hook(void **state)
{
	struct config			*conf;
	const struct oauth2_conf	*oc;

	(void)state;
	conf = load_ok("auth-failure-command = \"notify-send x\"\n"
	    ACCOUNT(" oauth2-provider = google\n oauth2-client-id = cli\n"
	    " oauth2-token-command = \"pass show mail/rt\"\n"
	    " oauth2-store-command = \"pass insert -m mail/rt\"\n"));
	oc = config_account(conf, "a")->ep.oauth2;
	assert_string_equal(oc->token_command, "pass show mail/rt");
	assert_string_equal(oc->store_command, "pass insert -m mail/rt");
	assert_string_equal(oc->failure_command, "notify-send x");
	config_free(conf);
	conf = load_ok("auth-failure-command = \"notify-send x\"\n"
	    ACCOUNT(" oauth2-provider = google\n oauth2-client-id = cli\n"
	    " auth-failure-command = \"mine\"\n"));
	oc = config_account(conf, "a")->ep.oauth2;
	assert_string_equal(oc->failure_command, "mine");
	assert_null(oc->token_command);
	config_free(conf);
	load_error(ACCOUNT(" oauth2-provider = google\n"
	    " oauth2-client-id = cli\n"
	    " oauth2-token-command = \"pass show mail/rt\"\n"), 9,
	    "'oauth2-token-command' and 'oauth2-store-command' go together");
	load_error(ACCOUNT(" oauth2-provider = google\n"
	    " oauth2-client-id = cli\n"
	    " oauth2-store-command = \"pass insert mail/rt\"\n"), 9,
	    "go together");
	load_error("account a {\n type = imap\n host = h\n user = u\n"
	    " deliver = \"maildir:/m\"\n password = p\n"
	    " auth-failure-command = x\n}\n", 7,
	    "'auth-failure-command' needs auth = oauth2");
}

static void
test_errors(void **state)
{
	(void)state;
	load_error(ACCOUNT(" oauth2-client-id = x\n"), 6,
	    "account 'a': auth = oauth2 needs 'oauth2-provider'");
	load_error(ACCOUNT(" oauth2-provider = yahoo\n oauth2-client-id = x\n"),
	    7, "oauth2-provider: 'yahoo' is not valid; use google, "
	    "microsoft or custom");
	load_error(ACCOUNT(" oauth2-provider = google\n"), 6,
	    "needs 'oauth2-client-id'");
	load_error(ACCOUNT(" oauth2-provider = google\n oauth2-client-id = x\n"
	    " oauth2-client-secret = s\n oauth2-client-secret-command = c\n"),
	    10, "'oauth2-client-secret' and 'oauth2-client-secret-command' "
	    "are both set");
	load_error(ACCOUNT(" oauth2-provider = google\n oauth2-client-id = x\n"
	    " oauth2-tenant = t\n"), 9, "'oauth2-tenant' is for "
	    "oauth2-provider = microsoft");
	load_error(ACCOUNT(" oauth2-provider = microsoft\n"
	    " oauth2-client-id = x\n oauth2-tenant = \"a/b\"\n"), 9,
	    "oauth2-tenant: 'a/b' is not a tenant");
	load_error(ACCOUNT(" oauth2-provider = google\n oauth2-client-id = x\n"
	    " oauth2-token-url = \"https://t\"\n"), 9, "'oauth2-token-url' "
	    "is for oauth2-provider = custom; google's endpoints are built in");
	load_error(ACCOUNT(" oauth2-provider = custom\n oauth2-client-id = x\n"),
	    7, "oauth2-provider = custom needs 'oauth2-issuer' (OpenID "
	    "discovery) or 'oauth2-token-url'");
	load_error(ACCOUNT(" oauth2-provider = custom\n oauth2-client-id = x\n"
	    " oauth2-issuer = \"https://i\"\n oauth2-token-url = \"https://t\"\n"),
	    10, "'oauth2-issuer' and 'oauth2-token-url' are both set");
	load_error(ACCOUNT(" oauth2-provider = custom\n oauth2-client-id = x\n"
	    " oauth2-token-url = \"http://id.example.com/token\"\n"), 9,
	    "oauth2-token-url: 'http://id.example.com/token' is not an "
	    "https:// URL");
	load_error(ACCOUNT(" oauth2-provider = google\n oauth2-client-id = x\n"
	    " password = p\n"), 9, "'password' is set but auth = oauth2 logs "
	    "in with a token");
	load_error("account a {\n type = imap\n host = h\n auth = oauth2\n"
	    " deliver = \"maildir:/m\"\n oauth2-provider = google\n"
	    " oauth2-client-id = x\n}\n", 4, "auth = oauth2 needs 'user'");
	/* oauth2-* without auth = oauth2 */
	load_error("account a {\n type = imap\n host = h\n user = u\n"
	    " password = p\n deliver = \"maildir:/m\"\n"
	    " oauth2-client-id = x\n}\n", 7, "'oauth2-client-id' needs "
	    "auth = oauth2");
	/* oauth2-account is for smtp sections */
	load_error(ACCOUNT(" oauth2-account = b\n"), 7,
	    "no such option 'oauth2-account'");
}

static void
test_smtp_reference_errors(void **state)
{
	(void)state;
	load_error("account a {\n type = stdin\n deliver = \"maildir:/m\"\n}\n"
	    "smtp s {\n host = h\n user = u\n from = \"f@x\"\n auth = oauth2\n"
	    " oauth2-account = nope\n}\n", 10, "oauth2-account: no account "
	    "'nope'");
	load_error("account a {\n type = imap\n host = h\n user = u\n"
	    " password = p\n deliver = \"maildir:/m\"\n}\n"
	    "smtp s {\n host = h\n user = u\n from = \"f@x\"\n auth = oauth2\n"
	    " oauth2-account = a\n}\n", 13, "account 'a' does not have "
	    "auth = oauth2");
	load_error(ACCOUNT(" oauth2-provider = google\n oauth2-client-id = x\n")
	    "smtp s {\n host = h\n user = u\n from = \"f@x\"\n auth = oauth2\n"
	    " oauth2-account = a\n oauth2-client-id = y\n}\n", 16,
	    "'oauth2-client-id' and 'oauth2-account' are both set");
	load_error("account a {\n type = stdin\n deliver = \"maildir:/m\"\n}\n"
	    "smtp s {\n host = h\n from = \"f@x\"\n oauth2-account = a\n}\n",
	    8, "'oauth2-account' needs auth = oauth2");
}

/* A client secret in a file others can read is refused like a password. */
static void
test_secret_permissions(void **state)
{
	struct config	*conf;
	char		 err[1024];

	(void)state;
	conf_write(ACCOUNT(" oauth2-provider = google\n oauth2-client-id = x\n"
	    " oauth2-client-secret = s\n"), 0644);
	conf = config_load(path, err, sizeof(err));
	if (conf != NULL) {
		config_free(conf);
		fail_msg("a readable file with a client secret loaded");
	}
	if (strstr(err, "readable by others") == NULL)
		fail_msg("error '%s' does not say 'readable by others'", err);
}

static void
test_provider_names(void **state)
{
	(void)state;
	assert_int_equal(oauth2_provider_lookup("google"), OAUTH2_GOOGLE);
	assert_int_equal(oauth2_provider_lookup("microsoft"), OAUTH2_MICROSOFT);
	assert_int_equal(oauth2_provider_lookup("custom"), OAUTH2_CUSTOM);
	assert_int_equal(oauth2_provider_lookup("Google"), -1);
	assert_string_equal(oauth2_provider_name(OAUTH2_MICROSOFT),
	    "microsoft");
	assert_non_null(oauth2_preset(OAUTH2_GOOGLE)->source);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_google),
		cmocka_unit_test(test_microsoft_and_smtp_reference),
		cmocka_unit_test(test_custom),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_keyring_and_hook),
		cmocka_unit_test(test_smtp_reference_errors),
		cmocka_unit_test(test_secret_permissions),
		cmocka_unit_test(test_provider_names),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

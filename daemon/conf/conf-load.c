/* SPDX-License-Identifier: ISC */
/*
 * conf-load.c - what one configuration load shares between its reader
 * (conf.c) and its builder (conf-build.c): the first error, where each
 * option was set, and the names of the enums; see conf-load.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon/conf/config.h"
#include "daemon/conf/conf-load.h"
#include "daemon/util/log.h"

const struct enum_name conf_type_names[] = {
	{ "imap", ACCT_IMAP }, { "pop3", ACCT_POP3 },
	{ "maildir", ACCT_MAILDIR }, { "mbox", ACCT_MBOX },
	{ "stdin", ACCT_STDIN }, { NULL, 0 }
};
const struct enum_name conf_tls_names[] = {
	{ "implicit", TLS_IMPLICIT }, { "starttls", TLS_STARTTLS },
	{ "none", TLS_NONE }, { NULL, 0 }
};
const struct enum_name conf_lmtp_tls_names[] = {
	{ "auto", LMTP_TLS_AUTO }, { "starttls", LMTP_TLS_STARTTLS },
	{ "no", LMTP_TLS_NO }, { NULL, 0 }
};
const struct enum_name conf_lmtp_reject_names[] = {
	{ "keep", LMTP_REJECT_KEEP }, { "skip", LMTP_REJECT_SKIP },
	{ NULL, 0 }
};
const struct enum_name conf_auth_names[] = {
	{ "auto", AUTH_AUTO }, { "plain", AUTH_PLAIN },
	{ "login", AUTH_LOGIN }, { "xoauth2", AUTH_XOAUTH2 },
	{ "oauthbearer", AUTH_OAUTHBEARER }, { "apop", AUTH_APOP },
	/* the mechanism follows the server's offer (conf/oauth2.h) */
	{ "oauth2", AUTH_AUTO }, { NULL, 0 }
};
const struct enum_name conf_smtp_auth_names[] = {
	{ "auto", AUTH_AUTO }, { "plain", AUTH_PLAIN },
	{ "login", AUTH_LOGIN }, { "xoauth2", AUTH_XOAUTH2 },
	{ "oauth2", AUTH_AUTO }, { NULL, 0 }
};
const struct enum_name conf_webhook_format_names[] = {
	{ "json", WEBHOOK_JSON }, { "raw", WEBHOOK_RAW },
	{ "multipart", WEBHOOK_MULTIPART }, { NULL, 0 }
};
const struct enum_name conf_log_names[] = {
	{ "stderr", 0 }, { "syslog", 1 }, { NULL, 0 }
};
const struct enum_name conf_level_names[] = {
	{ "error", LOG_LEVEL_ERROR }, { "warn", LOG_LEVEL_WARN },
	{ "info", LOG_LEVEL_INFO }, { "debug", LOG_LEVEL_DEBUG },
	{ "trace", LOG_LEVEL_TRACE }, { NULL, 0 }
};
const struct enum_name conf_log_format_names[] = {
	{ "text", LOG_FORMAT_TEXT }, { "json", LOG_FORMAT_JSON }, { NULL, 0 }
};

void
conf_fail(struct conf_load *ld, int line, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	if (ld->failed)
		return;
	ld->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ld->errlen == 0)
		return;
	if (line > 0)
		snprintf(ld->err, ld->errlen, "%s:%d: %s", ld->path, line, msg);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", ld->path, msg);
}

int
conf_enum_lookup(const struct enum_name *names, const char *s)
{
	for (; s != NULL && names->name != NULL; names++)
		if (strcmp(names->name, s) == 0)
			return names->value;
	return -1;
}

const char *
conf_enum_label(const struct enum_name *names, int value)
{
	for (; names->name != NULL; names++)
		if (names->value == value)
			return names->name;
	return "?";
}

int
conf_opt_line(const struct conf_load *ld, const cfg_t *sec, const char *name)
{
	size_t	 i;

	for (i = 0; i < ld->nlines; i++)
		if (ld->lines[i].sec == sec &&
		    strcmp(ld->lines[i].name, name) == 0)
			return ld->lines[i].line;
	return 0;
}

/* The first line with an option of sec, for errors about sec itself. */
int
conf_section_line(const struct conf_load *ld, const cfg_t *sec)
{
	size_t	 i;
	int	 line = 0;

	for (i = 0; i < ld->nlines; i++)
		if (ld->lines[i].sec == sec &&
		    (line == 0 || ld->lines[i].line < line))
			line = ld->lines[i].line;
	return line != 0 ? line : sec->line;
}

const char *
acct_type_name(enum acct_type type)
{
	return conf_enum_label(conf_type_names, (int)type);
}

const char *
webhook_format_name(enum webhook_format f)
{
	return conf_enum_label(conf_webhook_format_names, (int)f);
}

const char *
tls_mode_name(enum tls_mode mode)
{
	return conf_enum_label(conf_tls_names, (int)mode);
}

const char *
auth_mech_name(enum auth_mech mech)
{
	return conf_enum_label(conf_auth_names, (int)mech);
}

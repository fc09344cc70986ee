/* SPDX-License-Identifier: ISC */
/*
 * config.h - what a loaded configuration holds: struct config with its
 * accounts, smtp and webhook sections, the lookups on it, the names of its enums
 * (defined in conf-load.c, beside the tables the parser reads them
 * with), and freeing it.  Plain data once built: immutable, shared by
 * threads, never written to by its readers.  It reads no file (conf.h's
 * config_load() does, conf-build.c fills it); conf.h includes it.
 */
#ifndef DAEMON_CONF_CONFIG_H
#define DAEMON_CONF_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum acct_type {
	ACCT_IMAP,
	ACCT_POP3,
	ACCT_MAILDIR,
	ACCT_MBOX,
	ACCT_STDIN
};

enum tls_mode {
	TLS_IMPLICIT,
	TLS_STARTTLS,
	TLS_NONE
};

struct oauth2_conf;		/* conf/oauth2.h */

enum auth_mech {
	AUTH_AUTO,
	AUTH_PLAIN,
	AUTH_LOGIN,
	AUTH_XOAUTH2,
	AUTH_OAUTHBEARER,
	AUTH_APOP		/* POP3 only */
};

/* Where to connect and how to log in: shared by accounts and SMTP. */
struct endpoint {
	char		*label;		/* "account 'NAME'" or "smtp 'NAME'" */
	char		*host;
	char		*port;		/* set (defaulted) for imap, pop3, smtp */
	enum tls_mode	 tls;
	int		 tls_verify;
	char		*tls_ca_file;
	char		*tls_fingerprint; /* "sha256:" + 64 lowercase hex */
	int		 allow_plaintext_auth;
	char		*user;
	char		*password;
	char		*password_command;
	enum auth_mech	 auth;		/* AUTH_AUTO with auth = oauth2 */
	struct oauth2_conf *oauth2;	/* auth = oauth2, else NULL */
};

/* lmtp-tls: STARTTLS over TCP; a unix socket never uses TLS.  auto:
 * required unless the host is a loopback address (there: never). */
enum lmtp_tls {
	LMTP_TLS_AUTO,
	LMTP_TLS_STARTTLS,
	LMTP_TLS_NO
};

/* lmtp-reject: what a 5xx from the LMTP server does to the message. */
enum lmtp_reject {
	LMTP_REJECT_KEEP,	/* stays on the server; the round stops */
	LMTP_REJECT_SKIP	/* recorded as refused, never fetched again */
};

struct account {
	char		*name;
	enum acct_type	 type;
	struct endpoint	 ep;
	char		**folders;	/* IMAP; default { "INBOX" } */
	size_t		 nfolders;
	int		 only_unseen;
	int		 keep;		/* default 1 */
	int		 idle;
	int		 idle_max_folders; /* IDLE connections, default 5 */
	int		 idle_notify;	/* NOTIFY where offered, default 1 */
	int		 compress;	/* IMAP COMPRESS=DEFLATE if offered */
	/* CONDSTORE/QRESYNC where offered (default 1): "no" for a server
	 * that offers them and gets them wrong */
	int		 condstore;
	/* 0 (`fetch = no`): never polled, only a destination (imap:NAME
	 * targets); then no deliver is needed */
	int		 fetch;
	long		 poll;		/* seconds; 0: the global one */
	char		*path;		/* maildir/mbox source */
	char		*deliver;	/* "maildir:PATH" or "mbox:PATH" */
	char		*rules;		/* path of the rule file, or NULL */
	char		*smtp;		/* name of an smtp section, or NULL */
	/* the lmtp target (deliver/lmtp.c) */
	char		*recipient;	/* template; NULL: the account's name */
	int		 lmtp_tls;	/* enum lmtp_tls */
	char		*lmtp_tls_ca_file; /* NULL: the system store */
	int		 lmtp_reject;	/* enum lmtp_reject */
	int		 lmtp_conns;	/* lmtp-connections, 1 to 16 */
	/* a shared store (store/lease.h): only the daemon of this node
	 * works the account; NULL: any */
	char		*pin;
	int		 line;		/* of its first option, for messages */
};

struct smtp_server {
	char		*name;
	struct endpoint	 ep;
	char		*from;		/* envelope sender, required */
	int		 line;		/* as for accounts */
};

enum webhook_format {
	WEBHOOK_JSON,
	WEBHOOK_RAW,
	WEBHOOK_MULTIPART
};

/* A webhook NAME { } section: where deliver = "webhook:NAME" posts. */
struct webhook {
	char		*name;
	char		*url;		/* http:// or https:// */
	/* the signing secret: ep.password (secret) or ep.password_command
	 * (secret-command), read with conf_secret(); ep.tls_verify and
	 * ep.tls_ca_file as for accounts */
	struct endpoint	 ep;
	enum webhook_format format;	/* default json */
	long		 timeout;	/* seconds per request, default 30 */
	uint64_t	 max_size;	/* request body, default 10M */
	char		**headers;	/* "Name: value", sent as they are */
	size_t		 nheaders;
	long		 retry_time;	/* seconds before giving up, 3 days */
	long		 retry_min;	/* first backoff, seconds, default 30 */
	int		 line;
};

struct config {
	char			*path;
	char			*state;		/* SQLite file */
	int			 log_syslog;
	int			 log_level;	/* enum log_level */
	int			 log_format;	/* enum log_format */
	long			 poll;		/* seconds, default 300 */
	int			 parallel;	/* default 4 */
	int			 connect_limit;	/* per server, 0: none */
	int			 connect_rate;	/* a second, 0: none */
	int			 lease_time;	/* seconds, default 30 */
	char			*user;		/* drop privileges to, or NULL */
	uint64_t		 max_size;	/* bytes, default 64M */
	char			*metrics_listen; /* HOST:PORT, or NULL */
	struct account		*accounts;
	size_t			 naccounts;
	struct smtp_server	*smtp;
	size_t			 nsmtp;
	struct webhook		*webhooks;
	size_t			 nwebhooks;
};

/* Why a configuration without an account cannot `run`, and what to do:
 * config_load()'s error, and what `check` says. */
#define CONFIG_NO_ACCOUNT	"no account is configured; add an account " \
	"NAME { type = ... } section"

/* The whole config, secrets wiped first; NULL is fine. */
void			 config_free(struct config *);
const struct account	*config_account(const struct config *, const char *);
const struct smtp_server *config_smtp(const struct config *, const char *);
const struct webhook	*config_webhook(const struct config *, const char *);
const char		*acct_type_name(enum acct_type);
const char		*webhook_format_name(enum webhook_format);
const char		*tls_mode_name(enum tls_mode);
const char		*auth_mech_name(enum auth_mech);
/* The OAuth2 settings ep logs in with: its own, or those of the account
 * an smtp section's oauth2-account names; NULL without auth = oauth2. */
const struct oauth2_conf *config_oauth2(const struct config *,
			    const struct endpoint *);

#endif

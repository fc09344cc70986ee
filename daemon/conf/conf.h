/* SPDX-License-Identifier: ISC */
/*
 * conf.h - mailsift's configuration file (libconfuse).
 *
 * config_load() reads and checks the whole file: an unknown option, a bad
 * value or a missing required one is an error naming the file, the line
 * and the option.  A file that holds a password and can be read by group
 * or others is refused.  The result is immutable; a reload builds a new
 * one and the caller swaps them.  Secrets are kept only as long as the
 * config is; password-command is run on every connect (conf_secret()).
 *
 * Paths (state, path, deliver, rules, tls-ca-file) are absolute after
 * load, "~/" expanded from $HOME.  Ports are always set, from the type
 * and the TLS mode when the file gives none.  TLS defaults to implicit.
 * config_load() may be called from any thread (libconfuse's scanner is
 * global, so loads are serialised inside).  The file and the directories
 * on the way to it must be changeable by no one but root and the user
 * mailsift runs as (trust.h): its password-command runs with our
 * privileges.
 */
#ifndef DAEMON_CONF_H
#define DAEMON_CONF_H

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
	enum auth_mech	 auth;
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
	long		 poll;		/* seconds; 0: the global one */
	char		*path;		/* maildir/mbox source */
	char		*deliver;	/* "maildir:PATH" or "mbox:PATH" */
	char		*rules;		/* path of the rule file, or NULL */
	char		*smtp;		/* name of an smtp section, or NULL */
	int		 line;		/* of its first option, for messages */
};

struct smtp_server {
	char		*name;
	struct endpoint	 ep;
	char		*from;		/* envelope sender, required */
	int		 line;		/* as for accounts */
};

struct config {
	char			*path;
	char			*state;		/* SQLite file */
	int			 log_syslog;
	int			 log_level;	/* enum log_level */
	long			 poll;		/* seconds, default 300 */
	int			 parallel;	/* default 4 */
	char			*user;		/* drop privileges to, or NULL */
	uint64_t		 max_size;	/* bytes, default 64M */
	struct account		*accounts;
	size_t			 naccounts;
	struct smtp_server	*smtp;
	size_t			 nsmtp;
};

/* NULL on error, with the message (file:line: option: reason) in err. */
struct config		*config_load(const char *path, char *err, size_t errlen);
void			 config_free(struct config *);
const struct account	*config_account(const struct config *, const char *);
const struct smtp_server *config_smtp(const struct config *, const char *);
const char		*acct_type_name(enum acct_type);
const char		*tls_mode_name(enum tls_mode);
const char		*auth_mech_name(enum auth_mech);
/* $XDG_CONFIG_HOME/mailsift/mailsift.conf, else
 * ~/.config/mailsift/mailsift.conf; -1 (message in buf) if neither
 * variable is set or the result does not fit. */
int			 config_default_path(char *buf, size_t len);

/* The secret for ep: the password, or the first line of the stdout of
 * password-command (run with /bin/sh -c, stdin /dev/null, a 30 s
 * timeout; a non-zero exit or empty output is an error).  The caller
 * wipes and frees it with conf_secret_free().  The error names the
 * endpoint's label and the exit status, never the output.  Output is
 * bounded (64 KB); on a timeout the command's whole process group is
 * killed.  SIGCHLD must not be ignored by the process.  A command that
 * starts with an absolute path is refused, unrun, when others could
 * change that program (trust.h). */
char	*conf_secret(const struct endpoint *, char *err, size_t errlen);
void	 conf_secret_free(char *);
/* Tests only: the password-command timeout in milliseconds. */
void	 conf_secret_set_timeout(int ms);

#endif

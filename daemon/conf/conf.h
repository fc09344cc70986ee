/* SPDX-License-Identifier: ISC */
/*
 * daemon/conf/ - what the user configured: conf.h is the front door.
 * Owns: reading and checking mailsift.conf (conf.c, one way down to
 * conf-value.c, conf-build.c, conf-load.c and conf-text.c), the loaded struct config
 * (config.h), secrets and password-command (secret.c), the trust rule
 * for files and programs others could change (trust.c), and loading
 * each account's rule set (rulesets.c).  Never: connects to a server,
 * touches the store or mail, or keeps mutable state once a config is
 * built (a reload builds a new one).  Depends on: util/ (log levels),
 * rules/ (rulesets.c compiles rule files), libconfuse, libc.
 *
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

#include "daemon/conf/conf-node.h"
#include "daemon/conf/config.h"

/* NULL on error, with the message (file:line: option: reason) in err.
 * A file without an account is an error (CONFIG_NO_ACCOUNT). */
struct config		*config_load(const char *path, char *err, size_t errlen);
/* config_load, but with CONFIG_ACCOUNTS_OPTIONAL a file that only holds
 * smtp sections (and globals) loads too: for `send`, and for `check`,
 * which then says that `run` needs an account. */
#define CONFIG_ACCOUNTS_OPTIONAL	0x1
struct config		*config_load_opts(const char *path, int flags,
			    char *err, size_t errlen);
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
/* conf_secret()'s password-command run for another option (what, in
 * errors): the first line command prints. */
char	*conf_command_secret(const char *label, const char *what,
	    const char *command, char *err, size_t errlen);
/* Runs command like a password-command (sh -c, the same timeout and
 * trust check), with input (NULL: nothing) on its stdin, its stdout
 * thrown away, and env's "NAME=value" entries (NULL-terminated, or NULL)
 * added to mailsift's environment.  0 if it read its input and exited
 * 0; else -1, the error naming label and what (the option). */
int	 conf_command_run(const char *label, const char *what,
	    const char *command, const char *input, const char *const *env,
	    char *err, size_t errlen);
/* Tests only: the password-command timeout in milliseconds. */
void	 conf_secret_set_timeout(int ms);

#endif

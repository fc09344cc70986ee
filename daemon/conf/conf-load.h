/* SPDX-License-Identifier: ISC */
/*
 * conf-load.h - what conf.c (reading, parsing, per-value checks) shares
 * with conf-build.c (checks across options, struct config), implemented
 * in conf-load.c below both: neither calls the other through it.
 *
 * Internal to the configuration loader; the rest of mailsift uses conf.h.
 * A struct conf_load lives for one config_load() call and collects the
 * first error only: later ones are usually consequences of it.
 */
#ifndef DAEMON_CONF_LOAD_H
#define DAEMON_CONF_LOAD_H

#include <sys/stat.h>
#include <stddef.h>

#include <confuse.h>

struct config;

/* Where an option was set: libconfuse itself does not remember. */
struct opt_line {
	const cfg_t	*sec;
	const char	*name;
	int		 line;
};

struct conf_load {
	const char	*path;
	char		*err;
	size_t		 errlen;
	int		 failed;
	int		 accounts_optional;	/* CONFIG_ACCOUNTS_OPTIONAL */
	struct stat	 st;
	struct opt_line	*lines;
	size_t		 nlines;
	size_t		 linecap;
};

struct enum_name {
	const char	*name;
	int		 value;
};

extern const struct enum_name conf_type_names[];
extern const struct enum_name conf_tls_names[];
extern const struct enum_name conf_lmtp_tls_names[];	/* lmtp-tls */
extern const struct enum_name conf_lmtp_reject_names[];	/* lmtp-reject */
extern const struct enum_name conf_auth_names[];
extern const struct enum_name conf_smtp_auth_names[];
extern const struct enum_name conf_log_names[];
extern const struct enum_name conf_webhook_format_names[];
extern const struct enum_name conf_level_names[];
extern const struct enum_name conf_log_format_names[];

/* Record the error "PATH:LINE: message" (no LINE if 0), unless one was
 * recorded before. */
void		 conf_fail(struct conf_load *, int line, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
int		 conf_enum_lookup(const struct enum_name *, const char *);
const char	*conf_enum_label(const struct enum_name *, int);
/* The line where sec set the option, or 0 if it was not set. */
int		 conf_opt_line(const struct conf_load *, const cfg_t *sec,
		    const char *);
/* The first line of sec's options (its closing brace if it has none). */
int		 conf_section_line(const struct conf_load *, const cfg_t *sec);

#endif

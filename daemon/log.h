/*
 * log.h - mailsift's log: stderr or syslog, one level threshold.
 *
 * Messages are single lines; callers never pass secrets (passwords,
 * tokens, AUTH payloads): the protocol trace redacts them before they get
 * here.  log_fatal exits with status 1.
 */
#ifndef DAEMON_LOG_H
#define DAEMON_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,	/* -v */
	LOG_LEVEL_TRACE		/* -vv: protocol trace */
};

/* to_syslog: 0 for stderr; level: the most verbose level shown. */
void	log_init(int to_syslog, enum log_level level);
void	log_set_level(enum log_level);
int	log_enabled(enum log_level);
/* Parse "error", "warn", "info", "debug", "trace"; -1 if unknown. */
int	log_level_from_name(const char *);

void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_trace(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_vmsg(enum log_level, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
_Noreturn void log_fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

#endif

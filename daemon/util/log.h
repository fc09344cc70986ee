/* SPDX-License-Identifier: ISC */
/*
 * daemon/util/ - small helpers every other folder may use, none of
 * which knows a protocol, the configuration or the store: log.h is the
 * front door.  Owns: the log and the one cleaning of hostile text
 * (log.c), safe path walking and file names for what a message named
 * (safepath.c, safename.c), a message file read or mapped (mailfile.c),
 * and keeping the common iconv converters loaded (charsets.c).  Never:
 * includes a header of another daemon/ folder (it is the bottom of
 * daemon/), talks to the network.  Depends on: mime/ (UTF-8 and charset
 * helpers), libc.
 *
 * log.h - mailsift's log: stderr or syslog, one level threshold.
 *
 * Messages are single lines; callers never pass secrets (passwords,
 * tokens, AUTH payloads): the protocol trace redacts them before they get
 * here.  log_fatal exits with status 1.
 *
 * Text from a server (or a sender) is hostile: log_clean() is the one
 * place that makes it safe to show, and every line written passes
 * through it again, so no control sequence reaches a terminal or syslog.
 */
#ifndef DAEMON_LOG_H
#define DAEMON_LOG_H

#include <stdarg.h>
#include <stddef.h>

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

/* How log_clean() shows what it drops. */
enum log_clean_mode {
	LOG_CLEAN_MARK,		/* '?' per byte */
	LOG_CLEAN_HEX		/* "\x1b" per byte (protocol traces) */
};

/* Room for a server's reply in an error message, with log_clean(). */
#define LOG_SHOW_SIZE	256

/*
 * s[0..len) made safe for a log line or an error message, into out
 * (outlen > 0), always NUL-terminated; returns out.  Kept: printable
 * ASCII and well-formed UTF-8.  Dropped: C0 controls (CR, LF, ESC, BEL,
 * TAB...), DEL, the C1 controls U+0080..U+009F (as raw bytes or UTF-8:
 * 0x9b is CSI to some terminals), the line and paragraph separators and
 * the bidirectional overrides (a line that reads differently from what
 * it holds), and any byte not in a well-formed sequence.  Text beyond
 * outlen - 1 bytes is cut, on a character boundary, ending in "...".
 */
char	*log_clean(const char *s, size_t len, char *out, size_t outlen,
	    enum log_clean_mode);

void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_trace(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_vmsg(enum log_level, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
_Noreturn void log_fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

/* Called with every line written (after cleaning), from the thread that
 * logs it: how a round learns the error it ended on without the layers
 * below calling up.  NULL: none. */
typedef void	(*log_hook_fn)(enum log_level, const char *line);
void	log_set_hook(log_hook_fn);

#endif

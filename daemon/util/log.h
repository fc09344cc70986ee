/* SPDX-License-Identifier: ISC */
/*
 * daemon/util/ - small helpers every other folder may use, none of
 * which knows a protocol, the configuration or the store: log.h is the
 * front door.  Owns: the log and the one cleaning of hostile text
 * (log.c), safe path walking and file names for what a message named
 * (safepath.c, safename.c), a message file read or mapped (mailfile.c),
 * JSON strings (json.c) and a parsed message shown as a tree or JSON
 * (msgview.c: `mailsift parse` and the webhook's JSON),
 * keeping the common iconv converters loaded (charsets.c), and freeing
 * a string that held a secret, zeroed first (wipe.c).  Never:
 * includes a header of another daemon/ folder (it is the bottom of
 * daemon/), talks to the network.  Depends on: mime/ (UTF-8 and charset
 * helpers), libc.
 *
 * log.h - mailsift's log: stderr or syslog, one level threshold, lines
 * as text or as JSON objects (log-format).
 *
 * Messages are single lines; callers never pass secrets (passwords,
 * tokens, AUTH payloads): the protocol trace redacts them before they get
 * here.  log_fatal exits with status 1.
 *
 * Each thread has a log context: the account, folder and message UID it
 * is working on, set by whoever knows them (sched/ per account round,
 * pipeline/ per folder and message), so no call site has to pass them.
 * The JSON format shows them as fields (and an event name, from
 * log_event()); a field that is not set is left out.  The text format
 * is unchanged: its messages name the account themselves.
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

enum log_format {
	LOG_FORMAT_TEXT,	/* "2026-01-02 03:04:05 mailsift[info]: ..." */
	LOG_FORMAT_JSON		/* one object a line, see log_event() */
};

/* to_syslog: 0 for stderr; level: the most verbose level shown. */
void	log_init(int to_syslog, enum log_level level);
/* Text until set; with syslog, the JSON object is the message. */
void	log_set_format(enum log_format);
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

/*
 * The calling thread's log context.  Values are copied (made safe with
 * log_clean() and cut to LOG_CONTEXT_SIZE - 1 bytes); NULL or "" unsets
 * a field.  A new account unsets folder and UID, a new folder the UID.
 */
#define LOG_CONTEXT_SIZE	256
void	log_context_account(const char *);
void	log_context_folder(const char *);
void	log_context_uid(const char *);

/*
 * s[0..len) as the body of a JSON string (no quotes) into out (outlen >
 * 0), always NUL-terminated; returns the length written.  Every byte is
 * accounted for: '"' and '\' escaped, control bytes and DEL as \u00XX
 * (\n, \r, \t as such), well-formed UTF-8 kept, any other byte as
 * \ufffd.  Stops before an escape that would not fit whole, so the
 * result is always valid; *cut (may be NULL) says whether it stopped.
 */
size_t	log_json_string(const char *s, size_t len, char *out, size_t outlen,
	    int *cut);

void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_trace(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_vmsg(enum log_level, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
/*
 * A line that marks an event a log shipper may count or alert on
 * ("round", "retry", "reload"...: a short constant name, never data);
 * the JSON format shows it as "event", the text format as any line.
 * JSON fields: time (RFC 3339, UTC, milliseconds), level, then account,
 * folder and uid from the context and event when set, then message.
 */
void	log_event(enum log_level, const char *event, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
_Noreturn void log_fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

/* Called with every line written (after cleaning), from the thread that
 * logs it: how a round learns the error it ended on without the layers
 * below calling up.  NULL: none. */
typedef void	(*log_hook_fn)(enum log_level, const char *line);
void	log_set_hook(log_hook_fn);

#endif

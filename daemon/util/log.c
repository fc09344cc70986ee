/* SPDX-License-Identifier: ISC */
/* log.c - stderr or syslog logging, as text or JSON lines; see log.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "daemon/util/log.h"
#include "mime/charset.h"

static int		 log_syslog;
static enum log_level	 log_max = LOG_LEVEL_INFO;
static enum log_format	 log_format = LOG_FORMAT_TEXT;
/* Accounts run in threads: keep each line whole. */
static pthread_mutex_t	 log_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(log_hook_fn) log_hook;

static const char *const level_names[] = {
	"error", "warn", "info", "debug", "trace"
};

/* What this thread works on, already cleaned; "" for unset. */
struct log_context {
	char	 account[LOG_CONTEXT_SIZE];
	char	 folder[LOG_CONTEXT_SIZE];
	char	 uid[LOG_CONTEXT_SIZE];
};
static _Thread_local struct log_context log_ctx;

/* A message (4095 bytes) escapes to twice that at most once cleaned,
 * each context field to 510: a JSON line fits with room to spare. */
#define JSON_LINE_MAX	12288
#define EVENT_MAX	64

struct json_line {
	char	 s[JSON_LINE_MAX];
	size_t	 len;
};

void
log_init(int to_syslog, enum log_level level)
{
	log_syslog = to_syslog;
	log_max = level;
	if (to_syslog)
		openlog("mailsift", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_hook(log_hook_fn fn)
{
	log_hook = fn;
}

void
log_set_level(enum log_level level)
{
	log_max = level;
}

void
log_set_format(enum log_format format)
{
	log_format = format;
}

static void
context_set(char *field, const char *v)
{
	if (v == NULL)
		field[0] = '\0';
	else
		log_clean(v, strlen(v), field, LOG_CONTEXT_SIZE,
		    LOG_CLEAN_MARK);
}

void
log_context_account(const char *account)
{
	context_set(log_ctx.account, account);
	log_ctx.folder[0] = '\0';
	log_ctx.uid[0] = '\0';
}

void
log_context_folder(const char *folder)
{
	context_set(log_ctx.folder, folder);
	log_ctx.uid[0] = '\0';
}

void
log_context_uid(const char *uid)
{
	context_set(log_ctx.uid, uid);
}

int
log_enabled(enum log_level level)
{
	return level <= log_max;
}

int
log_level_from_name(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

/* The code point of a well-formed UTF-8 sequence of n > 1 bytes. */
static unsigned long
utf8_code_point(const unsigned char *p, size_t n)
{
	static const unsigned char lead[] = { 0, 0, 0x1f, 0x0f, 0x07 };
	unsigned long	 cp = p[0] & lead[n];
	size_t		 i;

	for (i = 1; i < n; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return cp;
}

/* Characters that change how a line looks rather than what it says. */
static int
code_point_hidden(unsigned long cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||	/* C1 controls */
	    cp == 0x200e || cp == 0x200f ||	/* LRM, RLM */
	    (cp >= 0x2028 && cp <= 0x202e) ||	/* LS, PS, bidi embedding */
	    (cp >= 0x2066 && cp <= 0x2069);	/* bidi isolates */
}

/* How many bytes at s[0..len) are kept as they are: 0 for a byte that
 * must be replaced. */
static size_t
clean_span(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = 1;

	if (p[0] >= 0x20 && p[0] < 0x7f)
		return 1;
	if (p[0] < 0x80 || (n = mime_utf8_seq(s, len)) < 2)
		return 0;
	return code_point_hidden(utf8_code_point(p, n)) ? 0 : n;
}

char *
log_clean(const char *s, size_t len, char *out, size_t outlen,
    enum log_clean_mode mode)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i = 0, o = 0, n, w, limit, cut = 0;
	unsigned char		 ch;

	if (outlen == 0)
		return out;
	limit = outlen - 1;
	for (; i < len; i += n > 0 ? n : 1) {
		n = clean_span(s + i, len - i);
		w = n > 0 ? n : mode == LOG_CLEAN_HEX ? 4 : 1;
		if (o + w > limit)
			break;
		ch = (unsigned char)s[i];
		if (n > 0)
			memcpy(out + o, s + i, n);
		else if (mode == LOG_CLEAN_HEX) {
			out[o] = '\\';
			out[o + 1] = 'x';
			out[o + 2] = digits[ch >> 4];
			out[o + 3] = digits[ch & 0xf];
		} else
			out[o] = '?';
		o += w;
		/* the last place where a cut still leaves room for "..." */
		if (limit < 3 || o <= limit - 3)
			cut = o;
	}
	if (i < len) {
		o = cut;
		if (limit >= 3) {
			memcpy(out + o, "...", 3);
			o += 3;
		}
	}
	out[o] = '\0';
	return out;
}

/*
 * How the byte at s[0..len) goes into a JSON string: *w and *wlen (esc
 * holds escapes, room for 7); returns how many input bytes it takes.
 */
static size_t
json_unit(const char *s, size_t len, char *esc, const char **w,
    size_t *wlen)
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 ch = (unsigned char)s[0];
	size_t			 n = 1;

	*w = esc;
	*wlen = 2;
	esc[0] = '\\';
	if (ch == '"' || ch == '\\')
		esc[1] = (char)ch;
	else if (ch == '\n' || ch == '\r' || ch == '\t')
		esc[1] = ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't';
	else if (ch < 0x20 || ch == 0x7f) {
		memcpy(esc + 1, "u00", 3);
		esc[4] = digits[ch >> 4];
		esc[5] = digits[ch & 0xf];
		*wlen = 6;
	} else if (ch < 0x80 || (n = mime_utf8_seq(s, len)) > 0) {
		*w = s;
		*wlen = n;
		return n;
	} else {
		*w = "\\ufffd";
		*wlen = 6;
	}
	return 1;
}

size_t
log_json_string(const char *s, size_t len, char *out, size_t outlen,
    int *cut)
{
	const char	*w;
	char		 esc[8];
	size_t		 i = 0, o = 0, n, wlen;

	if (cut != NULL)
		*cut = 0;
	if (outlen == 0)
		return 0;
	while (i < len) {
		n = json_unit(s + i, len - i, esc, &w, &wlen);
		if (wlen > outlen - 1 - o) {
			if (cut != NULL)
				*cut = 1;
			break;
		}
		memcpy(out + o, w, wlen);
		o += wlen;
		i += n;
	}
	out[o] = '\0';
	return o;
}

/* ,"key":"value" unless value is NULL; room is kept for the closing
 * brace, so a line may be cut short but is never broken. */
static void
json_add(struct json_line *j, const char *key, const char *val)
{
	size_t	 room = sizeof(j->s) - j->len - 2;	/* "}" and NUL */
	int	 n;

	if (val == NULL)
		return;
	n = snprintf(j->s + j->len, room, "%s\"%s\":\"", j->len > 1 ?
	    "," : "", key);
	if (n < 0 || (size_t)n + 2 > room)
		return;
	j->len += (size_t)n;
	room -= (size_t)n;
	/* one byte for the closing quote */
	j->len += log_json_string(val, strlen(val), j->s + j->len, room - 1,
	    NULL);
	j->s[j->len++] = '"';
	j->s[j->len] = '\0';
}

/* RFC 3339 in UTC with milliseconds: 2026-01-02T03:04:05.678Z. */
static void
json_time(char *buf, size_t len)
{
	struct timespec	 ts;
	struct tm	 tm;
	size_t		 n;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    (n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) == 0) {
		snprintf(buf, len, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(buf + n, len - n, ".%03dZ",
	    (int)(ts.tv_nsec / 1000000 % 1000));
}

static const char *
context_field(const char *v)
{
	return v[0] != '\0' ? v : NULL;
}

static void
json_build(struct json_line *j, enum log_level level, const char *event,
    const char *msg)
{
	char	 stamp[40], ev[EVENT_MAX];

	json_time(stamp, sizeof(stamp));
	memcpy(j->s, "{", 2);
	j->len = 1;
	json_add(j, "time", stamp);
	json_add(j, "level", level_names[level]);
	json_add(j, "account", context_field(log_ctx.account));
	json_add(j, "folder", context_field(log_ctx.folder));
	json_add(j, "uid", context_field(log_ctx.uid));
	if (event != NULL && event[0] != '\0')
		json_add(j, "event", log_clean(event, strlen(event), ev,
		    sizeof(ev), LOG_CLEAN_MARK));
	json_add(j, "message", msg);
	memcpy(j->s + j->len, "}", 2);
	j->len++;
}

/* line: cleaned, and for the text format without its time stamp. */
static void
log_emit(enum log_level level, const char *line)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
	    LOG_DEBUG, LOG_DEBUG };
	struct tm	 tm;
	time_t		 now;
	char		 stamp[32];

	if (log_syslog) {
		syslog(prio[level], "%s", line);
		return;
	}
	if (log_format == LOG_FORMAT_JSON) {
		pthread_mutex_lock(&log_lock);
		fprintf(stderr, "%s\n", line);
		pthread_mutex_unlock(&log_lock);
		return;
	}
	now = time(NULL);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		stamp[0] = '\0';
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s mailsift[%s]: %s\n", stamp, level_names[level],
	    line);
	pthread_mutex_unlock(&log_lock);
}

static void
log_write(enum log_level level, const char *event, const char *fmt,
    va_list ap)
{
	struct json_line	 j;
	char			 raw[4096], line[4096];
	log_hook_fn		 hook;
	int			 n;

	if (level > log_max)
		return;
	if ((n = vsnprintf(raw, sizeof(raw), fmt, ap)) < 0)
		n = 0;
	/* the last line of defence: whatever a caller let through */
	log_clean(raw, (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1,
	    line, sizeof(line), LOG_CLEAN_MARK);
	if ((hook = log_hook) != NULL)
		hook(level, line);
	if (log_format != LOG_FORMAT_JSON) {
		log_emit(level, line);
		return;
	}
	json_build(&j, level, event, line);
	log_emit(level, j.s);
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	log_write(level, NULL, fmt, ap);
}

void
log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_write(level, event, fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_WARN, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
}

void
log_trace(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_TRACE, fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

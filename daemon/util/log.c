/* SPDX-License-Identifier: ISC */
/* log.c - stderr or syslog logging; see log.h. */
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
/* Accounts run in threads: keep each line whole. */
static pthread_mutex_t	 log_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(log_hook_fn) log_hook;

static const char *const level_names[] = {
	"error", "warn", "info", "debug", "trace"
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
	size_t			 n;

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

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
	    LOG_DEBUG, LOG_DEBUG };
	char		 raw[4096], line[4096];
	log_hook_fn	 hook;
	struct tm	 tm;
	time_t		 now;
	char		 stamp[32];
	int		 n;

	if (level > log_max)
		return;
	if ((n = vsnprintf(raw, sizeof(raw), fmt, ap)) < 0)
		n = 0;
	/* the last line of defence: whatever a caller let through */
	log_clean(raw, (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1,
	    line, sizeof(line), LOG_CLEAN_MARK);
	if ((hook = log_hook) != NULL)
		hook(level, line);
	if (log_syslog) {
		syslog(prio[level], "%s", line);
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

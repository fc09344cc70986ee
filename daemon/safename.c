/* safename.c - safe attachment file names; see safename.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "daemon/safename.h"

static const char *
base_name(const char *s)
{
	const char	*p, *b = s;

	for (p = s; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	return b;
}

/* Cut at most max bytes without splitting a UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

void
safename_make(const char *name, const char *fallback, char *out)
{
	const unsigned char	*s;
	size_t			 n = 0;
	char			 tmp[SAFENAME_MAX * 4 + 1];

	if (name != NULL) {
		for (s = (const unsigned char *)base_name(name);
		    *s != '\0' && n < sizeof(tmp) - 1; s++) {
			if (*s < 0x20 || *s == 0x7f)
				continue;
			if (*s == '.' && n == 0)
				continue;	/* no hidden or ".." names */
			tmp[n++] = (char)*s;
		}
		while (n > 0 && (tmp[n - 1] == ' ' || tmp[n - 1] == '.'))
			n--;
	}
	if (n == 0) {
		snprintf(out, SAFENAME_MAX + 1, "%s", fallback);
		return;
	}
	n = utf8_cut(tmp, n, SAFENAME_MAX);
	memcpy(out, tmp, n);
	out[n] = '\0';
}

int
safename_create(int dirfd, const char *name, char *out)
{
	const char	*dot;
	size_t		 stem;
	unsigned	 i;
	int		 fd;

	dot = strrchr(name, '.');
	stem = dot != NULL && dot != name ? (size_t)(dot - name) : strlen(name);
	for (i = 0; i < 10000; i++) {
		if (i == 0)
			snprintf(out, SAFENAME_MAX + 16, "%s", name);
		else
			snprintf(out, SAFENAME_MAX + 16, "%.*s-%u%s",
			    (int)stem, name, i, name + stem);
		fd = openat(dirfd, out,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

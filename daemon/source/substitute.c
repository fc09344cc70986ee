/* SPDX-License-Identifier: ISC */
/*
 * substitute.c - recognise a server's notice served in place of a
 * message with UTF-8 headers (see substitute.h).
 *
 * Courier (POP3 and IMAP, 5.x) serves a client not in UTF-8 mode a
 * message of its own: "Subject: Cannot display Unicode content", a
 * text part saying so, and the original as a message/global part
 * (RFC 6532).  Both marks are needed: the subject alone could be a
 * real message, and message/global alone is legitimate mail.
 */
#include <string.h>
#include <strings.h>

#include "daemon/source/substitute.h"

#define COURIER_SUBJECT	"Cannot display Unicode content"

/* The next line of msg from *pos (without its end), or -1 at the end. */
static int
next_line(const char *msg, size_t len, size_t *pos, const char **line,
    size_t *llen)
{
	const char	*nl;
	size_t		 n;

	if (*pos >= len)
		return -1;
	*line = msg + *pos;
	nl = memchr(*line, '\n', len - *pos);
	n = nl != NULL ? (size_t)(nl - *line) : len - *pos;
	*pos += n + (nl != NULL);
	if (n > 0 && (*line)[n - 1] == '\r')
		n--;
	*llen = n;
	return 0;
}

/* The top-level Subject is exactly (ASCII case aside) want. */
static int
subject_is(const char *msg, size_t len, const char *want)
{
	const char	*line;
	size_t		 pos = 0, llen, i, wlen = strlen(want);

	while (next_line(msg, len, &pos, &line, &llen) == 0 && llen > 0) {
		if (llen < 8 || strncasecmp(line, "Subject:", 8) != 0)
			continue;
		for (i = 8; i < llen && (line[i] == ' ' || line[i] == '\t');
		    i++)
			;
		while (llen > i && (line[llen - 1] == ' ' ||
		    line[llen - 1] == '\t'))
			llen--;
		return llen - i == wlen && strncasecmp(line + i, want,
		    wlen) == 0;
	}
	return 0;
}

/* A "Content-Type: message/global" header line anywhere (a part's). */
static int
has_global_part(const char *msg, size_t len)
{
	static const char	 ct[] = "Content-Type:";
	const char		*line;
	size_t			 pos = 0, llen, i;

	while (next_line(msg, len, &pos, &line, &llen) == 0) {
		if (llen < sizeof(ct) - 1 ||
		    strncasecmp(line, ct, sizeof(ct) - 1) != 0)
			continue;
		for (i = sizeof(ct) - 1; i < llen && (line[i] == ' ' ||
		    line[i] == '\t'); i++)
			;
		if (llen - i >= 14 && strncasecmp(line + i,
		    "message/global", 14) == 0)
			return 1;
	}
	return 0;
}

const char *
source_substitute(const char *msg, size_t len)
{
	if (subject_is(msg, len, COURIER_SUBJECT) &&
	    has_global_part(msg, len))
		return "Courier";
	return NULL;
}

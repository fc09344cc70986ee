/* SPDX-License-Identifier: ISC */
/*
 * edit.c - add-header and remove-header on the raw message, keeping
 * its line ends (CRLF or LF) and every other byte as it was.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/act/edit.h"

/* The message's line end: that of its first line. */
static const char *
line_end(const struct act_msg *m)
{
	const char	*nl = memchr(m->data, '\n', m->len);

	return nl != NULL && nl > m->data && nl[-1] == '\r' ? "\r\n" : "\n";
}

int
edit_header_add(struct act_msg *m, const char *name, const char *value)
{
	const char	*eol = line_end(m);
	size_t		 nlen = strlen(name), vlen = strlen(value);
	size_t		 add = nlen + 2 + vlen + strlen(eol), len;
	char		*p;

	/* the rules engine hands one-line values; be sure anyway */
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		return -1;
	len = m->len + add;
	if ((p = malloc(len + 1)) == NULL)
		return -1;
	memcpy(p, name, nlen);
	memcpy(p + nlen, ": ", 2);
	memcpy(p + nlen + 2, value, vlen);
	memcpy(p + nlen + 2 + vlen, eol, strlen(eol));
	memcpy(p + add, m->data, m->len);
	p[len] = '\0';
	act_msg_replace(m, p, len);
	return 0;
}

/* Length of the header block: up to and including the empty line. */
static size_t
header_end(const char *s, size_t len)
{
	const char	*p = s, *nl;

	while ((size_t)(p - s) < len) {
		if (*p == '\n' || (*p == '\r' && (size_t)(p - s) + 1 < len &&
		    p[1] == '\n'))
			return (size_t)(p - s);
		if ((nl = memchr(p, '\n', len - (size_t)(p - s))) == NULL)
			return len;
		p = nl + 1;
	}
	return len;
}

/* Does the field at line start with "name:" (case-insensitively)? */
static int
field_is(const char *line, size_t avail, const char *name)
{
	size_t	 n = strlen(name), i = n;

	if (avail < n + 1 || strncasecmp(line, name, n) != 0)
		return 0;
	while (i < avail && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i < avail && line[i] == ':';
}

int
edit_header_remove(struct act_msg *m, const char *name)
{
	size_t	 hend = header_end(m->data, m->len), i = 0, o = 0, next;
	char	*p, *nl;
	int	 drop = 0;

	if ((p = malloc(m->len + 1)) == NULL)
		return -1;
	while (i < hend) {
		nl = memchr(m->data + i, '\n', hend - i);
		next = nl == NULL ? hend : (size_t)(nl - m->data) + 1;
		/* a continuation line belongs to the field before it */
		if (m->data[i] != ' ' && m->data[i] != '\t')
			drop = field_is(m->data + i, hend - i, name);
		if (!drop) {
			memcpy(p + o, m->data + i, next - i);
			o += next - i;
		}
		i = next;
	}
	memcpy(p + o, m->data + hend, m->len - hend);
	o += m->len - hend;
	p[o] = '\0';
	act_msg_replace(m, p, o);
	return 0;
}

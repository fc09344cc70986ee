/* SPDX-License-Identifier: ISC */
/*
 * httpd-parse.c - the request head and the listen address of the
 * metrics listener; see httpd-parse.h.  Pure: no sockets, no allocation, so
 * it is unit-tested and fuzzed alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/net/httpd-parse.h"

/* Bytes a request head may hold: visible ASCII, space, tab, CR, LF.
 * Anything else (NUL, other controls, 8-bit) is not HTTP we serve. */
static int
head_byte_ok(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\r' || c == '\n';
}

/* Where the head ends (just past the blank line), or 0 if not yet. */
static size_t
head_end(const char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* The line at buf[*off..end) without its CR LF; advances *off. */
static size_t
next_line(const char *buf, size_t end, size_t *off, const char **line)
{
	size_t	 start = *off, i = start, n;

	while (i < end && buf[i] != '\n')
		i++;
	*off = i < end ? i + 1 : end;
	n = i - start;
	if (n > 0 && buf[start + n - 1] == '\r')
		n--;
	*line = buf + start;
	return n;
}

static int
token_is(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(p, word, n) == 0;
}

static int
name_is(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

/* "GET /path?q HTTP/1.1": 200 with the path, or the status. */
static int
request_line(const char *l, size_t n, char *path, size_t pathlen)
{
	const char	*sp1, *sp2, *t;
	size_t		 tlen, i;

	if ((sp1 = memchr(l, ' ', n)) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - l))) == NULL)
		return 400;
	t = sp1 + 1;
	tlen = (size_t)(sp2 - t);
	if (memchr(sp2 + 1, ' ', n - (size_t)(sp2 + 1 - l)) != NULL)
		return 400;	/* three words, one space between */
	if (!token_is(sp2 + 1, n - (size_t)(sp2 + 1 - l), "HTTP/1.1") &&
	    !token_is(sp2 + 1, n - (size_t)(sp2 + 1 - l), "HTTP/1.0"))
		return n - (size_t)(sp2 + 1 - l) > 5 &&
		    memcmp(sp2 + 1, "HTTP/", 5) == 0 ? 505 : 400;
	if (sp1 == l)
		return 400;
	for (i = 0; i < tlen; i++)
		if (t[i] <= 0x20 || t[i] >= 0x7f)
			return 400;
	if (tlen == 0 || t[0] != '/')
		return 400;
	if (!token_is(l, (size_t)(sp1 - l), "GET"))
		return 405;
	if (memchr(t, '?', tlen) != NULL)
		tlen = (size_t)((const char *)memchr(t, '?', tlen) - t);
	if (tlen >= HTTPD_PATH_MAX || tlen >= pathlen)
		return 414;
	memcpy(path, t, tlen);
	path[tlen] = '\0';
	return 200;
}

/* "Name: value"; a GET with a body is refused. */
static int
header_line(const char *l, size_t n)
{
	const char	*colon;
	size_t		 i, nlen;

	if ((colon = memchr(l, ':', n)) == NULL || colon == l)
		return 400;
	nlen = (size_t)(colon - l);
	for (i = 0; i < nlen; i++)
		if (l[i] <= 0x20 || l[i] >= 0x7f)
			return 400;	/* no space before the colon */
	if (name_is(l, nlen, "Content-Length") ||
	    name_is(l, nlen, "Transfer-Encoding"))
		return 400;
	return 200;
}

int
httpd_request_parse(const char *buf, size_t len, char *path, size_t pathlen)
{
	const char	*line;
	size_t		 i, end, off = 0, n;
	int		 r;

	/* the head, or what came of it so far: bytes after it (a body,
	 * a second request) are never read, so never judged */
	end = head_end(buf, len);
	for (i = 0; i < (end > 0 ? end : len) && i < HTTPD_HEAD_MAX; i++)
		if (!head_byte_ok((unsigned char)buf[i]))
			return 400;
	if (end == 0 || end > HTTPD_HEAD_MAX)
		return len >= HTTPD_HEAD_MAX ? 431 : HTTPD_MORE;
	n = next_line(buf, end, &off, &line);
	if ((r = request_line(line, n, path, pathlen)) != 200)
		return r;
	while (off < end) {
		if ((n = next_line(buf, end, &off, &line)) == 0)
			break;		/* the blank line */
		if ((r = header_line(line, n)) != 200)
			return r;
	}
	return 200;
}

/* port: 1 to 65535 in decimal digits. */
static int
port_ok(const char *p)
{
	char	*end;
	long	 v;

	if (*p < '0' || *p > '9')
		return 0;
	v = strtol(p, &end, 10);
	return *end == '\0' && v >= 1 && v <= 65535;
}

int
httpd_listen_split(const char *spec, char *host, size_t hostlen, char *port,
    size_t portlen, char *err, size_t errlen)
{
	const char	*colon, *h = "127.0.0.1", *p = spec;
	size_t		 hlen = strlen(h);

	if (spec[0] == '[') {
		if ((colon = strstr(spec, "]:")) == NULL) {
			snprintf(err, errlen, "metrics-listen: '%s': an IPv6 "
			    "address is written [ADDRESS]:PORT", spec);
			return -1;
		}
		h = spec + 1;
		hlen = (size_t)(colon - h);
		p = colon + 2;
	} else if ((colon = strrchr(spec, ':')) != NULL) {
		if (colon != spec) {
			h = spec;
			hlen = (size_t)(colon - spec);
		}
		p = colon + 1;
		if (colon != spec && memchr(spec, ':', hlen) != NULL) {
			snprintf(err, errlen, "metrics-listen: '%s': write an "
			    "IPv6 address in brackets, [ADDRESS]:PORT", spec);
			return -1;
		}
	}
	if (!port_ok(p) || hlen == 0 || hlen >= hostlen ||
	    strlen(p) >= portlen) {
		snprintf(err, errlen, "metrics-listen: '%s' is not HOST:PORT "
		    "(a port from 1 to 65535, e.g. 127.0.0.1:9532)", spec);
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	snprintf(port, portlen, "%s", p);
	return 0;
}

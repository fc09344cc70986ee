/* SPDX-License-Identifier: ISC */
/*
 * httpd-parse.h - what the metrics listener (httpd.h) makes of the bytes
 * a client sent and of the address it listens on.  Pure functions: no
 * socket, no allocation, no log; unit-tested and fuzzed alone.
 */
#ifndef DAEMON_HTTPD_PARSE_H
#define DAEMON_HTTPD_PARSE_H

#include <stddef.h>

#define HTTPD_HEAD_MAX		4096
#define HTTPD_PATH_MAX		256

/*
 * Split a listen address, "HOST:PORT", "[V6]:PORT", ":PORT" or "PORT"
 * (no host: 127.0.0.1, the loopback - other hosts only when named), into
 * host and port.  0, or -1 with the reason in err.
 */
int		 httpd_listen_split(const char *spec, char *host,
		    size_t hostlen, char *port, size_t portlen, char *err,
		    size_t errlen);

/*
 * Parse a request head in buf[0..len).  0: not whole yet (read more);
 * 200: a GET whose target's path (without the query) is in path; else
 * the status to answer with (400, 405, 414, 431, 505).
 */
#define HTTPD_MORE	0
int		 httpd_request_parse(const char *buf, size_t len, char *path,
		    size_t pathlen);

#endif

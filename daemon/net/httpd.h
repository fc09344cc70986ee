/* SPDX-License-Identifier: ISC */
/*
 * httpd.h - the one server side of daemon/net/: a very small HTTP/1.1
 * responder for the metrics listener (metrics-listen).
 *
 * It answers GET and nothing else, one connection at a time, one request
 * per connection (Connection: close), from a thread of its own.  A
 * request head is at most HTTPD_HEAD_MAX bytes and must arrive within
 * HTTPD_TIMEOUT_MS of the connection, whole: slow, huge, binary or
 * malformed requests get a 4xx status (or are dropped when the time is
 * up), never a wait or a read past the buffer.  A request with a body
 * (Content-Length, Transfer-Encoding) is refused.  What a path serves
 * is the caller's handler's business; the responder knows no path.
 * Never logs what a client sent.  The parsing is httpd-parse.h's.
 */
#ifndef DAEMON_HTTPD_H
#define DAEMON_HTTPD_H

#include <stddef.h>

#include "daemon/net/httpd-parse.h"

#define HTTPD_TIMEOUT_MS	5000

/* What the handler answers: status (200, 404...), the content type and a
 * body it allocated (malloc; the responder frees it), or NULL. */
struct httpd_reply {
	int		 status;
	const char	*type;
	char		*body;
	size_t		 len;
};
typedef void	(*httpd_handler_fn)(void *ctx, const char *path,
		    struct httpd_reply *);

struct httpd;
/* Listen on spec and serve from a thread; NULL with err on failure. */
struct httpd	*httpd_start(const char *spec, httpd_handler_fn, void *ctx,
		    char *err, size_t errlen);
/* Stop the thread (within half a second) and close the socket. */
void		 httpd_stop(struct httpd *);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * pop3-int.h - what the POP3 source's two files share: pop3.c (the
 * session: connect, TLS, CAPA, login, replies) and pop3-fetch.c (the
 * maildrop: UIDL, LIST, RETR, DELE, QUIT).  Not for other callers.
 */
#ifndef DAEMON_POP3_INT_H
#define DAEMON_POP3_INT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/conf/conf.h"
#include "daemon/pipeline/pipeline.h"

#define POP3_TIMEOUT_MS		60000
/* Status, CAPA, UIDL and LIST lines.  RFC 2449 allows 512 octets;
 * leave room for sloppy servers. */
#define POP3_LINE_MAX		8192
/* A line of a message; real mail has long ones (unwrapped HTML). */
#define POP3_BODY_LINE_MAX	(1024 * 1024)
/* Guards against a server that never ends a listing. */
#define POP3_CAPA_MAX		256
#define POP3_MSGS_MAX		1000000
/* RFC 1939 says 1 to 70 characters; some servers go further. */
#define POP3_UIDL_MAX		255
/* Commands in flight when pipelining: enough to keep the server busy
 * (16 left it idle a third of the time), and at ~1 KB of commands far
 * too small for either side's socket buffer to fill and deadlock us. */
#define POP3_WINDOW		64
/* Without max-size, a message may still not eat all memory. */
#define POP3_MSG_HARD_MAX	((uint64_t)2 << 30)
/* RFC 5034: AUTH with its initial response fits 255 octets. */
#define POP3_AUTH_MAX		255
/* SASL exchanges longer than this are a confused server. */
#define POP3_SASL_ROUNDS	8
#define POP3_STAMP_MAX		256

enum pop3_reply {
	REPLY_OK,	/* +OK */
	REPLY_ERR,	/* -ERR */
	REPLY_MORE,	/* "+ challenge" during AUTH */
	REPLY_BAD	/* anything else */
};

enum pop3_login {
	LOGIN_USER,	/* USER/PASS */
	LOGIN_APOP,
	LOGIN_SASL
};

struct pop3_msg {
	unsigned	 seq;		/* message number, for RETR/DELE */
	char		*uidl;
	uint64_t	 size;		/* from LIST */
	int		 listed;	/* LIST gave a size */
	unsigned char	 known;		/* recorded in an earlier round */
	int		 skipped;	/* oversized: never fetched nor deleted */
	int		 dele;		/* safe to delete */
};

struct pop3 {
	const struct account	*acct;
	const struct endpoint	*ep;
	struct pipeline		*pl;
	struct conn		*conn;
	char			 trace[128];
	char			 stamp[POP3_STAMP_MAX];	/* APOP; "" if none */

	int			 has_capa;	/* CAPA answered +OK */
	int			 capa_user;
	int			 capa_stls;
	int			 capa_pipelining;
	int			 capa_sasl;
	int			 capa_utf8;	/* RFC 6856 */
	int			 utf8;		/* UTF8 answered +OK */
	int			 sasl_plain;
	int			 sasl_oauthbearer;
	int			 oauth_first;	/* a refusal gets a new token */
	char			 sasl_list[128];	/* for messages */

	struct pop3_msg		*msgs;		/* sorted by seq */
	size_t			 nmsgs;
	size_t			 msgscap;

	char			*buf;		/* the message in hand */
	size_t			 len;
	size_t			 cap;
	uint64_t		 max_size;	/* 0: none */
	uint64_t		 buf_max;	/* never grow buf beyond */

	int			 added;		/* handed to the pipeline */
	int			 hung_up;	/* stopped with RETRs in flight */
	int			 pipeline_failed;
	int			 substituted;	/* notices refused */
};

void	pop3_reply_error(struct pop3 *p, const char *what, const char *line,
	    size_t len, const char *hint);
enum pop3_reply pop3_reply_kind(const char *line, size_t len);
int	pop3_expect_ok(struct pop3 *p, const char *what, const char *hint);
int	pop3_reply(struct pop3 *p, const char *what, const char **line,
	    size_t *len);
void	pop3_error(struct pop3 *p, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	pop3_queue(struct pop3 *p, const char *cmd);
int	pop3_flush(struct pop3 *p, const char *what);
int	pop3_send(struct pop3 *p, const char *cmd);
int	pop3_next_line(struct pop3 *p, const char *what, size_t max,
	    const char **line, size_t *len);
int	pop3_parse_number(const char *s, size_t len, size_t *pos, uint64_t max,
	    uint64_t *out);
size_t	pop3_skip_spaces(const char *s, size_t len, size_t pos);
void	pop3_io_error(struct pop3 *p, const char *what);
/* Connect, greet, CAPA, STLS if asked, and log in. */
int	pop3_open(struct pop3 *);

#endif

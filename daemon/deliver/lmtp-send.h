/* SPDX-License-Identifier: ISC */
/*
 * lmtp-send.h - inside the lmtp target: the LMTP dialogue (lmtp-send.c:
 * LHLO, STARTTLS, the transactions, pipelined or not) that lmtp.c (the
 * target's steps, the recipient, the message as staged) drives, and the
 * structures both read.  lmtp-send.c knows nothing of lmtp.c; lmtp.c's
 * header states the contract and the guarantee.
 */
#ifndef DAEMON_DELIVER_LMTP_SEND_H
#define DAEMON_DELIVER_LMTP_SEND_H

#include <stddef.h>

#include "daemon/deliver/target.h"

#define LMTP_RCPT_MAX		256

/* Capabilities from LHLO. */
#define CAP_PIPELINING		0x01
#define CAP_CHUNKING		0x02
#define CAP_8BITMIME		0x04
#define CAP_SMTPUTF8		0x08
#define CAP_STARTTLS		0x10

struct rule_line;

/* What open took from the target string and the account (dv->priv). */
struct lmtp_dest {
	char			 host[256];	/* a socket path, or a host */
	char			 port[16];	/* "" for a socket */
	char			 rcpt[LMTP_RCPT_MAX]; /* "": not given */
	struct rule_line	*tpl;		/* recipient; NULL: the name */
	int			 tls;		/* enum lmtp_tls */
	const char		*ca_file;	/* the account's, or NULL */
	int			 reject;	/* enum lmtp_reject */
	int			 conns;		/* connections at most, >= 1 */
};

/* A staged message (s->entry), in.length bytes of data. */
struct lmtp_msg {
	char	 rcpt[LMTP_RCPT_MAX];
	char	 from[LMTP_RCPT_MAX];
	char	 bad[160];	/* why rcpt cannot be used; "" if it can */
	int	 eightbit;	/* a byte >= 0x80 in the message */
	char	 data[];	/* CRLF lines, not dot-stuffed */
};

/* One connection per distinct address in the batch (g->held). */
struct lmtp_conn {
	const char		*path;	/* dv->path */
	const struct lmtp_dest	*dest;
	struct conn		*c;
	unsigned		 caps;
	int			 lhlo;	/* reading LHLO's reply: caps */
	int			 broken;
	int			 used;	/* a transaction was started */
};

/* 1 if p is all ASCII. */
int	lmtp_ascii(const char *p);
/* Connect, read the greeting, LHLO, STARTTLS if lmtp-tls says so. */
int	lmtp_connect(struct lmtp_conn *, char *err, size_t errlen);
/* Deliver v[0, n) (JOURNALED, for this connection) and set each one's
 * state, in the way the server's capabilities allow; *sent counts the
 * 250s (the commit's test hook). */
void	lmtp_send_all(struct lmtp_conn *, struct staged **v, size_t n,
	    struct target_report *, size_t *sent);
/* QUIT, unless the connection broke; then close it. */
void	lmtp_quit(struct lmtp_conn *);

#endif

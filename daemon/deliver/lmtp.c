/* SPDX-License-Identifier: ISC */
/*
 * lmtp.c - delivery over LMTP (RFC 2033) to a local MDA (Dovecot, Cyrus):
 * the lmtp target, "lmtp:/path/to/socket" or "lmtp:host:port", either
 * optionally preceded by "RECIPIENT@" (the last '@' ends the recipient:
 * "lmtp:jo@example.org@/run/dovecot/lmtp"); without one the recipient
 * is the account's name.
 *
 * A network target (target.h): stage keeps the message in memory as it
 * goes on the wire (CRLF line ends, dot-stuffed, ended by CRLF . CRLF),
 * so the bytes the server stores are the message's, with LF made CRLF;
 * prepare connects and says LHLO, so a server that is down costs no
 * intent; publish runs one transaction per message (MAIL, RCPT, DATA)
 * and takes the recipient's reply after the end of data as the outcome:
 * 250 is VISIBLE; 4xx (the message stays on the server for the next
 * round) and 5xx (a permanent refusal, reported; the message also stays
 * on the server) are UNDONE; a connection lost after the end of data and
 * before the reply is DOUBT.  release says QUIT.
 *
 * GUARANTEE: at least once.  LMTP has no way to look a message up, so
 * recovery (settle) takes every intent left by a crash as not delivered
 * and the message is fetched and delivered again.  The window: a crash
 * after the server's 250 and before the record commit (one state
 * transaction) delivers the message twice.  The intent's name is an
 * idempotency key (account, folder, UIDVALIDITY, UID or UIDL) the same
 * on every retry, for the logs.
 *
 * Not yet: PIPELINING, CHUNKING, STARTTLS, several recipients in one
 * transaction, a templated recipient option.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/deliver/target.h"
#include "daemon/deliver/target-util.h"
#include "daemon/net/conn.h"
#include "daemon/util/log.h"

#define LMTP_LINE_MAX		4096
#define LMTP_RCPT_MAX		256
#define LMTP_TIMEOUT_MS		60000

/* What open parsed from "[RCPT@]ADDR" (dv->priv). */
struct lmtp_addr {
	char	 host[256];	/* a socket path, or a host */
	char	 port[16];	/* "" for a socket */
	char	 rcpt[LMTP_RCPT_MAX];	/* "" : the account's name */
};

/* One connection per distinct address in the batch (g->held). */
struct lmtp_conn {
	const char		*path;	/* dv->path */
	const struct lmtp_addr	*addr;
	struct conn		*c;
	int			 broken;
};

/* The reply just read. */
struct lmtp_reply {
	int	 code;
	char	 text[512];
};

static int
lmtp_safe(const char *p)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '<' ||
		    *p == '>')
			return 0;
	return 1;
}

static int
lmtp_parse(const char *arg, struct lmtp_addr *a, char *err, size_t errlen)
{
	const char	*at, *addr = arg, *colon;
	size_t		 n;

	memset(a, 0, sizeof(*a));
	if ((at = strrchr(arg, '@')) != NULL) {
		n = (size_t)(at - arg);
		if (n == 0 || n >= sizeof(a->rcpt))
			goto bad;
		memcpy(a->rcpt, arg, n);
		if (!lmtp_safe(a->rcpt))
			goto bad;
		addr = at + 1;
	}
	if (addr[0] == '/') {
		if (strlen(addr) >= sizeof(a->host))
			goto bad;
		snprintf(a->host, sizeof(a->host), "%s", addr);
		return 0;
	}
	if ((colon = strrchr(addr, ':')) == NULL || colon == addr ||
	    colon[1] == '\0' || strlen(colon + 1) >= sizeof(a->port) ||
	    (size_t)(colon - addr) >= sizeof(a->host))
		goto bad;
	memcpy(a->host, addr, (size_t)(colon - addr));
	snprintf(a->port, sizeof(a->port), "%s", colon + 1);
	return 0;
bad:
	snprintf(err, errlen, "lmtp target \"%.300s\": must be "
	    "lmtp:[RECIPIENT@]/path/to/socket or lmtp:[RECIPIENT@]host:port",
	    arg);
	return -1;
}

static int
lmtp_open(struct delivery *dv, const char *folder, char *err, size_t errlen)
{
	struct lmtp_addr	*a;

	if (folder != NULL) {
		/* the server files the message (Sieve); never drop the
		 * folder a rule asked for without saying so */
		snprintf(err, errlen, "lmtp %s: cannot deliver into folder "
		    "%s: the LMTP server decides the folder (Sieve)",
		    dv->path, folder);
		return -1;
	}
	if ((a = malloc(sizeof(*a))) == NULL) {
		snprintf(err, errlen, "lmtp %s: out of memory", dv->path);
		return -1;
	}
	if (lmtp_parse(dv->path, a, err, errlen) == -1) {
		free(a);
		return -1;
	}
	dv->priv = a;
	return 0;
}

static void
lmtp_close(struct delivery *dv)
{
	free(dv->priv);
	dv->priv = NULL;
}

struct lmtp_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static int
buf_add(struct lmtp_buf *b, const char *p, size_t n)
{
	char	*np;
	size_t	 cap;

	if (b->cap - b->len < n) {
		cap = b->cap * 2 > b->len + n ? b->cap * 2 : b->len + n + 4096;
		if ((np = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

/* The DATA payload: each line ends CRLF (an LF alone becomes CRLF, a CR
 * alone is kept), a line starting with '.' gets one more, a last line
 * without its end gets one, and CRLF . CRLF ends it (RFC 5321 4.5.2). */
static int
lmtp_wire(struct lmtp_buf *b, const char *data, size_t len)
{
	const char	*p = data, *end = data + len, *nl;
	size_t		 n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (nl != NULL && n > 0 && p[n - 1] == '\r')
			n--;
		if ((n > 0 && p[0] == '.' && buf_add(b, ".", 1) == -1) ||
		    buf_add(b, p, n) == -1 || buf_add(b, "\r\n", 2) == -1)
			return -1;
		p = nl != NULL ? nl + 1 : end;
	}
	return buf_add(b, ".\r\n", 3);
}

static int
lmtp_stage(struct delivery *dv, struct staged *s, const char *data,
    size_t len, int flags, char *err, size_t errlen)
{
	struct lmtp_buf	 b = { NULL, 0, 0 };
	char		 key[1024];

	if (delivery_digest(data, len, flags, &s->in.content) == -1) {
		snprintf(err, errlen, "lmtp %s: cannot compute SHA-256",
		    dv->path);
		return -1;
	}
	snprintf(key, sizeof(key), "%s/%s/%u/%s", s->in.account,
	    s->in.folder, s->in.uidvalidity, s->in.uidl != NULL ?
	    s->in.uidl : "");
	if (s->in.uidl == NULL)
		snprintf(key + strlen(key), sizeof(key) - strlen(key), "%u",
		    s->in.uid);
	b.cap = len + len / 32 + 64;
	if ((b.p = malloc(b.cap)) == NULL || lmtp_wire(&b, data, len) == -1 ||
	    (s->in.name = strdup(key)) == NULL) {
		snprintf(err, errlen, "lmtp %s: out of memory for a message "
		    "of %zu bytes", dv->path, len);
		free(b.p);
		errno = ENOMEM;
		return -1;
	}
	s->entry = b.p;
	s->in.length = b.len;
	return 0;
}

/* In memory until publish: nothing to take back. */
static int
lmtp_unstage(struct staged *s, char *err, size_t errlen)
{
	(void)s;
	(void)err;
	(void)errlen;
	return 0;
}

/* One whole reply (continuation lines "250-"); the code or -1. */
static int
lmtp_reply(struct lmtp_conn *lc, struct lmtp_reply *r)
{
	const char	*line;
	size_t		 len, i;

	for (;;) {
		if (conn_read_line(lc->c, &line, &len, LMTP_LINE_MAX) == -1) {
			lc->broken = 1;
			snprintf(r->text, sizeof(r->text), "%s",
			    conn_error(lc->c));
			return -1;
		}
		if (len < 3 || line[0] < '2' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '9' || line[2] < '0' ||
		    line[2] > '9' || (len > 3 && line[3] != ' ' &&
		    line[3] != '-')) {
			lc->broken = 1;
			snprintf(r->text, sizeof(r->text), "not an LMTP reply");
			return -1;
		}
		r->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		/* the text, printable and bounded, for messages */
		for (i = 0; i + 4 < len && i + 1 < sizeof(r->text); i++)
			r->text[i] = (unsigned char)line[i + 4] < ' ' ||
			    line[i + 4] == 0x7f ? '?' : line[i + 4];
		r->text[i] = '\0';
		if (len == 3 || line[3] == ' ')
			return r->code;
	}
}

static int
lmtp_command(struct lmtp_conn *lc, struct lmtp_reply *r, const char *cmd)
{
	if (conn_printf(lc->c, "%s\r\n", cmd) == -1 ||
	    conn_flush(lc->c) == -1) {
		lc->broken = 1;
		snprintf(r->text, sizeof(r->text), "%s", conn_error(lc->c));
		return -1;
	}
	return lmtp_reply(lc, r);
}

/* Connect, read the greeting, LHLO. */
static int
lmtp_connect(struct lmtp_conn *lc, char *err, size_t errlen)
{
	struct lmtp_reply	 r;

	lc->c = conn_open(lc->addr->host, lc->addr->port[0] != '\0' ?
	    lc->addr->port : "0", LMTP_TIMEOUT_MS, err, errlen);
	if (lc->c == NULL)
		return -1;
	conn_set_trace(lc->c, "lmtp", log_enabled(LOG_LEVEL_TRACE));
	if (lmtp_reply(lc, &r) != 220) {
		snprintf(err, errlen, "lmtp %s: greeting: %s", lc->path,
		    r.text);
		return -1;
	}
	if (lmtp_command(lc, &r, "LHLO mailsift") != 250) {
		snprintf(err, errlen, "lmtp %s: LHLO: %s", lc->path, r.text);
		return -1;
	}
	return 0;
}

static int
lmtp_prepare(struct target_group *g, char *err, size_t errlen)
{
	struct lmtp_conn	*v;
	size_t			 i, j, n = 0;

	if ((v = calloc(g->n, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory connecting to LMTP");
		return -1;
	}
	g->held = v;
	for (i = 0; i < g->n; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(v[j].path, g->v[i]->in.path) == 0)
				break;
		if (j < n)
			continue;
		v[n].path = g->v[i]->in.path;
		v[n].addr = g->v[i]->dv->priv;
		g->nheld = ++n;
		if (lmtp_connect(&v[n - 1], err, errlen) == -1)
			return -1;
	}
	return 0;
}

static void
lmtp_flush(struct target_group *g, struct target_report *r)
{
	(void)g;
	(void)r;
}

/* The envelope sender: Return-Path if it is one plain address. */
static void
lmtp_sender(const struct staged *s, char *out, size_t outlen)
{
	char	 rp[LMTP_RCPT_MAX], *p = rp, *end;

	delivery_header(s->entry, (size_t)s->in.length, "Return-Path", rp,
	    sizeof(rp));
	if (*p == '<' && (end = strchr(p, '>')) != NULL) {
		p++;
		*end = '\0';
	}
	snprintf(out, outlen, "%s", lmtp_safe(p) ? p : "");
}

static void
lmtp_refused(struct target_report *r, struct lmtp_conn *lc,
    const struct staged *s, const char *step, const struct lmtp_reply *rp)
{
	char	 e[1024];

	snprintf(e, sizeof(e), "lmtp %s: %s refused %s UID %u%s%s: %d %s%s",
	    lc->path, step, s->in.account, s->in.uid,
	    s->in.uidl != NULL ? " UIDL " : "",
	    s->in.uidl != NULL ? s->in.uidl : "", rp->code, rp->text,
	    rp->code >= 500 ? " (permanent; the message stays on the "
	    "server)" : " (temporary; tried again next round)");
	target_report_error(r, e);
}

/* One transaction: the message's new state. */
static enum staged_state
lmtp_send(struct lmtp_conn *lc, struct staged *s, struct target_report *r)
{
	struct lmtp_reply	 rp;
	char			 cmd[LMTP_RCPT_MAX + 32], who[LMTP_RCPT_MAX];
	const char		*rcpt = lc->addr->rcpt;
	char			 e[1024];

	if (*rcpt == '\0')
		rcpt = s->in.account;
	lmtp_sender(s, who, sizeof(who));
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>", who);
	if (lmtp_command(lc, &rp, cmd) != 250)
		goto refused_mail;
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>", rcpt);
	if (lmtp_command(lc, &rp, cmd) != 250)
		goto refused_rcpt;
	if (lmtp_command(lc, &rp, "DATA") != 354)
		goto refused_data;
	if (conn_write(lc->c, s->entry, (size_t)s->in.length) == -1 ||
	    conn_flush(lc->c) == -1) {
		/* it may have gone whole before the failure */
		lc->broken = 1;
		snprintf(e, sizeof(e), "lmtp %s: sending: %s", lc->path,
		    conn_error(lc->c));
		target_report_error(r, e);
		return STAGED_DOUBT;
	}
	/* one reply per recipient accepted: one here */
	if (lmtp_reply(lc, &rp) == 250)
		return STAGED_VISIBLE;
	if (lc->broken) {
		snprintf(e, sizeof(e), "lmtp %s: no reply after the message: "
		    "%s", lc->path, rp.text);
		target_report_error(r, e);
		return STAGED_DOUBT;
	}
	lmtp_refused(r, lc, s, "the end of data", &rp);
	return STAGED_UNDONE;
refused_data:
	if (!lc->broken) {
		lmtp_refused(r, lc, s, "DATA", &rp);
		goto rset;
	}
	goto lost;
refused_rcpt:
	if (!lc->broken) {
		lmtp_refused(r, lc, s, "RCPT", &rp);
		goto rset;
	}
	goto lost;
refused_mail:
	if (!lc->broken) {
		lmtp_refused(r, lc, s, "MAIL", &rp);
		goto rset;
	}
lost:
	snprintf(e, sizeof(e), "lmtp %s: %s", lc->path, rp.text);
	target_report_error(r, e);
	return STAGED_UNDONE;
rset:
	if (lmtp_command(lc, &rp, "RSET") != 250)
		lc->broken = 1;
	return STAGED_UNDONE;
}

static void
lmtp_publish(struct target_group *g, struct target_report *r)
{
	struct lmtp_conn	*v = g->held;
	struct staged		*s;
	size_t			 i, j, sent = 0;

	for (i = 0; i < g->n; i++) {
		s = g->v[i];
		if (s->state != STAGED_JOURNALED)
			continue;
		for (j = 0; j < g->nheld; j++)
			if (strcmp(v[j].path, s->in.path) == 0)
				break;
		if (j == g->nheld || v[j].broken || r->failed) {
			/* nothing of it was sent */
			s->state = STAGED_UNDONE;
			continue;
		}
		s->state = lmtp_send(&v[j], s, r);
		if (s->state == STAGED_VISIBLE)
			delivery_hook("lmtp-sent", ++sent);
	}
}

static void
lmtp_release(struct target_group *g)
{
	struct lmtp_conn	*v = g->held;
	struct lmtp_reply	 rp;
	size_t			 i;

	for (i = 0; i < g->nheld; i++) {
		if (v[i].c == NULL)
			continue;
		if (!v[i].broken)
			(void)lmtp_command(&v[i], &rp, "QUIT");
		conn_close(v[i].c);
	}
	free(v);
	g->held = NULL;
	g->nheld = 0;
}

/* No lookup exists: each message comes again (at least once). */
static void
lmtp_settle(const struct config *cfg, const struct state_intent *v,
    size_t n, struct target_settle *st)
{
	size_t	 i;

	(void)cfg;
	for (i = 0; i < n; i++) {
		log_warn("recovery: lmtp %s: %s may have been delivered before "
		    "the crash; it is delivered again (at least once)",
		    v[i].path, v[i].name);
		target_settle_undo(st, v[i].id);
	}
}

const struct target target_lmtp = {
	.name = "lmtp",
	.kind = STATE_LMTP,
	.keeps_bytes = 1,
	.open = lmtp_open,
	.close = lmtp_close,
	.stage = lmtp_stage,
	.unstage = lmtp_unstage,
	.prepare = lmtp_prepare,
	.flush = lmtp_flush,
	.publish = lmtp_publish,
	.release = lmtp_release,
	.settle = lmtp_settle,
};

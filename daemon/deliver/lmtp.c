/* SPDX-License-Identifier: ISC */
/*
 * lmtp.c - delivery over LMTP (RFC 2033) to a local MDA (Dovecot, Cyrus):
 * the lmtp target, "lmtp:/path/to/socket" or "lmtp:host:port".
 *
 * THE RECIPIENT, the first there of: a "RECIPIENT@" before the address
 * in the target string (the last '@' ends it: "lmtp:jo@example.org@/run/
 * dovecot/lmtp"; a shortcut for rules); the account's `recipient`
 * option (dv->ctx->acct), a one-line template (rules/line.h: "{account}",
 * "{to.address}" ...) expanded per message; the account's name.  What it
 * gives is checked before it goes on the wire: a space, a control
 * character (CR, LF), '<' or '>' makes the message refused (permanent,
 * reported, never sent), so a hostile To: cannot add an SMTP command;
 * 8-bit bytes need SMTPUTF8.
 *
 * A network target (target.h): stage keeps the message in memory
 * (struct lmtp_msg in s->entry: the envelope and the bytes, each line
 * ended by CRLF, an "X-Mailsift-Id: KEY" field on top, where KEY is
 * s->in.name, the same on every retry, so a receiver can count or drop
 * duplicates); prepare connects, says LHLO, STARTTLS and LHLO again
 * (TCP only, lmtp-tls: auto = required unless the host is a loopback
 * address, verified against the system CA store or lmtp-tls-ca-file;
 * a unix socket never), so a server that is down costs no intent;
 * publish runs one transaction per message (MAIL, RCPT, DATA or BDAT):
 *  - PIPELINING and CHUNKING offered (Dovecot): RSET (after the first),
 *    MAIL, RCPT and "BDAT n LAST" with the bytes, message after message,
 *    without waiting, in a sliding window: once LMTP_WINDOW (8)
 *    transactions are unanswered, the oldest one's replies are read
 *    before the next is sent.  So at most 32 replies wait unread: a
 *    server that stops reading while its replies are not read (Dovecot
 *    does, at about 60) never waits on us while we wait on it, and a
 *    server that stops for any other reason fails the batch once the
 *    connection's timeouts and deadlines (conn.h) run out: messages
 *    whose bytes went are DOUBT, the others UNDONE.
 *  - PIPELINING without CHUNKING (Cyrus): one flush per message: the
 *    previous message's data and its end, then RSET, MAIL, RCPT, DATA
 *    (RFC 2920: DATA ends a group); one round trip per message.
 *  - neither: one command at a time, RSET after a refusal.
 *  - 8BITMIME: BODY=8BITMIME on MAIL for a message with 8-bit bytes.
 *    SMTPUTF8: on MAIL when the recipient or sender is not ASCII; not
 *    offered: a UTF-8 recipient is refused (permanent, reported), a
 *    UTF-8 sender becomes <> (the envelope sender decides nothing in
 *    LMTP).
 * The recipient's reply after the data is the outcome: 250 is VISIBLE;
 * 4xx (temporary: stays on the server for the next round) and 5xx (a
 * permanent refusal) are UNDONE with the error in the report; with
 * lmtp-reject = skip a 5xx is marked refused (s->refused) so that the
 * caller records it as skipped: reported, never fetched again, never
 * deleted on the server.  A connection lost after a message's bytes
 * went out and before its reply is DOUBT.  release says QUIT.
 *
 * GUARANTEE: at least once.  LMTP has no way to look a message up, so
 * recovery (settle) takes every intent left by a crash as not delivered
 * and the message is fetched and delivered again, with the same
 * X-Mailsift-Id.  The window: from the server's 250 for a message to the
 * record commit of its batch (one state transaction, after the batch's
 * last reply); a crash in it delivers the batch's acknowledged messages
 * again (up to a batch: 64).  tests/integration/test_lmtp_crash.py
 * counts them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/conf/config.h"
#include "daemon/deliver/deliver.h"	/* struct delivery_ctx */
#include "daemon/deliver/target.h"
#include "daemon/deliver/target-util.h"
#include "daemon/net/conn.h"
#include "daemon/util/log.h"
#include "rules/line.h"

#define LMTP_LINE_MAX		4096
#define LMTP_RCPT_MAX		256
#define LMTP_TIMEOUT_MS		60000
/* Transactions sent and not yet answered (four replies each).  Dovecot
 * stops reading once about 60 of its replies wait unread (its socket
 * send buffer holds them), and we would then block sending: 8 keeps
 * the replies waiting at 32 at most. */
#define LMTP_WINDOW		8

/* Capabilities from LHLO. */
#define CAP_PIPELINING		0x01
#define CAP_CHUNKING		0x02
#define CAP_8BITMIME		0x04
#define CAP_SMTPUTF8		0x08
#define CAP_STARTTLS		0x10

/* What open took from the target string and the account (dv->priv). */
struct lmtp_dest {
	char			 host[256];	/* a socket path, or a host */
	char			 port[16];	/* "" for a socket */
	char			 rcpt[LMTP_RCPT_MAX]; /* "": see below */
	struct rule_line	*tpl;		/* recipient; NULL: the name */
	int			 tls;		/* enum lmtp_tls */
	const char		*ca_file;	/* the account's, or NULL */
	int			 reject;	/* enum lmtp_reject */
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

/* The reply just read. */
struct lmtp_reply {
	int	 code;
	char	 text[512];
};

/* Where a pipelined message stands. */
struct lmtp_flight {
	struct staged	*s;
	int		 rset;	/* an RSET went before its MAIL */
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
lmtp_ascii(const char *p)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return 0;
	return 1;
}

static int
lmtp_parse(const char *arg, struct lmtp_dest *a, char *err, size_t errlen)
{
	const char	*at, *addr = arg, *colon;
	size_t		 n;

	if ((at = strrchr(arg, '@')) != NULL) {
		n = (size_t)(at - arg);
		if (n == 0 || n >= sizeof(a->rcpt))
			goto bad;
		memcpy(a->rcpt, arg, n);
		a->rcpt[n] = '\0';
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
	const struct account	*acct;
	struct lmtp_dest	*a;
	char			 e[512];

	if (folder != NULL) {
		/* the server files the message (Sieve); never drop the
		 * folder a rule asked for without saying so */
		snprintf(err, errlen, "lmtp %s: cannot deliver into folder "
		    "%s: the LMTP server decides the folder (Sieve)",
		    dv->path, folder);
		return -1;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "lmtp %s: out of memory", dv->path);
		return -1;
	}
	if (lmtp_parse(dv->path, a, err, errlen) == -1) {
		free(a);
		return -1;
	}
	acct = dv->ctx != NULL ? dv->ctx->acct : NULL;
	if (acct != NULL) {
		a->tls = acct->lmtp_tls;
		a->ca_file = acct->lmtp_tls_ca_file;
		a->reject = acct->lmtp_reject;
		if (acct->recipient != NULL && a->rcpt[0] == '\0' &&
		    (a->tpl = rule_line_parse(acct->recipient, e,
		    sizeof(e))) == NULL) {
			snprintf(err, errlen, "lmtp %s: recipient \"%s\": %s",
			    dv->path, acct->recipient, e);
			free(a);
			return -1;
		}
	}
	dv->priv = a;
	return 0;
}

static void
lmtp_close(struct delivery *dv)
{
	struct lmtp_dest	*a = dv->priv;

	if (a != NULL)
		rule_line_free(a->tpl);
	free(a);
	dv->priv = NULL;
}

/* The recipient of s (see the top); m->bad says why it is unusable. */
static int
lmtp_recipient(const struct delivery *dv, const struct staged *s,
    const char *data, size_t len, struct lmtp_msg *m)
{
	const struct lmtp_dest	*a = dv->priv;
	int			 rc;

	if (a->rcpt[0] != '\0')
		snprintf(m->rcpt, sizeof(m->rcpt), "%s", a->rcpt);
	else if (a->tpl == NULL)
		snprintf(m->rcpt, sizeof(m->rcpt), "%s", s->in.account);
	else {
		rc = rule_line_expand(a->tpl, data, len, s->in.account,
		    s->in.folder, m->rcpt, sizeof(m->rcpt));
		if (rc == -1)
			return -1;
		if (rc == 1) {
			snprintf(m->bad, sizeof(m->bad), "longer than %d "
			    "bytes", LMTP_RCPT_MAX - 1);
			m->rcpt[0] = '\0';
			return 0;
		}
	}
	if (m->rcpt[0] == '\0')
		snprintf(m->bad, sizeof(m->bad), "empty");
	else if (!lmtp_safe(m->rcpt))
		snprintf(m->bad, sizeof(m->bad), "holds a space, a control "
		    "character, '<' or '>'");
	return 0;
}

/* The envelope sender: Return-Path if it is one plain address. */
static void
lmtp_sender(const char *data, size_t len, char *out, size_t outlen)
{
	char	 rp[LMTP_RCPT_MAX], *p = rp, *end;

	delivery_header(data, len, "Return-Path", rp, sizeof(rp));
	if (*p == '<' && (end = strchr(p, '>')) != NULL) {
		p++;
		*end = '\0';
	}
	snprintf(out, outlen, "%s", lmtp_safe(p) ? p : "");
}

/* The key in a header field: printable, one line. */
static size_t
lmtp_idfield(char *out, size_t outlen, const char *key)
{
	size_t	 n, i;

	n = (size_t)snprintf(out, outlen, "X-Mailsift-Id: ");
	for (i = 0; key[i] != '\0' && n + 3 < outlen; i++)
		out[n++] = (unsigned char)key[i] < ' ' || key[i] == 0x7f ?
		    '?' : key[i];
	out[n++] = '\r';
	out[n++] = '\n';
	out[n] = '\0';
	return n;
}

/* The data: each line ends CRLF (an LF alone becomes CRLF, a CR alone
 * is kept), a last line without its end gets one.  Dot-stuffing is for
 * DATA only (lmtp_write_data). */
static size_t
lmtp_crlf(char *out, const char *data, size_t len)
{
	const char	*p = data, *end = data + len, *nl;
	size_t		 n, o = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (nl != NULL && n > 0 && p[n - 1] == '\r')
			n--;
		memcpy(out + o, p, n);
		o += n;
		out[o++] = '\r';
		out[o++] = '\n';
		p = nl != NULL ? nl + 1 : end;
	}
	return o;
}

static int
lmtp_stage(struct delivery *dv, struct staged *s, const char *data,
    size_t len, int flags, char *err, size_t errlen)
{
	struct lmtp_msg	*m;
	char		 key[1024], field[1100];
	size_t		 nf, i, lines = 1;

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
	nf = lmtp_idfield(field, sizeof(field), key);
	for (i = 0; i < len; i++)
		lines += data[i] == '\n';
	if ((m = calloc(1, sizeof(*m) + nf + len + lines + 2)) == NULL ||
	    (s->in.name = strdup(key)) == NULL ||
	    lmtp_recipient(dv, s, data, len, m) == -1) {
		snprintf(err, errlen, "lmtp %s: out of memory for a message "
		    "of %zu bytes", dv->path, len);
		free(m);
		errno = ENOMEM;
		return -1;
	}
	lmtp_sender(data, len, m->from, sizeof(m->from));
	/* the key too: a folder's name may be UTF-8 */
	m->eightbit = !lmtp_ascii(field);
	for (i = 0; i < len && !m->eightbit; i++)
		m->eightbit = (unsigned char)data[i] >= 0x80;
	memcpy(m->data, field, nf);
	s->entry = (char *)m;
	s->in.length = nf + lmtp_crlf(m->data + nf, data, len);
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

static void
lmtp_caps(struct lmtp_conn *lc, const char *p, size_t len)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} v[] = {
		{ "PIPELINING", CAP_PIPELINING }, { "CHUNKING", CAP_CHUNKING },
		{ "8BITMIME", CAP_8BITMIME }, { "SMTPUTF8", CAP_SMTPUTF8 },
		{ "STARTTLS", CAP_STARTTLS },
	};
	size_t	 i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = strlen(v[i].name);
		if (len >= n && strncasecmp(p, v[i].name, n) == 0 &&
		    (len == n || p[n] == ' '))
			lc->caps |= v[i].bit;
	}
}

/* One whole reply (continuation lines "250-"); the code or -1. */
static int
lmtp_reply(struct lmtp_conn *lc, struct lmtp_reply *r)
{
	const char	*line;
	size_t		 len, i;

	r->code = -1;
	for (;;) {
		if (conn_read_line(lc->c, &line, &len, LMTP_LINE_MAX) == -1) {
			lc->broken = 1;
			snprintf(r->text, sizeof(r->text), "%s",
			    conn_error(lc->c));
			return r->code = -1;
		}
		if (len < 3 || line[0] < '2' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '9' || line[2] < '0' ||
		    line[2] > '9' || (len > 3 && line[3] != ' ' &&
		    line[3] != '-')) {
			lc->broken = 1;
			snprintf(r->text, sizeof(r->text), "not an LMTP reply");
			return r->code = -1;
		}
		r->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		/* the text, printable and bounded, for messages */
		for (i = 0; i + 4 < len && i + 1 < sizeof(r->text); i++)
			r->text[i] = (unsigned char)line[i + 4] < ' ' ||
			    line[i + 4] == 0x7f ? '?' : line[i + 4];
		r->text[i] = '\0';
		if (lc->lhlo && len > 4)
			lmtp_caps(lc, line + 4, len - 4);
		if (len == 3 || line[3] == ' ')
			return r->code;
	}
}

static int
lmtp_broke(struct lmtp_conn *lc, struct lmtp_reply *r)
{
	lc->broken = 1;
	r->code = -1;
	snprintf(r->text, sizeof(r->text), "%s", conn_error(lc->c));
	return -1;
}

static int
lmtp_command(struct lmtp_conn *lc, struct lmtp_reply *r, const char *cmd)
{
	if (conn_printf(lc->c, "%s\r\n", cmd) == -1 ||
	    conn_flush(lc->c) == -1)
		return lmtp_broke(lc, r);
	return lmtp_reply(lc, r);
}

static int
lmtp_lhlo(struct lmtp_conn *lc, struct lmtp_reply *r)
{
	int	 code;

	lc->caps = 0;
	lc->lhlo = 1;
	code = lmtp_command(lc, r, "LHLO mailsift");
	lc->lhlo = 0;
	return code;
}

static int
lmtp_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	    strcmp(host, "[::1]") == 0 || strncmp(host, "127.", 4) == 0;
}

/* STARTTLS where lmtp-tls asks for it (see the top). */
static int
lmtp_tls(struct lmtp_conn *lc, char *err, size_t errlen)
{
	const struct lmtp_dest	*a = lc->dest;
	struct tls_opts		 o;
	struct lmtp_reply	 r;

	if (a->port[0] == '\0' || a->tls == LMTP_TLS_NO ||
	    (a->tls == LMTP_TLS_AUTO && lmtp_loopback(a->host)))
		return 0;
	if (!(lc->caps & CAP_STARTTLS)) {
		snprintf(err, errlen, "lmtp %s: the server does not offer "
		    "STARTTLS; set lmtp-tls = no to send in clear text",
		    lc->path);
		return -1;
	}
	if (lmtp_command(lc, &r, "STARTTLS") != 220) {
		snprintf(err, errlen, "lmtp %s: STARTTLS: %d %s", lc->path,
		    r.code, r.text);
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.verify = 1;
	o.ca_file = a->ca_file;
	if (conn_starttls(lc->c, &o) == -1) {
		lc->broken = 1;
		snprintf(err, errlen, "lmtp %s: TLS: %s (lmtp-tls-ca-file "
		    "names the CA to trust)", lc->path, conn_error(lc->c));
		return -1;
	}
	if (lmtp_lhlo(lc, &r) != 250) {
		snprintf(err, errlen, "lmtp %s: LHLO after STARTTLS: %s",
		    lc->path, r.text);
		return -1;
	}
	return 0;
}

/* Connect, read the greeting, LHLO, STARTTLS. */
static int
lmtp_connect(struct lmtp_conn *lc, char *err, size_t errlen)
{
	struct lmtp_reply	 r;

	lc->c = conn_open(lc->dest->host, lc->dest->port[0] != '\0' ?
	    lc->dest->port : "0", LMTP_TIMEOUT_MS, err, errlen);
	if (lc->c == NULL)
		return -1;
	conn_set_trace(lc->c, "lmtp", log_enabled(LOG_LEVEL_TRACE));
	if (lmtp_reply(lc, &r) != 220) {
		snprintf(err, errlen, "lmtp %s: greeting: %s", lc->path,
		    r.text);
		return -1;
	}
	if (lmtp_lhlo(lc, &r) != 250) {
		snprintf(err, errlen, "lmtp %s: LHLO: %s", lc->path, r.text);
		return -1;
	}
	return lmtp_tls(lc, err, errlen);
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
		v[n].dest = g->v[i]->dv->priv;
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

static void
lmtp_refused(struct target_report *r, struct lmtp_conn *lc,
    struct staged *s, const char *step, const struct lmtp_reply *rp)
{
	char	 e[1024];
	int	 skip;

	skip = rp->code >= 500 && lc->dest->reject == LMTP_REJECT_SKIP;
	snprintf(e, sizeof(e), "lmtp %s: %s refused %s UID %u%s%s: %d %s%s",
	    lc->path, step, s->in.account, s->in.uid,
	    s->in.uidl != NULL ? " UIDL " : "",
	    s->in.uidl != NULL ? s->in.uidl : "", rp->code, rp->text,
	    rp->code < 500 ? " (temporary; tried again next round)" : skip ?
	    " (permanent; recorded as refused, not fetched again, kept on "
	    "the server)" : " (permanent; the message stays on the server; "
	    "lmtp-reject = skip records it and goes on)");
	if (skip) {
		s->refused = 1;
		log_error("%s", e);
		return;
	}
	target_report_error(r, e);
}

/* Refuse s before anything of it is sent: its envelope cannot go. */
static int
lmtp_check(struct lmtp_conn *lc, struct staged *s, struct target_report *r)
{
	struct lmtp_msg		*m = (struct lmtp_msg *)s->entry;
	struct lmtp_reply	 rp;

	rp.code = 553;
	if (m->bad[0] != '\0')
		snprintf(rp.text, sizeof(rp.text), "(mailsift) the recipient "
		    "%s", m->bad);
	else if (!lmtp_ascii(m->rcpt) && !(lc->caps & CAP_SMTPUTF8))
		snprintf(rp.text, sizeof(rp.text), "(mailsift) the recipient "
		    "%s is not ASCII and the server does not offer SMTPUTF8",
		    m->rcpt);
	else
		return 0;
	lmtp_refused(r, lc, s, "RCPT", &rp);
	s->state = STAGED_UNDONE;
	return -1;
}

static int
lmtp_write_mail(struct lmtp_conn *lc, const struct staged *s)
{
	const struct lmtp_msg	*m = (const struct lmtp_msg *)s->entry;
	const char		*from = m->from;
	int			 utf8;

	utf8 = !lmtp_ascii(m->rcpt) || !lmtp_ascii(from);
	if (utf8 && !(lc->caps & CAP_SMTPUTF8)) {
		/* lmtp_check() let only the sender through */
		log_info("lmtp %s: sender %s is not ASCII and the server does "
		    "not offer SMTPUTF8: sent as <>", lc->path, from);
		from = "";
		utf8 = 0;
	}
	return conn_printf(lc->c, "MAIL FROM:<%s>%s%s\r\n", from,
	    m->eightbit && (lc->caps & CAP_8BITMIME) ? " BODY=8BITMIME" : "",
	    utf8 ? " SMTPUTF8" : "");
}

/* The data with dot-stuffing and the final dot (RFC 5321 4.5.2). */
static int
lmtp_write_data(struct lmtp_conn *lc, const struct staged *s)
{
	const struct lmtp_msg	*m = (const struct lmtp_msg *)s->entry;
	const char		*p = m->data, *end = p + s->in.length, *nl;
	size_t			 n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if ((p[0] == '.' && conn_write(lc->c, ".", 1) == -1) ||
		    conn_write(lc->c, p, n) == -1)
			return -1;
		p += n;
	}
	return conn_write(lc->c, ".\r\n", 3);
}

/* The reply after the data: the message's new state. */
static enum staged_state
lmtp_outcome(struct lmtp_conn *lc, struct staged *s, struct target_report *r)
{
	struct lmtp_reply	 rp;
	char			 e[1024];

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
}

/* Without PIPELINING: one transaction, command after command. */
static enum staged_state
lmtp_send(struct lmtp_conn *lc, struct staged *s, struct target_report *r)
{
	struct lmtp_msg		*m = (struct lmtp_msg *)s->entry;
	struct lmtp_reply	 rp;
	char			 cmd[LMTP_RCPT_MAX + 32], e[1024];
	const char		*step;

	step = "MAIL";
	if (lmtp_write_mail(lc, s) == -1 || conn_flush(lc->c) == -1)
		(void)lmtp_broke(lc, &rp);
	else if (lmtp_reply(lc, &rp) == 250) {
		step = "RCPT";
		snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>", m->rcpt);
		if (lmtp_command(lc, &rp, cmd) == 250) {
			step = "DATA";
			if (lmtp_command(lc, &rp, "DATA") == 354)
				goto data;
		}
	}
	if (lc->broken) {
		snprintf(e, sizeof(e), "lmtp %s: %s", lc->path, rp.text);
		target_report_error(r, e);
		return STAGED_UNDONE;
	}
	lmtp_refused(r, lc, s, step, &rp);
	if (lmtp_command(lc, &rp, "RSET") != 250)
		lc->broken = 1;
	return STAGED_UNDONE;
data:
	if (lmtp_write_data(lc, s) == -1 || conn_flush(lc->c) == -1) {
		/* it may have gone whole before the failure */
		lc->broken = 1;
		snprintf(e, sizeof(e), "lmtp %s: sending: %s", lc->path,
		    conn_error(lc->c));
		target_report_error(r, e);
		return STAGED_DOUBT;
	}
	return lmtp_outcome(lc, s, r);
}

/* Queue [RSET] MAIL RCPT (and BDAT with the bytes); 0 or -1. */
static int
lmtp_queue(struct lmtp_conn *lc, struct lmtp_flight *f, int bdat)
{
	const struct lmtp_msg	*m = (const struct lmtp_msg *)f->s->entry;

	f->rset = lc->used;
	lc->used = 1;
	if ((f->rset && conn_printf(lc->c, "RSET\r\n") == -1) ||
	    lmtp_write_mail(lc, f->s) == -1 ||
	    conn_printf(lc->c, "RCPT TO:<%s>\r\n", m->rcpt) == -1)
		return -1;
	if (!bdat)
		return conn_printf(lc->c, "DATA\r\n");
	if (conn_printf(lc->c, "BDAT %llu LAST\r\n",
	    (unsigned long long)f->s->in.length) == -1 ||
	    conn_write(lc->c, m->data, (size_t)f->s->in.length) == -1)
		return -1;
	return 0;
}

/* The replies to [RSET] MAIL RCPT: 0, or -1 with the message done
 * (refused: UNDONE, and the reply to DATA or BDAT still to read). */
static int
lmtp_envelope(struct lmtp_conn *lc, struct lmtp_flight *f,
    struct target_report *r, struct lmtp_reply *rp, const char **step)
{
	int	 mail, rcpt;

	if (f->rset && lmtp_reply(lc, rp) != 250 && lc->broken)
		return -1;
	*step = "MAIL";
	if ((mail = lmtp_reply(lc, rp)) == -1)
		return -1;
	if (mail == 250)
		*step = "RCPT";
	if ((rcpt = lmtp_reply(lc, rp)) == -1)
		return -1;
	if (mail == 250 && (rcpt == 250 || rcpt == 251))
		return 0;
	lmtp_refused(r, lc, f->s, *step, rp);
	f->s->state = STAGED_UNDONE;
	return -1;
}

/* Read the replies of a message sent with BDAT: its state. */
static void
lmtp_collect(struct lmtp_conn *lc, struct lmtp_flight *f,
    struct target_report *r)
{
	struct lmtp_reply	 rp;
	const char		*step = "MAIL";
	char			 e[1024];

	if (lmtp_envelope(lc, f, r, &rp, &step) == 0) {
		f->s->state = lmtp_outcome(lc, f->s, r);
		return;
	}
	if (f->s->state == STAGED_UNDONE) {
		/* the reply to BDAT, a refusal too */
		(void)lmtp_reply(lc, &rp);
		return;
	}
	snprintf(e, sizeof(e), "lmtp %s: no reply after the message: %s",
	    lc->path, rp.text);
	target_report_error(r, e);
	f->s->state = STAGED_DOUBT;
}

/* A connection lost with messages in flight: their bytes may have
 * arrived whole. */
static void
lmtp_lost(struct lmtp_conn *lc, struct lmtp_flight *v, size_t n,
    struct target_report *r)
{
	char	 e[1024];
	size_t	 i;

	for (i = 0; i < n; i++)
		v[i].s->state = STAGED_DOUBT;
	if (n == 0)
		return;
	snprintf(e, sizeof(e), "lmtp %s: connection lost with %zu "
	    "message(s) sent and not answered: %s", lc->path, n,
	    conn_error(lc->c));
	target_report_error(r, e);
}

/* Send what is queued, then read the replies of the oldest
 * transaction in flight: the others keep the server busy meanwhile. */
static void
lmtp_settle_one(struct lmtp_conn *lc, struct lmtp_flight *fl, size_t *head,
    size_t *nfl, struct target_report *r, size_t *sent)
{
	struct lmtp_flight	*f = &fl[*head % LMTP_WINDOW];

	if (conn_flush(lc->c) == -1)
		lc->broken = 1;
	if (!lc->broken) {
		lmtp_collect(lc, f, r);
		if (f->s->state == STAGED_VISIBLE)
			delivery_hook("lmtp-sent", ++*sent);
	} else
		lmtp_lost(lc, f, 1, r);
	(*head)++;
	(*nfl)--;
}

/* PIPELINING and CHUNKING: message after message, a sliding window of
 * LMTP_WINDOW transactions unanswered. */
static void
lmtp_send_bdat(struct lmtp_conn *lc, struct staged **v, size_t n,
    struct target_report *r, size_t *sent)
{
	struct lmtp_flight	 fl[LMTP_WINDOW], *f;
	size_t			 i, head = 0, nfl = 0;

	for (i = 0; i < n; i++) {
		if (nfl == LMTP_WINDOW)
			lmtp_settle_one(lc, fl, &head, &nfl, r, sent);
		if (lc->broken) {
			v[i]->state = STAGED_UNDONE;
			continue;
		}
		if (lmtp_check(lc, v[i], r) == -1)
			continue;
		f = &fl[(head + nfl) % LMTP_WINDOW];
		f->s = v[i];
		nfl++;
		if (lmtp_queue(lc, f, 1) == -1)
			lc->broken = 1;	/* its bytes may have gone */
	}
	while (nfl > 0)
		lmtp_settle_one(lc, fl, &head, &nfl, r, sent);
}

/* PIPELINING without CHUNKING: the replies to [RSET] MAIL RCPT DATA,
 * then the data (sent with the next message's commands); 1 if the data
 * went, 0 if not (the message is UNDONE). */
static int
lmtp_data_group(struct lmtp_conn *lc, struct lmtp_flight *f,
    struct target_report *r)
{
	struct lmtp_reply	 rp;
	const char		*step = "MAIL";
	char			 e[1024];
	int			 env;

	env = lmtp_envelope(lc, f, r, &rp, &step);
	if (lc->broken || lmtp_reply(lc, &rp) == -1) {
		/* no 354 was read: no byte of the data went */
		snprintf(e, sizeof(e), "lmtp %s: %s", lc->path, rp.text);
		target_report_error(r, e);
		f->s->state = STAGED_UNDONE;
		return 0;
	}
	if (env == 0 && rp.code == 354) {
		if (lmtp_write_data(lc, f->s) == -1) {
			lc->broken = 1;
			lmtp_lost(lc, f, 1, r);
			return 0;
		}
		return 1;
	}
	if (env == 0)
		lmtp_refused(r, lc, f->s, "DATA", &rp);
	f->s->state = STAGED_UNDONE;
	if (rp.code == 354 && (conn_write(lc->c, ".\r\n", 3) == -1 ||
	    conn_flush(lc->c) == -1 || lmtp_reply(lc, &rp) == -1))
		lc->broken = 1;		/* refused, and nothing to end */
	return 0;
}

static void
lmtp_send_data(struct lmtp_conn *lc, struct staged **v, size_t n,
    struct target_report *r, size_t *sent)
{
	struct lmtp_flight	 f, prev;
	size_t			 i;
	int			 have_prev = 0, have_cur;

	for (i = 0; i <= n; i++) {
		have_cur = 0;
		if (i < n) {
			if (lc->broken) {
				v[i]->state = STAGED_UNDONE;
				continue;
			}
			if (lmtp_check(lc, v[i], r) == -1 && !have_prev)
				continue;
			have_cur = v[i]->state != STAGED_UNDONE;
			f.s = v[i];
			if (have_cur && lmtp_queue(lc, &f, 0) == -1) {
				lc->broken = 1;
				v[i]->state = STAGED_UNDONE;
				have_cur = 0;
			}
		}
		if (!lc->broken && conn_flush(lc->c) == -1)
			lc->broken = 1;
		if (have_prev) {
			prev.s->state = lc->broken ? STAGED_DOUBT :
			    lmtp_outcome(lc, prev.s, r);
			if (prev.s->state == STAGED_VISIBLE)
				delivery_hook("lmtp-sent", ++*sent);
			else if (lc->broken && prev.s->state == STAGED_DOUBT)
				lmtp_lost(lc, &prev, 1, r);
			have_prev = 0;
		}
		if (!have_cur)
			continue;
		if (lc->broken) {
			v[i]->state = STAGED_UNDONE;
			continue;
		}
		if (lmtp_data_group(lc, &f, r)) {
			prev = f;
			have_prev = 1;
		}
	}
}

static void
lmtp_publish(struct target_group *g, struct target_report *r)
{
	struct lmtp_conn	*v = g->held;
	struct staged		**mine, *s;
	size_t			 i, j, n, sent = 0;

	if ((mine = calloc(g->n, sizeof(*mine))) == NULL) {
		for (i = 0; i < g->n; i++)
			if (g->v[i]->state == STAGED_JOURNALED)
				g->v[i]->state = STAGED_UNDONE;
		target_report_error(r, "lmtp: out of memory");
		return;
	}
	for (j = 0; j < g->nheld; j++) {
		for (n = 0, i = 0; i < g->n; i++) {
			s = g->v[i];
			if (s->state != STAGED_JOURNALED ||
			    strcmp(v[j].path, s->in.path) != 0)
				continue;
			if (v[j].broken || r->failed)
				s->state = STAGED_UNDONE; /* nothing sent */
			else
				mine[n++] = s;
		}
		if ((v[j].caps & (CAP_PIPELINING | CAP_CHUNKING)) ==
		    (CAP_PIPELINING | CAP_CHUNKING))
			lmtp_send_bdat(&v[j], mine, n, r, &sent);
		else if (v[j].caps & CAP_PIPELINING)
			lmtp_send_data(&v[j], mine, n, r, &sent);
		else
			for (i = 0; i < n; i++) {
				if (v[j].broken)
					mine[i]->state = STAGED_UNDONE;
				else if (lmtp_check(&v[j], mine[i], r) == 0)
					mine[i]->state = lmtp_send(&v[j],
					    mine[i], r);
				if (mine[i]->state == STAGED_VISIBLE)
					delivery_hook("lmtp-sent", ++sent);
			}
	}
	/* an address without a connection: nothing was sent */
	for (i = 0; i < g->n; i++)
		if (g->v[i]->state == STAGED_JOURNALED)
			g->v[i]->state = STAGED_UNDONE;
	free(mine);
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

/* SPDX-License-Identifier: ISC */
/*
 * lmtp-send.c - the lmtp target's dialogue with the server (lmtp-send.h):
 * greeting, LHLO and its capabilities, STARTTLS, and the transactions -
 * pipelined with BDAT, pipelined with DATA, or one command at a time -
 * with each message's state from its replies.  lmtp.c's header states
 * what each capability changes and the window.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/conf/config.h"
#include "daemon/deliver/lmtp-send.h"
#include "daemon/deliver/target.h"
#include "daemon/deliver/target-util.h"
#include "daemon/net/conn.h"
#include "daemon/util/log.h"

#define LMTP_LINE_MAX		4096
#define LMTP_TIMEOUT_MS		60000
/* Transactions sent and not yet answered (four replies each).  Dovecot
 * stops reading once about 60 of its replies wait unread (its socket
 * send buffer holds them), and we would then block sending: 8 keeps
 * the replies waiting at 32 at most. */
#define LMTP_WINDOW		8

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

int
lmtp_ascii(const char *p)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return 0;
	return 1;
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
int
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
lmtp_answer_oldest(struct lmtp_conn *lc, struct lmtp_flight *fl, size_t *head,
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
			lmtp_answer_oldest(lc, fl, &head, &nfl, r, sent);
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
		lmtp_answer_oldest(lc, fl, &head, &nfl, r, sent);
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

/* Without PIPELINING: message after message, command after command. */
static void
lmtp_send_each(struct lmtp_conn *lc, struct staged **v, size_t n,
    struct target_report *r, size_t *sent)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (lc->broken)
			v[i]->state = STAGED_UNDONE;
		else if (lmtp_check(lc, v[i], r) == 0)
			v[i]->state = lmtp_send(lc, v[i], r);
		if (v[i]->state == STAGED_VISIBLE)
			delivery_hook("lmtp-sent", ++*sent);
	}
}

void
lmtp_send_all(struct lmtp_conn *lc, struct staged **v, size_t n,
    struct target_report *r, size_t *sent)
{
	if ((lc->caps & (CAP_PIPELINING | CAP_CHUNKING)) ==
	    (CAP_PIPELINING | CAP_CHUNKING))
		lmtp_send_bdat(lc, v, n, r, sent);
	else if (lc->caps & CAP_PIPELINING)
		lmtp_send_data(lc, v, n, r, sent);
	else
		lmtp_send_each(lc, v, n, r, sent);
}

void
lmtp_quit(struct lmtp_conn *lc)
{
	struct lmtp_reply	 rp;

	if (lc->c == NULL)
		return;
	if (!lc->broken)
		(void)lmtp_command(lc, &rp, "QUIT");
	conn_close(lc->c);
	lc->c = NULL;
}

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
 * a unix socket never), so a server that is down costs no intent; up
 * to lmtp-connections (4) connections per address, one for every 16
 * messages of the batch, each sending its share of the batch from a
 * thread of its own (the server stores them side by side: Dovecot runs
 * an lmtp process per connection);
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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conf/config.h"
#include "daemon/deliver/deliver.h"	/* struct delivery_ctx */
#include "daemon/deliver/lmtp-send.h"
#include "daemon/deliver/target.h"
#include "daemon/deliver/target-util.h"
#include "daemon/util/log.h"
#include "rules/line.h"

/* Messages that make another connection worth opening (lmtp-connections). */
#define LMTP_PER_CONN	16

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
		a->conns = acct->lmtp_conns;
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

/* Messages of the group for address path. */
static size_t
lmtp_count(const struct target_group *g, const char *path)
{
	size_t	 i, m = 0;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->v[i]->in.path, path) == 0)
			m++;
	return m;
}

/*
 * Up to lmtp-connections connections per address, one for every
 * LMTP_PER_CONN messages: the server (Dovecot forks an lmtp process per
 * connection) then stores them side by side.  Only the first has to
 * connect; a server that takes fewer gets fewer.
 */
static int
lmtp_prepare(struct target_group *g, char *err, size_t errlen)
{
	const struct lmtp_dest	*dest;
	struct lmtp_conn	*v;
	size_t			 i, j, k, want, n = 0;
	char			 e[512];

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
		dest = g->v[i]->dv->priv;
		want = (lmtp_count(g, g->v[i]->in.path) + LMTP_PER_CONN - 1) /
		    LMTP_PER_CONN;
		if (want > (size_t)(dest->conns > 1 ? dest->conns : 1))
			want = (size_t)(dest->conns > 1 ? dest->conns : 1);
		for (k = 0; k < want; k++) {
			v[n].path = g->v[i]->in.path;
			v[n].dest = dest;
			g->nheld = ++n;
			if (lmtp_connect(&v[n - 1], k == 0 ? err : e,
			    k == 0 ? errlen : sizeof(e)) == 0)
				continue;
			if (k == 0)
				return -1;
			log_debug("%s (going on with %zu connections)", e, k);
			lmtp_quit(&v[--n]);
			memset(&v[n], 0, sizeof(v[n]));
			g->nheld = n;
			break;
		}
	}
	return 0;
}

/* One connection's share of an address's messages, sent by a thread
 * of its own; its report is merged into the batch's after the join. */
struct lmtp_job {
	struct lmtp_conn	*lc;
	struct staged		**v;
	size_t			 n;
	size_t			 sent;
	struct target_report	 r;
	char			 err[1024];
	pthread_t		 th;
	int			 threaded;
};

static void *
lmtp_job_run(void *arg)
{
	struct lmtp_job	*j = arg;

	lmtp_send_all(j->lc, j->v, j->n, &j->r, &j->sent);
	return NULL;
}

/* mine[0, n) over the k connections lc[0, k) side by side. */
static void
lmtp_send_shared(struct lmtp_conn *lc, size_t k, struct staged **mine,
    size_t n, struct target_report *r)
{
	struct lmtp_job	 jobs[16];
	size_t		 t;

	if (k > sizeof(jobs) / sizeof(jobs[0]))
		k = sizeof(jobs) / sizeof(jobs[0]);
	memset(jobs, 0, sizeof(jobs));
	for (t = 0; t < k; t++) {
		jobs[t].lc = &lc[t];
		jobs[t].v = mine + t * n / k;
		jobs[t].n = (t + 1) * n / k - t * n / k;
		jobs[t].r.err = jobs[t].err;
		jobs[t].r.errlen = sizeof(jobs[t].err);
		if (t > 0 && pthread_create(&jobs[t].th, NULL, lmtp_job_run,
		    &jobs[t]) == 0)
			jobs[t].threaded = 1;
	}
	for (t = 0; t < k; t++)
		if (!jobs[t].threaded)
			lmtp_job_run(&jobs[t]);
	for (t = 0; t < k; t++) {
		if (jobs[t].threaded)
			(void)pthread_join(jobs[t].th, NULL);
		if (jobs[t].r.failed)
			target_report_error(r, jobs[t].err);
	}
}

static void
lmtp_publish(struct target_group *g, struct target_report *r)
{
	struct lmtp_conn	*v = g->held;
	struct staged		**mine, *s;
	size_t			 i, j, k, n;

	if ((mine = calloc(g->n, sizeof(*mine))) == NULL) {
		for (i = 0; i < g->n; i++)
			if (g->v[i]->state == STAGED_JOURNALED)
				g->v[i]->state = STAGED_UNDONE;
		target_report_error(r, "lmtp: out of memory");
		return;
	}
	/* the connections of one address are next to each other */
	for (j = 0; j < g->nheld; j += k) {
		for (k = 1; j + k < g->nheld &&
		    strcmp(v[j + k].path, v[j].path) == 0; k++)
			;
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
		lmtp_send_shared(&v[j], k, mine, n, r);
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
	size_t			 i;

	for (i = 0; i < g->nheld; i++)
		lmtp_quit(&v[i]);
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
	.unstage = target_unstage_none,
	.prepare = lmtp_prepare,
	.flush = target_flush_none,
	.publish = lmtp_publish,
	.release = lmtp_release,
	.settle = lmtp_settle,
};

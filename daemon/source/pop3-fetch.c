/* SPDX-License-Identifier: ISC */
/*
 * pop3-fetch.c - one POP3 round, pop3_fetch(): the session (pop3.c),
 * UIDL and LIST, which messages are new, RETR (pipelined when offered),
 * DELE after the commit, QUIT.  The contract is stated in pop3.h.
 *
 * A server without UIDL is refused: without stable ids we cannot tell
 * new mail from mail already delivered.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "daemon/conf/conf.h"
#include "daemon/net/conn.h"
#include "daemon/net/reply.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/util/guard.h"
#include "daemon/util/log.h"
#include "daemon/util/stop.h"
#include "daemon/source/pop3-int.h"
#include "daemon/source/pop3.h"
#include "daemon/source/source.h"
#include "daemon/source/substitute.h"
#include "daemon/net/sasl.h"

static int
msg_cmp_seq(const void *a, const void *b)
{
	const struct pop3_msg	*x = a, *y = b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

static int
msg_cmp_uidl(const void *a, const void *b)
{
	const struct pop3_msg	*const *x = a, *const *y = b;

	return strcmp((*x)->uidl, (*y)->uidl);
}

static struct pop3_msg *
pop3_find(struct pop3 *p, unsigned seq)
{
	struct pop3_msg	 key;

	key.seq = seq;
	if (p->nmsgs == 0)
		return NULL;
	return bsearch(&key, p->msgs, p->nmsgs, sizeof(*p->msgs),
	    msg_cmp_seq);
}

/* "n uid": a message number and 1 to POP3_UIDL_MAX printable chars. */
static int
pop3_uidl_line(struct pop3 *p, const char *line, size_t len)
{
	struct pop3_msg	*m;
	uint64_t	 seq;
	size_t		 pos = 0, start;
	char		 show[LOG_SHOW_SIZE];

	if (pop3_parse_number(line, len, &pos, UINT32_MAX, &seq) == -1 ||
	    seq == 0 || pos >= len || line[pos] != ' ')
		goto bad;
	start = pos = pop3_skip_spaces(line, len, pos);
	while (pos < len && line[pos] >= 0x21 && line[pos] <= 0x7e)
		pos++;
	if (pos == start || pos - start > POP3_UIDL_MAX ||
	    pop3_skip_spaces(line, len, pos) != len)
		goto bad;
	if (p->nmsgs == POP3_MSGS_MAX) {
		pop3_error(p, "UIDL: more than %d messages", POP3_MSGS_MAX);
		return -1;
	}
	if (p->nmsgs == p->msgscap) {
		size_t	 ncap = p->msgscap ? 2 * p->msgscap : 64;

		m = reallocarray(p->msgs, ncap, sizeof(*m));
		if (m == NULL) {
			pop3_error(p, "UIDL: out of memory");
			return -1;
		}
		p->msgs = m;
		p->msgscap = ncap;
	}
	m = &p->msgs[p->nmsgs];
	memset(m, 0, sizeof(*m));
	m->seq = (unsigned)seq;
	if ((m->uidl = strndup(line + start, pos - start)) == NULL) {
		pop3_error(p, "UIDL: out of memory");
		return -1;
	}
	p->nmsgs++;
	return 0;
bad:
	pop3_error(p, "UIDL: bad line \"%s\"; the server is broken",
	    reply_show(line, len, show, sizeof(show)));
	return -1;
}

/* Message numbers and UIDLs must each be unique, or state is unsafe. */
static int
pop3_uidl_check(struct pop3 *p)
{
	struct pop3_msg	**byuidl;
	size_t		  i;
	int		  r = 0;

	if (p->nmsgs > 1)	/* msgs may be NULL when empty: qsort's UB */
		qsort(p->msgs, p->nmsgs, sizeof(*p->msgs), msg_cmp_seq);
	for (i = 1; i < p->nmsgs; i++) {
		if (p->msgs[i].seq == p->msgs[i - 1].seq) {
			pop3_error(p, "UIDL lists message %u twice; the "
			    "server is broken", p->msgs[i].seq);
			return -1;
		}
	}
	if (p->nmsgs < 2)
		return 0;
	if ((byuidl = calloc(p->nmsgs, sizeof(*byuidl))) == NULL) {
		pop3_error(p, "UIDL: out of memory");
		return -1;
	}
	for (i = 0; i < p->nmsgs; i++)
		byuidl[i] = &p->msgs[i];
	qsort(byuidl, p->nmsgs, sizeof(*byuidl), msg_cmp_uidl);
	for (i = 1; i < p->nmsgs && r == 0; i++) {
		if (strcmp(byuidl[i]->uidl, byuidl[i - 1]->uidl) != 0)
			continue;
		pop3_error(p, "messages %u and %u have the same UIDL, so "
		    "mailsift cannot tell them apart; fix the maildrop on "
		    "the server", byuidl[i - 1]->seq, byuidl[i]->seq);
		r = -1;
	}
	free(byuidl);
	return r;
}

/* Without UIDL there is no way to know what was fetched before. */
static int
pop3_uidl(struct pop3 *p)
{
	const char	*line;
	size_t		 len;
	int		 r;

	if (pop3_send(p, "UIDL") == -1)
		return -1;
	if ((r = pop3_reply(p, "UIDL", &line, &len)) == -1)
		return -1;
	if (r != REPLY_OK) {
		pop3_reply_error(p, "UIDL", line, len, "the server does not "
		    "support UIDL, without which mailsift cannot tell new "
		    "messages from ones it already delivered; use IMAP or "
		    "a server with UIDL");
		return -1;
	}
	while ((r = pop3_next_line(p, "UIDL", POP3_LINE_MAX, &line,
	    &len)) == 1)
		if (pop3_uidl_line(p, line, len) == -1)
			return -1;
	if (r == -1)
		return -1;
	return pop3_uidl_check(p);
}

/* "n size [anything]" (RFC 1939 5, scan listing). */
static int
pop3_list_line(struct pop3 *p, const char *line, size_t len)
{
	struct pop3_msg	*m;
	uint64_t	 seq, size;
	size_t		 pos = 0;
	char		 show[LOG_SHOW_SIZE];

	if (pop3_parse_number(line, len, &pos, UINT32_MAX, &seq) == -1 ||
	    pos >= len || line[pos] != ' ')
		goto bad;
	pos = pop3_skip_spaces(line, len, pos);
	if (pop3_parse_number(line, len, &pos, UINT64_MAX, &size) == -1 ||
	    (pos < len && line[pos] != ' '))
		goto bad;
	if ((m = pop3_find(p, (unsigned)seq)) == NULL || m->listed) {
		pop3_error(p, "LIST and UIDL disagree about message %u; the "
		    "server is broken", (unsigned)seq);
		return -1;
	}
	m->size = size;
	m->listed = 1;
	return 0;
bad:
	pop3_error(p, "LIST: bad line \"%s\"; the server is broken",
	    reply_show(line, len, show, sizeof(show)));
	return -1;
}

static int
pop3_list(struct pop3 *p)
{
	const char	*line;
	size_t		 len, i;
	int		 r;

	if (pop3_send(p, "LIST") == -1)
		return -1;
	if (pop3_expect_ok(p, "LIST", "") == -1)
		return -1;
	while ((r = pop3_next_line(p, "LIST", POP3_LINE_MAX, &line,
	    &len)) == 1)
		if (pop3_list_line(p, line, len) == -1)
			return -1;
	if (r == -1)
		return -1;
	for (i = 0; i < p->nmsgs; i++) {
		if (!p->msgs[i].listed) {
			pop3_error(p, "LIST lacks message %u that UIDL has; "
			    "the server is broken", p->msgs[i].seq);
			return -1;
		}
	}
	return 0;
}

static void
pop3_key(const struct pop3_msg *m, struct fetch_key *key)
{
	memset(key, 0, sizeof(*key));
	key->folder = "";
	key->uidl = m->uidl;
	key->seq = m->seq;
}

/*
 * Sort the maildrop into known (delete when !keep), oversized (skip)
 * and new (fetch).  A known message over max-size was recorded as
 * skipped, not delivered, and so is never deleted.
 */
static int
pop3_plan(struct pop3 *p)
{
	const char	**uidls;
	unsigned char	 *known;
	struct pop3_msg	 *m;
	struct fetch_key  key;
	size_t		  i;
	int		  r;

	if (p->nmsgs == 0)
		return 0;
	uidls = calloc(p->nmsgs, sizeof(*uidls));
	known = calloc(p->nmsgs, 1);
	if (uidls == NULL || known == NULL) {
		free(uidls);
		free(known);
		pop3_error(p, "out of memory");
		return -1;
	}
	for (i = 0; i < p->nmsgs; i++)
		uidls[i] = p->msgs[i].uidl;
	r = pipeline_known_uidls(p->pl, uidls, p->nmsgs, known);
	for (i = 0; r == 0 && i < p->nmsgs; i++) {
		m = &p->msgs[i];
		m->known = known[i] != 0;
		if (p->max_size == 0 || m->size <= p->max_size) {
			/* 2: known but not surely delivered (skipped) */
			m->dele = known[i] == 1 && !p->acct->keep;
			continue;
		}
		m->skipped = 1;
		if (m->known)
			continue;
		/* said once, when it is recorded: later rounds pass it by */
		log_warn("account %s: pop3 %s:%s: message %u (UIDL %s) is %llu "
		    "bytes, over max-size: skipped", p->acct->name, p->ep->host,
		    p->ep->port, m->seq, m->uidl, (unsigned long long)m->size);
		pop3_key(m, &key);
		r = pipeline_skip(p->pl, &key, m->size);
	}
	free(uidls);
	free(known);
	return r;
}

/* The pipeline's word that a message is safe: only now may it go. */
static void
pop3_committed(void *ctx, const struct fetch_key *key)
{
	struct pop3	*p = ctx;
	struct pop3_msg	*m;

	if (key == NULL || key->uidl == NULL)
		return;
	m = pop3_find(p, key->seq);
	if (m == NULL || strcmp(m->uidl, key->uidl) != 0 || m->skipped)
		return;
	m->dele = !p->acct->keep || key->remove;
}

/* Room for n more bytes in the message buffer, within buf_max. */
static int
pop3_reserve(struct pop3 *p, size_t n)
{
	size_t	 want, ncap;
	char	*nbuf;

	if (n > p->buf_max || p->len > p->buf_max - n)
		return -1;
	want = p->len + n;
	if (want <= p->cap)
		return 0;
	ncap = p->cap ? p->cap : 64 * 1024;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : 2 * ncap;
	if (ncap > p->buf_max)
		ncap = p->buf_max;
	if ((nbuf = realloc(p->buf, ncap)) == NULL)
		return -1;
	p->buf = nbuf;
	p->cap = ncap;
	return 0;
}

/* The response to one RETR, dot-unstuffed, into p->buf.  conn strips
 * CR LF; POP3 sends CR LF, so that is what goes back. */
static int
pop3_body_append(struct pop3 *p, const char *what, struct pop3_msg *m,
    const char *data, size_t len)
{
	if (pop3_reserve(p, len) == -1) {
		pop3_error(p, "%s: the message (UIDL %s) grows past %llu "
		    "bytes although LIST said %llu, or memory ran out; raise "
		    "max-size or check the server", what, m->uidl,
		    (unsigned long long)p->buf_max,
		    (unsigned long long)m->size);
		return -1;
	}
	memcpy(p->buf + p->len, data, len);
	p->len += len;
	return 0;
}

/* Bytes in d[i..len) up to the next '.' that starts a line, or all. */
static size_t
pop3_run(const char *d, size_t i, size_t len)
{
	const char	*dot;
	size_t		 k;

	for (k = i; k < len; k = (size_t)(dot - d) + 1) {
		if ((dot = memchr(d + k, '.', len - k)) == NULL)
			return len - i;
		if (dot > d + i && dot[-1] == '\n')
			return (size_t)(dot - d) - i;
	}
	return len - i;
}

/*
 * A multi-line response, scanned in the receive buffer: runs of bytes are
 * copied whole, and only a '.' that starts a line needs a look: it is
 * dot-stuffing, or the end (RFC 1939 3).  '.' is not in the base64
 * alphabet, so attachments pass at memchr speed.  Line ends are kept as
 * sent; the pipeline normalises them.
 */
static int
pop3_body_read(struct pop3 *p, const char *what, struct pop3_msg *m)
{
	const char	*d;
	size_t		 len, i, run, want = 1;
	int		 bol = 1;	/* at the start of a line */

	for (;;) {
		if (conn_peek(p->conn, want, &d, &len) == -1) {
			pop3_io_error(p, what);
			return -1;
		}
		for (i = 0; i < len;) {
			if (bol && d[i] == '.') {
				if (len - i < 2 || (d[i + 1] == '\r' &&
				    len - i < 3))
					break;	/* decide with more data */
				if (d[i + 1] == '\n') {
					conn_consume(p->conn, i + 2);
					return 0;
				}
				if (d[i + 1] == '\r' && d[i + 2] == '\n') {
					conn_consume(p->conn, i + 3);
					return 0;
				}
				i++;	/* a stuffed dot */
			}
			run = pop3_run(d, i, len);
			if (pop3_body_append(p, what, m, d + i, run) == -1)
				return -1;
			i += run;
			bol = d[i - 1] == '\n';
		}
		conn_consume(p->conn, i);
		want = len - i + 1;
	}
}

static int
pop3_retr_read(struct pop3 *p, struct pop3_msg *m)
{
	char		 what[32];

	snprintf(what, sizeof(what), "RETR %u", m->seq);
	if (pop3_expect_ok(p, what, "the message may have been deleted "
	    "meanwhile; try again later") == -1)
		return -1;
	p->len = 0;
	/* Even an empty message gets a buffer, never NULL. */
	if (p->buf == NULL && pop3_reserve(p, 1) == -1) {
		pop3_error(p, "%s: out of memory", what);
		return -1;
	}
	return pop3_body_read(p, what, m);
}

static int
pop3_retr_one(struct pop3 *p, struct pop3_msg *m)
{
	struct fetch_key	 key;

	const char		*server;

	if (pop3_retr_read(p, m) == -1)
		return -1;
	/* Not the stored message: not delivered, not recorded, so it stays
	 * on the server and is fetched again once the server serves it. */
	if (!p->utf8 && (server = source_substitute(p->buf, p->len)) != NULL) {
		log_error("account %s: pop3 %s:%s: message %u (UIDL %s): the "
		    "server sent a %s notice \"Cannot display Unicode "
		    "content\" instead of the message (it has UTF-8 headers "
		    "and the server %s); not delivered, left on the server; "
		    "fetch it over IMAP or enable UTF8 in the server's POP3 "
		    "configuration", p->acct->name, p->ep->host, p->ep->port,
		    m->seq, m->uidl, server, p->capa_utf8 ? "refused the UTF8 "
		    "command" : "does not offer UTF8 (RFC 6856)");
		p->substituted++;
		return 0;
	}
	pop3_key(m, &key);
	p->added = 1;
	if (pipeline_add(p->pl, &key, p->buf, p->len) == -1) {
		p->pipeline_failed = 1;
		return -1;
	}
	return 0;
}

/* The first message at or after i that is to be fetched. */
static size_t
pop3_next_new(const struct pop3 *p, size_t i)
{
	while (i < p->nmsgs && (p->msgs[i].known || p->msgs[i].skipped))
		i++;
	return i;
}

static size_t
pop3_count_new(const struct pop3 *p)
{
	size_t	 i, n = 0;

	for (i = pop3_next_new(p, 0); i < p->nmsgs; i = pop3_next_new(p, i + 1))
		n++;
	return n;
}

/*
 * RETR every new message, keeping up to POP3_WINDOW commands in flight
 * when the server allows PIPELINING (RFC 2449), one at a time otherwise.
 * On a stop request no new RETR goes out, but those in flight are read:
 * their messages are on the way anyway, and QUIT needs a clean stream.
 */
static int
pop3_retr_all(struct pop3 *p)
{
	size_t	 window = p->capa_pipelining ? POP3_WINDOW : 1;
	size_t	 tosend, toread, inflight = 0;
	char	 cmd[32];
	int	 stop = stop_requested();

	tosend = toread = pop3_next_new(p, 0);
	pipeline_set_total(p->pl, pop3_count_new(p));
	for (;;) {
		while (!stop && tosend < p->nmsgs && inflight < window) {
			snprintf(cmd, sizeof(cmd), "RETR %u",
			    p->msgs[tosend].seq);
			if (pop3_queue(p, cmd) == -1)
				return -1;
			inflight++;
			tosend = pop3_next_new(p, tosend + 1);
		}
		if (inflight == 0)
			return 0;
		if (pop3_flush(p, "RETR") == -1)
			return -1;
		if (pop3_retr_one(p, &p->msgs[toread]) == -1)
			return -1;
		toread = pop3_next_new(p, toread + 1);
		inflight--;
		if (stop_requested()) {
			stop = 1;
			/* the message in hand is done; those in flight stay
			 * on the server for the next run */
			if (inflight > 0) {
				p->hung_up = 1;
				return 0;
			}
		}
	}
}

static size_t
pop3_next_dele(const struct pop3 *p, size_t i)
{
	while (i < p->nmsgs && !p->msgs[i].dele)
		i++;
	return i;
}

/* A DELE the server refuses stays for a later round; the rest go on. */
static int
pop3_dele_reply(struct pop3 *p, const struct pop3_msg *m, size_t *ndele)
{
	const char	*line;
	size_t		 len;
	char		 what[32], show[LOG_SHOW_SIZE];
	int		 r;

	snprintf(what, sizeof(what), "DELE %u", m->seq);
	if ((r = pop3_reply(p, what, &line, &len)) == -1)
		return -1;
	if (r == REPLY_OK) {
		(*ndele)++;
		return 0;
	}
	if (r != REPLY_ERR) {
		pop3_reply_error(p, what, line, len, "");
		return -1;
	}
	log_warn("account %s: pop3 %s:%s: %s (UIDL %s) refused: \"%s\"; it "
	    "stays on the server and is deleted in a later round",
	    p->acct->name, p->ep->host, p->ep->port, what, m->uidl,
	    reply_show(line, len, show, sizeof(show)));
	return 0;
}

/* DELE what pop3_plan() and the committed callback marked. */
static int
pop3_dele(struct pop3 *p, size_t *ndele)
{
	size_t	 window = p->capa_pipelining ? POP3_WINDOW : 1;
	size_t	 tosend, toread, inflight = 0;
	char	 cmd[32];

	tosend = toread = pop3_next_dele(p, 0);
	/* recorded: the lease's next holder deletes them (known) */
	if (tosend < p->nmsgs && !guard_ok()) {
		log_warn("%s: DELE not sent: the account's lease is lost or "
		    "given back", p->acct->name);
		return 0;
	}
	for (;;) {
		while (tosend < p->nmsgs && inflight < window) {
			snprintf(cmd, sizeof(cmd), "DELE %u",
			    p->msgs[tosend].seq);
			if (pop3_queue(p, cmd) == -1)
				return -1;
			inflight++;
			tosend = pop3_next_dele(p, tosend + 1);
		}
		if (inflight == 0)
			return 0;
		if (pop3_flush(p, "DELE") == -1)
			return -1;
		if (pop3_dele_reply(p, &p->msgs[toread], ndele) == -1)
			return -1;
		toread = pop3_next_dele(p, toread + 1);
		inflight--;
	}
}

/*
 * QUIT is where the server really deletes (RFC 1939 6).  If it fails the
 * messages stay; they are recorded, so a later round deletes them and
 * never fetches them again: worth a warning, not an error.
 */
static void
pop3_quit(struct pop3 *p, size_t ndele)
{
	const char	*line;
	size_t		 len;
	char		 show[LOG_SHOW_SIZE];

	if (conn_printf(p->conn, "QUIT\r\n") == -1 ||
	    conn_flush(p->conn) == -1 ||
	    conn_read_line(p->conn, &line, &len, POP3_LINE_MAX) == -1) {
		log_warn("account %s: pop3 %s:%s: QUIT: %s; %zu message(s) "
		    "marked for deletion stay on the server until a later "
		    "round", p->acct->name, p->ep->host, p->ep->port,
		    conn_error(p->conn), ndele);
		return;
	}
	if (pop3_reply_kind(line, len) != REPLY_OK)
		log_warn("account %s: pop3 %s:%s: QUIT failed: server said "
		    "\"%s\"; %zu message(s) marked for deletion may stay on "
		    "the server until a later round", p->acct->name,
		    p->ep->host, p->ep->port,
		    reply_show(line, len, show, sizeof(show)), ndele);
}

static int
pop3_session(struct pop3 *p)
{
	size_t	 ndele = 0;

	if (pop3_open(p) == -1 || pop3_uidl(p) == -1 ||
	    pop3_list(p) == -1 || pop3_plan(p) == -1)
		return -1;
	if (pop3_retr_all(p) == -1)
		return -1;
	/* The committed callback fires in here (or already did, in
	 * pipeline_add); only then are there messages to DELE. */
	if (pipeline_flush(p->pl) == -1) {
		p->pipeline_failed = 1;
		return -1;
	}
	/* Mid-response we cannot QUIT, and DELE without QUIT does nothing:
	 * the next round deletes what was committed (known, keep = no). */
	if (p->hung_up) {
		log_info("account %s: pop3 %s: stopped after the message in "
		    "hand", p->acct->name, p->ep->host);
		return 0;
	}
	if (pop3_dele(p, &ndele) == -1)
		return -1;
	pop3_quit(p, ndele);
	log_debug("account %s: pop3 %s: %zu message(s) on the server, %zu "
	    "deleted", p->acct->name, p->ep->host, p->nmsgs, ndele);
	return 0;
}

int
pop3_fetch(const struct account *acct, struct pipeline *pl)
{
	struct pop3	 p;
	size_t		 i;
	int		 r;

	memset(&p, 0, sizeof(p));
	p.acct = acct;
	p.ep = &acct->ep;
	p.pl = pl;
	snprintf(p.trace, sizeof(p.trace), "pop3 %s", acct->name);
	p.max_size = pipeline_max_size(pl);
	/* LIST sizes are only a hint (LF versus CR LF, or a lie): allow
	 * some slack over max-size before calling a message too big. */
	p.buf_max = POP3_MSG_HARD_MAX;
	if (p.max_size != 0 && p.max_size < POP3_MSG_HARD_MAX)
		p.buf_max = p.max_size + p.max_size / 8 + 64 * 1024;
	if (p.buf_max > SIZE_MAX / 2)
		p.buf_max = SIZE_MAX / 2;
	pipeline_set_committed(pl, pop3_committed, &p);

	r = pop3_session(&p);
	/*
	 * On failure, what arrived whole is still worth committing (unless
	 * delivery itself failed); a failed flush is logged by the
	 * pipeline.  The connection is closed without QUIT, so the server
	 * forgets any DELE it was sent.
	 */
	if (r == -1 && p.added && !p.pipeline_failed &&
	    pipeline_flush(pl) == -1)
		log_debug("account %s: pop3: flush after error failed",
		    acct->name);
	/* a transfer given up on SIGTERM (conn_set_stop) is no failure:
	 * nothing of it was recorded, the rest waits for the next run */
	else if (r == -1 && !p.pipeline_failed && stop_requested())
		r = 0;
	/* a refused notice is an error of the round, like any message
	 * that could not be fetched */
	if (r == 0 && p.substituted > 0)
		r = -1;
	pipeline_set_committed(pl, NULL, NULL);
	if (p.conn != NULL)
		conn_close(p.conn);
	for (i = 0; i < p.nmsgs; i++)
		free(p.msgs[i].uidl);
	free(p.msgs);
	free(p.buf);
	return r;
}

const struct source source_pop3 = {
	ACCT_POP3, "pop3", SOURCE_SERVER | SOURCE_DELETE, pop3_fetch
};

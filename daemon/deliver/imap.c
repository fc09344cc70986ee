/* SPDX-License-Identifier: ISC */
/*
 * imap.c - delivery by IMAP APPEND into another account: the imap
 * target, "imap:ACCOUNT" (its INBOX) or "imap:ACCOUNT/FOLDER", where
 * ACCOUNT names an account section of type imap (its host, port, TLS,
 * user and password are used; `fetch = no` keeps it from being polled)
 * and FOLDER is written with '/' whatever the server's delimiter, or is
 * a SPECIAL-USE name ("\Archive").  A rule's folder (move, copy) takes
 * the place of FOLDER.  The IMAP commands go through the client table
 * (imap-client.h) the daemon hands over at start: deliver/ never calls
 * the IMAP source by name.
 *
 * A network target (target.h): stage puts "X-Mailsift-Id: KEY" at the
 * top of the message (KEY, in s->in.name, is 32 hex digits of a SHA-256
 * of account, folder, UIDVALIDITY, UID or UIDL and the destination: the
 * same on every retry) and keeps it in memory with CRLF line ends;
 * prepare connects, logs in and resolves the folder, so a destination
 * that is down costs no intent (the session of the delivery's previous
 * batch is kept in dv->priv by release and taken again if it answers a
 * NOOP; one that broke is never kept); publish APPENDs the batch
 * (MULTIAPPEND where offered, else pipelined APPENDs) and a message is
 * VISIBLE on its tagged OK; a refusal is UNDONE (the message stays on
 * the source for the next round), except TRYCREATE (the folder was
 * deleted meanwhile): the folder is created and the messages appended
 * once more; the APPENDUID (UIDPLUS) of each is recorded with it (the
 * record's location, "imap:ACCOUNT/FOLDER;UIDVALIDITY=n/;UID=n"); a
 * connection lost after a message went out and before its answer is
 * DOUBT.  The source's date goes with the message as its
 * INTERNALDATE, so the destination sorts it as the original did: an IMAP
 * source's INTERNALDATE, else (POP3, local files, an IMAP account whose
 * own target is not imap: and a rule sends it here) its Date: header,
 * else none (the server's now).  Its flags go with it where the source
 * has them (an IMAP account whose deliver is imap:; keeps_meta), as the
 * source reports them minus \Recent; else none, and it arrives unseen.
 *
 * GUARANTEE: exactly once.  settle connects, EXAMINEs the folder and
 * asks UID SEARCH HEADER X-Mailsift-Id KEY: found -> delivered (done),
 * absent -> not delivered (undo: fetched and appended again).  A
 * destination it cannot reach leaves the intent (target_settle_later):
 * the daemon starts all the same, the message is neither fetched again
 * nor flagged or deleted on the source, and recovery asks again at the
 * start of later rounds (deliver.h, delivery_recover_later()) and at
 * the next start.  The header survives on every server that
 * stores messages as given (it is in the message, unlike a Message-ID
 * + size match, which an APPEND of a changed message would break).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "rules/date.h"
#include "daemon/deliver/deliver.h"	/* struct delivery_ctx */
#include "daemon/deliver/imap-client.h"
#include "daemon/deliver/target.h"
#include "daemon/deliver/target-util.h"
#include "daemon/util/log.h"

#define IMAP_ID_HEADER	"X-Mailsift-Id"
#define IMAP_KEY_HEX	32
#define IMAP_WIRE_MAX	2048
/* Seconds after its staging that an APPEND a killed client sent is
 * taken to be stored or dropped by the server (settle). */
#define IMAP_SETTLE_GRACE	5

static const struct imap_client	*imap_client;

void
imap_client_set(const struct imap_client *c)
{
	imap_client = c;
}

const struct imap_client *
imap_client_get(void)
{
	return imap_client;
}

/* "ACCOUNT[/FOLDER]": the account and the folder ("INBOX" if none). */
static int
imap_addr_split(const char *path, char *acct, size_t acctlen, char *folder,
    size_t folderlen)
{
	const char	*slash = strchr(path, '/');
	size_t		 n = slash != NULL ? (size_t)(slash - path) : strlen(path);

	if (n == 0 || n >= acctlen || (slash != NULL && slash[1] == '\0'))
		return -1;
	memcpy(acct, path, n);
	acct[n] = '\0';
	if (snprintf(folder, folderlen, "%s", slash != NULL ? slash + 1 :
	    "INBOX") >= (int)folderlen)
		return -1;
	return 0;
}

static int
imap_open(struct delivery *dv, const char *folder, char *err, size_t errlen)
{
	char	 acct[256], dflt[1024], *path;
	size_t	 len;

	if (imap_addr_split(dv->path, acct, sizeof(acct), dflt,
	    sizeof(dflt)) == -1) {
		snprintf(err, errlen, "imap target \"%.300s\": must be "
		    "imap:ACCOUNT or imap:ACCOUNT/FOLDER", dv->path);
		return -1;
	}
	if (dv->ctx == NULL || dv->ctx->cfg == NULL || imap_client == NULL) {
		snprintf(err, errlen, "imap %s: no configuration or IMAP client "
		    "here to reach account %s", dv->path, acct);
		return -1;
	}
	/* the rule's folder, on the same account; the path always says
	 * ACCOUNT/FOLDER (the key, the intent and the record use it) */
	if (folder == NULL)
		folder = dflt;
	len = strlen(acct) + strlen(folder) + 2;
	if ((path = malloc(len)) == NULL) {
		snprintf(err, errlen, "imap %s: out of memory", dv->path);
		return -1;
	}
	snprintf(path, len, "%s/%s", acct, folder);
	free(dv->path);
	dv->path = path;
	return 0;
}

static void
imap_close(struct delivery *dv)
{
	if (dv->priv != NULL)
		imap_client->logout(dv->priv);
	dv->priv = NULL;
}

/* 32 hex digits of SHA-256(account, folder, UIDVALIDITY, UID or UIDL,
 * destination): the same on every retry of this delivery. */
static int
imap_key(const struct state_intent *in, char *out, size_t outlen)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	char		 buf[4096];
	int		 n, i;

	n = snprintf(buf, sizeof(buf), "%s%c%s%c%u%c%u%c%s%c%s",
	    in->account, 0, in->folder, 0, in->uidvalidity, 0,
	    in->uidl != NULL ? 0 : in->uid, 0,
	    in->uidl != NULL ? in->uidl : "", 0, in->path);
	if (n < 0 || (size_t)n >= sizeof(buf) || outlen <= IMAP_KEY_HEX ||
	    EVP_Digest(buf, (size_t)n, md, &mdlen, EVP_sha256(), NULL) != 1)
		return -1;
	for (i = 0; i < IMAP_KEY_HEX / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* The header line, then the message with CRLF line ends (an LF alone
 * becomes CRLF; a lone CR is kept), ending in CRLF. */
static char *
imap_entry(const char *key, const char *data, size_t len, size_t *outlen)
{
	const char	*p = data, *end = data + len, *nl;
	char		*b, *w;
	size_t		 n;

	if (len > (SIZE_MAX - 128) / 2 || (b = malloc(2 * len + 128)) == NULL)
		return NULL;
	w = b + snprintf(b, 128, IMAP_ID_HEADER ": %s\r\n", key);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (nl != NULL && n > 0 && p[n - 1] == '\r')
			n--;
		memcpy(w, p, n);
		w += n;
		*w++ = '\r';
		*w++ = '\n';
		p = nl != NULL ? nl + 1 : end;
	}
	*outlen = (size_t)(w - b);
	return b;
}

static int
imap_stage(struct delivery *dv, struct staged *s, const char *data,
    size_t len, int flags, char *err, size_t errlen)
{
	char	 key[IMAP_KEY_HEX + 1];
	size_t	 n;

	if (delivery_digest(data, len, flags, &s->in.content) == -1 ||
	    imap_key(&s->in, key, sizeof(key)) == -1) {
		snprintf(err, errlen, "imap %s: cannot compute SHA-256",
		    dv->path);
		return -1;
	}
	if ((s->entry = imap_entry(key, data, len, &n)) == NULL ||
	    (s->in.name = strdup(key)) == NULL) {
		snprintf(err, errlen, "imap %s: out of memory for a message "
		    "of %zu bytes", dv->path, len);
		free(s->entry);
		s->entry = NULL;
		errno = ENOMEM;
		return -1;
	}
	s->in.length = n;
	return 0;
}

/* One session per destination folder of the batch (g->held). */
struct imap_conn {
	const char		*path;		/* s->in.path: ACCOUNT/FOLDER */
	struct delivery		*dv;	/* keeps d between batches; or NULL */
	char			 folder[1024];
	struct imap_dest	*d;
	char			 wire[IMAP_WIRE_MAX];
	int			 broken;
};

static int
imap_conn_open(struct imap_conn *ic, const struct config *cfg, char *err,
    size_t errlen)
{
	char	 acct[256], e[1024];

	if (imap_addr_split(ic->path, acct, sizeof(acct), ic->folder,
	    sizeof(ic->folder)) == -1) {
		snprintf(err, errlen, "imap %s: not ACCOUNT/FOLDER", ic->path);
		return -1;
	}
	/* the session of the delivery's last batch, if it still answers:
	 * a login per batch would cost more than a NOOP */
	if (ic->dv != NULL && ic->dv->priv != NULL) {
		ic->d = ic->dv->priv;
		ic->dv->priv = NULL;
		if (imap_client->noop(ic->d, e, sizeof(e)) == -1) {
			log_debug("imap %s: the session kept from the last "
			    "batch is gone (%s): logging in again", ic->path, e);
			imap_client->logout(ic->d);
			ic->d = NULL;
		}
	}
	if (ic->d == NULL &&
	    (ic->d = imap_client->connect(cfg, acct, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "imap %s: destination account %s: %s",
		    ic->path, acct, e);
		return -1;
	}
	if (imap_client->folder(ic->d, ic->folder, 0, ic->wire,
	    sizeof(ic->wire), e, sizeof(e)) == -1) {
		ic->broken = 1;
		snprintf(err, errlen, "imap %s: folder %s: %s", ic->path,
		    ic->folder, e);
		return -1;
	}
	return 0;
}

static int
imap_prepare(struct target_group *g, char *err, size_t errlen)
{
	struct imap_conn	*v;
	const struct config	*cfg;
	size_t			 i, j, n = 0;

	if ((v = calloc(g->n, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory connecting to IMAP");
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
		v[n].dv = g->v[i]->dv;
		cfg = g->v[i]->dv->ctx->cfg;
		g->nheld = ++n;
		if (imap_conn_open(&v[n - 1], cfg, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* INTERNALDATE: the source's (IMAP INTERNALDATE), else the Date:
 * header, else none (the server's now). */
static void
imap_msg_date(const struct staged *s, struct imap_dest_msg *m)
{
	char	 date[256];
	time_t	 t;
	long	 zone;

	if (s->src_date > 0) {
		m->date = (time_t)s->src_date;
		m->zone = s->src_zone;
		return;
	}
	delivery_header(s->entry, (size_t)s->in.length, "Date", date,
	    sizeof(date));
	if (date[0] != '\0' && rule_date_parse(date, strlen(date), &t,
	    &zone) == 0 && t > 0) {
		m->date = t;
		m->zone = zone;
	}
}

static void
imap_refused(struct target_report *r, const struct imap_conn *ic,
    const struct staged *s, const struct imap_dest_msg *m)
{
	char	 e[1024];
	const char *hint = "";

	if (strcmp(m->code, "OVERQUOTA") == 0)
		hint = " (the destination's quota is full: make room there; "
		    "the message stays on the source and is tried again "
		    "next round)";
	else
		hint = " (the message stays on the source and is tried again "
		    "next round)";
	snprintf(e, sizeof(e), "imap %s: APPEND refused %s UID %u%s%s: %s%s",
	    ic->path, s->in.account, s->in.uid,
	    s->in.uidl != NULL ? " UIDL " : "",
	    s->in.uidl != NULL ? s->in.uidl : "", m->err, hint);
	target_report_error(r, e);
}

/* The messages of g for ic that are still to go: indexes into g->v. */
static size_t
imap_pending(struct target_group *g, const struct imap_conn *ic,
    size_t *idx)
{
	size_t	 i, n = 0;

	for (i = 0; i < g->n; i++)
		if (g->v[i]->state == STAGED_JOURNALED &&
		    strcmp(g->v[i]->in.path, ic->path) == 0)
			idx[n++] = i;
	return n;
}

/* APPEND the pending messages once; 1 if some came back TRYCREATE. */
static int
imap_append_once(struct target_group *g, struct imap_conn *ic,
    struct target_report *r, int last, size_t *sent)
{
	struct imap_dest_msg	*m;
	struct staged		*s;
	size_t			*idx, n, i;
	char			 e[1024];
	int			 rv, trycreate = 0;

	if ((idx = calloc(g->n, sizeof(*idx))) == NULL ||
	    (m = calloc(g->n, sizeof(*m))) == NULL) {
		free(idx);
		target_report_error(r, "imap: out of memory appending");
		return 0;
	}
	n = imap_pending(g, ic, idx);
	for (i = 0; i < n; i++) {
		s = g->v[idx[i]];
		m[i].data = s->entry;
		m[i].len = (size_t)s->in.length;
		m[i].flags = s->src_flags != NULL ? s->src_flags : "";
		imap_msg_date(s, &m[i]);
	}
	rv = imap_client->append(ic->d, ic->wire, m, n, e, sizeof(e));
	if (rv == -1) {
		ic->broken = 1;
		snprintf(e + strlen(e), sizeof(e) - strlen(e), " (imap %s)",
		    ic->path);
		target_report_error(r, e);
	}
	for (i = 0; i < n; i++) {
		s = g->v[idx[i]];
		if (m[i].ok) {
			s->state = STAGED_VISIBLE;
			/* recorded with it (the record's location) */
			s->in.remote_uidvalidity = m[i].uidvalidity;
			s->in.remote_uid = m[i].uid;
			delivery_hook("imap-sent", ++*sent);
		} else if (m[i].sent && rv == -1)
			s->state = STAGED_DOUBT;
		else if (rv == -1)
			s->state = STAGED_UNDONE;
		else if (strcmp(m[i].code, "TRYCREATE") == 0 && !last)
			trycreate = 1;	/* stays JOURNALED: once more */
		else {
			imap_refused(r, ic, s, &m[i]);
			s->state = STAGED_UNDONE;
		}
	}
	free(idx);
	free(m);
	return trycreate;
}

static void
imap_conn_publish(struct target_group *g, struct imap_conn *ic,
    struct target_report *r, size_t *sent)
{
	char	 e[512], msg[1200];

	if (imap_append_once(g, ic, r, 0, sent) == 0)
		return;
	/* the folder went away since prepare: make it, once */
	log_info("imap %s: folder %s is gone; creating it", ic->path,
	    ic->folder);
	if (imap_client->folder(ic->d, ic->folder, 1, ic->wire,
	    sizeof(ic->wire), e, sizeof(e)) == -1) {
		ic->broken = 1;		/* only good for LOGOUT now */
		snprintf(msg, sizeof(msg), "imap %.300s: cannot create folder "
		    "%.300s: %.500s", ic->path, ic->folder, e);
		target_report_error(r, msg);
	}
	(void)imap_append_once(g, ic, r, 1, sent);
}

static void
imap_publish(struct target_group *g, struct target_report *r)
{
	struct imap_conn	*v = g->held;
	size_t			 i, j, sent = 0;

	for (j = 0; j < g->nheld; j++)
		if (!v[j].broken && !r->failed)
			imap_conn_publish(g, &v[j], r, &sent);
	/* nothing of these was sent */
	for (i = 0; i < g->n; i++)
		if (g->v[i]->state == STAGED_JOURNALED)
			g->v[i]->state = STAGED_UNDONE;
}

static void
imap_release(struct target_group *g)
{
	struct imap_conn	*v = g->held;
	size_t			 i;

	/* a good session waits in its delivery for the next batch */
	for (i = 0; i < g->nheld; i++) {
		if (!v[i].broken && v[i].d != NULL && v[i].dv->priv == NULL)
			v[i].dv->priv = v[i].d;
		else
			imap_client->logout(v[i].d);
	}
	free(v);
	g->held = NULL;
	g->nheld = 0;
}

/* Look the keys of v[0..n) up (1 found, 0 absent, -1 an error in
 * why); once more, after a pause, those absent from an intent younger
 * than IMAP_SETTLE_GRACE: the server may still be storing what a client
 * killed in the middle of its APPEND had sent. */
static void
imap_settle_lookup(struct imap_conn *ic, const struct state_intent *v,
    size_t n, int *found, char *why, size_t whylen)
{
	char		 e[1024];
	int64_t		 newest = 0, now;
	size_t		 i;
	int		 pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			if (pass == 1 && found[i] != 0)
				continue;
			found[i] = imap_client->search(ic->d, ic->wire,
			    IMAP_ID_HEADER, v[i].name, e, sizeof(e));
			if (found[i] == -1 && why[0] == '\0')
				snprintf(why, whylen, "imap %.300s: looking up "
				    "%s: %.600s", v[i].path, v[i].name, e);
			if (found[i] == 0 && v[i].time > newest)
				newest = v[i].time;
		}
		now = (int64_t)time(NULL);
		if (pass == 1 || newest == 0 || now >= newest +
		    IMAP_SETTLE_GRACE)
			return;
		log_info("imap %s: waiting %lld s for what a client killed "
		    "during APPEND may still be storing", ic->path,
		    (long long)(newest + IMAP_SETTLE_GRACE - now));
		sleep((unsigned)(newest + IMAP_SETTLE_GRACE - now));
	}
}

/* Intents v[0..n) of one destination folder. */
static void
imap_settle_folder(const struct config *cfg, const struct state_intent *v,
    size_t n, struct target_settle *st)
{
	struct imap_conn	 ic;
	char			 e[1024], why[1200] = "";
	size_t			 i;
	int			*found;

	memset(&ic, 0, sizeof(ic));
	ic.path = v[0].path;
	if (imap_client == NULL || cfg == NULL) {
		snprintf(e, sizeof(e), "imap %s: no IMAP client to look %zu "
		    "message%s up", v[0].path, n, n == 1 ? "" : "s");
		for (i = 0; i < n; i++)
			target_settle_later(st, v[i].id, e);
		return;
	}
	if ((found = calloc(n, sizeof(*found))) == NULL ||
	    imap_conn_open(&ic, cfg, e, sizeof(e)) == -1) {
		if (found == NULL)
			snprintf(e, sizeof(e), "imap %s: out of memory",
			    v[0].path);
		imap_client->logout(ic.d);
		free(found);
		snprintf(why, sizeof(why), "%s (%zu message%s left to settle "
		    "later: neither fetched again nor removed meanwhile)", e,
		    n, n == 1 ? "" : "s");
		for (i = 0; i < n; i++)
			target_settle_later(st, v[i].id, why);
		return;
	}
	imap_settle_lookup(&ic, v, n, found, why, sizeof(why));
	for (i = 0; i < n; i++) {
		if (found[i] == 1)
			target_settle_done(st, v[i].id);
		else if (found[i] == 0)
			target_settle_undo(st, v[i].id);
		else
			target_settle_later(st, v[i].id, why);
	}
	imap_client->logout(ic.d);
	free(found);
}

/* Exactly once: each key is looked up where it went. */
static void
imap_settle(const struct config *cfg, const struct state_intent *v,
    size_t n, struct target_settle *st)
{
	size_t	 i, j;

	/* sorted by path: one session per destination folder */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(v[j].path, v[i].path) == 0; j++)
			;
		imap_settle_folder(cfg, &v[i], j - i, st);
	}
}

const struct target target_imap = {
	.name = "imap",
	.kind = STATE_IMAP,
	.keeps_bytes = 1,
	.keeps_meta = 1,
	.open = imap_open,
	.close = imap_close,
	.stage = imap_stage,
	.unstage = target_unstage_none,
	.prepare = imap_prepare,
	.flush = target_flush_none,
	.publish = imap_publish,
	.release = imap_release,
	.settle = imap_settle,
};

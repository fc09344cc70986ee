/* SPDX-License-Identifier: ISC */
/*
 * imap-sync.c - CONDSTORE and QRESYNC (RFC 7162) for the IMAP round:
 * skip a folder whose HIGHESTMODSEQ did not move, look only at what
 * changed in one that did.  See imap-sync.h for the path a folder takes.
 *
 * Why the point is the SELECT's: a message that arrives while a round
 * runs gets a mod-sequence above it, so the next round sees it whether
 * or not this one fetched it.  A HIGHESTMODSEQ sent later in the session
 * (after our own STOREs, say) is never recorded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/source/imap-int.h"
#include "daemon/source/imap-notify.h"
#include "daemon/source/imap-sync.h"
#include "daemon/store/serverops.h"
#include "daemon/util/log.h"

int
imap_sync_enable(struct imap *s)
{
	if (!s->acct->condstore)
		return 0;
	if ((s->caps & (CAP_ENABLE | CAP_QRESYNC)) ==
	    (CAP_ENABLE | CAP_QRESYNC) && imap_cmd(s, "ENABLE QRESYNC") == -1) {
		if (s->broken || s->bye)
			return -1;
		log_debug("%s: ENABLE QRESYNC refused: %s", s->acct->name,
		    s->err);
		s->err[0] = '\0';
		s->qresync = 0;
	}
	/* QRESYNC needs CONDSTORE (RFC 7162 3.2.3) */
	s->condstore = (s->caps & CAP_CONDSTORE) != 0;
	if (!s->condstore)
		s->qresync = 0;
	return 0;
}

int
imap_sync_untagged(struct imap *s, const struct imap_tok *t,
    struct imap_scan *sc)
{
	int	 r;

	if (imap_tok_is(t, "STATUS"))
		r = imap_sync_status(s, sc);
	else if (imap_tok_is(t, "VANISHED"))
		r = imap_sync_vanished(s, sc);
	else
		return 0;
	return r == -1 ? -1 : 1;
}

/* Server actions waiting for the folder need it selected. */
static int
ops_pending(struct imap *s, const char *folder, size_t *n)
{
	struct server_op	*v;

	if (pipeline_server_ops(s->pl, folder, s->sync.uidvalidity, &v,
	    n) == -1) {
		snprintf(s->err, sizeof(s->err), "cannot read the server "
		    "actions from the state");
		return -1;
	}
	pipeline_server_ops_free(v, *n);
	return 0;
}

int
imap_sync_unchanged(struct imap *s, const char *folder, const char *wire)
{
	size_t	 nops;
	int	 r;

	s->sync_known = 0;
	if (!s->condstore)
		return 0;
	if ((r = pipeline_folder_sync(s->pl, folder, &s->sync)) == -1) {
		snprintf(s->err, sizeof(s->err), "cannot read the folder's "
		    "sync point from the state");
		return -1;
	}
	/* a point of a round that looked at unseen messages only says
	 * nothing of the seen ones a round now wants */
	if (r == 0 || (s->sync.only_unseen && !s->acct->only_unseen))
		return 0;
	s->sync_known = 1;
	/* not STATUS on the selected folder (RFC 3501 6.3.10): its SELECT
	 * tells the same; nor on the one IDLE is to wait in, which must
	 * be selected */
	if ((s->folder != NULL && strcmp(s->folder, folder) == 0) ||
	    (s->acct->idle && strcmp(folder, s->acct->folders[0]) == 0))
		return 0;
	/* under NOTIFY (imap-idle.c) an untagged STATUS is news of a folder
	 * and the folder is fetched because it had news: asking STATUS here
	 * would only make more news of it */
	if (s->status_response != NULL)
		return 0;
	if (ops_pending(s, folder, &nops) == -1)
		return -1;
	if (nops > 0)
		return 0;
	memset(&s->status, 0, sizeof(s->status));
	if (imap_cmd(s, "STATUS %s (UIDVALIDITY UIDNEXT HIGHESTMODSEQ)",
	    wire) == -1) {
		if (s->broken || s->bye)
			return -1;
		/* the SELECT says what is wrong with the folder, if anything */
		s->err[0] = '\0';
		return 0;
	}
	if (!s->status.got || s->status.modseq == 0 ||
	    s->status.uidvalidity != s->sync.uidvalidity ||
	    s->status.modseq != s->sync.highestmodseq ||
	    s->status.uidnext != s->sync.uidnext)
		return 0;
	log_debug("%s: folder %s: unchanged since the last round "
	    "(HIGHESTMODSEQ %llu)", s->acct->name, folder,
	    (unsigned long long)s->status.modseq);
	return 1;
}

void
imap_sync_select_args(struct imap *s, char *buf, size_t len)
{
	s->highestmodseq = 0;
	s->uidnext = 0;
	s->vanished = 0;
	buf[0] = '\0';
	if (!s->condstore)
		return;
	if (s->qresync && s->sync_known) {
		/* the changed messages come with the SELECT */
		s->collect = COLLECT_CHANGED;
		snprintf(buf, len, " (QRESYNC (%u %llu))", s->sync.uidvalidity,
		    (unsigned long long)s->sync.highestmodseq);
	} else
		snprintf(buf, len, " (CONDSTORE)");
}

/* What changed since the point, into s->search: with QRESYNC the
 * SELECT brought the changed ones and new UIDs start at the old UIDNEXT;
 * else CHANGEDSINCE covers both. */
static int
changed_fetch(struct imap *s)
{
	int	 r;

	s->collect = COLLECT_CHANGED;
	if (s->qresync && s->sync.uidnext > 0)
		r = imap_cmd(s, "UID FETCH %u:* (UID FLAGS)", s->sync.uidnext);
	else {
		s->nsearch = 0;
		r = imap_cmd(s, "UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE "
		    "%llu)", (unsigned long long)s->sync.highestmodseq);
	}
	s->collect = COLLECT_NONE;
	return r;
}

int
imap_sync_changed(struct imap *s)
{
	s->collect = COLLECT_NONE;
	/* nothing was said since the SELECT: these are its figures */
	s->select_modseq = s->highestmodseq;
	s->select_uidnext = s->uidnext;
	if (s->vanished > 0)
		log_debug("%s: folder %s: %llu UIDs vanished", s->acct->name,
		    s->folder, (unsigned long long)s->vanished);
	if (!s->sync_known || s->highestmodseq == 0 ||
	    s->uidvalidity != s->sync.uidvalidity ||
	    s->highestmodseq < s->sync.highestmodseq ||
	    (s->highestmodseq == s->sync.highestmodseq &&
	    s->uidnext != s->sync.uidnext)) {
		/* no point, NOMODSEQ, new UIDVALIDITY, or a server that
		 * went back or added mail without a new mod-sequence */
		s->nsearch = 0;
		return 0;
	}
	if (s->highestmodseq == s->sync.highestmodseq) {
		log_debug("%s: folder %s: unchanged since the last round "
		    "(HIGHESTMODSEQ %llu)", s->acct->name, s->folder,
		    (unsigned long long)s->highestmodseq);
		s->nsearch = 0;
		return 1;
	}
	if (s->exists == 0) {
		s->nsearch = 0;
		return 1;
	}
	return changed_fetch(s) == -1 ? -1 : 1;
}

int
imap_sync_candidate(struct imap *s, uint32_t uid, int have_flags, int seen)
{
	if (s->acct->only_unseen && have_flags && seen)
		return 0;
	return imap_uids_add(&s->search, &s->nsearch, &s->search_cap, uid);
}

int
imap_sync_record(struct imap *s)
{
	struct state_sync	 p;

	if (!s->condstore)
		return 0;
	memset(&p, 0, sizeof(p));
	p.uidvalidity = s->uidvalidity;
	p.highestmodseq = s->select_modseq;
	p.uidnext = s->select_uidnext;
	p.only_unseen = s->acct->only_unseen;
	/* NOMODSEQ now: an old point must not outlive it */
	if (pipeline_folder_sync_set(s->pl, s->folder, p.highestmodseq == 0 ?
	    NULL : &p) == -1) {
		snprintf(s->err, sizeof(s->err), "cannot record the folder's "
		    "sync point in the state");
		return -1;
	}
	return 0;
}

int
imap_sync_resp_code(struct imap *s, const struct imap_tok *t,
    struct imap_scan *sc)
{
	struct imap_tok	 v;
	uint32_t	 n;

	/* "[HIGHESTMODSEQ]" with no value is garbage: NOMODSEQ too */
	if (imap_tok_is(t, "NOMODSEQ]") || imap_tok_is(t, "NOMODSEQ") ||
	    imap_tok_is(t, "HIGHESTMODSEQ]")) {
		s->highestmodseq = 0;
		return 1;
	}
	if (imap_tok_is(t, "HIGHESTMODSEQ")) {
		/* garbage counts as NOMODSEQ: the plain pass */
		if (imap_scan_next(sc, &v) == -1 ||
		    imap_modseq_parse(&v, &s->highestmodseq) == -1)
			s->highestmodseq = 0;
		return 1;
	}
	if (imap_tok_is(t, "UIDNEXT")) {
		s->uidnext = 0;
		if (imap_scan_next(sc, &v) == 0 && v.type == IMAP_TOK_ATOM) {
			if (v.len > 0 && v.s[v.len - 1] == ']')
				v.len--;
			if (imap_tok_u32(&v, &n) == 0)
				s->uidnext = n;
		}
		return 1;
	}
	return 0;
}

int
imap_sync_status(struct imap *s, struct imap_scan *sc)
{
	struct imap_status	 st;
	char			 name[4 * IMAP_FOLDER_MAX];

	/* a value that is not a number leaves 0: no skipping */
	memset(&s->status, 0, sizeof(s->status));
	if (imap_status_parse(sc, name, sizeof(name), &st) == -1)
		return -1;
	s->status.uidvalidity = st.uidvalidity;
	s->status.uidnext = st.uidnext;
	s->status.modseq = st.highestmodseq;
	s->status.got = 1;
	return 0;
}

int
imap_flags_seen(struct imap_scan *sc, int *seen)
{
	char	 flags[512];

	/* one parser of a FLAGS list (imap-meta.c) */
	return imap_meta_flags(sc, flags, sizeof(flags), seen);
}

/* One nz-number of a UID set at *p (before end): 1 .. 2^32-1. */
static int
uidset_number(const char **p, const char *end, uint32_t *out)
{
	uint64_t	 v = 0;
	const char	*q = *p;

	if (q >= end || *q < '1' || *q > '9')
		return -1;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		v = v * 10 + (uint64_t)(*q - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	*p = q;
	return 0;
}

int
imap_uidset_count(const char *s, size_t len, uint64_t *count)
{
	const char	*p = s, *end = s + len;
	uint32_t	 a, b;
	uint64_t	 n, total = 0;

	for (;;) {
		if (uidset_number(&p, end, &a) == -1)
			return -1;
		b = a;
		if (p < end && *p == ':') {
			p++;
			if (uidset_number(&p, end, &b) == -1)
				return -1;
		}
		/* "9:3" is the same range as "3:9" */
		n = (a < b ? (uint64_t)(b - a) : (uint64_t)(a - b)) + 1;
		total = total > UINT64_MAX - n ? UINT64_MAX : total + n;
		if (p == end)
			break;
		if (*p++ != ',')
			return -1;
	}
	*count = total;
	return 0;
}

int
imap_vanished_parse(struct imap_scan *sc, int *earlier, uint64_t *count)
{
	struct imap_tok	 t;

	*earlier = 0;
	if (imap_scan_next(sc, &t) == -1)
		return -1;
	if (t.type == IMAP_TOK_LPAREN) {
		if (imap_scan_next(sc, &t) == -1 ||
		    !imap_tok_is(&t, "EARLIER") ||
		    imap_scan_next(sc, &t) == -1 ||
		    t.type != IMAP_TOK_RPAREN ||
		    imap_scan_next(sc, &t) == -1)
			return -1;
		*earlier = 1;
	}
	if (t.type != IMAP_TOK_ATOM ||
	    imap_uidset_count(t.s, t.len, count) == -1 ||
	    imap_scan_next(sc, &t) == -1 || t.type != IMAP_TOK_END)
		return -1;
	return 0;
}

int
imap_sync_vanished(struct imap *s, struct imap_scan *sc)
{
	uint64_t	 n;
	int		 earlier;

	/* mailsift acts on UIDs it fetched, not on ones that went away:
	 * counted for the log, never expanded */
	if (imap_vanished_parse(sc, &earlier, &n) == -1)
		return -1;
	s->vanished = s->vanished > UINT64_MAX - n ? UINT64_MAX :
	    s->vanished + n;
	/* under QRESYNC it stands for EXPUNGE, and the count must follow
	 * it the same way (see untagged_number() in imap.c); EARLIER is
	 * history the count never held */
	if (!earlier)
		s->exists = n >= s->exists ? 0 : s->exists - (uint32_t)n;
	return 0;
}

/* SPDX-License-Identifier: ISC */
/*
 * imap-fetch.c - one IMAP round, imap_fetch(): the session (imap.c),
 * then each folder's new messages, then IDLE if asked (imap-idle.c).
 *
 * New means: not in the state store for this folder and UIDVALIDITY.
 * Sizes come first (UID FETCH ... RFC822.SIZE) so oversized messages are
 * skipped without being downloaded; bodies come with BODY.PEEK[] so that
 * nothing is marked \Seen before it is delivered, in pipelined UID FETCH
 * commands.  Flags and deletions are sent only for UIDs the pipeline
 * reported as committed (imap-ops.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/net/conn.h"
#include "daemon/source/imap.h"
#include "daemon/source/imap-gmail.h"
#include "daemon/source/imap-int.h"
#include "daemon/source/imap-special.h"
#include "daemon/source/imap-sync.h"
#include "daemon/source/substitute.h"
#include "daemon/source/source.h"
#include "daemon/util/log.h"
#include "daemon/util/stop.h"

static int
size_cmp(const void *a, const void *b)
{
	const struct imap_size *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static void
on_committed(void *ctx, const struct fetch_key *k)
{
	struct imap	*s = ctx;

	/* without memory the message is only left unflagged: safe */
	if (imap_uids_add(&s->done, &s->ndone, &s->done_cap, k->uid) == -1)
		log_warn("%s: out of memory: UID %u not flagged",
		    s->acct->name, k->uid);
}

/* The size the server announced for uid in the size pass, or -1. */
static int
size_announced(const struct imap *s, uint32_t uid, uint64_t *size)
{
	size_t	 lo = 0, hi = s->nsizes, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->sizes[mid].uid == uid) {
			*size = s->sizes[mid].size;
			return 0;
		}
		if (s->sizes[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * A body is ours to deliver only when its UID was asked for in this
 * folder and has not come yet: a server (or anyone in the stream) that
 * answers UID FETCH 3 with UID 7 would otherwise get 7 recorded, never
 * fetched for real, and deleted unread with keep = no.  A body whose
 * length is not the RFC822.SIZE announced is truncated or mangled:
 * recording it would lose the real message the same way.
 */
/* Outside UTF8=ACCEPT a server may serve its own notice instead of a
 * message with UTF-8 headers (RFC 6855 section 5): refused like a body
 * of the wrong size, and the round fails. */
static int
body_substituted(struct imap *s, uint32_t uid, const char *data, size_t len)
{
	const char	*server;

	if (s->utf8_accept || (server = source_substitute(data, len)) == NULL)
		return 0;
	log_error("%s: folder %s UID %u: the server sent a %s notice "
	    "\"Cannot display Unicode content\" instead of the message (it "
	    "has UTF-8 headers and the server %s): not delivered, left on "
	    "the server; enable UTF8=ACCEPT in the server's IMAP "
	    "configuration", s->acct->name, s->folder, uid, server,
	    (s->caps & CAP_UTF8_ACCEPT) ? "refused ENABLE UTF8=ACCEPT" :
	    "does not offer UTF8=ACCEPT (RFC 6855)");
	s->substituted = 1;
	return 1;
}

static int
body_wanted(struct imap *s, uint32_t uid, const char *data, size_t len)
{
	uint64_t	 size;
	long		 i;

	if ((i = imap_uid_find(s->search, s->nwant, uid)) == -1 || s->got[i]) {
		if (!s->stray_logged)
			log_warn("%s: folder %s: the server sent a body for "
			    "UID %u, %s: ignored (so are any more like it in "
			    "this folder)", s->acct->name, s->folder, uid,
			    i == -1 ? "not requested" : "a second time");
		s->stray_logged = 1;
		return 0;
	}
	s->got[i] = 1;
	if (size_announced(s, uid, &size) == 0 && size != len) {
		log_error("%s: folder %s UID %u: the body has %zu bytes, but "
		    "the server announced %llu (RFC822.SIZE): not delivered, "
		    "left on the server; it is tried again next round",
		    s->acct->name, s->folder, uid, len,
		    (unsigned long long)size);
		return 0;
	}
	return !body_substituted(s, uid, data, len);
}

/* Labels a message has beyond what is kept: said once per folder. */
static void
labels_dropped(struct imap *s, uint32_t uid, const struct gm_labels *l)
{
	if (l->dropped == 0 || s->labels_dropped_logged)
		return;
	log_warn("%s: folder %s UID %u: %zu of its labels (X-GM-LABELS) "
	    "are not text or over %d: the rules do not see them",
	    s->acct->name, s->folder, uid, l->dropped, GM_LABELS_MAX);
	s->labels_dropped_logged = 1;
}

/* Parse "(UID n RFC822.SIZE n BODY[] {N}...)" and act on it; Gmail's
 * X-GM-MSGID and X-GM-LABELS come with it (imap-gmail.c). */
static int
imap_fetch_response(struct imap *s, struct imap_scan *sc)
{
	struct imap_tok	 t, v;
	struct fetch_key k;
	struct gm_labels labels;
	uint32_t	 uid = 0;
	uint64_t	 size = 0, msgid = 0;
	int		 have_size = 0, body = -1, have_flags = 0, seen = 0;
	int64_t		 date = 0;
	long		 zone = 0;
	char		*data, flags[512];
	size_t		 len;

	labels.n = labels.dropped = labels.used = 0;
	if (imap_scan_next(sc, &t) == -1 || t.type != IMAP_TOK_LPAREN)
		return -1;
	for (;;) {
		if (imap_scan_next(sc, &t) == -1 || t.type == IMAP_TOK_END)
			return -1;
		if (t.type == IMAP_TOK_RPAREN)
			break;
		if (t.type != IMAP_TOK_ATOM || imap_scan_next(sc, &v) == -1)
			return -1;
		if (imap_tok_is(&t, "UID")) {
			if (imap_tok_u32(&v, &uid) == -1)
				return -1;
		} else if (imap_tok_is(&t, "RFC822.SIZE")) {
			if (imap_tok_u64(&v, &size) == -1)
				return -1;
			have_size = 1;
		} else if (imap_tok_is(&t, "BODY[]") &&
		    v.type == IMAP_TOK_LITERAL)
			body = (int)v.lit;
		else if (imap_tok_is(&t, "FLAGS") &&
		    v.type == IMAP_TOK_LPAREN) {
			if (imap_meta_flags(sc, flags, sizeof(flags),
			    &seen) == -1)
				return -1;
			have_flags = 1;
		} else if (imap_tok_is(&t, "INTERNALDATE")) {
			/* not a date: the target falls back on Date: */
			if (imap_meta_date(&v, &date, &zone) == -1)
				date = 0;
		} else if (imap_tok_is(&t, "X-GM-MSGID")) {
			if (gm_msgid_parse(&v, &msgid) == -1)
				return -1;
		} else if (imap_tok_is(&t, "X-GM-LABELS")) {
			if (gm_labels_parse(sc, &v, s->utf8_accept,
			    &labels) == -1)
				return -1;
		} else if (imap_scan_skip(sc, &v) == -1)
			return -1;
	}
	if (uid == 0)
		return 0;	/* unsolicited flag change: not ours */
	if (s->collect == COLLECT_CHANGED)	/* imap-sync.c */
		return imap_sync_candidate(s, uid, have_flags, seen);
	if (s->collect == COLLECT_SIZES && have_size) {
		if (s->nsizes == s->sizes_cap) {
			struct imap_size *n;
			size_t cap = s->sizes_cap ? s->sizes_cap * 2 : 256;

			if ((n = reallocarray(s->sizes, cap, sizeof(*n))) ==
			    NULL)
				return -1;
			s->sizes = n;
			s->sizes_cap = cap;
		}
		s->sizes[s->nsizes].uid = uid;
		s->sizes[s->nsizes].gm_msgid = msgid;
		s->sizes[s->nsizes++].size = size;
	}
	if (s->collect != COLLECT_BODIES || body == -1 || s->pipeline_failed)
		return 0;
	data = imap_resp_literal(&s->r, (size_t)body, &len);
	if (data == NULL || !body_wanted(s, uid, data, len))
		return 0;
	memset(&k, 0, sizeof(k));
	k.folder = s->folder;
	k.uidvalidity = s->uidvalidity;
	k.uid = uid;
	k.gm_msgid = msgid;
	k.labels = labels.v;
	k.nlabels = labels.n;
	k.flags = have_flags ? flags : NULL;
	k.date = date;
	k.zone = zone;
	labels_dropped(s, uid, &labels);
	if (pipeline_add(s->pl, &k, data, len) == -1)
		s->pipeline_failed = 1;
	else if (stop_requested())
		s->stopping = 1;	/* this one is in hand; no more */
	return 0;
}

/* What the body pass asks for: Gmail's ids and labels where offered,
 * the flags and date where the target keeps them (an imap: APPEND). */
static const char *
body_items(const struct imap *s)
{
	int	 meta = pipeline_keeps_meta(s->pl);

	if (s->caps & CAP_XGM)
		return meta ? " (UID FLAGS INTERNALDATE X-GM-MSGID X-GM-LABELS "
		    "BODY.PEEK[])" : " (UID X-GM-MSGID X-GM-LABELS BODY.PEEK[])";
	return meta ? " (UID FLAGS INTERNALDATE BODY.PEEK[])" :
	    " (UID BODY.PEEK[])";
}

/* SELECT (or EXAMINE) the folder: 0, or 1 if CONDSTORE says nothing
 * changed since the last round (then it is not selected), -1 on error. */
static int
imap_folder_select(struct imap *s, const char *folder, int readonly)
{
	char	 server[IMAP_FOLDER_MAX + 1], q[4 * IMAP_FOLDER_MAX];
	char	 args[64];
	int	 r;

	/* the state keeps the name as written; the server gets its own */
	if (imap_folder_name(s, folder, server, sizeof(server), q,
	    sizeof(q)) == -1)
		return -1;
	if ((r = imap_sync_unchanged(s, folder, q)) != 0)
		return r;
	s->folder = folder;
	s->uidvalidity = 0;
	s->exists = 0;
	imap_sync_select_args(s, args, sizeof(args));
	r = imap_cmd(s, "%s %s%s", readonly ? "EXAMINE" : "SELECT", q, args);
	s->collect = COLLECT_NONE;
	if (r == -1)
		return -1;
	if (s->uidvalidity == 0) {
		snprintf(s->err, sizeof(s->err), "server sent no UIDVALIDITY: "
		    "cannot keep state safely");
		return -1;
	}
	s->exists_changed = 0;
	return 0;
}

/* Split the new UIDs into those to fetch and those too big. */
static int
sizes_check(struct imap *s, uint32_t *uids, size_t *n)
{
	uint64_t	 max = pipeline_max_size(s->pl);
	struct fetch_key k;
	size_t		 i, j = 0, o = 0;

	s->nsizes = 0;
	s->collect = COLLECT_SIZES;
	if (imap_uid_command(s, "UID FETCH", (s->caps & CAP_XGM) ?
	    " (UID RFC822.SIZE X-GM-MSGID)" : " (UID RFC822.SIZE)", uids,
	    *n) == -1)
		return -1;
	s->collect = COLLECT_NONE;
	if (s->nsizes > 1)
		qsort(s->sizes, s->nsizes, sizeof(*s->sizes), size_cmp);
	memset(&k, 0, sizeof(k));
	k.folder = s->folder;
	k.uidvalidity = s->uidvalidity;
	for (i = 0; i < *n; i++) {
		while (j < s->nsizes && s->sizes[j].uid < uids[i])
			j++;
		if (j < s->nsizes && s->sizes[j].uid == uids[i] &&
		    s->sizes[j].size > max) {
			k.uid = uids[i];
			log_warn("%s: folder %s: UID %u is %llu bytes, over "
			    "max-size: skipped", s->acct->name, s->folder,
			    uids[i], (unsigned long long)s->sizes[j].size);
			if (pipeline_skip(s->pl, &k, s->sizes[j].size) == -1)
				return -1;
			continue;
		}
		uids[o++] = uids[i];
	}
	*n = o;
	return 0;
}

/* From the UIDs on the server, keep the new ones; note old ones to
 * delete when the account does not keep mail. */
static int
uids_new(struct imap *s, size_t *nnew)
{
	unsigned char	*known;
	size_t		 i, o = 0;
	int		 rv = -1;

	s->nsearch = imap_uids_sort_unique(s->search, s->nsearch);
	if (s->nsearch == 0) {
		*nnew = 0;
		return 0;
	}
	if ((known = calloc(s->nsearch, 1)) == NULL)
		return -1;
	if (pipeline_known_uids(s->pl, s->folder, s->uidvalidity, s->search,
	    s->nsearch, known) == -1)
		goto out;
	for (i = 0; i < s->nsearch; i++) {
		if (!known[i])
			s->search[o++] = s->search[i];
		else if (known[i] == 1 && !s->acct->keep &&
		    imap_uids_add(&s->done, &s->ndone, &s->done_cap,
		    s->search[i]) == -1)
			goto out;
	}
	*nnew = o;
	rv = 0;
out:
	free(known);
	return rv;
}

static int
imap_folder_fetch(struct imap *s, const char *folder)
{
	const struct account	*a = s->acct;
	size_t			 n;
	int			 r;

	s->ndone = 0;
	s->nsearch = 0;
	s->nsizes = 0;
	s->nwant = 0;
	s->stray_logged = 0;
	s->labels_dropped_logged = 0;
	if ((r = imap_folder_select(s, folder, a->keep && !a->only_unseen &&
	    a->rules == NULL)) != 0)
		return r == 1 ? 0 : -1;	/* 1: unchanged, nothing to do */
	if (pipeline_folder_begin(s->pl, folder, s->uidvalidity) == -1) {
		s->pipeline_failed = 1;
		return -1;
	}
	/* CONDSTORE: only what changed since the last round, if it can */
	if ((r = imap_sync_changed(s)) == -1)
		return -1;
	if (r == 0 && s->exists > 0 && imap_cmd(s, "UID SEARCH %s",
	    a->only_unseen ? "UNSEEN" : "ALL") == -1)
		return -1;
	if (uids_new(s, &n) == -1)
		return -1;
	if (n > 0 && sizes_check(s, s->search, &n) == -1)
		return -1;
	if (n > 0 && (s->caps & CAP_XGM) &&
	    imap_gm_dedupe(s, s->search, &n) == -1)
		return -1;
	if (n > s->got_cap) {
		unsigned char *g;

		if ((g = realloc(s->got, n)) == NULL) {
			snprintf(s->err, sizeof(s->err), "out of memory");
			return -1;
		}
		s->got = g;
		s->got_cap = n;
	}
	if (n > 0)
		memset(s->got, 0, n);
	s->nwant = n;
	pipeline_set_committed(s->pl, on_committed, s);
	pipeline_set_total(s->pl, n);
	s->collect = COLLECT_BODIES;
	if (n > 0 && imap_uid_command(s, "UID FETCH", body_items(s),
	    s->search, n) == -1) {
		s->collect = COLLECT_NONE;
		/*
		 * Stopping: commit what is in hand and hang up mid-response;
		 * the rest stays on the server, unflagged, for the next run.
		 * Otherwise what was delivered before the failure still gets
		 * its flags.
		 */
		if (s->stopping)
			return pipeline_flush(s->pl);
		if (!s->pipeline_failed && pipeline_flush(s->pl) == 0 &&
		    !s->broken && !s->bye)
			(void)imap_flags_apply(s);
		return -1;
	}
	s->collect = COLLECT_NONE;
	if (pipeline_flush(s->pl) == -1) {
		s->pipeline_failed = 1;
		return -1;
	}
	if (imap_flags_apply(s) == -1 || imap_server_ops_apply(s) == -1)
		return -1;
	return imap_sync_record(s);
}

/*
 * Microsoft 365 / Exchange accepts the login, then answers every command
 * "BAD User is authenticated but not connected." (and soon BYE): the
 * mailbox has IMAP disabled, the login or OAuth app has no access to it,
 * or the service refuses a client that connects too often.  Sending the
 * next folder's commands only hammers it: the round ends here, with an
 * error that says so, and the scheduler's backoff decides when to retry.
 */
static int
not_connected(struct imap *s)
{
	if (strstr(s->err, "User is authenticated but not connected") == NULL)
		return 0;
	snprintf(s->err, sizeof(s->err), "the server accepted the login but "
	    "cannot open the mailbox (Microsoft 365/Exchange answered \"User "
	    "is authenticated but not connected\"): IMAP may be disabled for "
	    "this mailbox, the user (or the OAuth application) may lack access "
	    "to it, or the server refuses clients that connect too often; no "
	    "more commands this round, retried later with backoff");
	return 1;
}

static const struct imap_round imap_round = {
	imap_folder_select,
	imap_folder_fetch,
	imap_folder_name
};

/*
 * folders = { '\Archive', 'Archives 2026' } names one server folder
 * twice, under two state keys: it would be delivered twice.  Only a
 * list with a SPECIAL-USE name is looked at (no round trip otherwise);
 * a name that cannot be mapped is left for its own fetch to report.
 */
static int
folder_listed_before(struct imap *s, size_t i)
{
	const struct account	*a = s->acct;
	char			 name[IMAP_FOLDER_MAX + 1];
	char			 other[IMAP_FOLDER_MAX + 1];
	char			 q[4 * IMAP_FOLDER_MAX];
	size_t			 j;
	int			 special = 0, same = 0;

	for (j = 0; j <= i; j++)
		special |= imap_special_is(a->folders[j]);
	if (!special || imap_folder_name(s, a->folders[i], name,
	    sizeof(name), q, sizeof(q)) == -1) {
		s->err[0] = '\0';
		return 0;
	}
	for (j = 0; j < i && !same; j++)
		same = imap_folder_name(s, a->folders[j], other,
		    sizeof(other), q, sizeof(q)) == 0 &&
		    strcmp(name, other) == 0;
	s->err[0] = '\0';
	if (same)
		log_warn("%s: folder %s is \"%s\", listed before as %s: "
		    "fetched once, as %s", a->name, a->folders[i], name,
		    a->folders[j - 1], a->folders[j - 1]);
	return same;
}

int
imap_fetch(const struct account *acct, struct pipeline *pl)
{
	struct imap	 s;
	size_t		 i;
	int		 rv = -1, failed = 0;

	imap_session_init(&s, acct, pl);
	s.fetch_response = imap_fetch_response;
	s.untagged_extra = imap_sync_untagged;	/* imap-sync.c */
	s.code_extra = imap_sync_resp_code;
	if (imap_session_start(&s) == -1 || imap_compress_start(&s) == -1 ||
	    imap_sync_enable(&s) == -1)
		goto out;
	for (i = 0; i < acct->nfolders && !stop_requested(); i++) {
		if (folder_listed_before(&s, i))
			continue;
		if (imap_folder_fetch(&s, acct->folders[i]) == 0 && !s.stopping)
			continue;
		if (s.stopping) {
			rv = failed ? -1 : 0;
			goto out;	/* mid-response: no LOGOUT possible */
		}
		if (s.pipeline_failed || s.bye)
			goto out;
		if (not_connected(&s)) {
			log_error("%s: %s:%s: %s", acct->name, acct->ep.host,
			    acct->ep.port, s.err);
			s.err[0] = '\0';
			failed = 1;
			break;	/* LOGOUT, nothing more */
		}
		log_error("%s: folder %s: %s", acct->name, acct->folders[i],
		    s.err);
		failed = 1;
		s.err[0] = '\0';
		if (s.broken)
			goto out;	/* out of step: not one command more */
	}
	if (acct->idle && !failed && !stop_requested() &&
	    imap_idle(&s, &imap_round) == -1) {
		if (s.stopping && !s.pipeline_failed)
			rv = 0;
		goto out;
	}
	if (!s.stopping && !s.broken)
		(void)imap_cmd(&s, "LOGOUT");
	rv = failed || s.substituted ? -1 : 0;
out:
	if (rv == -1 && s.err[0] != '\0')
		log_error("%s: %s:%s: %s", acct->name, acct->ep.host,
		    acct->ep.port, s.err);
	imap_session_free(&s);
	return rv;
}

const struct source source_imap = {
	ACCT_IMAP, "imap",
	SOURCE_SERVER | SOURCE_FOLDERS | SOURCE_FLAGS | SOURCE_DELETE,
	imap_fetch
};

/* SPDX-License-Identifier: ISC */
/*
 * imap-ops.c - what mailsift changes at the IMAP server, for messages
 * the pipeline reported as committed: \Seen and \Deleted with an
 * expunge of only ours (imap_flags_apply), and the rules' moves, copies,
 * flags, labels and deletions (server_ops_apply), creating a missing
 * target folder.  Also the helpers the round (imap-fetch.c) shares with
 * them: UID commands in pipelined chunks, sorted UID lists, and a
 * folder's server and wire name after NAMESPACE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/source/imap.h"
#include "daemon/source/imap-int.h"
#include "daemon/source/imap-special.h"
#include "daemon/util/guard.h"
#include "daemon/util/log.h"
#include "daemon/util/stop.h"
#include "daemon/store/serverops.h"

/* UIDs per UID FETCH command, and commands in flight. */
#define FETCH_CHUNK	200
#define FETCH_AHEAD	2

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

size_t
imap_uids_sort_unique(uint32_t *v, size_t n)
{
	size_t	 i, o = 0;

	if (n > 1)	/* v may be NULL when n is 0: qsort's UB */
		qsort(v, n, sizeof(*v), uid_cmp);
	for (i = 0; i < n; i++)
		if (o == 0 || v[o - 1] != v[i])
			v[o++] = v[i];
	return o;
}

/* Index of uid in the sorted v[0..n), or -1. */
long
imap_uid_find(const uint32_t *v, size_t n, uint32_t uid)
{
	size_t	 lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid] == uid)
			return (long)mid;
		if (v[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Ask the server's namespace once, when a folder other than INBOX is
 * first named: NAMESPACE, else the delimiter of LIST "" "". */
static int
ns_discover(struct imap *s)
{
	if (s->ns.known)
		return 0;
	if ((s->caps & CAP_NAMESPACE) && imap_cmd(s, "NAMESPACE") == -1 &&
	    (s->bye || s->broken))
		return -1;
	if (!s->ns.known && imap_cmd(s, "LIST \"\" \"\"") == -1)
		return -1;
	/* a server that answers neither: names go as written */
	if (!s->ns.known) {
		s->ns.delim = '/';
		s->ns.known = 1;
	}
	return 0;
}

/* The server name (UTF-8) and quoted wire name of a folder written
 * with '/'; -1 with the reason in s->err. */
int
imap_folder_name(struct imap *s, const char *name, char *server,
    size_t serverlen, char *wire, size_t wirelen)
{
	/* \Junk: the folder the server marks so (imap-special.c) */
	if (imap_special_is(name))
		return imap_special_resolve(s, name, server, serverlen, wire,
		    wirelen);
	if (strcasecmp(name, "INBOX") != 0 && ns_discover(s) == -1)
		return -1;
	if (imap_folder_map(&s->ns, name, server, serverlen, s->err,
	    sizeof(s->err)) == -1)
		return -1;
	if (imap_folder_quote(s, server, wire, wirelen) == -1) {
		snprintf(s->err, sizeof(s->err), "folder name too long");
		return -1;
	}
	return 0;
}

/* Run a UID command over uids[0..n), in chunks, FETCH_AHEAD in flight. */
int
imap_uid_command(struct imap *s, const char *pre, const char *post,
    const uint32_t *uids, size_t n)
{
	char	 set[4096], tags[FETCH_AHEAD][16];
	size_t	 at = 0, next, sent = 0, waited = 0, lim;

	while (waited < sent || at < n) {
		while (at < n && sent - waited < FETCH_AHEAD &&
		    !s->pipeline_failed && !stop_requested()) {
			lim = n - at > FETCH_CHUNK ? at + FETCH_CHUNK : n;
			next = imap_uidset(uids, at, lim, set, sizeof(set));
			if (imap_send(s, tags[sent % FETCH_AHEAD], 16,
			    "%s %s%s", pre, set, post) == -1)
				return -1;
			sent++;
			at = next;
		}
		if (waited == sent)
			break;	/* stopping: nothing in flight */
		if (imap_wait_done(s, tags[waited % FETCH_AHEAD]) == -1)
			return -1;
		waited++;
	}
	return s->pipeline_failed ? -1 : 0;
}

/*
 * Expunge our uids[0..n) (sorted, marked \Deleted).  UID EXPUNGE
 * (UIDPLUS, RFC 4315) removes just them.  A plain EXPUNGE removes every
 * message marked \Deleted, another client's too (Exchange without
 * UIDPLUS, older servers): it is sent only when UID SEARCH DELETED finds
 * no message but ours.  Else ours stay marked \Deleted (most clients
 * hide them; the next EXPUNGE removes them): they are recorded, so
 * never fetched again.
 */
static int
expunge_ours(struct imap *s, const uint32_t *uids, size_t n)
{
	size_t	 i;

	if (s->caps & CAP_UIDPLUS)
		return imap_uid_command(s, "UID EXPUNGE", "", uids, n);
	s->nsearch = 0;
	if (imap_cmd(s, "UID SEARCH DELETED") == -1)
		return -1;
	for (i = 0; i < s->nsearch; i++) {
		if (imap_uid_find(uids, n, s->search[i]) != -1)
			continue;
		if (!s->expunge_noted)
			log_warn("%s: folder %s: the server lacks UIDPLUS and "
			    "UID %u is marked \\Deleted by another client: "
			    "an EXPUNGE would remove it too, so mailsift's "
			    "deleted and moved messages stay marked \\Deleted "
			    "until a client expunges the folder",
			    s->acct->name, s->folder, s->search[i]);
		s->expunge_noted = 1;
		return 0;
	}
	return imap_cmd(s, "EXPUNGE");
}

int
imap_flags_apply(struct imap *s)
{
	const struct account	*a = s->acct;
	size_t			 n;

	if (s->ndone == 0)
		return 0;
	/* the lease went: recorded, so the next holder knows them (and
	 * deletes them with keep = no) */
	if (!guard_ok()) {
		log_warn("%s: folder %s: flags for %zu messages not set: the "
		    "account's lease is lost or given back", a->name,
		    s->folder, s->ndone);
		s->ndone = 0;
		return 0;
	}
	n = imap_uids_sort_unique(s->done, s->ndone);
	if (a->only_unseen && imap_uid_command(s, "UID STORE", " +FLAGS.SILENT "
	    "(\\Seen)", s->done, n) == -1)
		return -1;
	if (!a->keep) {
		if (imap_uid_command(s, "UID STORE", " +FLAGS.SILENT (\\Deleted)",
		    s->done, n) == -1)
			return -1;
		if (expunge_ours(s, s->done, n) == -1)
			return -1;
	}
	s->ndone = 0;
	return 0;
}

/* CREATE a server name (and SUBSCRIBE it); if the server wants the
 * parents first, create them, top down, and try again. */
int
imap_folder_create(struct imap *s, const char *server, const char *q)
{
	char	 part[IMAP_FOLDER_MAX + 1], pq[4 * IMAP_FOLDER_MAX];
	size_t	 plen = strlen(s->ns.prefix), i;

	if (imap_cmd(s, "CREATE %s", q) == 0)
		goto created;
	if (s->bye || s->broken || s->ns.delim == '\0')
		return -1;
	/* the prefix's own levels are the server's; a raw name may lack it */
	if (strncmp(server, s->ns.prefix, plen) != 0)
		plen = 0;
	for (i = plen; server[i] != '\0'; i++) {
		if (server[i] != s->ns.delim || i >= sizeof(part))
			continue;
		memcpy(part, server, i);
		part[i] = '\0';
		/* one that exists already answers NO: that is fine */
		if (imap_folder_quote(s, part, pq, sizeof(pq)) == 0 &&
		    imap_cmd(s, "CREATE %s", pq) == -1 &&
		    (s->bye || s->broken))
			return -1;
	}
	if (imap_cmd(s, "CREATE %s", q) == -1)
		return -1;
created:
	(void)imap_cmd(s, "SUBSCRIBE %s", q);
	return 0;
}

/* The error of a transfer to a folder that could not be made: it says
 * which name went, under which namespace. */
static void
folder_err_ns(struct imap *s, const char *to, const char *server)
{
	char	 why[sizeof(s->err)];

	snprintf(why, sizeof(why), "%s", s->err);
	/* the server's reason comes last: cut short if it must */
	if (snprintf(s->err, sizeof(s->err), "folder %s: not there and "
	    "could not be created: sent as \"%s\" (the server's personal "
	    "namespace prefix \"%s\", hierarchy delimiter \"%c\"; write "
	    "levels with '/', or give the server's own name): %s", to, server,
	    s->ns.prefix, s->ns.delim == '\0' ? ' ' : s->ns.delim, why) < 0)
		s->err[0] = '\0';
}

/* COPY or MOVE one UID to folder (written with '/'), creating it if the
 * server says it is missing. */
static int
op_transfer(struct imap *s, const char *cmd, uint32_t uid, const char *to)
{
	char	 server[IMAP_FOLDER_MAX + 1], q[4 * IMAP_FOLDER_MAX];

	if (imap_folder_name(s, to, server, sizeof(server), q,
	    sizeof(q)) == -1)
		return -1;
	if (imap_cmd(s, "UID %s %u %s", cmd, uid, q) == 0)
		return 0;
	/* a marked folder exists: it is never created */
	if (!imap_folder_missing(s->err) || s->bye || s->broken ||
	    imap_special_is(to))
		return -1;
	if (imap_folder_create(s, server, q) == -1 ||
	    imap_cmd(s, "UID %s %u %s", cmd, uid, q) == -1) {
		if (!s->bye && !s->broken)
			folder_err_ns(s, to, server);
		return -1;
	}
	return 0;
}

static int
op_remove(struct imap *s, uint32_t uid)
{
	if (imap_cmd(s, "UID STORE %u +FLAGS.SILENT (\\Deleted)", uid) == -1)
		return -1;
	return expunge_ours(s, &uid, 1);
}

/* Gmail: a delete in a label folder only takes the label off; the
 * user's delete is a move to the folder marked \Trash. */
static int
op_trash(struct imap *s, uint32_t uid)
{
	if (s->caps & CAP_MOVE)
		return op_transfer(s, "MOVE", uid, "\\Trash");
	if (op_transfer(s, "COPY", uid, "\\Trash") == -1)
		return -1;
	return op_remove(s, uid);
}

static int
op_apply(struct imap *s, const struct server_op *op)
{
	if (strcmp(op->action, "label") == 0 ||
	    strcmp(op->action, "unlabel") == 0)
		return imap_gm_label(s, op->uid, op->action[0] == 'l',
		    op->arg);
	if (strcmp(op->action, "delete") == 0 && (s->caps & CAP_XGM))
		return op_trash(s, op->uid);
	if (strcmp(op->action, "flag") == 0)
		return imap_cmd(s, "UID STORE %u +FLAGS.SILENT (%s)", op->uid,
		    op->arg);
	if (strcmp(op->action, "copy") == 0)
		return op_transfer(s, "COPY", op->uid, op->arg);
	if (strcmp(op->action, "move") == 0) {
		if (s->caps & CAP_MOVE)
			return op_transfer(s, "MOVE", op->uid, op->arg);
		if (op_transfer(s, "COPY", op->uid, op->arg) == -1)
			return -1;
		return op_remove(s, op->uid);
	}
	if (strcmp(op->action, "delete") == 0)
		return op_remove(s, op->uid);
	snprintf(s->err, sizeof(s->err), "unknown server action %s",
	    op->action);
	return -1;
}

/*
 * The rules' moves, copies, flags and deletions for this folder, for
 * messages now recorded.  One that fails stays for the next round; a
 * UID already gone makes the server answer OK with nothing done.
 */
int
imap_server_ops_apply(struct imap *s)
{
	struct server_op	*v;
	size_t			 n, i;
	int			 rv = 0;

	if (pipeline_server_ops(s->pl, s->folder, s->uidvalidity, &v,
	    &n) == -1)
		return -1;
	for (i = 0; i < n && !s->bye && !s->broken; i++) {
		/* left in the store for the lease's next holder */
		if (!guard_ok()) {
			log_warn("%s: folder %s: %zu server actions left to "
			    "the next holder: the account's lease is lost or "
			    "given back", s->acct->name, s->folder, n - i);
			break;
		}
		if (op_apply(s, &v[i]) == -1) {
			log_error("%s: folder %s UID %u: %s %s: %s",
			    s->acct->name, s->folder, v[i].uid, v[i].action,
			    v[i].arg, s->err);
			rv = -1;
			continue;
		}
		log_info("%s: folder %s UID %u: %s %s", s->acct->name,
		    s->folder, v[i].uid, v[i].action, v[i].arg);
		if (pipeline_server_op_done(s->pl, v[i].id) == -1)
			rv = -1;
	}
	pipeline_server_ops_free(v, n);
	return rv;
}

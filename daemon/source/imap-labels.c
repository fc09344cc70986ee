/* SPDX-License-Identifier: ISC */
/*
 * imap-labels.c - what a Gmail round adds (X-GM-EXT-1, see
 * https://developers.google.com/gmail/imap/imap-extensions): the same
 * message through several label folders is fetched once (X-GM-MSGID),
 * the rules' labels go to the server with STORE +/-X-GM-LABELS, and the
 * folder of a SPECIAL-USE attribute (RFC 6154) is found with LIST for
 * Gmail's delete, a move to \Trash
 * (https://support.google.com/mail/answer/77657: deleting in a label
 * folder only takes the label off, in INBOX it archives; the message
 * stays in All Mail).
 * Called by imap-fetch.c; the wire syntax is imap-gmail.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/source/imap-gmail.h"
#include "daemon/source/imap-int.h"
#include "daemon/util/log.h"

/* The X-GM-MSGID the size pass saw for uid, or 0. */
static uint64_t
msgid_of(const struct imap *s, uint32_t uid, uint64_t *size)
{
	size_t	 lo = 0, hi = s->nsizes, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->sizes[mid].uid == uid) {
			*size = s->sizes[mid].size;
			return s->sizes[mid].gm_msgid;
		}
		if (s->sizes[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int
imap_gm_dedupe(struct imap *s, uint32_t *uids, size_t *n)
{
	struct fetch_key k;
	uint64_t	*ids, *sizes;
	unsigned char	*known;
	size_t		 i, o = 0;
	int		 rv = -1;

	if (*n == 0)
		return 0;
	ids = calloc(*n, sizeof(*ids));
	sizes = calloc(*n, sizeof(*sizes));
	known = calloc(*n, 1);
	if (ids == NULL || sizes == NULL || known == NULL) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		goto out;
	}
	for (i = 0; i < *n; i++)
		ids[i] = msgid_of(s, uids[i], &sizes[i]);
	if (pipeline_known_msgids(s->pl, ids, *n, known) == -1) {
		s->pipeline_failed = 1;
		goto out;
	}
	memset(&k, 0, sizeof(k));
	k.folder = s->folder;
	k.uidvalidity = s->uidvalidity;
	for (i = 0; i < *n; i++) {
		if (ids[i] == 0 || !known[i]) {
			uids[o++] = uids[i];
			continue;
		}
		k.uid = uids[i];
		k.gm_msgid = ids[i];
		log_info("%s: folder %s UID %u: the same message (X-GM-MSGID "
		    "%llu) came through another folder: not fetched again",
		    s->acct->name, s->folder, uids[i],
		    (unsigned long long)ids[i]);
		if (pipeline_duplicate_msgid(s->pl, &k, sizes[i]) == -1) {
			s->pipeline_failed = 1;
			goto out;
		}
	}
	*n = o;
	rv = 0;
out:
	free(ids);
	free(sizes);
	free(known);
	return rv;
}

int
imap_gm_label(struct imap *s, uint32_t uid, int add, const char *label)
{
	char	 w[4 * IMAP_FOLDER_MAX];

	if (!(s->caps & CAP_XGM)) {
		snprintf(s->err, sizeof(s->err), "the server has no labels "
		    "(it does not offer Gmail's X-GM-EXT-1): use flag or copy");
		return -1;
	}
	if (gm_label_wire(label, s->utf8_accept, w, sizeof(w)) == -1) {
		snprintf(s->err, sizeof(s->err), "label cannot be sent");
		return -1;
	}
	return imap_cmd(s, "UID STORE %u %cX-GM-LABELS (%s)", uid,
	    add ? '+' : '-', w);
}

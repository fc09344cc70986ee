/* SPDX-License-Identifier: ISC */
/*
 * imap-sync.h - fast incremental sync where the server helps: CONDSTORE
 * and QRESYNC (RFC 7162), for the IMAP source's round (imap-fetch.c) and,
 * through the hooks the round sets, its session (imap.c).  Not for other
 * callers.
 *
 * A folder's sync point (UIDVALIDITY, HIGHESTMODSEQ and UIDNEXT as the
 * SELECT reported them) is recorded in the state after a round went
 * through the folder completely.  The next round asks STATUS first and
 * skips the folder if none of the three moved; otherwise it SELECTs
 * (with QRESYNC: VANISHED and changed FETCHes come with it) and looks
 * only at the messages changed since the point: UID FETCH 1:* (UID FLAGS)
 * (CHANGEDSINCE m).  New messages always have a newer mod-sequence, so
 * they are among them.  NOMODSEQ, a new UIDVALIDITY, no point, or
 * `condstore = no`: the plain UID SEARCH pass.
 */
#ifndef DAEMON_IMAP_SYNC_H
#define DAEMON_IMAP_SYNC_H

#include <stddef.h>
#include <stdint.h>

struct imap;
struct imap_scan;
struct imap_tok;

/* After imap_session_start(): ENABLE QRESYNC where offered; CONDSTORE is then on for
 * the session if the server offers it (and the account did not turn it
 * off).  A refusal is no failure.  -1 only if the session broke. */
int	imap_sync_enable(struct imap *);
/* The session's hooks (imap-int.h, imap_extra_fn): STATUS and
 * VANISHED; the response codes HIGHESTMODSEQ, NOMODSEQ and UIDNEXT. */
int	imap_sync_untagged(struct imap *, const struct imap_tok *,
	    struct imap_scan *);
/* Before SELECT: load the folder's sync point and, when it can be
 * trusted and the folder is not the selected one, ask STATUS.  1 if
 * nothing changed (skip the folder), 0 to go on, -1 on error (s->err). */
int	imap_sync_unchanged(struct imap *, const char *folder,
	    const char *wire);
/* What follows the name in SELECT/EXAMINE: "", " (CONDSTORE)" or
 * " (QRESYNC (uidvalidity modseq))"; clears the figures the SELECT
 * brings, and collects its changed FETCHes under QRESYNC. */
void	imap_sync_select_args(struct imap *, char *, size_t);
/* Right after SELECT (it takes the SELECT's figures as the point to
 * record): 1 if s->search now holds every UID changed since the
 * sync point (none if HIGHESTMODSEQ did not move), 0 if the folder needs
 * the plain UID SEARCH, -1 on error. */
int	imap_sync_changed(struct imap *);
/* A UID in the CHANGEDSINCE answer: a candidate unless only unseen
 * messages are wanted and it has \Seen. */
int	imap_sync_candidate(struct imap *, uint32_t uid, int have_flags,
	    int seen);
/* The folder went through completely: record the SELECT's point (or
 * drop the old one under NOMODSEQ). */
int	imap_sync_record(struct imap *);

/* Response parts.  A response code (the token after '['): 1 if it was
 * HIGHESTMODSEQ, NOMODSEQ or UIDNEXT, taken into s (a hook, too). */
int	imap_sync_resp_code(struct imap *, const struct imap_tok *,
	    struct imap_scan *);
/* "* STATUS name (...)" and "* VANISHED [(EARLIER)] uid-set", the
 * scanner after the keyword; -1 on a malformed response. */
int	imap_sync_status(struct imap *, struct imap_scan *);
int	imap_sync_vanished(struct imap *, struct imap_scan *);

/* Pure parsers, for the tests (imap_modseq_parse() is imap-resp.h's). */
/* A FLAGS list, the scanner after its '(': *seen if \Seen is in it. */
int	imap_flags_seen(struct imap_scan *, int *seen);
/* VANISHED's arguments: *earlier for "(EARLIER)", *count the UIDs the
 * set names (ranges counted, never expanded; saturates).  Anything but
 * nz-numbers, ':' and ',' is refused. */
int	imap_vanished_parse(struct imap_scan *, int *earlier,
	    uint64_t *count);
int	imap_uidset_count(const char *, size_t, uint64_t *count);

#endif

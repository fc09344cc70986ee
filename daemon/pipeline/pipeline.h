/* SPDX-License-Identifier: ISC */
/*
 * pipeline.h - daemon/pipeline/: the per-message path between a mail
 * source and delivery.
 *
 * Owns the path every fetched message takes, in this order: a source
 * (daemon/source/) hands it over with pipeline_add(); the rules are
 * evaluated and the plan carried out (daemon/act/, which returns the
 * deliveries it decided on); those deliveries (or the account's deliver
 * target when there are no rules) are staged into the current batch;
 * the batch is committed every so many messages or bytes and at
 * pipeline_flush() (daemon/deliver/: files flushed and made visible,
 * state recorded, as one group commit); only then does the source hear,
 * through its `committed` callback, which messages are safe to flag or
 * delete on the server.  A source never deletes anything it has not seen
 * through that callback.  It also answers the sources' questions about
 * the state store (which messages are known, UIDVALIDITY changes, server
 * actions due), so sources need not talk to it.
 *
 * Never: talks to a server, parses a protocol, or carries out an action
 * itself.  Depends on daemon/act, daemon/deliver, daemon/store,
 * daemon/conf, daemon/metrics, daemon/util and rules/; nothing below it
 * calls back up.
 */
#ifndef DAEMON_PIPELINE_H
#define DAEMON_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/conf/conf.h"

struct state;
struct pipeline;

/* Identity of a message at its source. */
struct fetch_key {
	const char	*folder;	/* IMAP folder; "" otherwise */
	uint32_t	 uidvalidity;	/* IMAP */
	uint32_t	 uid;		/* IMAP */
	const char	*uidl;		/* POP3 UIDL / local source key; or NULL */
	unsigned	 seq;		/* POP3 message number (for DELE) */
	int		 remove;	/* committed: a rule asked to delete it */
	/* Gmail (X-GM-EXT-1): its X-GM-MSGID (0: none), recorded with the
	 * message so another label folder does not bring it again, and its
	 * labels (UTF-8), for the rules' label: condition */
	uint64_t	 gm_msgid;
	const char *const *labels;
	size_t		 nlabels;
	/* IMAP, when pipeline_keeps_meta(): its FLAGS (NULL: not known)
	 * and INTERNALDATE (0: not known), for an imap: APPEND */
	const char	*flags;
	int64_t		 date;
	long		 zone;		/* seconds east of UTC */
};

/* Called for each message once it is durably delivered and recorded. */
typedef void	(*fetch_committed_fn)(void *ctx, const struct fetch_key *);

/* Counters for the one log line per account per round. */
struct fetch_stats {
	size_t		 fetched;
	size_t		 delivered;
	size_t		 skipped;	/* oversized, or already delivered */
	size_t		 errors;
	uint64_t	 bytes;
};

struct rule_set;
/* rules (may be NULL) is the account's rule set; it must outlive the
 * pipeline.  With dry_run, each message's plan (or target) is logged and
 * nothing is delivered, carried out or recorded. */
struct pipeline	*pipeline_new(const struct config *, const struct account *,
		    const struct rule_set *rules, struct state *, int dry_run,
		    char *err, size_t errlen);
void		 pipeline_free(struct pipeline *);
void		 pipeline_set_committed(struct pipeline *, fetch_committed_fn,
		    void *ctx);
/* The source has server folders (source.h, SOURCE_FOLDERS): move and
 * copy go there and flag and delete are server ops done after the
 * commit.  Off (the default): move and copy file into Maildir++ folders
 * of the target, delete is the committed key's remove. */
void		 pipeline_set_server_folders(struct pipeline *, int on);
/* Hand over a message (raw bytes as received, CRLF or LF; the pipeline
 * may modify data in place).  Returns 0, or -1 if delivery failed: the
 * error is logged, nothing of the failed batch is recorded, and the
 * source must stop this round (and must not delete anything). */
int		 pipeline_add(struct pipeline *, const struct fetch_key *,
		    char *data, size_t len);
/* A message over max-size: record it as skipped, never fetch it again. */
int		 pipeline_skip(struct pipeline *, const struct fetch_key *,
		    uint64_t size);
/* Commit what is staged; 0, or -1 as for pipeline_add. */
int		 pipeline_flush(struct pipeline *);
struct fetch_stats *pipeline_stats(struct pipeline *);
/* How many messages the source is about to fetch: on a terminal, a long
 * first sync shows a progress line. */
void		 pipeline_set_total(struct pipeline *, size_t);
/* The configured max-size: larger messages are skipped, not fetched. */
uint64_t	 pipeline_max_size(const struct pipeline *);
/* 1 if the account's target keeps a message's flags and date (imap:):
 * the source then fetches them into the key. */
int		 pipeline_keeps_meta(const struct pipeline *);
/* The source starts (on) or stops waiting in IMAP IDLE: for the live
 * counters and the account's phase in the store (`mailsift status`). */
void		 pipeline_idle(struct pipeline *, int on);

/* What the state store knows, so sources need not talk to it.  known[i]
 * is 0 for a new message, 1 for one delivered before (a source that does
 * not keep mail may delete it), 2 for one known but not surely delivered
 * (skipped as too large, or in doubt after a crash): never fetch it,
 * never delete it. */
int		 pipeline_known_uidls(struct pipeline *, const char *const *uidls,
		    size_t n, unsigned char *known);
int		 pipeline_known_uids(struct pipeline *, const char *folder,
		    uint32_t uidvalidity, const uint32_t *uids, size_t n,
		    unsigned char *known);
/* IMAP: start on a folder.  If its UIDVALIDITY changed, the old state is
 * set aside (kept, logged) and the folder is fetched from scratch, with
 * messages already delivered recognised by Message-ID, size and hash. */
int		 pipeline_folder_begin(struct pipeline *, const char *folder,
		    uint32_t uidvalidity);

/* IMAP with CONDSTORE: the folder's sync point (state.h, struct
 * state_sync), 1 if known, 0 if not, -1 on error (logged); a source sets
 * it only after a round went through the folder completely (sync NULL
 * drops it).  Dry runs record nothing. */
struct state_sync;
int		 pipeline_folder_sync(struct pipeline *, const char *folder,
		    struct state_sync *);
int		 pipeline_folder_sync_set(struct pipeline *,
		    const char *folder, const struct state_sync *);
/* Gmail: known[i] = 1 if ids[i] (X-GM-MSGID) was delivered or filed
 * through any folder of the account. */
int		 pipeline_known_msgids(struct pipeline *, const uint64_t *ids,
		    size_t n, unsigned char *known);
/* Gmail: k (with its gm_msgid) is a message already delivered through
 * another folder: record it as such, never fetch it here. */
int		 pipeline_duplicate_msgid(struct pipeline *,
		    const struct fetch_key *, uint64_t size);

/* Server-side actions the rules asked for (serverops.h), ready to carry
 * out because their messages are recorded; IMAP sources do them after
 * each folder's commit and report each one done. */
struct server_op;
int		 pipeline_server_ops(struct pipeline *, const char *folder,
		    uint32_t uidvalidity, struct server_op **, size_t *n);
void		 pipeline_server_ops_free(struct server_op *, size_t n);
int		 pipeline_server_op_done(struct pipeline *, int64_t id);

#endif

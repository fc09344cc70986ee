/* SPDX-License-Identifier: ISC */
/*
 * imap-int.h - what the IMAP source's files share: imap.c (the
 * session: connect, TLS, capabilities, login, commands, the response
 * loop), imap-fetch.c (the round: folders, new messages, bodies, IDLE)
 * and imap-ops.c (flags and server ops after the commit).  Not for
 * other callers (imap.h is).
 *
 * The client speaks IMAP4rev1 and works with IMAP4rev2 servers.  Every
 * read goes through imap_wait(), which handles any untagged response at
 * any time (EXISTS, EXPUNGE, unsolicited FETCH, BYE...), so an odd server
 * reply lands in one place.
 */
#ifndef DAEMON_IMAP_INT_H
#define DAEMON_IMAP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/conf/conf.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/source/imap-folder.h"
#include "daemon/source/imap-resp.h"
#include "daemon/source/imap-special-list.h"
#include "daemon/store/state.h"

#define CAP_IMAP4REV1	0x0001
#define CAP_STARTTLS	0x0002
#define CAP_LOGINDIS	0x0004
#define CAP_AUTH_PLAIN	0x0008
#define CAP_AUTH_XOAUTH2 0x0010
#define CAP_AUTH_OAUTHB	0x0020
#define CAP_SASL_IR	0x0040
#define CAP_LITERALPLUS	0x0080
#define CAP_UIDPLUS	0x0100
#define CAP_MOVE	0x0200
#define CAP_IDLE	0x0400
#define CAP_IMAP4REV2	0x0800
#define CAP_AUTH_LOGIN	0x1000
#define CAP_ENABLE	0x2000
#define CAP_UTF8_ACCEPT	0x4000
#define CAP_NAMESPACE	0x10000
#define CAP_NOTIFY	0x100000
#define CAP_COMPRESS	0x200000	/* COMPRESS=DEFLATE (RFC 4978) */
#define CAP_SPECIAL_USE	0x400000
#define CAP_CONDSTORE	0x20000
#define CAP_QRESYNC	0x40000
#define CAP_XGM		0x800000	/* Gmail's X-GM-EXT-1 (imap-labels.c) */
#define CAP_LITERALMINUS 0x1000000	/* RFC 7888: LITERAL+ up to 4096 */
#define CAP_MULTIAPPEND	0x2000000	/* RFC 3502 (imap-dest.c) */

/* What untagged FETCH responses are collected for. */
enum imap_collect {
	COLLECT_NONE,
	COLLECT_SIZES,
	COLLECT_BODIES,
	COLLECT_CHANGED		/* UIDs of CHANGEDSINCE, into search */
};

struct imap_size {
	uint32_t	 uid;
	uint64_t	 size;
	uint64_t	 gm_msgid;	/* X-GM-MSGID, 0 if none */
};

struct imap;
/* An untagged "n FETCH (...)": the session hands it to the round. */
typedef int	(*imap_fetch_fn)(struct imap *, struct imap_scan *);
/* An untagged "STATUS ...", the scanner past the word (NOTIFY's news
 * of another folder while idling, imap-idle.c). */
typedef int	(*imap_status_fn)(struct imap *, struct imap_scan *);
/* An untagged response, or a response code, the session does not know,
 * t its keyword, sc after it: 1 if taken, 0 if not, -1 if malformed. */
typedef int	(*imap_extra_fn)(struct imap *, const struct imap_tok *,
		    struct imap_scan *);

struct imap {
	const struct account	*acct;
	struct pipeline		*pl;
	struct conn		*c;
	unsigned		 tagn;
	unsigned		 caps;
	int			 bye;
	/* LOGOUT sent: its BYE is the expected answer, not an error */
	int			 logout;
	/* ENABLED UTF8=ACCEPT (RFC 6855): messages come as stored, and
	 * folder names are UTF-8, not modified UTF-7 */
	int			 utf8_accept;
	int			 substituted;	/* a notice was refused */
	/* No UIDPLUS and another client's \Deleted messages in the folder:
	 * ours were left marked, not expunged (said once a session) */
	int			 expunge_noted;
	/* The stream is out of step (a literal refused unread, a stray
	 * continuation request): not one byte more is sent, no LOGOUT. */
	int			 broken;
	uint64_t		 max_literal;
	struct imap_resp	 r;
	char			 err[512];

	/* the selected folder */
	const char		*folder;
	uint32_t		 uidvalidity;
	uint32_t		 exists;
	int			 exists_changed;

	/* collected from untagged responses; FETCH ones go to the round's
	 * fetch_response (none set: ignored) */
	imap_fetch_fn		 fetch_response;
	imap_status_fn		 status_response;	/* none set: ignored */
	void			*status_ctx;
	/* the rest the session does not know (imap-sync.c's, set by the
	 * round): STATUS and VANISHED; HIGHESTMODSEQ, NOMODSEQ, UIDNEXT */
	imap_extra_fn		 untagged_extra;
	imap_extra_fn		 code_extra;
	enum imap_collect	 collect;
	uint32_t		*search;
	size_t			 nsearch, search_cap;
	struct imap_size	*sizes;		/* sorted after the size pass */
	size_t			 nsizes, sizes_cap;
	/* The body pass asked for search[0..nwant) (sorted); got[i] once
	 * UID search[i] came.  Anything else the server sends is not ours. */
	size_t			 nwant;
	unsigned char		*got;
	size_t			 got_cap;
	int			 stray_logged;	/* once per folder */
	int			 pipeline_failed;
	int			 stopping;	/* stop asked mid-FETCH */

	/* folder names: the server's namespace (NAMESPACE or LIST) */
	struct imap_ns		 ns;
	/* the folders it marks \Junk, \Archive... (imap-special.c) */
	struct imap_special	 special;

	/* CONDSTORE/QRESYNC (imap-sync.c) */
	int			 condstore;	/* on for this session */
	int			 qresync;	/* ENABLED QRESYNC */
	struct state_sync	 sync;		/* the folder's stored point */
	int			 sync_known;
	/* the SELECT's; modseq 0: NOMODSEQ, or none sent */
	uint64_t		 highestmodseq;
	uint32_t		 uidnext;
	uint64_t		 select_modseq;	/* what is recorded */
	uint32_t		 select_uidnext;
	struct {
		int		 got;
		uint32_t	 uidvalidity, uidnext;
		uint64_t	 modseq;
	}			 status;	/* the last STATUS answer */
	uint64_t		 vanished;	/* UIDs, this folder */

	int			 labels_dropped_logged;	/* once per folder */

	/* committed by the pipeline: to flag or delete */
	uint32_t		*done;
	size_t			 ndone, done_cap;
};

/* Send a command (the tag is added); its tag is written to tag. */
int	imap_send(struct imap *, char *tag, size_t taglen, const char *fmt,
	    ...) __attribute__((format(printf, 4, 5)));
/* The start of a command that goes on (APPEND's literals): buffered,
 * no line end, not flushed. */
int	imap_send_begin(struct imap *, char *tag, size_t taglen,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Read until the tagged response for tag: 0 for OK, -1 otherwise (the
 * reason in s->err).  A "+" continuation returns 1. */
int	imap_wait(struct imap *, const char *tag);
/* imap_wait for a command that takes no continuation: a "+" is an
 * error that breaks the session. */
int	imap_wait_done(struct imap *, const char *tag);
/* imap_send + imap_wait_done. */
int	imap_cmd(struct imap *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The folder name as an IMAP quoted string: in UTF-8 once UTF8=ACCEPT
 * is enabled (RFC 6855 section 3), in modified UTF-7 before. */
int	imap_folder_quote(const struct imap *, const char *utf8, char *out,
	    size_t outlen);
int	imap_uids_add(uint32_t **, size_t *, size_t *, uint32_t);
/* Write a UID set ("1:5,9") of sorted uids[from..to) into out. */
size_t	imap_uidset(const uint32_t *uids, size_t from, size_t to, char *out,
	    size_t outlen);

/* imap-ops.c: after the commit, for the UIDs the pipeline reported:
 * \Seen and \Deleted (with an expunge of only ours) as the account
 * asks; the rules' server actions due in this folder.  Each 0, or -1
 * with the reason in s->err. */
int	imap_flags_apply(struct imap *);
int	imap_server_ops_apply(struct imap *);
/* Sort v[0..n) and drop repeats; the new count. */
size_t	imap_uids_sort_unique(uint32_t *v, size_t n);
/* Index of uid in the sorted v[0..n), or -1. */
long	imap_uid_find(const uint32_t *v, size_t n, uint32_t uid);
/* "pre SET post" over uids[0..n), in chunks, a few in flight. */
int	imap_uid_command(struct imap *, const char *pre, const char *post,
	    const uint32_t *uids, size_t n);
/* The server name (UTF-8) and quoted wire name of a folder written
 * with '/', asking the namespace first if need be. */
int	imap_folder_name(struct imap *, const char *name, char *server,
	    size_t serverlen, char *wire, size_t wirelen);
/* CREATE the folder (server name, quoted wire name), its parents first
 * if the server wants them; -1 with the reason in s->err. */
int	imap_folder_create(struct imap *, const char *server,
	    const char *wire);

/* imap-meta.c: a FETCH's FLAGS (after its '(') as a list fit for an
 * APPEND (\Recent and odd atoms left out), *seen if \Seen is one; an
 * INTERNALDATE string as UTC seconds and its zone.  Each 0 or -1. */
int	imap_meta_flags(struct imap_scan *, char *out, size_t outlen,
	    int *seen);
int	imap_meta_date(const struct imap_tok *, int64_t *date, long *zone);

/* COMPRESS DEFLATE after imap_session_start() when the account asks
 * and the server offers it (imap-compress.c); a server without it is
 * noted once.  -1 only when the session is unusable. */
int	imap_compress_start(struct imap *);

/* Gmail (X-GM-EXT-1, imap-labels.c).  Drop from uids[0..*n) the
 * messages whose X-GM-MSGID (from the size pass) was delivered through
 * another folder, recording them as such. */
int	imap_gm_dedupe(struct imap *, uint32_t *uids, size_t *n);
/* A rule's label or unlabel for one UID: STORE +/-X-GM-LABELS. */
int	imap_gm_label(struct imap *, uint32_t uid, int add, const char *label);

/* Read one response that must be untagged (while idling) and act on it. */
int	imap_read_untagged(struct imap *);

/* The round's steps IDLE (imap-idle.c) reuses, handed over by
 * imap-fetch.c so that IDLE never calls back into the round by name:
 * SELECT (or EXAMINE) a folder written with '/'; fetch its new messages
 * into the session's pipeline; its server name (UTF-8) and quoted wire
 * form.  Each 0, or -1 with the reason in s->err. */
struct imap_round {
	int	(*folder_select)(struct imap *, const char *folder,
		    int readonly);
	int	(*folder_fetch)(struct imap *, const char *folder);
	int	(*folder_name)(struct imap *, const char *folder,
		    char *server, size_t serverlen, char *wire,
		    size_t wirelen);
};
/* After the round, with idle on: wait for new mail in the account's
 * folders and fetch it, until a stop (0) or an error (-1, reason in
 * s->err) (imap-idle.c). */
int	imap_idle(struct imap *, const struct imap_round *);

/* A session for acct: imap_session_init() (nothing can fail), then
 * imap_session_start() (connect, greeting, TLS, login; -1 with the
 * reason in s->err), and always imap_session_free() (closes, no LOGOUT). */
void	imap_session_init(struct imap *, const struct account *,
	    struct pipeline *);
int	imap_session_start(struct imap *);
void	imap_session_free(struct imap *);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * daemon/source/ - mail sources: owns finding what is new at an
 * account's source (an IMAP or POP3 server, a Maildir, an mbox file,
 * standard input), fetching it, handing each message to the pipeline,
 * and flagging or deleting it at the source once the pipeline reported
 * it committed.  Never writes a delivery target or the state store
 * itself (the pipeline does), never installs signal handlers, never
 * calls the scheduler (stop requests come from util/stop.h).  Depends
 * on conf/ (struct account), net/ (connections), pipeline/ (pipeline.h),
 * store/ (serverops.h), util/ and rules/ (RULE_SOURCE_* flags).
 *
 * source.h - the source table: one `struct source` per account type,
 * each defined in its own file (imap-fetch.c, pop3-fetch.c,
 * local-maildir.c, local-mbox.c, local-stdin.c) and listed once in
 * source.c.  Callers never test an account's type by hand: they ask
 * source_of(acct) for its fetch and its capabilities.
 *
 * Adding a source "xyz":
 *   1. daemon/source/xyz.c: int xyz_fetch(const struct account *,
 *      struct pipeline *) (find the new messages, pipeline_add() each,
 *      act on the committed callback, stop when stop_requested()), and
 *      const struct source source_xyz = { ACCT_XYZ, "xyz", caps,
 *      xyz_fetch };
 *   2. one line in source.c's table (and its extern above it);
 *   3. conf/: ACCT_XYZ in conf.h, its name in conf.c's conf_type_names,
 *      and in conf-build.c the options that apply to it (account_scope)
 *      and its default ports if it has a server.  The configuration's
 *      checks stay there: conf/ sits below source/ and never includes it.
 */
#ifndef DAEMON_SOURCE_H
#define DAEMON_SOURCE_H

#include "daemon/conf/conf.h"

struct pipeline;

/* What a source can do; the callers' only view of its kind. */
#define SOURCE_SERVER	0x01	/* a server session: host, port, TLS, login */
#define SOURCE_PATH	0x02	/* reads a local file or directory: path */
#define SOURCE_FOLDERS	0x04	/* server folders: move and copy go there,
				 * flag and delete are server ops after the
				 * commit (else move and copy file into
				 * Maildir++ folders of the target and delete
				 * happens at the commit) */
#define SOURCE_FLAGS	0x08	/* server flags: the flag action */
#define SOURCE_DELETE	0x10	/* can delete a message at the source: the
				 * delete action, keep = no */

struct source {
	enum acct_type	 type;
	const char	*name;		/* as the configuration spells it */
	unsigned	 caps;		/* SOURCE_* */
	/* One round for one account: 0, or -1 (logged). */
	int		(*fetch)(const struct account *, struct pipeline *);
};

/* The entry for a type, or for an account's type (never NULL: every
 * type conf.h knows has one; a missing one is a fatal bug). */
const struct source	*source_find(enum acct_type);
const struct source	*source_of(const struct account *);
/* What rules for this account may not ask (RULE_SOURCE_*, rules.h), for
 * rule_set_load() and rulesets_load(). */
unsigned		 source_rule_flags(const struct account *);
/* One round: tell the pipeline what the source can do, then fetch. */
int			 source_fetch(const struct account *, struct pipeline *);

#endif

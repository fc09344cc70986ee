/* SPDX-License-Identifier: ISC */
/*
 * fetch-int.h - the pipeline's inside, for the action executor (action*.c)
 * that carries out a rule plan on its behalf.  Not for sources.
 */
#ifndef DAEMON_FETCH_INT_H
#define DAEMON_FETCH_INT_H

#include "daemon/pipeline/fetch.h"

struct rule_set;
struct state;

/* Stage data for delivery to target ("maildir:..."/"mbox:...", NULL for
 * the account's deliver) in folder (NULL: the target itself), as one of
 * the batch's messages under k.  0, or -1 (logged). */
int			 pipeline_stage(struct pipeline *, const char *target,
			    const char *folder, const struct fetch_key *k,
			    const char *data, size_t len);
/* Around the pipeline_stage() calls for one message's n deliveries:
 * they go into one batch, committed together (-1 logged). */
int			 pipeline_group_begin(struct pipeline *, size_t n);
int			 pipeline_group_end(struct pipeline *);
/* "account: message UIDL" or "account: folder F UID n", for the log. */
void			 pipeline_describe(const struct pipeline *,
			    const struct fetch_key *, char *out, size_t len);
/* A rule asks to delete the message being staged from its source: the
 * committed callback will say so (POP3 and local sources; IMAP records a
 * server action instead).  Set before staging, cleared after. */
void			 pipeline_set_remove(struct pipeline *, int);
/* Record k as dealt with although nothing was delivered (discard). */
int			 pipeline_record_filed(struct pipeline *,
			    const struct fetch_key *, uint64_t size,
			    const char *why);
struct state		*pipeline_state(struct pipeline *);
const struct config	*pipeline_config(const struct pipeline *);
const struct account	*pipeline_account(const struct pipeline *);
int			 pipeline_dry_run(const struct pipeline *);
/* As pipeline_set_server_folders() set it (fetch.h). */
int			 pipeline_server_folders(const struct pipeline *);
const struct rule_set	*pipeline_rules(const struct pipeline *);

/* Carry out the account's rules on a message (action.c). */
int			 action_message(struct pipeline *, const struct fetch_key *,
			    char *data, size_t len);

#endif

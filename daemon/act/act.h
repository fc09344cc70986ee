/* SPDX-License-Identifier: ISC */
/*
 * act.h - daemon/act/: carrying out a rule plan, the daemon's side of
 * rules/ (rules/act-*.c compile actions; the files here carry them out).
 *
 * Owns: evaluating an account's rule set on one message and walking the
 * plan in order (act.c).  Header edits and pipe filters change the
 * message the later actions see (edit.c, pipe.c, message.c); attachments
 * are saved and commands run at once, logged in the state so a refetch
 * does not repeat them (save.c, pipe.c); replies, forwards and redirects
 * are queued in the state's outbox, keyed so a message is queued once
 * (reply.c), and sent at the end of the round (outbox-send.c); what the
 * webhook target queued in the state is posted at the end of the round
 * too (webhook-send.c); moves,
 * copies, flags and deletes on the server are recorded as server actions
 * (store/serverops.h) for the source to do after the commit.
 *
 * Never: stages, delivers, commits or records a message, and never calls
 * the pipeline.  act_message() returns the deliveries it decided on, and
 * the pipeline (daemon/pipeline/) stages them in its batch: data flows
 * down, pipeline -> act, never back.
 *
 * Depends on rules/, mime/, daemon/store (state, outbox, server
 * actions), daemon/send (compose, smtp), daemon/conf, daemon/deliver
 * (file-writing helpers for save.c), daemon/metrics (actions and
 * outbox sends counted), daemon/net (http.c, for webhook-send.c),
 * daemon/util.
 */
#ifndef DAEMON_ACT_H
#define DAEMON_ACT_H

#include <stddef.h>

#include "daemon/conf/conf.h"

struct msg_key;
struct rule_set;
struct state;

/* Deliveries one message may ask for. */
#define ACT_DELIVERIES_MAX	16

/* What act_message() needs besides the message. */
struct act_env {
	const struct config	*cfg;
	const struct account	*acct;
	struct state		*st;
	const struct rule_set	*rules;
	int			 dry_run;	/* log the plan only */
	int			 server_folders; /* move/copy/flag/delete on the
						  * server (source.h) */
	const char		*where;		/* names it in the log */
	/* the message's labels at its source (Gmail), for the rules */
	const char *const	*labels;
	size_t			 nlabels;
};

/* One delivery of the message as the actions left it: to target (an
 * expanded "maildir:..." or "mbox:..."; NULL: the account's deliver),
 * in folder (a Maildir++ folder of it, or NULL). */
struct act_delivery {
	char		*target;
	char		*folder;
	char		*data;
	size_t		 len;
};

/* What the plan leaves to the pipeline.  remove: delete the message at
 * its source once its deliveries commit (POP3, local).  failed: an
 * action failed (logged), so nothing is to be staged or recorded and
 * the message comes again next round. */
struct act_result {
	struct act_delivery	 v[ACT_DELIVERIES_MAX];
	size_t			 n;
	int			 remove;
	int			 failed;
};

/*
 * Evaluate env's rules on the message (data, len: as fetched, never
 * written to; mk: its identity) and carry out the plan.  0 with res
 * filled: res->failed, or res->n deliveries to stage all together (none:
 * the rules filed it elsewhere; record it as dealt with); in a dry run
 * the plan is only logged and res is empty.  -1: out of memory (logged).
 * Free res with act_result_free() either way.
 */
int	act_message(const struct act_env *, const struct msg_key *mk,
	    char *data, size_t len, struct act_result *res);
void	act_result_free(struct act_result *);

#endif

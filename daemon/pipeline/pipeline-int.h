/* SPDX-License-Identifier: ISC */
/*
 * pipeline-int.h - the inside of daemon/pipeline/: struct pipeline, shared
 * by pipeline.c (the per-message path) and pipeline-state.c (the
 * sources' questions to the state store).  Nothing outside
 * daemon/pipeline/ includes it; callers see only pipeline.h.
 */
#ifndef DAEMON_PIPELINE_INT_H
#define DAEMON_PIPELINE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "daemon/pipeline/pipeline.h"
#include "daemon/deliver/deliver.h"

#define BATCH_MAX	64
#define BATCH_BYTES	(32 * 1024 * 1024)
/* Targets a rule set delivers to in one round, besides the default. */
#define TARGETS_MAX	16

struct delivery;
struct delivery_batch;

struct staged_key {
	char		*folder;
	char		*uidl;
	uint32_t	 uidvalidity;
	uint32_t	 uid;
	unsigned	 seq;
	int		 remove;
	int		 cont;		/* another delivery of the one before */
	uint64_t	 gm_msgid;	/* recorded once committed */
};

struct target {
	char			*spec;		/* "maildir:PATH" */
	char			*folder;	/* or NULL */
	struct delivery		*dv;
};

struct pipeline {
	const struct config	*cfg;
	const struct account	*acct;
	struct delivery_ctx	 ctx;	/* cfg and acct, for the targets */
	struct state		*st;
	int			 dry_run;
	int			 server_folders; /* pipeline_set_server_folders */
	struct delivery		*dv;
	const struct rule_set	*rules;		/* the account's, or NULL */
	struct target		 targets[TARGETS_MAX];
	size_t			 ntargets;
	struct delivery_batch	*batch;
	struct staged_key	 keys[BATCH_MAX];
	size_t			 nkeys;
	fetch_committed_fn	 cb;
	void			*cbctx;
	struct fetch_stats	 stats;
	size_t			 sent_after;	/* pipeline_idle(): stats.fetched
						 * at the last outbox drain */
	int			 dedupe;	/* folder has set-aside rows */
	int			 remove;	/* stage with "delete at source" */
	int			 group;		/* staging one message's deliveries */
	size_t			 ngroup;	/* staged in the group so far */
	size_t			 total;		/* for the progress line */
	size_t			 shown;
	struct timespec		 last;
};

#endif

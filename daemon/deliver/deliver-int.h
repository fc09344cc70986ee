/* SPDX-License-Identifier: ISC */
/*
 * deliver-int.h - between deliver.c and its two users inside deliver/,
 * deliver-commit.c and recover.c: the batch, and the table of targets.
 * Not for callers outside deliver/, and never for a target.
 */
#ifndef DAEMON_DELIVER_INT_H
#define DAEMON_DELIVER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/deliver/deliver.h"
#include "daemon/deliver/target.h"

struct delivery_batch {
	struct state	*st;
	struct staged	*v;
	size_t		 n;
	size_t		 cap;
	uint64_t	 bytes;
	int		 spoiled;	/* staging failed: commit nothing */
	int		 nospace;	/* ... for a full disk or quota */
	size_t		 good;		/* ... then: whole messages before it */
};

/* Every kind of target, NULL-terminated, in the order a batch commits
 * them (Maildir before mbox). */
extern const struct target *const delivery_targets[];

/* The target that writes intents of kind, or NULL. */
const struct target *delivery_target_of(enum state_target kind);

#endif

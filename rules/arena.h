/* SPDX-License-Identifier: ISC */
/*
 * arena.h - internal: memory freed all at once.
 *
 * An evaluation's caches and a plan's strings are many small pieces
 * that die together; an arena makes them one free.  Allocations are
 * aligned for any type.  Functions return NULL only when memory runs
 * out.
 */
#ifndef RULES_ARENA_H
#define RULES_ARENA_H

#include <stddef.h>

struct rule_arena_block;

struct rule_arena {
	struct rule_arena_block	*head;
};

void	 rule_arena_init(struct rule_arena *);
void	 rule_arena_free(struct rule_arena *);
void	*rule_arena_alloc(struct rule_arena *, size_t);
/* A NUL-terminated copy of s[0..len). */
char	*rule_arena_strndup(struct rule_arena *, const char *s, size_t len);

#endif

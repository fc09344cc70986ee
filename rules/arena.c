/* SPDX-License-Identifier: ISC */
/* arena.c - memory freed all at once; see arena.h. */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/arena.h"

/* Most evaluations of a small message fit in one block. */
#define BLOCK_SIZE	8192
#define ALIGN		alignof(max_align_t)

struct rule_arena_block {
	struct rule_arena_block	*next;
	size_t			 used, size;
	alignas(max_align_t) char data[];
};

void
rule_arena_init(struct rule_arena *a)
{
	a->head = NULL;
}

void
rule_arena_free(struct rule_arena *a)
{
	struct rule_arena_block	*b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}

static struct rule_arena_block *
block_new(size_t want)
{
	struct rule_arena_block	*b;
	size_t			 size = want > BLOCK_SIZE ? want : BLOCK_SIZE;

	if (size > SIZE_MAX - sizeof(*b))
		return NULL;
	if ((b = malloc(sizeof(*b) + size)) == NULL)
		return NULL;
	b->used = 0;
	b->size = size;
	return b;
}

void *
rule_arena_alloc(struct rule_arena *a, size_t len)
{
	struct rule_arena_block	*b = a->head;
	size_t			 need;

	if (len > SIZE_MAX - ALIGN)
		return NULL;
	need = (len + ALIGN - 1) & ~(ALIGN - 1);
	if (need == 0)
		need = ALIGN;
	if (b == NULL || b->size - b->used < need) {
		if ((b = block_new(need)) == NULL)
			return NULL;
		/* A big piece gets its own block behind the current one, so
		 * the space left in the current one is not wasted. */
		if (need > BLOCK_SIZE / 2 && a->head != NULL) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	b->used += need;
	return b->data + b->used - need;
}

char *
rule_arena_strndup(struct rule_arena *a, const char *s, size_t len)
{
	char	*p;

	if (len == SIZE_MAX || (p = rule_arena_alloc(a, len + 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* SPDX-License-Identifier: ISC */
/*
 * records.c - the backend-neutral part of the store's API: looking up
 * and freeing what state.h, outbox.h, queue.h, serverops.h and oauth.h
 * hand out (UID and UIDL sets, intents, outbox and queue entries, server
 * ops, account status, OAuth2 grants), and the set builders
 * of records-int.h.  No storage here: a second backend reuses it.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/store/oauth.h"
#include "daemon/store/outbox.h"
#include "daemon/store/queue.h"
#include "daemon/store/records-int.h"
#include "daemon/store/serverops.h"

int
uidset_add(struct uidset *set, size_t *cap, uint32_t uid)
{
	uint32_t	*v;
	size_t		 ncap;

	if (set->n == *cap) {
		ncap = *cap == 0 ? 256 : *cap * 2;
		if ((v = reallocarray(set->v, ncap, sizeof(*v))) == NULL)
			return -1;
		set->v = v;
		*cap = ncap;
	}
	set->v[set->n++] = uid;
	return 0;
}

int
uidl_loader_add(struct uidl_loader *l, const char *s, size_t len)
{
	char	*buf;
	size_t	*off, cap;

	if (l->n == l->ncap) {
		cap = l->ncap == 0 ? 256 : l->ncap * 2;
		if ((off = reallocarray(l->off, cap, sizeof(*off))) == NULL)
			return -1;
		l->off = off;
		l->ncap = cap;
	}
	if (l->cap - l->len < len + 1) {
		cap = (l->cap + len + 1) * 2;
		if ((buf = realloc(l->buf, cap)) == NULL)
			return -1;
		l->buf = buf;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, s, len);
	l->buf[l->len + len] = '\0';
	l->off[l->n++] = l->len;
	l->len += len + 1;
	return 0;
}

int
uidl_loader_finish(struct uidl_loader *l, struct uidlset *set)
{
	size_t	 i;

	if (l->n > 0 && (set->v = calloc(l->n, sizeof(*set->v))) == NULL)
		return -1;
	for (i = 0; i < l->n; i++)
		set->v[i] = l->buf + l->off[i];
	set->n = l->n;
	set->strings = l->buf;
	l->buf = NULL;
	return 0;
}

int
uidset_has(const struct uidset *set, uint32_t uid)
{
	size_t	 lo = 0, hi = set->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (set->v[mid] == uid)
			return 1;
		if (set->v[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

void
uidset_free(struct uidset *set)
{
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

int
uidlset_has(const struct uidlset *set, const char *uidl)
{
	size_t	 lo = 0, hi = set->n, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(set->v[mid], uidl)) == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

void
uidlset_free(struct uidlset *set)
{
	free(set->v);
	free(set->strings);
	memset(set, 0, sizeof(*set));
}

void
state_intent_clear(struct state_intent *in)
{
	free(in->account);
	free(in->folder);
	free(in->uidl);
	free(in->path);
	free(in->name);
	in->account = in->folder = in->uidl = in->path = in->name = NULL;
}

void
state_intents_free(struct state_intent *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		state_intent_clear(&v[i]);
	free(v);
}

void
state_outbox_entry_free(struct outbox_entry *e)
{
	free(e->account);
	free(e->smtp);
	free(e->sender);
	free(e->rcpts);
	if (e->data != NULL)
		explicit_bzero(e->data, e->len);
	free(e->data);
	memset(e, 0, sizeof(*e));
}

void
state_server_ops_free(struct server_op *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(v[i].action);
		free(v[i].arg);
	}
	free(v);
}

void
state_queue_entry_free(struct queue_entry *e)
{
	free(e->kind);
	free(e->key);
	free(e->target);
	free(e->account);
	free(e->entry);
	memset(e, 0, sizeof(*e));
}

void
state_account_status_clear(struct state_account_status *as)
{
	free(as->phase);
	free(as->last_error);
	as->phase = as->last_error = NULL;
}

/* A token: wiped before it is freed. */
static void
str_wipe(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
state_oauth_grant_clear(struct oauth_grant *g)
{
	free(g->account);
	free(g->provider);
	free(g->scopes);
	str_wipe(g->refresh_token);
	str_wipe(g->access_token);
	free(g->error);
	memset(g, 0, sizeof(*g));
}

void
state_oauth_list_free(struct oauth_grant *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		state_oauth_grant_clear(&v[i]);
	free(v);
}

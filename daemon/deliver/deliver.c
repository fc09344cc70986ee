/* SPDX-License-Identifier: ISC */
/*
 * deliver.c - the dispatcher: the table of targets, opening one for a
 * folder, and staging into batches.  The order of a commit is in
 * deliver-commit.c, recovery in recover.c, each kind of target in its
 * own file (target.h), their shared helpers in target-util.c.  See
 * deliver.h for the guarantee.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rules/rules.h"	/* rule_target_parse(): one parser */
#include "rules/template.h"	/* RULE_TPL_FOLDER_MAX: one limit */
#include "daemon/deliver/deliver-int.h"

const struct target *const delivery_targets[] = {
	&target_maildir,
	&target_mbox,
	&target_lmtp,
	&target_webhook,
	&target_imap,
	NULL
};

/* The target named by a parsed "KIND:", or NULL. */
static const struct target *
target_named(const char *kind)
{
	size_t	 i;

	for (i = 0; delivery_targets[i] != NULL; i++)
		if (strcmp(delivery_targets[i]->name, kind) == 0)
			return delivery_targets[i];
	return NULL;
}

const struct target *
delivery_target_of(enum state_target kind)
{
	size_t	 i;

	for (i = 0; delivery_targets[i] != NULL; i++)
		if (delivery_targets[i]->kind == kind)
			return delivery_targets[i];
	return NULL;
}

int
delivery_folder_is_inbox(const char *folder)
{
	return folder == NULL || *folder == '\0' ||
	    strcasecmp(folder, "INBOX") == 0;
}

int
delivery_folder_check(const char *folder, char *err, size_t errlen)
{
	const char	*why = NULL, *p;
	size_t		 len = strlen(folder);

	if (len == 0 || len > RULE_TPL_FOLDER_MAX) {
		snprintf(err, errlen, "folder \"%.200s\" is not allowed: "
		    "empty or longer than %d bytes", folder,
		    RULE_TPL_FOLDER_MAX);
		return -1;
	}
	if (folder[0] == '.' || strstr(folder, "/.") != NULL)
		why = "a name starts with '.'";
	else if (folder[0] == '/' || folder[len - 1] == '/')
		why = "'/' at the start or end";
	else if (strstr(folder, "//") != NULL)
		why = "an empty name between two '/'";
	else if (strstr(folder, "..") != NULL)
		why = "'..'";
	else if (folder[0] == '\\')
		why = "a SPECIAL-USE name (\\Junk) names an IMAP server's "
		    "folder, never a local one";
	for (p = folder; why == NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			why = "a control character";
	if (why == NULL)
		return 0;
	snprintf(err, errlen, "folder \"%.200s\" is not allowed: %s", folder,
	    why);
	return -1;
}

struct delivery *
delivery_open(const struct delivery_ctx *ctx, const char *target,
    const char *folder, char *err, size_t errlen)
{
	struct rule_target	 spec;
	struct delivery		*dv;

	if ((dv = calloc(1, sizeof(*dv))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", target);
		return NULL;
	}
	dv->ctx = ctx;
	if (rule_target_parse(target, strlen(target), &spec) == -1 ||
	    (dv->target = target_named(spec.kind)) == NULL) {
		snprintf(err, errlen, "deliver target \"%s\": must be "
		    RULE_TARGET_FORMS, target);
		goto fail;
	}
	if (spec.arglen == 0) {
		snprintf(err, errlen, "deliver target \"%s\": no path",
		    target);
		goto fail;
	}
	if (!delivery_folder_is_inbox(folder) &&
	    delivery_folder_check(folder, err, errlen) == -1)
		goto fail;
	if ((dv->path = strdup(spec.arg)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", target);
		goto fail;
	}
	if (delivery_folder_is_inbox(folder))
		folder = NULL;
	if (dv->target->open(dv, folder, err, errlen) == -1)
		goto fail;
	return dv;
fail:
	delivery_close(dv);
	return NULL;
}

void
delivery_close(struct delivery *dv)
{
	if (dv == NULL)
		return;
	if (dv->target != NULL)
		dv->target->close(dv);
	free(dv->path);
	free(dv);
}

const char *
delivery_path(const struct delivery *dv)
{
	return dv->path;
}

struct delivery_batch *
delivery_batch_new(struct state *st)
{
	struct delivery_batch	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->st = st;
	return b;
}

static int
key_equal(const struct state_intent *in, const struct msg_key *key)
{
	const char	*folder = key->folder == NULL ? "" : key->folder;

	if (strcmp(in->account, key->account) != 0 ||
	    strcmp(in->folder, folder) != 0)
		return 0;
	if (key->uidl != NULL)
		return in->uidl != NULL && strcmp(in->uidl, key->uidl) == 0;
	return in->uidl == NULL && in->uidvalidity == key->uidvalidity &&
	    in->uid == key->uid;
}

static int
staged_init(struct staged *s, struct delivery *dv, const struct msg_key *key)
{
	memset(s, 0, sizeof(*s));
	s->dv = dv;
	s->state = STAGED_WRITTEN;
	s->in.kind = dv->target->kind;
	s->in.uidvalidity = key->uidvalidity;
	s->in.uid = key->uid;
	s->in.time = (int64_t)time(NULL);
	if ((s->in.account = strdup(key->account)) == NULL ||
	    (s->in.folder = strdup(key->folder == NULL ? "" :
	    key->folder)) == NULL ||
	    (key->uidl != NULL && (s->in.uidl = strdup(key->uidl)) == NULL) ||
	    (s->in.path = strdup(dv->path)) == NULL)
		return -1;
	return 0;
}

static int
batch_grow(struct delivery_batch *b)
{
	struct staged	*v;
	size_t		 cap;

	if (b->n < b->cap)
		return 0;
	cap = b->cap == 0 ? 64 : b->cap * 2;
	if ((v = reallocarray(b->v, cap, sizeof(*v))) == NULL)
		return -1;
	b->v = v;
	b->cap = cap;
	return 0;
}

int
delivery_keeps_meta(const struct delivery *dv)
{
	return dv->target->keeps_meta;
}

int
delivery_stage(struct delivery_batch *b, struct delivery *dv,
    const struct msg_key *key, const char *data, size_t len, int flags,
    char *err, size_t errlen)
{
	return delivery_stage_meta(b, dv, key, NULL, data, len, flags, err,
	    errlen);
}

/* The source's flags and date, for a target that keeps them. */
static int
staged_meta(struct staged *s, const struct delivery_meta *meta)
{
	if (meta == NULL || !s->dv->target->keeps_meta)
		return 0;
	s->src_date = meta->date;
	s->src_zone = meta->zone;
	if (meta->flags != NULL && (s->src_flags = strdup(meta->flags)) ==
	    NULL)
		return -1;
	return 0;
}

int
delivery_stage_meta(struct delivery_batch *b, struct delivery *dv,
    const struct msg_key *key, const struct delivery_meta *meta,
    const char *data, size_t len, int flags, char *err, size_t errlen)
{
	struct staged	*s;
	size_t		 i;

	if (b->spoiled) {
		snprintf(err, errlen, "%s: batch failed before", dv->path);
		return -1;
	}
	/* a message may go to several targets, but only once to each */
	for (i = 0; i < b->n; i++) {
		if (b->v[i].dv == dv && key_equal(&b->v[i].in, key)) {
			snprintf(err, errlen, "%s: internal error: account %s "
			    "UID %u UIDL %s staged twice", dv->path,
			    key->account, key->uid,
			    key->uidl == NULL ? "-" : key->uidl);
			b->spoiled = 1;
			return -1;
		}
	}
	if (batch_grow(b) == -1 || staged_init(&b->v[b->n], dv, key) == -1 ||
	    staged_meta(&b->v[b->n], meta) == -1) {
		snprintf(err, errlen, "%s: out of memory", dv->path);
		if (b->n < b->cap) {
			state_intent_clear(&b->v[b->n].in);
			free(b->v[b->n].src_flags);
		}
		b->spoiled = 1;
		return -1;
	}
	s = &b->v[b->n];
	if (dv->target->stage(dv, s, data, len, flags, err, errlen) == -1) {
		/* on a full disk, what was staged before this message can
		 * still be delivered (delivery_batch_commit()) */
		b->nospace = errno == ENOSPC || errno == EDQUOT;
		for (b->good = b->n; b->good > 0 &&
		    key_equal(&b->v[b->good - 1].in, key); b->good--)
			;
		state_intent_clear(&s->in);
		free(s->entry);
		free(s->src_flags);
		b->spoiled = 1;
		return -1;
	}
	b->n++;
	b->bytes += len;
	return 0;
}

size_t
delivery_batch_count(const struct delivery_batch *b)
{
	return b->n;
}

uint64_t
delivery_batch_bytes(const struct delivery_batch *b)
{
	return b->bytes;
}

int
delivery_batch_done(const struct delivery_batch *b, size_t i)
{
	return i < b->n && b->v[i].state == STAGED_DONE;
}

int
delivery_batch_refused(const struct delivery_batch *b, size_t i)
{
	return i < b->n && b->v[i].state == STAGED_UNDONE && b->v[i].refused;
}

const char *
delivery_batch_name(const struct delivery_batch *b, size_t i)
{
	return i < b->n ? b->v[i].in.name : NULL;
}

void
delivery_batch_clear(struct delivery_batch *b)
{
	size_t	 i;

	for (i = 0; i < b->n; i++) {
		if (b->v[i].state == STAGED_WRITTEN)
			staged_undo(&b->v[i]);
		state_intent_clear(&b->v[i].in);
		free(b->v[i].entry);
		free(b->v[i].src_flags);
	}
	b->n = 0;
	b->bytes = 0;
	b->spoiled = 0;
	b->nospace = 0;
	b->good = 0;
}

void
delivery_batch_free(struct delivery_batch *b)
{
	if (b == NULL)
		return;
	delivery_batch_clear(b);
	free(b->v);
	free(b);
}

/* SPDX-License-Identifier: ISC */
/*
 * pg-todo.c - TEMPORARY: the PostgreSQL backend's operations that the
 * h-s15-pg2 branch writes (folders and messages lists, forget, round
 * statistics, outbox, queue, server operations, message ids, OAuth2
 * grants), failing until then so that the program links.  That branch
 * deletes this file.
 */
#include <stdio.h>

#include "daemon/store/pg-int.h"

static int
pg_todo(char *err, size_t errlen)
{
	snprintf(err, errlen, "PostgreSQL store: not implemented yet");
	return -1;
}

int
pg_folders_list(struct state_impl *st, const char *account, int (*fn)(const
    struct state_folder_info *, void *), void *arg, char *err, size_t errlen)
{
	(void)st, (void)account, (void)fn, (void)arg;
	return pg_todo(err, errlen);
}

int
pg_messages_list(struct state_impl *st, const char *account, const char
    *folder, int (*fn)(const struct state_msg_info *, void *), void *arg, char
    *err, size_t errlen)
{
	(void)st, (void)account, (void)folder, (void)fn, (void)arg;
	return pg_todo(err, errlen);
}

int
pg_forget(struct state_impl *st, const char *account, const char *folder, const
    uint32_t *uid, const char *uidl, uint64_t *removed, char *err, size_t
    errlen)
{
	(void)st;
	(void)account;
	(void)folder;
	(void)uid;
	(void)uidl;
	(void)removed;
	return pg_todo(err, errlen);
}

int
pg_round_record(struct state_impl *st, const struct state_round *r, char *err,
    size_t errlen)
{
	(void)st, (void)r;
	return pg_todo(err, errlen);
}

int
pg_account_phase(struct state_impl *st, const char *account, const char *phase,
    int64_t next_poll, char *err, size_t errlen)
{
	(void)st, (void)account, (void)phase, (void)next_poll;
	return pg_todo(err, errlen);
}

int
pg_account_status(struct state_impl *st, const char *account, int64_t since,
    struct state_account_status *as, char *err, size_t errlen)
{
	(void)st, (void)account, (void)since, (void)as;
	return pg_todo(err, errlen);
}

int
pg_outbox_add(struct state_impl *st, const char *key, const char *account,
    const char *smtp, const char *sender, const char *rcpts, const char *data,
    size_t len, char *err, size_t errlen)
{
	(void)st;
	(void)key;
	(void)account;
	(void)smtp;
	(void)sender;
	(void)rcpts;
	(void)data;
	(void)len;
	return pg_todo(err, errlen);
}

int
pg_outbox_due(struct state_impl *st, const char *account, int64_t now, size_t
    max, struct outbox_entry **v, size_t *n, char *err, size_t errlen)
{
	(void)st, (void)account, (void)now, (void)max, (void)v, (void)n;
	return pg_todo(err, errlen);
}

int
pg_outbox_sent(struct state_impl *st, int64_t id, char *err, size_t errlen)
{
	(void)st, (void)id;
	return pg_todo(err, errlen);
}

int
pg_outbox_retry(struct state_impl *st, int64_t id, int64_t next_try, const char
    *why, char *err, size_t errlen)
{
	(void)st, (void)id, (void)next_try, (void)why;
	return pg_todo(err, errlen);
}

int
pg_outbox_failed(struct state_impl *st, int64_t id, const char *why, char *err,
    size_t errlen)
{
	(void)st, (void)id, (void)why;
	return pg_todo(err, errlen);
}

int
pg_outbox_counts(struct state_impl *st, uint64_t *queued, uint64_t *sent,
    uint64_t *failed, char *err, size_t errlen)
{
	(void)st, (void)queued, (void)sent, (void)failed;
	return pg_todo(err, errlen);
}

int
pg_reply_allow(struct state_impl *st, const char *account, const char *rule,
    const char *sender, int64_t now, int64_t every, char *err, size_t errlen)
{
	(void)st;
	(void)account;
	(void)rule;
	(void)sender;
	(void)now;
	(void)every;
	return pg_todo(err, errlen);
}

int
pg_reply_queue(struct state_impl *st, const struct outbox_msg *m, const char
    *rule, const char *to, int64_t now, int64_t every, char *err, size_t
    errlen)
{
	(void)st, (void)m, (void)rule, (void)to, (void)now, (void)every;
	return pg_todo(err, errlen);
}

int
pg_action_done(struct state_impl *st, const char *key, char *err, size_t
    errlen)
{
	(void)st, (void)key;
	return pg_todo(err, errlen);
}

int
pg_action_mark(struct state_impl *st, const char *key, char *err, size_t
    errlen)
{
	(void)st, (void)key;
	return pg_todo(err, errlen);
}

int
pg_queue_due(struct state_impl *st, const char *kind, const char *account,
    int64_t now, size_t max, struct queue_entry **v, size_t *n, char *err,
    size_t errlen)
{
	(void)st;
	(void)kind;
	(void)account;
	(void)now;
	(void)max;
	(void)v;
	(void)n;
	return pg_todo(err, errlen);
}

int
pg_queue_has(struct state_impl *st, const char *key, char *err, size_t errlen)
{
	(void)st, (void)key;
	return pg_todo(err, errlen);
}

int
pg_queue_done(struct state_impl *st, int64_t id, char *err, size_t errlen)
{
	(void)st, (void)id;
	return pg_todo(err, errlen);
}

int
pg_queue_retry(struct state_impl *st, int64_t id, int64_t next_try, const char
    *why, char *err, size_t errlen)
{
	(void)st, (void)id, (void)next_try, (void)why;
	return pg_todo(err, errlen);
}

int
pg_queue_failed(struct state_impl *st, int64_t id, const char *status, const
    char *why, char *err, size_t errlen)
{
	(void)st, (void)id, (void)status, (void)why;
	return pg_todo(err, errlen);
}

int
pg_queue_counts(struct state_impl *st, const char *kind, struct queue_counts
    *c, char *err, size_t errlen)
{
	(void)st, (void)kind, (void)c;
	return pg_todo(err, errlen);
}

int
pg_queue_insert(struct state_impl *st, const struct queue_item *item,
    char *err, size_t errlen)
{
	(void)st, (void)item;
	return pg_todo(err, errlen);
}

int
pg_server_op_add(struct state_impl *st, const char *account, const char
    *folder, uint32_t uidvalidity, uint32_t uid, const char *action, const char
    *arg, char *err, size_t errlen)
{
	(void)st;
	(void)account;
	(void)folder;
	(void)uidvalidity;
	(void)uid;
	(void)action;
	(void)arg;
	return pg_todo(err, errlen);
}

int
pg_server_ops_ready(struct state_impl *st, const char *account, const char
    *folder, uint32_t uidvalidity, struct server_op **v, size_t *n, char *err,
    size_t errlen)
{
	(void)st;
	(void)account;
	(void)folder;
	(void)uidvalidity;
	(void)v;
	(void)n;
	return pg_todo(err, errlen);
}

int
pg_server_op_done(struct state_impl *st, int64_t id, char *err, size_t errlen)
{
	(void)st, (void)id;
	return pg_todo(err, errlen);
}

int
pg_msgids_known(struct state_impl *st, const char *account, const uint64_t
    *ids, size_t n, unsigned char *known, char *err, size_t errlen)
{
	(void)st, (void)account, (void)ids, (void)n, (void)known;
	return pg_todo(err, errlen);
}

int
pg_msgid_record(struct state_impl *st, const char *account, uint64_t id, const
    char *folder, uint32_t uid, char *err, size_t errlen)
{
	(void)st, (void)account, (void)id, (void)folder, (void)uid;
	return pg_todo(err, errlen);
}

int
pg_msgids_forget(struct state_impl *st, const char *account,
    const char *folder, const uint32_t *uid, char *err, size_t errlen)
{
	(void)st, (void)account, (void)folder, (void)uid;
	return pg_todo(err, errlen);
}

int
pg_oauth_get(struct state_impl *st, const char *account, struct oauth_grant *g,
    char *err, size_t errlen)
{
	(void)st, (void)account, (void)g;
	return pg_todo(err, errlen);
}

int
pg_oauth_put(struct state_impl *st, const struct oauth_grant *g, char *err,
    size_t errlen)
{
	(void)st, (void)g;
	return pg_todo(err, errlen);
}

int
pg_oauth_refreshed(struct state_impl *st, const char *account, const char
    *refresh_token, const char *access_token, int64_t expires, char *err,
    size_t errlen)
{
	(void)st;
	(void)account;
	(void)refresh_token;
	(void)access_token;
	(void)expires;
	return pg_todo(err, errlen);
}

int
pg_oauth_needs_login(struct state_impl *st, const char *account, const char
    *why, char *err, size_t errlen)
{
	(void)st, (void)account, (void)why;
	return pg_todo(err, errlen);
}

int
pg_oauth_list(struct state_impl *st, struct oauth_grant **g, size_t *n, char
    *err, size_t errlen)
{
	(void)st, (void)g, (void)n;
	return pg_todo(err, errlen);
}

int
pg_oauth_forget(struct state_impl *st, const char *account, char *err, size_t
    errlen)
{
	(void)st, (void)account;
	return pg_todo(err, errlen);
}


/* SPDX-License-Identifier: ISC */
/*
 * action.c - evaluate the account's rules on a message and carry out the
 * plan, in order; see act.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mime/mime.h"
#include "rules/rules.h"
#include "daemon/act/action.h"
#include "daemon/conf/conf-text.h"
#include "daemon/pipeline/fetch-int.h"
#include "daemon/util/log.h"
#include "daemon/store/serverops.h"

/* Deliveries wait until every action of the plan succeeded: a message
 * whose plan fails halfway must not be recorded, so it comes again. */
#define PENDING_MAX	16

struct pending {
	char		*target;	/* NULL: the account's */
	char		*folder;
	char		*data;
	size_t		 len;
};

struct action_run {
	struct pipeline		*pl;
	const struct account	*acct;
	const struct fetch_key	*k;
	struct action_msg		 msg;
	const char		*orig;		/* as fetched: the plan's parts */
	size_t			 origlen;
	const struct mime_message *parsed;
	char			 where[512];
	struct pending		 pending[PENDING_MAX];
	size_t			 npending;
};

/* "account/folder/uidvalidity/uid" or "account//0/uidl": one message. */
static void
action_key(const struct action_run *r, const struct rule_action *a, char *out,
    size_t len)
{
	if (r->k->uidl != NULL)
		snprintf(out, len, "%s//%s/%s", r->acct->name, r->k->uidl,
		    rule_action_identity(a));
	else
		snprintf(out, len, "%s/%s/%u/%u/%s", r->acct->name,
		    r->k->folder, r->k->uidvalidity, r->k->uid,
		    rule_action_identity(a));
}

static int
action_deliver(struct action_run *r, const char *target, const char *folder)
{
	struct pending	*p;
	const char	*why;
	char		*spec = NULL;

	if (r->npending == PENDING_MAX) {
		log_error("%s: more than %d deliveries for one message",
		    r->where, PENDING_MAX);
		return -1;
	}
	/* the one expander of the configuration's deliver = */
	if (target != NULL &&
	    (why = conf_deliver_expand(target, &spec)) != NULL) {
		log_error("%s: deliver %s: %s", r->where, target, why);
		return -1;
	}
	p = &r->pending[r->npending];
	memset(p, 0, sizeof(*p));
	p->target = spec;
	if ((folder != NULL && (p->folder = strdup(folder)) == NULL) ||
	    (p->data = malloc(r->msg.len + 1)) == NULL) {
		free(p->target);
		free(p->folder);
		return -1;
	}
	memcpy(p->data, r->msg.data, r->msg.len);
	p->len = r->msg.len;
	r->npending++;
	return 0;
}

static void
pending_free(struct action_run *r)
{
	size_t	 i;

	for (i = 0; i < r->npending; i++) {
		free(r->pending[i].target);
		free(r->pending[i].folder);
		free(r->pending[i].data);
	}
	r->npending = 0;
}

static int
pending_stage(struct action_run *r)
{
	size_t	 i;

	if (pipeline_group_begin(r->pl, r->npending) == -1)
		return -1;
	for (i = 0; i < r->npending; i++)
		if (pipeline_stage(r->pl, r->pending[i].target,
		    r->pending[i].folder, r->k, r->pending[i].data,
		    r->pending[i].len) == -1)
			return -1;
	return pipeline_group_end(r->pl);
}

/* Record a server-side action; the IMAP source does it after the
 * commit (serverops.h). */
static int
action_server(struct action_run *r, const char *what, const char *arg)
{
	char	 err[1024];

	if (state_server_op_add(pipeline_state(r->pl), r->acct->name,
	    r->k->folder, r->k->uidvalidity, r->k->uid, what, arg, err,
	    sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

static int
action_flags(struct action_run *r, const struct rule_action *a)
{
	char	 flags[1024];
	size_t	 i, len = 0;
	int	 n;

	flags[0] = '\0';
	for (i = 0; i < rule_action_argc(a); i++) {
		n = snprintf(flags + len, sizeof(flags) - len, "%s%s",
		    i > 0 ? " " : "", rule_action_arg(a, i));
		if (n < 0 || (size_t)n >= sizeof(flags) - len)
			return -1;
		len += (size_t)n;
	}
	return action_server(r, "flag", flags);
}

static int
action_one(struct action_run *r, const struct rule_action *a)
{
	struct state	*st = pipeline_state(r->pl);
	const struct config *cfg = pipeline_config(r->pl);
	char		 key[1024];

	action_key(r, a, key, sizeof(key));
	switch (rule_action_type(a)) {
	case RULE_ACTION_DELIVER:
		return action_deliver(r, rule_action_target(a), NULL);
	case RULE_ACTION_KEEP:
		return 0;	/* leave it on the server: nothing to do */
	case RULE_ACTION_MOVE:
	case RULE_ACTION_COPY:
		if (pipeline_server_folders(r->pl))
			return action_server(r, rule_action_type(a) ==
			    RULE_ACTION_MOVE ? "move" : "copy",
			    rule_action_target(a));
		/* elsewhere: a Maildir++ folder of the account's target */
		return action_deliver(r, NULL, rule_action_target(a));
	case RULE_ACTION_DISCARD:
		return 0;
	case RULE_ACTION_ADD_HEADER:
		return action_header_add(&r->msg, rule_action_target(a),
		    rule_action_value(a));
	case RULE_ACTION_REMOVE_HEADER:
		return action_header_remove(&r->msg, rule_action_target(a));
	case RULE_ACTION_SAVE_ATTACHMENTS:
		return action_save_attachments(st, a, key, r->acct->name);
	case RULE_ACTION_PIPE:
		return action_pipe(a, &r->msg, rule_action_filter(a),
		    r->acct->name);
	case RULE_ACTION_REPLY:
		return action_reply(st, cfg, r->acct, a, r->parsed, r->orig,
		    r->origlen, key);
	case RULE_ACTION_FORWARD:
		return action_forward(st, cfg, r->acct, a, r->msg.data,
		    r->msg.len, key, 0);
	case RULE_ACTION_REDIRECT:
		return action_forward(st, cfg, r->acct, a, r->msg.data,
		    r->msg.len, key, 1);
	case RULE_ACTION_FLAG:
		return action_flags(r, a);
	case RULE_ACTION_DELETE:
		if (!pipeline_server_folders(r->pl))
			return 0;	/* set up before staging: see below */
		return action_server(r, "delete", "");
	}
	return 0;
}

static int
action_plan(struct action_run *r, const struct rule_plan *plan)
{
	const struct rule_action *a;
	size_t			 i;

	for (i = 0; i < rule_plan_warning_count(plan); i++)
		log_warn("%s: rules: %s", r->where, rule_plan_warning(plan, i));
	/* sources without server folders (POP3, local) delete when the
	 * staged delivery commits, so the mark must be there before
	 * anything is staged */
	for (i = 0; i < rule_plan_count(plan); i++)
		if (rule_action_type(rule_plan_action(plan, i)) ==
		    RULE_ACTION_DELETE && !pipeline_server_folders(r->pl))
			pipeline_set_remove(r->pl, 1);
	for (i = 0; i < rule_plan_count(plan); i++) {
		a = rule_plan_action(plan, i);
		log_debug("%s: rule %s: %s %s", r->where, rule_action_rule(a),
		    rule_action_type_name(rule_action_type(a)),
		    rule_action_target(a) != NULL ? rule_action_target(a) : "");
		if (pipeline_dry_run(r->pl))
			continue;
		if (action_one(r, a) == -1) {
			/* nothing is staged or recorded for this message: it
			 * comes again next round, and nothing is deleted;
			 * the other messages go on */
			log_error("%s: rule %s: %s failed; the message is left "
			    "for the next round", r->where, rule_action_rule(a),
			    rule_action_type_name(rule_action_type(a)));
			pipeline_stats(r->pl)->errors++;
			return 0;
		}
	}
	/* no rule filed it and the file has no default: the account's */
	if (!rule_plan_filed(plan) && !pipeline_dry_run(r->pl) &&
	    action_deliver(r, NULL, NULL) == -1)
		return -1;
	if (pipeline_dry_run(r->pl))
		return 0;
	if (r->npending == 0)
		return pipeline_record_filed(r->pl, r->k, r->origlen,
		    "filed by rules without a local delivery");
	return pending_stage(r);
}

int
action_message(struct pipeline *pl, const struct fetch_key *k, char *data,
    size_t len)
{
	const struct account	*acct = pipeline_account(pl);
	struct action_run		 r;
	struct rule_input	 in;
	struct rule_plan	*plan = NULL;
	struct mime_message	*m;
	int			 rv = -1;

	memset(&r, 0, sizeof(r));
	r.pl = pl;
	r.acct = acct;
	r.k = k;
	r.msg.data = data;
	r.msg.len = len;
	r.orig = data;
	r.origlen = len;
	pipeline_describe(pl, k, r.where, sizeof(r.where));
	if ((m = mime_message_parse(data, len, NULL)) == NULL)
		goto nomem;
	r.parsed = m;
	memset(&in, 0, sizeof(in));
	in.msg = m;
	in.size = len;
	in.account = acct->name;
	in.folder = k->folder;
	in.now = time(NULL);
	if ((plan = rule_set_eval(pipeline_rules(pl), &in, NULL,
	    NULL)) == NULL)
		goto nomem;
	rv = action_plan(&r, plan);
	pipeline_set_remove(pl, 0);
	pending_free(&r);
	goto out;
nomem:
	log_error("%s: out of memory", r.where);
out:
	rule_plan_free(plan);
	mime_message_free(m);
	if (r.msg.owned)
		free(r.msg.data);
	return rv;
}

/* SPDX-License-Identifier: ISC */
/*
 * act.c - evaluate the account's rules on a message and carry out the
 * plan, in order; see act.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mime/mime.h"
#include "rules/rules.h"
#include "daemon/act/act.h"
#include "daemon/act/edit.h"
#include "daemon/act/pipe.h"
#include "daemon/act/reply.h"
#include "daemon/act/save.h"
#include "daemon/conf/conf-text.h"
#include "daemon/metrics/metrics.h"
#include "daemon/util/log.h"
#include "daemon/store/serverops.h"

/* One message's run through its plan.  Deliveries are only collected:
 * they are staged (by the pipeline) once every action of the plan
 * succeeded, so a message whose plan fails halfway is not recorded and
 * comes again. */
struct act_run {
	const struct act_env	*env;
	const struct account	*acct;
	const struct msg_key	*k;
	struct act_msg		 msg;
	const char		*orig;		/* as fetched: the plan's parts */
	size_t			 origlen;
	const struct mime_message *parsed;
	const char		*where;
	struct act_result	*res;
};

/* "account/folder/uidvalidity/uid" or "account//0/uidl": one message. */
static void
act_key(const struct act_run *r, const struct rule_action *a, char *out,
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
act_deliver(struct act_run *r, const char *target, const char *folder)
{
	struct act_delivery	*d;
	const char		*why;
	char			*spec = NULL;

	if (r->res->n == ACT_DELIVERIES_MAX) {
		log_error("%s: more than %d deliveries for one message",
		    r->where, ACT_DELIVERIES_MAX);
		return -1;
	}
	/* the one expander of the configuration's deliver = */
	if (target != NULL &&
	    (why = conf_deliver_expand(target, &spec)) != NULL) {
		log_error("%s: deliver %s: %s", r->where, target, why);
		return -1;
	}
	d = &r->res->v[r->res->n];
	memset(d, 0, sizeof(*d));
	d->target = spec;
	if ((folder != NULL && (d->folder = strdup(folder)) == NULL) ||
	    (d->data = malloc(r->msg.len + 1)) == NULL) {
		free(d->target);
		free(d->folder);
		return -1;
	}
	memcpy(d->data, r->msg.data, r->msg.len);
	d->len = r->msg.len;
	r->res->n++;
	return 0;
}

void
act_result_free(struct act_result *res)
{
	size_t	 i;

	for (i = 0; i < res->n; i++) {
		free(res->v[i].target);
		free(res->v[i].folder);
		free(res->v[i].data);
	}
	res->n = 0;
}

/* Record a server-side action; the IMAP source does it after the
 * commit (serverops.h). */
static int
act_server(struct act_run *r, const char *what, const char *arg)
{
	char	 err[1024];

	if (state_server_op_add(r->env->st, r->acct->name, r->k->folder,
	    r->k->uidvalidity, r->k->uid, what, arg, err,
	    sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

static int
act_flags(struct act_run *r, const struct rule_action *a)
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
	return act_server(r, "flag", flags);
}

/* One server action per label: a label may hold spaces. */
static int
act_labels(struct act_run *r, const struct rule_action *a, const char *what)
{
	size_t	 i;

	for (i = 0; i < rule_action_argc(a); i++)
		if (act_server(r, what, rule_action_arg(a, i)) == -1)
			return -1;
	return 0;
}

static int
act_one(struct act_run *r, const struct rule_action *a)
{
	struct state	*st = r->env->st;
	const struct config *cfg = r->env->cfg;
	char		 key[1024];

	act_key(r, a, key, sizeof(key));
	switch (rule_action_type(a)) {
	case RULE_ACTION_DELIVER:
		return act_deliver(r, rule_action_target(a), NULL);
	case RULE_ACTION_KEEP:
		return 0;	/* leave it on the server: nothing to do */
	case RULE_ACTION_MOVE:
	case RULE_ACTION_COPY:
		if (r->env->server_folders)
			return act_server(r, rule_action_type(a) ==
			    RULE_ACTION_MOVE ? "move" : "copy",
			    rule_action_target(a));
		/* elsewhere: a Maildir++ folder of the account's target */
		return act_deliver(r, NULL, rule_action_target(a));
	case RULE_ACTION_DISCARD:
		return 0;
	case RULE_ACTION_ADD_HEADER:
		return edit_header_add(&r->msg, rule_action_target(a),
		    rule_action_value(a));
	case RULE_ACTION_REMOVE_HEADER:
		return edit_header_remove(&r->msg, rule_action_target(a));
	case RULE_ACTION_SAVE_ATTACHMENTS:
		return save_attachments(st, a, key, r->acct->name);
	case RULE_ACTION_PIPE:
		return pipe_run(a, &r->msg, rule_action_filter(a),
		    r->acct->name);
	case RULE_ACTION_REPLY:
		return reply_queue(st, cfg, r->acct, a, r->parsed, r->orig,
		    r->origlen, key);
	case RULE_ACTION_FORWARD:
		return forward_queue(st, cfg, r->acct, a, r->msg.data,
		    r->msg.len, key, 0);
	case RULE_ACTION_REDIRECT:
		return forward_queue(st, cfg, r->acct, a, r->msg.data,
		    r->msg.len, key, 1);
	case RULE_ACTION_FLAG:
		return act_flags(r, a);
	case RULE_ACTION_DELETE:
		if (!r->env->server_folders)
			return 0;	/* set up before staging: see below */
		return act_server(r, "delete", "");
	case RULE_ACTION_ADD_LABEL:
		return act_labels(r, a, "label");
	case RULE_ACTION_REMOVE_LABEL:
		return act_labels(r, a, "unlabel");
	}
	return 0;
}

static int
act_plan(struct act_run *r, const struct rule_plan *plan)
{
	const struct rule_action *a;
	size_t			 i;
	int			 rv;

	for (i = 0; i < rule_plan_warning_count(plan); i++)
		log_warn("%s: rules: %s", r->where, rule_plan_warning(plan, i));
	/* sources without server folders (POP3, local) delete when the
	 * staged delivery commits, so the mark goes with the deliveries */
	for (i = 0; i < rule_plan_count(plan); i++)
		if (rule_action_type(rule_plan_action(plan, i)) ==
		    RULE_ACTION_DELETE && !r->env->server_folders)
			r->res->remove = 1;
	for (i = 0; i < rule_plan_count(plan); i++) {
		a = rule_plan_action(plan, i);
		log_debug("%s: rule %s: %s %s", r->where, rule_action_rule(a),
		    rule_action_type_name(rule_action_type(a)),
		    rule_action_target(a) != NULL ? rule_action_target(a) : "");
		if (r->env->dry_run)
			continue;
		rv = act_one(r, a);
		metrics_action(r->acct->name,
		    rule_action_type_name(rule_action_type(a)), rv == 0);
		if (rv == -1) {
			/* nothing is staged or recorded for this message: it
			 * comes again next round, and nothing is deleted;
			 * the other messages go on */
			log_error("%s: rule %s: %s failed; the message is left "
			    "for the next round", r->where, rule_action_rule(a),
			    rule_action_type_name(rule_action_type(a)));
			r->res->failed = 1;
			return 0;
		}
	}
	if (r->env->dry_run)
		return 0;
	/* no rule filed it and the file has no default: the account's */
	if (!rule_plan_filed(plan) && act_deliver(r, NULL, NULL) == -1)
		return -1;
	return 0;
}

int
act_message(const struct act_env *env, const struct msg_key *k, char *data,
    size_t len, struct act_result *res)
{
	const struct account	*acct = env->acct;
	struct act_run		 r;
	struct rule_input	 in;
	struct rule_plan	*plan = NULL;
	struct mime_message	*m;
	int			 rv = -1;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.env = env;
	r.acct = acct;
	r.k = k;
	r.msg.data = data;
	r.msg.len = len;
	r.orig = data;
	r.origlen = len;
	r.where = env->where;
	r.res = res;
	if ((m = mime_message_parse(data, len, NULL)) == NULL)
		goto nomem;
	r.parsed = m;
	memset(&in, 0, sizeof(in));
	in.msg = m;
	in.size = len;
	in.account = acct->name;
	in.folder = k->folder;
	in.labels = env->labels;
	in.nlabels = env->nlabels;
	in.now = time(NULL);
	if ((plan = rule_set_eval(env->rules, &in, NULL, NULL)) == NULL)
		goto nomem;
	rv = act_plan(&r, plan);
	if (rv == -1 || res->failed) {
		act_result_free(res);
		res->remove = 0;
	}
	goto out;
nomem:
	log_error("%s: out of memory", r.where);
out:
	rule_plan_free(plan);
	mime_message_free(m);
	act_msg_clear(&r.msg);
	return rv;
}

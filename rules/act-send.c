/* SPDX-License-Identifier: ISC */
/*
 * act-send.c - actions that send mail through SMTP: reply (an automatic
 * answer to the sender, at most one per sender per "every"), forward (the
 * message attached to a new one) and redirect (resent as it is).  The
 * smtp key names an smtp section of the configuration; the daemon checks
 * that it exists.  From, Subject and To are one-line templates, so a
 * hostile Subject cannot inject header lines.
 */
#include <stddef.h>
#include <string.h>

#include "rules/action.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/plan.h"
#include "rules/template.h"

#define REPLY_EVERY_DEFAULT	(7 * 86400LL)

/* Names of smtp sections: letters, digits, '-', '_', '.'. */
static int
smtp_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	size_t	 i;

	if (load_string(ld, v, "the name of an smtp section", &a->smtp) == -1)
		return -1;
	if (a->smtp[0] == '\0')
		return load_error(ld, v, "empty smtp name");
	for (i = 0; a->smtp[i] != '\0'; i++)
		if (!((a->smtp[i] >= 'a' && a->smtp[i] <= 'z') ||
		    (a->smtp[i] >= 'A' && a->smtp[i] <= 'Z') ||
		    (a->smtp[i] >= '0' && a->smtp[i] <= '9') ||
		    strchr("-_.", a->smtp[i]) != NULL))
			return load_error(ld, v, "'%s' is not an smtp section "
			    "name", a->smtp);
	return 0;
}

/* A literal address must look like one; a template is checked when the
 * daemon sends. */
static int
address_parse(struct rule_load *ld, yaml_node_t *v, const char *what,
    struct rule_template **out)
{
	const char	*s, *at;
	size_t		 len, i;

	if (load_template(ld, v, RULE_TPL_LINE, what, out) == -1)
		return -1;
	if (rule_template_has_fields(*out))
		return 0;
	s = rule_template_source(*out);
	len = strlen(s);
	at = strrchr(s, '@');
	for (i = 0; i < len; i++)
		if (s[i] == ' ' || s[i] == '\t' || s[i] == ',' ||
		    s[i] == '<' || s[i] == '>')
			at = NULL;
	if (at == NULL || at == s || at[1] == '\0')
		return load_error(ld, v, "%s must be one address "
		    "(local@domain), not '%s'", what, s);
	return 0;
}

static int
reply_key(struct rule_load *ld, const char *key, yaml_node_t *k,
    yaml_node_t *v, struct act *a)
{
	if (strcmp(key, "from") == 0)
		return address_parse(ld, v, "reply from", &a->tpl[0]);
	if (strcmp(key, "subject") == 0)
		return load_template(ld, v, RULE_TPL_LINE, "reply subject",
		    &a->tpl[1]);
	if (strcmp(key, "body") == 0)
		return load_template(ld, v, RULE_TPL_TEXT, "reply body",
		    &a->tpl[2]);
	if (strcmp(key, "every") == 0)
		return load_duration(ld, v, "a duration such as 7d",
		    &a->every);
	if (strcmp(key, "smtp") == 0)
		return smtp_parse(ld, v, a);
	return load_error(ld, k, "unknown key '%s' in reply (keys: from, "
	    "subject, body, every, smtp)", key);
}

static int
default_subject(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	static const char	 subject[] = "Re: {subject}";
	size_t			 off;
	char			 err[256];

	a->tpl[1] = rule_template_parse(subject, sizeof(subject) - 1,
	    RULE_TPL_LINE, NULL, 0, &off, err, sizeof(err));
	if (a->tpl[1] == NULL)
		return load_error(ld, v, "%s", err);
	return 0;
}

static int
reply_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	yaml_node_t	*k, *val;
	const char	*key;
	size_t		 i;

	a->every = REPLY_EVERY_DEFAULT;
	if (act_need_value(ld, v, a, "- reply: { from: ADDRESS, body: TEXT "
	    "}") == -1 || load_expect_mapping(ld, v, "reply: { from, "
	    "subject, body, every, smtp }") == -1)
		return -1;
	for (i = 0; i < load_pair_count(v); i++)
		if (load_pair(ld, v, i, &key, &k, &val) == -1 ||
		    reply_key(ld, key, k, val, a) == -1)
			return -1;
	if (a->tpl[0] == NULL || a->tpl[2] == NULL)
		return load_error(ld, v, "reply needs from and body");
	if (a->every <= 0)
		return load_error(ld, v, "reply every must be more than 0");
	if (a->tpl[1] == NULL)
		return default_subject(ld, v, a);
	return 0;
}

static int
send_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	yaml_node_t	*k, *val;
	const char	*key;
	size_t		 i;

	if (act_need_value(ld, v, a, "- forward: ADDRESS") == -1)
		return -1;
	if (v->type == YAML_SCALAR_NODE)
		return address_parse(ld, v, "address", &a->tpl[0]);
	if (load_expect_mapping(ld, v, "an address, or { to: ADDRESS, "
	    "smtp: NAME }") == -1)
		return -1;
	for (i = 0; i < load_pair_count(v); i++) {
		if (load_pair(ld, v, i, &key, &k, &val) == -1)
			return -1;
		if (strcmp(key, "to") == 0) {
			if (address_parse(ld, val, "to", &a->tpl[0]) == -1)
				return -1;
		} else if (strcmp(key, "smtp") == 0) {
			if (smtp_parse(ld, val, a) == -1)
				return -1;
		} else
			return load_error(ld, k, "unknown key '%s' in %s "
			    "(keys: to, smtp)", key, a->type->name);
	}
	if (a->tpl[0] == NULL)
		return load_error(ld, v, "%s needs to", a->type->name);
	return 0;
}

static int
smtp_copy(struct rule_eval *ev, const struct act *a, struct rule_action *ra)
{
	if (a->smtp == NULL)
		return 0;
	ra->smtp = plan_strdup(ev->plan, a->smtp, strlen(a->smtp));
	return ra->smtp == NULL ? -1 : 0;
}

static int
reply_plan(struct rule_eval *ev, const struct act *a)
{
	struct rule_action	*ra;

	if ((ra = plan_add(ev, a)) == NULL ||
	    plan_expand(ev, a->tpl[0], &ra->from) == -1 ||
	    plan_expand(ev, a->tpl[1], &ra->subject) == -1 ||
	    plan_expand(ev, a->tpl[2], &ra->body) == -1)
		return -1;
	ra->every = a->every;
	return smtp_copy(ev, a, ra);
}

static int
send_plan(struct rule_eval *ev, const struct act *a)
{
	struct rule_action	*ra;

	if ((ra = plan_add(ev, a)) == NULL ||
	    plan_expand(ev, a->tpl[0], &ra->target) == -1)
		return -1;
	return smtp_copy(ev, a, ra);
}

const struct act_type act_reply = { "reply", RULE_ACTION_REPLY, 0, NULL,
    0, reply_parse, reply_plan };
const struct act_type act_forward = { "forward", RULE_ACTION_FORWARD, 0,
    NULL, 0, send_parse, send_plan };
const struct act_type act_redirect = { "redirect", RULE_ACTION_REDIRECT, 0,
    NULL, 0, send_parse, send_plan };

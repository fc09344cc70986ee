/* SPDX-License-Identifier: ISC */
/*
 * reply.c - reply, forward and redirect: composed, queued in the
 * state's outbox under the action's key (so a message is queued once),
 * and sent at the end of the round (outbox-send.c).
 *
 * Auto-replies are safe by default (RFC 3834, RFC 5230): never to a null
 * or robot sender (MAILER-DAEMON, *-request, owner-*), never to mail
 * that is itself automatic (Auto-Submitted other than the keyword "no"),
 * from a list (any List-* field, Precedence bulk/list/junk) or asking
 * not to be answered (X-Auto-Response-Suppress), never when our address
 * is not among the recipients, never to ourselves, and at most once per
 * sender per `every` for each rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mime/mime.h"
#include "rules/rules.h"
#include "daemon/act/reply.h"
#include "daemon/send/compose.h"
#include "daemon/util/log.h"
#include "daemon/store/outbox.h"
#include "daemon/send/smtp.h"

/* First address of a field of the top entity, lower-cased into out. */
static int
first_address(const struct mime_part *top, const char *field, char *out,
    size_t len)
{
	struct mime_address_list *al;
	const char	*n, *v, *a;
	size_t		 nl, vl, i;
	long		 at;

	out[0] = '\0';
	if ((at = mime_part_header_find(top, field, 0)) == -1)
		return 0;
	mime_part_header_at(top, (size_t)at, &n, &nl, &v, &vl);
	if ((al = mime_address_list_parse(v, vl, NULL, NULL)) == NULL)
		return -1;
	if (mime_address_list_count(al) > 0 &&
	    (a = mime_address_list_address(al, 0)) != NULL)
		snprintf(out, len, "%s", a);
	mime_address_list_free(al);
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	return 1;
}

/* Does s contain word, ignoring case? */
static int
contains_nocase(const char *s, const char *word)
{
	size_t	 n = strlen(word);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, word, n) == 0)
			return 1;
	return 0;
}

/* Does a value of field contain one of words, ignoring case? */
static int
field_value_is(const struct mime_part *top, const char *field,
    const char *const *words)
{
	struct mime_buf	 b;
	const char	*n, *v;
	size_t		 nl, vl, k;
	long		 at = -1;
	int		 hit = 0;

	mime_buf_init(&b);
	while (!hit && (at = mime_part_header_find(top, field,
	    (size_t)(at + 1))) != -1) {
		mime_part_header_at(top, (size_t)at, &n, &nl, &v, &vl);
		mime_buf_reset(&b);
		if (mime_header_unfold(v, vl, &b) == -1)
			hit = 1;	/* no memory: do not reply */
		for (k = 0; !hit && words[k] != NULL; k++)
			hit = b.data != NULL && contains_nocase(b.data,
			    words[k]);
	}
	mime_buf_free(&b);
	return hit;
}

/*
 * Skip white space and comments (nested, with quoted pairs) from p;
 * NULL if a comment does not end.
 */
static const char *
cfws_skip(const char *p, const char *end)
{
	int	 depth = 0;

	for (; p < end; p++) {
		if (depth > 0 && *p == '\\' && p + 1 < end)
			p++;
		else if (*p == '(')
			depth++;
		else if (depth > 0 && *p == ')')
			depth--;
		else if (depth == 0 && *p != ' ' && *p != '\t')
			break;
	}
	return depth == 0 ? p : NULL;
}

/*
 * RFC 3834 section 5: only the keyword "no" (any case; comments, white
 * space and parameters after a ';' allowed) says a person sent it.
 * Every other value, an unknown or empty one included, is automatic.
 */
static int
auto_submitted_human(const char *v, size_t len)
{
	const char	*end = v + len, *p;

	if ((p = cfws_skip(v, end)) == NULL || end - p < 2 ||
	    strncasecmp(p, "no", 2) != 0 ||
	    (p = cfws_skip(p + 2, end)) == NULL)
		return 0;
	return p == end || *p == ';';
}

/* Does some Auto-Submitted field say a program sent the message? */
static int
auto_submitted(const struct mime_part *top)
{
	struct mime_buf	 b;
	const char	*n, *v;
	size_t		 nl, vl;
	long		 at = -1;
	int		 hit = 0;

	mime_buf_init(&b);
	while (!hit && (at = mime_part_header_find(top, "Auto-Submitted",
	    (size_t)(at + 1))) != -1) {
		mime_part_header_at(top, (size_t)at, &n, &nl, &v, &vl);
		mime_buf_reset(&b);
		/* No memory counts as automatic: do not reply. */
		hit = mime_header_unfold(v, vl, &b) == -1 ||
		    !auto_submitted_human(b.data != NULL ? b.data : "", b.len);
	}
	mime_buf_free(&b);
	return hit;
}

static int
has_list_field(const struct mime_part *top)
{
	const char	*n, *v;
	size_t		 nl, vl, i;

	for (i = 0; i < mime_part_header_count(top); i++) {
		mime_part_header_at(top, i, &n, &nl, &v, &vl);
		if (nl > 5 && strncasecmp(n, "List-", 5) == 0)
			return 1;
	}
	return 0;
}

static int
robot_address(const char *addr)
{
	const char	*at = strchr(addr, '@');
	size_t		 local = at != NULL ? (size_t)(at - addr) : strlen(addr);

	return local == 0 ||
	    (local == 13 && strncasecmp(addr, "mailer-daemon", 13) == 0) ||
	    (local > 8 && strncasecmp(addr + local - 8, "-request", 8) == 0) ||
	    strncasecmp(addr, "owner-", 6) == 0;
}

/* Is our address among To, Cc (and Bcc, where an MTA left it)? */
static int
addressed_to(const struct mime_part *top, const char *me)
{
	static const char *const fields[] = { "To", "Cc", "Bcc" };
	struct mime_address_list *al;
	const char	*n, *v, *a;
	size_t		 nl, vl, i, f;
	long		 at;
	int		 found = 0;

	for (f = 0; f < 3 && !found; f++) {
		at = -1;
		while (!found && (at = mime_part_header_find(top, fields[f],
		    (size_t)(at + 1))) != -1) {
			mime_part_header_at(top, (size_t)at, &n, &nl, &v, &vl);
			if ((al = mime_address_list_parse(v, vl, NULL,
			    NULL)) == NULL)
				return 0;
			for (i = 0; i < mime_address_list_count(al); i++)
				if ((a = mime_address_list_address(al, i)) !=
				    NULL && strcasecmp(a, me) == 0)
					found = 1;
			mime_address_list_free(al);
		}
	}
	return found;
}

/* Whether a reply is due, and where it goes; why explains a no. */
static int
reply_due(const struct mime_message *m, const char *me, char *to,
    size_t tolen, const char **why)
{
	static const char *const bulk[] = { "bulk", "list", "junk", NULL };
	static const char *const suppress[] = { "all", "autoreply", "oof",
	    NULL };
	const struct mime_part *top = mime_message_root(m);

	if (auto_submitted(top))
		return *why = "the message is automatic (Auto-Submitted)", 0;
	if (has_list_field(top))
		return *why = "the message comes from a list (List-*)", 0;
	if (field_value_is(top, "Precedence", bulk))
		return *why = "the message is bulk (Precedence)", 0;
	if (field_value_is(top, "X-Auto-Response-Suppress", suppress))
		return *why = "the sender asks for no auto-replies", 0;
	if (first_address(top, "Return-Path", to, tolen) == 1 &&
	    to[0] == '\0')
		return *why = "the return path is null", 0;
	if (to[0] == '\0' && first_address(top, "Sender", to, tolen) != 1)
		(void)first_address(top, "From", to, tolen);
	if (to[0] == '\0' || robot_address(to))
		return *why = "the sender is empty or a robot", 0;
	if (strcasecmp(to, me) == 0)
		return *why = "the sender is ourselves", 0;
	if (!addressed_to(top, me))
		return *why = "our address is not among the recipients", 0;
	return 1;
}

static const struct smtp_server *
smtp_for(const struct config *cfg, const struct account *acct,
    const struct rule_action *a)
{
	const char	*name = rule_action_smtp(a);

	if (name == NULL)
		name = acct->smtp;
	if (name == NULL)
		return cfg->nsmtp > 0 ? &cfg->smtp[0] : NULL;
	return config_smtp(cfg, name);
}

static int
queue(struct state *st, const char *key, const char *account,
    const struct smtp_server *srv, const char *sender, const char *rcpts,
    const struct mime_buf *msg)
{
	char	 err[512];
	int	 r;

	if ((r = state_outbox_add(st, key, account, srv->name, sender, rcpts,
	    msg->data, msg->len, err, sizeof(err))) == -1) {
		log_error("%s", err);
		return -1;
	}
	if (r == 0)
		log_debug("%s: %s was queued before", account, key);
	return 0;
}

int
reply_queue(struct state *st, const struct config *cfg,
    const struct account *acct, const struct rule_action *a,
    const struct mime_message *m, const char *orig, size_t len,
    const char *key)
{
	const struct smtp_server *srv = smtp_for(cfg, acct, a);
	struct compose_reply	 cr;
	struct mime_buf		 out;
	struct outbox_msg	 om;
	const char		*why;
	char			 to[512], rcpt[520], err[512];
	int			 r, rv = -1;

	if (srv == NULL) {
		log_error("%s: reply: no smtp section to send it with",
		    acct->name);
		return -1;
	}
	if (!reply_due(m, rule_action_from(a), to, sizeof(to), &why)) {
		log_info("%s: rule %s: no auto-reply: %s", acct->name,
		    rule_action_rule(a), why);
		return 0;
	}
	memset(&cr, 0, sizeof(cr));
	cr.from = rule_action_from(a);
	cr.to = to;
	cr.subject = rule_action_subject(a);
	cr.text = rule_action_body(a);
	cr.orig = orig;
	cr.orig_len = len;
	mime_buf_init(&out);
	if (compose_auto_reply(&cr, &out, err, sizeof(err)) == -1) {
		log_error("%s: reply: %s", acct->name, err);
		goto done;
	}
	snprintf(rcpt, sizeof(rcpt), "%s\n", to);
	/* RFC 3834 3.3: an empty envelope sender, so nothing bounces */
	om.key = key;
	om.account = acct->name;
	om.smtp = srv->name;
	om.sender = "";
	om.rcpts = rcpt;
	om.data = out.data;
	om.len = out.len;
	r = state_reply_queue(st, &om, rule_action_identity(a), to,
	    (int64_t)time(NULL), rule_action_every(a), err, sizeof(err));
	if (r == -1)
		log_error("%s", err);
	else if (r == 0)
		log_info("%s: rule %s: no auto-reply: %s had one recently",
		    acct->name, rule_action_rule(a), to);
	else if (r == 2)
		log_debug("%s: %s was queued before", acct->name, key);
	rv = r == -1 ? -1 : 0;
done:
	mime_buf_free(&out);
	return rv;
}

int
forward_queue(struct state *st, const struct config *cfg,
    const struct account *acct, const struct rule_action *a,
    const char *orig, size_t len, const char *key, int redirect)
{
	const struct smtp_server *srv = smtp_for(cfg, acct, a);
	struct compose_forward	 cf;
	struct compose_redirect	 cr;
	struct mime_buf		 out;
	char			 rcpt[1024], err[512];
	int			 rv = -1, r;

	if (srv == NULL) {
		log_error("%s: %s: no smtp section to send it with",
		    acct->name, redirect ? "redirect" : "forward");
		return -1;
	}
	mime_buf_init(&out);
	if (redirect) {
		memset(&cr, 0, sizeof(cr));
		cr.from = srv->from;
		cr.to = rule_action_target(a);
		cr.orig = orig;
		cr.orig_len = len;
		r = compose_redirect(&cr, &out, err, sizeof(err));
	} else {
		memset(&cf, 0, sizeof(cf));
		cf.from = srv->from;
		cf.to = rule_action_target(a);
		cf.orig = orig;
		cf.orig_len = len;
		r = compose_forward(&cf, &out, err, sizeof(err));
	}
	if (r == -1) {
		log_error("%s: %s: %s", acct->name, redirect ? "redirect" :
		    "forward", err);
		goto done;
	}
	snprintf(rcpt, sizeof(rcpt), "%s\n", rule_action_target(a));
	rv = queue(st, key, acct->name, srv, srv->from, rcpt, &out);
done:
	mime_buf_free(&out);
	return rv;
}

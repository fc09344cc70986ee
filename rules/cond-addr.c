/* SPDX-License-Identifier: ISC */
/*
 * cond-addr.c - regex conditions on addresses: from, to, cc, sender, and
 * recipient (to or cc).
 *
 * Every address of every occurrence of the field is tried on its own,
 * in two forms: the full form "Name <local@domain>" ("<local@domain>"
 * when there is no name), then the bare address "local@domain".  The
 * condition holds if the regex matches either form of any address (the
 * captures come from the first form that matched), so both
 * '@example\.com$' and '^Jane Doe <' work.  Names are decoded (RFC 2047)
 * and unquoted.
 *
 * The bare address is a substring of the full form, so a pattern
 * without anchors, word boundaries, lookarounds or verbs that does not
 * match the full form cannot match the bare address: such patterns are
 * tried on the full form only.
 */
#include <stddef.h>
#include <string.h>

#include "rules/cond.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/regex.h"
#include "rules/view.h"

#define ADDR_RECIPIENT	RULE_ADDR_NFIELDS	/* To, then Cc */

static const char *const where_names[] = { "From", "To", "Cc", "Sender" };

/* 1 if the pattern may match the bare address but not the full form:
 * it has an assertion (or a verb) that looks at what surrounds a match.
 * Errs on the side of yes ("[^x]" counts). */
static int
needs_bare(const char *pat)
{
	static const char *const marks[] = {
		"^", "$", "\\A", "\\Z", "\\z", "\\b", "\\B", "\\G", "(?=",
		"(?!", "(?<", "(*", "(?C"
	};
	size_t	 i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strstr(pat, marks[i]) != NULL)
			return 1;
	return 0;
}

static int
addr_parse(struct rule_load *ld, yaml_node_t *value, struct cond *c)
{
	if (c->type == &cond_from)
		c->field = RULE_ADDR_FROM;
	else if (c->type == &cond_to)
		c->field = RULE_ADDR_TO;
	else if (c->type == &cond_cc)
		c->field = RULE_ADDR_CC;
	else if (c->type == &cond_sender)
		c->field = RULE_ADDR_SENDER;
	else
		c->field = ADDR_RECIPIENT;
	if (cond_regex_parse(ld, value, 0, &c->rx) == -1)
		return -1;
	c->bare = needs_bare(rule_regex_pattern(c->rx.re));
	return cond_describe(ld, c, "%s '%s'", c->type->name,
	    rule_regex_pattern(c->rx.re));
}

static int
field_eval(struct rule_eval *ev, const struct cond *c,
    enum rule_addr_field f)
{
	const struct rule_addr	*a;
	size_t			 n, i;
	int			 r;

	if (rule_view_addrs(&ev->view, f, &a, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((r = eval_regex(ev, c, &c->rx, where_names[f],
		    a[i].full.p, a[i].full.len)) != 0)
			return r;
		if (c->bare && (r = eval_regex(ev, c, &c->rx, where_names[f],
		    a[i].address.p, a[i].address.len)) != 0)
			return r;
	}
	return 0;
}

/* How many matches the condition may make: they share the regex's
 * budget (regex.h). */
static int
addr_share(struct rule_eval *ev, const struct cond *c)
{
	const struct rule_addr	*a;
	size_t			 n, total;

	if (rule_view_addrs(&ev->view, c->field != ADDR_RECIPIENT ?
	    (enum rule_addr_field)c->field : RULE_ADDR_TO, &a, &n) == -1)
		return -1;
	total = n;
	if (c->field == ADDR_RECIPIENT) {
		if (rule_view_addrs(&ev->view, RULE_ADDR_CC, &a, &n) == -1)
			return -1;
		total += n;
	}
	eval_regex_values(ev, c->rx.re, c->bare ? 2 * total : total);
	return 0;
}

static int
addr_eval(struct rule_eval *ev, const struct cond *c)
{
	int	 r;

	if (addr_share(ev, c) == -1)
		return -1;
	if (c->field != ADDR_RECIPIENT)
		return field_eval(ev, c, c->field);
	if ((r = field_eval(ev, c, RULE_ADDR_TO)) != 0)
		return r;
	return field_eval(ev, c, RULE_ADDR_CC);
}

const struct cond_type cond_from = { "from", 0, addr_parse, addr_eval };
const struct cond_type cond_to = { "to", 0, addr_parse, addr_eval };
const struct cond_type cond_cc = { "cc", 0, addr_parse, addr_eval };
const struct cond_type cond_sender = { "sender", 0, addr_parse,
    addr_eval };
const struct cond_type cond_recipient = { "recipient", 0, addr_parse,
    addr_eval };

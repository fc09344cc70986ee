/* SPDX-License-Identifier: ISC */
/*
 * cond-label.c - label: a regex matched against each of the message's
 * labels at its source (rule_input's labels: Gmail's X-GM-LABELS, UTF-8,
 * system labels as "\Inbox", "\Important"); true if one matches.  A
 * message without labels (any other source) has none to match.
 */
#include <stddef.h>
#include <string.h>

#include "rules/cond.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/regex.h"
#include "rules/utf8.h"

static int
label_parse(struct rule_load *ld, yaml_node_t *value, struct cond *c)
{
	if (cond_regex_parse(ld, value, 0, &c->rx) == -1)
		return -1;
	return cond_describe(ld, c, "label '%s'",
	    rule_regex_pattern(c->rx.re));
}

static int
label_eval(struct rule_eval *ev, const struct cond *c)
{
	const struct rule_input	*in = ev->in;
	const char		*s;
	size_t			 i, len;
	int			 r;

	if (in->labels == NULL)
		return 0;
	eval_regex_values(ev, c->rx.re, in->nlabels);
	for (i = 0; i < in->nlabels; i++) {
		if (in->labels[i] == NULL)
			continue;
		/* the caller's text: made valid before a regex sees it */
		if ((s = rule_utf8_copy(&ev->arena, in->labels[i],
		    strlen(in->labels[i]), &len)) == NULL)
			return -1;
		if ((r = eval_regex(ev, c, &c->rx, "label", s, len)) != 0)
			return r;
	}
	return 0;
}

const struct cond_type cond_label = { "label", 0, label_parse, label_eval };

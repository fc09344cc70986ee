/* SPDX-License-Identifier: ISC */
/*
 * act-label.c - add-label and remove-label: Gmail labels set or taken
 * off on the server (STORE +X-GM-LABELS / -X-GM-LABELS), after the
 * message is delivered, like flag.  A label is UTF-8 text, "/" between
 * levels as Gmail shows nested labels; a system label is written with
 * its backslash ("\Important", "\Starred").
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rules/action.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/plan.h"
#include "rules/rules.h"
#include "rules/utf8.h"

#define LABELS_MAX	32
#define LABEL_LEN_MAX	225	/* Gmail's own limit on a label name */

static int
label_check(struct rule_load *ld, yaml_node_t *n, const char *s, size_t len)
{
	size_t	 i, seq;

	if (len == 0 || len > LABEL_LEN_MAX)
		return load_error(ld, n, "a label has 1 to %d bytes",
		    LABEL_LEN_MAX);
	for (i = 0; i < len; i += seq) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return load_error(ld, n, "a label cannot hold control "
			    "characters");
		if ((seq = rule_utf8_seq((const unsigned char *)s + i,
		    len - i)) == 0)
			return load_error(ld, n, "a label must be UTF-8 text");
	}
	if (s[0] == '\\')
		for (i = 1; i < len; i++)
			if (!((s[i] >= 'A' && s[i] <= 'Z') ||
			    (s[i] >= 'a' && s[i] <= 'z')))
				return load_error(ld, n, "a system label is "
				    "\\ and letters (\\Important, \\Starred)");
	return 0;
}

static int
label_add(struct rule_load *ld, yaml_node_t *n, struct act *a)
{
	const char	*s;
	size_t		 len;
	char		**nv;

	if (load_scalar(ld, n, "a label", &s, &len) == -1 ||
	    label_check(ld, n, s, len) == -1)
		return -1;
	if (a->nnames == LABELS_MAX)
		return load_error(ld, n, "more than %d labels", LABELS_MAX);
	if ((nv = reallocarray(a->names, a->nnames + 1, sizeof(*nv))) == NULL)
		return load_error(ld, n, "out of memory");
	a->names = nv;
	if ((a->names[a->nnames] = strndup(s, len)) == NULL)
		return load_error(ld, n, "out of memory");
	a->nnames++;
	return 0;
}

static int
label_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	return act_names_parse(ld, v, a,
	    "- add-label: [Invoices, \\Important]", "label", label_add);
}

#define NO_LABELS_WHY	"its source has no server labels (only IMAP has)"

const struct act_type act_add_label = { "add-label", RULE_ACTION_ADD_LABEL,
    RULE_SOURCE_NO_FLAGS, NO_LABELS_WHY, 0, label_parse,
    act_names_plan };
const struct act_type act_remove_label = { "remove-label",
    RULE_ACTION_REMOVE_LABEL, RULE_SOURCE_NO_FLAGS, NO_LABELS_WHY, 0,
    label_parse, act_names_plan };

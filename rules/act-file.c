/* SPDX-License-Identifier: ISC */
/*
 * act-file.c - actions that file or mark the message: deliver
 * ("maildir:PATH" or "mbox:PATH", a path template), move and copy (to a
 * folder on the IMAP server, a path template), keep (leave it on the
 * server), delete (from the source), discard (file it nowhere), and
 * flag (IMAP flags: \Seen, \Answered, \Flagged, \Deleted, \Draft, or
 * keywords).  deliver, move, copy and discard file the message.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/action.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/plan.h"
#include "rules/rules.h"
#include "rules/template.h"

#define FLAGS_MAX	32

static int
deliver_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	struct rule_target	 t;
	const char		*s;
	size_t			 len;

	if (act_need_value(ld, v, a, "- deliver: \"maildir:PATH\"") == -1 ||
	    load_scalar(ld, v, RULE_TARGET_FORMS_QUOTED, &s, &len) == -1)
		return -1;
	if (rule_target_parse(s, len, &t) == -1)
		return load_error(ld, v, "deliver target must be "
		    RULE_TARGET_FORMS_QUOTED);
	if (t.arglen == 0)
		return load_error(ld, v, "deliver target has an empty path");
	if ((t.flags & RULE_TARGET_PATH) && load_path_check(ld, v, t.arg,
	    t.arglen, "a deliver target's path") == -1)
		return -1;
	return load_template(ld, v, RULE_TPL_PATH, "deliver target",
	    &a->tpl[0]);
}

/* A folder written \Junk is the one the IMAP server marks so (RFC
 * 6154): a whole name, never a template, and only where move and copy
 * go to server folders.  No folder name otherwise starts with '\'. */
static int
special_use_check(struct rule_load *ld, yaml_node_t *v, const char *s,
    size_t len)
{
	if (rule_special_use_index(s, len) == -1)
		return load_error(ld, v, "'%.*s' is not a SPECIAL-USE folder "
		    "(" RULE_SPECIAL_USE_NAMES "); no other folder name "
		    "starts with '\\'", (int)(len > 64 ? 64 : len), s);
	if (ld->flags & RULE_SOURCE_LOCAL_FOLDERS)
		return load_error(ld, v, "'%.*s' is the folder an IMAP server "
		    "marks so, and this account's source has no server "
		    "folders (move and copy file into Maildir++ folders of "
		    "its deliver target): name the folder", (int)len, s);
	return 0;
}

static int
folder_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	const char	*s;
	size_t		 len;

	if (act_need_value(ld, v, a, "- move: FOLDER") == -1 ||
	    load_scalar(ld, v, "a folder name", &s, &len) == -1)
		return -1;
	if (len == 0)
		return load_error(ld, v, "empty folder name");
	if (s[0] == '\\' && special_use_check(ld, v, s, len) == -1)
		return -1;
	return load_template(ld, v, RULE_TPL_FOLDER, "folder", &a->tpl[0]);
}

static int
bare_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	if (v == NULL)
		return 0;
	return load_error(ld, v, "action '%s' takes no value (write "
	    "\"- %s\")", a->type->name, a->type->name);
}

/* A system flag in its canonical case, or a keyword (an IMAP atom). */
static int
flag_check(struct rule_load *ld, yaml_node_t *n, const char *s,
    char **out)
{
	static const char *const system[] = {
		"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"
	};
	size_t	 i;

	if (s[0] == '\\') {
		for (i = 0; i < sizeof(system) / sizeof(system[0]); i++)
			if (strcasecmp(system[i], s) == 0)
				break;
		if (i == sizeof(system) / sizeof(system[0]))
			return load_error(ld, n, "unknown system flag '%s' "
			    "(\\Seen, \\Answered, \\Flagged, \\Deleted, "
			    "\\Draft, or a keyword without '\\')", s);
		s = system[i];
	} else {
		if (*s == '\0' || strlen(s) > 64)
			return load_error(ld, n, "a keyword has 1 to 64 "
			    "characters");
		for (i = 0; s[i] != '\0'; i++)
			if (s[i] <= ' ' || s[i] >= 127 ||
			    strchr("(){%*\"\\]", s[i]) != NULL)
				return load_error(ld, n, "'%s' is not a valid "
				    "IMAP keyword", s);
	}
	if ((*out = strdup(s)) == NULL)
		return load_error(ld, n, "out of memory");
	return 0;
}

static int
flag_add(struct rule_load *ld, yaml_node_t *n, struct act *a)
{
	const char	*s;
	size_t		 len;
	char		**nv;

	if (load_scalar(ld, n, "a flag name", &s, &len) == -1)
		return -1;
	if (a->nnames == FLAGS_MAX)
		return load_error(ld, n, "more than %d flags", FLAGS_MAX);
	if ((nv = reallocarray(a->names, a->nnames + 1, sizeof(*nv))) == NULL)
		return load_error(ld, n, "out of memory");
	a->names = nv;
	if (flag_check(ld, n, s, &a->names[a->nnames]) == -1)
		return -1;
	a->nnames++;
	return 0;
}

static int
flag_parse(struct rule_load *ld, yaml_node_t *v, struct act *a)
{
	return act_names_parse(ld, v, a, "- flag: [\\Seen, \\Flagged]", "flag",
	    flag_add);
}

static int
target_plan(struct rule_eval *ev, const struct act *a)
{
	struct rule_action	*ra;

	if ((ra = plan_add(ev, a)) == NULL)
		return -1;
	return plan_expand(ev, a->tpl[0], &ra->target);
}

static int
bare_plan(struct rule_eval *ev, const struct act *a)
{
	return plan_add(ev, a) == NULL ? -1 : 0;
}

#define NO_FOLDERS_WHY	"its source has no server folders (only IMAP has)"

const struct act_type act_deliver = { "deliver", RULE_ACTION_DELIVER, 0,
    NULL, 1, deliver_parse, target_plan };
const struct act_type act_move = { "move", RULE_ACTION_MOVE,
    RULE_SOURCE_NO_FOLDERS, NO_FOLDERS_WHY, 1, folder_parse, target_plan };
const struct act_type act_copy = { "copy", RULE_ACTION_COPY,
    RULE_SOURCE_NO_FOLDERS, NO_FOLDERS_WHY, 1, folder_parse, target_plan };
const struct act_type act_keep = { "keep", RULE_ACTION_KEEP, 0, NULL, 0,
    bare_parse, bare_plan };
const struct act_type act_delete = { "delete", RULE_ACTION_DELETE,
    RULE_SOURCE_NO_DELETE, "its source cannot delete messages (stdin)", 0,
    bare_parse, bare_plan };
const struct act_type act_discard = { "discard", RULE_ACTION_DISCARD, 0,
    NULL, 1, bare_parse, bare_plan };
const struct act_type act_flag = { "flag", RULE_ACTION_FLAG,
    RULE_SOURCE_NO_FLAGS, "its source has no message flags (only IMAP "
    "has)", 0, flag_parse, act_names_plan };

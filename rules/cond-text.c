/* SPDX-License-Identifier: ISC */
/*
 * cond-text.c - regex conditions on one text of the message or its
 * context: header (every occurrence of a field, decoded, sharing the
 * regex's budget on the message: regex.h), subject (the
 * decoded Subject, "" when there is none), body (see body.h; ^ and $
 * match at line breaks), account and folder (as the caller gave them,
 * "" when none).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rules/cond.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/regex.h"
#include "rules/view.h"

enum text_field {
	TEXT_SUBJECT,
	TEXT_BODY,
	TEXT_ACCOUNT,
	TEXT_FOLDER
};

/* RFC 5322 field names: printable ASCII but the colon. */
static int
field_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < 33 || *s > 126 || *s == ':')
			return 0;
	return 1;
}

static int
header_parse(struct rule_load *ld, yaml_node_t *value, struct cond *c)
{
	yaml_node_t	*k, *v, *match = NULL;
	const char	*key;
	size_t		 i;

	if (load_expect_mapping(ld, value, "header: { name: FIELD, "
	    "match: 'REGEX' }") == -1)
		return -1;
	for (i = 0; i < load_pair_count(value); i++) {
		if (load_pair(ld, value, i, &key, &k, &v) == -1)
			return -1;
		if (strcmp(key, "name") == 0) {
			if (load_string(ld, v, "a header field name",
			    &c->name) == -1)
				return -1;
			if (!field_name_ok(c->name))
				return load_error(ld, v, "'%s' is not a header "
				    "field name", c->name);
		} else if (strcmp(key, "match") == 0)
			match = v;
		else
			return load_error(ld, k, "unknown key '%s' in header "
			    "(keys: name, match)", key);
	}
	if (c->name == NULL || match == NULL)
		return load_error(ld, value, "header needs both name and "
		    "match");
	if (load_header_slot(ld, c->name, &c->slot) == -1 ||
	    cond_regex_parse(ld, match, 0, &c->rx) == -1)
		return -1;
	return cond_describe(ld, c, "header %s '%s'", c->name,
	    rule_regex_pattern(c->rx.re));
}

static int
text_parse(struct rule_load *ld, yaml_node_t *value, struct cond *c,
    enum text_field f)
{
	c->field = f;
	if (cond_regex_parse(ld, value, f == TEXT_BODY ?
	    RULE_REGEX_MULTILINE : 0, &c->rx) == -1)
		return -1;
	return cond_describe(ld, c, "%s '%s'", c->type->name,
	    rule_regex_pattern(c->rx.re));
}

static int
subject_parse(struct rule_load *ld, yaml_node_t *value, struct cond *c)
{
	return text_parse(ld, value, c, TEXT_SUBJECT);
}

static int
body_parse(struct rule_load *ld, yaml_node_t *value, struct cond *c)
{
	return text_parse(ld, value, c, TEXT_BODY);
}

static int
account_parse(struct rule_load *ld, yaml_node_t *value, struct cond *c)
{
	return text_parse(ld, value, c, TEXT_ACCOUNT);
}

static int
folder_parse(struct rule_load *ld, yaml_node_t *value, struct cond *c)
{
	return text_parse(ld, value, c, TEXT_FOLDER);
}

static int
header_eval(struct rule_eval *ev, const struct cond *c)
{
	const struct rule_span	*v;
	size_t			 n, i;
	int			 r;

	if (rule_view_header(&ev->view, c->slot, c->name, &v, &n) == -1)
		return -1;
	eval_regex_values(ev, c->rx.re, n);
	for (i = 0; i < n; i++)
		if ((r = eval_regex(ev, c, &c->rx, c->name, v[i].p,
		    v[i].len)) != 0)
			return r;
	return 0;
}

static int
text_eval(struct rule_eval *ev, const struct cond *c)
{
	struct rule_span	 s;
	const char		*where;

	switch (c->field) {
	case TEXT_SUBJECT:
		if (rule_view_subject(&ev->view, &s) == -1)
			return -1;
		where = "Subject";
		break;
	case TEXT_BODY:
		if (rule_view_body(&ev->view, &s) == -1)
			return -1;
		where = "body";
		break;
	case TEXT_ACCOUNT:
		if (rule_view_account(&ev->view, &s) == -1)
			return -1;
		where = "account";
		break;
	default:
		if (rule_view_folder(&ev->view, &s) == -1)
			return -1;
		where = "folder";
		break;
	}
	return eval_regex(ev, c, &c->rx, where, s.p, s.len);
}

const struct cond_type cond_header = { "header", 0, header_parse,
    header_eval };
const struct cond_type cond_subject = { "subject", 0, subject_parse,
    text_eval };
const struct cond_type cond_body = { "body", 0, body_parse, text_eval };
const struct cond_type cond_account = { "account", 0, account_parse,
    text_eval };
const struct cond_type cond_folder = { "folder", 0, folder_parse,
    text_eval };

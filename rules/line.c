/* SPDX-License-Identifier: ISC */
/*
 * line.c - one-line templates for the daemon's options (line.h): the
 * message parsed and viewed as a rule evaluation would, then the
 * template expanded in LINE mode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mime/buf.h"
#include "mime/message.h"
#include "rules/arena.h"
#include "rules/line.h"
#include "rules/rules.h"
#include "rules/template.h"
#include "rules/view.h"

struct rule_line {
	struct rule_template	*tpl;
};

struct rule_line *
rule_line_parse(const char *s, char *err, size_t errlen)
{
	struct rule_line	*l;
	size_t			 off = 0;
	char			 e[256];

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->tpl = rule_template_parse(s, strlen(s), RULE_TPL_LINE, NULL, 0,
	    &off, e, sizeof(e));
	if (l->tpl == NULL) {
		snprintf(err, errlen, "%s (at offset %zu)", e, off);
		free(l);
		return NULL;
	}
	return l;
}

void
rule_line_free(struct rule_line *l)
{
	if (l == NULL)
		return;
	rule_template_free(l->tpl);
	free(l);
}

int
rule_line_expand(const struct rule_line *l, const char *msg, size_t len,
    const char *account, const char *folder, char *out, size_t outlen)
{
	struct mime_message	*m = NULL;
	struct rule_input	 in;
	struct rule_arena	 arena;
	struct rule_view	 view;
	struct rule_tpl_env	 env;
	struct mime_buf		 b;
	int			 rc = -1;

	mime_buf_init(&b);
	rule_arena_init(&arena);
	memset(&view, 0, sizeof(view));
	mime_buf_init(&view.body);
	mime_buf_init(&view.scratch);
	if ((m = mime_message_parse(msg, len, NULL)) == NULL)
		goto done;
	memset(&in, 0, sizeof(in));
	in.msg = m;
	in.size = len;
	in.account = account;
	in.folder = folder;
	in.now = time(NULL);
	if (rule_view_init(&view, &in, 0, &arena) == -1)
		goto done;
	env.view = &view;
	env.caps = NULL;
	env.ncaps = 0;
	if (rule_template_expand(l->tpl, &env, &b) == -1)
		goto done;
	if (b.len >= outlen) {
		rc = 1;
		goto done;
	}
	memcpy(out, b.data, b.len);
	out[b.len] = '\0';
	rc = 0;
done:
	rule_view_free(&view);
	rule_arena_free(&arena);
	mime_buf_free(&b);
	if (m != NULL)
		mime_message_free(m);
	return rc;
}

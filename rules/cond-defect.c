/* SPDX-License-Identifier: ISC */
/*
 * cond-defect.c - the defect condition: true when the message has the
 * named MIME defect (mime/defect.h: "no-end-boundary", "bad-base64" ...)
 * or, for "any", any defect.  The parser's defects, and those found
 * decoding the top-level header, the body text and every leaf, so the
 * first defect condition reached decodes the whole message once.
 */
#include <stddef.h>
#include <string.h>

#include "mime/defect.h"
#include "rules/cond.h"
#include "rules/eval.h"
#include "rules/load.h"
#include "rules/view.h"

static int
defect_parse(struct rule_load *ld, yaml_node_t *value, struct cond *c)
{
	const char	*s;
	size_t		 len;
	char		 name[64];

	if (load_scalar(ld, value, "a defect name (mime/defect.h) or 'any'",
	    &s, &len) == -1)
		return -1;
	if (len >= sizeof(name))
		return load_error(ld, value, "unknown defect name");
	memcpy(name, s, len);
	name[len] = '\0';
	if (strcmp(name, "any") == 0)
		c->defect = -1;
	else if ((c->defect = mime_defect_from_name(name)) == -1)
		return load_error(ld, value, "unknown defect '%s' (see "
		    "mailsift-rules(5) for the names)", name);
	return cond_describe(ld, c, "defect %s", name);
}

static int
defect_eval(struct rule_eval *ev, const struct cond *c)
{
	unsigned	 bits;

	if (rule_view_defects(&ev->view, &bits) == -1)
		return -1;
	if (c->defect == -1)
		return bits != 0;
	return (bits & (1u << c->defect)) != 0;
}

const struct cond_type cond_defect = { "defect", 0, defect_parse,
    defect_eval };

/* SPDX-License-Identifier: ISC */
/*
 * line.h - a one-line template (template.h, LINE mode) for the daemon's
 * own options, outside any rule set: e.g. the LMTP target's `recipient
 * = "{account}+{to.domain}"`.  The fields are those of template.h but
 * match.NAME (no rule, no capture).  The result never holds CR or LF
 * (LINE mode); what else it may hold is the caller's to check.
 */
#ifndef RULES_LINE_H
#define RULES_LINE_H

#include <stddef.h>

struct rule_line;

/* Parse s; NULL on error with the message (and offset) in err. */
struct rule_line	*rule_line_parse(const char *s, char *err,
			    size_t errlen);
void			 rule_line_free(struct rule_line *);
/* Expand for the raw message msg[0..len) of account/folder (NULL: "")
 * into out (NUL-terminated).  0; 1 if it did not fit in outlen (out is
 * then unusable); -1 when memory ran out. */
int			 rule_line_expand(const struct rule_line *,
			    const char *msg, size_t len, const char *account,
			    const char *folder, char *out, size_t outlen);

#endif

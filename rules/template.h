/* SPDX-License-Identifier: ISC */
/*
 * template.h - internal: the {field} templates of action parameters.
 *
 * A template is literal text with fields in braces; "{{" and "}}" stand
 * for the braces themselves.  Fields: subject, from.address, from.name,
 * from.domain, to.address, to.name, to.domain (the first address of the
 * header), date or date:STRFTIME (the Date header in its own zone,
 * falling back to the evaluation's time in UTC; plain "date" is
 * %Y-%m-%d), account, folder, message_id (without angle brackets) and
 * match.NAME (a named capture of the rule's regexes; "" when it did not
 * take part in the match).  An unknown field, an unknown capture name or
 * a stray brace is an error when the template is parsed.
 *
 * The mode, fixed when the template is parsed, says where the result
 * goes and what field values may contain:
 *   TEXT  free text (a reply body): values as they are (NULs dropped).
 *   LINE  one line of a header: control characters in values, CR and
 *         LF among them, become spaces, and literal text may not
 *         contain any, so the result never holds CR or LF.
 *   ARG   one argument of a command (pipe): as LINE, each value cut to
 *         RULE_TPL_ARG_VALUE_MAX bytes (so no message makes execve()
 *         fail with E2BIG), and a value that would be the first byte of
 *         the argument never begins it with '-': that '-' becomes '_'.
 *         So mail cannot pass an option; literal text at the start (the
 *         rule author's "-t", "--file={subject}") is kept.
 *   PATH  a file or folder path: each value becomes one safe path
 *         component: '/' and '\' become '_', control characters are
 *         dropped, a leading '.' and any '.' after a '.' become '_' (no
 *         "..", no hidden files), an empty value becomes "_", and it is
 *         cut to 200 bytes on a UTF-8 boundary.  Literal text is the
 *         rule author's and kept (but may not hold control characters).
 *         Then every component of the result (between '/') longer than
 *         RULE_TPL_NAME_MAX bytes is cut to it on a UTF-8 boundary,
 *         keeping an extension (a last '.' in its final
 *         RULE_TPL_EXT_MAX bytes, not its first byte): the name a file
 *         system takes, however many fields one component joins.
 *   FOLDER a mail folder (move, copy): as PATH, and then the whole is
 *         cut to RULE_TPL_FOLDER_MAX bytes on a UTF-8 boundary, without
 *         a '/' left at its end: a Maildir++ folder is one name (".a.b").
 */
#ifndef RULES_TEMPLATE_H
#define RULES_TEMPLATE_H

#include <stddef.h>

struct mime_buf;
struct rule_view;
struct rule_span;

enum rule_tpl_mode {
	RULE_TPL_TEXT,
	RULE_TPL_LINE,
	RULE_TPL_ARG,
	RULE_TPL_PATH,
	RULE_TPL_FOLDER
};

#define RULE_TPL_COMPONENT_MAX	200	/* one value in a path */
/* One path component: NAME_MAX (255) less room for the ".lock" of an
 * mbox's dot lock. */
#define RULE_TPL_NAME_MAX	250
#define RULE_TPL_EXT_MAX	16	/* an extension kept when cut */
#define RULE_TPL_ARG_VALUE_MAX	4096	/* one value in an argument */
/* The longest folder: templates cut to it, and the daemon refuses longer
 * ones (delivery_folder_check()); one constant for both. */
#define RULE_TPL_FOLDER_MAX	200

struct rule_template;

struct rule_tpl_env {
	struct rule_view	*view;
	const struct rule_span	*caps;	/* value per capture slot; p NULL:
					 * unset */
	size_t			 ncaps;
};

/* Parse s[0..len).  capnames[slot] are the capture names {match.NAME}
 * may use.  NULL on error, with the message in err and the offset in s
 * where it was found in *erroff. */
struct rule_template *rule_template_parse(const char *s, size_t len,
		    enum rule_tpl_mode, const char *const *capnames,
		    size_t ncap, size_t *erroff, char *err, size_t errlen);
void		 rule_template_free(struct rule_template *);
const char	*rule_template_source(const struct rule_template *);
/* 1 if the template has fields (its expansion depends on the message). */
int		 rule_template_has_fields(const struct rule_template *);
/* Append the expansion to out; 0, or -1 on ENOMEM. */
int		 rule_template_expand(const struct rule_template *,
		    const struct rule_tpl_env *, struct mime_buf *out);
/* Append value in[0..len) to out made safe for mode (as a field value
 * is). */
int		 rule_tpl_append_value(enum rule_tpl_mode, const char *in,
		    size_t len, struct mime_buf *out);
/* The longest prefix of s[0..len) of at most max bytes that does not end
 * inside a UTF-8 sequence. */
size_t		 rule_tpl_utf8_cut(const char *s, size_t len, size_t max);

#endif

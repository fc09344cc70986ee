/* SPDX-License-Identifier: ISC */
/*
 * imap-special-list.c - the LIST responses of SPECIAL-USE (RFC 6154),
 * read into struct imap_special; see imap-special-list.h.  Pure: the
 * session (imap.c) hands each untagged LIST here while imap-special.c's
 * LIST is under way.
 *
 * A LIST response is "* LIST (attributes) delimiter name [extended]".
 * Every part of it may be hostile: the attribute list is walked as
 * atoms only (a nested list or a string there drops the response), the
 * name may be an atom, a quoted string or a literal, and is kept only
 * when it is short enough, has no control character and is valid in
 * the session's encoding.  The server's own bytes go back on the wire,
 * so a name is never re-encoded into something the server did not say.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mime/charset.h"
#include "rules/rules.h"
#include "daemon/source/imap-special-list.h"
#include "daemon/source/imap-mutf7.h"

/* Attributes of older servers (Gmail's XLIST) that mean the same. */
static const struct {
	const char	*alias;
	const char	*attr;
} special_aliases[] = {
	{ "\\Spam", "\\Junk" },
	{ "\\AllMail", "\\All" },
	{ "\\Starred", "\\Flagged" },
};

/* The attribute index of an atom of a LIST attribute list, or -1. */
static int
attr_index(const struct imap_tok *t)
{
	const char	*a;
	size_t		 i;
	int		 n;

	if ((n = rule_special_use_index(t->s, t->len)) != -1)
		return n;
	for (i = 0; i < sizeof(special_aliases) /
	    sizeof(special_aliases[0]); i++) {
		a = special_aliases[i].alias;
		if (strlen(a) == t->len && strncasecmp(a, t->s, t->len) == 0)
			return rule_special_use_index(special_aliases[i].attr,
			    strlen(special_aliases[i].attr));
	}
	return -1;
}

/* The name token's bytes, unescaped if quoted, into raw: 0 or -1. */
static int
name_raw(const struct imap_tok *t, char *raw, size_t rawlen)
{
	size_t	 i, o = 0;

	if (imap_tok_is(t, "NIL"))
		return -1;
	for (i = 0; i < t->len; i++) {
		if (t->type == IMAP_TOK_STRING && t->s[i] == '\\' &&
		    i + 1 < t->len)
			i++;
		if ((unsigned char)t->s[i] < 0x20 || t->s[i] == 0x7f ||
		    o + 1 >= rawlen)
			return -1;
		raw[o++] = t->s[i];
	}
	raw[o] = '\0';
	return o == 0 ? -1 : 0;
}

/* The name in UTF-8: as it is under UTF8=ACCEPT, else decoded. */
static int
name_decode(const struct imap_special *sp, const char *raw, char *name,
    size_t namelen)
{
	size_t	 len = strlen(raw);

	if (!sp->utf8)
		return imap_mutf7_decode(raw, len, name, namelen);
	if (!mime_utf8_valid(raw, len) || len >= namelen)
		return -1;
	memcpy(name, raw, len + 1);
	return 0;
}

/* The attribute list: which marks it holds, and whether the folder can
 * be used at all.  -1 if it is not a list of atoms. */
static int
list_attrs(struct imap_scan *sc, unsigned *marks, int *unusable)
{
	struct imap_tok	 t;
	int		 i;

	*marks = 0;
	*unusable = 0;
	if (imap_scan_next(sc, &t) == -1 || t.type != IMAP_TOK_LPAREN)
		return -1;
	for (;;) {
		if (imap_scan_next(sc, &t) == -1)
			return -1;
		if (t.type == IMAP_TOK_RPAREN)
			return 0;
		if (t.type != IMAP_TOK_ATOM)
			return -1;
		if ((i = attr_index(&t)) != -1)
			*marks |= 1u << i;
		else if (imap_tok_is(&t, "\\Noselect") ||
		    imap_tok_is(&t, "\\NonExistent"))
			*unusable = 1;
	}
}

void
imap_special_list(struct imap_special *sp, struct imap_scan *sc)
{
	struct imap_tok	 t;
	char		 raw[IMAP_FOLDER_MAX + 1], name[IMAP_FOLDER_MAX + 1];
	unsigned	 marks;
	int		 unusable, i;

	if (list_attrs(sc, &marks, &unusable) == -1 || marks == 0)
		return;
	/* the delimiter: a quoted character or NIL, either way unused */
	if (imap_scan_next(sc, &t) == -1 || (t.type != IMAP_TOK_STRING &&
	    !imap_tok_is(&t, "NIL")) || imap_scan_next(sc, &t) == -1 ||
	    (t.type != IMAP_TOK_ATOM && t.type != IMAP_TOK_STRING &&
	    t.type != IMAP_TOK_LITERAL))
		return;
	if (unusable || name_raw(&t, raw, sizeof(raw)) == -1 ||
	    name_decode(sp, raw, name, sizeof(name)) == -1) {
		sp->skipped++;
		return;
	}
	/* the first folder listed with a mark keeps it */
	for (i = 0; i < RULE_SPECIAL_USE_N; i++) {
		if (!(marks & (1u << i)) || sp->raw[i][0] != '\0')
			continue;
		memcpy(sp->raw[i], raw, strlen(raw) + 1);
		memcpy(sp->name[i], name, strlen(name) + 1);
	}
}

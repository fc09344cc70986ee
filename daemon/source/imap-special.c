/* SPDX-License-Identifier: ISC */
/*
 * imap-special.c - SPECIAL-USE folders (RFC 6154) for the session: the
 * one LIST per session that finds them, and imap_special_resolve(); see
 * imap-special.h.  The responses are read by imap-special-list.c.
 */
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"
#include "daemon/source/imap-int.h"
#include "daemon/source/imap-special.h"
#include "daemon/util/log.h"

int
imap_special_is(const char *name)
{
	return name[0] == '\\';
}

/* raw as an IMAP quoted string. */
static int
quote_raw(const char *raw, char *out, size_t outlen)
{
	size_t	 o = 0;

	if (outlen < 3)
		return -1;
	out[o++] = '"';
	for (; *raw != '\0'; raw++) {
		if (o + 4 >= outlen)
			return -1;
		if (*raw == '"' || *raw == '\\')
			out[o++] = '\\';
		out[o++] = *raw;
	}
	out[o++] = '"';
	out[o] = '\0';
	return 0;
}

/* What the server marks, for -v: names are the server's text. */
static void
special_log(const struct imap *s)
{
	char	 show[LOG_SHOW_SIZE];
	int	 i;

	for (i = 0; i < RULE_SPECIAL_USE_N; i++)
		if (s->special.name[i][0] != '\0')
			log_debug("%s: the server marks \"%s\" as %s",
			    s->acct->name, log_clean(s->special.name[i],
			    strlen(s->special.name[i]), show, sizeof(show),
			    LOG_CLEAN_MARK), rule_special_use_name(i));
	if (s->special.skipped > 0)
		log_debug("%s: %u marked folder(s) left out (a name too "
		    "long, not valid or not selectable)", s->acct->name,
		    s->special.skipped);
}

/* Ask once per session.  LIST (SPECIAL-USE) lists only the marked
 * folders; a server that has the capability but not that syntax (it
 * comes with LIST-EXTENDED) still marks them in a plain LIST. */
static int
special_discover(struct imap *s)
{
	int	 r;

	if (s->special.known)
		return 0;
	s->special.utf8 = s->utf8_accept;
	s->special.listing = 1;
	r = -1;
	if (s->caps & CAP_SPECIAL_USE)
		r = imap_cmd(s, "LIST (SPECIAL-USE) \"\" \"*\"");
	if (r == -1 && !s->bye && !s->broken)
		r = imap_cmd(s, "LIST \"\" \"*\"");
	s->special.listing = 0;
	if (r == -1)
		return -1;
	s->special.known = 1;
	special_log(s);
	return 0;
}

static int
special_missing(struct imap *s, int i)
{
	char	 why[128] = "";

	if (s->special.skipped > 0)
		snprintf(why, sizeof(why), "; %u marked folder(s) left out: "
		    "a name too long, not valid or not selectable",
		    s->special.skipped);
	snprintf(s->err, sizeof(s->err), "the server of account %s marks "
	    "no folder as %s (SPECIAL-USE, RFC 6154%s)%s; nothing was "
	    "created: mark one on the server, or name the folder itself",
	    s->acct->name, rule_special_use_name(i),
	    (s->caps & CAP_SPECIAL_USE) ? "" : "; it does not offer "
	    "SPECIAL-USE", why);
	return -1;
}

int
imap_special_resolve(struct imap *s, const char *attr, char *server,
    size_t serverlen, char *wire, size_t wirelen)
{
	int	 i;

	if ((i = rule_special_use_index(attr, strlen(attr))) == -1) {
		snprintf(s->err, sizeof(s->err), "folder \"%.64s\": not a "
		    "SPECIAL-USE folder (" RULE_SPECIAL_USE_NAMES "); no "
		    "other folder name starts with '\\'", attr);
		return -1;
	}
	if (special_discover(s) == -1)
		return -1;
	if (s->special.raw[i][0] == '\0')
		return special_missing(s, i);
	if ((size_t)snprintf(server, serverlen, "%s", s->special.name[i]) >=
	    serverlen || quote_raw(s->special.raw[i], wire, wirelen) == -1) {
		snprintf(s->err, sizeof(s->err), "%s: folder name too long",
		    rule_special_use_name(i));
		return -1;
	}
	return 0;
}

/* SPDX-License-Identifier: ISC */
/*
 * imap-folder.c - folder names as the user means them.  The
 * configuration and the rules write a folder with '/' between levels
 * ("Archive/Invoices"); the server keeps it under its personal
 * namespace (RFC 2342) with its own delimiter: "INBOX.Archive.Invoices"
 * on Courier or Debian's Cyrus, "Archive/Invoices" on Dovecot.
 *
 * A name is taken as the server's raw name, unchanged, when it
 *  - is INBOX (any case): always the INBOX;
 *  - already starts with the personal prefix ("INBOX.Archive");
 *  - contains the server's delimiter (not '/') and no '/'
 *    ("Archive.Invoices" on a '.' server).
 * Otherwise each '/'-level must be non-empty, not "." or "..", and must
 * not hold the server's delimiter (it would make a level the user did
 * not write); the levels are joined with the delimiter and the prefix
 * put in front.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mime/charset.h"
#include "daemon/source/imap-folder.h"
#include "daemon/source/imap-resp.h"

/* A name for an error: short and printable, whatever it holds. */
static const char *
name_show(const char *name, char *show, size_t len)
{
	size_t	 i;

	for (i = 0; name[i] != '\0' && i + 4 < len; i++)
		show[i] = (name[i] < 0x20 || name[i] > 0x7e) ? '?' : name[i];
	show[i] = '\0';
	if (name[i] != '\0')
		memcpy(show + i, "...", 4);
	return show;
}

static int
map_err(char *err, size_t errlen, const char *name, const char *why)
{
	char	 show[64];

	snprintf(err, errlen, "folder \"%s\": %s",
	    name_show(name, show, sizeof(show)), why);
	return -1;
}

static int
has_control(const char *name)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

/* One '/'-level [s, s+len) checked, appended with the delimiter. */
static int
map_level(const struct imap_ns *ns, const char *s, size_t len, char *out,
    size_t outlen, size_t *o, const char *name, char *err, size_t errlen)
{
	char	 show[64];

	if (len == 0)
		return map_err(err, errlen, name, "an empty level (a '/' at "
		    "the start or end, or '//')");
	if ((len == 1 && s[0] == '.') || (len == 2 && memcmp(s, "..", 2) == 0))
		return map_err(err, errlen, name, "a level \".\" or \"..\"");
	if (ns->delim != '\0' && ns->delim != '/' &&
	    memchr(s, ns->delim, len) != NULL) {
		snprintf(err, errlen, "folder \"%s\": a level holds '%c', "
		    "the server's hierarchy delimiter (write levels with "
		    "'/')", name_show(name, show, sizeof(show)), ns->delim);
		return -1;
	}
	if (*o > 0) {
		if (ns->delim == '\0')
			return map_err(err, errlen, name, "the server has no "
			    "folder hierarchy (no delimiter), so no '/'");
		if (*o + 1 >= outlen)
			return map_err(err, errlen, name, "too long");
		out[(*o)++] = ns->delim;
	}
	if (*o + len >= outlen)
		return map_err(err, errlen, name, "too long");
	memcpy(out + *o, s, len);
	*o += len;
	out[*o] = '\0';
	return 0;
}

int
imap_folder_map(const struct imap_ns *ns, const char *name, char *out,
    size_t outlen, char *err, size_t errlen)
{
	const char	*p, *slash;
	size_t		 o = 0, plen = strlen(ns->prefix);

	if (outlen > IMAP_FOLDER_MAX + 1)
		outlen = IMAP_FOLDER_MAX + 1;
	if (*name == '\0')
		return map_err(err, errlen, name, "empty name");
	if (has_control(name))
		return map_err(err, errlen, name, "a control character");
	if (!mime_utf8_valid(name, strlen(name)))
		return map_err(err, errlen, name, "not valid UTF-8");
	if (strlen(name) >= outlen)
		return map_err(err, errlen, name, "too long");
	if (strcasecmp(name, "INBOX") == 0) {
		snprintf(out, outlen, "INBOX");
		return 0;
	}
	/* the server's raw name: taken as is */
	if ((plen > 0 && strncmp(name, ns->prefix, plen) == 0) ||
	    (ns->delim != '\0' && ns->delim != '/' &&
	    strchr(name, ns->delim) != NULL && strchr(name, '/') == NULL)) {
		snprintf(out, outlen, "%s", name);
		return 0;
	}
	/* "INBOX/x" is under the INBOX, which the prefix may already be */
	if (strncasecmp(name, "INBOX/", 6) == 0 && plen == 6 &&
	    strncasecmp(ns->prefix, "INBOX", 5) == 0 &&
	    ns->prefix[5] == ns->delim)
		name += 6;
	if (plen >= outlen)
		return map_err(err, errlen, name, "too long");
	memcpy(out, ns->prefix, plen + 1);
	for (p = name;; p = slash + 1) {
		slash = strchr(p, '/');
		if (map_level(ns, p, slash == NULL ? strlen(p) :
		    (size_t)(slash - p), out + plen, outlen - plen, &o,
		    name, err, errlen) == -1)
			return -1;
		if (slash == NULL)
			break;
	}
	return 0;
}

/* strcasestr, which C11 lacks. */
static int
has_words(const char *s, const char *w)
{
	size_t	 n = strlen(w);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, w, n) == 0)
			return 1;
	return 0;
}

int
imap_folder_missing(const char *err)
{
	/* Courier and Debian's Cyrus say so in words, with no code, or
	 * only "Error in IMAP command": a reason with no [CODE] may be
	 * it (a CREATE too many costs a round trip, no more) */
	return strchr(err, '[') == NULL ||
	    strstr(err, "TRYCREATE") != NULL ||
	    strstr(err, "NONEXISTENT") != NULL ||
	    has_words(err, "not exist") || has_words(err, "no such") ||
	    has_words(err, "unknown mailbox");
}

/* A quoted-string token's value, unescaped, printable ASCII only (a
 * prefix in modified UTF-7 or with odd bytes is not used): 0 or -1. */
static int
tok_ascii(const struct imap_tok *t, char *out, size_t outlen)
{
	size_t	 i, o = 0;

	if (t->type != IMAP_TOK_STRING)
		return -1;
	for (i = 0; i < t->len; i++) {
		if (t->s[i] == '\\' && i + 1 < t->len)
			i++;
		if (t->s[i] < 0x20 || t->s[i] > 0x7e || t->s[i] == '&' ||
		    o + 1 >= outlen)
			return -1;
		out[o++] = t->s[i];
	}
	out[o] = '\0';
	return 0;
}

/* "* NAMESPACE (("INBOX." ".")...) shared other": the first personal
 * namespace.  NIL (none) leaves prefix "" and asks LIST later. */
void
imap_ns_namespace(struct imap_ns *ns, struct imap_scan *sc)
{
	struct imap_tok	 t;
	char		 prefix[sizeof(ns->prefix)], d[4];

	if (imap_scan_next(sc, &t) == -1 || t.type != IMAP_TOK_LPAREN ||
	    imap_scan_next(sc, &t) == -1 || t.type != IMAP_TOK_LPAREN ||
	    imap_scan_next(sc, &t) == -1 || tok_ascii(&t, prefix,
	    sizeof(prefix)) == -1 || imap_scan_next(sc, &t) == -1)
		return;
	if (imap_tok_is(&t, "NIL"))
		d[0] = '\0';
	else if (tok_ascii(&t, d, sizeof(d)) == -1 || strlen(d) != 1)
		return;
	snprintf(ns->prefix, sizeof(ns->prefix), "%s", prefix);
	ns->delim = d[0];
	ns->known = 1;
}

/* "* LIST (\Noselect) "." """: the delimiter of the top level. */
void
imap_ns_list(struct imap_ns *ns, struct imap_scan *sc)
{
	struct imap_tok	 t;
	char		 d[4];

	if (imap_scan_next(sc, &t) == -1 || t.type != IMAP_TOK_LPAREN ||
	    imap_scan_skip(sc, &t) == -1 || imap_scan_next(sc, &t) == -1)
		return;
	if (imap_tok_is(&t, "NIL"))
		d[0] = '\0';
	else if (tok_ascii(&t, d, sizeof(d)) == -1 || strlen(d) != 1)
		return;
	ns->delim = d[0];
	ns->known = 1;
}

/* SPDX-License-Identifier: ISC */
/* imap-notify.c - NOTIFY SET and untagged STATUS; see imap-notify.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "daemon/source/imap-notify.h"

#define NOTIFY_EVENTS	"(MessageNew MessageExpunge)"

/* The raw bytes of a quoted string's inside (s, len as scanned). */
static int
unescape(const char *s, size_t len, char *out, size_t outlen)
{
	size_t	 i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		if (s[i] == '\0' || o + 1 >= outlen)
			return -1;
		out[o++] = s[i];
	}
	out[o] = '\0';
	return 0;
}

static int
status_name(struct imap_scan *sc, const struct imap_tok *t, char *name,
    size_t namelen)
{
	const struct imap_literal *l;

	switch (t->type) {
	case IMAP_TOK_STRING:
		return unescape(t->s, t->len, name, namelen);
	case IMAP_TOK_ATOM:
		if (t->len >= namelen || memchr(t->s, '\0', t->len) != NULL)
			return -1;
		memcpy(name, t->s, t->len);
		name[t->len] = '\0';
		return 0;
	case IMAP_TOK_LITERAL:
		if (t->lit >= sc->r->nlits)
			return -1;
		l = &sc->r->lits[t->lit];
		if (l->len >= namelen || memchr(l->data, '\0', l->len) != NULL)
			return -1;
		memcpy(name, l->data, l->len);
		name[l->len] = '\0';
		return 0;
	default:
		return -1;
	}
}

int
imap_status_parse(struct imap_scan *sc, char *name, size_t namelen,
    struct imap_status *st)
{
	struct imap_tok	 t, v;
	uint32_t	 n;

	memset(st, 0, sizeof(*st));
	if (namelen == 0 || imap_scan_next(sc, &t) == -1 ||
	    status_name(sc, &t, name, namelen) == -1)
		return -1;
	if (imap_scan_next(sc, &t) == -1 || t.type != IMAP_TOK_LPAREN)
		return -1;
	for (;;) {
		if (imap_scan_next(sc, &t) == -1)
			return -1;
		if (t.type == IMAP_TOK_RPAREN)
			return 0;
		if (t.type != IMAP_TOK_ATOM || imap_scan_next(sc, &v) == -1)
			return -1;
		if (v.type != IMAP_TOK_ATOM) {
			/* an extension's value we do not know */
			if (imap_scan_skip(sc, &v) == -1)
				return -1;
			continue;
		}
		if (imap_tok_is(&t, "HIGHESTMODSEQ")) {
			if (imap_modseq_parse(&v, &st->highestmodseq) == -1)
				st->highestmodseq = 0;
			continue;
		}
		if (imap_tok_u32(&v, &n) == -1)
			continue;	/* not a number: left out */
		if (imap_tok_is(&t, "MESSAGES")) {
			st->messages = n;
			st->have |= IMAP_STATUS_MESSAGES;
		} else if (imap_tok_is(&t, "UIDNEXT")) {
			st->uidnext = n;
			st->have |= IMAP_STATUS_UIDNEXT;
		} else if (imap_tok_is(&t, "UIDVALIDITY")) {
			st->uidvalidity = n;
			st->have |= IMAP_STATUS_UIDVALIDITY;
		}
	}
}

int
imap_unquote(const char *q, char *out, size_t outlen)
{
	size_t	 len = strlen(q);

	if (len < 2 || q[0] != '"' || q[len - 1] != '"' || outlen == 0)
		return -1;
	return unescape(q + 1, len - 2, out, outlen);
}

long
imap_notify_match(const char *const *raw, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(raw[i], name) == 0)
			return (long)i;
		if (strcasecmp(raw[i], "INBOX") == 0 &&
		    strcasecmp(name, "INBOX") == 0)
			return (long)i;
	}
	return -1;
}

int
imap_notify_cmd(const char *const *q, size_t n, char *out, size_t outlen)
{
	size_t	 len, i;
	int	 w;

	w = snprintf(out, outlen, "NOTIFY SET (SELECTED " NOTIFY_EVENTS
	    ") (MAILBOXES (");
	if (w < 0 || (size_t)w >= outlen || n == 0)
		return -1;
	len = (size_t)w;
	for (i = 0; i < n; i++) {
		w = snprintf(out + len, outlen - len, "%s%s", i ? " " : "",
		    q[i]);
		if (w < 0 || (size_t)w >= outlen - len)
			return -1;
		len += (size_t)w;
	}
	w = snprintf(out + len, outlen - len, ") " NOTIFY_EVENTS ")");
	if (w < 0 || (size_t)w >= outlen - len)
		return -1;
	return 0;
}

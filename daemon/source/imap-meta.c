/* SPDX-License-Identifier: ISC */
/*
 * imap-meta.c - what a FETCH says of a message beyond its bytes, for a
 * target that keeps it (an imap: APPEND, deliver.h delivery_meta): its
 * FLAGS as a list fit to be sent again (RFC 3501 flag syntax, \Recent
 * dropped: APPEND may not set it) and its INTERNALDATE as a time and a
 * zone.  Pure: reads tokens, owns nothing of the session.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rules/date.h"		/* rule_date_utc(): one calendar */
#include "daemon/source/imap-int.h"

/* An atom that may go back into an APPEND: "\Name" or a keyword, of
 * ATOM-CHARs only (no "(){ %*\"\\]" nor controls). */
static int
flag_ok(const struct imap_tok *t)
{
	size_t	 i = 0;

	if (t->len == 0 || t->len > 64)
		return 0;
	if (t->s[0] == '\\')
		i = 1;
	if (i == t->len)
		return 0;
	for (; i < t->len; i++)
		if ((unsigned char)t->s[i] <= ' ' ||
		    (unsigned char)t->s[i] >= 0x7f ||
		    strchr("(){%*\"\\]", t->s[i]) != NULL)
			return 0;
	return 1;
}

int
imap_meta_flags(struct imap_scan *sc, char *out, size_t outlen, int *seen)
{
	struct imap_tok	 t;
	size_t		 len = 0;

	*seen = 0;
	out[0] = '\0';
	for (;;) {
		if (imap_scan_next(sc, &t) == -1)
			return -1;
		if (t.type == IMAP_TOK_RPAREN)
			return 0;
		if (t.type != IMAP_TOK_ATOM)
			return -1;
		if (imap_tok_is(&t, "\\Seen"))
			*seen = 1;
		/* one that does not fit or is not ours to set is left out */
		if (imap_tok_is(&t, "\\Recent") || !flag_ok(&t) ||
		    len + t.len + 2 > outlen)
			continue;
		if (len > 0)
			out[len++] = ' ';
		memcpy(out + len, t.s, t.len);
		len += t.len;
		out[len] = '\0';
	}
}

/* "dd-Mon-yyyy hh:mm:ss +zzzz" (RFC 3501 date-time; the day may start
 * with a space). */
int
imap_meta_date(const struct imap_tok *t, int64_t *date, long *zone)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char		 s[40], mon[4], sign;
	const char	*m;
	int		 day, year, hh, mm, ss, zz, n = 0;

	if (t->type != IMAP_TOK_STRING || t->len >= sizeof(s))
		return -1;
	memcpy(s, t->s, t->len);
	s[t->len] = '\0';
	if (sscanf(s, "%d-%3s-%d %d:%d:%d %c%4d%n", &day, mon, &year, &hh, &mm,
	    &ss, &sign, &zz, &n) != 8 || (size_t)n != t->len ||
	    (sign != '+' && sign != '-') || day < 1 || day > 31 ||
	    year < 1970 || year > 9999 || hh > 23 || mm > 59 || ss > 60 ||
	    hh < 0 || mm < 0 || ss < 0 || zz < 0 || zz % 100 > 59 ||
	    strlen(mon) != 3 || (m = strstr(months, mon)) == NULL ||
	    (m - months) % 3 != 0)
		return -1;
	*zone = (sign == '-' ? -1 : 1) * ((long)(zz / 100) * 3600 +
	    (long)(zz % 100) * 60);
	*date = (int64_t)rule_date_utc(year, (int)((m - months) / 3) + 1, day,
	    hh, mm, ss) - *zone;
	return 0;
}

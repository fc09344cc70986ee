/* SPDX-License-Identifier: ISC */
/* date.c - RFC 5322 date-time parsing; see date.h. */
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "rules/date.h"

struct scan {
	const char	*s;
	size_t		 len, i;
};

/* Skip white space and (nested) comments. */
static void
skip_cfws(struct scan *sc)
{
	int	 depth = 0;

	for (; sc->i < sc->len; sc->i++) {
		char	 c = sc->s[sc->i];

		if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' &&
		    c != '\n')
			return;
	}
}

/* Up to max digits; -1 if there is none. */
static long long
scan_number(struct scan *sc, int max, int *ndigits)
{
	long long	 v = 0;
	int		 n = 0;

	while (sc->i < sc->len && n < max && sc->s[sc->i] >= '0' &&
	    sc->s[sc->i] <= '9') {
		v = v * 10 + (sc->s[sc->i++] - '0');
		n++;
	}
	*ndigits = n;
	return n == 0 ? -1 : v;
}

/* A run of letters, copied lower-case into buf (room for 8). */
static size_t
scan_word(struct scan *sc, char *buf)
{
	size_t	 n = 0;
	char	 c;

	while (sc->i < sc->len) {
		c = sc->s[sc->i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			break;
		if (n < 7)
			buf[n] = (char)(c | 0x20);
		n++;
		sc->i++;
	}
	buf[n < 7 ? n : 7] = '\0';
	return n;
}

static int
month_number(const char *w)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	int	 m;

	if (strlen(w) != 3)
		return -1;
	for (m = 0; m < 12; m++)
		if (memcmp(months + m * 3, w, 3) == 0)
			return m + 1;
	return -1;
}

static long
zone_named(const char *w)
{
	static const struct {
		const char	*name;
		int		 hours;
	} zones[] = {
		{ "ut", 0 }, { "gmt", 0 }, { "utc", 0 }, { "z", 0 },
		{ "est", -5 }, { "edt", -4 }, { "cst", -6 }, { "cdt", -5 },
		{ "mst", -7 }, { "mdt", -6 }, { "pst", -8 }, { "pdt", -7 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strcmp(zones[i].name, w) == 0)
			return zones[i].hours * 3600L;
	return 0;	/* RFC 5322 4.3: other names mean -0000 */
}

static long
scan_zone(struct scan *sc)
{
	char	 w[8];
	int	 sign, n;
	long long v;

	skip_cfws(sc);
	if (sc->i >= sc->len)
		return 0;
	if (sc->s[sc->i] == '+' || sc->s[sc->i] == '-') {
		sign = sc->s[sc->i++] == '-' ? -1 : 1;
		v = scan_number(sc, 4, &n);
		if (n != 4 || v % 100 >= 60)
			return 0;
		return sign * (long)((v / 100) * 3600 + (v % 100) * 60);
	}
	if (scan_word(sc, w) == 0)
		return 0;
	return zone_named(w);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

long long
rule_date_utc(long long year, int month, int day, int hour, int min,
    int sec)
{
	return days_from_civil(year, month, day) * 86400 + hour * 3600LL +
	    min * 60LL + sec;
}

static int
scan_date(struct scan *sc, long long *year, int *month, int *day)
{
	char		 w[8];
	int		 n;
	long long	 v;

	skip_cfws(sc);
	/* Optional day of week, with or without its comma. */
	if (sc->i < sc->len && !(sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9')) {
		if (scan_word(sc, w) == 0)
			return -1;
		skip_cfws(sc);
		if (sc->i < sc->len && sc->s[sc->i] == ',')
			sc->i++;
		skip_cfws(sc);
	}
	if ((v = scan_number(sc, 2, &n)) < 1 || v > 31)
		return -1;
	*day = (int)v;
	skip_cfws(sc);
	if (sc->i < sc->len && sc->s[sc->i] == '-')	/* "24-Nov-2026" */
		sc->i++;
	if ((*month = month_number((scan_word(sc, w), w))) == -1)
		return -1;
	skip_cfws(sc);
	if (sc->i < sc->len && sc->s[sc->i] == '-')
		sc->i++;
	if ((v = scan_number(sc, 4, &n)) == -1)
		return -1;
	if (n == 2)
		v += v < 50 ? 2000 : 1900;
	else if (n == 3)
		v += 1900;
	*year = v;
	return 0;
}

static int
scan_time(struct scan *sc, int *hour, int *min, int *sec)
{
	long long	 v;
	int		 n;

	skip_cfws(sc);
	if ((v = scan_number(sc, 2, &n)) == -1 || v > 23)
		return -1;
	*hour = (int)v;
	if (sc->i >= sc->len || sc->s[sc->i++] != ':')
		return -1;
	if ((v = scan_number(sc, 2, &n)) == -1 || v > 59)
		return -1;
	*min = (int)v;
	*sec = 0;
	if (sc->i < sc->len && sc->s[sc->i] == ':') {
		sc->i++;
		if ((v = scan_number(sc, 2, &n)) == -1 || v > 60)
			return -1;
		*sec = v == 60 ? 59 : (int)v;
	}
	return 0;
}

int
rule_date_parse(const char *s, size_t len, time_t *t, long *offset)
{
	struct scan	 sc = { s, len, 0 };
	long long	 year, secs;
	int		 month, day, hour, min, sec;
	long		 off;

	if (scan_date(&sc, &year, &month, &day) == -1 ||
	    scan_time(&sc, &hour, &min, &sec) == -1)
		return -1;
	if (year > 9999)
		return -1;
	off = scan_zone(&sc);
	secs = rule_date_utc(year, month, day, hour, min, sec) - off;
	if ((long long)(time_t)secs != secs)
		return -1;
	*t = (time_t)secs;
	*offset = off;
	return 0;
}

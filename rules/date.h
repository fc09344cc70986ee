/* SPDX-License-Identifier: ISC */
/*
 * date.h - internal: the RFC 5322 date-time of a Date header.
 *
 * Accepts the modern form and the obsolete ones real mail carries:
 * optional day of week (with or without its comma), two- and three-digit
 * years (RFC 5322 4.3), missing seconds, alphabetic zones (UT, GMT,
 * EST ... PDT; military letters and unknown names count as +0000),
 * comments anywhere, trailing text after the zone.  No time zone
 * database and no global state are used.
 */
#ifndef RULES_DATE_H
#define RULES_DATE_H

#include <stddef.h>
#include <time.h>

/* Parse s[0..len); 0 with the UTC time and the zone's offset east of UTC
 * in seconds, or -1 if it is not a date. */
int	rule_date_parse(const char *s, size_t len, time_t *t, long *offset);
/* Seconds since the epoch of a proleptic Gregorian UTC date-time. */
long long rule_date_utc(long long year, int month, int day, int hour,
	    int min, int sec);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * charset.h - conversion of text in a declared charset to UTF-8.
 *
 * Uses glibc iconv, with the aliases real mail needs (gb2312 -> GB18030,
 * ks_c_5601-1987 -> CP949, windows-125x, x-unknown, unicode-1-1-utf-7,
 * ...), and fast paths for us-ascii, utf-8 and iso-8859-1.  Invalid bytes
 * become U+FFFD; conversion never aborts.  An unknown charset is decoded
 * as the fallback charset (or, without one, as UTF-8 with replacement).
 *
 * Like browsers (WHATWG Encoding), iso-8859-1 is decoded as its superset
 * windows-1252 and tis-620 as windows-874.  8-bit text labelled us-ascii
 * is taken as UTF-8 when it is valid UTF-8, else as the fallback (or
 * windows-1252), with MIME_DEFECT_BAD_CHARSET_DATA.  x-unknown and
 * unknown-8bit say "not known" and, like an empty or missing label, mean
 * the fallback without a defect.  No state is kept between calls; iconv
 * is opened per call.
 */
#ifndef MIME_CHARSET_H
#define MIME_CHARSET_H

#include <stddef.h>

#include "buf.h"

/* Canonical iconv name for a MIME charset label (case-insensitive,
 * surrounding whitespace and quotes ignored), or NULL if it is not in the
 * alias table (mime_charset_to_utf8 still asks iconv about such a label)
 * or means "unknown".  The result is a static string. */
const char	*mime_charset_canonical(const char *name);

/* Append the UTF-8 form of in[0..len) in charset to out.  fallback (may
 * be NULL) is used when charset is NULL or unknown.  Returns a defect bit
 * set (MIME_DEFECT_UNKNOWN_CHARSET, MIME_DEFECT_BAD_CHARSET_DATA), or -1
 * when memory runs out. */
int		 mime_charset_to_utf8(const char *charset, const char *in,
		    size_t len, const char *fallback, struct mime_buf *out);

/* Length of the well-formed UTF-8 sequence at s[0..len) (shortest form,
 * no surrogates, at most U+10FFFF), or 0 if there is none. */
size_t		 mime_utf8_seq(const char *s, size_t len);
/* 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int		 mime_utf8_valid(const char *s, size_t len);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * header.h - decoding header field values.
 *
 * Input is a raw field value as it sits in the message (after the colon,
 * possibly folded, CRLF or LF).  Output is UTF-8.  RFC 2047 encoded words
 * are decoded each on its own; the bytes of adjacent words in the same
 * charset are joined before charset conversion, so a character split across
 * two words survives; linear whitespace between adjacent encoded words is
 * dropped.  Raw 8-bit text is taken as UTF-8 when valid (RFC 6532), else
 * converted from the fallback charset with MIME_DEFECT_HEADER_8BIT.
 */
#ifndef MIME_HEADER_H
#define MIME_HEADER_H

#include <stddef.h>

#include "buf.h"

/* Append the unfolded value (CRLF/LF before whitespace removed, leading
 * and trailing whitespace trimmed) to out.  A stray CR or a bare line
 * break not followed by whitespace is removed too: the result never holds
 * CR or LF.  0, or -1 on ENOMEM. */
int	mime_header_unfold(const char *raw, size_t len, struct mime_buf *out);

/* Append the decoded value of an unstructured field (Subject, ...) to out.
 * The result holds no CR, LF or NUL: other controls but TAB become spaces.
 * Returns a defect bit set, or -1 on ENOMEM. */
int	mime_header_decode(const char *raw, size_t len, const char *fallback,
	    struct mime_buf *out);

/* Decode RFC 2047 words inside an already-extracted phrase (a display
 * name, a quoted filename).  Same rules and return as above, except that
 * outer whitespace is kept: the caller chose the span. */
int	mime_phrase_decode(const char *raw, size_t len, const char *fallback,
	    struct mime_buf *out);

/* Case-insensitive ASCII comparison of a span with a NUL-terminated name. */
int	mime_name_eq(const char *s, size_t len, const char *name);

#endif

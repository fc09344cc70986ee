/* SPDX-License-Identifier: ISC */
/*
 * body.h - internal: the text of a message for body conditions.
 *
 * Every text/plain and text/html leaf that is not an attachment, in tree
 * order, but of a multipart/alternative only one alternative (the first
 * text/plain one, else the first HTML or multipart one): transfer-decoded, converted to UTF-8 (charset.h: invalid bytes
 * become U+FFFD), HTML reduced to text (html.h), CRLF and lone CR made
 * LF; parts joined by a line break.  At most max bytes are produced, cut
 * on a UTF-8 character boundary; decoding stops there, so a huge body
 * costs no more than max.
 */
#ifndef RULES_BODY_H
#define RULES_BODY_H

#include <stddef.h>

struct mime_message;
struct mime_part;
struct mime_buf;

/* Append the text to out.  *defects receives the decoding defect bits,
 * *cut is set to 1 if text was left out.  0, or -1 on ENOMEM. */
int	rule_body_extract(const struct mime_message *, size_t max,
	    struct mime_buf *out, unsigned *defects, int *cut);
/* 1 for a leaf whose text is part of the body. */
int	rule_body_is_text(const struct mime_part *);
/* 1 for an attachment: disposition "attachment", or a file name. */
int	rule_part_is_attachment(const struct mime_part *);

#endif

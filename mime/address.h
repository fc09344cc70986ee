/* SPDX-License-Identifier: ISC */
/*
 * address.h - RFC 5322 address lists.
 *
 * Parses From/To/Cc/Reply-To/Sender values: display names (quoted strings,
 * RFC 2047 words, raw UTF-8), comments (also used as the name when there
 * is no phrase, as in "addr (Name)"), groups ("team: a@x, b@y;"), obsolete
 * routes ("<@relay:user@host>"), and tolerates the usual garbage: a bare
 * address, missing brackets, unbalanced quotes.  Never fails on bad input;
 * anomalies are reported as defects.
 */
#ifndef MIME_ADDRESS_H
#define MIME_ADDRESS_H

#include <stddef.h>

struct mime_address_list;

/* Parse raw (a header value, may be folded).  NULL only on ENOMEM.
 * *defects (may be NULL) receives a defect bit set. */
struct mime_address_list *mime_address_list_parse(const char *raw,
		    size_t len, const char *fallback, unsigned *defects);
void		 mime_address_list_free(struct mime_address_list *);
size_t		 mime_address_list_count(const struct mime_address_list *);
/* Decoded display name (UTF-8, "" when none). */
const char	*mime_address_list_name(const struct mime_address_list *,
		    size_t);
/* "local@domain" (the route dropped; "" for an empty group member). */
const char	*mime_address_list_address(const struct mime_address_list *,
		    size_t);
/* Name of the group the address belongs to, or NULL.  All three
 * accessors return NULL for an index out of range. */
const char	*mime_address_list_group(const struct mime_address_list *,
		    size_t);

#endif

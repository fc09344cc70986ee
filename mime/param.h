/* SPDX-License-Identifier: ISC */
/*
 * param.h - structured values with parameters: Content-Type and
 * Content-Disposition (RFC 2045, RFC 2183, RFC 2231).
 *
 * The result is packed into a mime_buf as NUL-terminated strings: first
 * the value (lower-cased, whitespace and comments removed: "text/plain",
 * "attachment"), then name, value, name, value ...  Names are lower-cased;
 * values are UTF-8: RFC 2231 continuations (name*0, name*1*, ...) are
 * joined in order before charset conversion (so a segment may split a
 * UTF-8 sequence), RFC 2047 words inside a quoted value are decoded (not
 * standard, but every mailer does it).  When both name and name* forms are
 * present, the RFC 2231 one wins.
 */
#ifndef MIME_PARAM_H
#define MIME_PARAM_H

#include <stddef.h>

#include "buf.h"

/* Parse raw[0..len) and append the packed form to out.  Returns the number
 * of parameters, or -1 on ENOMEM; *defects receives a defect bit set. */
int		 mime_param_parse(const char *raw, size_t len,
		    const char *fallback, struct mime_buf *out,
		    unsigned *defects);
/* Value of parameter name in a packed block holding nparams parameters
 * (starting at the leading value), or NULL. */
const char	*mime_param_get(const char *packed, int nparams,
		    const char *name);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * defect.h - the anomalies the MIME library reports instead of failing.
 *
 * Every malformation mime/ tolerates is named here.  The parser records
 * them as {offset, part, code}; decoders return them as a bit set
 * (1u << code).  mime_defect_name() gives the stable lower-case name that
 * rule files and `mailsift parse` use.
 */
#ifndef MIME_DEFECT_H
#define MIME_DEFECT_H

enum mime_defect_code {
	MIME_DEFECT_NO_HEADER_END,	/* header block not closed by an empty line */
	MIME_DEFECT_BAD_HEADER_LINE,	/* line in the header block without a colon */
	MIME_DEFECT_HEADER_8BIT,	/* raw 8-bit, non-UTF-8 header: fallback charset used */
	MIME_DEFECT_BAD_ENCODED_WORD,	/* RFC 2047 word that does not decode */
	MIME_DEFECT_UNKNOWN_CHARSET,	/* charset iconv does not know */
	MIME_DEFECT_BAD_CHARSET_DATA,	/* bytes invalid in their charset, replaced */
	MIME_DEFECT_NO_BOUNDARY_PARAM,	/* multipart without a boundary parameter */
	MIME_DEFECT_NO_START_BOUNDARY,	/* multipart whose boundary never appears */
	MIME_DEFECT_NO_END_BOUNDARY,	/* multipart not closed by its close delimiter */
	MIME_DEFECT_BAD_BASE64,		/* characters outside the base64 alphabet */
	MIME_DEFECT_BASE64_PARTIAL,	/* base64 ends with an incomplete group */
	MIME_DEFECT_BAD_QP,		/* invalid quoted-printable escape, kept literally */
	MIME_DEFECT_UNKNOWN_ENCODING,	/* Content-Transfer-Encoding not known: body kept raw */
	MIME_DEFECT_BAD_PARAM,		/* malformed Content-Type/-Disposition parameter */
	MIME_DEFECT_BAD_CONTENT_TYPE,	/* Content-Type without a valid type/subtype */
	MIME_DEFECT_BAD_ADDRESS,	/* address list that does not parse cleanly */
	MIME_DEFECT_DEPTH_LIMIT,	/* nesting deeper than the limit: rest kept opaque */
	MIME_DEFECT_PART_LIMIT,		/* more parts than the limit: rest kept opaque */
	MIME_DEFECT_HEADER_LIMIT,	/* header block larger than the limit */
	MIME_DEFECT_NUL_BYTE,		/* NUL byte in a header */
	MIME_DEFECT_EMPTY_PART,		/* delimiter right after a delimiter: no part made */
	MIME_DEFECT_COUNT
};

/* Stable name such as "no-end-boundary"; "unknown" for a bad code. */
const char	*mime_defect_name(enum mime_defect_code);
/* Code for a name, or -1. */
int		 mime_defect_from_name(const char *);

#endif

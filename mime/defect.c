/* SPDX-License-Identifier: ISC */
/* defect.c - names of MIME defects; see defect.h. */
#include <string.h>

#include "defect.h"

static const char *const defect_names[MIME_DEFECT_COUNT] = {
	[MIME_DEFECT_NO_HEADER_END] = "no-header-end",
	[MIME_DEFECT_BAD_HEADER_LINE] = "bad-header-line",
	[MIME_DEFECT_HEADER_8BIT] = "header-8bit",
	[MIME_DEFECT_BAD_ENCODED_WORD] = "bad-encoded-word",
	[MIME_DEFECT_UNKNOWN_CHARSET] = "unknown-charset",
	[MIME_DEFECT_BAD_CHARSET_DATA] = "bad-charset-data",
	[MIME_DEFECT_NO_BOUNDARY_PARAM] = "no-boundary-param",
	[MIME_DEFECT_NO_START_BOUNDARY] = "no-start-boundary",
	[MIME_DEFECT_NO_END_BOUNDARY] = "no-end-boundary",
	[MIME_DEFECT_BAD_BASE64] = "bad-base64",
	[MIME_DEFECT_BASE64_PARTIAL] = "base64-partial",
	[MIME_DEFECT_BAD_QP] = "bad-qp",
	[MIME_DEFECT_UNKNOWN_ENCODING] = "unknown-encoding",
	[MIME_DEFECT_BAD_PARAM] = "bad-param",
	[MIME_DEFECT_BAD_CONTENT_TYPE] = "bad-content-type",
	[MIME_DEFECT_BAD_ADDRESS] = "bad-address",
	[MIME_DEFECT_DEPTH_LIMIT] = "depth-limit",
	[MIME_DEFECT_PART_LIMIT] = "part-limit",
	[MIME_DEFECT_HEADER_LIMIT] = "header-limit",
	[MIME_DEFECT_NUL_BYTE] = "nul-byte",
	[MIME_DEFECT_EMPTY_PART] = "empty-part",
};

const char *
mime_defect_name(enum mime_defect_code code)
{
	if ((unsigned)code >= MIME_DEFECT_COUNT)
		return "unknown";
	return defect_names[code];
}

int
mime_defect_from_name(const char *name)
{
	int	 i;

	for (i = 0; i < MIME_DEFECT_COUNT; i++)
		if (strcmp(defect_names[i], name) == 0)
			return i;
	return -1;
}

/* SPDX-License-Identifier: ISC */
/* smtp-result.c - naming and freeing an SMTP send's outcome; see
 * smtp-result.h. */
#include <stdlib.h>

#include "daemon/send/smtp-result.h"

const char *
smtp_status_name(enum smtp_status st)
{
	switch (st) {
	case SMTP_OK:
		return "ok";
	case SMTP_TEMPFAIL:
		return "temporary failure";
	case SMTP_PERMFAIL:
		return "permanent failure";
	}
	return "unknown";
}

enum smtp_status
smtp_code_status(int code)
{
	/* A 5xx will not change by trying again; anything else might. */
	return code >= 500 && code <= 599 ? SMTP_PERMFAIL : SMTP_TEMPFAIL;
}

void
smtp_result_free(struct smtp_result *res)
{
	free(res->rcpts);
	res->rcpts = NULL;
	res->nrcpts = 0;
}

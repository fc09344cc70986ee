/* SPDX-License-Identifier: ISC */
/*
 * compose-raw.c - a message sent as it is (`mailsift send --raw`): its
 * envelope recipients from its To, Cc and Bcc fields, and the message
 * without its Bcc fields; see compose.h.
 *
 * The header is read with mime/'s parser, which never fails on bad
 * input and gives each field as a span into the caller's bytes: the Bcc
 * fields are cut out along those spans, so nothing else changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/send/compose.h"
#include "daemon/send/compose-enc.h"
#include "daemon/util/log.h"
#include "mime/address.h"
#include "mime/defect.h"
#include "mime/header.h"
#include "mime/message.h"

/* The fields a sendmail -t takes recipients from. */
static const char *const rcpt_fields[] = { "To", "Cc", "Bcc" };

struct addr_set {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

static struct mime_message *
raw_parse(const char *msg, size_t len, char *err, size_t errlen)
{
	struct mime_limits	 lim;
	struct mime_message	*m;

	mime_limits_init(&lim);
	if ((m = mime_message_parse(msg, len, &lim)) == NULL)
		snprintf(err, errlen, "out of memory reading the message");
	return m;
}

static const char *
rcpt_field(const char *name, size_t nlen)
{
	size_t	 i;

	for (i = 0; i < sizeof(rcpt_fields) / sizeof(rcpt_fields[0]); i++)
		if (mime_name_eq(name, nlen, rcpt_fields[i]))
			return rcpt_fields[i];
	return NULL;
}

/* The addresses of one field of the message into set.  The text is the
 * user's, but shown cleaned: it may come from anywhere. */
static int
field_addrs(struct addr_set *set, const char *field, const char *val,
    size_t vlen, char *err, size_t errlen)
{
	struct mime_address_list	*al;
	unsigned			 defects = 0;
	const char			*a, *why;
	char				 show[LOG_SHOW_SIZE];
	size_t				 i;
	int				 rc = -1;

	if ((al = mime_address_list_parse(val, vlen, "windows-1252",
	    &defects)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (defects & (1u << MIME_DEFECT_BAD_ADDRESS)) {
		snprintf(err, errlen, "the message's %s field '%s' is not a "
		    "valid address list", field, log_clean(val, vlen, show,
		    sizeof(show), LOG_CLEAN_MARK));
		goto out;
	}
	for (i = 0; i < mime_address_list_count(al); i++) {
		a = mime_address_list_address(al, i);
		if (a[0] == '\0')
			continue;	/* an empty group */
		if ((why = compose_addr_check(a)) != NULL) {
			snprintf(err, errlen, "the message's %s field: address "
			    "'%s' %s", field, log_clean(a, strlen(a), show,
			    sizeof(show), LOG_CLEAN_MARK), why);
			goto out;
		}
		if (compose_addrs_add(&set->v, &set->n, &set->cap, a) == -1) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	mime_address_list_free(al);
	return rc;
}

static int
header_addrs(struct addr_set *set, const char *msg, size_t len, char *err,
    size_t errlen)
{
	struct mime_message	*m;
	const struct mime_part	*root;
	const char		*name, *val, *field;
	size_t			 i, nlen, vlen;
	int			 rc = 0;

	if ((m = raw_parse(msg, len, err, errlen)) == NULL)
		return -1;
	root = mime_message_root(m);
	for (i = 0; i < mime_part_header_count(root) && rc == 0; i++) {
		mime_part_header_at(root, i, &name, &nlen, &val, &vlen);
		if ((field = rcpt_field(name, nlen)) != NULL)
			rc = field_addrs(set, field, val, vlen, err, errlen);
	}
	mime_message_free(m);
	return rc;
}

/* A list given on the command line: as strict as for a new message. */
static int
list_addrs(struct addr_set *set, const char *list, char *err, size_t errlen)
{
	struct mime_address_list	*al;
	const char			*a;
	size_t				 i;
	int				 rc = 0;

	if ((al = compose_addrs_parse("recipient", list, err,
	    errlen)) == NULL)
		return -1;
	for (i = 0; i < mime_address_list_count(al) && rc == 0; i++) {
		a = mime_address_list_address(al, i);
		if (a[0] != '\0' && (rc = compose_addrs_add(&set->v, &set->n,
		    &set->cap, a)) == -1)
			snprintf(err, errlen, "out of memory");
	}
	mime_address_list_free(al);
	return rc;
}

int
compose_raw_recipients(const char *msg, size_t len, int from_headers,
    const char *const *lists, size_t nlists, char ***addrs, size_t *naddrs,
    char *err, size_t errlen)
{
	struct addr_set	 set;
	size_t		 i;

	memset(&set, 0, sizeof(set));
	for (i = 0; i < nlists; i++)
		if (lists[i] != NULL &&
		    list_addrs(&set, lists[i], err, errlen) == -1)
			goto fail;
	if (from_headers && header_addrs(&set, msg, len, err, errlen) == -1)
		goto fail;
	if (set.n == 0) {
		snprintf(err, errlen, from_headers ? "no recipient: the "
		    "message has no address in To, Cc or Bcc" :
		    "no recipients");
		goto fail;
	}
	*addrs = set.v;
	*naddrs = set.n;
	return 0;
fail:
	compose_addrs_free(set.v);
	return -1;
}

/* Past the line end (LF or CRLF) at msg[at], if there is one. */
static size_t
line_next(const char *msg, size_t len, size_t at)
{
	if (at < len && msg[at] == '\r')
		at++;
	if (at < len && msg[at] == '\n')
		at++;
	return at;
}

int
compose_raw_strip_bcc(const char *msg, size_t len, struct mime_buf *out,
    char *err, size_t errlen)
{
	struct mime_message	*m;
	const struct mime_part	*root;
	const char		*name, *val;
	size_t			 i, nlen, vlen, from = 0, start;
	int			 failed = 0;

	mime_buf_reset(out);
	if ((m = raw_parse(msg, len, err, errlen)) == NULL)
		return -1;
	root = mime_message_root(m);
	for (i = 0; i < mime_part_header_count(root); i++) {
		mime_part_header_at(root, i, &name, &nlen, &val, &vlen);
		if (!mime_name_eq(name, nlen, "Bcc"))
			continue;
		start = (size_t)(name - msg);
		failed |= mime_buf_append(out, msg + from, start - from);
		from = line_next(msg, len, (size_t)(val - msg) + vlen);
	}
	failed |= mime_buf_append(out, msg + from, len - from);
	mime_message_free(m);
	if (failed) {
		mime_buf_reset(out);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

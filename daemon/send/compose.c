/* SPDX-License-Identifier: ISC */
/*
 * compose.c - composing a new message: header fields, the MIME
 * structure, text and HTML parts, attachments; see compose.h.
 *
 * Everything is checked before the first byte is written, so an error
 * never leaves half a message behind.  A part is written as its header
 * lines, an empty line and its body without a final line end: the CRLF
 * in front of the next delimiter belongs to the delimiter (RFC 2046
 * 5.1.1), so the decoded body is exactly what was given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/send/compose.h"
#include "daemon/send/compose-enc.h"
#include "daemon/send/mimetypes.h"
#include "mime/address.h"
#include "mime/charset.h"

/* Random bytes in a boundary, and tries to find one absent from the
 * parts written as they are. */
#define BOUNDARY_RANDOM		12
#define BOUNDARY_TRIES		8
#define BOUNDARY_MAX		64
#define MSGID_BUF		320
#define DATE_BUF		64
#define FORWARD_NAME		"forwarded-message.eml"

struct composer {
	const struct compose_msg	*m;
	struct mime_buf			*out;
	int				 nomem;
	char				*err;
	size_t				 errlen;
};

static void
put(struct composer *c, const char *s)
{
	compose_puts(c->out, &c->nomem, s);
}

static void
put_n(struct composer *c, const char *s, size_t len)
{
	compose_put(c->out, &c->nomem, s, len);
}

static int
bytes_contain(const char *hay, size_t len, const char *needle)
{
	size_t	 n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

/* Whether a boundary occurs in what goes out unencoded. */
static int
boundary_clashes(const struct compose_msg *m, const char *b)
{
	if (m->rfc822 != NULL && bytes_contain(m->rfc822, m->rfc822_len, b))
		return 1;
	if (m->text != NULL && bytes_contain(m->text, m->text_len, b))
		return 1;
	return m->html != NULL && bytes_contain(m->html, m->html_len, b);
}

static int
boundary_make(struct composer *c, char *b, size_t blen)
{
	char	 rnd[2 * BOUNDARY_RANDOM + 1];
	int	 i;

	for (i = 0; i < BOUNDARY_TRIES; i++) {
		if (compose_random_hex(rnd, BOUNDARY_RANDOM) == -1) {
			snprintf(c->err, c->errlen, "no random bytes for a "
			    "MIME boundary");
			return -1;
		}
		snprintf(b, blen, "=_msx_%s", rnd);
		if (!boundary_clashes(c->m, b))
			return 0;
	}
	snprintf(c->err, c->errlen, "no MIME boundary found that the "
	    "message does not contain");
	return -1;
}

static const char *
attachment_type(const struct compose_msg *m,
    const struct compose_attachment *a)
{
	return a->type != NULL ? a->type :
	    mimetypes_lookup(m->types, a->filename);
}

static int
attachment_check(const struct compose_msg *m,
    const struct compose_attachment *a, char *err, size_t errlen)
{
	const char	*type = attachment_type(m, a);

	if (a->filename != NULL && compose_check_field("attachment name",
	    a->filename, err, errlen) == -1)
		return -1;
	if (!mimetype_is_valid(type, strlen(type))) {
		snprintf(err, errlen, "attachment %s: content type '%.64s' "
		    "is not type/subtype", a->filename != NULL ?
		    a->filename : "(unnamed)", type);
		return -1;
	}
	if (a->data == NULL && a->len > 0) {
		snprintf(err, errlen, "attachment without data");
		return -1;
	}
	return 0;
}

static int
keyword_is_valid(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

static int
body_check(const char *what, const char *s, size_t len, char *err,
    size_t errlen)
{
	if (s == NULL || mime_utf8_valid(s, len))
		return 0;
	snprintf(err, errlen, "the %s is not valid UTF-8; convert it (e.g. "
	    "with iconv) first", what);
	return -1;
}

/* Everything a caller gave, before anything is written. */
static int
message_check(const struct compose_msg *m, char *err, size_t errlen)
{
	struct mime_address_list	*al;
	const char			*fields[] = { "From", "To", "Cc",
					    "Reply-To" };
	const char			*lists[] = { m->from, m->to, m->cc,
					    m->reply_to };
	size_t				 i;

	if (m->from == NULL) {
		snprintf(err, errlen, "From is required");
		return -1;
	}
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (lists[i] == NULL)
			continue;
		if ((al = compose_addrs_parse(fields[i], lists[i], err,
		    errlen)) == NULL)
			return -1;
		mime_address_list_free(al);
	}
	if (m->subject != NULL && compose_check_field("Subject", m->subject,
	    err, errlen) == -1)
		return -1;
	if ((m->in_reply_to != NULL && compose_check_field("In-Reply-To",
	    m->in_reply_to, err, errlen) == -1) ||
	    (m->references != NULL && compose_check_field("References",
	    m->references, err, errlen) == -1))
		return -1;
	if (m->auto_submitted != NULL && !keyword_is_valid(m->auto_submitted)) {
		snprintf(err, errlen, "Auto-Submitted: '%.64s' is not a "
		    "keyword", m->auto_submitted);
		return -1;
	}
	if (body_check("text", m->text, m->text_len, err, errlen) == -1 ||
	    body_check("HTML", m->html, m->html_len, err, errlen) == -1)
		return -1;
	for (i = 0; i < m->natt; i++)
		if (attachment_check(m, &m->att[i], err, errlen) == -1)
			return -1;
	return 0;
}

static void
field_simple(struct composer *c, const char *name, const char *value)
{
	struct hdr	 h;

	compose_hdr_begin(&h, c->out, &c->nomem, name);
	compose_hdr_word(&h, value, strlen(value));
	compose_hdr_end(&h);
}

static void
field_ids(struct composer *c, const char *name, const char *ids)
{
	struct hdr	 h;

	if (ids == NULL || compose_ids_count(ids) == 0)
		return;
	compose_hdr_begin(&h, c->out, &c->nomem, name);
	compose_hdr_ids(&h, ids);
	compose_hdr_end(&h);
}

static int
field_addrs(struct composer *c, const char *name, const char *list)
{
	struct hdr	 h;

	if (list == NULL)
		return 0;
	return compose_hdr_addrs(&h, c->out, &c->nomem, name, list, c->err,
	    c->errlen);
}

static int
headers_write(struct composer *c)
{
	const struct compose_msg	*m = c->m;
	struct hdr			 h;
	char				 date[DATE_BUF], id[MSGID_BUF];

	if (compose_date(m->date, date, sizeof(date)) == -1) {
		snprintf(c->err, c->errlen, "cannot format the date");
		return -1;
	}
	if (compose_msgid(m->msgid_host, m->from, id, sizeof(id)) == -1) {
		snprintf(c->err, c->errlen, "cannot make a Message-ID");
		return -1;
	}
	field_simple(c, "Date", date);
	if (field_addrs(c, "From", m->from) == -1 ||
	    field_addrs(c, "To", m->to) == -1 ||
	    field_addrs(c, "Cc", m->cc) == -1 ||
	    field_addrs(c, "Reply-To", m->reply_to) == -1)
		return -1;
	if (m->subject != NULL) {
		compose_hdr_begin(&h, c->out, &c->nomem, "Subject");
		compose_hdr_text(&h, m->subject);
		compose_hdr_end(&h);
	}
	field_simple(c, "Message-ID", id);
	field_ids(c, "In-Reply-To", m->in_reply_to);
	field_ids(c, "References", m->references);
	if (m->auto_submitted != NULL)
		field_simple(c, "Auto-Submitted", m->auto_submitted);
	put(c, "MIME-Version: 1.0\r\n");
	return 0;
}

static void
text_part_write(struct composer *c, const char *subtype, const char *s,
    size_t len)
{
	int	 plain = compose_is_7bit(s, len);

	put(c, "Content-Type: text/");
	put(c, subtype);
	put(c, "; charset=utf-8\r\nContent-Transfer-Encoding: ");
	put(c, plain ? "7bit\r\n\r\n" : "quoted-printable\r\n\r\n");
	if (plain)
		compose_crlf(c->out, &c->nomem, s, len);
	else
		compose_qp(c->out, &c->nomem, s, len);
}

/* RFC 2046 5.2.1: message/rfc822 is never base64 or quoted-printable,
 * so the original goes as it is; 8bit if it has 8-bit bytes. */
static void
rfc822_part_write(struct composer *c, const char *s, size_t len,
    const char *filename)
{
	struct hdr	 h;

	compose_mbox_skip(&s, &len);
	put(c, "Content-Type: message/rfc822\r\n");
	compose_hdr_begin(&h, c->out, &c->nomem, "Content-Disposition");
	compose_hdr_word(&h, "attachment", 10);
	compose_hdr_param(&h, "filename", filename);
	compose_hdr_end(&h);
	put(c, "Content-Transfer-Encoding: ");
	put(c, compose_is_ascii(s, len) ? "7bit\r\n\r\n" : "8bit\r\n\r\n");
	compose_crlf(c->out, &c->nomem, s, len);
}

static int
text_is_short_ascii(const char *s)
{
	return strlen(s) <= 60 && compose_is_ascii(s, strlen(s)) &&
	    strstr(s, "=?") == NULL;
}

static void
attachment_write(struct composer *c, const struct compose_attachment *a)
{
	const char	*type = attachment_type(c->m, a);
	struct hdr	 h;

	if (strcasecmp(type, "message/rfc822") == 0) {
		rfc822_part_write(c, a->data, a->len, a->filename != NULL ?
		    a->filename : FORWARD_NAME);
		return;
	}
	/* Composite types cannot be base64 (RFC 2045 6.4). */
	if (strncasecmp(type, "multipart/", 10) == 0 ||
	    strncasecmp(type, "message/", 8) == 0)
		type = "application/octet-stream";
	compose_hdr_begin(&h, c->out, &c->nomem, "Content-Type");
	compose_hdr_word(&h, type, strlen(type));
	if (strncasecmp(type, "text/", 5) == 0 &&
	    !compose_is_ascii(a->data, a->len) &&
	    mime_utf8_valid(a->data, a->len))
		compose_hdr_param(&h, "charset", "utf-8");
	if (a->filename != NULL && text_is_short_ascii(a->filename))
		compose_hdr_param(&h, "name", a->filename);
	else if (a->filename != NULL)
		compose_hdr_param_2047(&h, "name", a->filename);
	compose_hdr_end(&h);
	compose_hdr_begin(&h, c->out, &c->nomem, "Content-Disposition");
	compose_hdr_word(&h, "attachment", 10);
	if (a->filename != NULL)
		compose_hdr_param(&h, "filename", a->filename);
	compose_hdr_end(&h);
	put(c, "Content-Transfer-Encoding: base64\r\n\r\n");
	compose_base64(c->out, &c->nomem, a->data, a->len);
}

static int
multipart_begin(struct composer *c, const char *subtype, char *b,
    size_t blen)
{
	if (boundary_make(c, b, blen) == -1)
		return -1;
	put(c, "Content-Type: multipart/");
	put(c, subtype);
	put(c, "; boundary=\"");
	put(c, b);
	put(c, "\"\r\n\r\n");
	return 0;
}

static void
multipart_next(struct composer *c, const char *b, int first)
{
	put(c, first ? "--" : "\r\n--");
	put(c, b);
	put(c, "\r\n");
}

static void
multipart_end(struct composer *c, const char *b)
{
	put(c, "\r\n--");
	put(c, b);
	put(c, "--\r\n");
}

/* The readable body: text, HTML, or both as alternatives. */
static int
main_part_write(struct composer *c)
{
	const struct compose_msg	*m = c->m;
	char				 b[BOUNDARY_MAX];

	if (m->text != NULL && m->html != NULL) {
		if (multipart_begin(c, "alternative", b, sizeof(b)) == -1)
			return -1;
		multipart_next(c, b, 1);
		text_part_write(c, "plain", m->text, m->text_len);
		multipart_next(c, b, 0);
		text_part_write(c, "html", m->html, m->html_len);
		multipart_end(c, b);
	} else if (m->html != NULL)
		text_part_write(c, "html", m->html, m->html_len);
	else
		text_part_write(c, "plain", m->text != NULL ? m->text : "",
		    m->text != NULL ? m->text_len : 0);
	return 0;
}

static int
mixed_write(struct composer *c)
{
	const struct compose_msg	*m = c->m;
	char				 b[BOUNDARY_MAX];
	size_t				 i;
	int				 first = 1;

	if (multipart_begin(c, "mixed", b, sizeof(b)) == -1)
		return -1;
	if (m->text != NULL || m->html != NULL) {
		multipart_next(c, b, first);
		first = 0;
		if (main_part_write(c) == -1)
			return -1;
	}
	for (i = 0; i < m->natt; i++) {
		multipart_next(c, b, first);
		first = 0;
		attachment_write(c, &m->att[i]);
	}
	if (m->rfc822 != NULL) {
		multipart_next(c, b, first);
		rfc822_part_write(c, m->rfc822, m->rfc822_len, FORWARD_NAME);
	}
	multipart_end(c, b);
	return 0;
}

static int
body_write(struct composer *c)
{
	const struct compose_msg	*m = c->m;
	const char			*end;

	if (m->natt > 0 || m->rfc822 != NULL)
		return mixed_write(c);
	if (main_part_write(c) == -1)
		return -1;
	/* A single part: the message still ends with a line end. */
	end = c->out->data + c->out->len;
	if (c->out->len < 2 || end[-2] != '\r' || end[-1] != '\n')
		put_n(c, "\r\n", 2);
	return 0;
}

int
compose_message(const struct compose_msg *m, struct mime_buf *out,
    char *err, size_t errlen)
{
	struct composer	 c;

	memset(&c, 0, sizeof(c));
	c.m = m;
	c.out = out;
	c.err = err;
	c.errlen = errlen;
	mime_buf_reset(out);
	if (message_check(m, err, errlen) == -1)
		goto fail;
	if (headers_write(&c) == -1 || body_write(&c) == -1)
		goto fail;
	if (c.nomem) {
		snprintf(err, errlen, "out of memory composing the message");
		goto fail;
	}
	return 0;
fail:
	mime_buf_reset(out);
	return -1;
}

int
compose_addrs_add(char ***v, size_t *n, size_t *cap, const char *a)
{
	char	**nv;
	size_t	 i, ncap;

	for (i = 0; i < *n; i++)
		if (strcasecmp((*v)[i], a) == 0)
			return 0;
	if (*n + 1 >= *cap) {
		ncap = *cap ? 2 * *cap : 8;
		if ((nv = reallocarray(*v, ncap, sizeof(*nv))) == NULL)
			return -1;
		*v = nv;
		*cap = ncap;
	}
	if (((*v)[*n] = strdup(a)) == NULL)
		return -1;
	(*v)[++*n] = NULL;
	return 0;
}

int
compose_addrs(const char *const *lists, size_t nlists, char ***addrs,
    size_t *naddrs, char *err, size_t errlen)
{
	struct mime_address_list	*al;
	const char			*a;
	char				**v = NULL;
	size_t				 n = 0, cap = 0, i, k;

	for (i = 0; i < nlists; i++) {
		if (lists[i] == NULL)
			continue;
		if ((al = compose_addrs_parse("recipient", lists[i], err,
		    errlen)) == NULL)
			goto fail;
		for (k = 0; k < mime_address_list_count(al); k++) {
			a = mime_address_list_address(al, k);
			if (a[0] != '\0' && compose_addrs_add(&v, &n, &cap, a) == -1) {
				mime_address_list_free(al);
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
		}
		mime_address_list_free(al);
	}
	if (n == 0) {
		snprintf(err, errlen, "no recipients");
		goto fail;
	}
	*addrs = v;
	*naddrs = n;
	return 0;
fail:
	compose_addrs_free(v);
	return -1;
}

void
compose_addrs_free(char **v)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

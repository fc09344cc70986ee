/* SPDX-License-Identifier: ISC */
/*
 * compose-reply.c - messages made from a message received: RFC 3834
 * auto-replies, forwards as message/rfc822 and redirects with Resent-
 * fields; see compose.h.
 *
 * What is taken from the original (Subject, Message-ID, References,
 * Return-Path) is read with mime/ and goes through the same checks and
 * encoders as anything a caller gives, so a hostile original cannot
 * smuggle a header field into the reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/send/compose.h"
#include "daemon/send/compose-enc.h"
#include "mime/mime.h"

#define ORIG_FALLBACK	"windows-1252"
#define MSGID_BUF	320
#define DATE_BUF	64

/* What a reply or forward needs of the original. */
struct orig_fields {
	struct mime_buf	 subject;	/* decoded */
	struct mime_buf	 message_id;	/* unfolded */
	struct mime_buf	 references;	/* unfolded, ids to refer to */
	struct mime_buf	 return_path;	/* the address, "" if null */
	int		 has_return_path;
};

/* Empty but allocated: data is "" rather than NULL. */
static int
buf_init_empty(struct mime_buf *b)
{
	mime_buf_init(b);
	return mime_buf_append(b, "", 0);
}

static int
orig_fields_init(struct orig_fields *o)
{
	memset(o, 0, sizeof(*o));
	if (buf_init_empty(&o->subject) == -1 ||
	    buf_init_empty(&o->message_id) == -1 ||
	    buf_init_empty(&o->references) == -1 ||
	    buf_init_empty(&o->return_path) == -1)
		return -1;
	return 0;
}

static void
orig_fields_free(struct orig_fields *o)
{
	mime_buf_free(&o->subject);
	mime_buf_free(&o->message_id);
	mime_buf_free(&o->references);
	mime_buf_free(&o->return_path);
}

/* The raw value of the first field called name, or 0. */
static int
orig_field(const struct mime_part *root, const char *name, const char **v,
    size_t *vlen)
{
	const char	*n;
	size_t		 nlen;
	long		 i;

	if ((i = mime_part_header_find(root, name, 0)) < 0)
		return 0;
	mime_part_header_at(root, (size_t)i, &n, &nlen, v, vlen);
	return 1;
}

/* "<addr>" or "<>" (null: an empty address), or a bare address. */
static int
return_path_parse(const char *raw, size_t len, struct mime_buf *out)
{
	struct mime_buf	 u;
	const char	*s, *lt, *gt;
	int		 r;

	mime_buf_init(&u);
	if (mime_header_unfold(raw, len, &u) == -1)
		return -1;
	s = u.data;
	lt = strchr(s, '<');
	gt = lt != NULL ? strchr(lt, '>') : NULL;
	if (lt != NULL && gt != NULL)
		r = mime_buf_append(out, lt + 1, (size_t)(gt - lt - 1));
	else
		r = mime_buf_append_str(out, s);
	mime_buf_free(&u);
	return r;
}

static int
orig_read(const char *msg, size_t len, struct orig_fields *o)
{
	struct mime_message	*mm;
	const struct mime_part	*root;
	const char		*v;
	size_t			 vlen;
	int			 r = -1;

	if ((mm = mime_message_parse(msg, len, NULL)) == NULL)
		return -1;
	root = mime_message_root(mm);
	if (orig_field(root, "Subject", &v, &vlen) &&
	    mime_header_decode(v, vlen, ORIG_FALLBACK, &o->subject) == -1)
		goto done;
	if (orig_field(root, "Message-ID", &v, &vlen) &&
	    mime_header_unfold(v, vlen, &o->message_id) == -1)
		goto done;
	/* RFC 5322 3.6.4: References, else a single In-Reply-To id. */
	if (orig_field(root, "References", &v, &vlen)) {
		if (mime_header_unfold(v, vlen, &o->references) == -1)
			goto done;
	} else if (orig_field(root, "In-Reply-To", &v, &vlen)) {
		if (mime_header_unfold(v, vlen, &o->references) == -1)
			goto done;
		if (compose_ids_count(o->references.data) != 1)
			mime_buf_reset(&o->references);
	}
	if (orig_field(root, "Return-Path", &v, &vlen)) {
		o->has_return_path = 1;
		if (return_path_parse(v, vlen, &o->return_path) == -1)
			goto done;
	}
	r = 0;
done:
	mime_message_free(mm);
	return r;
}

/* prefix + the original subject, unless it already starts so; none
 * when the original has none. */
static int
subject_make(const char *prefix, const char *none, const char *orig,
    struct mime_buf *out)
{
	size_t	 n = strlen(prefix);

	if (orig[0] == '\0')
		return mime_buf_append_str(out, none);
	if (strncasecmp(orig, prefix, n) == 0)
		return mime_buf_append_str(out, orig);
	if (mime_buf_append_str(out, prefix) == -1)
		return -1;
	return mime_buf_append_str(out, orig);
}

static int
refs_make(const struct orig_fields *o, struct mime_buf *out)
{
	if (mime_buf_append_str(out, o->references.data) == -1 ||
	    mime_buf_append_char(out, ' ') == -1)
		return -1;
	return mime_buf_append_str(out, o->message_id.data);
}

int
compose_auto_reply(const struct compose_reply *r, struct mime_buf *out,
    char *err, size_t errlen)
{
	struct orig_fields	 o;
	struct compose_msg	 m;
	struct mime_buf		 subj, refs;
	int			 rc = -1;

	mime_buf_init(&subj);
	mime_buf_init(&refs);
	mime_buf_reset(out);
	if (orig_fields_init(&o) == -1 ||
	    orig_read(r->orig, r->orig_len, &o) == -1 ||
	    subject_make("Auto: ", "Automatic reply", o.subject.data,
	    &subj) == -1 ||
	    refs_make(&o, &refs) == -1) {
		snprintf(err, errlen, "out of memory reading the original");
		goto done;
	}
	memset(&m, 0, sizeof(m));
	m.from = r->from;
	m.to = r->to != NULL ? r->to : o.return_path.data;
	if (r->to == NULL && (!o.has_return_path || m.to[0] == '\0')) {
		snprintf(err, errlen, "the original has %s return path: no "
		    "auto-reply is sent to it", o.has_return_path ? "a null" :
		    "no");
		goto done;
	}
	m.subject = r->subject != NULL ? r->subject : subj.data;
	m.text = r->text != NULL ? r->text : "";
	m.text_len = strlen(m.text);
	m.in_reply_to = o.message_id.data;
	m.references = refs.data;
	m.auto_submitted = "auto-replied";
	rc = compose_message(&m, out, err, errlen);
done:
	orig_fields_free(&o);
	mime_buf_free(&subj);
	mime_buf_free(&refs);
	return rc;
}

int
compose_forward(const struct compose_forward *f, struct mime_buf *out,
    char *err, size_t errlen)
{
	struct orig_fields	 o;
	struct compose_msg	 m;
	struct mime_buf		 subj;
	int			 rc = -1;

	mime_buf_init(&subj);
	mime_buf_reset(out);
	if (orig_fields_init(&o) == -1 ||
	    orig_read(f->orig, f->orig_len, &o) == -1 ||
	    subject_make("Fwd: ", "Forwarded message", o.subject.data,
	    &subj) == -1) {
		snprintf(err, errlen, "out of memory reading the original");
		goto done;
	}
	memset(&m, 0, sizeof(m));
	m.from = f->from;
	m.to = f->to;
	m.subject = f->subject != NULL ? f->subject : subj.data;
	m.text = f->text;
	m.text_len = f->text != NULL ? strlen(f->text) : 0;
	m.rfc822 = f->orig;
	m.rfc822_len = f->orig_len;
	rc = compose_message(&m, out, err, errlen);
done:
	orig_fields_free(&o);
	mime_buf_free(&subj);
	return rc;
}

/* The Resent- block, CRLF line ends. */
static int
resent_write(const struct compose_redirect *r, struct mime_buf *out,
    int *nomem, char *err, size_t errlen)
{
	struct hdr	 h;
	char		 date[DATE_BUF], id[MSGID_BUF];

	if (compose_date(r->date, date, sizeof(date)) == -1 ||
	    compose_msgid(r->msgid_host, r->from, id, sizeof(id)) == -1) {
		snprintf(err, errlen, "cannot make Resent-Date or "
		    "Resent-Message-ID");
		return -1;
	}
	compose_hdr_begin(&h, out, nomem, "Resent-Date");
	compose_hdr_word(&h, date, strlen(date));
	compose_hdr_end(&h);
	if (compose_hdr_addrs(&h, out, nomem, "Resent-From", r->from, err,
	    errlen) == -1 ||
	    compose_hdr_addrs(&h, out, nomem, "Resent-To", r->to, err,
	    errlen) == -1)
		return -1;
	compose_hdr_begin(&h, out, nomem, "Resent-Message-ID");
	compose_hdr_word(&h, id, strlen(id));
	compose_hdr_end(&h);
	return 0;
}

int
compose_redirect(const struct compose_redirect *r, struct mime_buf *out,
    char *err, size_t errlen)
{
	struct mime_buf	 block;
	const char	*s = r->orig, *nl;
	size_t		 len = r->orig_len, i;
	int		 nomem = 0, lf;

	mime_buf_reset(out);
	if (r->from == NULL || r->to == NULL) {
		snprintf(err, errlen, "a redirect needs Resent-From and "
		    "Resent-To");
		return -1;
	}
	compose_mbox_skip(&s, &len);
	nl = memchr(s, '\n', len);
	lf = nl != NULL && (nl == s || nl[-1] != '\r');
	mime_buf_init(&block);
	if (resent_write(r, &block, &nomem, err, errlen) == -1) {
		mime_buf_free(&block);
		return -1;
	}
	for (i = 0; i < block.len; i++)
		if (!(lf && block.data[i] == '\r'))
			compose_put(out, &nomem, block.data + i, 1);
	compose_put(out, &nomem, s, len);
	mime_buf_free(&block);
	if (nomem) {
		snprintf(err, errlen, "out of memory");
		mime_buf_reset(out);
		return -1;
	}
	return 0;
}

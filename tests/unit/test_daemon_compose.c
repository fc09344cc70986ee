/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_compose.c - composing messages (daemon/compose*.c).
 *
 * Every composed message is parsed back with mime/ and checked the way
 * a reader would see it: structure, types, charsets, file names, the
 * decoded bytes of every part, decoded Subject and names.  Also checked:
 * line lengths (78 for header lines, 76 for encoded bodies, 75 for an
 * encoded word) and that no caller's string can add a header field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/send/compose.h"
#include "daemon/send/mimetypes.h"
#include "mime/mime.h"

struct decoded {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

static int
decoded_sink(void *ctx, const char *data, size_t len)
{
	struct decoded	*d = ctx;

	if (d->len + len + 1 > d->cap) {
		d->cap = 2 * (d->len + len + 1);
		d->data = realloc(d->data, d->cap);
		assert_non_null(d->data);
	}
	memcpy(d->data + d->len, data, len);
	d->len += len;
	d->data[d->len] = '\0';
	return 0;
}

/* The decoded body of p (caller frees). */
static char *
body_of(const struct mime_part *p, size_t *len)
{
	struct decoded	 d = { NULL, 0, 0 };

	decoded_sink(&d, "", 0);
	assert_true(mime_part_decode(p, decoded_sink, &d) >= 0);
	*len = d.len;
	return d.data;
}

/* The n-th leaf (0-based) in depth-first order, or NULL. */
static const struct mime_part *
leaf_at(const struct mime_message *m, unsigned n)
{
	const struct mime_part	*p;

	for (p = mime_message_root(m); p != NULL; p = mime_part_walk_next(p))
		if (mime_part_is_leaf(p) && n-- == 0)
			return p;
	return NULL;
}

static unsigned
leaf_count(const struct mime_message *m)
{
	const struct mime_part	*p;
	unsigned		 n = 0;

	for (p = mime_message_root(m); p != NULL; p = mime_part_walk_next(p))
		if (mime_part_is_leaf(p))
			n++;
	return n;
}

/* Decoded value of the first field `name` of p, or NULL (caller frees). */
static char *
field_of(const struct mime_part *p, const char *name)
{
	struct mime_buf	 b;
	const char	*n, *v;
	size_t		 nlen, vlen;
	long		 i;

	if ((i = mime_part_header_find(p, name, 0)) < 0)
		return NULL;
	mime_part_header_at(p, (size_t)i, &n, &nlen, &v, &vlen);
	mime_buf_init(&b);
	assert_true(mime_header_decode(v, vlen, "windows-1252", &b) >= 0);
	assert_true(mime_buf_append(&b, "", 0) == 0);
	return mime_buf_steal(&b);
}

static size_t
field_count(const struct mime_part *p, const char *name)
{
	size_t	 n = 0;
	long	 i = -1;

	while ((i = mime_part_header_find(p, name, (size_t)(i + 1))) >= 0)
		n++;
	return n;
}

static void
assert_field(const struct mime_part *p, const char *name, const char *want)
{
	char	*got = field_of(p, name);

	if (got == NULL)
		fail_msg("no %s field", name);
	if (strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", name, got, want);
	free(got);
}

/* s with every line end made CRLF (caller frees). */
static char *
crlf_of(const char *s, size_t len, size_t *outlen)
{
	char	*out = malloc(2 * len + 1);
	size_t	 i, n = 0;

	assert_non_null(out);
	for (i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
				i++;
			out[n++] = '\r';
			out[n++] = '\n';
		} else
			out[n++] = s[i];
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}

/* Header lines at most 78, body lines at most 998 (76 when encoded);
 * every line ends in CRLF; every encoded word is at most 75. */
static void
assert_lines_ok(const struct mime_buf *b, int check_body)
{
	const char	*s = b->data, *end = b->data + b->len, *nl, *w, *q;
	int		 in_header = 1;
	size_t		 len;

	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		assert_non_null(nl);
		assert_true(nl > s && nl[-1] == '\r');
		len = (size_t)(nl - s) - 1;
		if (in_header && len > 78)
			fail_msg("header line of %zu: %.*s", len, (int)len, s);
		if (check_body && len > 76)
			fail_msg("body line of %zu: %.*s", len, (int)len, s);
		assert_true(len <= 998);
		for (w = s; in_header && (w = strstr(w, "=?")) != NULL &&
		    w < nl; w = q) {
			/* "=?UTF-8?Q?...?=": skip the two inner '?'. */
			q = strchr(w + 2, '?');
			q = q != NULL ? strchr(q + 1, '?') : NULL;
			q = q != NULL ? strstr(q + 1, "?=") : NULL;
			assert_non_null(q);
			q += 2;
			if (q - w > 75)
				fail_msg("encoded word of %zu", (size_t)(q - w));
		}
		if (len == 0)
			in_header = 0;
		s = nl + 1;
	}
}

static struct mime_message *
compose_parse(const struct compose_msg *m, struct mime_buf *out)
{
	struct mime_message	*mm;
	char			 err[512];

	mime_buf_init(out);
	if (compose_message(m, out, err, sizeof(err)) == -1)
		fail_msg("compose: %s", err);
	mm = mime_message_parse(out->data, out->len, NULL);
	assert_non_null(mm);
	if (mime_message_defect_count(mm) != 0)
		fail_msg("defect %d in:\n%s",
		    (int)mime_message_defect(mm, 0)->code, out->data);
	return mm;
}

static void
assert_body(const struct mime_part *p, const char *want, size_t wantlen)
{
	char	*got;
	size_t	 len;

	got = body_of(p, &len);
	assert_int_equal(len, wantlen);
	assert_memory_equal(got, want, len);
	free(got);
}

static void
assert_type(const struct mime_part *p, const char *type, const char *sub)
{
	assert_string_equal(mime_part_type(p), type);
	assert_string_equal(mime_part_subtype(p), sub);
}

/* ---- the tests ---- */

static void
test_plain_ascii(void **state)
{
	struct compose_msg	 m;
	struct mime_buf		 out;
	struct mime_message	*mm;
	const struct mime_part	*root;
	char			*v;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.from = "Alice Example <alice@example.org>";
	m.to = "bob@example.org";
	m.subject = "Hello there";
	m.text = "Line one\nline two\n";
	m.text_len = strlen(m.text);
	mm = compose_parse(&m, &out);
	root = mime_message_root(mm);
	assert_true(mime_part_is_leaf(root));
	assert_type(root, "text", "plain");
	assert_string_equal(mime_part_charset(root), "utf-8");
	assert_int_equal(mime_part_encoding(root), MIME_ENC_7BIT);
	assert_body(root, "Line one\r\nline two\r\n", 20);
	assert_field(root, "Subject", "Hello there");
	assert_field(root, "MIME-Version", "1.0");
	assert_field(root, "To", "bob@example.org");
	v = field_of(root, "Message-ID");
	assert_non_null(v);
	assert_true(v[0] == '<' && v[strlen(v) - 1] == '>');
	assert_non_null(strstr(v, "@example.org>"));
	free(v);
	v = field_of(root, "Date");
	assert_non_null(v);
	/* "Thu, 1 Jan 2025 10:00:00 +0100" */
	assert_true(strlen(v) >= 29 && v[3] == ',');
	assert_true(v[strlen(v) - 5] == '+' || v[strlen(v) - 5] == '-');
	free(v);
	assert_int_equal(field_count(root, "Bcc"), 0);
	assert_lines_ok(&out, 0);
	mime_message_free(mm);
	mime_buf_free(&out);
}

static void
test_text_non_ascii_qp(void **state)
{
	static const char text[] = "Grüße, Jörg!\nÄ = B\n.dot\nFrom here\n"
	    "trailing space \ntab\t\nbare\rcr\r\nlong: "
	    "ääääääääääääääääääääääääääääääääääääääääääääääääääää\nend";
	struct compose_msg	 m;
	struct mime_buf		 out;
	struct mime_message	*mm;
	const struct mime_part	*root;
	char			*want;
	size_t			 wantlen;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.from = "alice@example.org";
	m.to = "bob@example.org";
	m.text = text;
	m.text_len = strlen(text);
	mm = compose_parse(&m, &out);
	root = mime_message_root(mm);
	assert_int_equal(mime_part_encoding(root), MIME_ENC_QP);
	/* Quoted-printable only: the message is 7-bit clean. */
	for (size_t i = 0; i < out.len; i++)
		assert_true((unsigned char)out.data[i] < 0x80);
	assert_non_null(strstr(out.data, "\r\n=46rom here"));
	/* The message ends with a line end the text lacked, and the
	 * decoded body of a single part keeps it. */
	want = crlf_of(text, strlen(text), &wantlen);
	want = realloc(want, wantlen + 3);
	assert_non_null(want);
	memcpy(want + wantlen, "\r\n", 3);
	assert_body(root, want, wantlen + 2);
	free(want);
	assert_lines_ok(&out, 0);
	mime_message_free(mm);
	mime_buf_free(&out);
}

static void
test_alternative(void **state)
{
	struct compose_msg	 m;
	struct mime_buf		 out;
	struct mime_message	*mm;
	const struct mime_part	*root, *p;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.from = "alice@example.org";
	m.to = "bob@example.org";
	m.subject = "both";
	m.text = "plain\n";
	m.text_len = 6;
	m.html = "<p>html é</p>\n";
	m.html_len = strlen(m.html);
	mm = compose_parse(&m, &out);
	root = mime_message_root(mm);
	assert_type(root, "multipart", "alternative");
	assert_int_equal(leaf_count(mm), 2);
	p = leaf_at(mm, 0);
	assert_type(p, "text", "plain");
	assert_body(p, "plain\r\n", 7);
	p = leaf_at(mm, 1);
	assert_type(p, "text", "html");
	assert_string_equal(mime_part_charset(p), "utf-8");
	assert_body(p, "<p>html \xc3\xa9</p>\r\n", 16);
	mime_message_free(mm);
	mime_buf_free(&out);
}

static char *
binary_blob(size_t len)
{
	char	*b = malloc(len + 1);
	size_t	 i;

	assert_non_null(b);
	for (i = 0; i < len; i++)
		b[i] = (char)((i * 7 + i / 256) & 0xff);
	return b;
}

static void
test_attachments_bytes_exact(void **state)
{
	static const size_t	 sizes[] = { 0, 1, 2, 3, 56, 57, 58, 256,
				    10000 };
	struct compose_attachment att[sizeof(sizes) / sizeof(sizes[0])];
	struct compose_msg	 m;
	struct mime_buf		 out;
	struct mime_message	*mm;
	const struct mime_part	*p;
	char			*blob = binary_blob(10000), name[32];
	char			 names[sizeof(sizes) / sizeof(sizes[0])][32];
	size_t			 i, n = sizeof(sizes) / sizeof(sizes[0]);

	(void)state;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "blob-%zu.bin", sizes[i]);
		att[i].filename = names[i];
		att[i].type = NULL;
		att[i].data = blob;
		att[i].len = sizes[i];
	}
	m.from = "alice@example.org";
	m.to = "bob@example.org";
	m.text = "see attached\n";
	m.text_len = strlen(m.text);
	m.att = att;
	m.natt = n;
	mm = compose_parse(&m, &out);
	assert_type(mime_message_root(mm), "multipart", "mixed");
	assert_int_equal(leaf_count(mm), n + 1);
	assert_body(leaf_at(mm, 0), "see attached\r\n", 14);
	for (i = 0; i < n; i++) {
		p = leaf_at(mm, (unsigned)i + 1);
		assert_type(p, "application", "octet-stream");
		assert_int_equal(mime_part_encoding(p), MIME_ENC_BASE64);
		assert_string_equal(mime_part_disposition(p), "attachment");
		snprintf(name, sizeof(name), "blob-%zu.bin", sizes[i]);
		assert_string_equal(mime_part_filename(p), name);
		assert_string_equal(mime_part_param(p, "name"), name);
		assert_body(p, blob, sizes[i]);
	}
	assert_lines_ok(&out, 1);
	free(blob);
	mime_message_free(mm);
	mime_buf_free(&out);
}

static void
test_attachment_names(void **state)
{
	static const char *const names[] = {
		"Grüße aus München.txt",
		"Отчёт за квартал — финальная версия (исправленная) №2.pdf",
		"a \"quoted\" back\\slash; name=x.txt",
		"=?UTF-8?Q?looks_encoded?=.txt",
		"a-very-long-ascii-file-name-that-goes-on-and-on-beyond-the-"
		    "sixty-character-limit-for-plain-values.tar.gz",
		"日本語のファイル名.png",
	};
	static const char *const types[][2] = {
		{ "text", "plain" }, { "application", "pdf" },
		{ "text", "plain" }, { "text", "plain" },
		{ "application", "gzip" }, { "image", "png" },
	};
	struct compose_attachment att[6];
	struct compose_msg	 m;
	struct mime_buf		 out;
	struct mime_message	*mm;
	const struct mime_part	*p;
	size_t			 i;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < 6; i++) {
		att[i].filename = names[i];
		att[i].type = NULL;
		att[i].data = "x";
		att[i].len = 1;
	}
	m.from = "alice@example.org";
	m.to = "bob@example.org";
	m.att = att;
	m.natt = 6;
	mm = compose_parse(&m, &out);
	assert_int_equal(leaf_count(mm), 6);
	for (i = 0; i < 6; i++) {
		p = leaf_at(mm, (unsigned)i);
		assert_type(p, types[i][0], types[i][1]);
		/* RFC 2231 in Content-Disposition... */
		assert_string_equal(mime_part_disposition_param(p, "filename"),
		    names[i]);
		/* ...and the RFC 2047 fallback in Content-Type. */
		assert_string_equal(mime_part_param(p, "name"), names[i]);
		assert_body(p, "x", 1);
	}
	assert_non_null(strstr(out.data, "filename*0*=utf-8''"));
	assert_non_null(strstr(out.data, "name=\"=?UTF-8?"));
	assert_lines_ok(&out, 0);
	mime_message_free(mm);
	mime_buf_free(&out);
}

static void
test_subjects(void **state)
{
	static const char *const subjects[] = {
		"",
		"plain ASCII",
		"Grüße aus München",
		"a literal =?UTF-8?Q?x?= in it",
		"spaces  kept   as\tthey are",
		" leading and trailing ",
		"This is a rather long ASCII subject line which will need to "
		    "be folded at least once or twice to keep every header "
		    "line within seventy-eight characters as RFC 5322 asks",
		"Длинная тема письма на русском языке, которую нужно "
		    "разбить на несколько закодированных слов без разрыва "
		    "символов посередине",
		"emoji 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀 end",
		"averyveryveryveryveryveryveryveryveryveryveryveryveryvery"
		    "veryveryveryverylongword",
	};
	struct compose_msg	 m;
	struct mime_buf		 out;
	struct mime_message	*mm;
	char			*got;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.from = "alice@example.org";
		m.to = "bob@example.org";
		m.subject = subjects[i];
		mm = compose_parse(&m, &out);
		got = field_of(mime_message_root(mm), "Subject");
		assert_non_null(got);
		/* Readers trim the ends of an unstructured value, which
		 * is why such a subject goes encoded. */
		if (strcmp(got, subjects[i]) != 0)
			fail_msg("subject %zu: got \"%s\"\n%s", i, got,
			    out.data);
		free(got);
		assert_lines_ok(&out, 0);
		mime_message_free(mm);
		mime_buf_free(&out);
	}
}

static void
test_addresses(void **state)
{
	struct compose_msg		 m;
	struct mime_buf			 out;
	struct mime_message		*mm;
	struct mime_address_list	*al;
	const char			*v, *n;
	size_t				 vlen, nlen;
	long				 i;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.from = "Jörg Müller <joerg@example.org>";
	m.to = "\"Doe, John\" <john@example.org>, plain@example.org, "
	    "=?UTF-8?Q?Ren=C3=A9e?= <renee@example.org>, "
	    "Ünïcødé Person With A Rather Long Name That Needs Folding "
	    "<u@example.org>";
	m.cc = "team: a@example.org, b@example.org;";
	m.reply_to = "O'Brien & Co <ob@example.org>";
	mm = compose_parse(&m, &out);
	assert_field(mime_message_root(mm), "From",
	    "Jörg Müller <joerg@example.org>");
	i = mime_part_header_find(mime_message_root(mm), "To", 0);
	assert_true(i >= 0);
	mime_part_header_at(mime_message_root(mm), (size_t)i, &n, &nlen, &v,
	    &vlen);
	al = mime_address_list_parse(v, vlen, "windows-1252", NULL);
	assert_non_null(al);
	assert_int_equal(mime_address_list_count(al), 4);
	assert_string_equal(mime_address_list_name(al, 0), "Doe, John");
	assert_string_equal(mime_address_list_address(al, 0),
	    "john@example.org");
	assert_string_equal(mime_address_list_name(al, 1), "");
	assert_string_equal(mime_address_list_name(al, 2), "Renée");
	assert_string_equal(mime_address_list_name(al, 3),
	    "Ünïcødé Person With A Rather Long Name That Needs Folding");
	assert_string_equal(mime_address_list_address(al, 3),
	    "u@example.org");
	mime_address_list_free(al);
	/* Groups are flattened: the envelope needs the members. */
	assert_field(mime_message_root(mm), "Cc",
	    "a@example.org, b@example.org");
	assert_lines_ok(&out, 0);
	mime_message_free(mm);
	mime_buf_free(&out);
}

/* Strings that would add a field, and what compose must say. */
static void
test_header_injection_refused(void **state)
{
	static const char *const evil[] = {
		"x\r\nBcc: victim@example.org",
		"x\nBcc: victim@example.org",
		"x\rBcc: victim@example.org",
		"x\001y",
	};
	struct compose_attachment att;
	struct compose_msg	 m, base;
	struct mime_buf		 out;
	struct mime_message	*mm;
	char			 err[256], name[300];
	size_t			 i, k;

	(void)state;
	memset(&base, 0, sizeof(base));
	base.from = "alice@example.org";
	base.to = "bob@example.org";
	base.text = "hi\n";
	base.text_len = 3;
	mime_buf_init(&out);
	for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		for (k = 0; k < 7; k++) {
			m = base;
			memset(&att, 0, sizeof(att));
			snprintf(name, sizeof(name), "Eve%s <eve@example.org>",
			    evil[i]);
			switch (k) {
			case 0: m.subject = evil[i]; break;
			case 1: m.from = name; break;
			case 2: m.to = name; break;
			case 3: m.cc = evil[i]; break;
			case 4: m.in_reply_to = evil[i]; break;
			case 5: m.references = evil[i]; break;
			default:
				att.filename = evil[i];
				att.data = "x";
				att.len = 1;
				m.att = &att;
				m.natt = 1;
				break;
			}
			err[0] = '\0';
			assert_int_equal(compose_message(&m, &out, err,
			    sizeof(err)), -1);
			assert_true(err[0] != '\0');
			assert_int_equal(out.len, 0);
		}
	}
	/* An encoded CR LF in a display name is never written back raw. */
	m = base;
	m.to = "=?UTF-8?Q?x=0D=0ABcc=3A_v=40example.org?= <bob@example.org>";
	if (compose_message(&m, &out, err, sizeof(err)) == 0) {
		mm = mime_message_parse(out.data, out.len, NULL);
		assert_non_null(mm);
		assert_int_equal(field_count(mime_message_root(mm), "Bcc"), 0);
		mime_message_free(mm);
	}
	/* Invalid UTF-8, and an attachment type that is not a type. */
	m = base;
	m.subject = "bad \xff byte";
	assert_int_equal(compose_message(&m, &out, err, sizeof(err)), -1);
	m = base;
	m.text = "bad \xc3 text";
	m.text_len = strlen(m.text);
	assert_int_equal(compose_message(&m, &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "UTF-8"));
	m = base;
	memset(&att, 0, sizeof(att));
	att.filename = "a.txt";
	att.type = "text/plain\r\nBcc: v@example.org";
	att.data = "x";
	att.len = 1;
	m.att = &att;
	m.natt = 1;
	assert_int_equal(compose_message(&m, &out, err, sizeof(err)), -1);
	/* An address that cannot be sent. */
	m = base;
	m.to = "not an address";
	assert_int_equal(compose_message(&m, &out, err, sizeof(err)), -1);
	mime_buf_free(&out);
}

static void
test_message_id_host(void **state)
{
	struct compose_msg	 m;
	struct mime_buf		 out;
	struct mime_message	*mm;
	char			*id1, *id2;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.from = "alice@mail.example.net";
	m.to = "bob@example.org";
	mm = compose_parse(&m, &out);
	id1 = field_of(mime_message_root(mm), "Message-ID");
	assert_non_null(strstr(id1, "@mail.example.net>"));
	mime_message_free(mm);
	mime_buf_free(&out);
	m.msgid_host = "mx.example.com";
	m.date = 86400 * 365;
	mm = compose_parse(&m, &out);
	id2 = field_of(mime_message_root(mm), "Message-ID");
	assert_non_null(strstr(id2, "@mx.example.com>"));
	assert_string_not_equal(id1, id2);
	free(id1);
	free(id2);
	id1 = field_of(mime_message_root(mm), "Date");
	assert_non_null(strstr(id1, " 1971 "));
	free(id1);
	mime_message_free(mm);
	mime_buf_free(&out);
}

static const char original[] =
    "Return-Path: <sender@example.org>\n"
    "From: Sender <sender@example.org>\n"
    "To: me@example.net\n"
    "Subject: =?UTF-8?Q?Fr=C3=BChst=C3=BCck?= tomorrow\n"
    "Message-ID: <orig-1@example.org>\n"
    "References: <root@example.org>\n"
    "  <parent@example.org>\n"
    "In-Reply-To: <parent@example.org>\n"
    "\n"
    "Body of the original.\n"
    ".a dot line\n";

static void
test_auto_reply(void **state)
{
	struct compose_reply	 r;
	struct mime_buf		 out;
	struct mime_message	*mm;
	const struct mime_part	*root;
	char			 err[256];

	(void)state;
	memset(&r, 0, sizeof(r));
	r.from = "Me <me@example.net>";
	r.text = "I am away until Monday.\n";
	r.orig = original;
	r.orig_len = strlen(original);
	mime_buf_init(&out);
	assert_int_equal(compose_auto_reply(&r, &out, err, sizeof(err)), 0);
	mm = mime_message_parse(out.data, out.len, NULL);
	assert_non_null(mm);
	root = mime_message_root(mm);
	assert_field(root, "To", "sender@example.org");
	assert_field(root, "From", "Me <me@example.net>");
	assert_field(root, "Subject", "Auto: Frühstück tomorrow");
	assert_field(root, "In-Reply-To", "<orig-1@example.org>");
	assert_field(root, "References", "<root@example.org> "
	    "<parent@example.org> <orig-1@example.org>");
	assert_field(root, "Auto-Submitted", "auto-replied");
	assert_body(root, "I am away until Monday.\r\n", 25);
	assert_lines_ok(&out, 0);
	mime_message_free(mm);

	/* An explicit recipient and subject win. */
	r.to = "other@example.org";
	r.subject = "Re: your mail";
	assert_int_equal(compose_auto_reply(&r, &out, err, sizeof(err)), 0);
	mm = mime_message_parse(out.data, out.len, NULL);
	assert_field(mime_message_root(mm), "To", "other@example.org");
	assert_field(mime_message_root(mm), "Subject", "Re: your mail");
	mime_message_free(mm);

	/* A null return path gets no reply. */
	r.to = NULL;
	r.orig = "Return-Path: <>\nFrom: a@example.org\nSubject: x\n\nb\n";
	r.orig_len = strlen(r.orig);
	assert_int_equal(compose_auto_reply(&r, &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "null return path"));
	assert_int_equal(out.len, 0);
	/* Nor does one without a Return-Path. */
	r.orig = "From: a@example.org\nSubject: x\n\nb\n";
	r.orig_len = strlen(r.orig);
	assert_int_equal(compose_auto_reply(&r, &out, err, sizeof(err)), -1);
	mime_buf_free(&out);
}

/* A hostile original: its fields go through the same checks. */
static void
test_auto_reply_hostile_original(void **state)
{
	static const char evil[] =
	    "Return-Path: <sender@example.org>\n"
	    "Subject: =?UTF-8?Q?hi=0D=0ABcc:_victim@example.org?=\n"
	    "Message-ID: <a@b>\r\n"
	    "References: junk <ok@example.org> <bad id@x> <also\r\n"
	    " ok@example.org>\n"
	    "\n"
	    "body\n";
	struct compose_reply	 r;
	struct mime_buf		 out;
	struct mime_message	*mm;
	char			 err[256];

	(void)state;
	memset(&r, 0, sizeof(r));
	r.from = "me@example.net";
	r.text = "away\n";
	r.orig = evil;
	r.orig_len = strlen(evil);
	mime_buf_init(&out);
	assert_int_equal(compose_auto_reply(&r, &out, err, sizeof(err)), 0);
	mm = mime_message_parse(out.data, out.len, NULL);
	assert_int_equal(field_count(mime_message_root(mm), "Bcc"), 0);
	assert_field(mime_message_root(mm), "References",
	    "<ok@example.org> <a@b>");
	mime_message_free(mm);
	mime_buf_free(&out);
}

static void
test_forward(void **state)
{
	struct compose_forward	 f;
	struct mime_buf		 out;
	struct mime_message	*mm;
	const struct mime_part	*root, *p;
	char			 err[256], *want;
	size_t			 wantlen;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.from = "me@example.net";
	f.to = "boss@example.com";
	f.text = "FYI\n";
	f.orig = original;
	f.orig_len = strlen(original);
	mime_buf_init(&out);
	assert_int_equal(compose_forward(&f, &out, err, sizeof(err)), 0);
	mm = mime_message_parse(out.data, out.len, NULL);
	assert_non_null(mm);
	assert_int_equal(mime_message_defect_count(mm), 0);
	root = mime_message_root(mm);
	assert_type(root, "multipart", "mixed");
	assert_field(root, "Subject", "Fwd: Frühstück tomorrow");
	p = mime_part_first_child(root);
	assert_type(p, "text", "plain");
	assert_body(p, "FYI\r\n", 5);
	p = mime_part_next_sibling(p);
	assert_non_null(p);
	assert_true(mime_part_is_message(p));
	assert_type(p, "message", "rfc822");
	/* The whole original, line ends made CRLF, is the part's body. */
	want = crlf_of(original, strlen(original), &wantlen);
	assert_body(p, want, wantlen);
	free(want);
	p = mime_part_first_child(p);
	assert_field(p, "Subject", "Frühstück tomorrow");
	assert_field(p, "Message-ID", "<orig-1@example.org>");
	assert_body(p, "Body of the original.\r\n.a dot line\r\n", 36);
	mime_message_free(mm);
	mime_buf_free(&out);
}

static void
test_redirect(void **state)
{
	struct compose_redirect	 r;
	struct mime_buf		 out;
	struct mime_message	*mm;
	const struct mime_part	*root;
	char			 err[256], *v, *crlf;
	size_t			 crlflen;
	const char		*rest;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.from = "me@example.net";
	r.to = "Other <other@example.org>";
	r.orig = original;
	r.orig_len = strlen(original);
	mime_buf_init(&out);
	assert_int_equal(compose_redirect(&r, &out, err, sizeof(err)), 0);
	/* LF original, LF fields; the original follows byte for byte. */
	assert_null(memchr(out.data, '\r', out.len));
	rest = strstr(out.data, "Return-Path:");
	assert_non_null(rest);
	assert_int_equal(out.len - (size_t)(rest - out.data),
	    strlen(original));
	assert_memory_equal(rest, original, strlen(original));
	mm = mime_message_parse(out.data, out.len, NULL);
	root = mime_message_root(mm);
	assert_field(root, "Resent-From", "me@example.net");
	assert_field(root, "Resent-To", "Other <other@example.org>");
	v = field_of(root, "Resent-Message-ID");
	assert_non_null(strstr(v, "@example.net>"));
	free(v);
	v = field_of(root, "Resent-Date");
	assert_non_null(v);
	free(v);
	assert_field(root, "Subject", "Frühstück tomorrow");
	mime_message_free(mm);

	/* A CRLF original gets CRLF fields; an mbox line goes. */
	crlf = crlf_of(original, strlen(original), &crlflen);
	v = malloc(crlflen + 64);
	assert_non_null(v);
	snprintf(v, crlflen + 64, "From sender@example.org Mon Jan  1 "
	    "00:00:00 2024\r\n%s", crlf);
	r.orig = v;
	r.orig_len = strlen(v);
	assert_int_equal(compose_redirect(&r, &out, err, sizeof(err)), 0);
	assert_true(strncmp(out.data, "Resent-Date: ", 13) == 0);
	assert_non_null(strstr(out.data, "\r\nResent-From: me@example.net\r\n"));
	assert_null(strstr(out.data, "From sender"));
	assert_true(out.len > crlflen);
	assert_memory_equal(out.data + out.len - crlflen, crlf, crlflen);
	r.to = "bad\r\nBcc: x@example.org";
	assert_int_equal(compose_redirect(&r, &out, err, sizeof(err)), -1);
	free(v);
	free(crlf);
	mime_buf_free(&out);
}

static void
test_mime_types(void **state)
{
	static const char file[] =
	    "# comment line\n"
	    "application/x-first\tfoo bar # trailing comment\n"
	    "application/x-second foo\n"
	    "text/x-custom  CUS\n"
	    "not-a-type ignored\n"
	    "image/x-long " "0123456789012345678901234567890123456789 ok\n"
	    "\n";
	struct mimetypes	*t;
	char			 path[] = "/tmp/test-compose-XXXXXX", err[256];
	int			 fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, file, sizeof(file) - 1),
	    (ssize_t)(sizeof(file) - 1));
	close(fd);
	t = mimetypes_load(path, err, sizeof(err));
	unlink(path);
	assert_non_null(t);
	assert_string_equal(mimetypes_lookup(t, "a.foo"),
	    "application/x-first");
	assert_string_equal(mimetypes_lookup(t, "dir.d/A.BAR"),
	    "application/x-first");
	assert_string_equal(mimetypes_lookup(t, "x.cus"),
	    "text/x-custom");
	assert_string_equal(mimetypes_lookup(t, "x.ok"), "image/x-long");
	assert_string_equal(mimetypes_lookup(t, "x.ignored"),
	    "application/octet-stream");
	/* The built-in table answers for what the file lacks. */
	assert_string_equal(mimetypes_lookup(t, "doc.PDF"),
	    "application/pdf");
	assert_string_equal(mimetypes_lookup(t, "noext"),
	    "application/octet-stream");
	assert_string_equal(mimetypes_lookup(t, ".hidden"),
	    "application/octet-stream");
	assert_string_equal(mimetypes_lookup(t, "trailing."),
	    "application/octet-stream");
	mimetypes_free(t);
	/* No file at all: the built-in table alone. */
	t = mimetypes_load("/nonexistent/mime.types", err, sizeof(err));
	assert_non_null(t);
	assert_string_equal(mimetypes_lookup(t, "a.png"), "image/png");
	mimetypes_free(t);
	/* The process's table (the system file or the built-in one). */
	assert_string_equal(mimetypes_lookup(NULL, "a.jpg"),
	    "image/jpeg");
}

static void
test_rfc822_attachment(void **state)
{
	struct compose_attachment att;
	struct compose_msg	 m;
	struct mime_buf		 out;
	struct mime_message	*mm;
	const struct mime_part	*p;

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(&att, 0, sizeof(att));
	att.filename = "saved.eml";
	att.data = original;
	att.len = strlen(original);
	m.from = "alice@example.org";
	m.to = "bob@example.org";
	m.att = &att;
	m.natt = 1;
	mm = compose_parse(&m, &out);
	p = mime_part_first_child(mime_message_root(mm));
	/* message/rfc822 is never base64 (RFC 2046 5.2.1). */
	assert_true(mime_part_is_message(p));
	assert_int_equal(mime_part_encoding(p), MIME_ENC_7BIT);
	assert_string_equal(mime_part_filename(p), "saved.eml");
	mime_message_free(mm);
	mime_buf_free(&out);
}

static void
test_envelope_addrs(void **state)
{
	const char	*lists[3];
	char		**v, err[256];
	size_t		 n;

	(void)state;
	lists[0] = "A <a@example.org>, b@example.org";
	lists[1] = NULL;
	lists[2] = "\"Quoted, Name\" <A@EXAMPLE.ORG>, c@example.org";
	assert_int_equal(compose_addrs(lists, 3, &v, &n, err, sizeof(err)),
	    0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "a@example.org");
	assert_string_equal(v[1], "b@example.org");
	assert_string_equal(v[2], "c@example.org");
	assert_null(v[3]);
	compose_addrs_free(v);
	lists[0] = "a@example.org, b\r\n@example.org";
	assert_int_equal(compose_addrs(lists, 1, &v, &n, err, sizeof(err)),
	    -1);
	lists[0] = "empty: ;";
	assert_int_equal(compose_addrs(lists, 1, &v, &n, err, sizeof(err)),
	    -1);
}

static void
test_empty_message(void **state)
{
	struct compose_msg	 m;
	struct mime_buf		 out;
	struct mime_message	*mm;
	char			 err[128];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.from = "alice@example.org";
	mm = compose_parse(&m, &out);
	assert_type(mime_message_root(mm), "text", "plain");
	assert_int_equal(field_count(mime_message_root(mm), "To"), 0);
	assert_int_equal(field_count(mime_message_root(mm), "Subject"), 0);
	assert_true(out.len >= 2 && out.data[out.len - 1] == '\n');
	mime_message_free(mm);
	mime_buf_free(&out);
	m.from = NULL;
	mime_buf_init(&out);
	assert_int_equal(compose_message(&m, &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "From"));
	mime_buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_ascii),
		cmocka_unit_test(test_text_non_ascii_qp),
		cmocka_unit_test(test_alternative),
		cmocka_unit_test(test_attachments_bytes_exact),
		cmocka_unit_test(test_attachment_names),
		cmocka_unit_test(test_subjects),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_header_injection_refused),
		cmocka_unit_test(test_message_id_host),
		cmocka_unit_test(test_auto_reply),
		cmocka_unit_test(test_auto_reply_hostile_original),
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_redirect),
		cmocka_unit_test(test_mime_types),
		cmocka_unit_test(test_rfc822_attachment),
		cmocka_unit_test(test_envelope_addrs),
		cmocka_unit_test(test_empty_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

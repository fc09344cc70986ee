/* SPDX-License-Identifier: ISC */
/*
 * msgview.c - a parsed message shown as a tree or as JSON (`mailsift
 * parse`), and as the webhook's JSON with its content; see msgview.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "mime/mime.h"
#include "daemon/util/json.h"
#include "daemon/util/msgview.h"
#include "daemon/util/safename.h"


/* Defects found while decoding headers and leaves, reported after the
 * parser's own. */
struct extra_defect {
	size_t			 off;
	const struct mime_part	*part;
	unsigned		 bits;
};

struct defect_list {
	struct extra_defect	*v;
	size_t			 n, cap;
};

static int
defect_list_add(struct defect_list *dl, size_t off,
    const struct mime_part *p, unsigned bits)
{
	struct extra_defect	*nv;
	size_t			 cap;

	if (bits == 0)
		return 0;
	if (dl->n == dl->cap) {
		cap = dl->cap == 0 ? 8 : dl->cap * 2;
		if ((nv = reallocarray(dl->v, cap, sizeof(*nv))) == NULL)
			return -1;
		dl->v = nv;
		dl->cap = cap;
	}
	dl->v[dl->n].off = off;
	dl->v[dl->n].part = p;
	dl->v[dl->n++].bits = bits;
	return 0;
}

struct leaf_sink {
	size_t		 size;
	EVP_MD_CTX	*md;
	int		 fd;
	int		 error;
	struct mime_buf	*keep;		/* the decoded bytes, or NULL */
};

static int
leaf_sink_write(void *ctx, const char *data, size_t len)
{
	struct leaf_sink	*ls = ctx;
	ssize_t			 n;

	ls->size += len;
	if (ls->md != NULL && EVP_DigestUpdate(ls->md, data, len) != 1)
		return -1;
	if (ls->keep != NULL && mime_buf_append(ls->keep, data, len) == -1)
		return -1;
	while (ls->fd != -1 && len > 0) {
		if ((n = write(ls->fd, data, len)) == -1) {
			if (errno == EINTR)
				continue;
			ls->error = errno;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
is_attachment(const struct mime_part *p)
{
	const char	*d = mime_part_disposition(p);

	return (d != NULL && strcmp(d, "attachment") == 0) ||
	    mime_part_filename(p) != NULL;
}

/* Open the file an attachment is extracted to, or -1 (error reported). */
static int
extract_open(const struct msgview_opts *o, const char *file,
    const struct mime_part *p, const char *path)
{
	char	 fallback[SAFENAME_MAX + 1], name[SAFENAME_MAX + 1];
	char	 used[SAFENAME_MAX + 16];
	int	 fd;

	snprintf(fallback, sizeof(fallback), "part-%.180s.bin", path);
	safename_make(mime_part_filename(p), fallback, name);
	if ((fd = safename_create(o->dirfd, name, used)) == -1)
		fprintf(stderr, "mailsift: %s: part %s: cannot create %s/%s: "
		    "%s\n", file, path, o->extract, name, strerror(errno));
	return fd;
}

struct leaf_result {
	size_t		 size;
	int		 defects;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned	 mdlen;
};

static int
leaf_decode(const struct msgview_opts *o, const char *file,
    const struct mime_part *p, const char *path, struct leaf_result *r,
    struct mime_buf *keep)
{
	struct leaf_sink	 ls = { 0, NULL, -1, 0, keep };
	int			 rv = -1;

	if (o->hash && ((ls.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ls.md, EVP_sha256(), NULL) != 1))
		goto out;
	if (o->extract != NULL && is_attachment(p) &&
	    (ls.fd = extract_open(o, file, p, path)) == -1)
		goto out;
	r->defects = mime_part_decode(p, leaf_sink_write, &ls);
	if (r->defects == -1) {
		if (ls.error != 0)
			fprintf(stderr, "mailsift: %s: part %s: write: %s\n",
			    file, path, strerror(ls.error));
		goto out;
	}
	r->size = ls.size;
	if (ls.md != NULL && EVP_DigestFinal_ex(ls.md, r->md, &r->mdlen) != 1)
		goto out;
	rv = 0;
out:
	if (ls.fd != -1 && close(ls.fd) == -1 && rv == 0) {
		fprintf(stderr, "mailsift: %s: part %s: close: %s\n", file,
		    path, strerror(errno));
		rv = -1;
	}
	EVP_MD_CTX_free(ls.md);
	return rv;
}

static const char *
header_raw(const struct mime_part *p, const char *name, size_t *len)
{
	const char	*n, *v;
	size_t		 nlen;
	long		 i;

	if ((i = mime_part_header_find(p, name, 0)) == -1)
		return NULL;
	mime_part_header_at(p, (size_t)i, &n, &nlen, &v, len);
	return v;
}

/* Decoded value of an unstructured field; -1 on ENOMEM, 0 if absent. */
static int
header_text(const struct mime_message *m, const struct mime_part *p,
    const char *name, struct defect_list *dl, struct mime_buf *out)
{
	const char	*v;
	size_t		 len;
	int		 bits;

	mime_buf_reset(out);
	if ((v = header_raw(p, name, &len)) == NULL)
		return 0;
	if (dl == NULL)
		return mime_header_unfold(v, len, out) == -1 ? -1 : 1;
	bits = mime_header_decode(v, len, mime_message_fallback_charset(m),
	    out);
	if (bits == -1 || defect_list_add(dl, mime_part_offset(p), p,
	    (unsigned)bits) == -1)
		return -1;
	return 1;
}

static int
json_addresses(FILE *f, const struct mime_message *m,
    const struct mime_part *top, const char *name, struct defect_list *dl)
{
	struct mime_address_list	*al;
	const char			*v;
	size_t				 len, i;
	unsigned			 bits = 0;

	fprintf(f, ",\"%s\":[", name);
	if ((v = header_raw(top, name, &len)) != NULL) {
		al = mime_address_list_parse(v, len,
		    mime_message_fallback_charset(m), &bits);
		if (al == NULL || defect_list_add(dl, mime_part_offset(top),
		    top, bits) == -1) {
			mime_address_list_free(al);
			return -1;
		}
		for (i = 0; i < mime_address_list_count(al); i++) {
			fputs(i == 0 ? "{\"name\":" : ",{\"name\":", f);
			json_cstr(f, mime_address_list_name(al, i));
			fputs(",\"address\":", f);
			json_cstr(f, mime_address_list_address(al, i));
			putc('}', f);
		}
		mime_address_list_free(al);
	}
	putc(']', f);
	return 0;
}

/* Subject, From, To, Cc of a message's top entity, as JSON members. */
static int
json_envelope(FILE *f, const struct mime_message *m,
    const struct mime_part *top, struct defect_list *dl,
    struct mime_buf *tmp)
{
	int	 r;

	if ((r = header_text(m, top, "Subject", dl, tmp)) == -1)
		return -1;
	fputs(",\"subject\":", f);
	json_cstr(f, r ? tmp->data : NULL);
	if (json_addresses(f, m, top, "from", dl) == -1 ||
	    json_addresses(f, m, top, "to", dl) == -1 ||
	    json_addresses(f, m, top, "cc", dl) == -1)
		return -1;
	return 0;
}

static void
json_hex(FILE *f, const unsigned char *md, unsigned len)
{
	unsigned	 i;

	putc('"', f);
	for (i = 0; i < len; i++)
		fprintf(f, "%02x", md[i]);
	putc('"', f);
}

static void
json_leaf(FILE *f, const struct mime_part *p, const char *path,
    const struct leaf_result *r, int hash, int first)
{
	char	 type[512];

	snprintf(type, sizeof(type), "%s/%s", mime_part_type(p),
	    mime_part_subtype(p));
	fputs(first ? "{\"path\":" : ",{\"path\":", f);
	json_cstr(f, path);
	fputs(",\"type\":", f);
	json_cstr(f, type);
	fputs(",\"charset\":", f);
	json_cstr(f, mime_part_charset(p));
	fputs(",\"disposition\":", f);
	json_cstr(f, mime_part_disposition(p));
	fputs(",\"filename\":", f);
	json_cstr(f, mime_part_filename(p));
	fprintf(f, ",\"encoding\":\"%s\",\"size\":%zu",
	    mime_encoding_name(mime_part_encoding(p)), r->size);
	if (hash) {
		fputs(",\"sha256\":", f);
		json_hex(f, r->md, r->mdlen);
	}
}

static void
text_leaf(FILE *f, const struct mime_part *p, const char *path,
    const struct leaf_result *r, int hash)
{
	const char	*s;

	fprintf(f, "%*s%s %s/%s", (int)mime_part_depth(p) * 2 + 2, "", path,
	    mime_part_type(p), mime_part_subtype(p));
	if ((s = mime_part_charset(p)) != NULL)
		fprintf(f, "; charset=%s", s);
	if ((s = mime_part_filename(p)) != NULL)
		fprintf(f, " \"%s\"", s);
	if ((s = mime_part_disposition(p)) != NULL)
		fprintf(f, " %s", s);
	fprintf(f, " (%s, %zu bytes)",
	    mime_encoding_name(mime_part_encoding(p)), r->size);
	if (hash) {
		fputs(" sha256:", f);
		for (unsigned i = 0; i < r->mdlen; i++)
			fprintf(f, "%02x", r->md[i]);
	}
	putc('\n', f);
}

/* What the webhook's JSON adds (msgview_opts.content): the first
 * text/plain and text/html bodies, in UTF-8, and the budget left for
 * attachments inline. */
struct content {
	struct mime_buf	 text;
	struct mime_buf	 html;
	struct mime_buf	 leaf;		/* the leaf being decoded */
	uint64_t	 budget;
	int		 has_text;
	int		 has_html;
};

/* Where a leaf's decoded bytes go: 1 if they are wanted. */
static int
content_wants(const struct content *ct, const struct mime_part *p)
{
	if (ct == NULL)
		return 0;
	if (is_attachment(p))
		return 1;
	if (strcasecmp(mime_part_type(p), "text") != 0)
		return 0;
	return (strcasecmp(mime_part_subtype(p), "plain") == 0 &&
	    !ct->has_text) || (strcasecmp(mime_part_subtype(p), "html") == 0 &&
	    !ct->has_html);
}

static int
json_base64(FILE *f, const char *data, size_t len)
{
	unsigned char	 out[4 * 768 / 3 + 1];
	size_t		 i, n;

	putc('"', f);
	for (i = 0; i < len; i += n) {
		n = len - i < 768 ? len - i : 768;
		EVP_EncodeBlock(out, (const unsigned char *)data + i, (int)n);
		fputs((const char *)out, f);
	}
	putc('"', f);
	return 0;
}

/* The leaf's content (ct->leaf): a body kept, an attachment inlined
 * within the budget or only described, and handed to o->attachment. */
static int
content_leaf(FILE *f, const struct msgview_opts *o, struct content *ct,
    const struct mime_message *m, const struct mime_part *p,
    const char *path)
{
	char		 type[512];
	struct mime_buf	*body;
	int		 html;

	if (!is_attachment(p)) {
		html = strcasecmp(mime_part_subtype(p), "html") == 0;
		body = html ? &ct->html : &ct->text;
		*(html ? &ct->has_html : &ct->has_text) = 1;
		return mime_charset_to_utf8(mime_part_charset(p),
		    ct->leaf.data, ct->leaf.len,
		    mime_message_fallback_charset(m), body) == -1 ? -1 : 0;
	}
	if (ct->leaf.len <= ct->budget) {
		ct->budget -= ct->leaf.len;
		fputs(",\"inline\":true,\"content_base64\":", f);
		json_base64(f, ct->leaf.data, ct->leaf.len);
	} else
		fputs(",\"inline\":false", f);
	if (o->attachment == NULL)
		return 0;
	snprintf(type, sizeof(type), "%s/%s", mime_part_type(p),
	    mime_part_subtype(p));
	return o->attachment(o->arg, path, type, mime_part_filename(p),
	    ct->leaf.data, ct->leaf.len);
}

static int
walk_parts(FILE *f, const struct msgview_opts *o, const char *file,
    const struct mime_message *m, struct defect_list *dl,
    struct content *ct)
{
	const struct mime_part	*p;
	struct leaf_result	 r;
	char			 path[1024];
	int			 first = 1, want;

	if (o->json)
		fputs(",\"parts\":[", f);
	for (p = mime_message_root(m); p != NULL; p = mime_part_walk_next(p)) {
		if (mime_part_path(p, path, sizeof(path)) == -1)
			snprintf(path, sizeof(path), "?");
		if (!mime_part_is_leaf(p)) {
			if (!o->json)
				fprintf(f, "%*s%s %s/%s\n",
				    (int)mime_part_depth(p) * 2 + 2, "",
				    *path ? path : "-", mime_part_type(p),
				    mime_part_subtype(p));
			continue;
		}
		memset(&r, 0, sizeof(r));
		want = content_wants(ct, p);
		if (want)
			mime_buf_reset(&ct->leaf);
		if (leaf_decode(o, file, p, path, &r, want ? &ct->leaf :
		    NULL) == -1)
			return -1;
		if (defect_list_add(dl, mime_part_body_offset(p), p,
		    (unsigned)r.defects) == -1)
			return -1;
		if (o->json) {
			json_leaf(f, p, path, &r, o->hash, first);
			if (want && content_leaf(f, o, ct, m, p, path) == -1)
				return -1;
			putc('}', f);
		} else
			text_leaf(f, p, path, &r, o->hash);
		first = 0;
	}
	if (o->json)
		putc(']', f);
	if (ct == NULL)
		return 0;
	fputs(",\"text\":", f);
	if (ct->has_text)
		json_string(f, ct->text.data, ct->text.len);
	else
		fputs("null", f);
	fputs(",\"html\":", f);
	if (ct->has_html)
		json_string(f, ct->html.data, ct->html.len);
	else
		fputs("null", f);
	return 0;
}

/* Nested messages: their envelope too (GMime-equivalent work). */
static int
json_nested(FILE *f, const struct mime_message *m, struct defect_list *dl,
    struct mime_buf *tmp)
{
	const struct mime_part	*p;
	char			 path[1024];
	int			 first = 1;

	fputs(",\"messages\":[", f);
	for (p = mime_message_root(m); p != NULL; p = mime_part_walk_next(p)) {
		if (!mime_part_is_message(p) ||
		    mime_part_first_child(p) == NULL)
			continue;
		if (mime_part_path(p, path, sizeof(path)) == -1)
			snprintf(path, sizeof(path), "?");
		fputs(first ? "{\"path\":" : ",{\"path\":", f);
		json_cstr(f, path);
		if (json_envelope(f, m, mime_part_first_child(p), dl,
		    tmp) == -1)
			return -1;
		putc('}', f);
		first = 0;
	}
	putc(']', f);
	return 0;
}

static void
print_defect(FILE *f, int json, int first, size_t off,
    const struct mime_part *p, int code)
{
	char	 path[1024];

	if (mime_part_path(p, path, sizeof(path)) == -1)
		snprintf(path, sizeof(path), "?");
	if (json) {
		fprintf(f, "%s{\"offset\":%zu,\"path\":", first ? "" : ",",
		    off);
		json_cstr(f, path);
		fprintf(f, ",\"code\":\"%s\"}", mime_defect_name(code));
	} else
		fprintf(f, "  defect: %s at offset %zu (part %s)\n",
		    mime_defect_name(code), off, *path ? path : "-");
}

static void
print_defects(FILE *f, int json, const struct mime_message *m,
    const struct defect_list *dl)
{
	const struct mime_defect	*d;
	size_t				 i;
	int				 c, first = 1;

	if (json)
		fputs(",\"defects\":[", f);
	for (i = 0; i < mime_message_defect_count(m); i++) {
		d = mime_message_defect(m, i);
		print_defect(f, json, first, d->offset, d->part, d->code);
		first = 0;
	}
	for (i = 0; i < dl->n; i++) {
		for (c = 0; c < MIME_DEFECT_COUNT; c++) {
			if (!(dl->v[i].bits & (1u << c)))
				continue;
			print_defect(f, json, first, dl->v[i].off,
			    dl->v[i].part, c);
			first = 0;
		}
	}
	if (json)
		putc(']', f);
}

static int
text_envelope(FILE *f, const struct mime_message *m, struct defect_list *dl,
    struct mime_buf *tmp)
{
	static const char *const names[] = { "From", "To", "Cc", "Subject",
	    "Date" };
	size_t	 i;
	int	 r;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		r = header_text(m, mime_message_root(m), names[i], dl, tmp);
		if (r == -1)
			return -1;
		if (r == 1)
			fprintf(f, "  %s: %s\n", names[i], tmp->data);
	}
	return 0;
}

int
msgview_write(FILE *f, const struct msgview_opts *o, const char *file,
    const char *data, size_t len)
{
	struct mime_message	*m;
	struct defect_list	 dl;
	struct mime_buf		 tmp;
	struct content		 ct;
	int			 rv = -1, r;

	memset(&dl, 0, sizeof(dl));
	mime_buf_init(&tmp);
	memset(&ct, 0, sizeof(ct));
	mime_buf_init(&ct.text);
	mime_buf_init(&ct.html);
	mime_buf_init(&ct.leaf);
	ct.budget = o->inline_max;
	if ((m = mime_message_parse(data, len, NULL)) == NULL)
		goto nomem;
	if (o->json) {
		fputs("{\"file\":", f);
		json_cstr(f, file);
		if (json_envelope(f, m, mime_message_root(m), &dl,
		    &tmp) == -1)
			goto nomem;
		if ((r = header_text(m, mime_message_root(m), "Date", NULL,
		    &tmp)) == -1)
			goto nomem;
		fputs(",\"date\":", f);
		json_cstr(f, r ? tmp.data : NULL);
		if ((r = header_text(m, mime_message_root(m), "Message-ID",
		    NULL, &tmp)) == -1)
			goto nomem;
		fputs(",\"message_id\":", f);
		json_cstr(f, r ? tmp.data : NULL);
		if (json_nested(f, m, &dl, &tmp) == -1)
			goto nomem;
	} else if (text_envelope(f, m, &dl, &tmp) == -1)
		goto nomem;
	if (walk_parts(f, o, file, m, &dl, o->json && o->content ? &ct :
	    NULL) == -1)
		goto out;
	print_defects(f, o->json, m, &dl);
	if (o->json)
		fputs("}\n", f);
	rv = 0;
	goto out;
nomem:
	fprintf(stderr, "mailsift: %s: out of memory\n", file);
out:
	free(dl.v);
	mime_buf_free(&tmp);
	mime_buf_free(&ct.text);
	mime_buf_free(&ct.html);
	mime_buf_free(&ct.leaf);
	mime_message_free(m);
	return rv;
}


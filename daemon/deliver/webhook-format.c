/* SPDX-License-Identifier: ISC */
/*
 * webhook-format.c - the request entity of a webhook delivery: JSON,
 * raw or multipart/form-data; see webhook-format.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "daemon/deliver/webhook-format.h"
#include "daemon/util/json.h"
#include "daemon/util/msgview.h"

#define ENTITY_HEAD	"Content-Type: %s\r\n\r\n"

int
webhook_key(const char *name, const char *account, const char *folder,
    uint32_t uidvalidity, uint32_t uid, const char *uidl, char out[33])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	char		 num[48];
	EVP_MD_CTX	*c;
	int		 ok;

	snprintf(num, sizeof(num), "%u/%u", uidvalidity, uidl == NULL ?
	    uid : 0);
	if ((c = EVP_MD_CTX_new()) == NULL)
		return -1;
	/* each field with its NUL, so no two lists hash alike */
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(c, "webhook", 8) == 1 &&
	    EVP_DigestUpdate(c, name, strlen(name) + 1) == 1 &&
	    EVP_DigestUpdate(c, account, strlen(account) + 1) == 1 &&
	    EVP_DigestUpdate(c, folder, strlen(folder) + 1) == 1 &&
	    EVP_DigestUpdate(c, num, strlen(num) + 1) == 1 &&
	    (uidl == NULL ||
	    EVP_DigestUpdate(c, uidl, strlen(uidl) + 1) == 1) &&
	    EVP_DigestFinal_ex(c, md, &mdlen) == 1 && mdlen >= 16;
	EVP_MD_CTX_free(c);
	if (!ok)
		return -1;
	for (i = 0; i < 16; i++)
		snprintf(out + i * 2, 3, "%02x", md[i]);
	return 0;
}

/* The JSON object: the delivery around the message's view. */
static int
format_json(FILE *f, const struct webhook_msg *m, struct msgview_opts *o)
{
	fputs("{\"delivery\":", f);
	json_cstr(f, m->key);
	fputs(",\"account\":", f);
	json_cstr(f, m->account);
	fputs(",\"folder\":", f);
	json_cstr(f, m->folder);
	fputs(",\"message\":", f);
	o->json = 1;
	o->content = 1;
	o->dirfd = -1;
	if (msgview_write(f, o, m->key, m->data, m->len) == -1)
		return -1;
	fputs("}", f);
	return 0;
}

/* A file name fit for a quoted-string: no quote, backslash or control
 * character. */
static void
form_filename(const char *name, char *out, size_t outlen)
{
	size_t	 i;

	snprintf(out, outlen, "%s", name != NULL ? name : "attachment");
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f ||
		    out[i] == '"' || out[i] == '\\')
			out[i] = '_';
}

struct form {
	FILE		*f;		/* the file fields */
	const char	*boundary;
};

static int
form_attachment(void *arg, const char *path, const char *type,
    const char *filename, const char *data, size_t len)
{
	struct form	*fm = arg;
	char		 name[256];

	(void)path;
	form_filename(filename, name, sizeof(name));
	fprintf(fm->f, "--%s\r\nContent-Disposition: form-data; "
	    "name=\"attachment\"; filename=\"%s\"\r\nContent-Type: %s\r\n\r\n",
	    fm->boundary, name, type);
	if (len > 0 && fwrite(data, 1, len, fm->f) != len)
		return -1;
	fputs("\r\n", fm->f);
	return ferror(fm->f) ? -1 : 0;
}

static int
format_multipart(FILE *f, const struct webhook_msg *m)
{
	struct msgview_opts	 o;
	struct form		 fm;
	char			 boundary[64], *files = NULL;
	size_t			 flen = 0;
	int			 rv = -1;

	snprintf(boundary, sizeof(boundary), "mailsift-%s", m->key);
	fm.boundary = boundary;
	if ((fm.f = open_memstream(&files, &flen)) == NULL)
		return -1;
	memset(&o, 0, sizeof(o));
	o.attachment = form_attachment;
	o.arg = &fm;
	fprintf(f, "Content-Type: multipart/form-data; boundary=%s\r\n\r\n"
	    "--%s\r\nContent-Disposition: form-data; name=\"message\"\r\n"
	    "Content-Type: application/json\r\n\r\n", boundary, boundary);
	if (format_json(f, m, &o) == -1 || fclose(fm.f) != 0)
		goto out;
	fm.f = NULL;
	fputs("\r\n", f);
	if (flen > 0 && fwrite(files, 1, flen, f) != flen)
		goto out;
	fprintf(f, "--%s--\r\n", boundary);
	rv = 0;
out:
	if (fm.f != NULL)
		fclose(fm.f);
	free(files);
	return rv;
}

/* The entity once, with attachments inline up to inline_max (json). */
static int
format_once(enum webhook_format fmt, uint64_t inline_max,
    const struct webhook_msg *m, char **out, size_t *outlen)
{
	struct msgview_opts	 o;
	FILE			*f;
	int			 rv = 0;

	*out = NULL;
	*outlen = 0;
	if ((f = open_memstream(out, outlen)) == NULL)
		return -1;
	memset(&o, 0, sizeof(o));
	switch (fmt) {
	case WEBHOOK_RAW:
		fprintf(f, ENTITY_HEAD, "message/rfc822");
		if (m->len > 0 && fwrite(m->data, 1, m->len, f) != m->len)
			rv = -1;
		break;
	case WEBHOOK_MULTIPART:
		rv = format_multipart(f, m);
		break;
	case WEBHOOK_JSON:
	default:
		fprintf(f, ENTITY_HEAD, "application/json");
		o.inline_max = inline_max;
		rv = format_json(f, m, &o);
		break;
	}
	if (ferror(f))
		rv = -1;
	if (fclose(f) != 0)
		rv = -1;
	if (rv == -1) {
		free(*out);
		*out = NULL;
		*outlen = 0;
	}
	return rv;
}

int
webhook_format(enum webhook_format fmt, uint64_t max_size,
    const struct webhook_msg *m, char **out, size_t *outlen, char *err,
    size_t errlen)
{
	uint64_t	 budget = max_size > m->len ? max_size - m->len : 0;
	int		 rv;

	rv = format_once(fmt, budget, m, out, outlen);
	/* the JSON around the attachments made it larger than max-size
	 * after all: again with none inline */
	if (rv == 0 && fmt == WEBHOOK_JSON && budget > 0 &&
	    *outlen > max_size + sizeof("Content-Type: application/json") +
	    3) {
		free(*out);
		rv = format_once(fmt, 0, m, out, outlen);
	}
	if (rv == -1)
		snprintf(err, errlen, "webhook: cannot format the message of "
		    "%zu bytes (out of memory?)", m->len);
	return rv;
}

int
webhook_entity_split(const char *entity, size_t len, char *ctype,
    size_t ctlen, const char **body, size_t *bodylen)
{
	const char	*p, *end;
	size_t		 n;

	if (len < 16 || strncmp(entity, "Content-Type: ", 14) != 0)
		return -1;
	p = entity + 14;
	for (end = p; end + 3 < entity + len && memcmp(end, "\r\n\r\n", 4) != 0;
	    end++)
		;
	if (end + 3 >= entity + len)
		return -1;
	n = (size_t)(end - p);
	if (n >= ctlen)
		n = ctlen - 1;
	memcpy(ctype, p, n);
	ctype[n] = '\0';
	*body = end + 4;
	*bodylen = len - (size_t)(*body - entity);
	return 0;
}

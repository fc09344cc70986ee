/* SPDX-License-Identifier: ISC */
/*
 * mimetypes.c - the mime.types table: content types of attachments by
 * file name extension, from /etc/mime.types (or a given file) and a
 * built-in table; see mimetypes.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/send/mimetypes.h"

#define TYPES_PATH		"/etc/mime.types"
/* Debian's file is 60 KB; anything this big is not a mime.types. */
#define TYPES_FILE_MAX		(4 * 1024 * 1024)
#define TYPES_EXT_MAX		32
#define TYPES_TYPE_MAX		127
#define TYPES_DEFAULT		"application/octet-stream"

struct type_entry {
	char		*ext;		/* lower case */
	char		*type;
	size_t		 order;		/* the first mention wins */
};

struct mimetypes {
	struct type_entry	*v;
	size_t			 n, cap;
};

/* When there is no mime.types, and for what it lacks.  Sorted. */
static const struct builtin_type {
	const char	*ext;
	const char	*type;
} builtin_types[] = {
	{ "7z", "application/x-7z-compressed" },
	{ "bz2", "application/x-bzip2" },
	{ "csv", "text/csv" },
	{ "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document" },
	{ "eml", "message/rfc822" },
	{ "gif", "image/gif" },
	{ "gz", "application/gzip" },
	{ "htm", "text/html" },
	{ "html", "text/html" },
	{ "ics", "text/calendar" },
	{ "jpeg", "image/jpeg" },
	{ "jpg", "image/jpeg" },
	{ "json", "application/json" },
	{ "log", "text/plain" },
	{ "md", "text/markdown" },
	{ "mp3", "audio/mpeg" },
	{ "mp4", "video/mp4" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "pdf", "application/pdf" },
	{ "png", "image/png" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/vnd.openxmlformats-officedocument."
	    "presentationml.presentation" },
	{ "svg", "image/svg+xml" },
	{ "tar", "application/x-tar" },
	{ "txt", "text/plain" },
	{ "webp", "image/webp" },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet" },
	{ "xml", "application/xml" },
	{ "zip", "application/zip" },
};

static pthread_once_t		 process_once = PTHREAD_ONCE_INIT;
static struct mimetypes		*process_types;

static int
entry_cmp(const void *a, const void *b)
{
	const struct type_entry	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->ext, y->ext)) != 0)
		return c;
	return (x->order > y->order) - (x->order < y->order);
}

static int
is_token_char(char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

int
mimetype_is_valid(const char *s, size_t len)
{
	const char	*slash = memchr(s, '/', len);
	size_t		 i;

	if (slash == NULL || slash == s || slash == s + len - 1 ||
	    len > TYPES_TYPE_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (s + i != slash && !is_token_char(s[i]))
			return 0;
	return 1;
}

static int
ext_is_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > TYPES_EXT_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_token_char(s[i]) || s[i] == '.')
			return 0;
	return 1;
}

static int
types_add(struct mimetypes *t, const char *ext, size_t elen,
    const char *type, size_t tlen)
{
	struct type_entry	*nv, *e;
	size_t			 cap, i;

	if (t->n == t->cap) {
		cap = t->cap ? 2 * t->cap : 256;
		if ((nv = reallocarray(t->v, cap, sizeof(*nv))) == NULL)
			return -1;
		t->v = nv;
		t->cap = cap;
	}
	e = &t->v[t->n];
	if ((e->ext = strndup(ext, elen)) == NULL)
		return -1;
	if ((e->type = strndup(type, tlen)) == NULL) {
		free(e->ext);
		return -1;
	}
	for (i = 0; i < elen; i++)
		if (e->ext[i] >= 'A' && e->ext[i] <= 'Z')
			e->ext[i] = (char)(e->ext[i] - 'A' + 'a');
	e->order = t->n++;
	return 0;
}

static size_t
skip_space(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	return i;
}

static size_t
skip_word(const char *s, size_t len, size_t i)
{
	while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
		i++;
	return i;
}

/* One line: "type ext ext ...".  Malformed lines are skipped, as other
 * readers of the file do. */
static int
types_parse_line(struct mimetypes *t, const char *s, size_t len)
{
	const char	*hash = memchr(s, '#', len);
	size_t		 i, start, tstart, tlen;

	if (hash != NULL)
		len = (size_t)(hash - s);
	tstart = skip_space(s, len, 0);
	i = skip_word(s, len, tstart);
	tlen = i - tstart;
	if (tlen == 0 || !mimetype_is_valid(s + tstart, tlen))
		return 0;
	for (;;) {
		start = skip_space(s, len, i);
		if (start >= len)
			return 0;
		i = skip_word(s, len, start);
		if (ext_is_valid(s + start, i - start) &&
		    types_add(t, s + start, i - start, s + tstart, tlen) == -1)
			return -1;
	}
}

static int
types_parse(struct mimetypes *t, const char *data, size_t len)
{
	const char	*nl;
	size_t		 pos = 0, n;

	while (pos < len) {
		nl = memchr(data + pos, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - data) - pos : len - pos;
		if (types_parse_line(t, data + pos, n) == -1)
			return -1;
		pos += n + 1;
	}
	qsort(t->v, t->n, sizeof(*t->v), entry_cmp);
	return 0;
}

static char *
file_read(const char *path, size_t *len, int *missing, char *err,
    size_t errlen)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	*missing = 0;
	if ((f = fopen(path, "r")) == NULL) {
		*missing = errno == ENOENT;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(TYPES_FILE_MAX + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, TYPES_FILE_MAX + 1, f);
	if (ferror(f) || n > TYPES_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, ferror(f) ?
		    "read error" : "too big for a mime.types file");
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

struct mimetypes *
mimetypes_load(const char *path, char *err, size_t errlen)
{
	struct mimetypes	*t;
	char			*data;
	size_t			 len = 0;
	int			 missing;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (path == NULL)
		path = TYPES_PATH;
	if ((data = file_read(path, &len, &missing, err, errlen)) == NULL) {
		if (missing)
			return t;
		free(t);
		return NULL;
	}
	if (types_parse(t, data, len) == -1) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(data);
		mimetypes_free(t);
		return NULL;
	}
	free(data);
	return t;
}

void
mimetypes_free(struct mimetypes *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->v[i].ext);
		free(t->v[i].type);
	}
	free(t->v);
	free(t);
}

static void
process_types_load(void)
{
	char	 err[256];

	/* Unreadable: the built-in table still answers. */
	process_types = mimetypes_load(NULL, err, sizeof(err));
}

static const char *
types_find(const struct mimetypes *t, const char *ext)
{
	size_t	 lo = 0, hi = t->n, mid;
	int	 c;

	/* The first entry for ext: lower bound. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(t->v[mid].ext, ext)) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->n && strcmp(t->v[lo].ext, ext) == 0)
		return t->v[lo].type;
	return NULL;
}

static int
builtin_cmp(const void *key, const void *elem)
{
	const struct builtin_type	*b = elem;

	return strcmp(key, b->ext);
}

const char *
mimetypes_lookup(const struct mimetypes *t, const char *filename)
{
	const struct builtin_type	*b;
	const char			*base, *dot, *type;
	char				 ext[TYPES_EXT_MAX + 1];
	size_t				 i, n;

	if (t == NULL) {
		if (pthread_once(&process_once, process_types_load) != 0)
			return TYPES_DEFAULT;
		t = process_types;
	}
	if (filename == NULL)
		return TYPES_DEFAULT;
	base = strrchr(filename, '/') != NULL ? strrchr(filename, '/') + 1 :
	    filename;
	if ((dot = strrchr(base, '.')) == NULL || dot == base)
		return TYPES_DEFAULT;
	n = strlen(dot + 1);
	if (n == 0 || n > TYPES_EXT_MAX)
		return TYPES_DEFAULT;
	for (i = 0; i <= n; i++)
		ext[i] = (dot[1 + i] >= 'A' && dot[1 + i] <= 'Z') ?
		    (char)(dot[1 + i] - 'A' + 'a') : dot[1 + i];
	if (t != NULL && (type = types_find(t, ext)) != NULL)
		return type;
	b = bsearch(ext, builtin_types, sizeof(builtin_types) /
	    sizeof(builtin_types[0]), sizeof(builtin_types[0]), builtin_cmp);
	return b != NULL ? b->type : TYPES_DEFAULT;
}

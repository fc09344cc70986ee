/* SPDX-License-Identifier: ISC */
/*
 * oauth-token.c - reading the token endpoint's JSON answer; see
 * oauth-token.h.  A small reader for one object: strings (with their
 * escapes), numbers, true, false, null, and nested values skipped to a
 * bounded depth.  Nothing of it is logged.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/oauth/oauth-token.h"
#include "daemon/util/wipe.h"

#define JSON_MAX_DEPTH	16

struct reader {
	const char	*p;
	const char	*end;
};

static void
skip_ws(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' ||
	    *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int
hex4(const char *p, unsigned *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		*v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			*v |= (unsigned)(p[i] - '0');
		else if (p[i] >= 'a' && p[i] <= 'f')
			*v |= (unsigned)(p[i] - 'a' + 10);
		else if (p[i] >= 'A' && p[i] <= 'F')
			*v |= (unsigned)(p[i] - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* A code point as UTF-8 into out; its length. */
static size_t
utf8_put(unsigned c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static int
read_escape(struct reader *r, char *out, size_t *n)
{
	static const char	 from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char		*k;
	unsigned		 c, lo;

	if (r->p >= r->end)
		return -1;
	if (*r->p != 'u') {
		if ((k = strchr(from, *r->p)) == NULL || *r->p == '\0')
			return -1;
		out[(*n)++] = to[k - from];
		r->p++;
		return 0;
	}
	if (r->end - r->p < 5 || hex4(r->p + 1, &c) == -1)
		return -1;
	r->p += 5;
	if (c >= 0xd800 && c < 0xdc00) {
		if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' ||
		    hex4(r->p + 2, &lo) == -1 || lo < 0xdc00 || lo > 0xdfff)
			return -1;
		r->p += 6;
		c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
	} else if (c >= 0xdc00 && c < 0xe000)
		return -1;
	if (c == 0)
		return -1;	/* no NUL inside a C string */
	*n += utf8_put(c, out + *n);
	return 0;
}

/* A string at r->p ('"'); *out malloc'd if out is not NULL. */
static int
read_string(struct reader *r, char **out)
{
	const char	*start;
	char		*s = NULL;
	size_t		 n = 0;

	if (r->p >= r->end || *r->p != '"')
		return -1;
	start = ++r->p;
	/* the decoded text is never longer than the raw one */
	if (out != NULL && (s = malloc((size_t)(r->end - start) + 1)) == NULL)
		return -1;
	while (r->p < r->end && *r->p != '"') {
		if ((unsigned char)*r->p < 0x20)
			goto fail;
		if (*r->p == '\\') {
			r->p++;
			if (s == NULL) {
				char	 tmp[8];
				size_t	 k = 0;

				if (read_escape(r, tmp, &k) == -1)
					goto fail;
				continue;
			}
			if (read_escape(r, s, &n) == -1)
				goto fail;
			continue;
		}
		if (s != NULL)
			s[n++] = *r->p;
		r->p++;
	}
	if (r->p >= r->end)
		goto fail;
	r->p++;
	if (s != NULL) {
		s[n] = '\0';
		*out = s;
	}
	return 0;
fail:
	if (s != NULL) {
		memset(s, 0, n);
		free(s);
	}
	return -1;
}

static int	skip_value(struct reader *, int depth);

static int
skip_container(struct reader *r, int depth, char close)
{
	int	 first = 1;

	if (depth > JSON_MAX_DEPTH)
		return -1;
	r->p++;
	for (;;) {
		skip_ws(r);
		if (r->p < r->end && *r->p == close && first) {
			r->p++;
			return 0;
		}
		if (close == '}') {
			if (read_string(r, NULL) == -1)
				return -1;
			skip_ws(r);
			if (r->p >= r->end || *r->p++ != ':')
				return -1;
		}
		if (skip_value(r, depth + 1) == -1)
			return -1;
		skip_ws(r);
		if (r->p >= r->end)
			return -1;
		if (*r->p == close) {
			r->p++;
			return 0;
		}
		if (*r->p++ != ',')
			return -1;
		first = 0;
	}
}

static int
skip_word(struct reader *r, const char *w)
{
	size_t	 n = strlen(w);

	if ((size_t)(r->end - r->p) < n || strncmp(r->p, w, n) != 0)
		return -1;
	r->p += n;
	return 0;
}

/* A number's integer part into *v (if not NULL), its rest skipped. */
static int
read_number(struct reader *r, long *v)
{
	long	 n = 0;
	int	 neg = 0, digits = 0;

	if (r->p < r->end && *r->p == '-') {
		neg = 1;
		r->p++;
	}
	for (; r->p < r->end && *r->p >= '0' && *r->p <= '9'; r->p++) {
		if (n < 100000000000L)
			n = n * 10 + (*r->p - '0');
		digits++;
	}
	if (digits == 0)
		return -1;
	while (r->p < r->end && strchr("0123456789.eE+-", *r->p) != NULL &&
	    *r->p != '\0')
		r->p++;
	if (v != NULL)
		*v = neg ? -n : n;
	return 0;
}

static int
skip_value(struct reader *r, int depth)
{
	skip_ws(r);
	if (r->p >= r->end)
		return -1;
	switch (*r->p) {
	case '"':
		return read_string(r, NULL);
	case '{':
		return skip_container(r, depth, '}');
	case '[':
		return skip_container(r, depth, ']');
	case 't':
		return skip_word(r, "true");
	case 'f':
		return skip_word(r, "false");
	case 'n':
		return skip_word(r, "null");
	default:
		return read_number(r, NULL);
	}
}

/* The member's value into a, if mailsift uses it; else skipped. */
static int
read_member(struct reader *r, const char *name, struct oauth_answer *a)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} strs[] = {
		{ "access_token", offsetof(struct oauth_answer, access_token) },
		{ "refresh_token", offsetof(struct oauth_answer,
		    refresh_token) },
		{ "token_type", offsetof(struct oauth_answer, token_type) },
		{ "scope", offsetof(struct oauth_answer, scope) },
		{ "error", offsetof(struct oauth_answer, error) },
		{ "error_description", offsetof(struct oauth_answer,
		    error_description) },
	};
	char	**dst;
	size_t	 i;

	skip_ws(r);
	if (strcmp(name, "expires_in") == 0) {
		/* some providers send it as a string */
		if (r->p < r->end && *r->p == '"') {
			char	*s, *end;

			if (read_string(r, &s) == -1)
				return -1;
			a->expires_in = strtol(s, &end, 10);
			if (*s == '\0' || *end != '\0')
				a->expires_in = -1;
			free(s);
			return 0;
		}
		return read_number(r, &a->expires_in);
	}
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (strcmp(name, strs[i].name) != 0)
			continue;
		dst = (char **)(void *)((char *)a + strs[i].off);
		if (r->p < r->end && *r->p == '"' && *dst == NULL)
			return read_string(r, dst);
		break;
	}
	return skip_value(r, 1);
}

int
oauth_answer_parse(const char *text, size_t len, struct oauth_answer *a)
{
	struct reader	 r = { text, text + len };
	char		*name;

	memset(a, 0, sizeof(*a));
	a->expires_in = -1;
	skip_ws(&r);
	if (r.p >= r.end || *r.p++ != '{')
		return -1;
	skip_ws(&r);
	if (r.p < r.end && *r.p == '}')
		return 0;
	for (;;) {
		skip_ws(&r);
		if (read_string(&r, &name) == -1)
			goto fail;
		skip_ws(&r);
		if (r.p >= r.end || *r.p++ != ':' ||
		    read_member(&r, name, a) == -1) {
			free(name);
			goto fail;
		}
		free(name);
		skip_ws(&r);
		if (r.p < r.end && *r.p == '}')
			return 0;
		if (r.p >= r.end || *r.p++ != ',')
			goto fail;
	}
fail:
	oauth_answer_clear(a);
	return -1;
}

/* oauth_json_parse() with string members only: a discovery document. */
int
oauth_json_strings(const char *text, size_t len, const char *const *names,
    char **out, size_t n)
{
	struct oauth_json_member	 m[16] = { { NULL, NULL, NULL } };
	size_t				 i;

	if (n > sizeof(m) / sizeof(m[0]))
		return -1;
	for (i = 0; i < n; i++) {
		out[i] = NULL;
		m[i].name = names[i];
		m[i].str = &out[i];
		m[i].num = NULL;
	}
	if (oauth_json_parse(text, len, m, n) == 0)
		return 0;
	for (i = 0; i < n; i++) {
		free(out[i]);
		out[i] = NULL;
	}
	return -1;
}

void
oauth_answer_clear(struct oauth_answer *a)
{
	wipe_free(a->access_token);
	wipe_free(a->refresh_token);
	free(a->token_type);
	free(a->scope);
	free(a->error);
	free(a->error_description);
	memset(a, 0, sizeof(*a));
	a->expires_in = -1;
}

/* The named members of an object: strings (a number given as a string
 * is read as its text) and integers (an integer given as a string too:
 * some providers quote expires_in and interval). */
static int
read_named(struct reader *r, const char *name,
    const struct oauth_json_member *m, size_t n)
{
	char	*s, *end;
	size_t	 i;

	skip_ws(r);
	for (i = 0; i < n; i++)
		if (strcmp(name, m[i].name) == 0)
			break;
	if (i == n)
		return skip_value(r, 1);
	if (m[i].str != NULL) {
		if (r->p < r->end && *r->p == '"' && *m[i].str == NULL)
			return read_string(r, m[i].str);
		return skip_value(r, 1);
	}
	if (r->p < r->end && *r->p == '"') {
		if (read_string(r, &s) == -1)
			return -1;
		*m[i].num = strtol(s, &end, 10);
		if (*s == '\0' || *end != '\0')
			*m[i].num = -1;
		free(s);
		return 0;
	}
	if (r->p < r->end && *r->p != '-' && (*r->p < '0' || *r->p > '9'))
		return skip_value(r, 1);
	return read_number(r, m[i].num);
}

int
oauth_json_parse(const char *text, size_t len,
    const struct oauth_json_member *m, size_t n)
{
	struct reader	 r = { text, text + len };
	char		*name;

	skip_ws(&r);
	if (r.p >= r.end || *r.p++ != '{')
		return -1;
	skip_ws(&r);
	if (r.p < r.end && *r.p == '}')
		return 0;
	for (;;) {
		skip_ws(&r);
		if (read_string(&r, &name) == -1)
			return -1;
		skip_ws(&r);
		if (r.p >= r.end || *r.p++ != ':' ||
		    read_named(&r, name, m, n) == -1) {
			free(name);
			return -1;
		}
		free(name);
		skip_ws(&r);
		if (r.p < r.end && *r.p == '}')
			return 0;
		if (r.p >= r.end || *r.p++ != ',')
			return -1;
	}
}

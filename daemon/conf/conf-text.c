/* SPDX-License-Identifier: ISC */
/*
 * conf-text.c - comment blanking and value parsing for the configuration
 * loader; see conf-text.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/rules.h"
#include "daemon/conf/conf-text.h"

enum scan_state {
	SCAN_CODE,
	SCAN_DQUOTE,
	SCAN_SQUOTE,
	SCAN_LINE_COMMENT,
	SCAN_BLOCK_COMMENT
};

struct scan {
	char		*buf;
	size_t		 len;
	size_t		 i;
	enum scan_state	 state;
	int		 line;
	int		 depth;
	int		 open_line;	/* of the outermost unclosed '{' */
	int		 start_line;	/* of the open string or comment */
	const char	*error;
};

static int
scan_next_is(const struct scan *s, char c)
{
	return s->i + 1 < s->len && s->buf[s->i + 1] == c;
}

/*
 * libconfuse reads "a//b" as one word but "// x" as a comment: a "//"
 * only starts a comment where a token could start.
 */
static int
scan_at_token_start(const struct scan *s)
{
	char	 prev;

	if (s->i == 0)
		return 1;
	prev = s->buf[s->i - 1];
	return prev != '\0' && strchr(" \t\r\n={}(),+\"'", prev) != NULL;
}

static void
scan_code(struct scan *s)
{
	char	 c = s->buf[s->i];

	s->start_line = s->line;
	if (c == '"')
		s->state = SCAN_DQUOTE;
	else if (c == '\'')
		s->state = SCAN_SQUOTE;
	else if (c == '#' || (c == '/' && scan_next_is(s, '/') &&
	    scan_at_token_start(s))) {
		s->state = SCAN_LINE_COMMENT;
		s->buf[s->i] = ' ';
	} else if (c == '/' && scan_next_is(s, '*')) {
		s->state = SCAN_BLOCK_COMMENT;
		s->buf[s->i++] = ' ';
		s->buf[s->i] = ' ';
	} else if (c == '{') {
		if (s->depth++ == 0)
			s->open_line = s->line;
	} else if (c == '}') {
		if (s->depth == 0)
			s->error = "'}' without a matching '{'";
		else
			s->depth--;
	}
}

static void
scan_quoted(struct scan *s, char quote)
{
	char	 c = s->buf[s->i];

	if (c == quote) {
		s->state = SCAN_CODE;
		return;
	}
	if (c != '\\' || s->i + 1 >= s->len)
		return;
	/* Single quotes only escape themselves and the backslash. */
	if (quote == '"' || scan_next_is(s, '\'') || scan_next_is(s, '\\'))
		s->i++;
}

static void
scan_comment(struct scan *s)
{
	char	 c = s->buf[s->i];

	if (c == '\n') {
		if (s->state == SCAN_LINE_COMMENT)
			s->state = SCAN_CODE;
		return;
	}
	if (s->state == SCAN_BLOCK_COMMENT && c == '*' &&
	    scan_next_is(s, '/')) {
		s->buf[s->i++] = ' ';
		s->state = SCAN_CODE;
	}
	s->buf[s->i] = ' ';
}

static const char *
scan_end(const struct scan *s, int *line)
{
	switch (s->state) {
	case SCAN_DQUOTE:
	case SCAN_SQUOTE:
		*line = s->start_line;
		return "string is never closed";
	case SCAN_BLOCK_COMMENT:
		*line = s->start_line;
		return "'/*' comment is never closed";
	case SCAN_CODE:
	case SCAN_LINE_COMMENT:
		break;
	}
	if (s->depth > 0) {
		*line = s->open_line;
		return "'{' is never closed";
	}
	return NULL;
}

static void
scan_init(struct scan *s, char *buf, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->buf = buf;
	s->len = len;
	s->line = 1;
}

/* One character (or an escape pair) further. */
static void
scan_step(struct scan *s)
{
	switch (s->state) {
	case SCAN_CODE:
		scan_code(s);
		break;
	case SCAN_DQUOTE:
		scan_quoted(s, '"');
		break;
	case SCAN_SQUOTE:
		scan_quoted(s, '\'');
		break;
	case SCAN_LINE_COMMENT:
	case SCAN_BLOCK_COMMENT:
		scan_comment(s);
		break;
	}
	if (s->i < s->len && s->buf[s->i] == '\n')
		s->line++;
}

const char *
conf_text_blank(char *buf, size_t len, int *line)
{
	struct scan	 s;

	scan_init(&s, buf, len);
	for (s.i = 0; s.i < len; s.i++) {
		scan_step(&s);
		if (s.error != NULL) {
			*line = s.line;
			return s.error;
		}
	}
	return scan_end(&s, line);
}

/* At buf[i] = '$': the ${NAME} there without a default, into name. */
static int
var_at(const char *buf, size_t len, size_t i, char *name, size_t namelen)
{
	size_t	 j, n;

	if (i + 1 >= len || buf[i + 1] != '{')
		return 0;
	for (j = i + 2; j < len && buf[j] != '}' && buf[j] != '\n'; j++)
		if (buf[j] == ':' && j + 1 < len && buf[j + 1] == '-')
			return 0;	/* ${NAME:-default} */
	if (j >= len || buf[j] != '}' || (n = j - i - 2) == 0)
		return 0;
	if (n >= namelen)
		n = namelen - 1;
	memcpy(name, buf + i + 2, n);
	name[n] = '\0';
	return 1;
}

const char *
conf_text_vars_check(char *buf, size_t len, int (*defined)(const char *),
    char *name, size_t namelen, int *line)
{
	struct scan	 s;

	scan_init(&s, buf, len);
	for (s.i = 0; s.i < len; s.i++) {
		if (s.state != SCAN_SQUOTE && buf[s.i] == '$' &&
		    var_at(buf, len, s.i, name, namelen) && !defined(name)) {
			*line = s.line;
			return "is not set in the environment (set it, or give "
			    "a default as ${NAME:-value})";
		}
		scan_step(&s);
	}
	return NULL;
}

const char *
conf_text_escapes_check(char *buf, size_t len, char *name, size_t namelen,
    int *line)
{
	struct scan	 s;
	size_t		 n;

	scan_init(&s, buf, len);
	for (s.i = 0; s.i < len; s.i++) {
		if (s.state == SCAN_DQUOTE && buf[s.i] == '\\') {
			for (n = 1; s.i + n < len &&
			    isalpha((unsigned char)buf[s.i + n]); n++)
				;
			if (rule_special_use_index(buf + s.i, n) != -1) {
				snprintf(name, namelen, "%.*s", (int)n,
				    buf + s.i);
				*line = s.line;
				return "in double quotes loses its backslash";
			}
		}
		scan_step(&s);
	}
	return NULL;
}

const char *
conf_size_parse(const char *str, uint64_t *out)
{
	const char	*p = str;
	uint64_t	 v = 0, mult = 1, digit;

	if (!isdigit((unsigned char)*p))
		return "expected a number of bytes with an optional K, M or "
		    "G suffix, like 64M";
	for (; isdigit((unsigned char)*p); p++) {
		digit = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return "is too large";
		v = v * 10 + digit;
	}
	switch (*p) {
	case 'K':
	case 'k':
		mult = 1024;
		p++;
		break;
	case 'M':
	case 'm':
		mult = 1024 * 1024;
		p++;
		break;
	case 'G':
	case 'g':
		mult = 1024 * 1024 * 1024;
		p++;
		break;
	default:
		break;
	}
	if (*p != '\0')
		return "expected a number of bytes with an optional K, M or "
		    "G suffix, like 64M";
	if (v == 0)
		return "must be more than 0";
	if (v > UINT64_MAX / mult)
		return "is too large";
	*out = v * mult;
	return NULL;
}

const char *
conf_fingerprint_parse(const char *str, char *out, size_t outlen)
{
	static const char	 bad[] = "expected the certificate's "
	    "SHA-256 as 64 hex digits, like sha256:AB:CD:... or plain hex";
	size_t			 n = 0;

	if (outlen < CONF_FINGERPRINT_LEN)
		return "no room for the fingerprint";
	if (strncasecmp(str, "sha256:", 7) == 0)
		str += 7;
	memcpy(out, "sha256:", 7);
	for (; *str != '\0'; str++) {
		if (*str == ':')
			continue;
		if (!isxdigit((unsigned char)*str) || n == 64)
			return bad;
		out[7 + n++] = (char)tolower((unsigned char)*str);
	}
	if (n != 64)
		return bad;
	out[7 + n] = '\0';
	return NULL;
}

const char *
conf_path_expand(const char *str, char **out)
{
	const char	*home;
	size_t		 hlen, rlen;

	*out = NULL;
	if (str[0] == '/') {
		if ((*out = strdup(str)) == NULL)
			return "out of memory";
		return NULL;
	}
	if (str[0] != '~')
		return "must be an absolute path or start with ~/";
	if (str[1] != '\0' && str[1] != '/')
		return "~user is not supported; write the full path";
	home = getenv("HOME");
	if (home == NULL || home[0] != '/')
		return "starts with ~ but HOME is not set to an absolute path";
	str++;
	hlen = strlen(home);
	/* "~" alone is HOME itself; "~/x" must not become "//x". */
	while (*str != '\0' && hlen > 0 && home[hlen - 1] == '/')
		hlen--;
	rlen = strlen(str);
	if ((*out = malloc(hlen + rlen + 1)) == NULL)
		return "out of memory";
	memcpy(*out, home, hlen);
	memcpy(*out + hlen, str, rlen + 1);
	return NULL;
}

const char *
conf_deliver_expand(const char *str, char **out)
{
	struct rule_target	 t;
	const char		*why;
	char			*path;
	size_t			 plen, len;

	*out = NULL;
	if (rule_target_parse(str, strlen(str), &t) == -1)
		return "must be " RULE_TARGET_FORMS;
	plen = (size_t)(t.arg - str);
	if (!(t.flags & RULE_TARGET_PATH)) {
		if ((*out = strdup(str)) == NULL)
			return "out of memory";
		return NULL;
	}
	if ((why = conf_path_expand(t.arg, &path)) != NULL)
		return why;
	len = strlen(path);
	if ((*out = malloc(plen + len + 1)) == NULL) {
		free(path);
		return "out of memory";
	}
	memcpy(*out, str, plen);
	memcpy(*out + plen, path, len + 1);
	free(path);
	return NULL;
}

/* SPDX-License-Identifier: ISC */
/* template.c - {field} templates; see template.h. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mime/buf.h"
#include "rules/template.h"
#include "rules/view.h"

#define DATE_FORMAT_MAX	64
#define DATE_OUT_MAX	256

enum tpl_field {
	F_LITERAL,
	F_SUBJECT,
	F_FROM_ADDRESS,
	F_FROM_NAME,
	F_FROM_DOMAIN,
	F_TO_ADDRESS,
	F_TO_NAME,
	F_TO_DOMAIN,
	F_DATE,
	F_ACCOUNT,
	F_FOLDER,
	F_MESSAGE_ID,
	F_MATCH
};

static const struct {
	const char	*name;
	enum tpl_field	 field;
} field_names[] = {
	{ "subject", F_SUBJECT },
	{ "from.address", F_FROM_ADDRESS },
	{ "from.name", F_FROM_NAME },
	{ "from.domain", F_FROM_DOMAIN },
	{ "to.address", F_TO_ADDRESS },
	{ "to.name", F_TO_NAME },
	{ "to.domain", F_TO_DOMAIN },
	{ "date", F_DATE },
	{ "account", F_ACCOUNT },
	{ "folder", F_FOLDER },
	{ "message_id", F_MESSAGE_ID },
};

struct tpl_piece {
	enum tpl_field	 field;
	char		*text;		/* literal, or date format */
	size_t		 len;
	size_t		 slot;		/* F_MATCH */
};

struct rule_template {
	enum rule_tpl_mode	 mode;
	char			*source;
	struct tpl_piece	*v;
	size_t			 n, cap;
	int			 fields;
};

struct tpl_parse {
	struct rule_template	*t;
	const char *const	*capnames;
	size_t			 ncap;
	char			*err;
	size_t			 errlen;
};

static int
piece_add(struct rule_template *t, enum tpl_field f, const char *text,
    size_t len, size_t slot)
{
	struct tpl_piece	*nv;
	size_t			 cap;

	if (t->n == t->cap) {
		cap = t->cap == 0 ? 4 : t->cap * 2;
		if ((nv = reallocarray(t->v, cap, sizeof(*nv))) == NULL)
			return -1;
		t->v = nv;
		t->cap = cap;
	}
	t->v[t->n].field = f;
	t->v[t->n].text = NULL;
	t->v[t->n].len = len;
	t->v[t->n].slot = slot;
	if (text != NULL) {
		if ((t->v[t->n].text = malloc(len + 1)) == NULL)
			return -1;
		memcpy(t->v[t->n].text, text, len);
		t->v[t->n].text[len] = '\0';
	}
	t->n++;
	if (f != F_LITERAL)
		t->fields = 1;
	return 0;
}

/* Conversions that give the same text for the same time everywhere
 * (the C locale), nothing that reads the environment. */
static int
date_format_check(const char *f, size_t len, const char **why)
{
	static const char ok[] = "aAbBcCdDeFgGhHIjmMnprRStTuUVwWxXyYzZ%";
	size_t	 i;

	if (len == 0 || len > DATE_FORMAT_MAX) {
		*why = "date format must have 1 to 64 characters";
		return -1;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)f[i] < 0x20 || f[i] == 0x7f) {
			*why = "control character in date format";
			return -1;
		}
		if (f[i] != '%')
			continue;
		if (i + 1 == len || strchr(ok, f[i + 1]) == NULL ||
		    f[i + 1] == '\0') {
			*why = "unknown strftime conversion in date format";
			return -1;
		}
		i++;
	}
	return 0;
}

static int
field_parse(struct tpl_parse *tp, const char *s, size_t len)
{
	const char	*why;
	size_t		 i;

	if (len > 5 && memcmp(s, "date:", 5) == 0) {
		if (date_format_check(s + 5, len - 5, &why) == -1) {
			snprintf(tp->err, tp->errlen, "%s", why);
			return -1;
		}
		return piece_add(tp->t, F_DATE, s + 5, len - 5, 0);
	}
	if (len > 6 && memcmp(s, "match.", 6) == 0) {
		for (i = 0; i < tp->ncap; i++)
			if (strlen(tp->capnames[i]) == len - 6 &&
			    memcmp(tp->capnames[i], s + 6, len - 6) == 0)
				return piece_add(tp->t, F_MATCH, NULL, 0, i);
		snprintf(tp->err, tp->errlen, "no regex of this rule has a "
		    "capture group named '%.*s'", (int)(len - 6), s + 6);
		return -1;
	}
	for (i = 0; i < sizeof(field_names) / sizeof(field_names[0]); i++)
		if (strlen(field_names[i].name) == len &&
		    memcmp(field_names[i].name, s, len) == 0)
			return piece_add(tp->t, field_names[i].field,
			    field_names[i].field == F_DATE ? "%Y-%m-%d" : NULL,
			    field_names[i].field == F_DATE ? 8 : 0, 0);
	snprintf(tp->err, tp->errlen, "unknown template field '{%.*s}' "
	    "(fields: subject, from.address, from.name, from.domain, "
	    "to.address, to.name, to.domain, date, date:FORMAT, account, "
	    "folder, message_id, match.NAME)", (int)(len > 60 ? 60 : len), s);
	return -1;
}

static int
literal_flush(struct tpl_parse *tp, struct mime_buf *lit)
{
	if (lit->len == 0)
		return 0;
	if (piece_add(tp->t, F_LITERAL, lit->data, lit->len, 0) == -1)
		return -1;
	mime_buf_reset(lit);
	return 0;
}

/* Walk s: literal runs and {fields}.  *off is where an error is. */
static int
tpl_scan(struct tpl_parse *tp, const char *s, size_t len, size_t *off,
    struct mime_buf *lit)
{
	const char	*close;
	size_t		 i;
	int		 nomem = 0;

	for (i = 0; i < len; i++) {
		*off = i;
		if (tp->t->mode != RULE_TPL_TEXT && ((unsigned char)s[i] < 0x20 ||
		    s[i] == 0x7f)) {
			snprintf(tp->err, tp->errlen, "control character (line "
			    "break, tab ...) in a one-line template");
			return -1;
		}
		if ((s[i] == '{' || s[i] == '}') && i + 1 < len &&
		    s[i + 1] == s[i]) {
			nomem = mime_buf_append_char(lit, s[i++]);
		} else if (s[i] == '}') {
			snprintf(tp->err, tp->errlen, "unmatched '}' (write '}}' "
			    "for a brace)");
			return -1;
		} else if (s[i] == '{') {
			close = memchr(s + i + 1, '}', len - i - 1);
			if (close == NULL || memchr(s + i + 1, '{',
			    (size_t)(close - s) - i - 1) != NULL) {
				snprintf(tp->err, tp->errlen, "unclosed '{' "
				    "(write '{{' for a brace)");
				return -1;
			}
			if (literal_flush(tp, lit) == -1)
				goto nomem;
			*off = i + 1;
			if (field_parse(tp, s + i + 1,
			    (size_t)(close - s) - i - 1) == -1)
				return -1;
			i = (size_t)(close - s);
		} else
			nomem = mime_buf_append_char(lit, s[i]);
		if (nomem == -1)
			goto nomem;
	}
	if (literal_flush(tp, lit) == -1)
		goto nomem;
	return 0;
nomem:
	snprintf(tp->err, tp->errlen, "out of memory");
	return -1;
}

struct rule_template *
rule_template_parse(const char *s, size_t len, enum rule_tpl_mode mode,
    const char *const *capnames, size_t ncap, size_t *erroff, char *err,
    size_t errlen)
{
	struct tpl_parse	 tp = { NULL, capnames, ncap, err, errlen };
	struct mime_buf		 lit;

	*erroff = 0;
	mime_buf_init(&lit);
	if ((tp.t = calloc(1, sizeof(*tp.t))) == NULL ||
	    (tp.t->source = malloc(len + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memcpy(tp.t->source, s, len);
	tp.t->source[len] = '\0';
	tp.t->mode = mode;
	if (tpl_scan(&tp, s, len, erroff, &lit) == -1)
		goto fail;
	mime_buf_free(&lit);
	return tp.t;
fail:
	mime_buf_free(&lit);
	rule_template_free(tp.t);
	return NULL;
}

void
rule_template_free(struct rule_template *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
	free(t->source);
	free(t);
}

const char *
rule_template_source(const struct rule_template *t)
{
	return t->source;
}

int
rule_template_has_fields(const struct rule_template *t)
{
	return t->fields;
}

static int
append_text(const char *in, size_t len, struct mime_buf *out)
{
	const char	*nul;

	while ((nul = memchr(in, '\0', len)) != NULL) {
		if (mime_buf_append(out, in, (size_t)(nul - in)) == -1)
			return -1;
		len -= (size_t)(nul - in) + 1;
		in = nul + 1;
	}
	return mime_buf_append(out, in, len);
}

static int
append_line(const char *in, size_t len, struct mime_buf *out)
{
	size_t	 i, start = out->len;

	if (mime_buf_append(out, in, len) == -1)
		return -1;
	for (i = start; i < out->len; i++)
		if ((unsigned char)out->data[i] < 0x20 || out->data[i] == 0x7f)
			out->data[i] = ' ';
	return 0;
}

size_t
rule_tpl_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t	 n;

	if (len <= max)
		return len;
	/* s[n] is where the cut falls: back off over continuation bytes,
	 * at most the three a valid sequence can have after its first. */
	for (n = max; n > 0 && max - n < 3 &&
	    ((unsigned char)s[n] & 0xc0) == 0x80; n--)
		;
	return ((unsigned char)s[n] & 0xc0) == 0x80 ? max : n;
}

static int
append_component(const char *in, size_t len, struct mime_buf *out)
{
	size_t	 i, start = out->len;
	int	 after_dot = 1;		/* the start counts as one */
	char	 c;

	for (i = 0; i < len && out->len - start <= RULE_TPL_COMPONENT_MAX;
	    i++) {
		c = in[i];
		if ((unsigned char)c < 0x20 || c == 0x7f)
			continue;
		if (c == '/' || c == '\\' || (c == '.' && after_dot))
			c = '_';
		after_dot = c == '.';
		if (mime_buf_append_char(out, c) == -1)
			return -1;
	}
	if (out->len == start)
		return mime_buf_append_char(out, '_');
	out->len = start + rule_tpl_utf8_cut(out->data + start,
	    out->len - start, RULE_TPL_COMPONENT_MAX);
	out->data[out->len] = '\0';
	return 0;
}

int
rule_tpl_append_value(enum rule_tpl_mode mode, const char *in, size_t len,
    struct mime_buf *out)
{
	switch (mode) {
	case RULE_TPL_LINE:
		return append_line(in, len, out);
	case RULE_TPL_ARG:
		return append_line(in, rule_tpl_utf8_cut(in, len,
		    RULE_TPL_ARG_VALUE_MAX), out);
	case RULE_TPL_PATH:
	case RULE_TPL_FOLDER:
		return append_component(in, len, out);
	case RULE_TPL_TEXT:
		break;
	}
	return append_text(in, len, out);
}

/* Where the extension of name[0..len) starts, or len if it has none
 * worth keeping. */
static size_t
name_ext(const char *name, size_t len)
{
	size_t	 i;

	for (i = len; i > 1 && len - i < RULE_TPL_EXT_MAX; i--)
		if (name[i - 1] == '.')
			return i - 1;
	return len;
}

/* Cut every component of out[from..] to RULE_TPL_NAME_MAX bytes. */
static void
path_names_cut(struct mime_buf *out, size_t from)
{
	const char	*slash;
	size_t		 c, end, ext, head;

	for (c = from; c < out->len; c = end + 1) {
		slash = memchr(out->data + c, '/', out->len - c);
		end = slash != NULL ? (size_t)(slash - out->data) : out->len;
		if (end - c <= RULE_TPL_NAME_MAX)
			continue;
		ext = end - c - name_ext(out->data + c, end - c);
		head = rule_tpl_utf8_cut(out->data + c, end - c,
		    RULE_TPL_NAME_MAX - ext);
		memmove(out->data + c + head, out->data + end - ext,
		    out->len - (end - ext) + 1);	/* with the NUL */
		out->len -= end - c - head - ext;
		end = c + head + ext;
	}
}

/* The date in the Date header's own zone (else now, UTC). */
static int
expand_date(const struct rule_tpl_env *env, const char *fmt,
    struct rule_span *out, char *buf)
{
	struct tm	 tm;
	time_t		 t;
	long		 off;
	int		 valid;
	size_t		 n;

	rule_view_date(env->view, &t, &off, &valid);
	t += off;
	if (gmtime_r(&t, &tm) == NULL) {
		out->p = "";
		out->len = 0;
		return 0;
	}
	tm.tm_gmtoff = off;
	tm.tm_zone = valid ? "" : "UTC";
	/* The format was checked when the rule file was loaded. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = strftime(buf, DATE_OUT_MAX, fmt, &tm);
#pragma GCC diagnostic pop
	out->p = buf;
	out->len = n;
	return 0;
}

static void
domain_of(const struct rule_span *addr, struct rule_span *out)
{
	const char	*at = NULL;
	size_t		 i;

	for (i = 0; i < addr->len; i++)
		if (addr->p[i] == '@')
			at = addr->p + i;
	out->p = at != NULL ? at + 1 : "";
	out->len = at != NULL ? addr->len - (size_t)(at + 1 - addr->p) : 0;
}

static int
expand_addr(const struct rule_tpl_env *env, enum rule_addr_field f,
    enum tpl_field which, struct rule_span *out)
{
	const struct rule_addr	*a;
	size_t			 n;

	if (rule_view_addrs(env->view, f, &a, &n) == -1)
		return -1;
	out->p = "";
	out->len = 0;
	if (n == 0)
		return 0;
	if (which == F_FROM_NAME || which == F_TO_NAME)
		*out = a[0].name;
	else if (which == F_FROM_DOMAIN || which == F_TO_DOMAIN)
		domain_of(&a[0].address, out);
	else
		*out = a[0].address;
	return 0;
}

static int
expand_field(const struct rule_tpl_env *env, const struct tpl_piece *p,
    struct rule_span *v, char *datebuf)
{
	v->p = "";
	v->len = 0;
	switch (p->field) {
	case F_LITERAL:
		break;
	case F_SUBJECT:
		return rule_view_subject(env->view, v);
	case F_FROM_ADDRESS:
	case F_FROM_NAME:
	case F_FROM_DOMAIN:
		return expand_addr(env, RULE_ADDR_FROM, p->field, v);
	case F_TO_ADDRESS:
	case F_TO_NAME:
	case F_TO_DOMAIN:
		return expand_addr(env, RULE_ADDR_TO, p->field, v);
	case F_DATE:
		return expand_date(env, p->text, v, datebuf);
	case F_ACCOUNT:
		return rule_view_account(env->view, v);
	case F_FOLDER:
		return rule_view_folder(env->view, v);
	case F_MESSAGE_ID:
		return rule_view_message_id(env->view, v);
	case F_MATCH:
		if (p->slot < env->ncaps && env->caps[p->slot].p != NULL)
			*v = env->caps[p->slot];
		break;
	}
	return 0;
}

/* The whole folder in RULE_TPL_FOLDER_MAX bytes, no '/' at its end. */
static void
folder_cut(struct mime_buf *out, size_t from)
{
	if (out->len - from <= RULE_TPL_FOLDER_MAX)
		return;
	out->len = from + rule_tpl_utf8_cut(out->data + from, out->len - from,
	    RULE_TPL_FOLDER_MAX);
	while (out->len > from + 1 && out->data[out->len - 1] == '/')
		out->len--;
	out->data[out->len] = '\0';
}

int
rule_template_expand(const struct rule_template *t,
    const struct rule_tpl_env *env, struct mime_buf *out)
{
	struct rule_span	 v;
	char			 datebuf[DATE_OUT_MAX];
	size_t			 i, start = out->len, before;

	for (i = 0; i < t->n; i++) {
		if (t->v[i].field == F_LITERAL) {
			if (mime_buf_append(out, t->v[i].text,
			    t->v[i].len) == -1)
				return -1;
			continue;
		}
		before = out->len;
		if (expand_field(env, &t->v[i], &v, datebuf) == -1 ||
		    rule_tpl_append_value(t->mode, v.p, v.len, out) == -1)
			return -1;
		/* A value first in an argument would be read as an option. */
		if (t->mode == RULE_TPL_ARG && before == start &&
		    out->len > start && out->data[start] == '-')
			out->data[start] = '_';
	}
	if (t->mode == RULE_TPL_PATH || t->mode == RULE_TPL_FOLDER)
		path_names_cut(out, start);
	if (t->mode == RULE_TPL_FOLDER)
		folder_cut(out, start);
	return 0;
}

/* SPDX-License-Identifier: ISC */
/* regex.c - PCRE2 compiled once, matched under limits; see regex.h. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "rules/regex.h"
#include "rules/rules.h"

/* A pattern longer than this is a mistake, not a rule. */
#define PATTERN_MAX	65536

struct regex_name {
	char		*name;
	unsigned	 group;
};

struct rule_regex {
	pcre2_code		*code;
	char			*pattern;
	size_t			 id;
	unsigned		 groups;
	int			 jit;
	struct regex_name	*names;
	size_t			 nnames;
};

struct rule_regex_scratch {
	pcre2_match_data	*md;
	pcre2_match_context	*mctx;
	unsigned		 groups;
};

static int
collect_names(struct rule_regex *re)
{
	PCRE2_SPTR	 table;
	uint32_t	 count, size, i;

	if (pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count) != 0 ||
	    pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE,
	    &size) != 0 ||
	    pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table) != 0)
		return -1;
	if (count == 0)
		return 0;
	if ((re->names = calloc(count, sizeof(*re->names))) == NULL)
		return -1;
	/* Each entry: the group number (2 bytes, big-endian), the name. */
	for (i = 0; i < count; i++) {
		const unsigned char *e = table + (size_t)i * size;

		re->names[i].group = (unsigned)(e[0] << 8 | e[1]);
		if ((re->names[i].name = strdup((const char *)e + 2)) == NULL)
			return -1;
		re->nnames++;
	}
	return 0;
}

static pcre2_code *
compile(const char *pat, size_t len, unsigned opts, size_t *erroff,
    char *err, size_t errlen)
{
	pcre2_compile_context	*cctx;
	pcre2_code		*code;
	PCRE2_UCHAR		 msg[256];
	PCRE2_SIZE		 off = 0;
	uint32_t		 flags;
	int			 ec = 0;

	flags = PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C;
	if (opts & RULE_REGEX_MULTILINE)
		flags |= PCRE2_MULTILINE;
	if ((cctx = pcre2_compile_context_create(NULL)) == NULL) {
		snprintf(err, errlen, "out of memory");
		*erroff = 0;
		return NULL;
	}
	/* Text handed to regexes always ends lines with LF. */
	pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
	code = pcre2_compile((PCRE2_SPTR)pat, len, flags, &ec, &off, cctx);
	pcre2_compile_context_free(cctx);
	if (code == NULL) {
		if (pcre2_get_error_message(ec, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", ec);
		snprintf(err, errlen, "%s", (const char *)msg);
		*erroff = off;
	}
	return code;
}

struct rule_regex *
rule_regex_compile(const char *pat, size_t len, unsigned opts,
    size_t *erroff, char *err, size_t errlen)
{
	struct rule_regex	*re;
	uint32_t		 groups;

	*erroff = 0;
	if (len > PATTERN_MAX) {
		snprintf(err, errlen, "pattern longer than %d bytes",
		    PATTERN_MAX);
		return NULL;
	}
	if ((re = calloc(1, sizeof(*re))) == NULL ||
	    (re->pattern = malloc(len + 1)) == NULL)
		goto nomem;
	memcpy(re->pattern, pat, len);
	re->pattern[len] = '\0';
	if ((re->code = compile(pat, len, opts, erroff, err, errlen)) == NULL)
		goto fail;
	if (pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT,
	    &groups) != 0 || collect_names(re) == -1)
		goto nomem;
	re->groups = groups;
	/* Without JIT support (or with a pattern JIT refuses) the
	 * interpreter gives the same answers, only slower. */
	if (!(opts & RULE_REGEX_NO_JIT) &&
	    pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0)
		re->jit = 1;
	return re;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	rule_regex_free(re);
	return NULL;
}

void
rule_regex_free(struct rule_regex *re)
{
	size_t	 i;

	if (re == NULL)
		return;
	for (i = 0; i < re->nnames; i++)
		free(re->names[i].name);
	free(re->names);
	pcre2_code_free(re->code);
	free(re->pattern);
	free(re);
}

const char *
rule_regex_pattern(const struct rule_regex *re)
{
	return re->pattern;
}

void
rule_regex_set_id(struct rule_regex *re, size_t id)
{
	re->id = id;
}

size_t
rule_regex_id(const struct rule_regex *re)
{
	return re->id;
}

int
rule_regex_jit(const struct rule_regex *re)
{
	return re->jit;
}

unsigned
rule_regex_group_count(const struct rule_regex *re)
{
	return re->groups;
}

size_t
rule_regex_name_count(const struct rule_regex *re)
{
	return re->nnames;
}

const char *
rule_regex_name(const struct rule_regex *re, size_t i, unsigned *group)
{
	if (i >= re->nnames)
		return NULL;
	*group = re->names[i].group;
	return re->names[i].name;
}

struct rule_regex_scratch *
rule_regex_scratch_new(unsigned groups)
{
	struct rule_regex_scratch	*rs;

	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return NULL;
	rs->groups = groups;
	if ((rs->md = pcre2_match_data_create(groups + 1, NULL)) == NULL ||
	    (rs->mctx = pcre2_match_context_create(NULL)) == NULL) {
		rule_regex_scratch_free(rs);
		return NULL;
	}
	pcre2_set_depth_limit(rs->mctx, RULE_DEPTH_LIMIT);
	pcre2_set_heap_limit(rs->mctx, RULE_HEAP_LIMIT);
	return rs;
}

void
rule_regex_scratch_free(struct rule_regex_scratch *rs)
{
	if (rs == NULL)
		return;
	pcre2_match_data_free(rs->md);
	pcre2_match_context_free(rs->mctx);
	free(rs);
}

static int
regex_match_limited(const struct rule_regex *re,
    struct rule_regex_scratch *rs, const char *s, size_t len,
    uint32_t limit)
{
	int	 rc;

	pcre2_set_match_limit(rs->mctx, limit);
	if (re->groups > rs->groups)
		return -1;	/* the caller sized the scratch wrong */
	/* The subject is valid UTF-8 (utf8.h): neither path checks it
	 * again.  pcre2_jit_match() also skips the other checks
	 * pcre2_match() makes on every call. */
	if (re->jit)
		rc = pcre2_jit_match(re->code, (PCRE2_SPTR)(s != NULL ? s :
		    ""), len, 0, 0, rs->md, rs->mctx);
	else
		rc = pcre2_match(re->code, (PCRE2_SPTR)(s != NULL ? s : ""),
		    len, 0, PCRE2_NO_UTF_CHECK, rs->md, rs->mctx);
	if (rc >= 0)
		return 1;
	switch (rc) {
	case PCRE2_ERROR_NOMATCH:
		return 0;
	case PCRE2_ERROR_NOMEMORY:
		return -1;
	default:
		/* Limits (match, depth, heap, JIT stack) and anything
		 * else PCRE2 gives up on: no match, reported. */
		return RULE_REGEX_LIMIT;
	}
}

int
rule_regex_match(const struct rule_regex *re, struct rule_regex_scratch *rs,
    const char *s, size_t len)
{
	return regex_match_limited(re, rs, s, len, RULE_MATCH_LIMIT);
}

void
rule_regex_budget_init(struct rule_regex_budget *b)
{
	memset(b, 0, sizeof(*b));
	b->left = RULE_REGEX_BUDGET;
}

void
rule_regex_budget_share(struct rule_regex_budget *b, size_t n)
{
	b->values = n;
}

int
rule_regex_match_budget(const struct rule_regex *re,
    struct rule_regex_scratch *rs, struct rule_regex_budget *b,
    const char *s, size_t len)
{
	uint64_t	 share = b->left;

	if (b->values > 1)
		share /= b->values;
	if (b->values > 0)
		b->values--;
	if (share < RULE_REGEX_SHARE_MIN)
		share = RULE_REGEX_SHARE_MIN;
	if (share > RULE_MATCH_LIMIT)
		share = RULE_MATCH_LIMIT;
	if (share > b->left)
		share = b->left;
	b->share = (uint32_t)share;
	if (share == 0)
		return RULE_REGEX_LIMIT;
	b->left -= share;
	b->matches++;
	return regex_match_limited(re, rs, s, len, (uint32_t)share);
}

int
rule_regex_group(const struct rule_regex_scratch *rs, unsigned g,
    size_t *off, size_t *len)
{
	PCRE2_SIZE	*ov;

	if (g > rs->groups || g >= pcre2_get_ovector_count(rs->md))
		return -1;
	ov = pcre2_get_ovector_pointer(rs->md);
	if (ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] < ov[2 * g])
		return -1;
	*off = ov[2 * g];
	*len = ov[2 * g + 1] - ov[2 * g];
	return 0;
}

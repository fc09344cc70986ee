/* SPDX-License-Identifier: ISC */
/*
 * cmd-test.c - `mailsift test`: run a rule file on message files without
 * carrying anything out, and show each rule's verdict, the conditions
 * that decided it (--explain) and the action plan; or run the tests:
 * section of the rule file (--self).  A thin layer over rules/ and mime/.
 *
 * Exit status: 0 fine, 1 a message could not be read or a self-test
 * failed, 2 bad usage or a rule file that does not load.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mime/mime.h"
#include "rules/rules.h"
#include "daemon/cmd/cmd.h"
#include "daemon/conf/conf.h"
#include "daemon/util/json.h"
#include "daemon/source/source.h"
#include "daemon/util/mailfile.h"

/* How much of a matched value --explain shows around the match. */
#define EXCERPT_CONTEXT	40
#define EXCERPT_MAX	160

struct test_opts {
	const char	*rules;
	const char	*config;
	const char	*account;
	const char	*folder;
	const char	*labels[64];	/* --label, as Gmail's X-GM-LABELS */
	size_t		 nlabels;
	int		 explain;
	int		 json;
	int		 self;
};

/* One --explain event, copied: the values it points to die with the
 * evaluation. */
struct cond_rec {
	size_t		 rule;
	unsigned	 depth;
	const char	*cond;		/* owned by the rule set */
	int		 line, col, result, limit_hit;
	char		*where, *excerpt, *match;
	char		**capnames, **capvalues;
	size_t		 ncaps;
};

struct recs {
	struct cond_rec	*v;
	size_t		 n, cap;
	int		 nomem;
};

/* Text from a message printed on a terminal: no control characters. */
static void
print_quoted(FILE *f, const char *s, size_t len)
{
	size_t	 i;

	putc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			putc(c, f);
	}
	putc('"', f);
}

static char *
copy_span(const char *s, size_t len, struct recs *rs)
{
	char	*p;

	if ((p = malloc(len + 1)) == NULL) {
		rs->nomem = 1;
		return NULL;
	}
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Back off to the start of a UTF-8 character. */
static size_t
utf8_start(const char *s, size_t i)
{
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

/* The matched value, or a window of it around the match. */
static char *
excerpt_make(const struct rule_explain *e, struct recs *rs)
{
	size_t	 from, to;

	if (e->textlen <= EXCERPT_MAX)
		return copy_span(e->text, e->textlen, rs);
	from = e->match_off > EXCERPT_CONTEXT ?
	    e->match_off - EXCERPT_CONTEXT : 0;
	to = e->match_off + e->match_len + EXCERPT_CONTEXT;
	if (to - from > EXCERPT_MAX)
		to = from + EXCERPT_MAX;
	if (to > e->textlen)
		to = e->textlen;
	from = utf8_start(e->text, from);
	if (to < e->textlen)
		to = utf8_start(e->text, to);
	return copy_span(e->text + from, to - from, rs);
}

static void
rec_captures(struct cond_rec *r, const struct rule_explain *e,
    struct recs *rs)
{
	size_t	 i, len;

	if (e->ncaptures == 0)
		return;
	r->capnames = calloc(e->ncaptures, sizeof(*r->capnames));
	r->capvalues = calloc(e->ncaptures, sizeof(*r->capvalues));
	if (r->capnames == NULL || r->capvalues == NULL) {
		rs->nomem = 1;
		return;
	}
	for (i = 0; i < e->ncaptures; i++) {
		len = e->captures[i].len;
		if (len > EXCERPT_MAX)
			len = utf8_start(e->captures[i].value, EXCERPT_MAX);
		r->capnames[i] = copy_span(e->captures[i].name,
		    strlen(e->captures[i].name), rs);
		r->capvalues[i] = copy_span(e->captures[i].value, len, rs);
		r->ncaps++;
	}
}

static void
explain_collect(void *arg, const struct rule_explain *e)
{
	struct recs	*rs = arg;
	struct cond_rec	*r, *nv;
	size_t		 cap, mlen;

	if (e->kind != RULE_EXPLAIN_COND || rs->nomem)
		return;
	if (rs->n == rs->cap) {
		cap = rs->cap == 0 ? 32 : rs->cap * 2;
		if ((nv = reallocarray(rs->v, cap, sizeof(*nv))) == NULL) {
			rs->nomem = 1;
			return;
		}
		rs->v = nv;
		rs->cap = cap;
	}
	r = &rs->v[rs->n++];
	memset(r, 0, sizeof(*r));
	r->rule = e->rule;
	r->depth = e->depth;
	r->cond = e->cond;
	r->line = e->line;
	r->col = e->col;
	r->result = e->result;
	r->limit_hit = e->limit_hit;
	if (e->where == NULL)
		return;
	mlen = e->match_len;
	if (mlen > EXCERPT_MAX)
		mlen = utf8_start(e->text + e->match_off, EXCERPT_MAX);
	r->where = copy_span(e->where, strlen(e->where), rs);
	r->excerpt = excerpt_make(e, rs);
	r->match = copy_span(e->text + e->match_off, mlen, rs);
	rec_captures(r, e, rs);
}

static void
recs_clear(struct recs *rs)
{
	size_t	 i, j;

	for (i = 0; i < rs->n; i++) {
		free(rs->v[i].where);
		free(rs->v[i].excerpt);
		free(rs->v[i].match);
		for (j = 0; j < rs->v[i].ncaps; j++) {
			free(rs->v[i].capnames[j]);
			free(rs->v[i].capvalues[j]);
		}
		free(rs->v[i].capnames);
		free(rs->v[i].capvalues);
	}
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

static const char *
verdict_name(enum rule_verdict v)
{
	switch (v) {
	case RULE_VERDICT_MATCH:
		return "match";
	case RULE_VERDICT_NO_MATCH:
		return "no match";
	case RULE_VERDICT_NOT_REACHED:
		break;
	}
	return "not reached";
}

static void
text_rec(FILE *f, const struct cond_rec *r)
{
	size_t	 i;
	int	 ind = 4 + 2 * (int)r->depth;

	fprintf(f, "%*s%s: %s%s (line %d)\n", ind, "", r->cond,
	    r->result ? "true" : "false",
	    r->limit_hit ? ", PCRE2 limit hit" : "", r->line);
	if (r->where == NULL)
		return;
	fprintf(f, "%*s%s: ", ind + 2, "", r->where);
	print_quoted(f, r->excerpt, strlen(r->excerpt));
	fputs(" matched ", f);
	print_quoted(f, r->match, strlen(r->match));
	putc('\n', f);
	for (i = 0; i < r->ncaps; i++) {
		fprintf(f, "%*smatch.%s = ", ind + 2, "", r->capnames[i]);
		print_quoted(f, r->capvalues[i], strlen(r->capvalues[i]));
		putc('\n', f);
	}
}

static void
json_rec(FILE *f, const struct cond_rec *r, int first)
{
	size_t	 i;

	fprintf(f, "%s{\"depth\":%u,\"cond\":", first ? "" : ",", r->depth);
	json_cstr(f, r->cond);
	fprintf(f, ",\"line\":%d,\"col\":%d,\"result\":%s,\"limit_hit\":%s",
	    r->line, r->col, r->result ? "true" : "false",
	    r->limit_hit ? "true" : "false");
	if (r->where != NULL) {
		fputs(",\"where\":", f);
		json_cstr(f, r->where);
		fputs(",\"text\":", f);
		json_cstr(f, r->excerpt);
		fputs(",\"match\":", f);
		json_cstr(f, r->match);
		fputs(",\"captures\":{", f);
		for (i = 0; i < r->ncaps; i++) {
			if (i > 0)
				putc(',', f);
			json_cstr(f, r->capnames[i]);
			putc(':', f);
			json_cstr(f, r->capvalues[i]);
		}
		putc('}', f);
	}
	putc('}', f);
}

/* Events come after their children; print parents first.  [lo, hi) is
 * one subtree, its root at hi - 1. */
static void
print_subtree(FILE *f, const struct cond_rec *v, size_t lo, size_t hi,
    int json, int *first)
{
	size_t	 i, start = lo;

	if (json)
		json_rec(f, &v[hi - 1], *first);
	else
		text_rec(f, &v[hi - 1]);
	*first = 0;
	for (i = lo; i + 1 < hi; i++)
		if (v[i].depth == v[hi - 1].depth + 1) {
			print_subtree(f, v, start, i + 1, json, first);
			start = i + 1;
		}
}

/* The records of rule i: a contiguous run, from *at on. */
static void
print_rule_recs(FILE *f, const struct recs *rs, size_t rule, size_t *at,
    int json)
{
	size_t	 lo = *at;
	int	 first = 1;

	while (*at < rs->n && rs->v[*at].rule == rule)
		(*at)++;
	if (*at > lo)
		print_subtree(f, rs->v, lo, *at, json, &first);
}

static void
text_kv(FILE *f, const char *key, const char *val)
{
	if (val == NULL)
		return;
	fprintf(f, " %s=", key);
	print_quoted(f, val, strlen(val));
}

static void
text_action(FILE *f, const struct rule_action *a, size_t i)
{
	enum rule_action_type	 t = rule_action_type(a);
	char			 path[64];
	size_t			 j;

	fprintf(f, "    %zu. %s [%s]", i + 1, rule_action_type_name(t),
	    rule_action_rule(a));
	text_kv(f, "target", rule_action_target(a));
	text_kv(f, "value", rule_action_value(a));
	text_kv(f, "from", rule_action_from(a));
	text_kv(f, "subject", rule_action_subject(a));
	text_kv(f, "smtp", rule_action_smtp(a));
	if (t == RULE_ACTION_REPLY)
		fprintf(f, " every=%llds", rule_action_every(a));
	if (t == RULE_ACTION_PIPE)
		fprintf(f, " filter=%s timeout=%llds",
		    rule_action_filter(a) ? "yes" : "no",
		    rule_action_timeout(a));
	for (j = 0; j < rule_action_argc(a); j++) {
		fputs(j == 0 ? " args=" : ",", f);
		print_quoted(f, rule_action_arg(a, j),
		    strlen(rule_action_arg(a, j)));
	}
	if (t == RULE_ACTION_SAVE_ATTACHMENTS) {
		fprintf(f, " dedupe=%s parts=", rule_action_dedupe(a) ?
		    "sha256" : "none");
		for (j = 0; j < rule_action_part_count(a); j++) {
			if (mime_part_path(rule_action_part(a, j), path,
			    sizeof(path)) == -1)
				snprintf(path, sizeof(path), "?");
			fprintf(f, "%s%s", j ? "," : "", path);
		}
		if (rule_action_part_count(a) == 0)
			fputs("none", f);
	}
	text_kv(f, "body", rule_action_body(a));
	putc('\n', f);
}

static void
json_kv(FILE *f, const char *key, const char *val)
{
	if (val == NULL)
		return;
	fprintf(f, ",\"%s\":", key);
	json_cstr(f, val);
}

static void
json_action(FILE *f, const struct rule_action *a, int first)
{
	enum rule_action_type	 t = rule_action_type(a);
	char			 path[64];
	size_t			 j;

	fprintf(f, "%s{\"type\":\"%s\"", first ? "" : ",",
	    rule_action_type_name(t));
	json_kv(f, "rule", rule_action_rule(a));
	json_kv(f, "identity", rule_action_identity(a));
	json_kv(f, "target", rule_action_target(a));
	json_kv(f, "value", rule_action_value(a));
	json_kv(f, "from", rule_action_from(a));
	json_kv(f, "subject", rule_action_subject(a));
	json_kv(f, "body", rule_action_body(a));
	json_kv(f, "smtp", rule_action_smtp(a));
	if (t == RULE_ACTION_REPLY)
		fprintf(f, ",\"every\":%lld", rule_action_every(a));
	if (t == RULE_ACTION_PIPE)
		fprintf(f, ",\"filter\":%s,\"timeout\":%lld",
		    rule_action_filter(a) ? "true" : "false",
		    rule_action_timeout(a));
	if (t == RULE_ACTION_PIPE || t == RULE_ACTION_FLAG ||
	    t == RULE_ACTION_ADD_LABEL || t == RULE_ACTION_REMOVE_LABEL) {
		fputs(",\"args\":[", f);
		for (j = 0; j < rule_action_argc(a); j++) {
			if (j > 0)
				putc(',', f);
			json_cstr(f, rule_action_arg(a, j));
		}
		putc(']', f);
	}
	if (t == RULE_ACTION_SAVE_ATTACHMENTS) {
		fprintf(f, ",\"dedupe\":%s,\"parts\":[",
		    rule_action_dedupe(a) ? "true" : "false");
		for (j = 0; j < rule_action_part_count(a); j++) {
			if (mime_part_path(rule_action_part(a, j), path,
			    sizeof(path)) == -1)
				snprintf(path, sizeof(path), "?");
			fprintf(f, "%s", j ? "," : "");
			json_cstr(f, path);
		}
		putc(']', f);
	}
	putc('}', f);
}

/* 1 if rule i matched and stopped the run (as far as the plan shows:
 * a stop on the last rule changes nothing). */
static int
stopped(const struct rule_set *set, const struct rule_plan *p, size_t i)
{
	return i + 1 < rule_set_count(set) &&
	    rule_plan_verdict(p, i) == RULE_VERDICT_MATCH &&
	    rule_plan_verdict(p, i + 1) == RULE_VERDICT_NOT_REACHED;
}

static void
text_report(FILE *f, const struct rule_set *set, const struct rule_plan *p,
    const struct recs *rs, const char *file)
{
	size_t	 i, at = 0;

	fprintf(f, "%s\n", file);
	for (i = 0; i < rule_set_count(set); i++) {
		fprintf(f, "  rule %s: %s%s\n", rule_set_rule_name(set, i),
		    verdict_name(rule_plan_verdict(p, i)),
		    stopped(set, p, i) ? " (stop)" : "");
		if (rs != NULL)
			print_rule_recs(f, rs, i, &at, 0);
	}
	fprintf(f, "  actions:%s\n", rule_plan_count(p) == 0 ? " none" : "");
	for (i = 0; i < rule_plan_count(p); i++)
		text_action(f, rule_plan_action(p, i), i);
	fprintf(f, "  default: %s\n", rule_plan_default_applied(p) ?
	    "applied" : rule_set_has_default(set) ? "not applied" : "none");
	for (i = 0; i < rule_plan_warning_count(p); i++)
		fprintf(f, "  warning: %s\n", rule_plan_warning(p, i));
}

static void
json_report(FILE *f, const struct rule_set *set, const struct rule_plan *p,
    const struct recs *rs, const char *file)
{
	size_t	 i, at = 0;

	fputs("{\"file\":", f);
	json_cstr(f, file);
	fputs(",\"rules\":[", f);
	for (i = 0; i < rule_set_count(set); i++) {
		fprintf(f, "%s{\"name\":", i ? "," : "");
		json_cstr(f, rule_set_rule_name(set, i));
		fprintf(f, ",\"verdict\":\"%s\",\"stop\":%s",
		    verdict_name(rule_plan_verdict(p, i)),
		    stopped(set, p, i) ? "true" : "false");
		if (rs != NULL) {
			fputs(",\"conditions\":[", f);
			print_rule_recs(f, rs, i, &at, 1);
			putc(']', f);
		}
		putc('}', f);
	}
	fputs("],\"actions\":[", f);
	for (i = 0; i < rule_plan_count(p); i++)
		json_action(f, rule_plan_action(p, i), i == 0);
	fprintf(f, "],\"default_applied\":%s,\"filed\":%s,\"warnings\":[",
	    rule_plan_default_applied(p) ? "true" : "false",
	    rule_plan_filed(p) ? "true" : "false");
	for (i = 0; i < rule_plan_warning_count(p); i++) {
		if (i > 0)
			putc(',', f);
		json_cstr(f, rule_plan_warning(p, i));
	}
	fputs("]}\n", f);
}

/* Run the rules on one file; *plan is the result (NULL on error, which
 * is reported).  report: print it. */
/* Where a message comes from, for the rules: --account, --folder and
 * --label, or a test's own. */
struct test_origin {
	const char		*account;
	const char		*folder;
	const char *const	*labels;
	size_t			 nlabels;
};

static int
test_file(const struct test_opts *o, const struct rule_set *set,
    const char *file, const struct test_origin *from, int report,
    struct rule_plan **plan)
{
	struct rule_input	 in;
	struct mime_message	*m = NULL;
	struct mailfile		 mf;
	struct recs		 rs;
	char			 err[PATH_MAX + 128];
	int			 rv = -1;

	*plan = NULL;
	memset(&rs, 0, sizeof(rs));
	if (mailfile_open(&mf, file, err, sizeof(err)) == -1) {
		fprintf(stderr, "mailsift: %s\n", err);
		return -1;
	}
	if ((m = mime_message_parse(mf.data, mf.len, NULL)) == NULL)
		goto nomem;
	memset(&in, 0, sizeof(in));
	in.msg = m;
	in.size = mf.len;
	in.account = from->account;
	in.folder = from->folder;
	in.labels = from->labels;
	in.nlabels = from->nlabels;
	in.now = time(NULL);
	if ((*plan = rule_set_eval(set, &in, report && o->explain ?
	    explain_collect : NULL, &rs)) == NULL || rs.nomem)
		goto nomem;
	if (report && o->json)
		json_report(stdout, set, *plan, o->explain ? &rs : NULL, file);
	else if (report)
		text_report(stdout, set, *plan, o->explain ? &rs : NULL, file);
	rv = 0;
	goto out;
nomem:
	fprintf(stderr, "mailsift: %s: out of memory\n", file);
	rule_plan_free(*plan);
	*plan = NULL;
out:
	recs_clear(&rs);
	mime_message_free(m);
	mailfile_close(&mf);
	return rv;
}

static int
run_self(const struct test_opts *o, const struct rule_set *set)
{
	const struct rule_test	*t;
	struct rule_plan	*plan;
	struct test_origin	 from;
	size_t			 i, passed = 0, failed = 0;
	char			 err[1536];

	for (i = 0; i < rule_set_test_count(set); i++) {
		t = rule_set_test(set, i);
		from.account = rule_test_account(t) != NULL ?
		    rule_test_account(t) : o->account;
		from.folder = rule_test_folder(t) != NULL ?
		    rule_test_folder(t) : o->folder;
		if ((from.labels = rule_test_labels(t, &from.nlabels)) ==
		    NULL) {
			from.labels = o->labels;
			from.nlabels = o->nlabels;
		}
		if (test_file(o, set, rule_test_message(t), &from, o->explain,
		    &plan) == -1) {
			printf("not ok %zu - %s (line %d): cannot be read\n",
			    i + 1, rule_test_message(t), rule_test_line(t));
			failed++;
			continue;
		}
		if (rule_test_check(t, plan, err, sizeof(err)) == 0) {
			printf("ok %zu - %s\n", i + 1, rule_test_message(t));
			passed++;
		} else {
			printf("not ok %zu - %s (line %d): %s\n", i + 1,
			    rule_test_message(t), rule_test_line(t), err);
			failed++;
		}
		rule_plan_free(plan);
	}
	printf("self-test: %zu passed, %zu failed\n", passed, failed);
	return failed > 0 ? 1 : 0;
}

/* What an account's source cannot do, for rule_set_load(). */
/* Without -r: the rule file of --account in the configuration. */
static struct rule_set *
load_from_config(const struct test_opts *o)
{
	const struct account	*a;
	struct config		*conf;
	struct rule_set		*set = NULL;
	char			 path[PATH_MAX], err[1024];
	const char		*file = o->config;

	if (o->account == NULL) {
		fprintf(stderr, "mailsift test: give -r RULES, or --account "
		    "to use that account's rule file\n");
		return NULL;
	}
	if (file == NULL) {
		if (config_default_path(path, sizeof(path)) == -1) {
			fprintf(stderr, "mailsift: %s\n", path);
			return NULL;
		}
		file = path;
	}
	if ((conf = config_load(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailsift: %s\n", err);
		return NULL;
	}
	if ((a = config_account(conf, o->account)) == NULL)
		fprintf(stderr, "mailsift: %s: no account '%s'\n", file,
		    o->account);
	else if (a->rules == NULL)
		fprintf(stderr, "mailsift: %s: account '%s' has no rules "
		    "option\n", file, o->account);
	else if ((set = rule_set_load(a->rules, source_rule_flags(a), err,
	    sizeof(err))) == NULL)
		fprintf(stderr, "mailsift: %s\n", err);
	config_free(conf);
	return set;
}

static void
test_usage(void)
{
	fprintf(stderr, "usage: mailsift test [-r RULES | -c CONFIG] "
	    "[--explain] [--json] [--account A] [--folder F]\n"
	    "           [--label L]... FILE...\n"
	    "       mailsift test -r RULES --self [--explain]\n");
}

static int
test_args(int argc, char **argv, struct test_opts *o)
{
	static const struct option longopts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "account", required_argument, NULL, 'a' },
		{ "folder", required_argument, NULL, 'f' },
		{ "label", required_argument, NULL, 'l' },
		{ "explain", no_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "self", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	optind = 0;	/* glibc: start afresh, even after an error */
	while ((ch = getopt_long(argc, argv, "r:c:a:f:l:ejsh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'r':
			o->rules = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'a':
			o->account = optarg;
			break;
		case 'f':
			o->folder = optarg;
			break;
		case 'l':
			if (o->nlabels == sizeof(o->labels) /
			    sizeof(o->labels[0]))
				return -1;
			o->labels[o->nlabels++] = optarg;
			break;
		case 'e':
			o->explain = 1;
			break;
		case 'j':
			o->json = 1;
			break;
		case 's':
			o->self = 1;
			break;
		default:
			return -1;
		}
	}
	if (o->self ? optind != argc || o->rules == NULL : optind >= argc)
		return -1;
	return 0;
}

int
cmd_test(int argc, char **argv)
{
	struct test_opts	 o;
	struct rule_set		*set;
	struct rule_plan	*plan;
	struct test_origin	 from;
	char			 err[1024];
	int			 i, rv = 0;

	memset(&o, 0, sizeof(o));
	if (test_args(argc, argv, &o) == -1) {
		test_usage();
		return 2;
	}
	if (o.rules != NULL) {
		if ((set = rule_set_load(o.rules, 0, err,
		    sizeof(err))) == NULL)
			fprintf(stderr, "mailsift: %s\n", err);
	} else
		set = load_from_config(&o);
	if (set == NULL)
		return 2;
	if (o.self)
		rv = run_self(&o, set);
	from.account = o.account;
	from.folder = o.folder;
	from.labels = o.labels;
	from.nlabels = o.nlabels;
	for (i = optind; !o.self && i < argc; i++) {
		if (test_file(&o, set, argv[i], &from, 1, &plan) == -1)
			rv = 1;
		rule_plan_free(plan);
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "mailsift: write error: %s\n",
		    strerror(errno));
		rv = 1;
	}
	rule_set_free(set);
	return rv;
}

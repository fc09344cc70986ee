/* SPDX-License-Identifier: ISC */
/*
 * bench-rules.c - the rule engine's speed: parse each message and run a
 * rule set on it, as the daemon does, over files held in memory.
 *
 * usage: bench-rules [-JP] [-s SECONDS] RULES LIST
 *
 * LIST names one message file per line.  All are read first; then whole
 * passes over them are timed (CPU time of this process, one core) until
 * SECONDS (default 2) have gone by.  -J compiles the rules without JIT.
 * A parse-only pass is timed the same way, so the cost of the rules can
 * be told from the cost of parsing.
 *
 * -P holds a converter open for each charset the corpus uses that glibc
 * iconv loads as a module.  mime/ opens and closes a converter per call,
 * and glibc unloads a module a few closes after its last user is gone,
 * so mixed-charset mail maps and unmaps the same modules over and over;
 * -P shows what keeping them loaded is worth.
 *
 * One line of figures is printed:
 *
 *   jit=1 rules=100 messages=1223 passes=P parse_us=X total_us=Y
 *   msgs_per_s=Z rules_us_per_msg_rule=W matched=M actions=A
 *
 * Timing only: it never fails on a figure.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mime/mime.h"
#include "rules/rules.h"

struct msg {
	char	*data;
	size_t	 len;
};

struct corpus {
	struct msg	*v;
	size_t		 n, cap;
};

/* The iconv names mime/charset.c gives the charsets mail uses most. */
static const char *const pinned[] = {
	"GB18030", "BIG5-HKSCS", "CP932", "EUC-JP", "ISO-2022-JP-2", "CP949",
	"KOI8-R", "KOI8-U", "CP1250", "CP1251", "CP1253", "CP1254",
	"ISO-8859-2", "ISO-8859-5", "ISO-8859-7", "ISO-8859-15", "UTF-16",
	"UTF-7", "WINDOWS-874",
};

/* Open converters and never close them: their modules stay loaded. */
static void
charsets_pin(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++)
		if (iconv_open("UTF-8", pinned[i]) == (iconv_t)-1)
			fprintf(stderr, "bench-rules: iconv %s: %s\n",
			    pinned[i], strerror(errno));
}

static double
cpu_now(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == -1)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
file_load(struct corpus *c, const char *path)
{
	struct msg	*nv;
	FILE		*f;
	long		 len;
	char		*buf;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) == -1 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1 ||
	    (buf = malloc((size_t)len + 1)) == NULL) {
		fclose(f);
		return -1;
	}
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 1024 : c->cap * 2;
		if ((nv = reallocarray(c->v, c->cap, sizeof(*nv))) == NULL) {
			free(buf);
			return -1;
		}
		c->v = nv;
	}
	c->v[c->n].data = buf;
	c->v[c->n++].len = (size_t)len;
	return 0;
}

static int
list_load(struct corpus *c, const char *list)
{
	FILE	*f;
	char	 line[4096];
	size_t	 len;

	if ((f = fopen(list, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		len = strlen(line);
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (file_load(c, line) == -1) {
			fprintf(stderr, "bench-rules: %s: %s\n", line,
			    strerror(errno));
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

struct counts {
	size_t	 matched, actions;
};

/* One pass; set NULL parses only.  -1 on failure. */
static int
pass(const struct corpus *c, const struct rule_set *set,
    struct counts *k)
{
	struct mime_message	*m;
	struct rule_plan	*p;
	struct rule_input	 in;
	size_t			 i, r;

	for (i = 0; i < c->n; i++) {
		if ((m = mime_message_parse(c->v[i].data, c->v[i].len,
		    NULL)) == NULL)
			return -1;
		if (set != NULL) {
			memset(&in, 0, sizeof(in));
			in.msg = m;
			in.size = c->v[i].len;
			in.account = "bench";
			in.folder = "INBOX";
			in.now = 1700000000;
			if ((p = rule_set_eval(set, &in, NULL, NULL)) == NULL) {
				mime_message_free(m);
				return -1;
			}
			for (r = 0; r < rule_set_count(set); r++)
				k->matched += rule_plan_verdict(p, r) ==
				    RULE_VERDICT_MATCH;
			k->actions += rule_plan_count(p);
			rule_plan_free(p);
		}
		mime_message_free(m);
	}
	return 0;
}

/* Seconds per pass, repeating whole passes for at least secs. */
static double
timed(const struct corpus *c, const struct rule_set *set, double secs,
    size_t *passes, struct counts *k)
{
	double	 t0 = cpu_now(), t;

	*passes = 0;
	do {
		memset(k, 0, sizeof(*k));
		if (pass(c, set, k) == -1) {
			fprintf(stderr, "bench-rules: out of memory\n");
			exit(1);
		}
		(*passes)++;
		t = cpu_now() - t0;
	} while (t < secs);
	return t / (double)*passes;
}

int
main(int argc, char **argv)
{
	struct corpus	 c = { NULL, 0, 0 };
	struct rule_set	*set;
	struct counts	 k;
	unsigned	 flags = 0;
	double		 secs = 2, parse, total;
	size_t		 passes;
	char		 err[1024];
	int		 ch;

	while ((ch = getopt(argc, argv, "JPs:")) != -1) {
		switch (ch) {
		case 'J':
			flags |= RULE_LOAD_NO_JIT;
			break;
		case 'P':
			charsets_pin();
			break;
		case 's':
			secs = atof(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;
	if ((set = rule_set_load(argv[optind], flags, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "bench-rules: %s\n", err);
		return 1;
	}
	if (list_load(&c, argv[optind + 1]) == -1 || c.n == 0) {
		fprintf(stderr, "bench-rules: no messages\n");
		return 1;
	}
	parse = timed(&c, NULL, secs / 4, &passes, &k);
	total = timed(&c, set, secs, &passes, &k);
	printf("jit=%d rules=%zu messages=%zu passes=%zu parse_us=%.2f "
	    "total_us=%.2f msgs_per_s=%.0f rules_us_per_msg_rule=%.4f "
	    "matched=%zu actions=%zu\n", rule_set_jit(set),
	    rule_set_count(set), c.n, passes, parse * 1e6 / (double)c.n,
	    total * 1e6 / (double)c.n, (double)c.n / total,
	    (total - parse) * 1e6 / (double)c.n /
	    (double)rule_set_count(set), k.matched, k.actions);
	rule_set_free(set);
	while (c.n > 0)
		free(c.v[--c.n].data);
	free(c.v);
	return 0;
usage:
	fprintf(stderr, "usage: bench-rules [-JP] [-s SECONDS] RULES LIST\n");
	return 2;
}

/* SPDX-License-Identifier: ISC */
/*
 * fuzz_eval.c - libFuzzer target, structure-aware: a rule file and a
 * message in one input, split at the first line
 *
 *	=====MESSAGE=====
 *
 * (without it the whole input is the rule file and a fixed message is
 * used).  The rules are loaded, the message parsed, the set evaluated
 * with and without the explain callback, and every string of the plan
 * and of the explain events read, so the evaluator, the conditions,
 * the regex limits and template expansion (rules/eval.c, cond*.c,
 * body.c, html.c, view.c, template.c, plan.c) meet hostile rules and
 * hostile mail at once.  tests/fuzz/eval.dict holds the rule
 * language's keys and the separator.
 */
#include <stdlib.h>
#include <string.h>

#include "mime/mime.h"
#include "rules/rules.h"
#include "tests/fuzz/fuzz.h"

#define EVAL_SEP	"=====MESSAGE====="

static const char fixed_msg[] =
    "From: \"Ann\" <ann@example.org>\r\nTo: bob@example.net\r\n"
    "Subject: =?UTF-8?Q?Invoice_caf=C3=A9?=\r\n"
    "Date: Tue, 3 Oct 2023 10:00:00 +0200\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
    "Content-Type: text/html\r\n\r\n<p>Pay <b>now</b></p>\r\n--b\r\n"
    "Content-Type: application/pdf; name=inv.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n";

static size_t	 sink;

static void
touch(const char *s)
{
	if (s != NULL)
		sink += strlen(s);
}

static void
explain(void *arg, const struct rule_explain *e)
{
	size_t	 i;

	(void)arg;
	touch(e->rule_name);
	touch(e->cond);
	touch(e->where);
	if (e->text != NULL) {
		if (e->match_off > e->textlen ||
		    e->match_len > e->textlen - e->match_off)
			abort();	/* a match outside its text */
		for (i = 0; i < e->textlen; i++)
			sink += (unsigned char)e->text[i];
	}
	for (i = 0; i < e->ncaptures; i++) {
		touch(e->captures[i].name);
		if (e->captures[i].value != NULL && e->captures[i].len > 0)
			sink += (unsigned char)e->captures[i].value[
			    e->captures[i].len - 1];
	}
}

static void
plan_read(const struct rule_plan *plan, size_t nrules)
{
	const struct rule_action	*a;
	size_t				 i, k;

	for (i = 0; i < rule_plan_count(plan); i++) {
		a = rule_plan_action(plan, i);
		touch(rule_action_type_name(rule_action_type(a)));
		touch(rule_action_rule(a));
		touch(rule_action_identity(a));
		touch(rule_action_target(a));
		touch(rule_action_value(a));
		touch(rule_action_from(a));
		touch(rule_action_subject(a));
		touch(rule_action_body(a));
		touch(rule_action_smtp(a));
		for (k = 0; k < rule_action_argc(a); k++)
			touch(rule_action_arg(a, k));
		for (k = 0; k < rule_action_part_count(a); k++)
			touch(mime_part_filename(rule_action_part(a, k)));
	}
	for (i = 0; i < nrules; i++)
		sink += (size_t)rule_plan_verdict(plan, i);
	for (i = 0; i < rule_plan_warning_count(plan); i++)
		touch(rule_plan_warning(plan, i));
	sink += (size_t)rule_plan_default_applied(plan);
	sink += (size_t)rule_plan_filed(plan);
}

static void
eval_once(const struct rule_set *set, const struct rule_input *in,
    int with_explain)
{
	struct rule_plan	*plan;

	plan = rule_set_eval(set, in, with_explain ? explain : NULL, NULL);
	if (plan == NULL)
		abort();	/* only when memory runs out */
	plan_read(plan, rule_set_count(set));
	rule_plan_free(plan);
}

/* The message's bytes in a buffer of their own: an over-read is ASan's. */
static char *
msg_copy(const uint8_t *p, size_t len)
{
	char	*m;

	if ((m = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(m, p, len);
	return m;
}

static const char *const labels[] = { "\\Inbox", "\\Important",
    "Work/Invoices", "B\xc3\xbcro", "bad\xff" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rule_set		*set;
	struct mime_message	*m;
	struct mime_limits	 lim;
	struct rule_input	 in;
	const uint8_t		*msg = (const uint8_t *)fixed_msg, *p;
	size_t			 rlen = size, mlen = sizeof(fixed_msg) - 1;
	size_t			 seplen = strlen(EVAL_SEP);
	char			 err[1024], *mbuf;

	for (p = data; p + seplen <= data + size; p++) {
		if ((p == data || p[-1] == '\n') &&
		    memcmp(p, EVAL_SEP, seplen) == 0) {
			rlen = (size_t)(p - data);
			msg = p + seplen;
			mlen = size - rlen - seplen;
			if (mlen > 0 && msg[0] == '\n') {
				msg++;
				mlen--;
			}
			break;
		}
	}
	set = rule_set_load_buffer("/fuzz/rules.yaml", (const char *)data,
	    rlen, RULE_LOAD_NO_JIT, err, sizeof(err));
	if (set == NULL)
		return 0;
	mbuf = msg_copy(msg, mlen);
	mime_limits_init(&lim);
	if ((m = mime_message_parse(mbuf, mlen, &lim)) != NULL) {
		memset(&in, 0, sizeof(in));
		in.msg = m;
		in.size = mlen;
		in.account = "work";
		in.folder = "INBOX";
		/* Gmail's labels as a source hands them over, one not UTF-8 */
		in.labels = labels;
		in.nlabels = (size & 2) ? sizeof(labels) / sizeof(labels[0]) :
		    0;
		in.now = 1700000000;
		in.arrival = (size & 1) ? 1690000000 : 0;
		eval_once(set, &in, 0);
		eval_once(set, &in, 1);
		mime_message_free(m);
	}
	free(mbuf);
	rule_set_free(set);
	return 0;
}

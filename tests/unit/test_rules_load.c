/* SPDX-License-Identifier: ISC */
/*
 * test_rules_load.c - loading rule files (rules/load.c, rule.c, cond*.c,
 * act-*.c, selftest.c): what a good file compiles to, and every class of
 * error refused with its FILE:LINE:COL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rules/rules.h"

static struct rule_set *
load_ok(const char *yaml, unsigned flags)
{
	struct rule_set	*set;
	char		 err[1024] = "";

	set = rule_set_load_buffer("t.yaml", yaml, strlen(yaml), flags, err,
	    sizeof(err));
	if (set == NULL)
		fail_msg("load failed: %s", err);
	return set;
}

/* The file is refused with an error starting with want. */
static void
load_fails(const char *yaml, unsigned flags, const char *want)
{
	struct rule_set	*set;
	char		 err[1024] = "";

	set = rule_set_load_buffer("t.yaml", yaml, strlen(yaml), flags, err,
	    sizeof(err));
	if (set != NULL) {
		rule_set_free(set);
		fail_msg("loaded, but should fail with '%s'", want);
	}
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error '%s'\n  does not start with '%s'", err, want);
}

static const char issue_example[] =
    "version: 1\n"
    "default: { deliver: \"maildir:~/Maildir\" }   # comment\n"
    "rules:\n"
    "  - name: invoices\n"
    "    when:\n"
    "      all:\n"
    "        - from: '@billing\\.example\\.com$'\n"
    "        - attachment: { filename: '(?i)\\.pdf$' }\n"
    "    do:\n"
    "      - save-attachments: { to: '~/invoices/{date:%Y}/{from.domain}',"
    " type: 'application/pdf' }\n"
    "      - move: 'Archive/Invoices'\n"
    "    stop: true\n"
    "  - name: away\n"
    "    when: { header: { name: To, match: 'me@example\\.com' } }\n"
    "    do:\n"
    "      - reply: { from: 'me@example.com', subject: 'Auto: {subject}',"
    " body: \"Back Monday.\", every: 7d }\n"
    "tests:\n"
    "  - message: tests/invoice.eml\n"
    "    expect: [save-attachments, move]\n";

static void
test_issue_example(void **state)
{
	struct rule_set		*set;
	const struct rule_test	*t;

	(void)state;
	set = load_ok(issue_example, 0);
	assert_int_equal(rule_set_count(set), 2);
	assert_string_equal(rule_set_rule_name(set, 0), "invoices");
	assert_string_equal(rule_set_rule_name(set, 1), "away");
	assert_null(rule_set_rule_name(set, 2));
	assert_true(rule_set_has_default(set));
	assert_int_equal(rule_set_test_count(set), 1);
	t = rule_set_test(set, 0);
	assert_non_null(t);
	assert_string_equal(rule_test_message(t), "tests/invoice.eml");
	assert_int_equal(rule_test_line(t), 18);
	assert_null(rule_test_account(t));
	rule_set_free(set);
}

static void
test_test_paths_relative(void **state)
{
	static const char yaml[] =
	    "tests:\n"
	    "  - { message: a.eml, expect: [], account: w, folder: INBOX }\n"
	    "  - { message: /abs/b.eml, expect: [move, reply] }\n";
	struct rule_set	*set;
	char		 err[256];

	(void)state;
	set = rule_set_load_buffer("/etc/mailsift/r.yaml", yaml,
	    strlen(yaml), 0, err, sizeof(err));
	assert_non_null(set);
	assert_string_equal(rule_test_message(rule_set_test(set, 0)),
	    "/etc/mailsift/a.eml");
	assert_string_equal(rule_test_account(rule_set_test(set, 0)), "w");
	assert_string_equal(rule_test_folder(rule_set_test(set, 0)), "INBOX");
	assert_string_equal(rule_test_message(rule_set_test(set, 1)),
	    "/abs/b.eml");
	assert_null(rule_set_test(set, 2));
	rule_set_free(set);
}

static void
test_every_action_and_condition_loads(void **state)
{
	static const char yaml[] =
	    "rules:\n"
	    "  - name: all kinds\n"
	    "    when:\n"
	    "      any:\n"
	    "        - header: { name: X-Spam, match: 'yes' }\n"
	    "        - from: a\n"
	    "        - to: b\n"
	    "        - cc: c\n"
	    "        - recipient: d\n"
	    "        - sender: e\n"
	    "        - subject: '(?<s>f)'\n"
	    "        - body: g\n"
	    "        - attachment: { filename: h, type: i, size: '> 1K' }\n"
	    "        - attachment: {}\n"
	    "        - size: '>= 5M'\n"
	    "        - age: '< 30d'\n"
	    "        - account: j\n"
	    "        - folder: k\n"
	    "        - defect: no-end-boundary\n"
	    "        - defect: any\n"
	    "        - not: { all: [ { from: l }, { to: m } ] }\n"
	    "        - [ { from: n }, { to: o } ]\n"
	    "        - { from: p, to: q }\n"
	    "    do:\n"
	    "      - deliver: 'mbox:~/mail/{match.s}'\n"
	    "      - move: Archive\n"
	    "      - copy: 'Lists/{from.domain}'\n"
	    "      - save-attachments: { to: /tmp/x, filename: pdf, "
	    "dedupe: sha256 }\n"
	    "      - reply: { from: me@x.org, body: hi }\n"
	    "      - forward: you@x.org\n"
	    "      - redirect: { to: '{match.s}@x.org', smtp: relay-1 }\n"
	    "      - pipe: [/bin/cat, '{subject}']\n"
	    "      - pipe: { command: [/bin/cat], filter: true, "
	    "timeout: 30s }\n"
	    "      - add-header: { X-A: '1', X-B: '{subject}' }\n"
	    "      - remove-header: [X-A, X-B]\n"
	    "      - flag: ['\\Seen', '$Label1']\n"
	    "      - flag: '\\flagged'\n"
	    "      - delete\n"
	    "      - discard\n"
	    "      - keep:\n";
	struct rule_set	*set;

	(void)state;
	set = load_ok(yaml, 0);
	assert_int_equal(rule_set_count(set), 1);
	assert_false(rule_set_has_default(set));
	rule_set_free(set);
}

static void
test_yaml_syntax(void **state)
{
	(void)state;
	load_fails("rules: [ {name: a, do: [discard] }\n", 0,
	    "t.yaml:2:1: YAML syntax: did not find expected ',' or ']'");
	load_fails("rules:\n  - name: a\n   do: x\n", 0, "t.yaml:3:");
	load_fails("rules:\n\t- name: a\n", 0, "t.yaml:2:1: YAML syntax:");
}

static void
test_file_shape(void **state)
{
	(void)state;
	load_fails("", 0, "t.yaml: empty rule file");
	load_fails("# only a comment\n", 0, "t.yaml: empty rule file");
	load_fails("- a\n- b\n", 0, "t.yaml:1:1: a rule file is a mapping");
	load_fails("version: 1\n---\nversion: 1\n", 0,
	    "t.yaml:2:1: more than one YAML document");
	load_fails("version: 2\n", 0,
	    "t.yaml:1:10: unsupported rule file version '2'");
	load_fails("version: 1\nrulez: []\n", 0,
	    "t.yaml:2:1: unknown key 'rulez' (keys: version, default, "
	    "rules, tests)");
	load_fails("version: 1\nversion: 1\n", 0,
	    "t.yaml:2:1: key 'version' given twice");
	load_fails("rules: {name: a}\n", 0,
	    "t.yaml:1:8: rules: takes a list of rules");
}

static void
test_rule_errors(void **state)
{
	(void)state;
	load_fails("rules:\n  - name: a\n    colour: red\n    do: keep\n", 0,
	    "t.yaml:3:5: unknown key 'colour' in a rule (keys: name, when, "
	    "do, stop)");
	load_fails("rules:\n  - do: keep\n", 0,
	    "t.yaml:2:5: rule without a name");
	load_fails("rules:\n  - name: a\n", 0,
	    "t.yaml:2:5: rule without do:");
	load_fails("rules:\n  - name: a\n    do: keep\n  - name: a\n"
	    "    do: keep\n", 0,
	    "t.yaml:4:5: rule name 'a' used twice (first on line 2)");
	load_fails("rules:\n  - name: a\n    do: keep\n    stop: maybe\n", 0,
	    "t.yaml:4:11: expected true or false, not 'maybe'");
	load_fails("rules:\n  - name: a\n    do: []\n", 0,
	    "t.yaml:3:9: empty list of actions");
	load_fails("rules:\n  - name: \"a\\tb\"\n    do: keep\n", 0,
	    "t.yaml:2:11: control character in a rule name");
	load_fails("rules:\n  - name: [a]\n    do: keep\n", 0,
	    "t.yaml:2:11: expected a rule name");
}

static void
test_condition_errors(void **state)
{
	(void)state;
	load_fails("rules:\n  - name: a\n    when: { subjekt: x }\n"
	    "    do: keep\n", 0,
	    "t.yaml:3:13: unknown condition 'subjekt' (conditions: all, any,");
	load_fails("rules:\n  - name: a\n    when: subject\n    do: keep\n", 0,
	    "t.yaml:3:11: a condition is a mapping");
	load_fails("rules:\n  - name: a\n    when: { all: { from: x } }\n"
	    "    do: keep\n", 0,
	    "t.yaml:3:18: 'all' takes a list of conditions");
	load_fails("rules:\n  - name: a\n    when: { any: [] }\n    do: keep\n",
	    0, "t.yaml:3:18: 'any' takes a list of conditions");
	load_fails("rules:\n  - name: a\n    when: { header: { name: To } }\n"
	    "    do: keep\n", 0,
	    "t.yaml:3:21: header needs both name and match");
	load_fails("rules:\n  - name: a\n"
	    "    when: { header: { name: 'X Y', match: z } }\n    do: keep\n",
	    0, "t.yaml:3:29: 'X Y' is not a header field name");
	load_fails("rules:\n  - name: a\n"
	    "    when: { header: { name: X, match: z, case: no } }\n"
	    "    do: keep\n", 0,
	    "t.yaml:3:42: unknown key 'case' in header (keys: name, match)");
	load_fails("rules:\n  - name: a\n    when: { size: 5M }\n    do: keep\n",
	    0, "t.yaml:3:19: a comparison such as '> 5M' is expected");
	load_fails("rules:\n  - name: a\n    when: { size: '> 5X' }\n"
	    "    do: keep\n", 0, "t.yaml:3:19: size unit must be K, M or G");
	load_fails("rules:\n  - name: a\n    when: { age: '> 5' }\n"
	    "    do: keep\n", 0, "t.yaml:3:18: a duration is digits and a unit");
	load_fails("rules:\n  - name: a\n    when: { defect: bad }\n"
	    "    do: keep\n", 0, "t.yaml:3:21: unknown defect 'bad'");
	load_fails("rules:\n  - name: a\n"
	    "    when: { attachment: { name: x } }\n    do: keep\n", 0,
	    "t.yaml:3:27: unknown key 'name' in attachment (keys: filename, "
	    "type, size)");
	load_fails("rules:\n  - name: a\n    when: { from: [x] }\n    do: keep\n",
	    0, "t.yaml:3:19: expected a regex");
}

static void
test_bad_regex_position(void **state)
{
	(void)state;
	/* Column of the offending spot: after "(abc" inside the quotes. */
	load_fails("rules:\n  - name: a\n    when: { subject: \"(abc\" }\n"
	    "    do: keep\n", 0,
	    "t.yaml:3:27: bad regex '(abc': missing closing parenthesis (at "
	    "offset 4)");
	/* Plain scalar: no quote to skip. */
	load_fails("rules:\n  - name: a\n    when: { body: a)b }\n"
	    "    do: keep\n", 0,
	    "t.yaml:3:20: bad regex 'a)b': unmatched closing parenthesis");
	/* Non-ASCII before the error counts as one column. */
	load_fails("rules:\n  - name: a\n    when: { from: '\xc3\xa9[' }\n"
	    "    do: keep\n", 0, "t.yaml:3:22: bad regex");
	/* \C could split a UTF-8 character: refused. */
	load_fails("rules:\n  - name: a\n    when: { from: 'a\\C' }\n"
	    "    do: keep\n", 0, "t.yaml:3:23: bad regex 'a\\C': using \\C is "
	    "disabled");
}

static void
test_template_errors(void **state)
{
	(void)state;
	load_fails("rules:\n  - name: a\n    do: { move: 'x/{subjec}' }\n", 0,
	    "t.yaml:3:21: folder: unknown template field '{subjec}'");
	load_fails("rules:\n  - name: a\n    do: { move: 'x/{subject' }\n", 0,
	    "t.yaml:3:20: folder: unclosed '{'");
	load_fails("rules:\n  - name: a\n    do: { move: 'x}' }\n", 0,
	    "t.yaml:3:19: folder: unmatched '}'");
	load_fails("rules:\n  - name: a\n    when: { from: '(?<u>.*)@' }\n"
	    "    do: { move: '{match.v}' }\n", 0,
	    "t.yaml:4:19: folder: no regex of this rule has a capture group "
	    "named 'v'");
	load_fails("rules:\n  - name: a\n    do: { move: '{date:%Q}' }\n", 0,
	    "t.yaml:3:19: folder: unknown strftime conversion");
	load_fails("default: { move: '{match.x}' }\n", 0,
	    "t.yaml:1:20: folder: no regex of this rule has a capture group");
	load_fails("rules:\n  - name: a\n    do: { reply: { from: a@b.c, "
	    "subject: \"a\\nb\", body: x } }\n", 0,
	    "t.yaml:3:44: reply subject: control character");
}

static void
test_captures_from_other_rule(void **state)
{
	(void)state;
	/* A capture name belongs to its own rule only. */
	load_fails("rules:\n"
	    "  - name: a\n    when: { from: '(?<u>.*)' }\n    do: keep\n"
	    "  - name: b\n    do: { move: '{match.u}' }\n", 0,
	    "t.yaml:6:19: folder: no regex of this rule");
}

static void
test_when_after_do(void **state)
{
	struct rule_set	*set;

	(void)state;
	/* do: may come first; when: is compiled first anyway. */
	set = load_ok("rules:\n  - do: { move: '{match.u}' }\n"
	    "    name: a\n    when: { from: '(?<u>.*)@' }\n", 0);
	rule_set_free(set);
}

static void
test_action_errors(void **state)
{
	(void)state;
	load_fails("rules:\n  - name: a\n    do: mvoe\n", 0,
	    "t.yaml:3:9: unknown action 'mvoe' (actions: deliver, move,");
	load_fails("rules:\n  - name: a\n    do: [ { deliver: 'maildr:/x' } ]\n",
	    0, "t.yaml:3:22: deliver target must be \"maildir:PATH\", "
	    "\"mbox:PATH\", \"lmtp:ADDRESS\", \"imap:ACCOUNT/FOLDER\" or "
	    "\"webhook:NAME\"");
	load_fails("rules:\n  - name: a\n    do: [ { deliver: 'mbox:' } ]\n", 0,
	    "t.yaml:3:22: deliver target has an empty path");
	/* relative to nothing a daemon can count on */
	load_fails("rules:\n  - name: a\n    do: [ { deliver: 'mbox:m/x' } ]\n",
	    0, "t.yaml:3:22: a deliver target's path must start with / or ~/");
	load_fails("rules:\n  - name: a\n    do: [ { deliver: "
	    "'maildir:{from.domain}' } ]\n", 0, "t.yaml:3:22: a deliver "
	    "target's path must start with / or ~/");
	load_fails("rules:\n  - name: a\n    do: [ { deliver: 'mbox:~bob/x' } ]\n",
	    0, "t.yaml:3:22: a deliver target's path must start with / or ~/");
	load_fails("rules:\n  - name: a\n    do: [ { save-attachments: "
	    "{ to: 'inv/{from.domain}' } } ]\n", 0,
	    "t.yaml:3:37: the directory must start with / or ~/");
	load_fails("rules:\n  - name: a\n    do: [ move ]\n", 0,
	    "t.yaml:3:11: action 'move' needs a value");
	load_fails("rules:\n  - name: a\n    do: [ { discard: yes } ]\n", 0,
	    "t.yaml:3:22: action 'discard' takes no value");
	load_fails("rules:\n  - name: a\n    do: [ { move: x, copy: y } ]\n",
	    0, "t.yaml:3:11: an action is a name");
	load_fails("rules:\n  - name: a\n"
	    "    do: [ { reply: { from: x@y.z, body: b, every: 7x } } ]\n", 0,
	    "t.yaml:3:51: duration unit must be s, m, h, d or w");
	load_fails("rules:\n  - name: a\n"
	    "    do: [ { reply: { from: 'x y', body: b } } ]\n", 0,
	    "t.yaml:3:28: reply from must be one address");
	load_fails("rules:\n  - name: a\n    do: [ { reply: { body: b } } ]\n",
	    0, "t.yaml:3:20: reply needs from and body");
	load_fails("rules:\n  - name: a\n"
	    "    do: [ { reply: { from: a@b.c, body: b, cc: d } } ]\n", 0,
	    "t.yaml:3:44: unknown key 'cc' in reply");
	load_fails("rules:\n  - name: a\n"
	    "    do: [ { forward: { to: a@b.c, smtp: 'my relay' } } ]\n", 0,
	    "t.yaml:3:41: 'my relay' is not an smtp section name");
	load_fails("rules:\n  - name: a\n    do: [ { pipe: '/bin/cat' } ]\n",
	    0, "t.yaml:3:19: pipe takes a command as a list");
	load_fails("rules:\n  - name: a\n    do: [ { pipe: ['{subject}'] } ]\n",
	    0, "t.yaml:3:20: the program to run cannot be a template");
	load_fails("rules:\n  - name: a\n"
	    "    do: [ { pipe: { command: [x], timeout: 0s } } ]\n", 0,
	    "t.yaml:3:44: timeout must be more than 0");
	load_fails("rules:\n  - name: a\n"
	    "    do: [ { add-header: { 'X:Y': v } } ]\n", 0,
	    "t.yaml:3:27: 'X:Y' is not a header field name");
	load_fails("rules:\n  - name: a\n"
	    "    do: [ { add-header: { X-Y: \"a\\r\\nBcc: x\" } } ]\n", 0,
	    "t.yaml:3:34: header value: control character");
	load_fails("rules:\n  - name: a\n    do: [ { flag: '\\Recent' } ]\n",
	    0, "t.yaml:3:19: unknown system flag '\\Recent'");
	load_fails("rules:\n  - name: a\n    do: [ { flag: 'a b' } ]\n", 0,
	    "t.yaml:3:19: 'a b' is not a valid IMAP keyword");
	load_fails("rules:\n  - name: a\n"
	    "    do: [ { save-attachments: { type: pdf } } ]\n", 0,
	    "t.yaml:3:31: save-attachments needs to");
	load_fails("rules:\n  - name: a\n"
	    "    do: [ { save-attachments: { to: /x, dedupe: md5 } } ]\n", 0,
	    "t.yaml:3:49: dedupe is sha256 or none");
	load_fails("rules:\n  - name: a\n"
	    "    do: [ { save-attachments: { to: /x, type: '[' } } ]\n", 0,
	    "t.yaml:3:49: bad regex '['");
}

/* The loader and the daemon agree on the longest command; env: takes
 * variable names only. */
static void
test_pipe_limits(void **state)
{
	char	 yaml[1024];
	size_t	 i, off;

	(void)state;
	off = (size_t)snprintf(yaml, sizeof(yaml), "rules:\n  - name: a\n"
	    "    do: [ { pipe: [/bin/echo");
	for (i = 1; i < RULE_PIPE_ARGS_MAX; i++)
		off += (size_t)snprintf(yaml + off, sizeof(yaml) - off, ", a");
	snprintf(yaml + off, sizeof(yaml) - off, "] } ]\n");
	rule_set_free(load_ok(yaml, 0));
	snprintf(yaml + off, sizeof(yaml) - off, ", b] } ]\n");
	load_fails(yaml, 0, "t.yaml:3:19: a command has at most 64 items "
	    "(the program and 63 arguments), not 65");
	rule_set_free(load_ok("rules:\n  - name: a\n"
	    "    do: [ { pipe: { command: [x], env: [LC_CTYPE, PATH] } } ]\n",
	    0));
	rule_set_free(load_ok("rules:\n  - name: a\n"
	    "    do: [ { pipe: { command: [x], env: PYTHONPATH } } ]\n", 0));
	load_fails("rules:\n  - name: a\n"
	    "    do: [ { pipe: { command: [x], env: ['A=b'] } } ]\n", 0,
	    "t.yaml:3:41: 'A=b' is not a variable name");
	load_fails("rules:\n  - name: a\n"
	    "    do: [ { pipe: { command: [x], env: [9A] } } ]\n", 0,
	    "t.yaml:3:41: '9A' is not a variable name");
	load_fails("rules:\n  - name: a\n"
	    "    do: [ { pipe: { command: [x], env: [MAILSIFT_SUBJECT] } } ]"
	    "\n", 0, "t.yaml:3:41: MAILSIFT_ variables are the message's");
	load_fails("rules:\n  - name: a\n"
	    "    do: [ { pipe: { command: [x], env: [[A]] } } ]\n", 0,
	    "t.yaml:3:41: expected a variable name");
}

static void
test_impossible_for_source(void **state)
{
	static const char move[] = "rules:\n  - name: a\n    do: [ move: X ]\n";
	static const char flag[] =
	    "rules:\n  - name: a\n    do: [ flag: '\\Seen' ]\n";
	static const char del[] = "rules:\n  - name: a\n    do: [ keep, delete ]\n";
	struct rule_set	*set;

	(void)state;
	load_fails(move, RULE_SOURCE_NO_FOLDERS,
	    "t.yaml:3:11: action 'move' is impossible for this account: its "
	    "source has no server folders");
	load_fails("default: { copy: X }\n", RULE_SOURCE_NO_FOLDERS,
	    "t.yaml:1:12: action 'copy' is impossible");
	load_fails(flag, RULE_SOURCE_NO_FLAGS,
	    "t.yaml:3:11: action 'flag' is impossible for this account");
	load_fails(del, RULE_SOURCE_NO_DELETE,
	    "t.yaml:3:17: action 'delete' is impossible for this account");
	/* The same files load for a source that can. */
	set = load_ok(move, RULE_SOURCE_NO_FLAGS | RULE_SOURCE_NO_DELETE);
	rule_set_free(set);
	set = load_ok(flag, RULE_SOURCE_NO_FOLDERS | RULE_SOURCE_NO_DELETE);
	rule_set_free(set);
	set = load_ok(del, RULE_SOURCE_NO_FOLDERS | RULE_SOURCE_NO_FLAGS);
	rule_set_free(set);
}

/* move: '\Junk' is the folder the IMAP server marks so (RFC 6154):
 * any case, a whole name; no other folder starts with '\', and a
 * source whose moves are local Maildir++ folders cannot have one. */
static void
test_special_use(void **state)
{
	static const char junk[] = "rules:\n  - name: a\n"
	    "    do: [ move: '\\Junk', copy: \"\\\\archive\" ]\n";
	struct rule_set	*set;

	(void)state;
	set = load_ok(junk, 0);
	rule_set_free(set);
	load_fails("rules:\n  - name: a\n    do: [ move: '\\Spam' ]\n", 0,
	    "t.yaml:3:17: '\\Spam' is not a SPECIAL-USE folder "
	    "(\\All, \\Archive, \\Drafts, \\Flagged, \\Junk, \\Sent, "
	    "\\Trash); no other folder name starts with '\\'");
	load_fails("rules:\n  - name: a\n    do: [ copy: '\\Junk/{from}' ]\n",
	    0, "t.yaml:3:17: '\\Junk/{from}' is not a SPECIAL-USE folder");
	load_fails("rules:\n  - name: a\n    do: [ move: '\\' ]\n", 0,
	    "t.yaml:3:17: '\\' is not a SPECIAL-USE folder");
	load_fails(junk, RULE_SOURCE_LOCAL_FOLDERS, "t.yaml:3:17: '\\Junk' "
	    "is the folder an IMAP server marks so, and this account's source "
	    "has no server folders");
	/* a '\' later in a name is the server's business, as before */
	set = load_ok("rules:\n  - name: a\n    do: [ move: 'a\\b' ]\n",
	    RULE_SOURCE_LOCAL_FOLDERS);
	rule_set_free(set);
}

static void
test_aliases_refused(void **state)
{
	(void)state;
	load_fails("rules:\n  - name: a\n    when: &c { from: x }\n"
	    "    do: keep\n  - name: b\n    when: *c\n    do: keep\n", 0,
	    "t.yaml:3:11: YAML aliases (*name) are not supported");
}

static void
test_nesting_limit(void **state)
{
	char	*yaml, *p;
	int	 i;

	(void)state;
	/* 70 nested not: one more than the limit allows. */
	yaml = malloc(4096);
	assert_non_null(yaml);
	p = yaml + sprintf(yaml, "rules:\n  - name: a\n    when: ");
	for (i = 0; i < 70; i++)
		p += sprintf(p, "{ not: ");
	p += sprintf(p, "{ from: x }");
	for (i = 0; i < 70; i++)
		*p++ = '}';
	sprintf(p, "\n    do: keep\n");
	load_fails(yaml, 0, "t.yaml:3:459: conditions nested deeper than 64");
	free(yaml);
}

static void
test_tests_section_errors(void **state)
{
	(void)state;
	load_fails("tests:\n  - message: a.eml\n", 0,
	    "t.yaml:2:5: a test needs message and expect");
	load_fails("tests:\n  - { message: a.eml, expect: [mvoe] }\n", 0,
	    "t.yaml:2:32: unknown action type 'mvoe'");
	load_fails("tests:\n  - { message: a.eml, expect: move }\n", 0,
	    "t.yaml:2:31: expect takes a list of action types");
	load_fails("tests:\n  - { message: a.eml, expect: [], rule: x }\n", 0,
	    "t.yaml:2:35: unknown key 'rule' in a test");
}

static void
test_load_from_file(void **state)
{
	struct rule_set	*set;
	char		 path[] = "/tmp/test_rules_load.XXXXXX";
	char		 err[512];
	int		 fd;

	(void)state;
	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, "rules:\n  - name: a\n    do: keep\n", 32),
	    32);
	assert_int_equal(close(fd), 0);
	set = rule_set_load(path, RULE_LOAD_NO_JIT, err, sizeof(err));
	assert_non_null(set);
	assert_false(rule_set_jit(set));
	rule_set_free(set);
	assert_int_equal(unlink(path), 0);
	assert_null(rule_set_load(path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot read"));
	assert_non_null(strstr(err, path));
	assert_null(rule_set_load("/", 0, err, sizeof(err)));
}

static void
test_jit_switch(void **state)
{
	static const char yaml[] =
	    "rules:\n  - name: a\n    when: { from: x }\n    do: keep\n";
	struct rule_set	*set;

	(void)state;
	set = load_ok(yaml, RULE_LOAD_NO_JIT);
	assert_false(rule_set_jit(set));
	rule_set_free(set);
	/* With JIT it is on when the library has it: not asserted, a
	 * PCRE2 without JIT falls back, which is the point. */
	set = load_ok(yaml, 0);
	rule_set_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_example),
		cmocka_unit_test(test_test_paths_relative),
		cmocka_unit_test(test_every_action_and_condition_loads),
		cmocka_unit_test(test_yaml_syntax),
		cmocka_unit_test(test_file_shape),
		cmocka_unit_test(test_rule_errors),
		cmocka_unit_test(test_condition_errors),
		cmocka_unit_test(test_bad_regex_position),
		cmocka_unit_test(test_template_errors),
		cmocka_unit_test(test_captures_from_other_rule),
		cmocka_unit_test(test_when_after_do),
		cmocka_unit_test(test_action_errors),
		cmocka_unit_test(test_pipe_limits),
		cmocka_unit_test(test_impossible_for_source),
		cmocka_unit_test(test_special_use),
		cmocka_unit_test(test_aliases_refused),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_tests_section_errors),
		cmocka_unit_test(test_load_from_file),
		cmocka_unit_test(test_jit_switch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

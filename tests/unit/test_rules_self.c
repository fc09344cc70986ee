/* SPDX-License-Identifier: ISC */
/*
 * test_rules_self.c - `mailsift test` (daemon/cmd/cmd-test.c) as a user runs
 * it: the tests: section of etc/rules.yaml passes, a wrong expectation
 * or an unreadable message fails with 1, usage and rule errors give 2,
 * and the reports (text and JSON) say what they should.
 *
 * Run from the top of the source tree (as make does): the example rule
 * file is etc/rules.yaml.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/cmd/cmd.h"

#define EXAMPLE	"etc/rules.yaml"

struct output {
	char	 path[64];
	char	*text;
};

/* Run `mailsift test ARGS...` (args ends with NULL) with stdout
 * captured into o->text. */
static int
run_test_cmd(struct output *o, const char *const *args)
{
	char	*argv[16];
	FILE	*f;
	long	 len;
	int	 argc, fd, saved, rv;

	for (argc = 0; args[argc] != NULL; argc++) {
		assert_true(argc < 15);
		assert_non_null(argv[argc] = strdup(args[argc]));
	}
	argv[argc] = NULL;

	snprintf(o->path, sizeof(o->path), "/tmp/test_rules_self.XXXXXX");
	assert_true((fd = mkstemp(o->path)) != -1);
	fflush(stdout);
	assert_true((saved = dup(STDOUT_FILENO)) != -1);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	rv = cmd_test(argc, argv);
	fflush(stdout);
	while (argc > 0)
		free(argv[--argc]);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	close(fd);
	assert_non_null(f = fopen(o->path, "r"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	assert_non_null(o->text = calloc(1, (size_t)len + 1));
	assert_int_equal(fread(o->text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	unlink(o->path);
	return rv;
}

static void
output_free(struct output *o)
{
	free(o->text);
	o->text = NULL;
}

static void
have(const struct output *o, const char *want)
{
	if (strstr(o->text, want) == NULL)
		fail_msg("output lacks '%s':\n%s", want, o->text);
}

static int
setup(void **state)
{
	(void)state;
	if (access(EXAMPLE, R_OK) == -1) {
		fprintf(stderr, "test_rules_self: run from the source tree "
		    "(%s not found)\n", EXAMPLE);
		return -1;
	}
	return 0;
}

static void
test_self_example(void **state)
{
	const char *const	 argv[] = { "test", "-r", EXAMPLE, "--self", NULL };
	struct output	 o;

	(void)state;
	assert_int_equal(run_test_cmd(&o, argv), 0);
	have(&o, "ok 1 - etc/rules-tests/invoice.eml\n");
	have(&o, "ok 6 - etc/rules-tests/attachment-exe.eml\n");
	have(&o, "self-test: 6 passed, 0 failed\n");
	assert_null(strstr(o.text, "not ok"));
	output_free(&o);
}

/* Write a rule file beside the example's messages, return its path. */
static void
write_rules(char *path, size_t len, const char *yaml)
{
	FILE	*f;

	snprintf(path, len, "etc/test-self-%ld.yaml", (long)getpid());
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(yaml, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
test_self_mismatch(void **state)
{
	char		 path[64];
	const char *const	 argv[] = { "test", "-r", path, "--self", NULL };
	struct output	 o;

	(void)state;
	write_rules(path, sizeof(path),
	    "default: { deliver: 'maildir:~/Maildir' }\n"
	    "rules:\n  - { name: lists, when: { header: { name: List-Id, "
	    "match: '.' } }, do: { move: Lists } }\n"
	    "tests:\n"
	    "  - { message: rules-tests/list.eml, expect: [move] }\n"
	    "  - { message: rules-tests/list.eml, expect: [deliver] }\n"
	    "  - { message: rules-tests/none.eml, expect: [] }\n");
	assert_int_equal(run_test_cmd(&o, argv), 1);
	unlink(path);
	have(&o, "ok 1 - etc/rules-tests/list.eml\n");
	have(&o, "not ok 2 - etc/rules-tests/list.eml (line 6): expected "
	    "[deliver], got [move]\n");
	have(&o, "not ok 3 - etc/rules-tests/none.eml (line 7): cannot be "
	    "read\n");
	have(&o, "self-test: 1 passed, 2 failed\n");
	output_free(&o);
}

static void
test_usage_and_rule_errors(void **state)
{
	char		 path[64];
	const char *const	 none[] = { "test", NULL };
	const char *const	 noself[] = { "test", "--self", NULL };
	const char *const	 bogus[] = { "test", "-r", EXAMPLE, "--bogus", "x", NULL };
	const char *const	 extra[] = { "test", "-r", EXAMPLE, "--self", "x.eml",
			    NULL };
	const char *const	 bad[] = { "test", "-r", path, "x.eml", NULL };
	const char *const	 missing[] = { "test", "-r", "/nonexistent/r.yaml",
			    "x.eml", NULL };
	struct output	 o;

	(void)state;
	assert_int_equal(run_test_cmd(&o, none), 2);
	output_free(&o);
	assert_int_equal(run_test_cmd(&o, noself), 2);
	output_free(&o);
	assert_int_equal(run_test_cmd(&o, bogus), 2);
	output_free(&o);
	assert_int_equal(run_test_cmd(&o, extra), 2);
	output_free(&o);
	write_rules(path, sizeof(path), "rules:\n  - name: a\n    do: mvoe\n");
	assert_int_equal(run_test_cmd(&o, bad), 2);
	unlink(path);
	output_free(&o);
	assert_int_equal(run_test_cmd(&o, missing), 2);
	output_free(&o);
}

static void
test_files_report(void **state)
{
	const char *const	 argv[] = { "test", "-r", EXAMPLE, "--explain",
			    "--account", "work", "etc/rules-tests/invoice.eml",
			    "etc/rules-tests/personal.eml", NULL };
	struct output	 o;

	(void)state;
	assert_int_equal(run_test_cmd(&o, argv), 0);
	have(&o, "etc/rules-tests/invoice.eml\n  rule quarantine: no match\n");
	have(&o, "  rule invoices: match (stop)\n");
	have(&o, "From: \"billing@billing.example.com\" matched "
	    "\"@billing.example.com\"\n");
	have(&o, "match.number = \"2026-0042\"\n");
	have(&o, "  rule lists: not reached\n");
	have(&o, "save-attachments [invoices] target=\"~/invoices/2026/"
	    "billing.example.com\" dedupe=sha256 parts=2\n");
	have(&o, "add-header [invoices] target=\"X-Invoice\" "
	    "value=\"2026-0042\"\n");
	have(&o, "move [invoices] target=\"Archive/Invoices\"\n");
	have(&o, "  rule away: match\n");
	have(&o, "reply [away] from=\"me@example.com\" subject=\"Auto: Lunch "
	    "on Friday?\" every=604800s");
	have(&o, "deliver [default] target=\"maildir:~/Maildir\"\n"
	    "  default: applied\n");
	output_free(&o);
}

static void
test_unreadable_file(void **state)
{
	const char *const	 argv[] = { "test", "-r", EXAMPLE, "/nonexistent.eml",
			    "etc/rules-tests/list.eml", NULL };
	struct output	 o;

	(void)state;
	/* The other files are still reported. */
	assert_int_equal(run_test_cmd(&o, argv), 1);
	have(&o, "etc/rules-tests/list.eml\n");
	have(&o, "deliver [lists] target=\"maildir:~/Maildir/.lists.dev\"\n");
	output_free(&o);
}

static void
test_json(void **state)
{
	const char *const	 argv[] = { "test", "-r", EXAMPLE, "--json", "--explain",
			    "etc/rules-tests/malformed.eml", NULL };
	struct output	 o;

	(void)state;
	assert_int_equal(run_test_cmd(&o, argv), 0);
	have(&o, "{\"file\":\"etc/rules-tests/malformed.eml\",\"rules\":["
	    "{\"name\":\"quarantine\",\"verdict\":\"match\",\"stop\":true,"
	    "\"conditions\":["
	    "{\"depth\":0,\"cond\":\"any\",");
	have(&o, "{\"depth\":1,\"cond\":\"defect no-end-boundary\",\"line\":26,"
	    "\"col\":11,\"result\":true,\"limit_hit\":false}");
	have(&o, "{\"name\":\"invoices\",\"verdict\":\"not reached\","
	    "\"stop\":false,\"conditions\":[]}");
	have(&o, "\"actions\":[{\"type\":\"deliver\",\"rule\":\"quarantine\","
	    "\"identity\":\"quarantine/deliver\",\"target\":"
	    "\"maildir:~/Maildir/.Quarantine\"}");
	have(&o, "\"default_applied\":false,\"filed\":true,\"warnings\":[]}\n");
	/* One line per file. */
	assert_ptr_equal(strchr(o.text, '\n'), o.text + strlen(o.text) - 1);
	output_free(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_example),
		cmocka_unit_test(test_self_mismatch),
		cmocka_unit_test(test_usage_and_rule_errors),
		cmocka_unit_test(test_files_report),
		cmocka_unit_test(test_unreadable_file),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

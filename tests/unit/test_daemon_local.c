/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_local.c - the local sources (daemon/source/local-maildir.c,
 * local-mbox.c, local-stdin.c) through the source table and the real
 * pipeline, state store and Maildir delivery, in a temporary directory:
 * new messages are delivered once, a second round fetches nothing,
 * keep = no (or a delete rule) removes a message from the source only
 * after its delivery, an mbox is emptied only when all of it went.
 * And the table itself: one entry per account type, with the
 * capabilities and rule flags the callers relied on before it.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/tmpdir.h"

#include "rules/rules.h"
#include "daemon/conf/conf.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/source/source.h"
#include "daemon/store/state.h"
#include "daemon/util/log.h"

static const char msg_a[] = "From: a@example.org\nSubject: a\n"
    "Message-ID: <a@example.org>\n\nfirst\n";
static const char msg_b[] = "From: b@example.org\nSubject: b\n"
    "Message-ID: <b@example.org>\n\nsecond\n";

static char	 dir[64];

/* What a round did. */
struct round {
	int		 rv;
	size_t		 fetched;
	size_t		 delivered;
	size_t		 skipped;
	size_t		 errors;
};

static int
setup(void **state)
{
	(void)state;
	log_init(0, LOG_LEVEL_ERROR);
	return tmpdir_make(dir, sizeof(dir), "mslocal");
}

static int
teardown(void **state)
{
	(void)state;
	return tmpdir_remove(dir);
}

/* dir/rel, in a buffer of its own until the test has made 16 more. */
static const char *
in_dir(const char *rel)
{
	static char	 bufs[16][PATH_MAX];
	static int	 next;
	char		*p = bufs[next++ % 16];

	snprintf(p, PATH_MAX, "%s/%s", dir, rel);
	return p;
}

static off_t
file_size(const char *path)
{
	struct stat	 st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* A configuration with one account "src" of this type, reading path
 * (none for stdin) into the Maildir dir/dst, keeping mail or not. */
static struct config *
conf_make(const char *type, const char *path, int keep)
{
	struct config	*conf;
	char		 text[2048], err[1024];

	snprintf(text, sizeof(text), "state = \"%s/state.db\"\n"
	    "account src {\n type = %s\n%s%s%s deliver = \"maildir:%s/dst\"\n"
	    " keep = %s\n}\n", dir, type, path != NULL ? " path = \"" : "",
	    path != NULL ? path : "", path != NULL ? "\"\n" : "", dir,
	    keep ? "true" : "false");
	tmpdir_write(in_dir("t.conf"), text);
	if ((conf = config_load(in_dir("t.conf"), err, sizeof(err))) == NULL)
		fail_msg("config: %s", err);
	return conf;
}

/* One round of the account's source through the real pipeline. */
static struct round
round_run(const struct config *conf, const struct rule_set *rules)
{
	const struct account *a = &conf->accounts[0];
	struct fetch_stats *fs;
	struct pipeline	*pl;
	struct state	*st;
	struct round	 r;
	char		 err[1024];

	if ((st = state_open(conf->state, 0, err, sizeof(err))) == NULL)
		fail_msg("state: %s", err);
	if ((pl = pipeline_new(conf, a, rules, st, 0, err,
	    sizeof(err))) == NULL)
		fail_msg("pipeline: %s", err);
	memset(&r, 0, sizeof(r));
	r.rv = source_fetch(a, pl);
	if (pipeline_flush(pl) == -1)
		r.rv = -1;
	fs = pipeline_stats(pl);
	r.fetched = fs->fetched;
	r.delivered = fs->delivered;
	r.skipped = fs->skipped;
	r.errors = fs->errors;
	pipeline_free(pl);
	state_close(st);
	return r;
}

static struct round
round_once(const char *type, const char *path, int keep)
{
	struct config	*conf = conf_make(type, path, keep);
	struct round	 r = round_run(conf, NULL);

	config_free(conf);
	return r;
}

/* Two messages in src, one new and one seen by a reader. */
static void
maildir_src_fill(void)
{
	tmpdir_maildir(in_dir("src"));
	tmpdir_maildir(in_dir("dst"));
	tmpdir_write(in_dir("src/new/1700000000.M1P1.host"), msg_a);
	tmpdir_write(in_dir("src/cur/1700000001.M2P1.host:2,S"), msg_b);
}

static void
test_maildir_once(void **state)
{
	struct round	 r;

	(void)state;
	maildir_src_fill();
	r = round_once("maildir", in_dir("src"), 1);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.fetched, 2);
	assert_int_equal(r.delivered, 2);
	assert_int_equal(r.errors, 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("dst")), 2);
	assert_int_equal(tmpdir_maildir_count(in_dir("src")), 2);	/* keep = yes */

	/* a second round finds nothing new */
	r = round_once("maildir", in_dir("src"), 1);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.fetched, 0);
	assert_int_equal(r.delivered, 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("dst")), 2);

	/* a reader marks the new one seen: same key, not again */
	assert_int_equal(rename(in_dir("src/new/1700000000.M1P1.host"),
	    in_dir("src/cur/1700000000.M1P1.host:2,S")), 0);
	r = round_once("maildir", in_dir("src"), 1);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.fetched, 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("dst")), 2);
	assert_int_equal(tmpdir_maildir_count(in_dir("src")), 2);
}

static void
test_maildir_keep_no(void **state)
{
	struct round	 r;

	(void)state;
	maildir_src_fill();
	r = round_once("maildir", in_dir("src"), 0);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.delivered, 2);
	assert_int_equal(tmpdir_maildir_count(in_dir("dst")), 2);
	assert_int_equal(tmpdir_maildir_count(in_dir("src")), 0);

	r = round_once("maildir", in_dir("src"), 0);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.fetched, 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("dst")), 2);
}

/* Delivered while kept, then keep = no: removed, not delivered again. */
static void
test_maildir_keep_no_later(void **state)
{
	struct round	 r;

	(void)state;
	maildir_src_fill();
	r = round_once("maildir", in_dir("src"), 1);
	assert_int_equal(r.delivered, 2);
	assert_int_equal(tmpdir_maildir_count(in_dir("src")), 2);

	r = round_once("maildir", in_dir("src"), 0);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.fetched, 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("src")), 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("dst")), 2);
}

/* Rules from yaml for the account of conf; "DIR" in it is the test's
 * directory. */
static struct rule_set *
rules_make(const struct config *conf, const char *yaml)
{
	struct rule_set	*rules;
	char		 text[2048], err[1024];
	const char	*p;
	size_t		 n = 0;

	for (p = yaml; *p != '\0' && n < sizeof(text) - PATH_MAX; p++) {
		if (strncmp(p, "DIR", 3) == 0) {
			n += (size_t)snprintf(text + n, sizeof(text) - n,
			    "%s", dir);
			p += 2;
		} else
			text[n++] = *p;
	}
	text[n] = '\0';
	rules = rule_set_load_buffer("t.yaml", text, n,
	    source_rule_flags(&conf->accounts[0]), err, sizeof(err));
	if (rules == NULL)
		fail_msg("rules: %s", err);
	return rules;
}

/* A message that cannot be delivered stays at the source although
 * keep = no, the round ends there, and the next round delivers it. */
static void
test_maildir_failed_stays(void **state)
{
	struct config	*conf;
	struct rule_set	*rules;
	struct round	 r;

	(void)state;
	maildir_src_fill();
	tmpdir_write(in_dir("nomaildir"), "");
	conf = conf_make("maildir", in_dir("src"), 0);
	rules = rules_make(conf, "rules:\n  - name: bad\n    do: { deliver: "
	    "'maildir:DIR/nomaildir' }\n");
	r = round_run(conf, rules);
	assert_int_equal(r.rv, -1);	/* a delivery failed: round over */
	assert_int_equal(r.delivered, 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("src")), 2);
	assert_int_equal(tmpdir_maildir_count(in_dir("dst")), 0);
	rule_set_free(rules);

	r = round_run(conf, NULL);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.delivered, 2);
	assert_int_equal(tmpdir_maildir_count(in_dir("src")), 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("dst")), 2);
	config_free(conf);
}

static void
test_maildir_delete_rule(void **state)
{
	struct config	*conf;
	struct rule_set	*rules;
	struct round	 r;

	(void)state;
	maildir_src_fill();
	conf = conf_make("maildir", in_dir("src"), 1);
	rules = rules_make(conf, "rules:\n  - name: d\n    do: [ { deliver: "
	    "'maildir:DIR/dst' }, delete ]\n");
	r = round_run(conf, rules);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.delivered, 2);
	assert_int_equal(tmpdir_maildir_count(in_dir("dst")), 2);
	assert_int_equal(tmpdir_maildir_count(in_dir("src")), 0);	/* keep = yes, but */
	rule_set_free(rules);
	config_free(conf);
}

static void
test_maildir_missing(void **state)
{
	struct round	 r;

	(void)state;
	tmpdir_maildir(in_dir("dst"));
	r = round_once("maildir", in_dir("nowhere"), 1);
	assert_int_equal(r.rv, -1);
	assert_int_equal(tmpdir_maildir_count(in_dir("dst")), 0);
}

/* Three messages, the third a copy of the first (same bytes). */
static void
mbox_fill(void)
{
	char	 text[1024];

	tmpdir_maildir(in_dir("dst"));
	snprintf(text, sizeof(text), "From a@example.org Mon Jan  1 00:00:00 "
	    "2024\n%s\nFrom b@example.org Mon Jan  1 00:00:01 2024\n%s\n"
	    "From a@example.org Mon Jan  1 00:00:02 2024\n%s\n", msg_a,
	    msg_b, msg_a);
	tmpdir_write(in_dir("src.mbox"), text);
}

static void
test_mbox_once(void **state)
{
	struct round	 r;
	off_t		 size;

	(void)state;
	mbox_fill();
	size = file_size(in_dir("src.mbox"));
	r = round_once("mbox", in_dir("src.mbox"), 1);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.delivered, 2);	/* the copy once */
	assert_int_equal(tmpdir_maildir_count(in_dir("dst")), 2);
	assert_int_equal(file_size(in_dir("src.mbox")), size);

	r = round_once("mbox", in_dir("src.mbox"), 1);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.fetched, 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("dst")), 2);
}

static void
test_mbox_keep_no(void **state)
{
	struct round	 r;

	(void)state;
	mbox_fill();
	r = round_once("mbox", in_dir("src.mbox"), 0);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.delivered, 2);
	assert_int_equal(tmpdir_maildir_count(in_dir("dst")), 2);
	assert_int_equal(file_size(in_dir("src.mbox")), 0);

	r = round_once("mbox", in_dir("src.mbox"), 0);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.fetched, 0);
	assert_int_equal(tmpdir_maildir_count(in_dir("dst")), 2);
}

static void
test_stdin_one(void **state)
{
	struct round	 r;
	int		 fds[2], saved;

	(void)state;
	tmpdir_maildir(in_dir("dst"));
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], msg_a, strlen(msg_a)),
	    (ssize_t)strlen(msg_a));
	assert_int_equal(close(fds[1]), 0);
	assert_int_not_equal(saved = dup(STDIN_FILENO), -1);
	assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
	assert_int_equal(close(fds[0]), 0);
	r = round_once("stdin", NULL, 1);
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	assert_int_equal(close(saved), 0);
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.delivered, 1);
	assert_int_equal(tmpdir_maildir_count(in_dir("dst")), 1);
}

/* The table has every type conf.h knows, under the configuration's
 * name, with what the callers tested the type for before it. */
static void
test_source_table(void **state)
{
	static const struct {
		enum acct_type	 type;
		unsigned	 caps;
		unsigned	 rule_flags;
	} want[] = {
		{ ACCT_IMAP, SOURCE_SERVER | SOURCE_FOLDERS | SOURCE_FLAGS |
		    SOURCE_DELETE, 0 },
		{ ACCT_POP3, SOURCE_SERVER | SOURCE_DELETE,
		    RULE_SOURCE_NO_FLAGS | RULE_SOURCE_LOCAL_FOLDERS },
		{ ACCT_MAILDIR, SOURCE_PATH | SOURCE_DELETE,
		    RULE_SOURCE_NO_FLAGS | RULE_SOURCE_LOCAL_FOLDERS },
		{ ACCT_MBOX, SOURCE_PATH | SOURCE_DELETE,
		    RULE_SOURCE_NO_FLAGS | RULE_SOURCE_LOCAL_FOLDERS },
		{ ACCT_STDIN, 0, RULE_SOURCE_NO_FLAGS | RULE_SOURCE_NO_DELETE |
		    RULE_SOURCE_LOCAL_FOLDERS },
	};
	const struct source *src;
	struct account	 a;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		src = source_find(want[i].type);
		assert_non_null(src);
		assert_int_equal(src->type, want[i].type);
		assert_string_equal(src->name, acct_type_name(want[i].type));
		assert_int_equal(src->caps, want[i].caps);
		assert_non_null(src->fetch);
		memset(&a, 0, sizeof(a));
		a.type = want[i].type;
		assert_ptr_equal(source_of(&a), src);
		assert_int_equal(source_rule_flags(&a), want[i].rule_flags);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_maildir_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_maildir_keep_no, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_maildir_keep_no_later,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_maildir_failed_stays,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_maildir_delete_rule,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_maildir_missing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mbox_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mbox_keep_no, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stdin_one, setup,
		    teardown),
		cmocka_unit_test(test_source_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_metrics.c - the live counters and their exposition in
 * Prometheus' text format 0.0.4 (daemon/metrics/metrics.c,
 * metrics-text.c): values after rounds, the histogram's cumulative
 * buckets, label escaping, the store's gauges, a full pair table, the
 * round's first error line per thread, and a well-formed document.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/metrics/metrics.h"

static char *
scrape(const struct metrics_gauges *g, size_t n, int64_t now)
{
	size_t	 len = 0;
	char	*s = metrics_text(g, n, now, &len);

	assert_non_null(s);
	assert_int_equal(strlen(s), len);
	return s;
}

/* The document holds this line, whole. */
static void
has_line(const char *doc, const char *line)
{
	const char	*p = doc;
	size_t		 n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == doc || p[-1] == '\n') && p[n] == '\n')
			return;
		p++;
	}
	fail_msg("no line '%s' in:\n%s", line, doc);
}

static int
setup(void **state)
{
	(void)state;
	metrics_reset();
	return 0;
}

static void
test_fresh_account(void **state)
{
	char	*s;

	(void)state;
	metrics_account("a");
	s = scrape(NULL, 0, 1000);
	has_line(s, "# TYPE mailsift_messages_delivered_total counter");
	has_line(s, "mailsift_messages_delivered_total{account=\"a\"} 0");
	has_line(s, "mailsift_messages_fetched_total{account=\"a\"} 0");
	has_line(s, "mailsift_fetched_bytes_total{account=\"a\"} 0");
	has_line(s, "mailsift_rounds_total{account=\"a\",result=\"ok\"} 0");
	has_line(s, "# TYPE mailsift_round_duration_seconds histogram");
	has_line(s, "mailsift_round_duration_seconds_bucket{account=\"a\","
	    "le=\"+Inf\"} 0");
	has_line(s, "mailsift_round_duration_seconds_count{account=\"a\"} 0");
	has_line(s, "mailsift_idle_sessions{account=\"a\"} 0");
	has_line(s, "mailsift_last_success_timestamp_seconds{account=\"a\"} 0");
	/* no kind of error, no action yet: the family only */
	has_line(s, "# TYPE mailsift_errors_total counter");
	assert_null(strstr(s, "mailsift_errors_total{"));
	free(s);
}

static void
test_rounds(void **state)
{
	struct metrics_round	 r;
	char			*s;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.fetched = 3;
	r.delivered = 2;
	r.skipped = 1;
	r.bytes = 5000;
	r.seconds = 0.3;
	r.end = 1700000000;
	metrics_round_end("a", &r);
	memset(&r, 0, sizeof(r));
	r.fetched = 1;
	r.seconds = 7;
	r.end = 1700000100;
	r.error_kind = "fetch";
	metrics_round_end("a", &r);
	s = scrape(NULL, 0, 1700000200);
	has_line(s, "mailsift_messages_fetched_total{account=\"a\"} 4");
	has_line(s, "mailsift_messages_delivered_total{account=\"a\"} 2");
	has_line(s, "mailsift_messages_skipped_total{account=\"a\"} 1");
	has_line(s, "mailsift_fetched_bytes_total{account=\"a\"} 5000");
	has_line(s, "mailsift_rounds_total{account=\"a\",result=\"ok\"} 1");
	has_line(s, "mailsift_rounds_total{account=\"a\",result=\"error\"} 1");
	has_line(s, "mailsift_errors_total{account=\"a\",kind=\"fetch\"} 1");
	/* cumulative: 0.3 s from le 0.5 on, 7 s from le 10 on */
	has_line(s, "mailsift_round_duration_seconds_bucket{account=\"a\","
	    "le=\"0.25\"} 0");
	has_line(s, "mailsift_round_duration_seconds_bucket{account=\"a\","
	    "le=\"0.5\"} 1");
	has_line(s, "mailsift_round_duration_seconds_bucket{account=\"a\","
	    "le=\"5\"} 1");
	has_line(s, "mailsift_round_duration_seconds_bucket{account=\"a\","
	    "le=\"10\"} 2");
	has_line(s, "mailsift_round_duration_seconds_bucket{account=\"a\","
	    "le=\"+Inf\"} 2");
	has_line(s, "mailsift_round_duration_seconds_sum{account=\"a\"} "
	    "7.300000");
	has_line(s, "mailsift_round_duration_seconds_count{account=\"a\"} 2");
	/* the failed round does not move the last success */
	has_line(s, "mailsift_last_success_timestamp_seconds{account=\"a\"} "
	    "1700000000");
	free(s);
}

static void
test_actions_outbox_idle(void **state)
{
	char	*s;

	(void)state;
	metrics_action("b", "reply", 1);
	metrics_action("b", "reply", 1);
	metrics_action("b", "pipe", 0);
	metrics_outbox("b", METRICS_OUTBOX_SENT);
	metrics_outbox("b", METRICS_OUTBOX_RETRY);
	metrics_outbox("b", METRICS_OUTBOX_FAILED);
	metrics_outbox("b", METRICS_OUTBOX_SENT);
	metrics_idle("b", 1);
	metrics_idle("b", 1);
	metrics_idle("b", 0);
	metrics_idle("c", 0);	/* never below zero */
	s = scrape(NULL, 0, 0);
	has_line(s, "mailsift_actions_total{account=\"b\",action=\"reply\","
	    "outcome=\"ok\"} 2");
	has_line(s, "mailsift_actions_total{account=\"b\",action=\"pipe\","
	    "outcome=\"failed\"} 1");
	has_line(s, "mailsift_outbox_sent_total{account=\"b\"} 2");
	has_line(s, "mailsift_outbox_retried_total{account=\"b\"} 1");
	has_line(s, "mailsift_outbox_failed_total{account=\"b\"} 1");
	has_line(s, "mailsift_idle_sessions{account=\"b\"} 1");
	has_line(s, "mailsift_idle_sessions{account=\"c\"} 0");
	free(s);
}

static void
test_escape(void **state)
{
	char	*s;

	(void)state;
	metrics_account("we\"ird\\na\nme} 1\nx{");
	s = scrape(NULL, 0, 0);
	has_line(s, "mailsift_messages_delivered_total{account="
	    "\"we\\\"ird\\\\na\\nme} 1\\nx{\"} 0");
	assert_null(strstr(s, "\nme} 1"));
	free(s);
}

static void
test_store_gauges(void **state)
{
	struct metrics_gauges	 g[2];
	struct metrics_round	 r;
	char			*s;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.end = 500;
	metrics_round_end("a", &r);
	memset(g, 0, sizeof(g));
	g[0].account = "a";
	g[0].outbox_queued = 3;
	g[0].outbox_oldest = 900;
	g[0].last_ok = 400;	/* older than the one counted here */
	g[1].account = "z";
	g[1].last_ok = 800;
	s = scrape(g, 2, 1000);
	has_line(s, "mailsift_outbox_messages{account=\"a\"} 3");
	has_line(s, "mailsift_outbox_oldest_age_seconds{account=\"a\"} 100");
	has_line(s, "mailsift_outbox_messages{account=\"z\"} 0");
	has_line(s, "mailsift_outbox_oldest_age_seconds{account=\"z\"} 0");
	has_line(s, "mailsift_last_success_timestamp_seconds{account=\"a\"} "
	    "500");
	free(s);
	g[0].last_ok = 600;	/* from the store, after a restart */
	s = scrape(g, 2, 1000);
	has_line(s, "mailsift_last_success_timestamp_seconds{account=\"a\"} "
	    "600");
	free(s);
}

static void
test_pair_table_full(void **state)
{
	char	 type[32], *s, *p;
	int	 i;
	unsigned long long total = 0, v;

	(void)state;
	for (i = 0; i < 100; i++) {
		snprintf(type, sizeof(type), "t%d", i);
		metrics_action("a", type, i % 2);
	}
	s = scrape(NULL, 0, 0);
	assert_non_null(strstr(s, "action=\"other\""));
	for (p = s; (p = strstr(p, "\nmailsift_actions_total{")) != NULL;
	    p++) {
		v = strtoull(strchr(p, '}') + 2, NULL, 10);
		total += v;
	}
	assert_int_equal(total, 100);
	free(s);
}

struct other {
	char	 got[64];
};

static void *
other_thread(void *arg)
{
	struct other	*o = arg;

	metrics_round_begin("x");
	metrics_log_line(1, "x: its own error");
	metrics_round_error(o->got, sizeof(o->got));
	return NULL;
}

static void
test_round_error(void **state)
{
	struct metrics_round	 r;
	struct other		 o;
	pthread_t		 th;
	char			 buf[64];

	(void)state;
	metrics_log_line(1, "before any round");
	metrics_round_error(buf, sizeof(buf));
	assert_string_equal(buf, "");
	metrics_round_begin("a");
	metrics_log_line(0, "a: a warning");
	metrics_log_line(1, "a: imap.example.org:993: connection refused");
	assert_int_equal(pthread_create(&th, NULL, other_thread, &o), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	metrics_log_line(1, "a: a later consequence");
	metrics_round_error(buf, sizeof(buf));
	assert_string_equal(buf, "a: imap.example.org:993: connection "
	    "refused");
	assert_string_equal(o.got, "x: its own error");
	memset(&r, 0, sizeof(r));
	metrics_round_end("a", &r);
	metrics_round_begin("a");
	metrics_round_error(buf, sizeof(buf));
	assert_string_equal(buf, "");
}

/* Every sample belongs to a family declared once, before it, with HELP
 * and TYPE; names and values have the format's shape. */
static void
test_well_formed(void **state)
{
	struct metrics_round	 r;
	char			*s, *line, *save = NULL, name[128], typed[64][128];
	size_t			 ntyped = 0, i, n;
	int			 found;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.seconds = 1;
	r.error_kind = "deliver";
	metrics_round_end("a", &r);
	metrics_action("a", "deliver", 1);
	s = scrape(NULL, 0, 0);
	assert_int_equal(s[strlen(s) - 1], '\n');
	for (line = strtok_r(s, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		if (strncmp(line, "# TYPE ", 7) == 0) {
			n = strcspn(line + 7, " ");
			assert_true(n < sizeof(name) && ntyped < 64);
			for (i = 0; i < ntyped; i++)
				assert_false(strncmp(typed[i], line + 7, n) ==
				    0 && typed[i][n] == '\0');
			snprintf(typed[ntyped++], sizeof(typed[0]), "%.*s",
			    (int)n, line + 7);
			continue;
		}
		n = strspn(line, "abcdefghijklmnopqrstuvwxyz_");
		assert_true(n > 0 && n < sizeof(name));
		assert_true(line[n] == '{' || line[n] == ' ');
		snprintf(name, sizeof(name), "%.*s", (int)n, line);
		for (found = 0, i = 0; i < ntyped && !found; i++)
			found = strcmp(name, typed[i]) == 0 ||
			    (strncmp(name, typed[i], strlen(typed[i])) == 0 &&
			    (strcmp(name + strlen(typed[i]), "_bucket") == 0 ||
			    strcmp(name + strlen(typed[i]), "_sum") == 0 ||
			    strcmp(name + strlen(typed[i]), "_count") == 0));
		if (!found)
			fail_msg("sample before its TYPE: %s", line);
		assert_true(strchr("0123456789", line[strlen(line) - 1]) !=
		    NULL);
	}
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fresh_account, setup),
		cmocka_unit_test_setup(test_rounds, setup),
		cmocka_unit_test_setup(test_actions_outbox_idle, setup),
		cmocka_unit_test_setup(test_escape, setup),
		cmocka_unit_test_setup(test_store_gauges, setup),
		cmocka_unit_test_setup(test_pair_table_full, setup),
		cmocka_unit_test_setup(test_round_error, setup),
		cmocka_unit_test_setup(test_well_formed, setup),
	};
	int	 rv;

	rv = cmocka_run_group_tests(tests, NULL, NULL);
	metrics_reset();
	return rv;
}

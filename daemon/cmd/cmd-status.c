/* SPDX-License-Identifier: ISC */
/*
 * cmd-status.c - `mailsift status [-c FILE] [--json]`: how each
 * configured account is doing, from what the daemon records in the state
 * file (its rounds, its phase) and what the store counts; works whether
 * a daemon runs or not (the state file's lock tells which).  Nothing is
 * contacted and nothing but the schema version is written.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/cmd/cmd.h"
#include "daemon/util/json.h"
#include "daemon/conf/conf.h"
#include "daemon/status/status.h"
#include "daemon/store/state.h"

static void
status_usage(FILE *f)
{
	fprintf(f, "usage: mailsift status [-c FILE] [--json]\n");
}

static void
text_row(const struct status_report *r, const struct status_account *a)
{
	const struct state_account_status *s = &a->s;
	char	 t1[32], t2[32], age[32];

	printf("%-16s %-15s %-7s %-19s %5llu %-19s %5llu %6llu %6llu %6s "
	    "%7llu %7llu\n", a->name, a->state,
	    status_phase(a, r->daemon, r->now),
	    status_time(s->last_ok, t1, sizeof(t1)),
	    (unsigned long long)s->failures,
	    r->daemon && s->next_poll > 0 ?
	    status_time(s->next_poll, t2, sizeof(t2)) : "-",
	    (unsigned long long)s->delivered_since,
	    (unsigned long long)s->delivered_all,
	    (unsigned long long)s->outbox_queued,
	    s->outbox_queued > 0 ? status_age(r->now - s->outbox_oldest, age,
	    sizeof(age)) : "-",
	    (unsigned long long)s->server_ops,
	    (unsigned long long)s->skipped);
}

static void
text_details(const struct status_account *a)
{
	const struct state_account_status *s = &a->s;
	char	 t[32];

	if (s->last_ok != 0)
		printf("%s: last good round: fetched %llu, delivered %llu, "
		    "skipped %llu, %.1f MB in %.2f s\n", a->name,
		    (unsigned long long)s->ok_fetched,
		    (unsigned long long)s->ok_delivered,
		    (unsigned long long)s->ok_skipped,
		    (double)s->ok_bytes / 1e6, s->ok_seconds);
	if (s->webhook_queued + s->webhook_failed > 0)
		printf("%s: webhooks: %llu queued, %llu refused or given up\n",
		    a->name, (unsigned long long)s->webhook_queued,
		    (unsigned long long)s->webhook_failed);
	if (a->needs_login)
		printf("%s: needs login%s%s%s: run `mailsift auth login %s`\n",
		    a->name, a->login_why != NULL ? " (" : "",
		    a->login_why != NULL ? a->login_why : "",
		    a->login_why != NULL ? ")" : "", a->name);
	if (s->last_error != NULL)
		printf("%s: last error at %s%s: %s\n", a->name,
		    status_time(s->last_error_time, t, sizeof(t)),
		    s->failures > 0 ? "" : " (since recovered)",
		    s->last_error);
}

/* A shared store: who works what. */
static void
text_leases(const struct status_report *r)
{
	const struct status_lease *l;
	size_t	 i;

	const struct status_daemon *d = r->leases.daemons;

	printf("daemons holding leases: %zu\n", r->leases.ndaemons);
	for (i = 0; i < r->leases.ndaemons; i++)
		printf("daemon %s on %s: %zu accounts\n", d[i].id,
		    d[i].node[0] != '\0' ? d[i].node : "-", d[i].accounts);
	for (i = 0; i < r->n; i++) {
		l = &r->leases.v[i];
		if (!l->held)
			printf("%s: no daemon holds its lease\n", r->v[i].name);
		else
			printf("%s: held by %s (%s), epoch %lld, expires in "
			    "%lld s\n", r->v[i].name, l->node[0] != '\0' ?
			    l->node : "-", l->id, (long long)l->epoch,
			    (long long)l->expires_in);
	}
}

static void
text_report(const struct status_report *r, const char *path)
{
	size_t	 i;

	printf("state %s: %s\n", path, !r->has_state ? "not created yet "
	    "(no round ran)" : r->daemon ? "a daemon is running" :
	    "no daemon is running");
	printf("%-16s %-15s %-7s %-19s %5s %-19s %5s %6s %6s %6s %7s %7s\n",
	    "ACCOUNT", "STATE", "PHASE", "LAST SUCCESS", "FAILS",
	    "NEXT POLL", "TODAY", "ALL", "OUTBOX", "OLDEST", "SRV-OPS",
	    "SKIPPED");
	for (i = 0; i < r->n; i++)
		text_row(r, &r->v[i]);
	for (i = 0; i < r->n; i++)
		text_details(&r->v[i]);
	if (r->leases.shared)
		text_leases(r);
}

static void
json_time(const char *key, int64_t t)
{
	if (t == 0)
		printf(", \"%s\": null", key);
	else
		printf(", \"%s\": %lld", key, (long long)t);
}

/* "lease": the holder, or null (shared stores only). */
static void
json_lease(const struct status_lease *l)
{
	if (!l->held) {
		printf(", \"lease\": null");
		return;
	}
	printf(", \"lease\": {\"node\": ");
	json_cstr(stdout, l->node);
	printf(", \"id\": ");
	json_cstr(stdout, l->id);
	printf(", \"epoch\": %lld, \"expires_in\": %lld}",
	    (long long)l->epoch, (long long)l->expires_in);
}

static void
json_daemons(const struct status_report *r)
{
	size_t	 i;

	const struct status_daemon *d = r->leases.daemons;

	printf(", \"shared\": true, \"daemons\": [");
	for (i = 0; i < r->leases.ndaemons; i++) {
		printf("%s{\"id\": ", i > 0 ? ", " : "");
		json_cstr(stdout, d[i].id);
		printf(", \"node\": ");
		json_cstr(stdout, d[i].node);
		printf(", \"accounts\": %zu}", d[i].accounts);
	}
	printf("]");
}

static void
json_account(const struct status_report *r, const struct status_account *a)
{
	const struct state_account_status *s = &a->s;
	char	 cmd[512];

	printf("{\"name\": ");
	json_cstr(stdout, a->name);
	printf(", \"state\": \"%s\", \"phase\": ", a->state);
	if (strcmp(status_phase(a, r->daemon, r->now), "-") == 0)
		printf("null");
	else
		printf("\"%s\"", status_phase(a, r->daemon, r->now));
	if (s->last_ok != 0)
		printf(", \"last_success\": {\"time\": %lld, \"fetched\": %llu,"
		    " \"delivered\": %llu, \"skipped\": %llu, \"bytes\": %llu,"
		    " \"seconds\": %.3f}", (long long)s->last_ok,
		    (unsigned long long)s->ok_fetched,
		    (unsigned long long)s->ok_delivered,
		    (unsigned long long)s->ok_skipped,
		    (unsigned long long)s->ok_bytes, s->ok_seconds);
	else
		printf(", \"last_success\": null");
	if (s->last_error != NULL) {
		printf(", \"last_error\": {\"time\": %lld, \"message\": ",
		    (long long)s->last_error_time);
		json_cstr(stdout, s->last_error);
		printf("}");
	} else
		printf(", \"last_error\": null");
	if (a->needs_login) {
		printf(", \"needs_login\": {\"reason\": ");
		if (a->login_why != NULL)
			json_cstr(stdout, a->login_why);
		else
			printf("null");
		snprintf(cmd, sizeof(cmd), "mailsift auth login %s", a->name);
		printf(", \"command\": ");
		json_cstr(stdout, cmd);
		printf("}");
	}
	printf(", \"failures\": %llu", (unsigned long long)s->failures);
	json_time("next_poll", r->daemon ? s->next_poll : 0);
	printf(", \"delivered_today\": %llu, \"delivered_all\": %llu",
	    (unsigned long long)s->delivered_since,
	    (unsigned long long)s->delivered_all);
	printf(", \"outbox\": {\"queued\": %llu",
	    (unsigned long long)s->outbox_queued);
	if (s->outbox_queued > 0)
		printf(", \"oldest_age\": %lld}",
		    (long long)(r->now - s->outbox_oldest));
	else
		printf(", \"oldest_age\": null}");
	printf(", \"webhooks\": {\"queued\": %llu, \"failed\": %llu}",
	    (unsigned long long)s->webhook_queued,
	    (unsigned long long)s->webhook_failed);
	printf(", \"server_ops\": %llu, \"skipped\": %llu",
	    (unsigned long long)s->server_ops,
	    (unsigned long long)s->skipped);
	if (r->leases.shared)
		json_lease(&r->leases.v[a - r->v]);
	printf("}");
}

static void
json_report(const struct status_report *r, const char *path)
{
	size_t	 i;

	printf("{\"state_file\": ");
	json_cstr(stdout, path);
	printf(", \"time\": %lld, \"daemon\": %s", (long long)r->now,
	    r->daemon ? "true" : "false");
	if (r->leases.shared)
		json_daemons(r);
	printf(", \"accounts\": [");
	for (i = 0; i < r->n; i++) {
		if (i > 0)
			printf(", ");
		json_account(r, &r->v[i]);
	}
	printf("]}\n");
}

static int
status_show(const struct config *cfg, int json)
{
	struct status_report	 r;
	const char		**names;
	char			 err[1024], shown[512];
	size_t			 i;
	int			 rv = 0;

	if ((names = calloc(cfg->naccounts + 1, sizeof(*names))) == NULL) {
		fprintf(stderr, "mailsift: out of memory\n");
		return 1;
	}
	for (i = 0; i < cfg->naccounts; i++)
		names[i] = cfg->accounts[i].name;
	if (status_collect(cfg->state, names, cfg->naccounts,
	    (int64_t)time(NULL), &r, err, sizeof(err)) == -1) {
		fprintf(stderr, "mailsift: %s\n", err);
		rv = 1;
	} else if (json)
		json_report(&r, state_redact(cfg->state, shown, sizeof(shown)));
	else
		text_report(&r, state_redact(cfg->state, shown, sizeof(shown)));
	status_report_free(&r);
	free(names);
	if (rv == 0 && fflush(stdout) == EOF)
		rv = 1;
	return rv;
}

int
cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct config	*cfg;
	const char	*config_path = NULL;
	char		 path[4096], err[1024];
	int		 ch, json = 0, rv;

	while ((ch = getopt_long(argc, argv, "c:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			status_usage(stdout);
			return 0;
		default:
			status_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		status_usage(stderr);
		return 2;
	}
	if (config_path == NULL) {
		if (config_default_path(path, sizeof(path)) == -1) {
			fprintf(stderr, "mailsift: no configuration file "
			    "(use -c FILE)\n");
			return 1;
		}
		config_path = path;
	}
	if ((cfg = config_load(config_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailsift: %s\n", err);
		return 1;
	}
	rv = status_show(cfg, json);
	config_free(cfg);
	return rv;
}

/* SPDX-License-Identifier: ISC */
/*
 * status-html.c - the status report as one small HTML page; see
 * status.h.  Every string that came from the configuration, a server or
 * a message (account names, errors) goes through html_text(); the rest
 * is numbers and words of our own.  No script, no external asset: the
 * page is the table, built afresh on every request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/status/status.h"

static const char page_head[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<title>mailsift status</title>\n"
    "<style>\n"
    "body { font-family: sans-serif; margin: 1em; }\n"
    "table { border-collapse: collapse; }\n"
    "th, td { border: 1px solid #bbb; padding: 0.2em 0.5em;"
    " text-align: left; vertical-align: top; }\n"
    "td.n { text-align: right; }\n"
    "tr.needs-attention { background: #fcc; }\n"
    "tr.failing { background: #ffd; }\n"
    "</style>\n</head>\n<body>\n<h1>mailsift status</h1>\n";

static const char *const columns[] = {
	"Account", "State", "Phase", "Last success", "Last round",
	"Failures in a row", "Last error", "Next poll", "Delivered today",
	"Delivered in all", "Outbox", "Oldest queued", "Server ops pending",
	"Skipped (too large)"
};

/* s escaped for HTML text and attribute values. */
static void
html_text(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

static void
cell(FILE *f, const char *cls, const char *text)
{
	fprintf(f, "<td%s%s%s>", cls != NULL ? " class=\"" : "",
	    cls != NULL ? cls : "", cls != NULL ? "\"" : "");
	html_text(f, text);
	fputs("</td>", f);
}

static void
cell_u(FILE *f, uint64_t v)
{
	fprintf(f, "<td class=\"n\">%llu</td>", (unsigned long long)v);
}

/* A shared store: the lease's holder. */
static void
lease_cell(FILE *f, const struct status_lease *l)
{
	char	 buf[600];

	if (!l->held)
		snprintf(buf, sizeof(buf), "-");
	else
		snprintf(buf, sizeof(buf), "%s (%s), epoch %lld, expires in "
		    "%lld s", l->node[0] != '\0' ? l->node : "-", l->id,
		    (long long)l->epoch, (long long)l->expires_in);
	cell(f, "lease", buf);
}

/* The daemons that hold leases, one line each. */
static void
daemons_list(FILE *f, const struct status_report *r)
{
	size_t	 i;

	const struct status_daemon *d = r->leases.daemons;

	fprintf(f, "<p>Shared store: %zu daemons hold leases.</p>\n<ul "
	    "id=\"daemons\">\n", r->leases.ndaemons);
	for (i = 0; i < r->leases.ndaemons; i++) {
		fputs("<li>", f);
		html_text(f, d[i].id);
		fputs(" on ", f);
		html_text(f, d[i].node[0] != '\0' ? d[i].node : "-");
		fprintf(f, ": %zu accounts</li>\n", d[i].accounts);
	}
	fputs("</ul>\n", f);
}

static void
row(FILE *f, const struct status_report *r, const struct status_account *a)
{
	const struct state_account_status *s = &a->s;
	char	 t[64], buf[600], age[32];
	size_t	 i;

	fputs("<tr class=\"", f);
	for (i = 0; a->state[i] != '\0'; i++)
		fputc(a->state[i] == ' ' ? '-' : a->state[i], f);
	fputs("\">", f);
	cell(f, "account", a->name);
	cell(f, "state", a->state);
	cell(f, NULL, status_phase(a, r->daemon, r->now));
	cell(f, NULL, status_time(s->last_ok, t, sizeof(t)));
	if (s->last_ok != 0)
		snprintf(buf, sizeof(buf), "fetched %llu, delivered %llu, "
		    "skipped %llu, %.1f MB in %.2f s",
		    (unsigned long long)s->ok_fetched,
		    (unsigned long long)s->ok_delivered,
		    (unsigned long long)s->ok_skipped,
		    (double)s->ok_bytes / 1e6, s->ok_seconds);
	else
		snprintf(buf, sizeof(buf), "-");
	cell(f, NULL, buf);
	cell_u(f, s->failures);
	if (s->last_error != NULL)
		snprintf(buf, sizeof(buf), "%s: %s",
		    status_time(s->last_error_time, t, sizeof(t)),
		    s->last_error);
	else
		snprintf(buf, sizeof(buf), "-");
	cell(f, "error", buf);
	cell(f, NULL, r->daemon && s->next_poll > 0 ?
	    status_time(s->next_poll, t, sizeof(t)) : "-");
	cell_u(f, s->delivered_since);
	cell_u(f, s->delivered_all);
	cell_u(f, s->outbox_queued);
	cell(f, NULL, s->outbox_queued > 0 ? status_age(r->now -
	    s->outbox_oldest, age, sizeof(age)) : "-");
	cell_u(f, s->server_ops);
	cell_u(f, s->skipped);
	if (r->leases.shared)
		lease_cell(f, &r->leases.v[a - r->v]);
	fputs("</tr>\n", f);
}

char *
status_html(const struct status_report *r, size_t *len)
{
	FILE	*f;
	char	*p = NULL, t[64];
	size_t	 i;

	if ((f = open_memstream(&p, len)) == NULL)
		return NULL;
	fputs(page_head, f);
	fprintf(f, "<p>At %s; the daemon is %s.  <a href=\"/metrics\">"
	    "Metrics</a>.</p>\n", status_time(r->now, t, sizeof(t)),
	    r->daemon ? "running" : "not running");
	if (r->leases.shared)
		daemons_list(f, r);
	fputs("<table id=\"accounts\">\n<thead><tr>", f);
	for (i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
		fprintf(f, "<th>%s</th>", columns[i]);
	if (r->leases.shared)
		fputs("<th>Held by</th>", f);
	fputs("</tr></thead>\n<tbody>\n", f);
	for (i = 0; i < r->n; i++)
		row(f, r, &r->v[i]);
	fputs("</tbody>\n</table>\n</body>\n</html>\n", f);
	if (ferror(f)) {
		(void)fclose(f);
		free(p);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

/* SPDX-License-Identifier: ISC */
/*
 * imap-dest.c - an account section as an IMAP destination (imap-dest.h):
 * connect and log in with the session of imap.c, resolve and create
 * folders (namespace, SPECIAL-USE), APPEND batches and look a header up.
 *
 * APPEND: MULTIAPPEND (RFC 3502: one command, all or nothing) when the
 * server offers it and the batch has more than one message; otherwise
 * one APPEND per message, all sent before the first answer is read when
 * literals need no continuation (LITERAL+, or LITERAL- up to 4096
 * bytes, RFC 7888), else one at a time.  A message counts as sent as
 * soon as its literal starts to go out: if the session breaks then, its
 * outcome is unknown and the target keeps its intent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/net/conn.h"
#include "daemon/source/imap-dest.h"
#include "daemon/source/imap-int.h"
#include "daemon/source/imap-special.h"

/* RFC 7888: LITERAL- allows non-synchronizing literals this big. */
#define DEST_LITERAL_MINUS	4096
/* An APPEND's arguments: flags (imap-meta.c keeps them under 512), a
 * date, a literal's size. */
#define DEST_ARGS_MAX		1024

struct imap_dest {
	struct imap	 s;		/* first: the hooks get &s */
	int		 have_uid;	/* APPENDUID of the last command */
	uint32_t	 uidvalidity;
	uint32_t	 uid_first, uid_last;
};

static struct imap_dest *
dest_of(struct imap *s)
{
	return (struct imap_dest *)(void *)s;
}

/* "APPENDUID uidvalidity uid-set]" (RFC 4315): a uid-set of one APPEND
 * is "n", of a MULTIAPPEND "n:m". */
static int
dest_code(struct imap *s, const struct imap_tok *t, struct imap_scan *sc)
{
	struct imap_dest	*d = dest_of(s);
	struct imap_tok		 v;
	char			 set[64], *colon, *end;
	size_t			 n;

	if (!imap_tok_is(t, "APPENDUID"))
		return 0;
	if (imap_scan_next(sc, &v) == -1 || imap_tok_u32(&v, &d->uidvalidity)
	    == -1 || imap_scan_next(sc, &v) == -1)
		return 1;
	n = v.len < sizeof(set) ? v.len : sizeof(set) - 1;
	memcpy(set, v.s, n);
	set[n] = '\0';
	d->uid_first = (uint32_t)strtoul(set, &end, 10);
	d->uid_last = d->uid_first;
	if ((colon = strchr(set, ':')) != NULL)
		d->uid_last = (uint32_t)strtoul(colon + 1, &end, 10);
	d->have_uid = d->uid_first != 0 && d->uid_last >= d->uid_first;
	return 1;
}

static void
dest_free(struct imap_dest *d)
{
	if (d == NULL)
		return;
	imap_session_free(&d->s);
	free(d);
}

static struct imap_dest *
dest_connect(const struct config *cfg, const char *name, char *err,
    size_t errlen)
{
	const struct account	*a = config_account(cfg, name);
	struct imap_dest	*d;

	if (a == NULL || a->type != ACCT_IMAP) {
		snprintf(err, errlen, "no account section \"%s\" of type imap "
		    "(the destination of an imap: target)", name);
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	imap_session_init(&d->s, a, NULL);
	d->s.code_extra = dest_code;
	if (imap_session_start(&d->s) == -1) {
		snprintf(err, errlen, "%s:%s: %s", a->ep.host, a->ep.port,
		    d->s.err);
		dest_free(d);
		return NULL;
	}
	return d;
}

static int
dest_folder(struct imap_dest *d, const char *folder, int create, char *wire,
    size_t wirelen, char *err, size_t errlen)
{
	struct imap	*s = &d->s;
	char		 server[IMAP_FOLDER_MAX + 1];

	if (imap_folder_name(s, folder, server, sizeof(server), wire,
	    wirelen) == -1)
		goto fail;
	/* a marked folder exists, or is an error: never made */
	if (!create || imap_special_is(folder))
		return 0;
	if (imap_folder_create(s, server, wire) == 0)
		return 0;
fail:
	snprintf(err, errlen, "%s", s->err);
	return -1;
}

/* The response code of a refusal in s->err ("server said: [CODE] ..."). */
static void
dest_refusal(const struct imap *s, struct imap_dest_msg *m)
{
	const char	*p = strchr(s->err, '[');
	size_t		 n = 0;

	snprintf(m->err, sizeof(m->err), "%s", s->err);
	if (p != NULL)
		for (p++; p[n] != '\0' && p[n] != ']' && p[n] != ' ' &&
		    n + 1 < sizeof(m->code); n++)
			m->code[n] = p[n];
	m->code[n] = '\0';
}

/* " (FLAGS) "DATE" {N+}": the arguments of one message; *sync is 1 if
 * its literal must wait for a continuation.  Flags too long to fit are
 * left out (never cut: the literal's size must go whole). */
static void
dest_args(const struct imap *s, const struct imap_dest_msg *m, char *out,
    size_t outlen, int *sync)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char		 date[64] = "";
	struct tm	 tm;
	time_t		 local = m->date + m->zone;
	long		 z = m->zone < 0 ? -m->zone : m->zone;
	int		 n;

	*sync = !((s->caps & CAP_LITERALPLUS) || ((s->caps &
	    CAP_LITERALMINUS) && m->len <= DEST_LITERAL_MINUS));
	if (m->date > 0 && gmtime_r(&local, &tm) != NULL)
		snprintf(date, sizeof(date), " \"%2d-%s-%04d %02d:%02d:%02d "
		    "%c%02ld%02ld\"", tm.tm_mday, mon[tm.tm_mon % 12],
		    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
		    m->zone < 0 ? '-' : '+', z / 3600 % 100, z / 60 % 60);
	n = snprintf(out, outlen, " (%s)%s {%zu%s}", m->flags, date, m->len,
	    *sync ? "" : "+");
	if (n < 0 || (size_t)n >= outlen)
		snprintf(out, outlen, " ()%s {%zu%s}", date, m->len,
		    *sync ? "" : "+");
}

/* The literal after its arguments: wait for "+" first if it must. */
static int
dest_literal(struct imap *s, const char *tag, struct imap_dest_msg *m,
    int sync)
{
	if (conn_printf(s->c, "\r\n") == -1 || conn_flush(s->c) == -1)
		goto connfail;
	if (sync && imap_wait(s, tag) != 1)
		return -1;	/* refused before the data: not sent */
	m->sent = 1;
	if (conn_write(s->c, m->data, m->len) == -1)
		goto connfail;
	return 0;
connfail:
	snprintf(s->err, sizeof(s->err), "%s", conn_error(s->c));
	s->broken = 1;
	return -1;
}

static int
dest_broken(const struct imap *s, char *err, size_t errlen)
{
	if (!s->broken && !s->bye)
		return 0;
	snprintf(err, errlen, "%s", s->err);
	return 1;
}

static int
dest_multiappend(struct imap_dest *d, const char *wire,
    struct imap_dest_msg *v, size_t n, char *err, size_t errlen)
{
	struct imap	*s = &d->s;
	char		 tag[16], args[DEST_ARGS_MAX];
	size_t		 i;
	int		 sync;

	d->have_uid = 0;
	dest_args(s, &v[0], args, sizeof(args), &sync);
	if (imap_send_begin(s, tag, sizeof(tag), "APPEND %s%s", wire,
	    args) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		if (i > 0) {
			dest_args(s, &v[i], args, sizeof(args), &sync);
			if (conn_printf(s->c, "%s", args) == -1)
				goto fail;
		}
		if (dest_literal(s, tag, &v[i], sync) == -1)
			goto refused;
	}
	if (conn_printf(s->c, "\r\n") == -1 || conn_flush(s->c) == -1)
		goto fail;
	if (imap_wait_done(s, tag) == -1)
		goto refused;
	for (i = 0; i < n; i++) {
		v[i].ok = 1;
		if (d->have_uid && d->uid_last - d->uid_first + 1 == n) {
			v[i].uidvalidity = d->uidvalidity;
			v[i].uid = d->uid_first + (uint32_t)i;
		}
	}
	return 0;
refused:
	if (dest_broken(s, err, errlen))
		return -1;
	/* all or nothing: the whole batch is refused */
	for (i = 0; i < n; i++) {
		v[i].sent = 0;
		dest_refusal(s, &v[i]);
	}
	return 0;
fail:
	snprintf(err, errlen, "%s", s->broken ? s->err : conn_error(s->c));
	s->broken = 1;
	return -1;
}

/* One APPEND: its command and literal (no answer read unless sync). */
static int
dest_append_send(struct imap *s, const char *wire, struct imap_dest_msg *m,
    char *tag, size_t taglen)
{
	char	 args[DEST_ARGS_MAX];
	int	 sync;

	dest_args(s, m, args, sizeof(args), &sync);
	if (imap_send_begin(s, tag, taglen, "APPEND %s%s", wire, args) == -1)
		return -1;
	if (dest_literal(s, tag, m, sync) == -1)
		return -1;
	if (conn_printf(s->c, "\r\n") == -1 || conn_flush(s->c) == -1) {
		snprintf(s->err, sizeof(s->err), "%s", conn_error(s->c));
		s->broken = 1;
		return -1;
	}
	return 0;
}

static void
dest_append_answer(struct imap_dest *d, const char *tag,
    struct imap_dest_msg *m)
{
	d->have_uid = 0;
	if (imap_wait_done(&d->s, tag) == -1) {
		if (!d->s.broken && !d->s.bye)
			dest_refusal(&d->s, m);
		return;
	}
	m->ok = 1;
	if (d->have_uid) {
		m->uidvalidity = d->uidvalidity;
		m->uid = d->uid_first;
	}
}

/* One APPEND each: all sent, then all answers read, when no literal
 * waits for a continuation; else one at a time. */
static int
dest_appends(struct imap_dest *d, const char *wire, struct imap_dest_msg *v,
    size_t n, char *err, size_t errlen)
{
	struct imap	*s = &d->s;
	char		(*tags)[16];
	size_t		 i, sent = 0;

	if ((tags = calloc(n, sizeof(*tags))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n && !dest_broken(s, err, errlen); i++) {
		if (dest_append_send(s, wire, &v[i], tags[i],
		    sizeof(tags[i])) == -1) {
			if (!dest_broken(s, err, errlen))
				dest_refusal(s, &v[i]);	/* before its data */
			continue;
		}
		sent = i + 1;
		/* a literal that waited: its answer before the next one */
		if ((s->caps & CAP_LITERALPLUS) == 0)
			dest_append_answer(d, tags[i], &v[i]);
	}
	for (i = 0; i < sent && (s->caps & CAP_LITERALPLUS); i++)
		if (v[i].sent && !dest_broken(s, err, errlen))
			dest_append_answer(d, tags[i], &v[i]);
	free(tags);
	return dest_broken(s, err, errlen) ? -1 : 0;
}

static int
dest_append(struct imap_dest *d, const char *wire, struct imap_dest_msg *v,
    size_t n, char *err, size_t errlen)
{
	if (n == 0)
		return 0;
	if (dest_broken(&d->s, err, errlen))
		return -1;
	if ((d->s.caps & CAP_MULTIAPPEND) && n > 1)
		return dest_multiappend(d, wire, v, n, err, errlen);
	return dest_appends(d, wire, v, n, err, errlen);
}

static int
dest_search(struct imap_dest *d, const char *wire, const char *name,
    const char *value, char *err, size_t errlen)
{
	struct imap	*s = &d->s;
	char		 q[512];

	if (imap_quote(value, q, sizeof(q)) == -1) {
		snprintf(err, errlen, "cannot search for \"%.100s\"", value);
		return -1;
	}
	if (imap_cmd(s, "EXAMINE %s", wire) == -1) {
		/* no folder: nothing was delivered into it */
		if (!s->broken && !s->bye && imap_folder_missing(s->err))
			return 0;
		goto fail;
	}
	s->nsearch = 0;
	if (imap_cmd(s, "UID SEARCH HEADER %s %s", name, q) == -1)
		goto fail;
	return s->nsearch > 0;
fail:
	snprintf(err, errlen, "%s", s->err);
	return -1;
}

static void
dest_logout(struct imap_dest *d)
{
	if (d == NULL)
		return;
	if (d->s.c != NULL && !d->s.broken && !d->s.bye)
		(void)imap_cmd(&d->s, "LOGOUT");
	dest_free(d);
}

/* A server that dropped an idle session says BYE, or nothing. */
static int
dest_noop(struct imap_dest *d, char *err, size_t errlen)
{
	if (d->s.c == NULL || d->s.broken || d->s.bye ||
	    imap_cmd(&d->s, "NOOP") == -1) {
		snprintf(err, errlen, "%s", d->s.err[0] != '\0' ? d->s.err :
		    "not connected");
		return -1;
	}
	return 0;
}

const struct imap_client imap_dest_client = {
	.connect = dest_connect,
	.folder = dest_folder,
	.append = dest_append,
	.search = dest_search,
	.logout = dest_logout,
	.noop = dest_noop,
};

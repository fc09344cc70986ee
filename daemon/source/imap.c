/* SPDX-License-Identifier: ISC */
/*
 * imap.c - IMAP client session: connect, TLS, capabilities, login,
 * commands and the response loop.  The round is in imap-fetch.c; an
 * untagged FETCH goes to the hook it set (s->fetch_response), so the
 * session never calls back into the round by name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "mime/charset.h"
#include "daemon/net/conn.h"
#include "daemon/net/pace.h"
#include "daemon/net/reply.h"
#include "daemon/source/imap-int.h"
#include "daemon/source/imap-gmail.h"
#include "daemon/source/imap-mutf7.h"
#include "daemon/util/stop.h"
#include "daemon/util/log.h"
#include "daemon/net/sasl.h"
#include "daemon/oauth/oauth.h"

#define IMAP_TIMEOUT_MS	(60 * 1000)
/* A UID SEARCH over a large mailbox is one long line. */
#define IMAP_MAX_LINE	(16 * 1024 * 1024)
#define IMAP_MAX_SHORT	(64 * 1024)

static const struct {
	const char	*name;
	unsigned	 flag;
} cap_names[] = {
	{ "IMAP4rev1", CAP_IMAP4REV1 },
	{ "IMAP4rev2", CAP_IMAP4REV2 },
	{ "STARTTLS", CAP_STARTTLS },
	{ "LOGINDISABLED", CAP_LOGINDIS },
	{ "AUTH=PLAIN", CAP_AUTH_PLAIN },
	{ "AUTH=LOGIN", CAP_AUTH_LOGIN },
	{ "AUTH=XOAUTH2", CAP_AUTH_XOAUTH2 },
	{ "AUTH=OAUTHBEARER", CAP_AUTH_OAUTHB },
	{ "SASL-IR", CAP_SASL_IR },
	{ "LITERAL+", CAP_LITERALPLUS },
	{ "LITERAL-", CAP_LITERALMINUS },
	{ "MULTIAPPEND", CAP_MULTIAPPEND },
	{ "UIDPLUS", CAP_UIDPLUS },
	{ "MOVE", CAP_MOVE },
	{ "IDLE", CAP_IDLE },
	{ "ENABLE", CAP_ENABLE },
	{ "UTF8=ACCEPT", CAP_UTF8_ACCEPT },
	{ "NAMESPACE", CAP_NAMESPACE },
	{ "NOTIFY", CAP_NOTIFY },
	{ "COMPRESS=DEFLATE", CAP_COMPRESS },
	{ "SPECIAL-USE", CAP_SPECIAL_USE },
	{ "CONDSTORE", CAP_CONDSTORE },
	{ "QRESYNC", CAP_QRESYNC },
	{ "X-GM-EXT-1", CAP_XGM },
};

/* Capabilities from the rest of a CAPABILITY response or code. */
static void
caps_parse(struct imap *s, struct imap_scan *sc)
{
	struct imap_tok	 t;
	size_t		 i, len;

	s->caps = 0;
	while (imap_scan_next(sc, &t) == 0 && t.type == IMAP_TOK_ATOM) {
		len = t.len;
		if (len > 0 && t.s[len - 1] == ']')
			len--;	/* last one of a [CAPABILITY ...] code */
		for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
			if (strlen(cap_names[i].name) == len &&
			    strncasecmp(t.s, cap_names[i].name, len) == 0)
				s->caps |= cap_names[i].flag;
		if (len != t.len)
			break;
	}
}

/* "[CODE args] text" after OK/NO/BAD/BYE/PREAUTH. */
static void
resp_code(struct imap *s, struct imap_scan *sc)
{
	struct imap_tok	 t;
	uint32_t	 v;
	const char	*rest;
	size_t		 len;
	char		 show[LOG_SHOW_SIZE];

	imap_scan_rest(sc, &rest, &len);
	if (len == 0 || rest[0] != '[')
		return;
	sc->p = rest + 1;
	if (imap_scan_next(sc, &t) == -1 || t.type != IMAP_TOK_ATOM)
		return;
	if (imap_tok_is(&t, "CAPABILITY")) {
		caps_parse(s, sc);
		return;
	}
	if (s->code_extra != NULL && s->code_extra(s, &t, sc) == 1)
		return;
	if (imap_tok_is(&t, "UIDVALIDITY") && imap_scan_next(sc, &t) == 0) {
		if (t.len > 0 && t.s[t.len - 1] == ']')
			t.len--;
		if (imap_tok_u32(&t, &v) == 0)
			s->uidvalidity = v;
		return;
	}
	if (imap_tok_is(&t, "ALERT]") || imap_tok_is(&t, "ALERT")) {
		imap_scan_rest(sc, &rest, &len);
		log_warn("%s: server alert: %s", s->acct->name,
		    log_clean(rest, len, show, sizeof(show), LOG_CLEAN_MARK));
	}
}

static int
untagged_number(struct imap *s, struct imap_scan *sc, uint32_t n)
{
	struct imap_tok	 t;

	if (imap_scan_next(sc, &t) == -1)
		return -1;
	if (imap_tok_is(&t, "EXISTS")) {
		if (n != s->exists)
			s->exists_changed = 1;
		s->exists = n;
		return 0;
	}
	/*
	 * The count follows EXPUNGE too: after one, new mail can bring
	 * EXISTS back to the number seen before (Cyrus, after our own UID
	 * EXPUNGE), and only a true count tells it from old news.
	 */
	if (imap_tok_is(&t, "EXPUNGE")) {
		if (s->exists > 0)
			s->exists--;
		return 0;
	}
	if (imap_tok_is(&t, "FETCH") && s->fetch_response != NULL)
		return s->fetch_response(s, sc);
	return 0;	/* RECENT...: we go by UID, not number */
}

static int
untagged(struct imap *s, struct imap_scan *sc)
{
	struct imap_tok	 t;
	uint32_t	 n;

	if (imap_scan_next(sc, &t) == -1 || t.type != IMAP_TOK_ATOM)
		return -1;
	if (imap_tok_u32(&t, &n) == 0)
		return untagged_number(s, sc, n);
	if (imap_tok_is(&t, "CAPABILITY"))
		caps_parse(s, sc);
	else if (imap_tok_is(&t, "ENABLED")) {
		while (imap_scan_next(sc, &t) == 0 && t.type == IMAP_TOK_ATOM)
			if (imap_tok_is(&t, "UTF8=ACCEPT"))
				s->utf8_accept = 1;
			else if (imap_tok_is(&t, "QRESYNC"))
				s->qresync = 1;
	} else if (imap_tok_is(&t, "SEARCH")) {
		while (imap_scan_next(sc, &t) == 0 && imap_tok_u32(&t, &n) == 0)
			if (imap_uids_add(&s->search, &s->nsearch,
			    &s->search_cap, n) == -1)
				return -1;
	} else if (imap_tok_is(&t, "STATUS") && s->status_response != NULL)
		return s->status_response(s, sc);
	else if (imap_tok_is(&t, "NAMESPACE"))
		imap_ns_namespace(&s->ns, sc);	/* imap-folder.c */
	else if (imap_tok_is(&t, "LIST") && s->special.listing)
		imap_special_list(&s->special, sc);	/* imap-special.c */
	else if (imap_tok_is(&t, "LIST"))
		imap_ns_list(&s->ns, sc);
	else if (imap_tok_is(&t, "BYE")) {
		s->bye = 1;
		resp_code(s, sc);
	} else if (imap_tok_is(&t, "OK") || imap_tok_is(&t, "NO") ||
	    imap_tok_is(&t, "BAD") || imap_tok_is(&t, "PREAUTH"))
		resp_code(s, sc);
	else if (s->untagged_extra != NULL &&
	    s->untagged_extra(s, &t, sc) == -1)
		return -1;
	return 0;
}

static void
set_err(struct imap *s, const char *what, const char *text, size_t len)
{
	char	 show[LOG_SHOW_SIZE];

	/* a hostile reply is shown bounded and printable */
	snprintf(s->err, sizeof(s->err), "%s: %s", what,
	    reply_show(text, len, show, sizeof(show)));
}

/* One whole response.  A failure leaves the stream where it stopped
 * (in a line, before a literal it refused): nothing more can be said. */
static int
imap_read(struct imap *s, size_t max_line, uint64_t max_literal)
{
	if (imap_resp_read(s->c, &s->r, max_line, max_literal, s->err,
	    sizeof(s->err)) == 0)
		return 0;
	s->broken = 1;
	/* Stopping: the response in hand is given up, nothing of it is
	 * recorded; what came whole before it is committed. */
	if (stop_requested() && !s->stopping) {
		log_info("%s: stopping: %s", s->acct->name, s->err);
		s->stopping = 1;
	}
	return -1;
}

int
imap_wait(struct imap *s, const char *tag)
{
	struct imap_scan sc;
	struct imap_tok	 t;
	const char	*rest;
	size_t		 len, tlen = strlen(tag);

	for (;;) {
		if (imap_read(s, IMAP_MAX_LINE, s->max_literal) == -1) {
			/* a server may hang up right after LOGOUT's BYE,
			 * before the tagged OK: the session ended as asked */
			if (s->logout && s->bye) {
				s->err[0] = '\0';
				return 0;
			}
			return -1;
		}
		imap_scan_init(&sc, &s->r);
		if (s->r.text.len >= 2 && memcmp(s->r.text.data, "* ", 2) == 0) {
			sc.p += 2;
			if (untagged(s, &sc) == -1) {
				set_err(s, "malformed response", s->r.text.data,
				    s->r.text.len);
				return -1;
			}
			if (s->pipeline_failed || s->stopping)
				return -1;
			if (s->bye && !s->logout) {
				/* the server is going: waiting only hangs */
				set_err(s, "server closed the session",
				    s->r.text.data, s->r.text.len);
				return -1;
			}
			continue;
		}
		if (s->r.text.len >= 1 && s->r.text.data[0] == '+')
			return 1;
		if (s->r.text.len > tlen && memcmp(s->r.text.data, tag,
		    tlen) == 0 && s->r.text.data[tlen] == ' ') {
			sc.p += tlen + 1;
			if (imap_scan_next(&sc, &t) == -1) {
				set_err(s, "malformed response",
				    s->r.text.data, s->r.text.len);
				return -1;
			}
			/* the text with its [CODE]: callers look for TRYCREATE */
			imap_scan_rest(&sc, &rest, &len);
			resp_code(s, &sc);
			if (imap_tok_is(&t, "OK"))
				return 0;
			set_err(s, "server said", rest, len);
			return -1;
		}
		if (s->bye && !s->logout) {
			set_err(s, "server closed the session",
			    s->r.text.data, s->r.text.len);
			return -1;
		}
		/* a tag of an earlier pipelined command: nothing to do */
	}
}

int
imap_wait_done(struct imap *s, const char *tag)
{
	int	 r;

	if ((r = imap_wait(s, tag)) != 1)
		return r;
	/* the server now takes whatever we send next as data */
	set_err(s, "unexpected continuation request; the server waits "
	    "for data the command does not have", s->r.text.data,
	    s->r.text.len);
	s->broken = 1;
	return -1;
}

static int
imap_vsend(struct imap *s, char *tag, size_t taglen, const char *end,
    const char *fmt, va_list ap)
{
	char	 line[8192];
	int	 n;

	if (s->broken)
		return -1;	/* the error that broke it is in s->err */
	snprintf(tag, taglen, "a%u", ++s->tagn);
	/* RFC 3501 6.1.3: the server answers LOGOUT with BYE, then OK;
	 * only a BYE we did not ask for means trouble */
	if (strcmp(fmt, "LOGOUT") == 0)
		s->logout = 1;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		snprintf(s->err, sizeof(s->err), "command too long");
		return -1;
	}
	if (conn_printf(s->c, "%s %s%s", tag, line, end) == -1 ||
	    (*end != '\0' && conn_flush(s->c) == -1)) {
		snprintf(s->err, sizeof(s->err), "%s", conn_error(s->c));
		return -1;
	}
	return 0;
}

int
imap_send(struct imap *s, char *tag, size_t taglen, const char *fmt, ...)
{
	va_list	 ap;
	int	 rv;

	va_start(ap, fmt);
	rv = imap_vsend(s, tag, taglen, "\r\n", fmt, ap);
	va_end(ap);
	return rv;
}

int
imap_send_begin(struct imap *s, char *tag, size_t taglen, const char *fmt,
    ...)
{
	va_list	 ap;
	int	 rv;

	va_start(ap, fmt);
	rv = imap_vsend(s, tag, taglen, "", fmt, ap);
	va_end(ap);
	return rv;
}

int
imap_cmd(struct imap *s, const char *fmt, ...)
{
	char	 tag[16];
	va_list	 ap;
	int	 rv;

	va_start(ap, fmt);
	rv = imap_vsend(s, tag, sizeof(tag), "\r\n", fmt, ap);
	va_end(ap);
	if (rv == -1)
		return -1;
	return imap_wait_done(s, tag);
}

int
imap_uids_add(uint32_t **v, size_t *n, size_t *cap, uint32_t uid)
{
	uint32_t	*nv;
	size_t		 ncap;

	if (*n == *cap) {
		ncap = *cap == 0 ? 256 : *cap * 2;
		if ((nv = reallocarray(*v, ncap, sizeof(*nv))) == NULL)
			return -1;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = uid;
	return 0;
}

size_t
imap_uidset(const uint32_t *uids, size_t from, size_t to, char *out,
    size_t outlen)
{
	size_t	 i = from, j, len = 0;
	int	 n;

	out[0] = '\0';
	while (i < to) {
		for (j = i; j + 1 < to && uids[j + 1] == uids[j] + 1; j++)
			;
		if (j == i)
			n = snprintf(out + len, outlen - len, "%s%u",
			    len ? "," : "", uids[i]);
		else
			n = snprintf(out + len, outlen - len, "%s%u:%u",
			    len ? "," : "", uids[i], uids[j]);
		if (n < 0 || (size_t)n >= outlen - len)
			break;	/* the caller sends the rest next time */
		len += (size_t)n;
		i = j + 1;
	}
	return i;
}

/* The folder name quoted: as it is under UTF8=ACCEPT (RFC 6855 3),
 * else in modified UTF-7.  enc is as big as the biggest wire buffer
 * (4 * IMAP_FOLDER_MAX): an encoding that does not fit there fits no
 * caller's out either. */
int
imap_folder_quote(const struct imap *s, const char *utf8, char *out,
    size_t outlen)
{
	char	 enc[4 * IMAP_FOLDER_MAX];

	if (s->utf8_accept)
		return mime_utf8_valid(utf8, strlen(utf8)) ?
		    imap_quote(utf8, out, outlen) : -1;
	if (imap_mutf7_encode(utf8, enc, sizeof(enc)) == -1)
		return -1;
	return imap_quote(enc, out, outlen);
}

static int
imap_capability(struct imap *s)
{
	return imap_cmd(s, "CAPABILITY");
}

static int
imap_greeting(struct imap *s, int *preauth)
{
	struct imap_scan sc;
	struct imap_tok	 t;

	if (imap_read(s, IMAP_MAX_SHORT, 0) == -1)
		return -1;
	imap_scan_init(&sc, &s->r);
	if (imap_scan_next(&sc, &t) == -1 || !imap_tok_is(&t, "*") ||
	    imap_scan_next(&sc, &t) == -1) {
		set_err(s, "bad greeting", s->r.text.data, s->r.text.len);
		return -1;
	}
	*preauth = imap_tok_is(&t, "PREAUTH");
	if (!imap_tok_is(&t, "OK") && !*preauth) {
		set_err(s, "server refused the connection", s->r.text.data,
		    s->r.text.len);
		return -1;
	}
	resp_code(s, &sc);
	return 0;
}

static int
imap_starttls(struct imap *s, const struct tls_opts *tls)
{
	if (!(s->caps & CAP_STARTTLS)) {
		snprintf(s->err, sizeof(s->err), "server does not offer "
		    "STARTTLS (set tls implicit, or tls none at your own risk)");
		return -1;
	}
	if (imap_cmd(s, "STARTTLS") == -1)
		return -1;
	if (conn_starttls(s->c, tls) == -1) {
		snprintf(s->err, sizeof(s->err), "%s", conn_error(s->c));
		return -1;
	}
	/* what was said before TLS cannot be trusted */
	s->caps = 0;
	return imap_capability(s);
}

static enum auth_mech
imap_pick_auth(const struct imap *s)
{
	if (s->acct->ep.auth != AUTH_AUTO)
		return s->acct->ep.auth;
	/* auth = oauth2: OAUTHBEARER, the standard one (RFC 7628), where
	 * offered; else XOAUTH2, which older servers (Gmail's first) know */
	if (s->acct->ep.oauth2 != NULL)
		return (s->caps & CAP_AUTH_OAUTHB) ? AUTH_OAUTHBEARER :
		    AUTH_XOAUTH2;
	if (s->caps & CAP_AUTH_PLAIN)
		return AUTH_PLAIN;
	return AUTH_LOGIN;
}

/* AUTHENTICATE with an initial response (SASL-IR) or after "+". */
static int
imap_authenticate(struct imap *s, enum auth_mech am, const char *b64,
    const char *secret)
{
	const char	*mech = sasl_name(am);
	char		 tag[16], *resp;
	int		 r;

	if (s->caps & CAP_SASL_IR) {
		snprintf(tag, sizeof(tag), "a%u", ++s->tagn);
		if (conn_printf_secret(s->c, strlen(tag) + strlen(mech) + 15,
		    "%s AUTHENTICATE %s %s\r\n", tag, mech, b64) == -1 ||
		    conn_flush(s->c) == -1)
			goto connfail;
	} else {
		if (imap_send(s, tag, sizeof(tag), "AUTHENTICATE %s",
		    mech) == -1)
			return -1;
		if ((r = imap_wait(s, tag)) != 1)
			return r == 0 ? 0 : -1;
		if (conn_printf_secret(s->c, 0, "%s\r\n", b64) == -1 ||
		    conn_flush(s->c) == -1)
			goto connfail;
	}
	if ((r = imap_wait(s, tag)) == 1) {
		/* an error challenge (XOAUTH2/OAUTHBEARER): acknowledge it,
		 * then the server fails the command */
		if ((resp = sasl_response(am, 1, s->acct->ep.user, secret,
		    s->err, sizeof(s->err))) == NULL) {
			(void)conn_printf(s->c, "*\r\n");	/* cancel */
			(void)conn_flush(s->c);
			(void)imap_wait(s, tag);
			return -1;
		}
		r = conn_printf(s->c, "%s\r\n", resp);
		sasl_free(resp);
		if (r == -1 || conn_flush(s->c) == -1)
			goto connfail;
		r = imap_wait_done(s, tag);
	}
	return r == 0 ? 0 : -1;
connfail:
	snprintf(s->err, sizeof(s->err), "%s", conn_error(s->c));
	return -1;
}

static int
imap_login(struct imap *s, const char *secret)
{
	const struct endpoint	*ep = &s->acct->ep;
	enum auth_mech		 mech = imap_pick_auth(s);
	char			 user[1024], pass[1024], tag[16], *b64;
	int			 rv;

	if (mech == AUTH_LOGIN) {
		if (s->caps & CAP_LOGINDIS) {
			snprintf(s->err, sizeof(s->err), "server disabled "
			    "LOGIN (LOGINDISABLED); use TLS or another auth");
			return -1;
		}
		if (imap_quote(ep->user, user, sizeof(user)) == -1 ||
		    imap_quote(secret, pass, sizeof(pass)) == -1) {
			snprintf(s->err, sizeof(s->err), "user name or "
			    "password cannot be sent with LOGIN; set auth "
			    "plain");
			return -1;
		}
		snprintf(tag, sizeof(tag), "a%u", ++s->tagn);
		rv = conn_printf_secret(s->c, strlen(tag) + 7 + strlen(user),
		    "%s LOGIN %s %s\r\n", tag, user, pass);
		explicit_bzero(pass, sizeof(pass));
		if (rv == -1 || conn_flush(s->c) == -1) {
			snprintf(s->err, sizeof(s->err), "%s",
			    conn_error(s->c));
			return -1;
		}
		return imap_wait_done(s, tag);
	}
	if ((b64 = sasl_encode(mech, ep->user, secret)) == NULL) {
		snprintf(s->err, sizeof(s->err), "cannot build the %s "
		    "authentication", sasl_name(mech));
		return -1;
	}
	rv = imap_authenticate(s, mech, b64, secret);
	sasl_free(b64);
	return rv;
}

static int
imap_open(struct imap *s, int *preauth)
{
	const struct endpoint	*ep = &s->acct->ep;
	struct tls_opts		 tls = { ep->tls_verify, ep->tls_ca_file,
				    ep->tls_fingerprint };
	char			 prefix[256];

	if ((s->c = conn_open(ep->host, ep->port, IMAP_TIMEOUT_MS, s->err,
	    sizeof(s->err))) == NULL)
		return -1;
	snprintf(prefix, sizeof(prefix), "imap %s", s->acct->name);
	conn_set_trace(s->c, prefix, log_enabled(LOG_LEVEL_TRACE));
	/* on SIGTERM a stalled transfer is given up, not waited out */
	conn_set_stop(s->c, stop_requested);
	if (ep->tls == TLS_IMPLICIT && conn_starttls(s->c, &tls) == -1) {
		snprintf(s->err, sizeof(s->err), "%s", conn_error(s->c));
		return -1;
	}
	if (imap_greeting(s, preauth) == -1)
		return -1;
	/*
	 * PREAUTH puts the session in the authenticated state, where
	 * STARTTLS is not allowed (RFC 3501 6.2.1): going on would run it
	 * all in plaintext.  Anyone on the path can inject the greeting
	 * (CVE-2020-12398, CVE-2020-14093).
	 */
	if (ep->tls == TLS_STARTTLS && *preauth) {
		snprintf(s->err, sizeof(s->err), "the server greeted with "
		    "PREAUTH before STARTTLS, so the session cannot be secured "
		    "(a man in the middle may have injected it); refusing to "
		    "go on in plaintext; use tls implicit, or tls none only on "
		    "a network you trust");
		return -1;
	}
	if (s->caps == 0 && imap_capability(s) == -1)
		return -1;
	if (ep->tls == TLS_STARTTLS && imap_starttls(s, &tls) == -1)
		return -1;
	return 0;
}

/*
 * auth = oauth2: the token from oauth_token(), never a password.  A
 * refused login asks once more naming the refused token (revoked or
 * expired early: oauth_token() refreshes it) and tries once more on the
 * same connection, which a tagged NO leaves usable.
 */
static int
imap_login_oauth2(struct imap *s)
{
	char			*token, *again, err[512];
	enum oauth_status	 st;
	int			 rv;

	if (oauth_login_token(NULL, s->acct, OAUTH2_IMAP, NULL, &token, err,
	    sizeof(err)) != OAUTH_OK) {
		snprintf(s->err, sizeof(s->err), "%s", err);
		return -1;
	}
	rv = imap_login(s, token);
	if (rv == -1 && !s->broken && !s->bye) {
		log_debug("%s: token refused (%s); asking for a new one",
		    s->acct->name, s->err);
		st = oauth_login_token(NULL, s->acct, OAUTH2_IMAP, token,
		    &again, err, sizeof(err));
		if (st != OAUTH_OK)
			snprintf(s->err, sizeof(s->err), "%s", err);
		else {
			s->err[0] = '\0';
			rv = imap_login(s, again);
			oauth_token_free(again);
		}
	}
	oauth_token_free(token);
	return rv;
}

static int
imap_auth(struct imap *s)
{
	const struct endpoint	*ep = &s->acct->ep;
	char			*secret, err[512];
	int			 rv;

	if (!conn_is_tls(s->c) && !ep->allow_plaintext_auth) {
		snprintf(s->err, sizeof(s->err), "refusing to send "
		    "credentials in plaintext to %s (use tls implicit or "
		    "starttls, or set allow-plaintext-auth)", ep->host);
		return -1;
	}
	if (ep->oauth2 != NULL)
		rv = imap_login_oauth2(s);
	else {
		if ((secret = conf_secret(ep, err, sizeof(err))) == NULL) {
			snprintf(s->err, sizeof(s->err), "%s", err);
			return -1;
		}
		rv = imap_login(s, secret);
		conf_secret_free(secret);
	}
	if (rv == -1) {
		log_debug("%s: login failed: %s", s->acct->name, s->err);
		snprintf(s->err + strlen(s->err), sizeof(s->err) -
		    strlen(s->err), " (login as %s failed)", ep->user);
		return -1;
	}
	/* capabilities change after login (UIDPLUS, MOVE, IDLE...) */
	return imap_capability(s);
}

void
imap_session_init(struct imap *s, const struct account *acct,
    struct pipeline *pl)
{
	memset(s, 0, sizeof(*s));
	s->acct = acct;
	s->pl = pl;
	/* no pipeline: a session that fetches no body (imap-dest.c) */
	s->max_literal = (pl != NULL ? pipeline_max_size(pl) : 0) + 65536;
	imap_resp_init(&s->r);
}

/*
 * RFC 6855: with UTF8=ACCEPT enabled the server sends messages with
 * UTF-8 headers as stored; without it, it may downgrade them or serve
 * a notice instead (Courier does).  A refusal is no failure: the
 * session goes on in the old mode.
 */
static int
imap_enable_utf8(struct imap *s)
{
	if ((s->caps & (CAP_ENABLE | CAP_UTF8_ACCEPT)) !=
	    (CAP_ENABLE | CAP_UTF8_ACCEPT))
		return 0;
	if (imap_cmd(s, "ENABLE UTF8=ACCEPT") == -1) {
		if (s->broken || s->bye)
			return -1;
		log_debug("%s: ENABLE UTF8=ACCEPT refused: %s", s->acct->name,
		    s->err);
		s->err[0] = '\0';
		s->utf8_accept = 0;
	}
	return 0;
}

static int
imap_setup(struct imap *s)
{
	int	 preauth = 0;

	if (imap_open(s, &preauth) == -1)
		return -1;
	if (!preauth && imap_auth(s) == -1)
		return -1;
	return imap_enable_utf8(s);
}

/* Paced (net/pace.h): a thousand accounts starting at once would make
 * the server's logins time out; the slot is held until logged in. */
int
imap_session_start(struct imap *s)
{
	const struct endpoint	*ep = &s->acct->ep;
	struct pace_ticket	 t;
	int			 rv;

	if (pace_begin(ep->host, ep->port, stop_requested, &t) == -1) {
		snprintf(s->err, sizeof(s->err), "stopping");
		return -1;
	}
	/* tests/integration/test-pace.sh counts these: never more than
	 * connect-limit between the two */
	log_debug("%s: session setup begins", s->acct->name);
	rv = imap_setup(s);
	log_debug("%s: session setup ends", s->acct->name);
	pace_end(&t);
	return rv;
}

void
imap_session_free(struct imap *s)
{
	conn_close(s->c);
	imap_resp_free(&s->r);
	free(s->search);
	free(s->sizes);
	free(s->got);
	free(s->done);
}

int
imap_read_untagged(struct imap *s)
{
	struct imap_scan sc;

	if (imap_read(s, IMAP_MAX_LINE, s->max_literal) == -1)
		return -1;
	imap_scan_init(&sc, &s->r);
	if (s->r.text.len < 2 || memcmp(s->r.text.data, "* ", 2) != 0) {
		set_err(s, "unexpected response", s->r.text.data,
		    s->r.text.len);
		return -1;
	}
	sc.p += 2;
	if (untagged(s, &sc) == -1) {
		set_err(s, "malformed response", s->r.text.data, s->r.text.len);
		return -1;
	}
	return s->bye ? -1 : 0;
}

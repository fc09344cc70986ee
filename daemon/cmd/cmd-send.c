/* SPDX-License-Identifier: ISC */
/*
 * cmd-send.c - `mailsift send`: compose a message from the command line
 * (text, HTML, attachments) and send it through an smtp section of the
 * configuration, or write it out instead (--dry-run, -o FILE).  With
 * --raw FILE|-, send a message that exists as it is, as `sendmail -t`
 * would: recipients from --to/--cc or, with -t, from its To, Cc and Bcc
 * fields, its Bcc fields removed.  A configuration with smtp sections
 * only (no account) is enough.
 *
 * Exit status: 0 when every recipient was accepted, 75 (EX_TEMPFAIL)
 * when some were not but trying again later may work, 1 when a
 * recipient was refused for good or anything else went wrong, 2 for a
 * usage error.  Each recipient that did not get the message is named
 * on stderr with the server's reply.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "daemon/cmd/cmd.h"
#include "daemon/send/compose.h"
#include "daemon/conf/conf.h"
#include "daemon/util/log.h"
#include "daemon/util/mailfile.h"
#include "daemon/send/smtp.h"
#include "daemon/oauth/oauth.h"

/* Text read from stdin ("--text -"); files have no such limit. */
#define STDIN_MAX	(64 * 1024 * 1024)

struct send_opts {
	const char	*config;
	const char	*smtp;
	const char	*from;
	const char	*subject;
	const char	*text;
	const char	*html;
	const char	*output;
	const char	*raw;		/* --raw FILE, "-" for stdin */
	int		 extract;	/* -t: recipients from the message */
	int		 dry_run;
	int		 verbose;
	const char	**to, **cc, **attach;
	size_t		 nto, ncc, nattach;
};

/* What was read from files, released at the end. */
struct send_files {
	struct mailfile	 text, html;
	struct mailfile	*att;
	size_t		 natt;
	char		*stdin_text;
	size_t		 stdin_len;
};

/* Long options without a short one, beyond any character. */
enum {
	OPT_TO = 256,
	OPT_RAW
};

static void
send_usage(void)
{
	fprintf(stderr, "usage: mailsift send [-c FILE] [--smtp NAME] "
	    "[--from ADDR] --to ADDR [--to ADDR]...\n"
	    "\t[--cc ADDR]... --subject TEXT [--text FILE|-] [--html FILE]\n"
	    "\t[--attach FILE]... [--dry-run | -o FILE] [-v|-vv]\n"
	    "       mailsift send [-c FILE] [--smtp NAME] [--from ADDR] "
	    "--raw FILE|-\n"
	    "\t[-t] [--to ADDR]... [--cc ADDR]... [--dry-run | -o FILE] "
	    "[-v|-vv]\n");
}

/* --raw sends what it is given; the options that make a message do
 * not apply, and it needs someone to send to. */
static int
raw_opts_check(const struct send_opts *o)
{
	if (o->subject != NULL || o->text != NULL || o->html != NULL ||
	    o->nattach > 0) {
		fprintf(stderr, "mailsift: send: --raw sends the message as it "
		    "is: --subject, --text, --html and --attach do not apply\n");
		return -1;
	}
	if (!o->extract && o->nto == 0 && o->ncc == 0) {
		fprintf(stderr, "mailsift: send: --raw needs --to ADDR, or -t "
		    "to take the recipients from the message\n");
		return -1;
	}
	return 0;
}

static int
opts_parse(int argc, char **argv, struct send_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "smtp", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, OPT_TO },
		{ "raw", required_argument, NULL, OPT_RAW },
		{ "cc", required_argument, NULL, 'C' },
		{ "subject", required_argument, NULL, 'S' },
		{ "text", required_argument, NULL, 'T' },
		{ "html", required_argument, NULL, 'H' },
		{ "attach", required_argument, NULL, 'a' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	/* Room for every argument: no list can be longer. */
	o->to = calloc((size_t)argc, sizeof(*o->to));
	o->cc = calloc((size_t)argc, sizeof(*o->cc));
	o->attach = calloc((size_t)argc, sizeof(*o->attach));
	if (o->to == NULL || o->cc == NULL || o->attach == NULL) {
		fprintf(stderr, "mailsift: send: out of memory\n");
		return -1;
	}
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:o:tvh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->smtp = optarg;
			break;
		case 'f':
			o->from = optarg;
			break;
		case OPT_TO:
			o->to[o->nto++] = optarg;
			break;
		case OPT_RAW:
			o->raw = optarg;
			break;
		case 't':
			o->extract = 1;
			break;
		case 'C':
			o->cc[o->ncc++] = optarg;
			break;
		case 'S':
			o->subject = optarg;
			break;
		case 'T':
			o->text = optarg;
			break;
		case 'H':
			o->html = optarg;
			break;
		case 'a':
			o->attach[o->nattach++] = optarg;
			break;
		case 'n':
			o->dry_run = 1;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			send_usage();
			return 1;
		default:
			send_usage();
			return -1;
		}
	}
	/* like sendmail -t: the message on stdin */
	if (o->extract && o->raw == NULL)
		o->raw = "-";
	if (optind != argc || (o->raw != NULL && raw_opts_check(o) == -1) ||
	    (o->raw == NULL && ((o->nto == 0 && o->ncc == 0) ||
	    o->subject == NULL))) {
		send_usage();
		return -1;
	}
	return 0;
}

static void
opts_free(struct send_opts *o)
{
	free(o->to);
	free(o->cc);
	free(o->attach);
}

/* Several --to (or --cc) make one address list. */
static char *
list_join(const char **v, size_t n)
{
	size_t	 i, len = 1;
	char	*s;

	if (n == 0)
		return NULL;
	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 2;
	if ((s = malloc(len)) == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, ", ");
		strcat(s, v[i]);
	}
	return s;
}

static int
stdin_read(char **out, size_t *outlen)
{
	char	*buf = NULL, *nb;
	size_t	 len = 0, cap = 0, got;

	for (;;) {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			if (cap > STDIN_MAX + 1 ||
			    (nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, stdin);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(stdin)) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

static const char *
base_name(const char *path)
{
	const char	*slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

static int
files_read(const struct send_opts *o, struct send_files *f,
    struct compose_msg *m, struct compose_attachment *att)
{
	char	 err[1024];
	size_t	 i;

	if (o->text != NULL && strcmp(o->text, "-") == 0) {
		if (stdin_read(&f->stdin_text, &f->stdin_len) == -1) {
			fprintf(stderr, "mailsift: send: cannot read the text "
			    "from stdin (error, or over 64 MB)\n");
			return -1;
		}
		m->text = f->stdin_len > 0 ? f->stdin_text : "";
		m->text_len = f->stdin_len;
	} else if (o->text != NULL) {
		if (mailfile_open(&f->text, o->text, err, sizeof(err)) == -1)
			goto fail;
		m->text = f->text.data;
		m->text_len = f->text.len;
	}
	if (o->html != NULL) {
		if (mailfile_open(&f->html, o->html, err, sizeof(err)) == -1)
			goto fail;
		m->html = f->html.data;
		m->html_len = f->html.len;
	}
	for (i = 0; i < o->nattach; i++) {
		if (mailfile_open(&f->att[i], o->attach[i], err,
		    sizeof(err)) == -1)
			goto fail;
		f->natt = i + 1;
		att[i].filename = base_name(o->attach[i]);
		att[i].type = NULL;
		att[i].data = f->att[i].data;
		att[i].len = f->att[i].len;
	}
	m->att = att;
	m->natt = o->nattach;
	return 0;
fail:
	fprintf(stderr, "mailsift: send: %s\n", err);
	return -1;
}

static void
files_close(struct send_files *f)
{
	size_t	 i;

	/* A mailfile never opened is all zeroes: closing it is fine. */
	mailfile_close(&f->text);
	mailfile_close(&f->html);
	for (i = 0; i < f->natt; i++)
		mailfile_close(&f->att[i]);
	free(f->stdin_text);
}

static int
message_write(const struct send_opts *o, const struct mime_buf *msg)
{
	FILE	*fp = stdout;
	int	 ok;

	if (o->output != NULL && (fp = fopen(o->output, "w")) == NULL) {
		fprintf(stderr, "mailsift: send: %s: %s\n", o->output,
		    strerror(errno));
		return 1;
	}
	ok = fwrite(msg->data, 1, msg->len, fp) == msg->len;
	if (fp != stdout)
		ok = fclose(fp) == 0 && ok;
	else
		ok = fflush(fp) == 0 && ok;
	if (!ok) {
		fprintf(stderr, "mailsift: send: cannot write %s\n",
		    o->output != NULL ? o->output : "to stdout");
		return 1;
	}
	return 0;
}

static int
result_report(const struct smtp_result *res, char **rcpts)
{
	const struct smtp_rcpt_result	*r;
	size_t				 i;

	if (res->status == SMTP_OK) {
		log_info("sent to %zu recipient%s", res->naccepted,
		    res->naccepted == 1 ? "" : "s");
		return 0;
	}
	fprintf(stderr, "mailsift: send: %s\n", res->error);
	for (i = 0; i < res->nrcpts; i++) {
		r = &res->rcpts[i];
		if (r->status == SMTP_OK)
			continue;
		fprintf(stderr, "mailsift: send: %s: %s%s%s\n", rcpts[i],
		    smtp_status_name(r->status), r->reply[0] != '\0' ?
		    ": " : "", r->reply);
	}
	if (res->naccepted > 0)
		fprintf(stderr, "mailsift: send: %zu of %zu recipients got "
		    "the message\n", res->naccepted, res->nrcpts);
	return res->status == SMTP_TEMPFAIL ? EX_TEMPFAIL : 1;
}

/* from: the envelope sender, NULL for the smtp section's. */
static int
rcpts_send(const struct smtp_server *srv, const char *from, char **rcpts,
    size_t n, const struct mime_buf *msg)
{
	struct smtp_result	 res;
	int			 rc;

	smtp_send(srv, from, (const char *const *)rcpts, n, msg->data,
	    msg->len, &res);
	rc = result_report(&res, rcpts);
	smtp_result_free(&res);
	return rc;
}

static int
message_send(const struct smtp_server *srv, const char *to, const char *cc,
    const struct mime_buf *msg)
{
	const char		*lists[2];
	char			**rcpts, err[1024];
	size_t			 n;
	int			 rc;

	lists[0] = to;
	lists[1] = cc;
	if (compose_addrs(lists, 2, &rcpts, &n, err, sizeof(err)) == -1) {
		fprintf(stderr, "mailsift: send: %s\n", err);
		return 1;
	}
	rc = rcpts_send(srv, NULL, rcpts, n, msg);
	compose_addrs_free(rcpts);
	return rc;
}

static const struct smtp_server *
server_pick(const struct config *conf, const char *name, const char *file)
{
	const struct smtp_server	*srv;

	if (name == NULL) {
		if (conf->nsmtp > 0)
			return &conf->smtp[0];
		fprintf(stderr, "mailsift: send: %s has no smtp section\n",
		    file);
		return NULL;
	}
	if ((srv = config_smtp(conf, name)) == NULL)
		fprintf(stderr, "mailsift: send: %s has no smtp \"%s\" "
		    "section\n", file, name);
	return srv;
}

static struct config *
config_open(const struct send_opts *o, char *path, size_t pathlen)
{
	struct config	*conf;
	char		 err[1024];
	const char	*file = o->config;

	if (file == NULL) {
		if (config_default_path(path, pathlen) == -1) {
			fprintf(stderr, "mailsift: %s\n", path);
			return NULL;
		}
		file = path;
	} else
		snprintf(path, pathlen, "%s", file);
	/* sending needs an smtp section, not an account */
	if ((conf = config_load_opts(file, CONFIG_ACCOUNTS_OPTIONAL, err,
	    sizeof(err))) == NULL)
		fprintf(stderr, "mailsift: %s\n", err);
	/* auth = oauth2 in the smtp section finds its grant there */
	else if (oauth_session_init(conf->state) == -1) {
		fprintf(stderr, "mailsift: state path too long\n");
		config_free(conf);
		return NULL;
	}
	return conf;
}

/*
 * The configuration and the smtp server.  Writing the message out needs
 * neither, but a configuration that is named is loaded: it checks it
 * and gives the default From.
 */
static int
server_open(const struct send_opts *o, struct config **conf,
    const struct smtp_server **srv)
{
	char	 path[PATH_MAX];

	*conf = NULL;
	*srv = NULL;
	if ((o->dry_run || o->output != NULL) && o->config == NULL)
		return 0;
	if ((*conf = config_open(o, path, sizeof(path))) == NULL ||
	    (*srv = server_pick(*conf, o->smtp, path)) == NULL)
		return -1;
	return 0;
}

/* The message --raw names: a file, or stdin for "-". */
static int
raw_read(const struct send_opts *o, struct send_files *f, const char **msg,
    size_t *len)
{
	char	 err[1024];

	if (strcmp(o->raw, "-") == 0) {
		if (stdin_read(&f->stdin_text, &f->stdin_len) == -1) {
			fprintf(stderr, "mailsift: send: cannot read the "
			    "message from stdin (error, or over 64 MB)\n");
			return -1;
		}
		*msg = f->stdin_text;
		*len = f->stdin_len;
	} else {
		if (mailfile_open(&f->text, o->raw, err, sizeof(err)) == -1) {
			fprintf(stderr, "mailsift: send: %s\n", err);
			return -1;
		}
		*msg = f->text.data;
		*len = f->text.len;
	}
	if (*len == 0) {
		fprintf(stderr, "mailsift: send: %s: the message is empty\n",
		    strcmp(o->raw, "-") == 0 ? "stdin" : o->raw);
		return -1;
	}
	return 0;
}

/* --raw: the message as it is, but for its Bcc fields. */
static int
raw_run(const struct send_opts *o, struct send_files *f, const char *to,
    const char *cc)
{
	const struct smtp_server	*srv = NULL;
	struct config			*conf = NULL;
	struct mime_buf			 out;
	const char			*lists[2], *msg;
	char				**rcpts = NULL, err[1024];
	size_t				 len, n;
	int				 rc = 1;

	mime_buf_init(&out);
	lists[0] = to;
	lists[1] = cc;
	if (server_open(o, &conf, &srv) == -1 ||
	    raw_read(o, f, &msg, &len) == -1)
		goto done;
	if (compose_raw_recipients(msg, len, o->extract, lists, 2, &rcpts,
	    &n, err, sizeof(err)) == -1 ||
	    compose_raw_strip_bcc(msg, len, &out, err, sizeof(err)) == -1) {
		fprintf(stderr, "mailsift: send: %s\n", err);
		goto done;
	}
	if (o->dry_run || o->output != NULL)
		rc = message_write(o, &out);
	else
		rc = rcpts_send(srv, o->from, rcpts, n, &out);
done:
	compose_addrs_free(rcpts);
	mime_buf_free(&out);
	if (conf != NULL)
		config_free(conf);
	return rc;
}

static int
send_run(const struct send_opts *o, struct send_files *f,
    struct compose_attachment *att)
{
	const struct smtp_server	*srv = NULL;
	struct config			*conf = NULL;
	struct compose_msg		 m;
	struct mime_buf			 msg;
	char				 err[1024];
	char				*to, *cc;
	int				 rc = 1;

	memset(&m, 0, sizeof(m));
	mime_buf_init(&msg);
	to = list_join(o->to, o->nto);
	cc = list_join(o->cc, o->ncc);
	if ((o->nto > 0 && to == NULL) || (o->ncc > 0 && cc == NULL)) {
		fprintf(stderr, "mailsift: send: out of memory\n");
		goto done;
	}
	if (o->raw != NULL) {
		rc = raw_run(o, f, to, cc);
		goto done;
	}
	if (server_open(o, &conf, &srv) == -1)
		goto done;
	m.from = o->from != NULL ? o->from : srv != NULL ? srv->from : NULL;
	if (m.from == NULL) {
		fprintf(stderr, "mailsift: send: --from is needed without a "
		    "configuration\n");
		goto done;
	}
	m.to = to;
	m.cc = cc;
	m.subject = o->subject;
	if (files_read(o, f, &m, att) == -1)
		goto done;
	if (compose_message(&m, &msg, err, sizeof(err)) == -1) {
		fprintf(stderr, "mailsift: send: %s\n", err);
		goto done;
	}
	if (o->dry_run || o->output != NULL)
		rc = message_write(o, &msg);
	else
		rc = message_send(srv, to, cc, &msg);
done:
	mime_buf_free(&msg);
	free(to);
	free(cc);
	if (conf != NULL)
		config_free(conf);
	return rc;
}

int
cmd_send(int argc, char **argv)
{
	struct send_opts		 o;
	struct send_files		 f;
	struct compose_attachment	*att = NULL;
	int				 rc;

	memset(&o, 0, sizeof(o));
	memset(&f, 0, sizeof(f));
	if ((rc = opts_parse(argc, argv, &o)) != 0) {
		rc = rc == 1 ? 0 : 2;
		goto done;
	}
	log_init(0, o.verbose >= 2 ? LOG_LEVEL_TRACE : o.verbose == 1 ?
	    LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
	att = calloc(o.nattach + 1, sizeof(*att));
	f.att = calloc(o.nattach + 1, sizeof(*f.att));
	if (att == NULL || f.att == NULL) {
		fprintf(stderr, "mailsift: send: out of memory\n");
		rc = 1;
		goto done;
	}
	rc = send_run(&o, &f, att);
done:
	files_close(&f);
	free(f.att);
	free(att);
	opts_free(&o);
	return rc;
}

/* SPDX-License-Identifier: ISC */
/* Unit tests for the webhook target: the request formats and the key
 * (deliver/webhook-format.c), the commit that queues in the record
 * transaction and recovery (deliver/webhook.c, store/sqlite-queue.c and
 * pg-queue.c: MSX_STATE_URL, state-where.h), and
 * the drain's signature, classification and backoff
 * (act/webhook-send.c, net/http.c's Retry-After). */
#define _GNU_SOURCE		/* memmem(3) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "state-where.h"

#include "daemon/act/webhook-send.h"
#include "daemon/conf/conf.h"
#include "daemon/deliver/deliver.h"
#include "daemon/deliver/webhook-format.h"
#include "daemon/net/http.h"
#include "daemon/store/queue.h"
#include "daemon/store/state.h"

static const char msg[] =
    "From: A <a@example.org>\n"
    "To: b@example.org\n"
    "Subject: hello\n"
    "Message-ID: <w1@example.org>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=XX\n"
    "\n"
    "--XX\n"
    "Content-Type: multipart/alternative; boundary=YY\n"
    "\n"
    "--YY\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "caf=E9 body\n"
    "--YY\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<p>html body</p>\n"
    "--YY--\n"
    "--XX\n"
    "Content-Type: application/octet-stream\n"
    "Content-Disposition: attachment; filename=\"a\\\"b.bin\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "AAECAw==\n"
    "--XX\n"
    "Content-Type: image/png\n"
    "Content-Disposition: attachment; filename=\"big.png\"\n"
    "\n"
    "0123456789012345678901234567890123456789\n"
    "--XX--\n";

static const struct webhook_msg wmsg = {
	"0123456789abcdef0123456789abcdef", "acct", "INBOX", msg,
	sizeof(msg) - 1
};

static char *
format(enum webhook_format fmt, uint64_t max, const char **body,
    size_t *blen, char *ctype, size_t ctlen)
{
	char	*out, err[256];
	size_t	 len;

	if (webhook_format(fmt, max, &wmsg, &out, &len, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	if (fmt != WEBHOOK_MULTIPART)	/* binary files */
		assert_int_equal(strlen(out), len);
	assert_int_equal(webhook_entity_split(out, len, ctype, ctlen, body,
	    blen), 0);
	return out;
}

static void
test_format_raw(void **state)
{
	const char	*body;
	char		 ctype[128], *out;
	size_t		 blen;

	(void)state;
	out = format(WEBHOOK_RAW, 1 << 20, &body, &blen, ctype, sizeof(ctype));
	assert_string_equal(ctype, "message/rfc822");
	assert_int_equal(blen, sizeof(msg) - 1);
	assert_memory_equal(body, msg, blen);
	free(out);
}

static void
test_format_json(void **state)
{
	const char	*body;
	char		 ctype[128], *out;
	size_t		 blen;

	(void)state;
	out = format(WEBHOOK_JSON, 1 << 20, &body, &blen, ctype,
	    sizeof(ctype));
	assert_string_equal(ctype, "application/json");
	assert_non_null(strstr(body, "{\"delivery\":\"0123456789abcdef0123456"
	    "789abcdef\",\"account\":\"acct\",\"folder\":\"INBOX\",\"message\":"
	    "{\"file\":\"0123456789abcdef0123456789abcdef\",\"subject\":"
	    "\"hello\""));
	/* decoded, in UTF-8 */
	assert_non_null(strstr(body, "\"text\":\"caf\xc3\xa9 body\""));
	assert_non_null(strstr(body, "\"html\":\"<p>html body</p>\""));
	assert_non_null(strstr(body, "\"size\":4,\"inline\":true,"
	    "\"content_base64\":\"AAECAw==\"}"));
	assert_non_null(strstr(body, "\"filename\":\"big.png\""));
	assert_non_null(strstr(body, "\"size\":40,\"inline\":true,"
	    "\"content_base64\":\"MDEy"));
	free(out);
	/* max-size leaves room for the small one, but the JSON around it is
	 * larger than the message: none inline, so that it fits */
	out = format(WEBHOOK_JSON, sizeof(msg) - 1 + 10, &body, &blen, ctype,
	    sizeof(ctype));
	assert_null(strstr(body, "content_base64"));
	assert_non_null(strstr(body, "\"size\":4,\"inline\":false}"));
	free(out);
	/* no room: nothing inline */
	out = format(WEBHOOK_JSON, 0, &body, &blen, ctype, sizeof(ctype));
	assert_null(strstr(body, "content_base64"));
	free(out);
}

static void
test_format_multipart(void **state)
{
	static const char file1[] = "Content-Disposition: form-data; "
	    "name=\"attachment\"; filename=\"a_b.bin\"\r\nContent-Type: "
	    "application/octet-stream\r\n\r\n\x00\x01\x02\x03\r\n--mailsift-";
	static const char file2[] = "filename=\"big.png\"\r\nContent-Type: "
	    "image/png\r\n\r\n0123456789012345678901234567890123456789\r\n"
	    "--mailsift-";
	const char	*body;
	char		 ctype[128], *out;
	size_t		 blen;

	(void)state;
	out = format(WEBHOOK_MULTIPART, 1 << 20, &body, &blen, ctype,
	    sizeof(ctype));
	assert_string_equal(ctype, "multipart/form-data; boundary=mailsift-"
	    "0123456789abcdef0123456789abcdef");
	assert_memory_equal(body, "--mailsift-0123456789abcdef0123456789abcdef"
	    "\r\nContent-Disposition: form-data; name=\"message\"\r\n"
	    "Content-Type: application/json\r\n\r\n{\"delivery\":", 139);
	/* the JSON has no attachment inline: they are files */
	assert_null(strstr(body, "content_base64"));
	/* a quote in a file name cannot end the quoted-string */
	assert_non_null(memmem(body, blen, file1, sizeof(file1) - 1));
	assert_non_null(memmem(body, blen, file2, sizeof(file2) - 1));
	assert_int_equal(memcmp(body + blen - 47, "--mailsift-0123456789abcdef"
	    "0123456789abcdef--\r\n", 47), 0);
	free(out);
}

static void
test_entity_split_bad(void **state)
{
	const char	*body;
	char		 ctype[16];
	size_t		 blen;

	(void)state;
	assert_int_equal(webhook_entity_split("nothing", 7, ctype,
	    sizeof(ctype), &body, &blen), -1);
	assert_int_equal(webhook_entity_split("Content-Type: x/y no end", 24,
	    ctype, sizeof(ctype), &body, &blen), -1);
	assert_int_equal(webhook_entity_split("Content-Type: x/y\r\n\r\n", 21,
	    ctype, sizeof(ctype), &body, &blen), 0);
	assert_string_equal(ctype, "x/y");
	assert_int_equal(blen, 0);
}

static void
test_key(void **state)
{
	char	 a[33], b[33];

	(void)state;
	assert_int_equal(webhook_key("hook", "acct", "INBOX", 7, 42, NULL, a),
	    0);
	assert_int_equal(strlen(a), 32);
	assert_int_equal(webhook_key("hook", "acct", "INBOX", 7, 42, NULL, b),
	    0);
	assert_string_equal(a, b);	/* the same on every retry */
	assert_int_equal(webhook_key("hook", "acct", "INBOX", 7, 43, NULL, b),
	    0);
	assert_string_not_equal(a, b);
	assert_int_equal(webhook_key("other", "acct", "INBOX", 7, 42, NULL, b),
	    0);
	assert_string_not_equal(a, b);
	/* fields cannot run into each other */
	assert_int_equal(webhook_key("hook", "acctI", "NBOX", 7, 42, NULL, b),
	    0);
	assert_string_not_equal(a, b);
	assert_int_equal(webhook_key("hook", "acct", "", 0, 0, "UIDL1", a), 0);
	assert_int_equal(webhook_key("hook", "acct", "", 0, 0, "UIDL2", b), 0);
	assert_string_not_equal(a, b);
}

static void
test_sign(void **state)
{
	char	 out[128];

	(void)state;
	/* python3: hmac.new(b"s3cret", b"1700000000.hello",
	 * hashlib.sha256).hexdigest() */
	assert_int_equal(webhook_sign("s3cret", 1700000000, "hello", 5, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "t=1700000000,v1=babfa8b593140ee3160bea3821"
	    "0f8fea6712e1f6e073328eb52c4e965bc0ab8d");
	assert_int_equal(webhook_sign("key", 0, "", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "t=0,v1=85841b4efc3cd7776c3c8f9b7cca9e281c5"
	    "50e5d19889d78e9e669c6337f000d");
	assert_int_equal(webhook_sign("key", 0, "", 0, out, 20), -1);
}

static enum webhook_verdict
verdict(enum http_outcome o, long status)
{
	struct http_response	 r;

	memset(&r, 0, sizeof(r));
	r.outcome = o;
	r.status = status;
	r.retry_after = -1;
	return webhook_classify(&r);
}

static void
test_classify(void **state)
{
	(void)state;
	assert_int_equal(verdict(HTTP_ANSWERED, 200), WEBHOOK_DELIVERED);
	assert_int_equal(verdict(HTTP_ANSWERED, 202), WEBHOOK_DELIVERED);
	assert_int_equal(verdict(HTTP_ANSWERED, 204), WEBHOOK_DELIVERED);
	assert_int_equal(verdict(HTTP_ANSWERED, 400), WEBHOOK_PERMANENT);
	assert_int_equal(verdict(HTTP_ANSWERED, 401), WEBHOOK_PERMANENT);
	assert_int_equal(verdict(HTTP_ANSWERED, 404), WEBHOOK_PERMANENT);
	assert_int_equal(verdict(HTTP_ANSWERED, 413), WEBHOOK_PERMANENT);
	assert_int_equal(verdict(HTTP_ANSWERED, 301), WEBHOOK_PERMANENT);
	assert_int_equal(verdict(HTTP_ANSWERED, 408), WEBHOOK_RETRY);
	assert_int_equal(verdict(HTTP_ANSWERED, 429), WEBHOOK_RETRY);
	assert_int_equal(verdict(HTTP_ANSWERED, 500), WEBHOOK_RETRY);
	assert_int_equal(verdict(HTTP_ANSWERED, 503), WEBHOOK_RETRY);
	assert_int_equal(verdict(HTTP_ANSWERED, 599), WEBHOOK_RETRY);
	assert_int_equal(verdict(HTTP_TIMEOUT, 0), WEBHOOK_RETRY);
	assert_int_equal(verdict(HTTP_NETWORK, 0), WEBHOOK_RETRY);
}

static void
test_backoff(void **state)
{
	(void)state;
	assert_int_equal(webhook_backoff(0, 30, -1), 30);
	assert_int_equal(webhook_backoff(1, 30, -1), 60);
	assert_int_equal(webhook_backoff(3, 30, -1), 240);
	assert_int_equal(webhook_backoff(40, 30, -1), 6 * 3600);
	assert_int_equal(webhook_backoff(5, 30, 7), 7);	/* Retry-After */
	assert_int_equal(webhook_backoff(0, 30, 0), 0);
	assert_int_equal(webhook_backoff(0, 30, 999999), 86400);
}

static void
test_retry_after(void **state)
{
	(void)state;
	assert_int_equal(http_retry_after_parse("120", 0), 120);
	assert_int_equal(http_retry_after_parse("0", 0), 0);
	assert_int_equal(http_retry_after_parse("12x", 0), -1);
	assert_int_equal(http_retry_after_parse("", 0), -1);
	assert_int_equal(http_retry_after_parse("-5", 0), -1);
	assert_int_equal(http_retry_after_parse("99999999999999", 0), -1);
	/* 784111777 is Sun, 06 Nov 1994 08:49:37 GMT */
	assert_int_equal(http_retry_after_parse(
	    "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 60), 60);
	assert_int_equal(http_retry_after_parse(
	    "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 60), 0);
	assert_int_equal(http_retry_after_parse("Sunday soon", 0), -1);
}

/* The commit queues in the record transaction; recovery undoes. */
struct fixture {
	char		 dir[64];
	char		 path[128];
	struct state	*st;
	struct webhook	 w;
	struct config	 cfg;
	struct delivery_ctx ctx;
};

static int
setup(void **state)
{
	struct fixture	*f;
	char		 err[512];

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mswebhook.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/state.db", f->dir);
	f->st = state_open(state_test_fresh(f->path), 0, err, sizeof(err));
	assert_non_null(f->st);
	f->w.name = (char *)"hook";
	f->w.format = WEBHOOK_RAW;
	f->w.max_size = 1 << 20;
	f->cfg.webhooks = &f->w;
	f->cfg.nwebhooks = 1;
	f->ctx.cfg = &f->cfg;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[256];

	state_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* 1 if uid is recorded deletable (delivered for sure). */
static int
known(struct state *st, uint32_t uid)
{
	struct uidset	 u;
	char		 err[512];
	int		 r;

	memset(&u, 0, sizeof(u));
	if (state_uids_deletable(st, "acct", "INBOX", 7, &u, err,
	    sizeof(err)) == -1)
		return 0;	/* no folder yet */
	r = uidset_has(&u, uid);
	uidset_free(&u);
	return r;
}

/* What is due at the time now (a Unix time, 2033: everything queued
 * by the test). */
static size_t
queued_at(struct state *st, int64_t now, struct queue_entry **v)
{
	char	 err[512];
	size_t	 n;

	if (state_queue_due(st, "webhook", NULL, now, 16, v, &n, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	return n;
}

static size_t
queued(struct state *st, struct queue_entry **v)
{
	return queued_at(st, 2000000000, v);
}

static void
commit_one(struct fixture *f, uint32_t uid)
{
	struct msg_key		 key = { "acct", "INBOX", 7, uid, NULL };
	struct delivery_batch	*b;
	struct delivery		*dv;
	char			 err[512];

	dv = delivery_open(&f->ctx, "webhook:hook", NULL, err, sizeof(err));
	if (dv == NULL)
		fail_msg("%s", err);
	assert_non_null(b = delivery_batch_new(f->st));
	assert_int_equal(delivery_stage(b, dv, &key, msg, sizeof(msg) - 1, 0,
	    err, sizeof(err)), 0);
	if (delivery_batch_commit(b, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_true(delivery_batch_done(b, 0));
	assert_int_equal(strlen(delivery_batch_name(b, 0)), 32);
	delivery_batch_free(b);
	delivery_close(dv);
}

static void
test_commit_queues(void **state)
{
	struct fixture		*f = *state;
	struct queue_entry	*v;
	struct queue_counts	 c;
	char			 err[512], key[33];
	size_t			 n, i;

	commit_one(f, 42);
	assert_int_equal(n = queued(f->st, &v), 1);
	assert_int_equal(webhook_key("hook", "acct", "INBOX", 7, 42, NULL,
	    key), 0);
	assert_string_equal(v[0].key, key);
	assert_string_equal(v[0].target, "hook");
	assert_string_equal(v[0].account, "acct");
	assert_non_null(strstr(v[0].entry, "Content-Type: message/rfc822\r\n"
	    "\r\nFrom: A"));
	/* recorded delivered in the same transaction: not fetched again */
	assert_int_equal(known(f->st, 42), 1);
	/* the same delivery again (fetched again after a forget): one row */
	commit_one(f, 42);
	for (i = 0; i < n; i++)
		state_queue_entry_free(&v[i]);
	free(v);
	assert_int_equal(n = queued(f->st, &v), 1);
	/* outcomes */
	assert_int_equal(state_queue_retry(f->st, v[0].id, 2000000001,
	    "HTTP 500", err, sizeof(err)), 0);
	state_queue_entry_free(&v[0]);
	free(v);
	assert_int_equal(queued(f->st, &v), 0);	/* not due */
	free(v);
	assert_int_equal(queued_at(f->st, 2000000001, &v), 1);
	state_queue_entry_free(&v[0]);
	free(v);
	assert_int_equal(state_queue_has(f->st, key, err, sizeof(err)), 1);
	assert_int_equal(state_queue_has(f->st, "nope", err, sizeof(err)), 0);
	commit_one(f, 43);
	commit_one(f, 44);
	assert_int_equal(n = queued(f->st, &v), 2);
	assert_int_equal(state_queue_done(f->st, v[0].id, err, sizeof(err)), 0);
	assert_int_equal(state_queue_failed(f->st, v[1].id, "expired", "gone",
	    err, sizeof(err)), 0);
	for (i = 0; i < n; i++)
		state_queue_entry_free(&v[i]);
	free(v);
	assert_int_equal(state_queue_counts(f->st, "webhook", &c, err,
	    sizeof(err)), 0);
	assert_int_equal(c.queued, 1);
	assert_int_equal(c.delivered, 1);
	assert_int_equal(c.expired, 1);
	assert_int_equal(c.failed, 0);
}

/* An intent left by a crash: its record transaction, the row with it,
 * never committed; recovery gives the message back. */
static void
test_recover_undoes(void **state)
{
	struct fixture		*f = *state;
	struct state_intent	 in;
	struct queue_entry	*v;
	char			 err[512];

	memset(&in, 0, sizeof(in));
	in.account = strdup("acct");
	in.folder = strdup("INBOX");
	in.uidvalidity = 7;
	in.uid = 9;
	in.kind = STATE_WEBHOOK;
	in.path = strdup("hook");
	in.name = strdup("0123456789abcdef0123456789abcdef");
	in.time = 1700000000;
	assert_int_equal(state_intents_record(f->st, &in, 1, err,
	    sizeof(err)), 0);
	state_intent_clear(&in);
	assert_int_equal(delivery_recover(f->st, &f->cfg, err, sizeof(err)),
	    0);
	assert_int_equal(known(f->st, 9), 0);
	assert_int_equal(queued(f->st, &v), 0);
	free(v);
}

static void
test_open_refuses(void **state)
{
	struct fixture	*f = *state;
	char		 err[512];

	assert_null(delivery_open(&f->ctx, "webhook:nope", NULL, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "webhook 'nope' is not defined"));
	assert_null(delivery_open(NULL, "webhook:hook", NULL, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "needs the configuration"));
	assert_null(delivery_open(&f->ctx, "webhook:hook", "Archive", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "cannot deliver into folder Archive"));
}

/* A webhook section as configured, and what the parser refuses. */
static struct config *
load(struct fixture *f, const char *text, char *err, size_t errlen)
{
	char	 path[160];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/m.conf", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, 0600), 0);
	return config_load(path, err, errlen);
}

static void
test_config(void **state)
{
	struct fixture		*f = *state;
	const struct webhook	*w;
	struct config		*c;
	char			 err[1024];

	c = load(f, "webhook \"h\" {\n url = \"https://x.example/in\"\n"
	    " secret = \"k\"\n format = multipart\n timeout = 5\n"
	    " max-size = 1M\n headers = {\"Authorization: Bearer t\"}\n"
	    " retry-time = 600\n}\nwebhook \"d\" {\n url = \"http://y/\"\n"
	    " secret-command = \"echo k\"\n}\naccount \"a\" {\n type = stdin\n"
	    " deliver = \"webhook:h\"\n}\n", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_non_null(w = config_webhook(c, "h"));
	assert_string_equal(w->url, "https://x.example/in");
	assert_string_equal(w->ep.password, "k");
	assert_int_equal(w->format, WEBHOOK_MULTIPART);
	assert_int_equal(w->timeout, 5);
	assert_int_equal(w->max_size, 1024 * 1024);
	assert_int_equal(w->nheaders, 1);
	assert_string_equal(w->headers[0], "Authorization: Bearer t");
	assert_int_equal(w->retry_time, 600);
	assert_int_equal(w->ep.tls_verify, 1);
	assert_non_null(w = config_webhook(c, "d"));	/* the defaults */
	assert_int_equal(w->format, WEBHOOK_JSON);
	assert_int_equal(w->timeout, 30);
	assert_int_equal(w->max_size, 10 * 1024 * 1024);
	assert_int_equal(w->retry_time, 3 * 86400);
	assert_int_equal(w->retry_min, 30);
	assert_string_equal(w->ep.password_command, "echo k");
	assert_null(config_webhook(c, "nope"));
	config_free(c);

	assert_null(load(f, "webhook \"h\" {\n url = \"ftp://x/\"\n"
	    " secret = \"k\"\n}\n", err, sizeof(err)));
	assert_non_null(strstr(err, "must be an http:// or https:// URL"));
	assert_null(load(f, "webhook \"h\" {\n url = \"http://x/\"\n"
	    " secret = \"k\"\n headers = {\"X-Mailsift-Delivery: 1\"}\n}\n",
	    err, sizeof(err)));
	assert_non_null(strstr(err, "not one mailsift sets"));
	assert_null(load(f, "webhook \"h\" {\n url = \"http://x/\"\n"
	    " secret = \"k\"\n format = xml\n}\n", err, sizeof(err)));
	assert_non_null(strstr(err, "format: 'xml' is not valid"));
	assert_null(load(f, "webhook \"h\" {\n url = \"http://x/\"\n}\n"
	    "account \"a\" {\n type = stdin\n deliver = \"webhook:h\"\n}\n",
	    err, sizeof(err)));
	assert_non_null(strstr(err, "'secret-command' is required"));
	assert_null(load(f, "account \"a\" {\n type = stdin\n"
	    " deliver = \"webhook:h\"\n}\n", err, sizeof(err)));
	assert_non_null(strstr(err, "webhook 'h' is not defined"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_raw),
		cmocka_unit_test(test_format_json),
		cmocka_unit_test(test_format_multipart),
		cmocka_unit_test(test_entity_split_bad),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_sign),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test_setup_teardown(test_commit_queues, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_recover_undoes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_deliver.c - Maildir and mbox delivery, batches, failures
 * and crash recovery (daemon/deliver/deliver.c, maildir.c, mbox.c, recover.c).
 *
 * Disk full is real where the sandbox lets us mount a 64 KB tmpfs in a
 * private mount namespace (as root); otherwise that test is skipped and
 * RLIMIT_FSIZE (EFBIG, with SIGXFSZ ignored) drives the same failure and
 * truncate-back paths, which always run.  Crashes are a forked child
 * that _exit()s at a named step of the commit; the parent then recovers
 * and checks that every message is delivered exactly once or not at all
 * and, when not, that it is fetched again.
 */
#define _GNU_SOURCE		/* unshare(2) */

#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/tmpdir.h"

#include "daemon/deliver/deliver.h"
#include "daemon/store/state.h"

#define NMSG	3

struct fixture {
	char	 dir[64];
	char	 state[PATH_MAX];
	char	 maildir[PATH_MAX];
	char	 mbox[PATH_MAX];
	char	 target_md[PATH_MAX + 16];
	char	 target_mb[PATH_MAX + 16];
	char	*msg[NMSG];
	size_t	 len[NMSG];
};

struct mbox_msgs {
	char	*text[512];
	size_t	 len[512];
	char	*from[512];
	size_t	 n;
};

static char	 err[2048];

static void
rm_rf(const char *path)
{
	tmpdir_remove_at(AT_FDCWD, path);
}

static char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	assert_true(vasprintf(&s, fmt, ap) != -1);
	va_end(ap);
	return s;
}

static char *
read_file(const char *path, size_t *len)
{
	struct stat	 sb;
	char		*buf;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	assert_int_equal(fstat(fd, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	buf[sb.st_size] = '\0';
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

static void
write_file(const char *path, const char *data, size_t len)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void
append_file(const char *path, const char *data)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd != -1);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(close(fd), 0);
}

static size_t
dir_count(const char *path)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 n = 0;

	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
file_exists(const char *path)
{
	struct stat	 sb;

	return stat(path, &sb) == 0;
}

/* How many files in new/ and cur/ of dir hold exactly data. */
static size_t
maildir_copies(const char *dir, const char *data, size_t len)
{
	static const char *const subs[] = { "new", "cur" };
	struct dirent	*de;
	char		*path, *sub, *buf;
	size_t		 n = 0, i, flen;
	DIR		*d;

	for (i = 0; i < 2; i++) {
		sub = xasprintf("%s/%s", dir, subs[i]);
		if ((d = opendir(sub)) != NULL) {
			while ((de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				path = xasprintf("%s/%s", sub, de->d_name);
				buf = read_file(path, &flen);
				if (buf != NULL && flen == len &&
				    memcmp(buf, data, len) == 0)
					n++;
				free(buf);
				free(path);
			}
			closedir(d);
		}
		free(sub);
	}
	return n;
}

/* A message read back from an mbox: as written, with a final newline
 * added if it had none. */
static int
mbox_same(const char *text, size_t tlen, const char *data, size_t len)
{
	if (len > 0 && data[len - 1] != '\n')
		return tlen == len + 1 && memcmp(text, data, len) == 0 &&
		    text[len] == '\n';
	return tlen == len && memcmp(text, data, len) == 0;
}

/* An mboxrd reader: From_ lines start messages, one '>' comes off
 * ^>+From , and each message must end with the empty separator line. */
static void
mbox_parse(const char *path, struct mbox_msgs *m)
{
	char	*buf, *p, *end, *nl, *cur = NULL;
	size_t	 len, clen = 0, q;

	memset(m, 0, sizeof(*m));
	if ((buf = read_file(path, &len)) == NULL)
		return;
	p = buf;
	end = buf + len;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);	/* every line ends */
		if ((size_t)(nl - p) >= 5 && memcmp(p, "From ", 5) == 0) {
			if (cur != NULL) {
				assert_true(clen > 0 && cur[clen - 1] == '\n');
				m->text[m->n] = cur;
				m->len[m->n++] = clen - 1;
			}
			assert_true(m->n < 512);
			m->from[m->n] = strndup(p, (size_t)(nl - p));
			cur = malloc(len + 1);
			assert_non_null(cur);
			clen = 0;
			p = nl + 1;
			continue;
		}
		assert_non_null(cur);
		for (q = 0; p + q < nl && p[q] == '>'; q++)
			;
		if (q > 0 && (size_t)(nl - p) - q >= 5 &&
		    memcmp(p + q, "From ", 5) == 0)
			p++;
		memcpy(cur + clen, p, (size_t)(nl - p) + 1);
		clen += (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	if (cur != NULL) {
		/* the separator */
		assert_true(clen > 0 && cur[clen - 1] == '\n');
		m->text[m->n] = cur;
		m->len[m->n++] = clen - 1;
	}
	free(buf);
}

static void
mbox_msgs_free(struct mbox_msgs *m)
{
	size_t	 i;

	for (i = 0; i < m->n; i++) {
		free(m->text[i]);
		free(m->from[i]);
	}
	m->n = 0;
}

static size_t
mbox_copies(const char *path, const char *data, size_t len)
{
	struct mbox_msgs	 m;
	size_t			 i, n = 0;

	mbox_parse(path, &m);
	for (i = 0; i < m.n; i++)
		if (mbox_same(m.text[i], m.len[i], data, len))
			n++;
	mbox_msgs_free(&m);
	return n;
}

static int
setup(void **state)
{
	struct fixture	*f;
	char		*body;
	size_t		 i, o = 0;

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mailsift-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->state, sizeof(f->state), "%s/state/state.db", f->dir);
	snprintf(f->maildir, sizeof(f->maildir), "%s/Mail", f->dir);
	snprintf(f->mbox, sizeof(f->mbox), "%s/mail/inbox", f->dir);
	snprintf(f->target_md, sizeof(f->target_md), "maildir:%s",
	    f->maildir);
	snprintf(f->target_mb, sizeof(f->target_mb), "mbox:%s", f->mbox);
	f->msg[0] = xasprintf("Return-Path: <alice@example.org>\n"
	    "Message-ID: <1@test>\nSubject: one\n\nFrom the start\n"
	    ">From quoted\n>>From twice\nFrom\nFromage\n From indented\n"
	    "end\n");
	body = malloc(8192);
	assert_non_null(body);
	for (i = 0; i < 60; i++)
		o += (size_t)snprintf(body + o, 8192 - o, i % 10 == 3 ?
		    "From inside line %zu\n" : "line %zu of the body\n", i);
	f->msg[1] = xasprintf("Message-ID: <2@test>\nSubject: two\n\n%s",
	    body);
	free(body);
	f->msg[2] = xasprintf("Message-ID: <3@test>\nSubject: three\n\n"
	    "no newline at the end");
	for (i = 0; i < NMSG; i++)
		f->len[i] = strlen(f->msg[i]);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		*disk;
	size_t		 i;

	delivery_test_hook = NULL;
	/* test_disk_full's tmpfs, if it failed before unmounting it */
	disk = xasprintf("%s/disk", f->dir);
	(void)umount2(disk, MNT_DETACH);
	free(disk);
	rm_rf(f->dir);
	for (i = 0; i < NMSG; i++)
		free(f->msg[i]);
	free(f);
	return 0;
}

static struct msg_key
key_uid(const char *account, uint32_t uid)
{
	struct msg_key	 k = { account, "INBOX", 7, uid, NULL };

	return k;
}

static struct state *
st_open(struct fixture *f)
{
	struct state	*st;

	st = state_open(f->state, 0, err, sizeof(err));
	if (st == NULL)
		fail_msg("%s", err);
	return st;
}

static void
folder_begin(struct state *st, const char *account)
{
	assert_int_equal(state_folder_reset(st, account, "INBOX", 7, NULL,
	    err, sizeof(err)), 0);
}

/* Stage messages idx[0..n) with UIDs idx+1 and commit; returns commit's
 * result. */
static int
deliver_some(struct fixture *f, struct state *st, const char *target,
    const size_t *idx, size_t n, int flags)
{
	struct delivery_batch	*b;
	struct delivery		*dv;
	struct msg_key		 k;
	size_t			 i;
	int			 rv;

	dv = delivery_open(NULL, target, NULL, err, sizeof(err));
	if (dv == NULL)
		fail_msg("%s", err);
	b = delivery_batch_new(st);
	assert_non_null(b);
	for (i = 0; i < n; i++) {
		k = key_uid("acct", (uint32_t)idx[i] + 1);
		if (delivery_stage(b, dv, &k, f->msg[idx[i]], f->len[idx[i]],
		    flags, err, sizeof(err)) == -1)
			fail_msg("%s", err);
	}
	rv = delivery_batch_commit(b, err, sizeof(err));
	for (i = 0; i < n; i++)
		assert_int_equal(delivery_batch_done(b, i), rv == 0);
	delivery_batch_free(b);
	delivery_close(dv);
	return rv;
}

static void
test_maildir_byte_exact(void **state)
{
	static const size_t	 all[NMSG] = { 0, 1, 2 };
	struct fixture		*f = *state;
	struct state		*st = st_open(f);
	struct uidset		 set;
	char			*p;
	size_t			 i;

	folder_begin(st, "acct");
	assert_int_equal(deliver_some(f, st, f->target_md, all, NMSG, 0), 0);
	for (i = 0; i < NMSG; i++)
		assert_int_equal(maildir_copies(f->maildir, f->msg[i],
		    f->len[i]), 1);
	p = xasprintf("%s/tmp", f->maildir);
	assert_int_equal(dir_count(p), 0);
	free(p);
	p = xasprintf("%s/new", f->maildir);
	assert_int_equal(dir_count(p), NMSG);
	free(p);
	assert_int_equal(state_uids_delivered(st, "acct", "INBOX", 7, &set,
	    err, sizeof(err)), 0);
	assert_int_equal(set.n, NMSG);
	for (i = 0; i < NMSG; i++)
		assert_int_equal(set.v[i], i + 1);
	uidset_free(&set);
	state_close(st);
}

/* Names follow time.M<usec>P<pid>Q<n>.<host>,S=<size>, size after the
 * CRLF conversion, and the file holds the converted bytes. */
static void
test_maildir_crlf_and_name(void **state)
{
	static const char	 crlf[] = "Message-ID: <c@test>\r\n"
	    "Subject: crlf\r\n\r\nline\r\nlone\rcr\r\nlast";
	static const char	 lf[] = "Message-ID: <c@test>\n"
	    "Subject: crlf\n\nline\nlone\rcr\nlast";
	struct fixture		*f = *state;
	struct state		*st = st_open(f);
	struct delivery_batch	*b;
	struct delivery		*dv;
	struct msg_key		 k = key_uid("acct", 9);
	const char		*name;
	char			 want[64], *p;
	long			 pid;

	folder_begin(st, "acct");
	dv = delivery_open(NULL, f->target_md, "INBOX", err, sizeof(err));
	assert_non_null(dv);
	assert_string_equal(delivery_path(dv), f->maildir);
	b = delivery_batch_new(st);
	assert_int_equal(delivery_stage(b, dv, &k, crlf, sizeof(crlf) - 1,
	    DELIVERY_CRLF, err, sizeof(err)), 0);
	assert_int_equal(delivery_batch_count(b), 1);
	assert_int_equal(delivery_batch_bytes(b), sizeof(crlf) - 1);
	assert_int_equal(delivery_batch_commit(b, err, sizeof(err)), 0);
	assert_true(delivery_batch_done(b, 0));
	name = delivery_batch_name(b, 0);
	snprintf(want, sizeof(want), ",S=%zu", sizeof(lf) - 1);
	assert_non_null(strstr(name, want));
	assert_non_null(strstr(name, ".M"));
	p = strchr(name, 'P');
	assert_non_null(p);
	pid = strtol(p + 1, &p, 10);
	assert_int_equal(pid, getpid());
	assert_int_equal(*p, 'Q');
	assert_int_equal(maildir_copies(f->maildir, lf, sizeof(lf) - 1), 1);
	delivery_batch_free(b);
	delivery_close(dv);
	state_close(st);
}

static void
test_digest(void **state)
{
	static const char	 crlf[] = "message-id:\r\n  <x@y>\r\n"
	    "Subject: s\r\n\r\nbody\r\n";
	static const char	 lf[] = "message-id:\n  <x@y>\n"
	    "Subject: s\n\nbody\n";
	static const char	 body[] = "Subject: s\n\nMessage-ID: <no>\n";
	struct msg_content	 a, b;

	(void)state;
	assert_int_equal(delivery_digest(crlf, sizeof(crlf) - 1,
	    DELIVERY_CRLF, &a), 0);
	assert_int_equal(delivery_digest(lf, sizeof(lf) - 1, 0, &b), 0);
	assert_int_equal(a.size, sizeof(lf) - 1);
	assert_int_equal(b.size, sizeof(lf) - 1);
	assert_memory_equal(a.sha256, b.sha256, sizeof(a.sha256));
	assert_string_equal(a.message_id, "<x@y>");
	assert_string_equal(b.message_id, "<x@y>");
	assert_true(a.hashed);
	/* a Message-ID in the body is not a header */
	assert_int_equal(delivery_digest(body, sizeof(body) - 1, 0, &a), 0);
	assert_string_equal(a.message_id, "");
	assert_int_equal(delivery_digest("", 0, 0, &a), 0);
	assert_int_equal(a.size, 0);
}

static void
test_folders(void **state)
{
	static const char *const bad[] = {
		"..", "a/../b", ".hidden", "a/.b", "a/", "/a", "a//b",
		"a\x01" "b", "tab\there", "a\x7f"
	};
	struct fixture	*f = *state;
	struct delivery	*dv;
	size_t		 i;
	char		*p;

	dv = delivery_open(NULL, f->target_md, "Archive/Invoices", err,
	    sizeof(err));
	assert_non_null(dv);
	p = xasprintf("%s/.Archive.Invoices", f->maildir);
	assert_string_equal(delivery_path(dv), p);
	free(p);
	delivery_close(dv);
	p = xasprintf("%s/.Archive.Invoices/maildirfolder", f->maildir);
	assert_true(file_exists(p));
	free(p);
	p = xasprintf("%s/.Archive.Invoices/cur", f->maildir);
	assert_true(file_exists(p));
	free(p);
	p = xasprintf("%s/new", f->maildir);	/* the root is a Maildir */
	assert_true(file_exists(p));
	free(p);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(delivery_folder_check(bad[i], err,
		    sizeof(err)), -1);
		assert_null(delivery_open(NULL, f->target_md, bad[i], err,
		    sizeof(err)));
		assert_non_null(strstr(err, "is not allowed"));
	}
	assert_int_equal(delivery_folder_check("Archive/2024", err,
	    sizeof(err)), 0);
	assert_int_equal(delivery_folder_check("lists.debian", err,
	    sizeof(err)), 0);
	/* an mbox folder is a file beside the mbox */
	dv = delivery_open(NULL, f->target_mb, "Archive/2024", err, sizeof(err));
	assert_non_null(dv);
	p = xasprintf("%s/mail/Archive/2024", f->dir);
	assert_string_equal(delivery_path(dv), p);
	free(p);
	delivery_close(dv);
	p = xasprintf("%s/mail/Archive", f->dir);
	assert_true(file_exists(p));
	free(p);
	assert_null(delivery_open(NULL, "mh:/x", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "maildir:PATH, mbox:PATH, lmtp:ADDRESS, "
	    "imap:ACCOUNT/FOLDER or webhook:NAME"));
	assert_null(delivery_open(NULL, "maildir:", NULL, err, sizeof(err)));
}

/* Files left in tmp/ for 36 hours go when a target is opened. */
static void
test_maildir_tmp_cleanup(void **state)
{
	struct fixture	*f = *state;
	struct delivery	*dv;
	struct timespec	 ts[2];
	char		*old, *fresh;

	dv = delivery_open(NULL, f->target_md, NULL, err, sizeof(err));
	assert_non_null(dv);
	delivery_close(dv);
	old = xasprintf("%s/tmp/1.M1P1Q1.host,S=1", f->maildir);
	fresh = xasprintf("%s/tmp/2.M1P1Q1.host,S=1", f->maildir);
	write_file(old, "x", 1);
	write_file(fresh, "x", 1);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 37 * 3600;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, old, ts, 0), 0);
	dv = delivery_open(NULL, f->target_md, NULL, err, sizeof(err));
	assert_non_null(dv);
	delivery_close(dv);
	assert_false(file_exists(old));
	assert_true(file_exists(fresh));
	free(old);
	free(fresh);
}

/* Stage a message into target without committing; the batch is left
 * open (a process killed before its intents were committed). */
static struct delivery_batch *
stage_only(struct fixture *f, struct state *st, struct delivery **dvp)
{
	struct delivery_batch	*b;
	struct msg_key		 k = key_uid("acct", 77);

	assert_non_null(*dvp = delivery_open(NULL, f->target_md, NULL, err,
	    sizeof(err)));
	assert_non_null(b = delivery_batch_new(st));
	if (delivery_stage(b, *dvp, &k, "Subject: s\n\nx\n", 15, 0, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	return b;
}

/* A child that stages a message into tmp/ and then either dies (kill
 * -9 before the intents were committed) or waits to be killed. */
static pid_t
stage_child(struct fixture *f, int die)
{
	struct delivery	*dv;
	struct state	*st;
	pid_t		 pid;
	int		 p[2], status;
	char		 c;

	assert_int_equal(pipe(p), 0);
	assert_int_not_equal(pid = fork(), -1);
	if (pid == 0) {
		close(p[0]);
		/* not outliving a failed test */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		st = st_open(f);
		(void)stage_only(f, st, &dv);
		if (write(p[1], "x", 1) != 1 || die)
			_exit(0);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	if (die)
		assert_int_equal(waitpid(pid, &status, 0), pid);
	return pid;
}

/*
 * Files staged into tmp/ by an earlier mailsift process on this host
 * that is gone are removed when a target is opened; those of a live
 * mailsift process (this one, another one) and those of another program
 * (a Dovecot-style name, even from a dead pid) stay.
 */
static void
test_maildir_tmp_orphans(void **state)
{
	struct fixture		*f = *state;
	struct state		*st = st_open(f);
	struct delivery_batch	*b;
	struct delivery		*dv, *dv2;
	char			*tmp, *other, host[256];
	pid_t			 live, dead;
	int			 status;

	folder_begin(st, "acct");
	tmp = xasprintf("%s/tmp", f->maildir);
	b = stage_only(f, st, &dv);	/* this process's own */
	live = stage_child(f, 0);
	dead = stage_child(f, 1);
	assert_int_equal(dir_count(tmp), 3);
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	other = xasprintf("%s/1700000000.M1P%ldQ1.%s,S=15", tmp, (long)dead,
	    host);
	write_file(other, "x", 1);
	assert_int_equal(dir_count(tmp), 4);
	assert_non_null(dv2 = delivery_open(NULL, f->target_md, NULL, err,
	    sizeof(err)));
	delivery_close(dv2);
	/* the dead child's file is gone, the rest stays */
	assert_int_equal(dir_count(tmp), 3);
	assert_true(file_exists(other));
	kill(live, SIGKILL);
	assert_int_equal(waitpid(live, &status, 0), live);
	assert_non_null(dv2 = delivery_open(NULL, f->target_md, NULL, err,
	    sizeof(err)));
	delivery_close(dv2);
	assert_int_equal(dir_count(tmp), 2);
	assert_true(file_exists(other));
	/* and what this process staged still commits */
	assert_int_equal(delivery_batch_commit(b, err, sizeof(err)), 0);
	assert_true(delivery_batch_done(b, 0));
	delivery_batch_free(b);
	delivery_close(dv);
	assert_int_equal(dir_count(tmp), 1);
	free(other);
	free(tmp);
	state_close(st);
}

/* "asctime" form: Www Mmm dd hh:mm:ss yyyy */
static void
assert_from_line(const char *line, const char *sender)
{
	const char	*d;
	size_t		 slen = strlen(sender);

	assert_memory_equal(line, "From ", 5);
	assert_memory_equal(line + 5, sender, slen);
	assert_int_equal(line[5 + slen], ' ');
	d = line + 6 + slen;
	assert_int_equal(strlen(d), 24);
	assert_non_null(strstr("SunMonTueWedThuFriSat", (char [4]){ d[0],
	    d[1], d[2], 0 }));
	assert_non_null(strstr("JanFebMarAprMayJunJulAugSepOctNovDec",
	    (char [4]){ d[4], d[5], d[6], 0 }));
	assert_true(d[3] == ' ' && d[7] == ' ' && d[10] == ' ' &&
	    d[13] == ':' && d[16] == ':' && d[19] == ' ');
	assert_true(d[9] >= '0' && d[9] <= '9' && d[20] >= '1');
}

static void
test_mbox_byte_exact(void **state)
{
	static const size_t	 all[NMSG] = { 0, 1, 2 };
	struct fixture		*f = *state;
	struct state		*st = st_open(f);
	struct mbox_msgs	 m;
	char			*raw, *lock;
	size_t			 len, i;

	folder_begin(st, "acct");
	assert_int_equal(deliver_some(f, st, f->target_mb, all, NMSG, 0), 0);
	raw = read_file(f->mbox, &len);
	assert_non_null(raw);
	/* quoting as stored, and nothing else touched */
	assert_non_null(strstr(raw, "\n>From the start\n>>From quoted\n"
	    ">>>From twice\nFrom\nFromage\n From indented\n"));
	assert_non_null(strstr(raw, "\n>From inside line 3\n"));
	/* the last message gained its newline, then the separator */
	assert_memory_equal(raw + len - 23, "no newline at the end\n\n", 23);
	free(raw);
	mbox_parse(f->mbox, &m);
	assert_int_equal(m.n, NMSG);
	for (i = 0; i < 2; i++) {
		assert_int_equal(m.len[i], f->len[i]);
		assert_memory_equal(m.text[i], f->msg[i], f->len[i]);
	}
	assert_int_equal(m.len[2], f->len[2] + 1);
	assert_memory_equal(m.text[2], f->msg[2], f->len[2]);
	assert_from_line(m.from[0], "alice@example.org");
	assert_from_line(m.from[1], "MAILER-DAEMON");
	mbox_msgs_free(&m);
	lock = xasprintf("%s.lock", f->mbox);
	assert_false(file_exists(lock));
	free(lock);
	/* a second batch appends after the first */
	assert_int_equal(deliver_some(f, st, f->target_mb, all, 1, 0), 0);
	assert_int_equal(mbox_copies(f->mbox, f->msg[0], f->len[0]), 2);
	state_close(st);
}

static void
test_mbox_stale_locks(void **state)
{
	static const size_t	 one[1] = { 0 };
	struct fixture		*f = *state;
	struct state		*st = st_open(f);
	struct timespec		 ts[2];
	char			*lock, *txt, host[256];
	pid_t			 pid;

	folder_begin(st, "acct");
	assert_int_equal(deliver_some(f, st, f->target_mb, one, 1, 0), 0);
	lock = xasprintf("%s.lock", f->mbox);
	/* old: broken by age, whoever holds it */
	write_file(lock, "1:elsewhere\n", 12);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 3600;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, lock, ts, 0), 0);
	assert_int_equal(deliver_some(f, st, f->target_mb, one, 1, 0), 0);
	assert_false(file_exists(lock));
	/* fresh, but its process is dead */
	if ((pid = fork()) == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	gethostname(host, sizeof(host));
	txt = xasprintf("%ld:%s\n", (long)pid, host);
	write_file(lock, txt, strlen(txt));
	free(txt);
	assert_int_equal(deliver_some(f, st, f->target_mb, one, 1, 0), 0);
	assert_false(file_exists(lock));
	assert_int_equal(mbox_copies(f->mbox, f->msg[0], f->len[0]), 3);
	free(lock);
	state_close(st);
}

/* POP3 keys: recorded by UIDL. */
static void
test_pop3_uidl(void **state)
{
	struct fixture		*f = *state;
	struct state		*st = st_open(f);
	struct delivery_batch	*b;
	struct delivery		*dv;
	struct msg_key		 k = { "pop", NULL, 0, 0, "UIDL-1" };
	struct uidlset		 set;

	dv = delivery_open(NULL, f->target_md, NULL, err, sizeof(err));
	assert_non_null(dv);
	b = delivery_batch_new(st);
	assert_int_equal(delivery_stage(b, dv, &k, f->msg[0], f->len[0], 0,
	    err, sizeof(err)), 0);
	/* the same key twice in a batch is a bug of the caller */
	assert_int_equal(delivery_stage(b, dv, &k, f->msg[1], f->len[1], 0,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "staged twice"));
	assert_int_equal(delivery_batch_commit(b, err, sizeof(err)), -1);
	delivery_batch_clear(b);
	assert_int_equal(delivery_stage(b, dv, &k, f->msg[0], f->len[0], 0,
	    err, sizeof(err)), 0);
	assert_int_equal(delivery_batch_commit(b, err, sizeof(err)), 0);
	assert_int_equal(state_uidls_delivered(st, "pop", NULL, &set, err,
	    sizeof(err)), 0);
	assert_int_equal(set.n, 1);
	assert_true(uidlset_has(&set, "UIDL-1"));
	uidlset_free(&set);
	assert_int_equal(maildir_copies(f->maildir, f->msg[0], f->len[0]), 1);
	assert_int_equal(maildir_copies(f->maildir, f->msg[1], f->len[1]), 0);
	delivery_batch_free(b);
	delivery_close(dv);
	state_close(st);
}

struct thread_arg {
	struct fixture	*f;
	struct delivery	*md;
	struct delivery	*mb;
	const char	*account;
	int		 failed;
	char		 err[1024];
};

#define THREAD_MSGS	60

static char *
thread_msg(const char *account, int i)
{
	char	*s;

	if (asprintf(&s, "Subject: %s %d\n\nFrom %s, message %d\n", account,
	    i, account, i) == -1)
		return NULL;
	return s;
}

static void *
thread_run(void *p)
{
	struct thread_arg	*a = p;
	struct delivery_batch	*b;
	struct state		*st;
	struct msg_key		 k = { a->account, "INBOX", 1, 0, NULL };
	char			*m;
	int			 i;

	if ((st = state_open(a->f->state, 0, a->err, sizeof(a->err))) == NULL ||
	    state_folder_reset(st, a->account, "INBOX", 1, NULL, a->err,
	    sizeof(a->err)) == -1 || (b = delivery_batch_new(st)) == NULL) {
		a->failed = 1;
		state_close(st);
		return NULL;
	}
	for (i = 0; i < THREAD_MSGS && !a->failed; i++) {
		k.uid = (uint32_t)i + 1;
		if ((m = thread_msg(a->account, i)) == NULL ||
		    delivery_stage(b, i % 2 ? a->mb : a->md, &k, m, strlen(m),
		    0, a->err, sizeof(a->err)) == -1)
			a->failed = 1;
		free(m);
		if (!a->failed && (i % 10 == 9) &&
		    delivery_batch_commit(b, a->err, sizeof(a->err)) == -1)
			a->failed = 1;
		if (i % 10 == 9)
			delivery_batch_clear(b);
	}
	delivery_batch_free(b);
	state_close(st);
	return NULL;
}

/* Two threads, one Maildir and one mbox: distinct names, whole entries. */
static void
test_threads(void **state)
{
	struct fixture		*f = *state;
	struct thread_arg	 a[2];
	struct delivery		*md, *mb;
	pthread_t		 t[2];
	struct uidset		 set;
	struct state		*st;
	char			*m, *p;
	int			 i, j;

	md = delivery_open(NULL, f->target_md, NULL, err, sizeof(err));
	mb = delivery_open(NULL, f->target_mb, NULL, err, sizeof(err));
	assert_non_null(md);
	assert_non_null(mb);
	memset(a, 0, sizeof(a));
	for (i = 0; i < 2; i++) {
		a[i].f = f;
		a[i].md = md;
		a[i].mb = mb;
		a[i].account = i == 0 ? "one" : "two";
		assert_int_equal(pthread_create(&t[i], NULL, thread_run,
		    &a[i]), 0);
	}
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (i = 0; i < 2; i++) {
		if (a[i].failed)
			fail_msg("thread %d: %s", i, a[i].err);
	}
	p = xasprintf("%s/new", f->maildir);
	assert_int_equal(dir_count(p), THREAD_MSGS);
	free(p);
	for (i = 0; i < 2; i++) {
		for (j = 0; j < THREAD_MSGS; j++) {
			m = thread_msg(a[i].account, j);
			assert_int_equal(j % 2 ? mbox_copies(f->mbox, m,
			    strlen(m)) : maildir_copies(f->maildir, m,
			    strlen(m)), 1);
			free(m);
		}
	}
	st = st_open(f);
	assert_int_equal(state_uids_delivered(st, "two", "INBOX", 1, &set,
	    err, sizeof(err)), 0);
	assert_int_equal(set.n, THREAD_MSGS);
	uidset_free(&set);
	state_close(st);
	delivery_close(md);
	delivery_close(mb);
}

static void
assert_nothing_recorded(struct fixture *f)
{
	struct state_intent	*v;
	struct state		*st = st_open(f);
	struct uidset		 set;
	size_t			 n;

	assert_int_equal(state_uids_delivered(st, "acct", "INBOX", 7, &set,
	    err, sizeof(err)), 0);
	assert_int_equal(set.n, 0);
	uidset_free(&set);
	assert_int_equal(state_intents_pending(st, &v, &n, err, sizeof(err)),
	    0);
	assert_int_equal(n, 0);
	state_intents_free(v, n);
	state_close(st);
}

/* A target under a regular file: ENOTDIR, named. */
static void
test_open_errors(void **state)
{
	struct fixture	*f = *state;
	char		*file, *target;

	file = xasprintf("%s/plainfile", f->dir);
	write_file(file, "x", 1);
	target = xasprintf("maildir:%s/Mail", file);
	assert_null(delivery_open(NULL, target, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, file));
	assert_non_null(strstr(err, "not a directory"));
	free(target);
	target = xasprintf("mbox:%s/sub/inbox", file);
	assert_null(delivery_open(NULL, target, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, file));
	free(target);
	free(file);
}

/* Stage message 0 into dv and commit: the commit's result; the message
 * is done exactly when the commit succeeded. */
static int
deliver_to(struct state *st, struct delivery *dv)
{
	struct delivery_batch	*b;
	struct msg_key		 k = key_uid("acct", 40);
	int			 rv;

	assert_non_null(b = delivery_batch_new(st));
	if (delivery_stage(b, dv, &k, "Subject: s\n\nx\n", 15, 0, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	rv = delivery_batch_commit(b, err, sizeof(err));
	assert_int_equal(delivery_batch_done(b, 0), rv == 0);
	delivery_batch_free(b);
	return rv;
}

/* A link another local user planted: owned by someone else. */
static void
planted(const char *link)
{
	assert_int_equal(lchown(link, 65534, 65534), 0);
}

/* The directory holding path (a static buffer). */
static const char *
dirname_of(const char *path)
{
	static char	 buf[PATH_MAX];
	char		*slash;

	snprintf(buf, sizeof(buf), "%s", path);
	if ((slash = strrchr(buf, '/')) != NULL)
		*slash = '\0';
	return buf;
}

/* Deliver message 0 to target: the commit's result, or -1 with err set
 * when the target does not open. */
static int
deliver_target(struct state *st, const char *target)
{
	struct delivery	*dv;
	int		 rv;

	if ((dv = delivery_open(NULL, target, NULL, err, sizeof(err))) == NULL)
		return -1;
	rv = deliver_to(st, dv);
	delivery_close(dv);
	return rv;
}

/*
 * The trusted-path rule: a symlink is followed when it and the directory
 * holding it are ours (or root's) and no group or other user may write
 * that directory; a link in a world-writable (even sticky) directory or
 * one owned by another user is refused, naming the link, and so is a
 * trusted link whose target passes through an untrusted one.
 */
static void
test_symlinks_trusted(void **state)
{
	struct fixture	*f = *state;
	struct state	*st = st_open(f);
	char		*home, *disk, *real, *link, *pub, *victim, *target;

	folder_begin(st, "acct");
	home = xasprintf("%s/home", f->dir);
	disk = xasprintf("%s/disk", f->dir);
	real = xasprintf("%s/disk/Maildir", f->dir);
	pub = xasprintf("%s/pub", f->dir);
	victim = xasprintf("%s/victim", f->dir);
	assert_int_equal(mkdir(home, 0755), 0);
	assert_int_equal(mkdir(disk, 0755), 0);
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(mkdir(pub, 0700), 0);
	assert_int_equal(chmod(pub, 01777), 0);
	assert_int_equal(mkdir(victim, 0700), 0);
	/* ~/Maildir -> /disk/Maildir, ours in a 0755 directory of ours */
	link = xasprintf("%s/Maildir", home);
	assert_int_equal(symlink(real, link), 0);
	target = xasprintf("maildir:%s/Maildir", home);
	if (deliver_target(st, target) != 0)
		fail_msg("%s", err);
	assert_int_equal(dir_count(real), 3);	/* tmp new cur */
	free(target);
	target = xasprintf("%s/new", real);
	assert_int_equal(dir_count(target), 1);
	free(target);
	free(link);
	/* in a sticky world-writable directory */
	link = xasprintf("%s/Maildir", pub);
	assert_int_equal(symlink(victim, link), 0);
	target = xasprintf("maildir:%s/Maildir", pub);
	assert_int_equal(deliver_target(st, target), -1);
	assert_non_null(strstr(err, link));
	assert_non_null(strstr(err, "symlink"));
	free(target);
	/* a trusted link whose target goes through that one */
	free(link);
	link = xasprintf("%s/Other", home);
	assert_int_equal(symlink(pub, link), 0);
	target = xasprintf("maildir:%s/Other/Maildir/sub", home);
	assert_int_equal(deliver_target(st, target), -1);
	assert_non_null(strstr(err, "symlink"));
	free(target);
	/* owned by another user, in our own directory */
	free(link);
	link = xasprintf("%s/Theirs", home);
	assert_int_equal(symlink(victim, link), 0);
	planted(link);
	target = xasprintf("maildir:%s/Theirs", home);
	assert_int_equal(deliver_target(st, target), -1);
	assert_non_null(strstr(err, link));
	assert_non_null(strstr(err, "symlink"));
	free(target);
	assert_int_equal(dir_count(victim), 0);
	free(link);
	free(victim);
	free(pub);
	free(real);
	free(disk);
	free(home);
	state_close(st);
}

/*
 * A directory of the path that a sender's {from.domain} or a rule's
 * folder names, planted as a symlink: the target is refused with an
 * error naming the link, nothing is written through it, and nothing is
 * recorded, so the message stays for the next round.
 */
static void
test_symlinks(void **state)
{
	struct fixture	*f = *state;
	struct state	*st = st_open(f);
	struct delivery	*dv;
	char		*victim, *link, *target, *vfile, *txt;
	size_t		 len;

	folder_begin(st, "acct");
	victim = xasprintf("%s/victim", f->dir);
	assert_int_equal(mkdir(victim, 0700), 0);
	assert_int_equal(mkdir(f->maildir, 0700), 0);
	/* an intermediate directory of a Maildir target */
	link = xasprintf("%s/example.com", f->maildir);
	assert_int_equal(symlink(victim, link), 0);
	planted(link);
	target = xasprintf("maildir:%s/example.com/Maildir", f->maildir);
	dv = delivery_open(NULL, target, NULL, err, sizeof(err));
	if (dv != NULL)
		assert_int_equal(deliver_to(st, dv), -1);
	delivery_close(dv);
	assert_null(dv);
	assert_non_null(strstr(err, link));
	assert_non_null(strstr(err, "symlink"));
	free(target);
	/* an mbox below it */
	target = xasprintf("mbox:%s/example.com/box", f->maildir);
	dv = delivery_open(NULL, target, NULL, err, sizeof(err));
	if (dv != NULL)
		assert_int_equal(deliver_to(st, dv), -1);
	delivery_close(dv);
	free(target);
	/* a Maildir++ folder */
	target = xasprintf("%s/.Evil", f->maildir);
	assert_int_equal(symlink(victim, target), 0);
	planted(target);
	free(target);
	dv = delivery_open(NULL, f->target_md, "Evil", err, sizeof(err));
	if (dv != NULL)
		assert_int_equal(deliver_to(st, dv), -1);
	delivery_close(dv);
	assert_null(dv);
	assert_non_null(strstr(err, "symlink"));
	/* an mbox folder's directory, and the mbox file itself */
	free(link);
	link = xasprintf("%s/mail", f->dir);
	assert_int_equal(mkdir(link, 0700), 0);
	free(link);
	link = xasprintf("%s/mail/Lists", f->dir);
	assert_int_equal(symlink(victim, link), 0);
	planted(link);
	dv = delivery_open(NULL, f->target_mb, "Lists/debian", err, sizeof(err));
	if (dv != NULL)
		assert_int_equal(deliver_to(st, dv), -1);
	delivery_close(dv);
	vfile = xasprintf("%s/file", victim);
	write_file(vfile, "keep\n", 5);
	free(link);
	link = xasprintf("%s/mail/Evil", f->dir);
	assert_int_equal(symlink(vfile, link), 0);
	/* this one in a directory that others may write */
	assert_int_equal(chmod(dirname_of(link), 0777), 0);
	dv = delivery_open(NULL, f->target_mb, "Evil", err, sizeof(err));
	if (dv != NULL) {
		assert_int_equal(deliver_to(st, dv), -1);
		delivery_close(dv);
	}
	assert_non_null(strstr(err, "symlink"));
	/* nothing went through any of the links */
	assert_int_equal(dir_count(victim), 1);
	txt = read_file(vfile, &len);
	assert_non_null(txt);
	assert_int_equal(len, 5);
	assert_memory_equal(txt, "keep\n", 5);
	free(txt);
	free(vfile);
	free(link);
	free(victim);
	state_close(st);
	assert_nothing_recorded(f);
}

/* tmp/ vanishes under an open target: staging fails, names the path,
 * and the batch records nothing. */
static void
test_stage_failure(void **state)
{
	struct fixture		*f = *state;
	struct state		*st = st_open(f);
	struct delivery_batch	*b;
	struct delivery		*dv;
	struct msg_key		 k1 = key_uid("acct", 1);
	struct msg_key		 k2 = key_uid("acct", 2);
	char			*tmp;

	folder_begin(st, "acct");
	dv = delivery_open(NULL, f->target_md, NULL, err, sizeof(err));
	assert_non_null(dv);
	b = delivery_batch_new(st);
	assert_int_equal(delivery_stage(b, dv, &k1, f->msg[0], f->len[0], 0,
	    err, sizeof(err)), 0);
	tmp = xasprintf("%s/tmp", f->maildir);
	rm_rf(tmp);
	assert_int_equal(delivery_stage(b, dv, &k2, f->msg[1], f->len[1], 0,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, f->maildir));
	assert_non_null(strstr(err, "cannot create tmp/"));
	assert_int_equal(delivery_batch_commit(b, err, sizeof(err)), -1);
	assert_false(delivery_batch_done(b, 0));
	delivery_batch_free(b);
	delivery_close(dv);
	state_close(st);
	assert_nothing_recorded(f);
	assert_int_equal(maildir_copies(f->maildir, f->msg[0], f->len[0]), 0);
	free(tmp);
}

static struct delivery_batch	*hook_batch;
static char			 hook_dir[PATH_MAX];

/* After the first rename, the second message's file disappears. */
static void
hook_unlink_second(const char *step, size_t n)
{
	char	 path[PATH_MAX * 2];

	if (strcmp(step, "published") != 0 || n != 1)
		return;
	snprintf(path, sizeof(path), "%s/tmp/%s", hook_dir,
	    delivery_batch_name(hook_batch, 1));
	if (unlink(path) == -1)
		abort();
}

/* A rename fails midway: what was renamed is delivered and recorded,
 * the rest is taken back and its intents dropped. */
static void
test_rename_failure(void **state)
{
	struct fixture		*f = *state;
	struct state		*st = st_open(f);
	struct delivery_batch	*b;
	struct delivery		*dv;
	struct state_intent	*v;
	struct msg_key		 k;
	struct uidset		 set;
	size_t			 i, n;
	char			*p;

	folder_begin(st, "acct");
	dv = delivery_open(NULL, f->target_md, NULL, err, sizeof(err));
	assert_non_null(dv);
	b = delivery_batch_new(st);
	for (i = 0; i < NMSG; i++) {
		k = key_uid("acct", (uint32_t)i + 1);
		assert_int_equal(delivery_stage(b, dv, &k, f->msg[i], f->len[i],
		    0, err, sizeof(err)), 0);
	}
	hook_batch = b;
	snprintf(hook_dir, sizeof(hook_dir), "%s", f->maildir);
	delivery_test_hook = hook_unlink_second;
	assert_int_equal(delivery_batch_commit(b, err, sizeof(err)), -1);
	delivery_test_hook = NULL;
	assert_non_null(strstr(err, "cannot move tmp/"));
	assert_true(delivery_batch_done(b, 0));
	assert_false(delivery_batch_done(b, 1));
	assert_false(delivery_batch_done(b, 2));
	assert_int_equal(maildir_copies(f->maildir, f->msg[0], f->len[0]), 1);
	assert_int_equal(maildir_copies(f->maildir, f->msg[2], f->len[2]), 0);
	p = xasprintf("%s/tmp", f->maildir);
	assert_int_equal(dir_count(p), 0);
	free(p);
	assert_int_equal(state_uids_delivered(st, "acct", "INBOX", 7, &set,
	    err, sizeof(err)), 0);
	assert_int_equal(set.n, 1);
	assert_int_equal(set.v[0], 1);
	uidset_free(&set);
	assert_int_equal(state_intents_pending(st, &v, &n, err, sizeof(err)),
	    0);
	assert_int_equal(n, 0);
	state_intents_free(v, n);
	delivery_batch_free(b);
	delivery_close(dv);
	state_close(st);
}

/* A big message so that a 64 KB disk fills. */
static char *
big_msg(size_t size, int tag)
{
	char	*m;
	size_t	 i;

	m = malloc(size + 1);
	assert_non_null(m);
	i = (size_t)snprintf(m, size, "Subject: big %d\n\n", tag);
	for (; i < size; i++)
		m[i] = (i % 64 == 63) ? '\n' : 'a' + (char)(i % 26);
	m[size] = '\0';
	return m;
}

static int
tmpfs_mount(const char *dir)
{
	if (unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700") == -1)
		return -1;
	return 0;
}

/* Disk full for real: a 64 KB tmpfs. */
static void
test_disk_full(void **state)
{
	struct fixture		*f = *state;
	struct delivery_batch	*b;
	struct delivery		*dv;
	struct state		*st;
	struct msg_key		 k;
	char			*disk, *target, *mbox, *before, *after, *m;
	size_t			 blen, alen, staged, j;
	int			 i, rv;

	disk = xasprintf("%s/disk", f->dir);
	assert_int_equal(mkdir(disk, 0700), 0);
	if (tmpfs_mount(disk) == -1) {
		free(disk);
		skip();		/* no privilege here: EFBIG covers it */
	}
	st = st_open(f);
	folder_begin(st, "acct");

	/* Maildir: the write into tmp/ fails */
	target = xasprintf("maildir:%s/Mail", disk);
	dv = delivery_open(NULL, target, NULL, err, sizeof(err));
	assert_non_null(dv);
	b = delivery_batch_new(st);
	rv = 0;
	for (i = 0; i < 4 && rv == 0; i++) {
		m = big_msg(30000, i);
		k = key_uid("acct", (uint32_t)i + 1);
		rv = delivery_stage(b, dv, &k, m, strlen(m), 0, err,
		    sizeof(err));
		free(m);
	}
	assert_int_equal(rv, -1);
	assert_non_null(strstr(err, "disk full"));
	assert_non_null(strstr(err, disk));
	/* what fitted is delivered, the message that did not is not */
	staged = (size_t)i - 1;
	assert_true(staged >= 1);
	assert_int_equal(delivery_batch_commit(b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "disk full"));
	for (j = 0; j < staged; j++)
		assert_true(delivery_batch_done(b, j));
	delivery_batch_free(b);
	delivery_close(dv);
	free(target);
	target = xasprintf("%s/Mail/tmp", disk);
	assert_int_equal(dir_count(target), 0);
	free(target);
	target = xasprintf("%s/Mail/new", disk);
	assert_int_equal(dir_count(target), staged);
	free(target);
	target = xasprintf("%s/Mail", disk);
	rm_rf(target);	/* the file system is empty again */
	free(target);

	/* mbox: the append fails, the file is cut back byte for byte */
	mbox = xasprintf("%s/inbox", disk);
	m = big_msg(20000, 9);
	write_file(mbox, m, strlen(m));
	free(m);
	before = read_file(mbox, &blen);
	target = xasprintf("mbox:%s", mbox);
	dv = delivery_open(NULL, target, NULL, err, sizeof(err));
	assert_non_null(dv);
	b = delivery_batch_new(st);
	for (i = 0; i < 3; i++) {
		m = big_msg(20000, i);
		k = key_uid("acct", (uint32_t)i + 1);
		assert_int_equal(delivery_stage(b, dv, &k, m, strlen(m), 0,
		    err, sizeof(err)), 0);
		free(m);
	}
	/* the whole batch does not fit: halves do, down to one message */
	assert_int_equal(delivery_batch_commit(b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "disk full"));
	assert_non_null(strstr(err, mbox));
	assert_true(delivery_batch_done(b, 0));
	assert_false(delivery_batch_done(b, 2));
	staged = delivery_batch_done(b, 1) ? 2 : 1;
	delivery_batch_free(b);
	delivery_close(dv);
	after = read_file(mbox, &alen);
	assert_true(alen > blen);
	assert_memory_equal(after, before, blen);
	for (i = 0; i < 3; i++) {
		m = xasprintf("Subject: big %d\n", i);
		assert_int_equal(memmem(after + blen, alen - blen, m,
		    strlen(m)) != NULL, (size_t)i < staged);
		free(m);
	}
	free(target);
	target = xasprintf("%s.lock", mbox);
	assert_false(file_exists(target));
	state_close(st);
	assert_int_equal(umount2(disk, MNT_DETACH), 0);
	free(target);
	free(before);
	free(after);
	free(mbox);
	free(disk);
}

/* RLIMIT_FSIZE: EFBIG in the middle of an append, and of a Maildir
 * write; the same cleanup paths as a full disk. */
static void
test_file_too_large(void **state)
{
	struct fixture		*f = *state;
	struct delivery_batch	*b;
	struct delivery		*dv;
	struct state		*st = st_open(f);
	struct rlimit		 old, lim;
	struct msg_key		 k;
	char			*before, *after, *m, *p, *lock;
	size_t			 blen, alen;
	int			 i;

	folder_begin(st, "acct");
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);

	/* an mbox of 1 MB, room for one and a half more entries */
	m = big_msg(1 << 20, 0);
	p = xasprintf("%s/mail", f->dir);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	write_file(f->mbox, m, strlen(m));
	free(m);
	before = read_file(f->mbox, &blen);
	dv = delivery_open(NULL, f->target_mb, NULL, err, sizeof(err));
	assert_non_null(dv);
	b = delivery_batch_new(st);
	for (i = 0; i < 3; i++) {
		m = big_msg(20000, i);
		k = key_uid("acct", (uint32_t)i + 1);
		assert_int_equal(delivery_stage(b, dv, &k, m, strlen(m), 0,
		    err, sizeof(err)), 0);
		free(m);
	}
	lim = old;
	lim.rlim_cur = (rlim_t)blen + 30000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(delivery_batch_commit(b, err, sizeof(err)), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_non_null(strstr(err, "file too large"));
	assert_non_null(strstr(err, f->mbox));
	delivery_batch_free(b);
	delivery_close(dv);
	after = read_file(f->mbox, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	lock = xasprintf("%s.lock", f->mbox);
	assert_false(file_exists(lock));
	free(lock);

	/* a Maildir file over the limit */
	dv = delivery_open(NULL, f->target_md, NULL, err, sizeof(err));
	assert_non_null(dv);
	b = delivery_batch_new(st);
	m = big_msg(50000, 1);
	k = key_uid("acct", 1);
	lim.rlim_cur = 10000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(delivery_stage(b, dv, &k, m, strlen(m), 0, err,
	    sizeof(err)), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	free(m);
	assert_non_null(strstr(err, "file too large"));
	delivery_batch_free(b);
	delivery_close(dv);
	p = xasprintf("%s/tmp", f->maildir);
	assert_int_equal(dir_count(p), 0);
	free(p);
	signal(SIGXFSZ, SIG_DFL);
	state_close(st);
	assert_nothing_recorded(f);
	free(before);
	free(after);
}

/*
 * Crashes.  The child stages the three messages and commits with a hook
 * that _exit()s at one step; "staged" means it exits before committing.
 */
struct crash {
	const char	*step;
	size_t		 n;
	int		 present[NMSG];	/* after recovery */
};

static const struct crash maildir_crashes[] = {
	{ "staged", 0, { 0, 0, 0 } },
	{ "locked", 0, { 0, 0, 0 } },
	{ "journaled", 3, { 0, 0, 0 } },
	{ "synced", 0, { 0, 0, 0 } },
	{ "published", 1, { 1, 0, 0 } },
	{ "published", 2, { 1, 1, 0 } },
	{ "published", 3, { 1, 1, 1 } },
	{ "dirsynced", 0, { 1, 1, 1 } },
	{ "unlocked", 0, { 1, 1, 1 } },
	{ "recorded", 3, { 1, 1, 1 } },
};

static const struct crash mbox_crashes[] = {
	{ "staged", 0, { 0, 0, 0 } },
	{ "locked", 1, { 0, 0, 0 } },
	{ "journaled", 3, { 0, 0, 0 } },
	{ "appended", 1, { 1, 0, 0 } },
	{ "appended", 2, { 1, 1, 0 } },
	{ "appended", 3, { 1, 1, 1 } },
	{ "mbox-synced", 3, { 1, 1, 1 } },
	{ "unlocked", 1, { 1, 1, 1 } },
	{ "recorded", 3, { 1, 1, 1 } },
};

static const struct crash	*crash_at;

static void
crash_hook(const char *step, size_t n)
{
	if (strcmp(step, crash_at->step) == 0 && n == crash_at->n)
		_exit(0);
}

static void
crash_child(struct fixture *f, const char *target)
{
	struct delivery_batch	*b;
	struct delivery		*dv;
	struct state		*st;
	struct msg_key		 k;
	char			 e[1024];
	size_t			 i;

	if ((st = state_open(f->state, 0, e, sizeof(e))) == NULL ||
	    state_folder_reset(st, "acct", "INBOX", 7, NULL, e,
	    sizeof(e)) == -1)
		_exit(10);
	if ((dv = delivery_open(NULL, target, NULL, e, sizeof(e))) == NULL ||
	    (b = delivery_batch_new(st)) == NULL)
		_exit(11);
	for (i = 0; i < NMSG; i++) {
		k = key_uid("acct", (uint32_t)i + 1);
		if (delivery_stage(b, dv, &k, f->msg[i], f->len[i], 0, e,
		    sizeof(e)) == -1)
			_exit(12);
	}
	if (strcmp(crash_at->step, "staged") == 0)
		_exit(0);
	delivery_test_hook = crash_hook;
	(void)delivery_batch_commit(b, e, sizeof(e));
	_exit(13);	/* the step never came */
}

static size_t
copies(struct fixture *f, int mbox, size_t i)
{
	return mbox ? mbox_copies(f->mbox, f->msg[i], f->len[i]) :
	    maildir_copies(f->maildir, f->msg[i], f->len[i]);
}

static void
crash_run(struct fixture *f, const struct crash *c, int mbox,
    void (*damage)(struct fixture *))
{
	int	 status;
	pid_t	 pid;

	crash_at = c;
	if ((pid = fork()) == 0)
		crash_child(f, mbox ? f->target_mb : f->target_md);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("crash at %s %zu: child exited %d", c->step, c->n,
		    WEXITSTATUS(status));
	if (damage != NULL)
		damage(f);
}

/* Recover, check exactly once or not at all, fetch again what is not
 * recorded, and check exactly once for all. */
static void
crash_check(struct fixture *f, const struct crash *c, int mbox)
{
	static const size_t	 idx[NMSG] = { 0, 1, 2 };
	struct state_intent	*v;
	struct state		*st = st_open(f);
	struct uidset		 set;
	size_t			 i, n, again[NMSG], nagain = 0;
	char			*p;

	print_message("crash at %s %zu (%s)\n", c->step, c->n,
	    mbox ? "mbox" : "maildir");
	if (delivery_recover(st, NULL, err, sizeof(err)) == -1)
		fail_msg("recover: %s", err);
	assert_int_equal(state_intents_pending(st, &v, &n, err, sizeof(err)),
	    0);
	assert_int_equal(n, 0);
	state_intents_free(v, n);
	assert_int_equal(state_uids_delivered(st, "acct", "INBOX", 7, &set,
	    err, sizeof(err)), 0);
	for (i = 0; i < NMSG; i++) {
		assert_int_equal(copies(f, mbox, i), (size_t)c->present[i]);
		assert_int_equal(uidset_has(&set, (uint32_t)i + 1),
		    c->present[i]);
		if (!c->present[i])
			again[nagain++] = idx[i];
	}
	uidset_free(&set);
	if (nagain > 0)
		assert_int_equal(deliver_some(f, st, mbox ? f->target_mb :
		    f->target_md, again, nagain, 0), 0);
	for (i = 0; i < NMSG; i++)
		assert_int_equal(copies(f, mbox, i), 1);
	p = mbox ? xasprintf("%s.lock", f->mbox) :
	    xasprintf("%s/tmp", f->maildir);
	if (mbox)
		assert_false(file_exists(p));
	else	/* the dead child's files staged without an intent too */
		assert_int_equal(dir_count(p), 0);
	free(p);
	state_close(st);
}

static void
crash_reset(struct fixture *f)
{
	char	*p;

	rm_rf(f->maildir);
	rm_rf(f->mbox);
	p = xasprintf("%s/state", f->dir);
	rm_rf(p);
	free(p);
}

static void
test_crash_maildir(void **state)
{
	struct fixture	*f = *state;
	size_t		 i;

	for (i = 0; i < sizeof(maildir_crashes) / sizeof(maildir_crashes[0]);
	    i++) {
		crash_run(f, &maildir_crashes[i], 0, NULL);
		crash_check(f, &maildir_crashes[i], 0);
		crash_reset(f);
	}
}

static void
test_crash_mbox(void **state)
{
	struct fixture	*f = *state;
	size_t		 i;

	for (i = 0; i < sizeof(mbox_crashes) / sizeof(mbox_crashes[0]); i++) {
		crash_run(f, &mbox_crashes[i], 1, NULL);
		crash_check(f, &mbox_crashes[i], 1);
		crash_reset(f);
	}
}

/* A reader moved every message from new/ to cur/ and flagged it seen. */
static void
read_all(struct fixture *f)
{
	struct dirent	*de;
	char		*dir, *from, *to;
	DIR		*d;

	dir = xasprintf("%s/new", f->maildir);
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		from = xasprintf("%s/%s", dir, de->d_name);
		to = xasprintf("%s/cur/%s:2,S", f->maildir, de->d_name);
		assert_int_equal(rename(from, to), 0);
		free(from);
		free(to);
	}
	closedir(d);
	free(dir);
}

static void
test_crash_maildir_read(void **state)
{
	static const struct crash	 c = { "published", 2, { 1, 1, 0 } };
	struct fixture			*f = *state;
	char				*p;

	crash_run(f, &c, 0, read_all);
	crash_check(f, &c, 0);
	p = xasprintf("%s/cur", f->maildir);
	assert_int_equal(dir_count(p), 2);
	free(p);
}

/* Where the second entry starts: after the first one's separator. */
static size_t
second_entry(const char *buf)
{
	const char	*p = strstr(buf + 1, "\n\nFrom ");

	assert_non_null(p);
	return (size_t)(p - buf) + 2;
}

/* The file ends halfway through the second entry. */
static void
tear_second(struct fixture *f)
{
	char	*buf;
	size_t	 len, off;

	buf = read_file(f->mbox, &len);
	assert_non_null(buf);
	off = second_entry(buf);
	assert_int_equal(truncate(f->mbox, (off_t)(off + (len - off) / 2)),
	    0);
	free(buf);
}

static const char foreign[] =
    "\nFrom bob@example.org Thu Nov 27 10:00:00 2025\n"
    "Subject: foreign\n\nhello\n\n";

/* ... and then another program appended a message of its own. */
static void
tear_second_and_append(struct fixture *f)
{
	tear_second(f);
	append_file(f->mbox, foreign);
}

static void
test_crash_mbox_torn(void **state)
{
	static const struct crash	 torn = { "appended", 2, { 1, 0, 0 } };
	struct fixture			*f = *state;
	char				*buf;
	size_t				 len, off;

	crash_run(f, &torn, 1, tear_second);
	buf = read_file(f->mbox, &len);
	off = second_entry(buf);
	free(buf);
	crash_check(f, &torn, 1);
	/* cut back exactly to the torn entry, then appended anew */
	buf = read_file(f->mbox, &len);
	assert_int_equal(second_entry(buf), off);
	assert_memory_equal(buf + off, "From ", 5);
	free(buf);
	crash_reset(f);

	/* a foreign message after the torn entry is never cut away */
	crash_run(f, &torn, 1, tear_second_and_append);
	crash_check(f, &torn, 1);
	assert_int_equal(mbox_copies(f->mbox, "Subject: foreign\n\nhello\n",
	    24), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_maildir_byte_exact,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_maildir_crlf_and_name,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_maildir_tmp_orphans,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_maildir_tmp_cleanup,
		    setup, teardown),
		cmocka_unit_test(test_digest),
		cmocka_unit_test_setup_teardown(test_folders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mbox_byte_exact, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mbox_stale_locks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pop3_uidl, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_trusted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_symlinks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stage_failure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rename_failure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_file_too_large, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crash_maildir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crash_maildir_read, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crash_mbox, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crash_mbox_torn, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

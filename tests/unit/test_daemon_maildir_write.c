/* SPDX-License-Identifier: ISC */
/*
 * test_daemon_maildir_write.c - the one-pass writer of Maildir files
 * (daemon/deliver/maildir-write.c): bytes on disk and SHA-256 are those of the
 * converted message, whatever the size, with and without O_DIRECT and
 * CRLF conversion, across block and buffer boundaries; and staging a
 * message big enough for O_DIRECT records the same content as the
 * independent digest (delivery_digest) says.
 */
#define _GNU_SOURCE		/* O_DIRECT */

#include <sys/stat.h>

#include <errno.h>
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
#include <openssl/evp.h>

#include "daemon/deliver/deliver.h"
#include "daemon/deliver/maildir-write.h"
#include "daemon/deliver/target.h"

/* The writer's buffer is 1 MiB and direct writes go in 4 KiB blocks. */
#define MIB	(1024 * 1024)

static char	 dir[64];
static char	 err[1024];

static void
rm_md(void)
{
	static const char *const subs[] = { "tmp", "new", "cur", "" };
	char	 p[128];
	size_t	 i;

	for (i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/md/%s", dir, subs[i]);
		(void)rmdir(p);
	}
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/msx-mdw.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	 p[128];

	(void)state;
	snprintf(p, sizeof(p), "%s/f", dir);
	(void)unlink(p);
	return rmdir(dir);
}

/* The reference conversion: every CR of a CRLF dropped. */
static size_t
to_lf(const char *in, size_t len, char *out)
{
	size_t	 i, o = 0;

	for (i = 0; i < len; i++)
		if (!(in[i] == '\r' && i + 1 < len && in[i + 1] == '\n'))
			out[o++] = in[i];
	return o;
}

/* len bytes of text: lines of varying length ending in CRLF, a lone CR
 * now and then, and a CRLF split across each 1 MiB boundary. */
static char *
make_text(size_t len)
{
	char	*p = malloc(len + 1);
	size_t	 i;
	unsigned r = 12345;

	assert_non_null(p);
	for (i = 0; i < len; i++) {
		r = r * 1103515245 + 12345;
		p[i] = (char)('a' + (r >> 16) % 26);
		if ((r >> 8) % 61 == 0 && i + 1 < len) {
			p[i] = '\r';
			p[++i] = '\n';
		} else if ((r >> 8) % 997 == 0)
			p[i] = '\r';
	}
	for (i = MIB - 1; i + 1 < len; i += MIB) {
		p[i] = '\r';
		p[i + 1] = '\n';
	}
	return p;
}

static void
sha256_of(const char *p, size_t len, unsigned char *out)
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new();

	assert_non_null(md);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(md, p, len), 1);
	assert_int_equal(EVP_DigestFinal_ex(md, out, NULL), 1);
	EVP_MD_CTX_free(md);
}

static void
check_one(struct maildir_writer *dv, size_t len, int direct, int flags)
{
	char		 path[128], *in, *want, *got;
	unsigned char	 sha[32], wsha[32];
	size_t		 wlen;
	struct stat	 sb;
	int		 fd;

	in = make_text(len);
	want = malloc(len + 1);
	got = malloc(len + 1);
	assert_true(want != NULL && got != NULL);
	wlen = flags & DELIVERY_CRLF ? to_lf(in, len, want) : len;
	if (!(flags & DELIVERY_CRLF))
		memcpy(want, in, len);
	snprintf(path, sizeof(path), "%s/f", dir);
	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | (direct ? O_DIRECT : 0),
	    0600);
	if (fd == -1 && direct && errno == EINVAL) {
		/* this file system has no O_DIRECT: the cached path it is */
		direct = 0;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	}
	assert_true(fd != -1);
	assert_int_equal(maildir_write(dv, fd, direct, in, len, flags, sha),
	    0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal((size_t)sb.st_size, wlen);
	fd = open(path, O_RDONLY);
	assert_true(fd != -1);
	assert_int_equal(read(fd, got, len + 1), (ssize_t)wlen);
	close(fd);
	assert_memory_equal(got, want, wlen);
	sha256_of(want, wlen, wsha);
	assert_memory_equal(sha, wsha, sizeof(sha));
	free(in);
	free(want);
	free(got);
}

static void
test_write_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 4095, 4096, 4097, 8192,
	    MIB - 1, MIB, MIB + 1, MIB + 4096, 3 * MIB + 123 };
	struct maildir_writer dv;
	size_t		 i;
	int		 direct, crlf;

	(void)state;
	memset(&dv, 0, sizeof(dv));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (direct = 0; direct <= 1; direct++)
			for (crlf = 0; crlf <= 1; crlf++)
				check_one(&dv, sizes[i], direct,
				    crlf ? DELIVERY_CRLF : 0);
	maildir_writer_free(&dv);
}

/* A write error comes back as -1 with its errno, direct or not. */
static void
test_write_error(void **state)
{
	struct maildir_writer dv;
	unsigned char	 sha[32];
	char		*in = make_text(MIB);
	int		 fd;

	(void)state;
	memset(&dv, 0, sizeof(dv));
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd != -1);
	errno = 0;
	assert_int_equal(maildir_write(&dv, fd, 1, in, MIB, DELIVERY_CRLF,
	    sha), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(maildir_write(&dv, fd, 0, in, MIB, 0, sha), -1);
	assert_int_equal(errno, EBADF);
	close(fd);
	free(in);
	maildir_writer_free(&dv);
}

/* Staging a big message writes it directly, and records the content
 * (size, SHA-256, Message-ID) that the independent digest computes. */
static void
test_stage_content(void **state)
{
	static const size_t sizes[] = { 1000, MAILDIR_DIRECT_MIN + 77,
	    2 * MIB + 5 };
	struct msg_content want;
	struct delivery	*dv;
	struct staged	 s;
	char		 target[128], path[256], *in, *got;
	size_t		 i, len, n;
	int		 fd;

	(void)state;
	snprintf(target, sizeof(target), "maildir:%s/md", dir);
	dv = delivery_open(NULL, target, NULL, err, sizeof(err));
	assert_non_null(dv);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		len = sizes[i];
		in = make_text(len);
		memcpy(in, "Message-ID: <big@test>\r\n", 24);
		assert_int_equal(delivery_digest(in, len, DELIVERY_CRLF,
		    &want), 0);
		memset(&s, 0, sizeof(s));
		assert_int_equal(target_maildir.stage(dv, &s, in, len, DELIVERY_CRLF,
		    err, sizeof(err)), 0);
		assert_int_equal(s.in.content.size, want.size);
		assert_memory_equal(s.in.content.sha256, want.sha256, 32);
		assert_string_equal(s.in.content.message_id, "<big@test>");
		assert_true(s.in.content.hashed);
		snprintf(path, sizeof(path), "%s/md/tmp/%s", dir, s.in.name);
		got = malloc(len + 1);
		assert_non_null(got);
		fd = open(path, O_RDONLY);
		assert_true(fd != -1);
		n = (size_t)read(fd, got, len + 1);
		close(fd);
		assert_int_equal(n, want.size);
		assert_int_equal(to_lf(in, len, in), n);
		assert_memory_equal(got, in, n);
		assert_int_equal(unlink(path), 0);
		free(s.in.name);
		free(got);
		free(in);
	}
	delivery_close(dv);
	rm_md();
}

/* Without a digest: size and Message-ID still, no SHA-256. */
static void
test_stage_no_digest(void **state)
{
	struct delivery	*dv;
	struct staged	 s;
	char		 target[128], path[256], *in;
	size_t		 len = MAILDIR_DIRECT_MIN + 4099;
	struct stat	 sb;

	(void)state;
	snprintf(target, sizeof(target), "maildir:%s/md", dir);
	dv = delivery_open(NULL, target, NULL, err, sizeof(err));
	assert_non_null(dv);
	in = make_text(len);
	memcpy(in, "Message-ID: <nd@test>\r\n", 23);
	memset(&s, 0, sizeof(s));
	assert_int_equal(target_maildir.stage(dv, &s, in, len, DELIVERY_CRLF |
	    DELIVERY_NO_DIGEST, err, sizeof(err)), 0);
	assert_false(s.in.content.hashed);
	assert_string_equal(s.in.content.message_id, "<nd@test>");
	assert_int_equal(s.in.content.size, to_lf(in, len, in));
	snprintf(path, sizeof(path), "%s/md/tmp/%s", dir, s.in.name);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal((uint64_t)sb.st_size, s.in.content.size);
	assert_int_equal(unlink(path), 0);
	free(s.in.name);
	free(in);
	delivery_close(dv);
	rm_md();
}

/* Only messages worth it go around the page cache. */
static void
test_direct_wanted(void **state)
{
	struct maildir_writer dv;

	(void)state;
	memset(&dv, 0, sizeof(dv));
	assert_false(maildir_direct_wanted(&dv, 4096));
	assert_false(maildir_direct_wanted(&dv, MAILDIR_DIRECT_MIN - 1));
	assert_true(maildir_direct_wanted(&dv, MAILDIR_DIRECT_MIN));
	dv.no_direct = 1;
	assert_false(maildir_direct_wanted(&dv, MAILDIR_DIRECT_MIN));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_sizes, setup,
		    teardown),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test_setup_teardown(test_stage_content, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stage_no_digest, setup,
		    teardown),
		cmocka_unit_test(test_direct_wanted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

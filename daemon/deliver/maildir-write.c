/* SPDX-License-Identifier: ISC */
/*
 * maildir-write.c - writing a message into its tmp/ file: line ends
 * converted, SHA-256 taken and bytes written in one pass.
 *
 * Messages of MAILDIR_DIRECT_MIN bytes or more are written with
 * O_DIRECT.  Nobody reads them back soon, and going around the page
 * cache saves the copy into it and its page allocations: on a VM whose
 * host backs memory lazily, 100 MB written through the page cache took
 * 0.3 s of CPU, and 0.03 s direct.  Durability is unchanged: the data
 * reaches the device during write(), and the batch's syncfs() writes
 * the metadata and flushes the device's cache as before.  The last
 * partial block goes through the page cache, and so does everything on
 * file systems that refuse O_DIRECT.
 */
#define _GNU_SOURCE		/* O_DIRECT */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "daemon/deliver/maildir-write.h"
#include "daemon/deliver/target-util.h"

/* Offsets, lengths and memory of O_DIRECT writes are multiples of
 * this: the largest logical block size in common use. */
#define DIRECT_ALIGN	4096
#define WBUF_SIZE	(1024 * 1024)

void
maildir_writer_free(struct maildir_writer *mw)
{
	free(mw->wbuf);
	mw->wbuf = NULL;
}

int
maildir_direct_wanted(const struct maildir_writer *mw, uint64_t size)
{
	return !mw->no_direct && size >= MAILDIR_DIRECT_MIN;
}

static int
direct_off(int fd)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl & ~O_DIRECT);
}

/* Write p[0..n); a refused or short direct write turns O_DIRECT off
 * for the rest, which the page cache takes at any alignment. */
static int
wbuf_write(struct maildir_writer *mw, int fd, int *direct, const char *p,
    size_t n)
{
	ssize_t	 w;

	while (*direct && n > 0) {
		if ((w = write(fd, p, n)) == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno != EINVAL)
			return -1;
		if (w == -1 || (size_t)w < n) {
			if (direct_off(fd) == -1)
				return -1;
			*direct = 0;
			if (w == -1)
				mw->no_direct = 1;
		}
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		}
	}
	return delivery_write(fd, p, n);
}

/* Send out what wbuf holds: all of it through the page cache, or the
 * whole blocks directly (the tail too, if last, through the cache). */
static int
wbuf_flush(struct maildir_writer *mw, int fd, int *direct, size_t *have,
    int last)
{
	size_t	 whole = *have;

	if (*direct)
		whole &= ~(size_t)(DIRECT_ALIGN - 1);
	if (whole > 0 && wbuf_write(mw, fd, direct, mw->wbuf, whole) == -1)
		return -1;
	if (*have > whole && last) {
		if (*direct && direct_off(fd) == -1)
			return -1;
		*direct = 0;
		if (delivery_write(fd, mw->wbuf + whole, *have - whole) == -1)
			return -1;
		whole = *have;
	}
	memmove(mw->wbuf, mw->wbuf + whole, *have - whole);
	*have -= whole;
	return 0;
}

static int
write_through(struct maildir_writer *mw, int fd, int direct,
    const char *data, size_t len, int flags, EVP_MD_CTX *md)
{
	void	*p;
	size_t	 pos = 0, have = 0, n;

	if (mw->wbuf == NULL) {
		if (posix_memalign(&p, DIRECT_ALIGN, WBUF_SIZE) != 0) {
			errno = ENOMEM;
			return -1;
		}
		mw->wbuf = p;
	}
	while (pos < len) {
		if (flags & DELIVERY_CRLF)
			n = delivery_crlf_copy(data, len, &pos,
			    mw->wbuf + have, WBUF_SIZE - have);
		else {
			n = len - pos < WBUF_SIZE - have ? len - pos :
			    WBUF_SIZE - have;
			memcpy(mw->wbuf + have, data + pos, n);
			pos += n;
		}
		if (md != NULL && EVP_DigestUpdate(md, mw->wbuf + have, n) !=
		    1) {
			errno = EIO;
			return -1;
		}
		have += n;
		if (wbuf_flush(mw, fd, &direct, &have, pos == len) == -1)
			return -1;
	}
	return 0;
}

int
maildir_write(struct maildir_writer *mw, int fd, int direct,
    const char *data, size_t len, int flags, unsigned char *sha256)
{
	EVP_MD_CTX	*md = NULL;
	int		 rv = -1, e = EIO;

	if (sha256 != NULL && ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1))
		goto out;
	if (!direct && !(flags & DELIVERY_CRLF)) {
		/* nothing to convert or align: straight from the caller */
		if (md != NULL && EVP_DigestUpdate(md, data, len) != 1)
			goto out;
		if (delivery_write(fd, data, len) == -1) {
			e = errno;
			goto out;
		}
	} else if (write_through(mw, fd, direct, data, len, flags, md) ==
	    -1) {
		e = errno;
		goto out;
	}
	if (md == NULL || EVP_DigestFinal_ex(md, sha256, NULL) == 1)
		rv = 0;
out:
	EVP_MD_CTX_free(md);
	if (rv == -1)
		errno = e;
	return rv;
}

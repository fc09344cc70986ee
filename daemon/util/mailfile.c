/* SPDX-License-Identifier: ISC */
/* mailfile.c - message files in memory; see mailfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/util/mailfile.h"

/* Below this a read() is cheaper than setting up a mapping. */
#define MAP_THRESHOLD	(256 * 1024)

static int
read_all(int fd, char *buf, size_t len)
{
	ssize_t	 n;
	size_t	 off = 0;

	while (off < len) {
		n = read(fd, buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = EIO;	/* file shrank under us */
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

static int
map_file(struct mailfile *mf, int fd, size_t len)
{
	int	 flags = MAP_PRIVATE;

#ifdef MAP_POPULATE
	flags |= MAP_POPULATE;	/* one fault-in instead of one per page */
#endif
	mf->map = mmap(NULL, len, PROT_READ, flags, fd, 0);
	if (mf->map == MAP_FAILED) {
		mf->map = NULL;
		return -1;
	}
	mf->data = mf->map;
	return 0;
}

int
mailfile_open(struct mailfile *mf, const char *path, char *err,
    size_t errlen)
{
	struct stat	 st;
	int		 fd, saved;

	memset(mf, 0, sizeof(*mf));
	mf->data = "";
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	if (fstat(fd, &st) == -1)
		goto fail_fd;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail_fd;
	}
	if ((uintmax_t)st.st_size > SIZE_MAX / 2) {
		errno = EFBIG;
		goto fail_fd;
	}
	mf->len = (size_t)st.st_size;
	if (mf->len >= MAP_THRESHOLD) {
		if (map_file(mf, fd, mf->len) == -1)
			goto fail_fd;
	} else if (mf->len > 0) {
		if ((mf->heap = malloc(mf->len)) == NULL ||
		    read_all(fd, mf->heap, mf->len) == -1)
			goto fail_fd;
		mf->data = mf->heap;
	}
	close(fd);
	return 0;
fail_fd:
	saved = errno;
	close(fd);
	errno = saved;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	mailfile_close(mf);
	return -1;
}

void
mailfile_close(struct mailfile *mf)
{
	if (mf->map != NULL)
		munmap(mf->map, mf->len);
	free(mf->heap);
	memset(mf, 0, sizeof(*mf));
	mf->data = "";
}

/* SPDX-License-Identifier: ISC */
/*
 * target-util.h - byte and path helpers the delivery targets share:
 * error hints, paths, writes, line-end conversion, header lookup, the
 * content digest, and the commit's test hook.  Leaf code: it knows no
 * target, batch or intent, and calls nothing else in deliver/.  The
 * flags, delivery_write(), delivery_hint(), delivery_digest() and the
 * test hook are also used outside deliver/ (deliver.h includes this).
 */
#ifndef DAEMON_DELIVER_TARGET_UTIL_H
#define DAEMON_DELIVER_TARGET_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/store/state.h"	/* struct msg_content */

/* Convert CRLF line ends to LF while writing (a lone CR is kept). */
#define DELIVERY_CRLF		0x1
/* Record no SHA-256 of the content: only IMAP folders look for it,
 * after a UIDVALIDITY change (it costs 8% of a fetch's CPU). */
#define DELIVERY_NO_DIGEST	0x2

/* Size, SHA-256 (unless DELIVERY_NO_DIGEST) and Message-ID of a message
 * as it would be delivered, for state_seen_content(). */
int		 delivery_digest(const char *data, size_t len, int flags,
		    struct msg_content *);

/* Write all of p, again after EINTR and short writes; -1 with errno. */
int		 delivery_write(int fd, const char *p, size_t len);

/* " (disk full: ...)" and the like for errno e, or "". */
const char	*delivery_hint(int e);

/* Tests only: called at each step of a commit (deliver-commit.c) with
 * the number of messages through that step; a test makes it _exit(). */
extern void	(*delivery_test_hook)(const char *step, size_t n);
void		 delivery_hook(const char *step, size_t n);

/* dir/name into out; -1 with ENAMETOOLONG if it does not fit. */
int		 delivery_join(char *out, size_t outlen, const char *dir,
		    const char *name);
/* Copy from in[*pos..len) to out (room bytes), dropping each CR of a
 * CRLF; returns the bytes written to out. */
size_t		 delivery_crlf_copy(const char *in, size_t len, size_t *pos,
		    char *out, size_t room);
uint64_t	 delivery_converted_size(const char *data, size_t len,
		    int flags);
/* The unfolded, trimmed value of the first header field name, cut to
 * outlen - 1 bytes; "" if absent. */
void		 delivery_header(const char *data, size_t len,
		    const char *name, char *out, size_t outlen);

#endif

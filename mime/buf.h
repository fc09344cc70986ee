/* SPDX-License-Identifier: ISC */
/*
 * buf.h - a growable byte buffer.
 *
 * The one allocation-owning value type of mime/.  The data is always kept
 * NUL-terminated (the NUL is not counted in len) so callers may treat it as
 * a C string when they know it holds no NUL.  Functions return 0 on success
 * and -1 when memory runs out, leaving the buffer as it was.
 */
#ifndef MIME_BUF_H
#define MIME_BUF_H

#include <stddef.h>

struct mime_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	mime_buf_init(struct mime_buf *);
void	mime_buf_free(struct mime_buf *);
void	mime_buf_reset(struct mime_buf *);
int	mime_buf_reserve(struct mime_buf *, size_t extra);
int	mime_buf_append(struct mime_buf *, const void *, size_t);
int	mime_buf_append_str(struct mime_buf *, const char *);
int	mime_buf_append_char(struct mime_buf *, char);
/* Hand over the data (NUL-terminated, never NULL) and reset the buffer. */
char	*mime_buf_steal(struct mime_buf *);

#endif

/* SPDX-License-Identifier: ISC */
/* deflate.c - raw deflate both ways for COMPRESS=DEFLATE; see deflate.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "daemon/net/deflate.h"

/* RFC 4978: raw deflate, no zlib header or checksum. */
#define DEFLATE_WBITS	(-15)

struct deflate {
	z_stream		 out;		/* compresses what we send */
	z_stream		 in;		/* inflates what comes */
	int			 out_ready;
	int			 in_ready;
	int			 in_more;	/* output filled: zlib may hold more */
	int			 in_ended;	/* the peer ended its stream */
	size_t			 in_pos;	/* first compressed byte not taken */
	size_t			 in_end;
	struct deflate_counts	 counts;
	char			 where[320];
	unsigned char		 inbuf[DEFLATE_IN_SIZE];
};

struct deflate *
deflate_new(const char *where, char *err, size_t errlen)
{
	struct deflate	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "no memory for compression with %s",
		    where);
		return NULL;
	}
	snprintf(d->where, sizeof(d->where), "%s", where);
	if (deflateInit2(&d->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
	    DEFLATE_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		snprintf(err, errlen, "cannot start compression with %s: %s",
		    where, d->out.msg != NULL ? d->out.msg : "zlib failed");
		goto fail;
	}
	d->out_ready = 1;
	if (inflateInit2(&d->in, DEFLATE_WBITS) != Z_OK) {
		snprintf(err, errlen, "cannot start decompression with %s: "
		    "%s", where, d->in.msg != NULL ? d->in.msg : "zlib failed");
		goto fail;
	}
	d->in_ready = 1;
	return d;

fail:
	deflate_free(d);
	return NULL;
}

void
deflate_free(struct deflate *d)
{
	if (d == NULL)
		return;
	/* Their results only say whether the stream was complete. */
	if (d->out_ready)
		(void)deflateEnd(&d->out);
	if (d->in_ready)
		(void)inflateEnd(&d->in);
	free(d);
}

int
deflate_compress(struct deflate *d, const char **in, size_t *inlen,
    int sync, char *out, size_t outcap, size_t *outlen, char *err,
    size_t errlen)
{
	uInt	 given, outgiven;
	int	 r;

	given = *inlen > UINT_MAX ? UINT_MAX : (uInt)*inlen;
	outgiven = outcap > UINT_MAX ? UINT_MAX : (uInt)outcap;
	d->out.next_in = (Bytef *)(uintptr_t)*in;
	d->out.avail_in = given;
	d->out.next_out = (Bytef *)out;
	d->out.avail_out = outgiven;
	r = deflate(&d->out, sync ? Z_SYNC_FLUSH : Z_NO_FLUSH);
	/* Z_BUF_ERROR: nothing to do, which is no failure here. */
	if (r != Z_OK && r != Z_BUF_ERROR) {
		snprintf(err, errlen, "compressing for %s failed: %s",
		    d->where, d->out.msg != NULL ? d->out.msg : "zlib error");
		return -1;
	}
	*in += given - d->out.avail_in;
	*inlen -= given - d->out.avail_in;
	*outlen = outgiven - d->out.avail_out;
	d->counts.plain_out += given - d->out.avail_in;
	d->counts.wire_out += *outlen;
	/* A full output buffer may leave compressed bytes inside zlib. */
	return *inlen > 0 || d->out.avail_out == 0;
}

char *
deflate_in_space(struct deflate *d, size_t *room)
{
	if (d->in_pos > 0) {
		memmove(d->inbuf, d->inbuf + d->in_pos, d->in_end - d->in_pos);
		d->in_end -= d->in_pos;
		d->in_pos = 0;
	}
	*room = sizeof(d->inbuf) - d->in_end;
	return (char *)d->inbuf + d->in_end;
}

void
deflate_in_added(struct deflate *d, size_t n)
{
	if (n > sizeof(d->inbuf) - d->in_end)
		n = sizeof(d->inbuf) - d->in_end;
	d->in_end += n;
	d->counts.wire_in += n;
}

int
deflate_inflate(struct deflate *d, char *out, size_t cap, size_t *done,
    char *err, size_t errlen)
{
	uInt	 given, outgiven;
	int	 r;

	*done = 0;
	if (d->in_ended) {
		snprintf(err, errlen, "%s ended its compressed stream, which "
		    "COMPRESS=DEFLATE never does (RFC 4978); closing the "
		    "session", d->where);
		return -1;
	}
	given = (uInt)(d->in_end - d->in_pos);
	outgiven = cap > UINT_MAX ? UINT_MAX : (uInt)cap;
	d->in.next_in = d->inbuf + d->in_pos;
	d->in.avail_in = given;
	d->in.next_out = (Bytef *)out;
	d->in.avail_out = outgiven;
	r = inflate(&d->in, Z_SYNC_FLUSH);
	d->in_pos += given - d->in.avail_in;
	*done = outgiven - d->in.avail_out;
	d->counts.plain_in += *done;
	d->in_more = d->in.avail_out == 0;
	switch (r) {
	case Z_OK:
	case Z_BUF_ERROR:	/* no progress: more input is needed */
		return 0;
	case Z_STREAM_END:
		/* Give what came; the next call reports the end. */
		d->in_ended = 1;
		d->in_more = 0;
		return 0;
	case Z_MEM_ERROR:
		snprintf(err, errlen, "no memory to decompress data from %s",
		    d->where);
		return -1;
	default:
		/* Give what came before the fault; zlib keeps failing, so
		 * the next call reports it. */
		if (*done > 0) {
			d->in_more = 1;
			return 0;
		}
		snprintf(err, errlen, "corrupt compressed data from %s (%s); "
		    "closing the session (set compress = no for this account "
		    "if it happens again)", d->where, d->in.msg != NULL ?
		    d->in.msg : "zlib error");
		return -1;
	}
}

size_t
deflate_pending(const struct deflate *d)
{
	return d->in_end - d->in_pos + (d->in_more || d->in_ended);
}

void
deflate_counts(const struct deflate *d, struct deflate_counts *c)
{
	*c = d->counts;
}

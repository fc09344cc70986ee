/* SPDX-License-Identifier: ISC */
/*
 * deflate.h - COMPRESS=DEFLATE (RFC 4978) behind conn.c: raw deflate
 * (no zlib header, windowBits -15) both ways, one stream each way for
 * the rest of the connection.  Like tls.h, nothing but conn.c (and its
 * unit test) calls it, and it knows nothing of conn.c.
 *
 * It does no I/O and never waits: conn.c reads compressed bytes from
 * below (TLS or the socket) into deflate_in_space() and asks for them
 * inflated into its own buffer; it hands plaintext to deflate_compress()
 * and sends what comes out.  Memory is fixed once made (zlib's state, a
 * 32 KB input buffer): output goes only into the caller's buffer, so a
 * deflate bomb costs time, not memory, and the caller's limits (line
 * length, literal size) apply to the inflated bytes as to plain ones.
 * A corrupt stream, or one the peer ends (RFC 4978 has no end), is an
 * error with a message; the connection is unusable after it.
 */
#ifndef DAEMON_DEFLATE_H
#define DAEMON_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

struct deflate;

/* Compressed input held before it is inflated. */
#define DEFLATE_IN_SIZE	32768

/* where ("host:port") names the peer in messages.  NULL on error. */
struct deflate	*deflate_new(const char *where, char *err, size_t errlen);
void		 deflate_free(struct deflate *);

/*
 * Sending.  Compress from *in (*inlen bytes; both advanced) into out, at
 * most outcap bytes, *outlen of them written.  With sync, once all input
 * is taken the output ends with a sync flush (Z_SYNC_FLUSH), so that the
 * peer can inflate every byte sent so far: one after each command.
 * Returns 1 when out must be sent and the call repeated, 0 when the
 * input is all taken (and flushed, with sync), -1 on error.
 */
int		 deflate_compress(struct deflate *, const char **in,
		    size_t *inlen, int sync, char *out, size_t outcap,
		    size_t *outlen, char *err, size_t errlen);

/*
 * Receiving.  deflate_in_space() gives where to put compressed bytes
 * from the peer (room is never 0 after deflate_inflate() took what it
 * could); deflate_in_added() says how many were put there.
 */
char		*deflate_in_space(struct deflate *, size_t *room);
void		 deflate_in_added(struct deflate *, size_t n);
/* Inflate into out (cap > 0): *done bytes, 0 when more compressed input
 * is needed.  -1 on a corrupt or ended stream, the reason in err. */
int		 deflate_inflate(struct deflate *, char *out, size_t cap,
		    size_t *done, char *err, size_t errlen);
/* Compressed bytes held, or inflated ones zlib may still give (the last
 * deflate_inflate() filled its buffer): nonzero means "call again before
 * waiting for the peer". */
size_t		 deflate_pending(const struct deflate *);

/* Bytes in and out on each side of the layer, since deflate_new(). */
struct deflate_counts {
	uint64_t	 plain_in;	/* inflated, given to the caller */
	uint64_t	 wire_in;	/* compressed, taken from the peer */
	uint64_t	 plain_out;	/* given to compress */
	uint64_t	 wire_out;	/* compressed, for the peer */
};
void		 deflate_counts(const struct deflate *,
		    struct deflate_counts *);

#endif

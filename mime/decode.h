/* SPDX-License-Identifier: ISC */
/*
 * decode.h - Content-Transfer-Encoding decoders.
 *
 * Streaming: feed the encoded body in chunks of any size (a chunk may end
 * in the middle of a base64 group or a "=XX" escape) and get the decoded
 * bytes in the caller's buffer, so a 50 MB attachment never needs a second
 * 50 MB copy.  Decoders never fail and never hand back undecoded text:
 * base64 skips characters outside its alphabet and keeps a partial final
 * group; quoted-printable keeps bad escapes literally and drops trailing
 * whitespace before line breaks (RFC 2045 6.7).  Line breaks pass through
 * as they are in the input (CRLF or LF).  Anomalies are collected as a
 * defect bit set (1u << enum mime_defect_code).
 *
 * Base64 text after '=' padding is decoded as a new stream, because some
 * mailers concatenate separately encoded blobs.  A quoted-printable body
 * that ends in "=" (the parser strips the line break before a boundary)
 * ends in a soft line break, not a bad escape.
 */
#ifndef MIME_DECODE_H
#define MIME_DECODE_H

#include <stddef.h>

enum mime_encoding {
	MIME_ENC_7BIT,
	MIME_ENC_8BIT,
	MIME_ENC_BINARY,
	MIME_ENC_BASE64,
	MIME_ENC_QP,
	MIME_ENC_UNKNOWN	/* decoded as identity, with a defect */
};

/* Encoding for a Content-Transfer-Encoding value (case-insensitive,
 * surrounding whitespace and comments ignored); missing/empty gives 7BIT. */
enum mime_encoding	 mime_encoding_from_name(const char *, size_t);
/* "7bit", "8bit", "binary", "base64", "quoted-printable", "unknown". */
const char		*mime_encoding_name(enum mime_encoding);

/* Decoder state: a plain value, put it on the stack. */
struct mime_decoder {
	enum mime_encoding	 enc;
	unsigned		 defects;	/* 1u << MIME_DEFECT_* */
	unsigned		 acc;		/* bits (base64), digit (qp) */
	int			 nacc;		/* pending sextets (base64) */
	int			 pad;		/* '=' seen (base64) */
	int			 state;		/* escape or blank run (qp) */
	char			 pend[80];	/* held blanks (qp) */
	size_t			 npend;
};

void	mime_decoder_init(struct mime_decoder *, enum mime_encoding);
/* Upper bound of the output of one mime_decoder_step() on len input bytes. */
size_t	mime_decode_bound(size_t len);
/* Decode len bytes from in into out, which has room for
 * mime_decode_bound(len) bytes; returns the number of bytes written. */
size_t	mime_decoder_step(struct mime_decoder *, const char *in, size_t len,
	    char *out);
/* End of input: flush what is held back (at most mime_decode_bound(0)
 * bytes); returns bytes written.  d->defects is final after this. */
size_t	mime_decoder_finish(struct mime_decoder *, char *out);

/* Whole-buffer convenience for small inputs (headers, encoded words):
 * decodes into out (room for mime_decode_bound(len)), returns length.
 * Defect bits are ORed into *defects (which may be NULL). */
size_t	mime_base64_decode(const char *in, size_t len, char *out,
	    unsigned *defects);
/* Quoted-printable as in RFC 2047 "Q" words: '_' is a space. */
size_t	mime_qword_decode(const char *in, size_t len, char *out,
	    unsigned *defects);

#endif

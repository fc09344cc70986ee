/* SPDX-License-Identifier: ISC */
/*
 * message.h - parsing a message into a tree of MIME parts.
 *
 * The parser works on a caller's buffer (which may be an mmap of a file)
 * and must outlive the message: parts refer to it by offsets, bodies are
 * never copied.  It is iterative (no recursion on the C stack), accepts
 * CRLF and LF alike, and never fails on malformed input: every anomaly is
 * recorded as a defect {offset, part, code} and the bytes are kept, if need
 * be as an opaque leaf.  NULL is returned only when memory runs out.
 *
 * Tree: a multipart part has its body parts as children; a message/rfc822
 * (or message/global) part has one child, the encapsulated message's top
 * entity.  Paths are IMAP part numbers ("1", "2.1", ...).
 */
#ifndef MIME_MESSAGE_H
#define MIME_MESSAGE_H

#include <stddef.h>

#include "decode.h"
#include "defect.h"

struct mime_limits {
	unsigned	 max_depth;	/* nesting of multipart/message parts */
	unsigned	 max_parts;	/* parts in the whole tree */
	size_t		 max_header_bytes;	/* one part's header block */
	const char	*fallback_charset;	/* for raw 8-bit headers */
};

struct mime_message;
struct mime_part;

struct mime_defect {
	size_t			 offset;	/* in the buffer */
	const struct mime_part	*part;
	enum mime_defect_code	 code;
};

/* Receives decoded bytes; return 0 to go on, -1 to stop. */
typedef int (*mime_sink_fn)(void *ctx, const char *data, size_t len);

/* Defaults: depth 256, 10000 parts, 1 MB of header, windows-1252. */
void	mime_limits_init(struct mime_limits *);

struct mime_message	*mime_message_parse(const char *buf, size_t len,
			    const struct mime_limits *);
void			 mime_message_free(struct mime_message *);
const struct mime_part	*mime_message_root(const struct mime_message *);
size_t			 mime_message_part_count(const struct mime_message *);
size_t			 mime_message_defect_count(const struct mime_message *);
const struct mime_defect *mime_message_defect(const struct mime_message *,
			    size_t);
const char		*mime_message_fallback_charset(
			    const struct mime_message *);

/* Navigation.  walk_next is the depth-first successor (NULL at the end). */
const struct mime_part	*mime_part_parent(const struct mime_part *);
const struct mime_part	*mime_part_first_child(const struct mime_part *);
const struct mime_part	*mime_part_next_sibling(const struct mime_part *);
const struct mime_part	*mime_part_walk_next(const struct mime_part *);
unsigned		 mime_part_depth(const struct mime_part *);
int			 mime_part_is_multipart(const struct mime_part *);
/* message/rfc822 or message/global parsed as a nested message. */
int			 mime_part_is_message(const struct mime_part *);
/* Neither multipart nor nested message: a part with content. */
int			 mime_part_is_leaf(const struct mime_part *);
/* The top entity of a message: the root, or a nested message's child. */
int			 mime_part_is_message_top(const struct mime_part *);
/* IMAP path into buf ("" for a multipart root); returns its length, or
 * -1 if it does not fit. */
int			 mime_part_path(const struct mime_part *, char *buf,
			    size_t size);

/* Content-Type: lower-case type and subtype ("text", "plain" when absent
 * or invalid; "message", "rfc822" inside multipart/digest). */
const char	*mime_part_type(const struct mime_part *);
const char	*mime_part_subtype(const struct mime_part *);
/* Decoded Content-Type parameter, or NULL. */
const char	*mime_part_param(const struct mime_part *, const char *name);
const char	*mime_part_charset(const struct mime_part *);
/* Lower-case disposition ("attachment", "inline"), or NULL. */
const char	*mime_part_disposition(const struct mime_part *);
const char	*mime_part_disposition_param(const struct mime_part *,
		    const char *name);
/* Content-Disposition filename, else Content-Type name, decoded; or NULL. */
const char	*mime_part_filename(const struct mime_part *);
enum mime_encoding mime_part_encoding(const struct mime_part *);

/* Raw spans into the caller's buffer. The body excludes the line break
 * that belongs to the following boundary. */
void	mime_part_header_block(const struct mime_part *, const char **,
	    size_t *);
void	mime_part_body(const struct mime_part *, const char **, size_t *);
/* Multipart only: text before the first delimiter / after the close
 * delimiter (empty for other parts). */
void	mime_part_preamble(const struct mime_part *, const char **, size_t *);
void	mime_part_epilogue(const struct mime_part *, const char **, size_t *);
/* Offsets in the buffer of the part (its first header byte) and of its
 * body. */
size_t	mime_part_offset(const struct mime_part *);
size_t	mime_part_body_offset(const struct mime_part *);

/* Header fields of the part, in order.  Name without the colon; value is
 * the raw text after the colon up to the end of its last folded line. */
size_t	mime_part_header_count(const struct mime_part *);
void	mime_part_header_at(const struct mime_part *, size_t i,
	    const char **name, size_t *nlen, const char **val, size_t *vlen);
/* Index of the first field named name at or after index from, or -1. */
long	mime_part_header_find(const struct mime_part *, const char *name,
	    size_t from);

/* Decode the body (transfer encoding only) into sink, in chunks.  Returns
 * a defect bit set (>= 0), or -1 if the sink stopped. */
int	mime_part_decode(const struct mime_part *, mime_sink_fn, void *ctx);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * part.h - internal: the representation of a parsed message, shared by
 * parse.c (which builds it) and message.c (which answers questions about
 * it).  Not installed, not for callers outside mime/.
 *
 * Everything a message owns lives in one arena freed at once; parts point
 * into the caller's buffer by offsets.
 */
#ifndef MIME_PART_H
#define MIME_PART_H

#include <stddef.h>

#include "message.h"

#define PART_MULTIPART	0x01	/* has a boundary and children */
#define PART_MESSAGE	0x02	/* message/rfc822 with a nested top entity */
#define PART_TOP	0x04	/* root, or top entity of a nested message */
#define PART_DIGEST	0x08	/* multipart/digest: children default to message */
#define PART_OPAQUE	0x10	/* a limit was hit: kept whole as a leaf */

struct arena_block;

struct mime_field {
	size_t	 name_off;
	size_t	 name_len;
	size_t	 val_off;
	size_t	 val_len;
};

struct mime_part {
	const struct mime_message *msg;
	struct mime_part	*parent;
	struct mime_part	*first_child;
	struct mime_part	*last_child;
	struct mime_part	*next;
	unsigned		 depth;
	unsigned		 ordinal;	/* 1-based within a multipart */
	unsigned		 flags;
	size_t			 hdr_start, hdr_end;
	size_t			 body_start, body_end;
	size_t			 preamble_end;	/* multipart: before 1st delimiter */
	size_t			 epilogue_start;	/* multipart: after close */
	int			 closed;	/* close delimiter seen */
	int			 body_ended;	/* body_end is final */
	size_t			 field0, nfields;
	const char		*type, *subtype;
	const char		*ct;		/* packed Content-Type params */
	int			 ct_n;
	const char		*cd;		/* packed Content-Disposition */
	int			 cd_n;
	enum mime_encoding	 enc;
};

struct mime_message {
	const char		*buf;
	size_t			 len;
	struct mime_limits	 limits;
	struct mime_part	*root;
	size_t			 nparts;
	struct mime_field	*fields;
	size_t			 nfields, fields_cap;
	struct mime_defect	*defects;
	size_t			 ndefects, defects_cap;
	struct arena_block	*arena;
};

void	*mime_arena_alloc(struct mime_message *, size_t);
char	*mime_arena_strndup(struct mime_message *, const char *, size_t);
int	 mime_message_add_defect(struct mime_message *, size_t offset,
	    const struct mime_part *, enum mime_defect_code);
/* Build the tree of msg->buf; 0, or -1 on ENOMEM. */
int	 mime_parse_run(struct mime_message *);

#endif

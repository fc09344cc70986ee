/* SPDX-License-Identifier: ISC */
/*
 * view.h - internal: what conditions and templates ask of a message,
 * computed on first use and kept for the rest of one evaluation.
 *
 * Nothing is decoded until a condition or a template needs it: a rule
 * set that only looks at From never decodes the Subject, and the body is
 * only extracted when a body condition is reached.  Values are UTF-8 and
 * live in the evaluation's arena.  Functions return 0, or -1 when memory
 * runs out.  Every text it hands out is valid UTF-8 (utf8.h), which is
 * what lets regexes skip the check.
 *
 * Header values come from the top-level header only.  The body is the
 * text of the text/plain and text/html leaves that are not attachments
 * (one alternative of a multipart/alternative; HTML reduced to text),
 * converted to UTF-8, line ends made LF, joined by line breaks, cut at
 * RULE_BODY_MAX bytes (body.h).
 * Attachments are the leaves with Content-Disposition: attachment or a
 * file name, anywhere in the tree.
 */
#ifndef RULES_VIEW_H
#define RULES_VIEW_H

#include <stddef.h>
#include <time.h>

#include "mime/buf.h"
#include "rules/rules.h"

struct rule_arena;
struct mime_part;

struct rule_span {
	const char	*p;
	size_t		 len;
};

struct rule_addr {
	struct rule_span	 name;		/* decoded, "" if none */
	struct rule_span	 address;	/* "local@domain" */
	struct rule_span	 full;		/* "Name <local@domain>" or
						 * "<local@domain>" */
};

enum rule_addr_field {
	RULE_ADDR_FROM,
	RULE_ADDR_TO,
	RULE_ADDR_CC,
	RULE_ADDR_SENDER,
	RULE_ADDR_NFIELDS
};

struct rule_leaf {
	const struct mime_part	*part;
	const char		*filename;	/* decoded, or NULL */
	const char		*type;		/* "type/subtype" */
	long long		 size;		/* decoded; -1 until asked */
};

struct rule_header_cache;

struct rule_view {
	const struct rule_input	*in;
	const struct mime_part	*top;
	const char		*fallback;	/* charset of raw 8-bit */
	struct rule_arena	*arena;
	unsigned		 done;		/* VIEW_* bits */
	unsigned		 defects;	/* found so far, 1u << code */
	struct rule_span	 subject, message_id, account, folder;
	struct mime_buf		 body;
	struct mime_buf		 scratch;	/* for decoding */
	int			 body_cut;
	struct rule_header_cache *headers;
	size_t			 nheaders;
	struct {
		struct rule_addr	*v;
		size_t			 n;
	}			 addrs[RULE_ADDR_NFIELDS];
	struct rule_leaf	*leaves;
	size_t			 nleaves;
	time_t			 date;
	long			 date_offset;
	int			 date_valid;
};

/* nheaders: the header cache slots the rule set uses. */
int	rule_view_init(struct rule_view *, const struct rule_input *,
	    size_t nheaders, struct rule_arena *);
void	rule_view_free(struct rule_view *);
/* The decoded Subject ("" if none). */
int	rule_view_subject(struct rule_view *, struct rule_span *);
/* Every occurrence of header name, decoded; slot is its cache slot. */
int	rule_view_header(struct rule_view *, size_t slot, const char *name,
	    const struct rule_span **, size_t *);
/* The addresses of every occurrence of a header, in order. */
int	rule_view_addrs(struct rule_view *, enum rule_addr_field,
	    const struct rule_addr **, size_t *);
int	rule_view_body(struct rule_view *, struct rule_span *);
int	rule_view_leaves(struct rule_view *, struct rule_leaf **, size_t *);
/* Most bytes the leaf can decode to (its encoded size): no decoding. */
long long rule_view_leaf_size_max(const struct rule_leaf *);
/* Decoded size of a leaf (decodes it the first time). */
int	rule_view_leaf_size(struct rule_view *, struct rule_leaf *,
	    long long *);
/* Every defect of the message: the parser's, and those found decoding
 * the top-level header, the body and every leaf. */
int	rule_view_defects(struct rule_view *, unsigned *);
/* The Date header (UTC, and the zone's offset in seconds); without a
 * valid one, in->now with offset 0 and *valid 0. */
void	rule_view_date(struct rule_view *, time_t *, long *offset,
	    int *valid);
/* The caller's account and folder names ("" for none). */
int	rule_view_account(struct rule_view *, struct rule_span *);
int	rule_view_folder(struct rule_view *, struct rule_span *);
/* Message-ID without its angle brackets ("" if none). */
int	rule_view_message_id(struct rule_view *, struct rule_span *);

#endif

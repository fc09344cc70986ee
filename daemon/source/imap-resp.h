/* SPDX-License-Identifier: ISC */
/*
 * imap-resp.h - reading and scanning IMAP server responses.
 *
 * A response is read whole: its line, and every literal it announces
 * ("{N}" at the end of a line), wherever it occurs, with the rest of the
 * line after each literal.  Literals are read straight into their own
 * buffers, kept from one response to the next (a 5 MB message body costs
 * one copy from the socket); they live until the next read or clear.  The scanner then walks the response as tokens without
 * recursion, so any nesting a hostile server sends is only a counter.
 */
#ifndef DAEMON_IMAP_RESP_H
#define DAEMON_IMAP_RESP_H

#include <stddef.h>
#include <stdint.h>

#include "mime/buf.h"

struct conn;

struct imap_literal {
	char		*data;
	size_t		 len, cap;
};

/* The buffers of the first IMAP_LIT_SLOTS literals, up to IMAP_LIT_KEEP
 * bytes each, are kept for the next response. */
#define IMAP_LIT_SLOTS	4
#define IMAP_LIT_KEEP	(16 * 1024 * 1024)

struct imap_resp {
	struct mime_buf		 text;	/* line parts joined by '\n' */
	struct imap_literal	*lits;
	size_t			 nlits, cap;
};

enum imap_tok_type {
	IMAP_TOK_END,
	IMAP_TOK_ATOM,		/* also numbers, NIL, BODY[] */
	IMAP_TOK_STRING,	/* quoted: s/len span the raw inside */
	IMAP_TOK_LITERAL,	/* lit is the index in resp->lits */
	IMAP_TOK_LPAREN,
	IMAP_TOK_RPAREN,
	IMAP_TOK_ERROR
};

struct imap_tok {
	enum imap_tok_type	 type;
	const char		*s;
	size_t			 len;
	size_t			 lit;
};

struct imap_scan {
	const struct imap_resp	*r;
	const char		*p, *end;
	size_t			 next_lit;
};

void	imap_resp_init(struct imap_resp *);
void	imap_resp_clear(struct imap_resp *);
void	imap_resp_free(struct imap_resp *);
/* Read one response.  Lines over max_line, and literals over
 * max_literal each or together, are errors (-1, reason in err); the
 * stream is then out of step.  So the literal buffers a connection
 * holds at once come to at most max_literal, plus the kept ones
 * (IMAP_LIT_SLOTS of at most IMAP_LIT_KEEP bytes) being reused. */
int	imap_resp_read(struct conn *, struct imap_resp *, size_t max_line,
	    uint64_t max_literal, char *err, size_t errlen);

/* Literal i, writable, until the next read or clear (NULL if none). */
char	*imap_resp_literal(struct imap_resp *, size_t i, size_t *len);

void	imap_scan_init(struct imap_scan *, const struct imap_resp *);
int	imap_scan_next(struct imap_scan *, struct imap_tok *);
/* Skip one value: an atom, string, literal or a whole parenthesised
 * list.  -1 on a malformed response. */
int	imap_scan_skip(struct imap_scan *, const struct imap_tok *first);
/* The rest of the current line, unparsed (response text). */
void	imap_scan_rest(struct imap_scan *, const char **, size_t *);
int	imap_tok_is(const struct imap_tok *, const char *atom);
/* Parse a token as an unsigned 32-bit (nz if nonzero) number. */
int	imap_tok_u32(const struct imap_tok *, uint32_t *);
int	imap_tok_u64(const struct imap_tok *, uint64_t *);
/* A mod-sequence value (RFC 7162): 1 .. 2^63-1, no leading zero (a
 * trailing ']' of a response code is allowed). */
int	imap_modseq_parse(const struct imap_tok *, uint64_t *);
/* The writer's side of IMAP_TOK_STRING: s as a quoted string ('"' and
 * '\\' escaped) in out: 0, or -1 if it does not fit or has a line
 * break, which a quoted string cannot carry. */
int	imap_quote(const char *s, char *out, size_t outlen);

#endif

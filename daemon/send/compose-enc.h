/* SPDX-License-Identifier: ISC */
/*
 * compose-enc.h - internal to compose*.c: the encoders a composed
 * message is written with.  Not for other modules; compose.h is the API.
 *
 * Header fields are written through a struct hdr, which knows the
 * column and folds (CRLF before a space) so that no line passes 78
 * characters when the words allow it.  Every encoder appends to a
 * struct mime_buf; running out of memory sets a sticky flag checked
 * once at the end, so callers need not test every append.
 */
#ifndef DAEMON_COMPOSE_ENC_H
#define DAEMON_COMPOSE_ENC_H

#include <stddef.h>
#include <time.h>

#include "mime/buf.h"

/* RFC 5322 2.1.1: lines SHOULD stay within 78 characters. */
#define HDR_LINE_MAX	78

struct hdr {
	struct mime_buf	*out;
	size_t		 col;
	int		*nomem;
};

/* Append to out, noting a failure in *nomem. */
void	compose_put(struct mime_buf *, int *nomem, const char *, size_t);
void	compose_puts(struct mime_buf *, int *nomem, const char *);

/* "Name:" at the start of a line. */
void	compose_hdr_begin(struct hdr *, struct mime_buf *, int *nomem,
	    const char *name);
/* Text that must not be separated from what precedes it. */
void	compose_hdr_raw(struct hdr *, const char *, size_t);
/* A space then a word; the space becomes CRLF SP when the word would
 * pass the line limit. */
void	compose_hdr_word(struct hdr *, const char *, size_t);
void	compose_hdr_end(struct hdr *);

/* Unstructured text (Subject): as it is when it is plain printable
 * ASCII, else as RFC 2047 encoded words. */
void	compose_hdr_text(struct hdr *, const char *utf8);
/* A display name: an atom sequence, a quoted string or encoded words. */
void	compose_hdr_phrase(struct hdr *, const char *utf8);
/* A parameter ("; name=value"): quoted when short ASCII, else RFC 2231
 * (name*=utf-8''..., split into name*0*, name*1* ... when long). */
void	compose_hdr_param(struct hdr *, const char *name, const char *utf8);
/* "; name=" followed by the value as RFC 2047 words in a quoted string:
 * the non-standard form older readers look for. */
void	compose_hdr_param_2047(struct hdr *, const char *name,
	    const char *utf8);

/* Bodies, CRLF line ends, no line end after the last line. */
void	compose_base64(struct mime_buf *, int *nomem, const char *,
	    size_t);
void	compose_qp(struct mime_buf *, int *nomem, const char *, size_t);
/* Text as it is, line ends made CRLF. */
void	compose_crlf(struct mime_buf *, int *nomem, const char *, size_t);
/* 1 if text can go as 7bit: ASCII without NUL, no line over 998. */
int	compose_is_7bit(const char *, size_t);

/* compose-hdr.c: the caller's strings and structured fields. */
struct mime_address_list;

/* Refuse CR, LF and other controls (TAB aside) and invalid UTF-8 in a
 * string bound for header field `field`; the error names the field. */
int	compose_check_field(const char *field, const char *, char *err,
	    size_t errlen);
/* NULL if addr is fit for a header and an SMTP envelope, else why not. */
const char *compose_addr_check(const char *addr);
/* Add a copy of a to the NULL-terminated list *v of *n (room for *cap)
 * unless it is there already (compared ignoring case); -1: no memory. */
int	compose_addrs_add(char ***v, size_t *n, size_t *cap, const char *a);
/* Parse and check an address list: at least one address, each fit. */
struct mime_address_list *compose_addrs_parse(const char *field,
	    const char *list, char *err, size_t errlen);
/* A whole address field ("To: ...\r\n"). */
int	compose_hdr_addrs(struct hdr *, struct mime_buf *, int *nomem,
	    const char *field, const char *list, char *err, size_t errlen);
/* The valid "<id>"s in a Message-ID/References text. */
size_t	compose_ids_count(const char *ids);
void	compose_hdr_ids(struct hdr *, const char *ids);
/* nbytes random bytes (at most 32) as hex into out (2 * nbytes + 1). */
int	compose_random_hex(char *out, size_t nbytes);
/* A new "<...@host>"; host NULL: from the first address of from. */
int	compose_msgid(const char *host, const char *from, char *out,
	    size_t outlen);
/* RFC 5322 date-time of t (0: now). */
int	compose_date(time_t, char *out, size_t outlen);

/* Skip an mbox "From " line at *s: it is not part of the message. */
void	compose_mbox_skip(const char **s, size_t *len);

/* 1 if s holds only ASCII. */
int	compose_is_ascii(const char *, size_t);

#endif

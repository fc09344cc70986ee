/* SPDX-License-Identifier: ISC */
/*
 * compose.h - composing messages to send: new ones (text, HTML,
 * attachments), auto-replies (RFC 3834), forwards and redirects.
 *
 * The result is a complete RFC 5322 message with CRLF line ends in a
 * struct mime_buf, ready for smtp_send().  compose never does network
 * I/O and never logs; it reads the clock, the random source, the host
 * name and (once per process, or through mimetypes_load())
 * /etc/mime.types.
 *
 * Strings are C strings in UTF-8.  Anything that goes into a header
 * field is checked first: a CR, LF or other control character (TAB
 * aside) is refused with an error naming the field, so no caller's
 * string can end a field early and start another (header injection);
 * invalid UTF-8 is refused too.  Addresses are given as address-list
 * text ("Jörg <j@example.org>, b@example.org"), parsed with mime/ and
 * written back encoded.
 *
 * Encoding choices:
 * - Text and HTML are UTF-8 and go as 7bit when they are ASCII with
 *   lines of at most 998 characters, else as quoted-printable, never
 *   8bit: the result then needs no 8BITMIME from any server and stays
 *   readable where it is mostly ASCII.  Line ends become CRLF.
 * - Attachments are always base64, text ones too, so their bytes
 *   (line ends included) arrive exactly as given.  A text/ attachment
 *   that is valid non-ASCII UTF-8 is labelled charset=utf-8.
 * - Non-ASCII Subject and display names are RFC 2047 encoded words
 *   (UTF-8, Q or B, whichever is shorter), each at most 75 characters,
 *   folded so lines stay within 78.
 * - A file name that is not short plain ASCII goes as RFC 2231
 *   (filename*=utf-8''... in Content-Disposition, split into sections
 *   when long) and, for readers that know only the old way, as RFC 2047
 *   words in the Content-Type name="..." parameter.
 * - Message-ID is <random.time@host> with 120 random bits; the host is
 *   msgid_host, else the domain of the From address, else the host name.
 * - Boundaries hold "=_", which neither base64 nor quoted-printable can
 *   produce, plus 96 random bits; a forwarded original is checked too.
 *
 * Functions return 0, or -1 with the reason in err (out is then reset).
 */
#ifndef DAEMON_COMPOSE_H
#define DAEMON_COMPOSE_H

#include <stddef.h>
#include <time.h>

#include "mime/buf.h"

/* Content types by file name extension: mimetypes.h. */
struct mimetypes;

struct compose_attachment {
	const char	*filename;	/* shown to the reader; NULL: none */
	const char	*type;		/* "type/subtype"; NULL: by filename */
	const char	*data;
	size_t		 len;
};

struct compose_msg {
	const char	*from;		/* address list, required */
	const char	*to;		/* address lists, or NULL */
	const char	*cc;
	const char	*reply_to;
	const char	*subject;	/* NULL: no Subject field */
	const char	*text;		/* NULL: no text part */
	size_t		 text_len;
	const char	*html;		/* NULL: no HTML part */
	size_t		 html_len;
	const struct compose_attachment *att;
	size_t		 natt;
	/* A message attached whole as message/rfc822 (forwards). */
	const char	*rfc822;
	size_t		 rfc822_len;
	/* Lists of "<id>", as found in Message-ID/References fields. */
	const char	*in_reply_to;
	const char	*references;
	const char	*auto_submitted;	/* RFC 3834 keyword, or NULL */
	const char	*msgid_host;	/* NULL: see above */
	time_t		 date;		/* 0: now */
	const struct mimetypes *types;	/* NULL: the process's table */
};

/*
 * The structure: a text part, or an HTML part, or both as
 * multipart/alternative (text first); with attachments or a forwarded
 * message, that body and then each of them in a multipart/mixed.
 * Neither text, HTML nor anything attached gives an empty text part.
 */
int	compose_message(const struct compose_msg *, struct mime_buf *out,
	    char *err, size_t errlen);

/* RFC 3834 auto-reply to orig. */
struct compose_reply {
	const char	*from;		/* our address */
	/* Where the reply goes: the original's return path (envelope
	 * sender).  NULL: its Return-Path field; "<>" or none is an
	 * error, as mail with a null return path gets no replies. */
	const char	*to;
	const char	*subject;	/* NULL: "Auto: " + the original's */
	const char	*text;
	const char	*orig;		/* the message replied to */
	size_t		 orig_len;
};

/* From, To, Subject, In-Reply-To (the original's Message-ID),
 * References (its References, or In-Reply-To, and its Message-ID),
 * Auto-Submitted: auto-replied, and the text.  The caller sends it with
 * an empty envelope sender (RFC 3834 3.3) and decides beforehand
 * whether a reply is due at all. */
int	compose_auto_reply(const struct compose_reply *, struct mime_buf *out,
	    char *err, size_t errlen);

/* Forward: a new message carrying orig as message/rfc822. */
struct compose_forward {
	const char	*from;
	const char	*to;
	const char	*subject;	/* NULL: "Fwd: " + the original's */
	const char	*text;		/* a note before it, or NULL */
	const char	*orig;
	size_t		 orig_len;
};

int	compose_forward(const struct compose_forward *, struct mime_buf *out,
	    char *err, size_t errlen);

/* Redirect (RFC 5322 3.6.6): Resent-Date, Resent-From, Resent-To and
 * Resent-Message-ID in front of the original, which is otherwise left
 * as it is (a leading mbox "From " line aside).  The new fields take the
 * original's line ends. */
struct compose_redirect {
	const char	*from;		/* Resent-From */
	const char	*to;		/* Resent-To */
	const char	*orig;
	size_t		 orig_len;
	const char	*msgid_host;	/* NULL: the domain of from */
	time_t		 date;		/* 0: now */
};

int	compose_redirect(const struct compose_redirect *, struct mime_buf *out,
	    char *err, size_t errlen);

/*
 * The bare addresses of address lists (e.g. the To and Cc texts), for
 * the SMTP envelope: in order, duplicates dropped (compared ignoring
 * case), group names and empty groups skipped.  *addrs is a
 * NULL-terminated array; free it with compose_addrs_free().  Fails on an
 * address that cannot be an envelope address or a list with none.
 */
int	compose_addrs(const char *const *lists, size_t nlists, char ***addrs,
	    size_t *naddrs, char *err, size_t errlen);
void	compose_addrs_free(char **);

/*
 * A message sent as it is (`mailsift send --raw`, in place of
 * `sendmail -t`), compose-raw.c.
 *
 * compose_raw_recipients: the envelope recipients as compose_addrs()
 * gives them, from the address lists given (--to, --cc; nlists may be 0)
 * and, with from_headers, from every To, Cc and Bcc field of msg's
 * header (not Resent-*: redirects are compose_redirect()'s).  An empty
 * group ("undisclosed-recipients:;") adds none.  Fails on a field that
 * does not parse as an address list or holds an address that cannot be
 * an envelope address (the error names the field), and when there is no
 * recipient at all.
 *
 * compose_raw_strip_bcc: msg without its Bcc fields (RFC 5322 3.6.3:
 * the blind recipients must not show in any copy), every other byte as
 * it was, into out.  Only the message's own header is looked at, never
 * one of a message it carries.
 */
int	compose_raw_recipients(const char *msg, size_t len, int from_headers,
	    const char *const *lists, size_t nlists, char ***addrs,
	    size_t *naddrs, char *err, size_t errlen);
int	compose_raw_strip_bcc(const char *msg, size_t len,
	    struct mime_buf *out, char *err, size_t errlen);

#endif

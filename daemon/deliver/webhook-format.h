/* SPDX-License-Identifier: ISC */
/*
 * webhook-format.h - the HTTP request a webhook gets for one message,
 * as an entity: "Content-Type: TYPE\r\n\r\n" and then the body.  The
 * webhook target (webhook.c) queues it; the drain (act/webhook-send.c)
 * splits it and posts the body.  Leaf code: no state, no network.
 *
 *  json       application/json: {"delivery": KEY, "account", "folder",
 *             "message": the object `mailsift parse --json` prints (its
 *             "file" is the key), with "text" and "html" (the first
 *             text/plain and text/html bodies, decoded, in UTF-8, or
 *             null) and each attachment's bytes as "content_base64"
 *             while the attachments inlined stay within max-size less
 *             the message's size; the others say "inline": false}.
 *  raw        message/rfc822: the message as it was fetched.
 *  multipart  multipart/form-data: a field "message" (the JSON above,
 *             no attachment inline) and a file field "attachment" per
 *             attachment, with its filename and type.  The boundary
 *             holds the key (random hex), so no attachment holds it.
 */
#ifndef DAEMON_DELIVER_WEBHOOK_FORMAT_H
#define DAEMON_DELIVER_WEBHOOK_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/conf/config.h"	/* enum webhook_format */

struct webhook_msg {
	const char	*key;		/* the delivery id */
	const char	*account;
	const char	*folder;	/* "" for POP3 and stdin */
	const char	*data;		/* the message */
	size_t		 len;
};

/* The entity into *out (malloc'd, NUL-terminated) and *outlen; 0 or -1
 * (err). */
int	webhook_format(enum webhook_format, uint64_t max_size,
	    const struct webhook_msg *, char **out, size_t *outlen,
	    char *err, size_t errlen);
/* The content type (cut to ctlen - 1) and the body of an entity; -1 if
 * it is not one. */
int	webhook_entity_split(const char *entity, size_t len, char *ctype,
	    size_t ctlen, const char **body, size_t *bodylen);
/* The delivery id of a message for webhook name: 32 hex digits of the
 * SHA-256 of name, account, folder, UIDVALIDITY and UID or UIDL, the
 * same on every retry and every fetch of the same message. */
int	webhook_key(const char *name, const char *account, const char *folder,
	    uint32_t uidvalidity, uint32_t uid, const char *uidl,
	    char out[33]);

#endif

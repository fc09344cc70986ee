/* SPDX-License-Identifier: ISC */
/*
 * records-int.h - for store backends only: building the UID and UIDL
 * sets that state.h hands out.  Every backend (sqlite*.c today) fills
 * the sets with these, so that uidset_has(), uidlset_has() and the
 * frees in records.c work whatever store made them.  Callers outside
 * daemon/store/ never include it.
 */
#ifndef DAEMON_STORE_RECORDS_INT_H
#define DAEMON_STORE_RECORDS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/store/state.h"

/* Append uid (rows come sorted); *cap is the room in set->v.  -1 when
 * out of memory, the set unchanged. */
int	uidset_add(struct uidset *, size_t *cap, uint32_t uid);

/* Strings are packed in one buffer; v is built once it stops moving. */
struct uidl_loader {
	char	*buf;
	size_t	 len;
	size_t	 cap;
	size_t	*off;
	size_t	 n;
	size_t	 ncap;
};
/* Copy len bytes of s (a UIDL, rows come sorted); -1 when out of memory. */
int	uidl_loader_add(struct uidl_loader *, const char *s, size_t len);
/* Hand the strings to set (l->buf moves there); the caller frees l->off
 * and whatever l->buf still holds.  -1 when out of memory. */
int	uidl_loader_finish(struct uidl_loader *, struct uidlset *);

#endif

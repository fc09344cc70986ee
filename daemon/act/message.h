/* SPDX-License-Identifier: ISC */
/*
 * message.h - the message as the actions see it.  Header edits (edit.c)
 * and pipe filters (pipe.c) replace it; the actions after them, and the
 * deliveries act_message() returns, see the changed bytes.  The bytes
 * as fetched are never written to.
 */
#ifndef DAEMON_ACT_MESSAGE_H
#define DAEMON_ACT_MESSAGE_H

#include <stddef.h>

struct act_msg {
	char		*data;
	size_t		 len;
	int		 owned;		/* data is ours to free */
};

/* Make data (malloc'd, len bytes) the message, freeing the one before
 * if it was ours. */
void	act_msg_replace(struct act_msg *, char *data, size_t len);
/* Free the message if it is ours. */
void	act_msg_clear(struct act_msg *);

#endif

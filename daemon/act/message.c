/* SPDX-License-Identifier: ISC */
/*
 * message.c - the message as the actions see it; see message.h.
 */
#include <stdlib.h>

#include "daemon/act/message.h"

void
act_msg_replace(struct act_msg *m, char *data, size_t len)
{
	act_msg_clear(m);
	m->data = data;
	m->len = len;
	m->owned = 1;
}

void
act_msg_clear(struct act_msg *m)
{
	if (m->owned)
		free(m->data);
	m->data = NULL;
	m->len = 0;
	m->owned = 0;
}

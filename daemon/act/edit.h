/* SPDX-License-Identifier: ISC */
/*
 * edit.h - the add-header and remove-header actions (edit.c): they
 * replace the message the later actions see, keeping its line ends and
 * every other byte as it was.  Nothing is written anywhere.
 */
#ifndef DAEMON_ACT_EDIT_H
#define DAEMON_ACT_EDIT_H

#include "daemon/act/message.h"

/* "name: value" as the first field; 0, or -1 (a name or value that
 * would break the header, or out of memory). */
int	edit_header_add(struct act_msg *, const char *name,
	    const char *value);
/* Every field called name (any case), with its continuation lines;
 * 0, or -1 (out of memory). */
int	edit_header_remove(struct act_msg *, const char *name);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * pipe.h - the pipe action (pipe.c): a command run without a shell, the
 * message on its standard input, under a timeout.  As a filter, what it
 * writes replaces the message the later actions see.
 */
#ifndef DAEMON_ACT_PIPE_H
#define DAEMON_ACT_PIPE_H

#include "daemon/act/message.h"

struct rule_action;

/* Run the rule's argv with msg on stdin within its timeout; exit 0 is
 * success.  With filter, its output replaces msg.  0, or -1 (logged,
 * msg as it was). */
int	pipe_run(const struct rule_action *, struct act_msg *, int filter,
	    const char *account);

#endif

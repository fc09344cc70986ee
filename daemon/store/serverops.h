/* SPDX-License-Identifier: ISC */
/*
 * serverops.h - the state store's list of server-side actions the rules
 * asked for (IMAP move, copy, flag, delete).
 *
 * An action is recorded when the plan is carried out, before the
 * message's batch commits, and is kept until the server did it; it is
 * handed out only once its message is recorded (delivered or filed), so
 * nothing is moved or deleted on the server that is not safe at home,
 * and a crash in between only delays it to the next round.
 */
#ifndef DAEMON_SERVEROPS_H
#define DAEMON_SERVEROPS_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/store/state.h"

struct server_op {
	int64_t		 id;
	uint32_t	 uid;
	char		*action;	/* "flag", "copy", "move", "delete" */
	char		*arg;		/* flags, or the folder; "" */
};

int	state_server_op_add(struct state *, const char *account,
	    const char *folder, uint32_t uidvalidity, uint32_t uid,
	    const char *action, const char *arg, char *err, size_t errlen);
/* The ready ones of a folder: flags and copies of a UID before its move
 * or delete, else in the order recorded. */
int	state_server_ops_ready(struct state *, const char *account,
	    const char *folder, uint32_t uidvalidity, struct server_op **,
	    size_t *n, char *err, size_t errlen);
void	state_server_ops_free(struct server_op *, size_t n);
int	state_server_op_done(struct state *, int64_t id, char *err,
	    size_t errlen);

#endif

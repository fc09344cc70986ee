/* SPDX-License-Identifier: ISC */
/*
 * action.h - carrying out a rule plan: the daemon's side of rules/.
 *
 * action.c walks the plan in order and dispatches: deliveries are staged in
 * the pipeline's batch (so they share its journal and group commit);
 * header edits and pipe filters change the message the later actions
 * see; files and commands run at once and are logged in the state so a
 * refetch does not repeat them; replies, forwards and redirects are
 * queued in the state's outbox, keyed so a message is queued once, and
 * sent at the end of the round (action_outbox_send).
 */
#ifndef DAEMON_ACTION_H
#define DAEMON_ACTION_H

#include <stddef.h>

#include "daemon/conf/conf.h"

struct mime_message;
struct mime_part;
struct rule_action;
struct state;

/* The message as the actions see it: header edits and filters replace
 * it. */
struct action_msg {
	char		*data;
	size_t		 len;
	int		 owned;		/* data is ours to free */
};

/* action-edit.c */
int	action_header_add(struct action_msg *, const char *name, const char *value);
int	action_header_remove(struct action_msg *, const char *name);

/* action-save.c: the selected parts under dir; key names the action. */
int	action_save_attachments(struct state *, const struct rule_action *,
	    const char *key, const char *account);

/* action-pipe.c: run argv with the message on stdin within timeout
 * seconds; exit 0 is success.  With filter, its output replaces msg. */
int	action_pipe(const struct rule_action *, struct action_msg *, int filter,
	    const char *account);

/* action-send.c */
int	action_reply(struct state *, const struct config *,
	    const struct account *, const struct rule_action *,
	    const struct mime_message *, const char *orig, size_t len,
	    const char *key);
int	action_forward(struct state *, const struct config *,
	    const struct account *, const struct rule_action *,
	    const char *orig, size_t len, const char *key, int redirect);
/* Send one batch of what is due in the outbox for this account; 1 if
 * the batch was full (more may be due), 0 if not, -1 if some could not
 * be sent (they stay queued for their backoff, logged). */
int	action_outbox_send(const struct config *, struct state *,
	    const char *account);

/* "~/x" to "$HOME/x" into out. */
int	action_expand_home(const char *path, char *out, size_t outlen);

#endif

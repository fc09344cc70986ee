/* SPDX-License-Identifier: ISC */
/*
 * save.h - the save-attachments action (save.c): the decoded parts the
 * rule selected, written under its directory, never overwriting and
 * never through a symlink, and logged in the state under the action's
 * key so a refetch does not save them again.
 */
#ifndef DAEMON_ACT_SAVE_H
#define DAEMON_ACT_SAVE_H

struct rule_action;
struct state;

/* The selected parts under the rule's directory; key names the action
 * (one message, one rule).  0 (saved, or saved before, or a lasting
 * failure logged and recorded as done), or -1 (logged: try again next
 * round). */
int	save_attachments(struct state *, const struct rule_action *,
	    const char *key, const char *account);

#endif

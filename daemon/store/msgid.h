/* SPDX-License-Identifier: ISC */
/*
 * msgid.h - the state store's record of a provider's own message ids:
 * Gmail's X-GM-MSGID, the same for one message in every label folder
 * it shows up in (https://developers.google.com/gmail/imap/imap-extensions).
 *
 * An id is recorded once its message is recorded (delivered or filed by
 * the rules), with the folder and UID it came through; a later folder
 * that shows the same id holds the same message, which is then recorded
 * there as a duplicate instead of being fetched again.  Recording comes
 * after the message's commit: a crash in between can only make the
 * message come twice, never lose it.
 */
#ifndef DAEMON_STORE_MSGID_H
#define DAEMON_STORE_MSGID_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/store/state.h"

/* known[i] = 1 if ids[i] is recorded for the account, else 0. */
int	state_msgids_known(struct state *, const char *account,
	    const uint64_t *ids, size_t n, unsigned char *known, char *err,
	    size_t errlen);
/* Record id as seen through folder and uid (the first one stays). */
int	state_msgid_record(struct state *, const char *account, uint64_t id,
	    const char *folder, uint32_t uid, char *err, size_t errlen);

#endif

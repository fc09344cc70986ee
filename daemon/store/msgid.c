/* SPDX-License-Identifier: ISC */
/* msgid.c - the front door of msgid.h: each call handed to the
 * backend (backend.h). */
#include "daemon/store/backend.h"
#include "daemon/store/msgid.h"

int
state_msgids_known(struct state *st, const char *account, const uint64_t *ids,
    size_t n, unsigned char *known, char *err, size_t errlen)
{
	return st->be->state_msgids_known(st->impl, account, ids, n, known, err,
	    errlen);
}

int
state_msgid_record(struct state *st, const char *account, uint64_t id,
    const char *folder, uint32_t uid, char *err, size_t errlen)
{
	return st->be->state_msgid_record(st->impl, account, id, folder, uid,
	    err, errlen);
}

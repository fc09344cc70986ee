/* SPDX-License-Identifier: ISC */
/* serverops.c - the front door of serverops.h: each call handed
 * to the backend (backend.h). */
#include "daemon/store/backend.h"
#include "daemon/store/serverops.h"

int
state_server_op_add(struct state *st, const char *account, const char *folder,
    uint32_t uidvalidity, uint32_t uid, const char *action, const char *arg,
    char *err, size_t errlen)
{
	return st->be->state_server_op_add(st->impl, account, folder,
	    uidvalidity, uid, action, arg, err, errlen);
}

int
state_server_ops_ready(struct state *st, const char *account,
    const char *folder, uint32_t uidvalidity, struct server_op **v, size_t *n,
    char *err, size_t errlen)
{
	return st->be->state_server_ops_ready(st->impl, account, folder,
	    uidvalidity, v, n, err, errlen);
}

int
state_server_op_done(struct state *st, int64_t id, char *err, size_t errlen)
{
	return st->be->state_server_op_done(st->impl, id, err, errlen);
}

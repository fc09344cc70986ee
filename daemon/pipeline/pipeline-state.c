/* SPDX-License-Identifier: ISC */
/*
 * pipeline-state.c - the sources' questions to the state store, answered
 * through the pipeline so that sources need not talk to it: which
 * messages (UIDL, UID, X-GM-MSGID) are known, a folder's UIDVALIDITY
 * change and its CONDSTORE sync point, the server actions due.  Each
 * logs what failed; a dry run records nothing.  The per-message path
 * itself is in pipeline.c.
 */
#include <stdint.h>

#include "daemon/pipeline/pipeline-int.h"
#include "daemon/util/log.h"
#include "daemon/store/msgid.h"
#include "daemon/store/serverops.h"
#include "daemon/store/state.h"

int
pipeline_known_uidls(struct pipeline *pl, const char *const *uidls, size_t n,
    unsigned char *known)
{
	struct uidlset	 set, done;
	char		 err[1024];
	size_t		 i;

	if (state_uidls_delivered(pl->st, pl->acct->name, "", &set, err,
	    sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	if (state_uidls_deletable(pl->st, pl->acct->name, "", &done, err,
	    sizeof(err)) == -1) {
		log_error("%s", err);
		uidlset_free(&set);
		return -1;
	}
	for (i = 0; i < n; i++) {
		known[i] = 0;
		if (uidlset_has(&set, uidls[i]))
			known[i] = uidlset_has(&done, uidls[i]) ? 1 : 2;
	}
	uidlset_free(&set);
	uidlset_free(&done);
	return 0;
}

int
pipeline_known_uids(struct pipeline *pl, const char *folder,
    uint32_t uidvalidity, const uint32_t *uids, size_t n,
    unsigned char *known)
{
	struct uidset	 set, done;
	char		 err[1024];
	size_t		 i;

	if (state_uids_delivered(pl->st, pl->acct->name, folder, uidvalidity,
	    &set, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	if (state_uids_deletable(pl->st, pl->acct->name, folder, uidvalidity,
	    &done, err, sizeof(err)) == -1) {
		log_error("%s", err);
		uidset_free(&set);
		return -1;
	}
	for (i = 0; i < n; i++) {
		known[i] = 0;
		if (uidset_has(&set, uids[i]))
			known[i] = uidset_has(&done, uids[i]) ? 1 : 2;
	}
	uidset_free(&set);
	uidset_free(&done);
	return 0;
}

int
pipeline_folder_begin(struct pipeline *pl, const char *folder,
    uint32_t uidvalidity)
{
	char	 err[1024];
	size_t	 aside = 0;

	log_context_folder(folder);
	if (pl->dry_run)
		return 0;
	if (state_folder_reset(pl->st, pl->acct->name, folder, uidvalidity,
	    &aside, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	if ((pl->dedupe = state_folder_set_aside(pl->st, pl->acct->name,
	    folder, err, sizeof(err))) == -1) {
		log_error("%s", err);
		return -1;
	}
	if (aside > 0)
		log_warn("%s: folder %s: UIDVALIDITY changed to %u: %zu "
		    "entries set aside; fetching the folder again, skipping "
		    "what was already delivered", pl->acct->name, folder,
		    uidvalidity, aside);
	return 0;
}

int
pipeline_folder_sync(struct pipeline *pl, const char *folder,
    struct state_sync *sync)
{
	char	 err[1024];
	int	 r;

	if ((r = state_folder_sync(pl->st, pl->acct->name, folder, sync, err,
	    sizeof(err))) == -1)
		log_error("%s", err);
	return r;
}

int
pipeline_folder_sync_set(struct pipeline *pl, const char *folder,
    const struct state_sync *sync)
{
	char	 err[1024];

	if (pl->dry_run)
		return 0;
	if (state_folder_sync_set(pl->st, pl->acct->name, folder, sync, err,
	    sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

int
pipeline_server_ops(struct pipeline *pl, const char *folder,
    uint32_t uidvalidity, struct server_op **v, size_t *n)
{
	char	 err[1024];

	*v = NULL;
	*n = 0;
	if (pl->dry_run)
		return 0;
	if (state_server_ops_ready(pl->st, pl->acct->name, folder,
	    uidvalidity, v, n, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

void
pipeline_server_ops_free(struct server_op *v, size_t n)
{
	state_server_ops_free(v, n);
}

int
pipeline_server_op_done(struct pipeline *pl, int64_t id)
{
	char	 err[1024];

	if (state_server_op_done(pl->st, id, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

int
pipeline_known_msgids(struct pipeline *pl, const uint64_t *ids, size_t n,
    unsigned char *known)
{
	char	 err[1024];

	if (state_msgids_known(pl->st, pl->acct->name, ids, n, known, err,
	    sizeof(err)) == -1) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

/* SPDX-License-Identifier: ISC */
/*
 * conf-oauth2.h - building and checking the oauth2-* options of a
 * section (conf-oauth2.c), for conf-build.c.  Internal to conf/.
 */
#ifndef DAEMON_CONF_CONF_OAUTH2_H
#define DAEMON_CONF_CONF_OAUTH2_H

#include <confuse.h>

struct conf_load;
struct config;
struct endpoint;

/* ep->oauth2 from sec if auth = oauth2; an error if oauth2-* options are
 * set without it, or do not fit together. */
int	conf_oauth2_build(struct conf_load *, cfg_t *sec, struct endpoint *);
/* user required, no password: for an endpoint with ep->oauth2. */
int	conf_oauth2_check_login(struct conf_load *, cfg_t *sec,
	    const struct endpoint *);
/* After all sections: oauth2-account names an account with auth =
 * oauth2. */
int	conf_oauth2_check_account(struct conf_load *, const struct config *,
	    cfg_t *sec, const struct endpoint *);
/* The global auth-failure-command for an endpoint with its own oauth2-*
 * settings and none of its own. */
int	conf_oauth2_defaults(struct conf_load *, cfg_t *root,
	    struct endpoint *);

#endif

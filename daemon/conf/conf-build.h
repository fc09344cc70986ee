/* SPDX-License-Identifier: ISC */
/*
 * conf-build.h - building struct config from the parsed libconfuse tree
 * (conf-build.c): the checks that span several options.  Called by
 * conf.c's config_load() only; it never reads the file or calls back
 * into conf.c.
 */
#ifndef DAEMON_CONF_BUILD_H
#define DAEMON_CONF_BUILD_H

#include <confuse.h>

struct conf_load;
struct config;

/* The checked struct config, or NULL after conf_fail(). */
struct config	*conf_build(struct conf_load *, cfg_t *);

#endif

/* SPDX-License-Identifier: ISC */
/*
 * conf-value.h - the single-value checks of mailsift.conf's options
 * (conf-value.c), for conf.c's libconfuse validate callback.
 */
#ifndef DAEMON_CONF_CONF_VALUE_H
#define DAEMON_CONF_CONF_VALUE_H

#include <confuse.h>

/* 0 if opt's value just set in section sec is fine, else -1 after
 * cfg_error() saying why (libconfuse adds the line). */
int	conf_value_check(cfg_t *sec, cfg_opt_t *opt);

#endif

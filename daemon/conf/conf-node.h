/* SPDX-License-Identifier: ISC */
/*
 * conf-node.h - a daemon's node name, for several daemons sharing a
 * store (`mailsift run --node NAME`, an account's `pin = NAME`): the
 * one check both go through, and lease-time's bounds.
 */
#ifndef DAEMON_CONF_CONF_NODE_H
#define DAEMON_CONF_CONF_NODE_H

#define CONF_NODE_MAX		64
/* lease-time's bounds, seconds. */
#define CONF_LEASE_TIME_MIN	6
#define CONF_LEASE_TIME_MAX	3600

/* Printable ASCII, no space, 1 to CONF_NODE_MAX bytes: NULL if name is
 * fine, else why not ("is empty", ...). */
const char	*conf_node_check(const char *name);

#endif

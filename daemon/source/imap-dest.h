/* SPDX-License-Identifier: ISC */
/*
 * imap-dest.h - the IMAP client for the imap: delivery target
 * (deliver/imap-client.h), on the IMAP source's session (imap.c): an
 * account section used as a destination.  The command that runs the
 * daemon hands it to deliver/ with imap_client_set(&imap_dest_client),
 * so that deliver/ never calls the source by name.
 */
#ifndef DAEMON_SOURCE_IMAP_DEST_H
#define DAEMON_SOURCE_IMAP_DEST_H

#include "daemon/deliver/imap-client.h"

extern const struct imap_client	 imap_dest_client;

#endif

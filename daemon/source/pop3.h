/* SPDX-License-Identifier: ISC */
/*
 * pop3.h - the POP3 source's settings beyond fetch.h.
 *
 * pop3_fetch() itself is declared in fetch.h with the other sources.
 */
#ifndef DAEMON_POP3_H
#define DAEMON_POP3_H

/* Connect, read and write timeout of every POP3 session, in milliseconds
 * (default 60000).  Set before sessions start; tests make it short. */
void	pop3_set_timeout(int ms);

#endif

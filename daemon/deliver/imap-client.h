/* SPDX-License-Identifier: ISC */
/*
 * imap-client.h - the IMAP commands the imap: target (imap.c) needs,
 * as a table of functions it is handed once at start.  deliver/ never
 * calls daemon/source/ (the source calls the pipeline, which calls
 * delivery: that would be a cycle); the IMAP client session lives
 * there, so source/imap-dest.c implements this table on it and the
 * command that runs the daemon (cmd/cmd-run.c) hands it over with
 * imap_client_set() before any delivery or recovery.  Unit tests hand
 * over a fake.  Without a client the target refuses to open, and
 * recovery leaves imap: intents as they are.
 *
 * Every function returns 0 (or the value it says), or -1 with the
 * reason in err; a session that failed is only good for logout().
 */
#ifndef DAEMON_DELIVER_IMAP_CLIENT_H
#define DAEMON_DELIVER_IMAP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct config;
struct imap_dest;		/* a session, the implementation's */

/* One message of an APPEND batch: in, then out. */
struct imap_dest_msg {
	const char	*data;		/* CRLF line ends */
	size_t		 len;
	const char	*flags;		/* "\\Seen \\Flagged", or "" */
	time_t		 date;		/* INTERNALDATE; 0: the server's now */
	long		 zone;		/* its offset east of UTC, seconds */

	int		 sent;		/* all its bytes went out */
	int		 ok;		/* the tagged OK came */
	uint32_t	 uidvalidity;	/* APPENDUID (UIDPLUS); 0 if none */
	uint32_t	 uid;
	char		 code[32];	/* a refusal's response code:
					 * "OVERQUOTA", "TRYCREATE"; "" */
	char		 err[512];	/* a refusal's text */
};

struct imap_client {
	/* Connect and log in as the account section named account (its
	 * host, port, tls, tls-ca-file, user, password or
	 * password-command, auth), which must be of type imap. */
	struct imap_dest *(*connect)(const struct config *,
		    const char *account, char *err, size_t errlen);
	/* The folder written with '/' ("Archive/2024"), INBOX, or a
	 * SPECIAL-USE name ("\Archive"), as the server names it, in its
	 * quoted wire form (wire, wirelen >= 2048).  create: make it
	 * (with its parents) if it does not exist; a SPECIAL-USE folder
	 * is never created. */
	int	(*folder)(struct imap_dest *, const char *folder, int create,
		    char *wire, size_t wirelen, char *err, size_t errlen);
	/* APPEND v[0..n) to the folder (wire form): MULTIAPPEND (RFC
	 * 3502) where offered, else pipelined APPENDs, with LITERAL+ or
	 * LITERAL- where offered.  Each message gets sent, ok, APPENDUID
	 * or its refusal.  0 if the session is still good (each message
	 * then has its answer), -1 if it broke (err; a message sent and
	 * not answered has sent = 1, ok = 0). */
	int	(*append)(struct imap_dest *, const char *wire,
		    struct imap_dest_msg *v, size_t n, char *err,
		    size_t errlen);
	/* Is a message with header field name containing value in the
	 * folder?  1 yes, 0 no (also: the folder does not exist), -1 an
	 * error. */
	int	(*search)(struct imap_dest *, const char *wire,
		    const char *name, const char *value, char *err,
		    size_t errlen);
	/* LOGOUT if the session is good; frees it.  NULL is fine. */
	void	(*logout)(struct imap_dest *);
	/* NOOP: is a session kept from an earlier batch still good? */
	int	(*noop)(struct imap_dest *, char *err, size_t errlen);
};

/* Once, before any delivery or recovery, from one thread. */
void			 imap_client_set(const struct imap_client *);
/* NULL if none was set. */
const struct imap_client *imap_client_get(void);

#endif

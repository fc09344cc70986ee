#!/bin/sh
# SPDX-License-Identifier: ISC
# Several daemons, one PostgreSQL store (issue 15): a PostgreSQL 15 and
# the Dovecot and Postfix of servers.sh in one throwaway directory
# (servers-cluster.sh), then test_cluster.py: 60 accounts (56 IMAP with
# IDLE, 4 POP3) shared by three `mailsift run --node dN` daemons with
# lease-time 6 s, every account delivering into its own Maildir under
# one directory, mail injected over LMTP throughout and one message in
# four answered by an auto-reply through Postfix.  Scenarios: even
# spread, kill -9 of a daemon, SIGSTOP past its lease and SIGCONT,
# PostgreSQL restarted, a fourth daemon joining; over all, every message
# delivered exactly once and no reply sent twice.  Takes about three
# minutes (bounded at ten); ends with "cluster: N passed, N failed" and
# the figures (takeover seconds, deliveries per daemon).  Needs root,
# contrib/install-deps-servers.sh and contrib/install-deps-pg.sh.
# MSX_KEEP=1 keeps the directory; CLUSTER_* variables: test_cluster.py.
MSX_HARNESS=servers-cluster.sh MSX_PY_TIMEOUT=${MSX_PY_TIMEOUT:-600} \
    exec sh "$(dirname "$0")/run-py.sh" cluster test_cluster.py "$@"

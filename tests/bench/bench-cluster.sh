#!/bin/sh
# SPDX-License-Identifier: ISC
# bench-cluster.sh - several mailsift daemons sharing N IMAP accounts
# (`idle = true`) through the leases of one PostgreSQL 15, against one
# Dovecot tuned as in bench-accounts.sh (`make bench-cluster`, after
# `make all`; root).  For each K in DAEMONS ("3 1"): a fresh PostgreSQL
# (servers-pg.sh, with pg_stat_statements), K daemons started and
# waited for until every account is held and in IDLE, then
# (bench_cluster.py) the commits/s the leases cost while all is idle,
# then M messages written into random accounts' Dovecot Maildirs at
# once (as an MDA would) and timed until all are in mailsift's Maildirs:
# messages/s delivered, PostgreSQL commits/s (pg_stat_database
# xact_commit), statements (pg_stat_statements calls), rows written and
# WAL bytes (pg_current_wal_lsn) per message, each daemon's RSS and CPU.
# Figures only: exit 1 only if the bench cannot run.
#
# Environment: N (1000 accounts), M (2000 messages), DAEMONS ("3 1"),
# READY_SECS (300: the longest wait for all in IDLE), IDLE_SECS (20),
# LEASE (lease-time, 30), PG_MAX_CONNECTIONS (N + 200).
set -eu
: "${N:=1000}"
# bench-accounts.sh: root and limits checked, servers-lib.sh, the
# tuned Dovecot (write_dovecot) and cmd_stop; it runs nothing when
# sourced so.
# shellcheck disable=SC2034  # read by bench-accounts.sh
BA_SOURCED=1
# shellcheck disable=SC1091
. "$(dirname "$0")/bench-accounts.sh"
# shellcheck disable=SC2034  # read by servers-lib.sh
PROG=bench-cluster

D=$(mktemp -d /tmp/msbc.XXXXXX)
chmod 755 "$D"
cleanup() {
	for p in "$D"/pg-*; do
		[ -d "$p" ] && sh tests/integration/servers-pg.sh stop "$p" \
		    >/dev/null 2>&1
	done
	cmd_stop
	if [ "${KEEP:-}" = "" ]; then
		rm -rf "$D"
	else
		echo "bench-cluster: kept $D"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

alloc_ports
make_certs
write_dovecot "$N"
dovecot -c "$D/dovecot.conf" </dev/null >>"$D/start.log" 2>&1 ||
    abort_start "dovecot failed to start"
wait_ports up 10 "$BA_IMAPS_PORT" || abort_start "dovecot did not come up"
BC_DIR=$D BC_PORT=$BA_IMAPS_PORT BC_CA=$D/tls/ca.crt BC_N=$N \
    MSX_PG_MAX_CONNECTIONS=${PG_MAX_CONNECTIONS:-$((N + 200))} \
    python3 tests/bench/bench_cluster.py

#!/bin/sh
# SPDX-License-Identifier: ISC
# Several daemons, one PostgreSQL store (issue 15): a PostgreSQL 15
# (servers-pg.sh) and the Dovecot and Postfix of servers.sh in one
# throwaway directory, then test_cluster.py: 60 accounts (56 IMAP with
# IDLE, 4 POP3) shared by three `mailsift run --node dN` daemons with
# lease-time 6 s, every account delivering into its own Maildir under
# one directory, mail injected over LMTP throughout and one message in
# four answered by an auto-reply through Postfix.  Scenarios: even
# spread, kill -9 of a daemon, SIGSTOP past its lease and SIGCONT,
# PostgreSQL restarted, a fourth daemon joining; over all, every message
# delivered exactly once and no reply sent twice.  Takes about three
# minutes; ends with "cluster: N passed, N failed" and the figures
# (takeover seconds, deliveries per daemon).  Needs root,
# contrib/install-deps-servers.sh and contrib/install-deps-pg.sh.
# MSX_KEEP=1 keeps the directory; CLUSTER_* variables: test_cluster.py.
# shellcheck disable=SC2317  # cleanup runs from the trap
set -u
cd "$(dirname "$0")/../.." || exit 1
H=tests/integration

fail() {
	echo "not ok - $1"
	echo "cluster: 0 passed, 1 failed"
	exit 1
}

[ -x ./mailsift ] || fail "./mailsift is built (run make)"
D=$(mktemp -d /tmp/msc.XXXXXX)
chmod 755 "$D"
cleanup() {
	sh "$H"/servers-pg.sh stop "$D" >/dev/null 2>&1
	sh "$H"/servers.sh stop "$D" >/dev/null 2>&1
	if [ "${MSX_KEEP:-0}" = 1 ]; then
		echo "# kept $D" >&2
	else
		rm -rf "$D"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if ! sh "$H"/servers.sh start "$D" >"$D/start.out" 2>&1; then
	sed 's/^/# /' "$D/start.out"
	fail "Dovecot and Postfix start"
fi
# four daemons' connections, status's, and a stopped daemon's left open
if ! MSX_PG_MAX_CONNECTIONS=300 sh "$H"/servers-pg.sh start "$D" >"$D/start-pg.out" 2>&1; then
	sed 's/^/# /' "$D/start-pg.out"
	fail "PostgreSQL starts"
fi
eval "$(sh "$H"/servers.sh env "$D")"
eval "$(sh "$H"/servers-pg.sh env "$D")"
export MSX_PG_HARNESS="$D"
timeout 600 python3 "$H"/test_cluster.py
rc=$?
[ "$rc" -eq 124 ] && fail "the scenarios end within 600 s"
if [ "$rc" -ne 0 ] && [ -s "$D/pg/run/postgres.log" ]; then
	echo "# --- tail of postgres.log"
	tail -n 10 "$D/pg/run/postgres.log" | sed 's/^/# /'
fi
exit "$rc"

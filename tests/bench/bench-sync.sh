#!/bin/sh
# SPDX-License-Identifier: ISC
# bench-sync.sh - a no-op poll of a 100,000-message folder with CONDSTORE
# and QRESYNC (RFC 7162) against the plain UID SEARCH poll
# (`condstore = no`), on the private Dovecot of servers.sh (`make
# bench-sync`, after `make all`).  Needs root (the servers).
#
# COUNT small messages are written straight into user1's Maildir (fast;
# Dovecot indexes them once, untimed), mailsift's state is told they
# were all delivered (rows written by bench_sync.py, as a first run
# would leave them), one untimed round records the sync point, then
# RUNS no-op polls of each kind alternate; then RUNS polls of each kind
# after one new message was saved.  Prints the median wall and CPU (user
# + system of mailsift) of each, and the ratios.  Timings never fail the
# run: exit 1 only if a poll fails or fetches other than it should.
#
# Environment: COUNT (100000), RUNS (5).
set -eu
cd "$(dirname "$0")/../.."

die() { echo "bench-sync: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (the servers need it)"
[ -x ./mailsift ] || die "./mailsift is missing: run make first"
D=$(mktemp -d /tmp/msbs.XXXXXX)
cleanup() {
	sh tests/integration/servers.sh stop "$D" >/dev/null 2>&1 || true
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
sh tests/integration/servers.sh start "$D" >"$D/start.out" 2>&1 ||
    { cat "$D/start.out" >&2; die "the servers did not start"; }
eval "$(sh tests/integration/servers.sh env "$D")"
python3 tests/bench/bench_sync.py

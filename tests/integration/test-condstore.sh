#!/bin/sh
# SPDX-License-Identifier: ISC
# CONDSTORE and QRESYNC (RFC 7162) against a real Dovecot (issue 12):
# a no-op poll sends no SEARCH and no FETCH; new messages, flag changes,
# a new UIDVALIDITY, mail arriving mid-round, a killed round, an old
# state file and `condstore = no`.  The checks are in test_condstore.py
# (arguments: names of its test_* functions); this starts one server set
# and always stops it.  Ends with "condstore: N passed, N failed".
# MSX_KEEP=1 keeps the directory.
# shellcheck disable=SC2317  # cleanup runs from the trap
set -u
cd "$(dirname "$0")/../.." || exit 1
H=tests/integration/servers.sh

if [ ! -x ./mailsift ]; then
	echo "not ok - ./mailsift is built (run make)"
	echo "condstore: 0 passed, 1 failed"
	exit 1
fi
D=$(mktemp -d /tmp/mscs.XXXXXX)
cleanup() {
	sh "$H" stop "$D" >/dev/null 2>&1
	if [ "${MSX_KEEP:-0}" = 1 ]; then
		echo "# kept $D" >&2
	else
		rm -rf "$D"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if ! sh "$H" start "$D" >"$D/start.out" 2>&1; then
	sed 's/^/# /' "$D/start.out"
	echo "not ok - the servers start"
	echo "condstore: 0 passed, 1 failed"
	exit 1
fi
eval "$(sh "$H" env "$D")"
python3 tests/integration/test_condstore.py "$@"
exit $?

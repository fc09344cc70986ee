#!/bin/sh
# SPDX-License-Identifier: ISC
# run-py.sh SUITE SCRIPT [ARG...] - the wrapper of a Python suite against
# the servers of servers.sh: start them in a throwaway directory, export
# their MSX_* variables, run tests/integration/SCRIPT with the arguments
# (names of its test_* functions), always stop them.  A failure before the
# script runs ends with "SUITE: 0 passed, 1 failed"; otherwise the
# script prints its own summary.  MSX_KEEP=1 keeps the directory.
# MSX_HARNESS names another harness with the same start/stop/env
# commands (default servers.sh); MSX_PY_TIMEOUT bounds the script in
# seconds (default none).
# shellcheck disable=SC2317  # cleanup runs from the trap
set -u
cd "$(dirname "$0")/../.." || exit 1
SUITE=$1
SCRIPT=$2
shift 2
H=tests/integration/${MSX_HARNESS:-servers.sh}

fail() {
	echo "not ok - $1"
	echo "$SUITE: 0 passed, 1 failed"
	exit 1
}

[ -x ./mailsift ] || fail "./mailsift is built (run make)"
D=$(mktemp -d /tmp/msp.XXXXXX)
chmod 755 "$D"
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
	fail "the servers start"
fi
eval "$(sh "$H" env "$D")"
if [ -z "${MSX_PY_TIMEOUT:-}" ]; then
	python3 "tests/integration/$SCRIPT" "$@"
	exit
fi
timeout "$MSX_PY_TIMEOUT" python3 "tests/integration/$SCRIPT" "$@"
rc=$?
[ "$rc" -eq 124 ] && fail "the suite ended within $MSX_PY_TIMEOUT s"
exit "$rc"

#!/bin/sh
# SPDX-License-Identifier: ISC
# Fetching against a real Dovecot (issue 3): byte-identical delivery over
# IMAP STARTTLS, IMAPS, POP3 STLS and POP3S; keep, only-unseen, folders,
# UIDVALIDITY resets, max-size, TLS refusals and pins, plaintext auth,
# password-command, parallel accounts, exit status, SIGTERM, -vv, mbox;
# then kill -9 many times during a 500-message fetch, and a full disk.
# The checks are in test_fetch.py (arguments: names of its test_*
# functions, to run only those); this starts one server set for all of
# them, on ports of their own, and always stops it.  Ends with
# "fetch: N passed, N failed".  MSX_KEEP=1 keeps the directory.
# shellcheck disable=SC2317  # cleanup runs from the trap
set -u
cd "$(dirname "$0")/../.." || exit 1
H=tests/integration/servers.sh

if [ ! -x ./mailsift ]; then
	echo "not ok - ./mailsift is built (run make)"
	echo "fetch: 0 passed, 1 failed"
	exit 1
fi
D=$(mktemp -d /tmp/msf.XXXXXX)
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
	echo "fetch: 0 passed, 1 failed"
	exit 1
fi
eval "$(sh "$H" env "$D")"
python3 tests/integration/test_fetch.py "$@"
exit $?

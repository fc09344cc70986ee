#!/bin/sh
# SPDX-License-Identifier: ISC
# The interop suite (interop.py: fetch over IMAP STARTTLS, IMAPS, POP3
# STLS and POP3S, keep/delete, second run, wrong CA; server-side rules
# and folder names; IDLE; UIDVALIDITY; and Courier's own checks) against
# a real Courier-IMAP and Courier-POP3 (issue 12).  Courier comes
# unpacked from Debian's packages (contrib/install-deps-interop.sh, run
# here if its tree is missing) and runs through servers-courier.sh,
# whose `env` exports interop.py's MSX_IX_* interface.  Arguments: names
# of interop.py's scenario functions.  Ends with "courier: N passed, N
# failed".  MSX_KEEP=1 keeps the directory.
# shellcheck disable=SC2317  # cleanup runs from the trap
set -u
cd "$(dirname "$0")/../.." || exit 1
H=tests/integration/servers-courier.sh

fail() {
	echo "not ok - $1"
	echo "courier: 0 passed, 1 failed"
	exit 1
}

[ -x ./mailsift ] || fail "./mailsift is built (run make)"
sh contrib/install-deps-interop.sh courier >&2 ||
    fail "Courier's packages are fetched and unpacked"
D=$(mktemp -d /tmp/msc.XXXXXX)
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
	fail "Courier starts"
fi
sed -n 's/^ready in/# Courier ready in/p' "$D/start.log"
eval "$(sh "$H" env "$D")"
python3 tests/integration/interop.py "$@"
exit $?

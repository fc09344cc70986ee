#!/bin/sh
# SPDX-License-Identifier: ISC
# SPECIAL-USE folders (RFC 6154) against a real Dovecot
# (test_special.py): move/copy to \Junk and \Archive, folders =
# { '\Archive' }, and the error where the server marks none.
# Ends with "special: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
H=tests/integration/servers.sh
D=$(mktemp -d /tmp/mss.XXXXXX)
chmod 755 "$D"
cleanup() {
	sh $H stop "$D" >/dev/null 2>&1
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
if ! sh $H start "$D" >"$D/start.out" 2>&1; then
	sed 's/^/# /' "$D/start.out"
	echo "special: 0 passed, 1 failed"
	exit 1
fi
eval "$(sh $H env "$D")"
python3 tests/integration/test_special.py "$@"

#!/bin/sh
# SPDX-License-Identifier: ISC
# Rules and actions against a real Dovecot and Postfix (test_rules.py).
# Ends with "rules: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
H=tests/integration/servers.sh
D=$(mktemp -d /tmp/msr.XXXXXX)
chmod 755 "$D"
cleanup() {
	sh $H stop "$D" >/dev/null 2>&1
	rm -rf "$D"
}
trap cleanup EXIT INT TERM
if ! sh $H start "$D" >"$D/start.out" 2>&1; then
	cat "$D/start.out"
	echo "rules: 0 passed, 1 failed"
	exit 1
fi
eval "$(sh $H env "$D")"
python3 tests/integration/test_rules.py "$@"

#!/bin/sh
# SPDX-License-Identifier: ISC
# The OAuth2 test chain with real parts and plain Python (no mailsift
# code yet): servers-oauth.sh's OpenID provider, Dovecot's oauth2 passdb
# (introspection) for IMAP/POP3, Postfix submission through Dovecot's
# SASL; see test_oauth_harness.py.  Needs root, contrib/install-deps-
# servers.sh and contrib/install-deps-oauth.sh (make deps).  About 25 s
# (it waits out one access-token lifetime).  MSX_KEEP=1 keeps the
# directory.  Ends with "oauth-harness: N passed, N failed".
# shellcheck disable=SC2317  # cleanup runs from the trap
set -u
cd "$(dirname "$0")/../.." || exit 1
H=tests/integration/servers-oauth.sh

fail() {
	echo "not ok - $1"
	echo "oauth-harness: 0 passed, 1 failed"
	exit 1
}

D=$(mktemp -d /tmp/mso.XXXXXX)
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
	fail "the provider, Dovecot and Postfix start"
fi
eval "$(sh "$H" env "$D")"
timeout 90 python3 tests/integration/test_oauth_harness.py "$@"
rc=$?
[ "$rc" -eq 124 ] && fail "the suite ended within 90 s"
exit "$rc"

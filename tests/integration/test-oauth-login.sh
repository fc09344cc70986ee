#!/bin/sh
# SPDX-License-Identifier: ISC
# `mailsift auth login` (daemon/oauth/oauth-login.c) and OpenID discovery
# of oauth2-issuer (oauth-discover.c) against servers-oauth.sh's OpenID
# provider and Dovecot's oauth2 passdb: code + PKCE with the loopback
# listener, then IMAP with the grant; the --no-browser dialogue; a wrong
# state refused; access_denied; a missing refresh token warned about; an
# issuer mismatch refused; no code, verifier or token in -vv output; see
# test_oauth_login.py.  Needs root and make deps, like test-oauth.sh.
# MSX_KEEP=1 keeps the directory.  Ends with "oauth-login: N passed, N
# failed".
# shellcheck disable=SC2317  # cleanup runs from the trap
set -u
cd "$(dirname "$0")/../.." || exit 1
H=tests/integration/servers-oauth.sh

fail() {
	echo "not ok - $1"
	echo "oauth-login: 0 passed, 1 failed"
	exit 1
}

D=$(mktemp -d /tmp/msol.XXXXXX)
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
timeout 150 python3 tests/integration/test_oauth_login.py "$@"
rc=$?
[ "$rc" -eq 124 ] && fail "the suite ended within 150 s"
exit "$rc"

#!/bin/sh
# SPDX-License-Identifier: ISC
# `mailsift auth login --device` (RFC 8628), `mailsift auth logout` (RFC
# 7009) and oauth2-flow = client-credentials against servers-oauth.sh's
# OpenID provider and Dovecot's oauth2 passdb; see test_oauth_device.py.
# Access tokens live 300 s here (MSX_OIDC_TOKEN_TTL), so that "no token
# request while the token is fresh" does not hang on the machine's speed.
# Needs root and make deps, like test-oauth.sh.  MSX_KEEP=1 keeps the
# directory.  Ends with "oauth-device: N passed, N failed".
# shellcheck disable=SC2317  # cleanup runs from the trap
set -u
cd "$(dirname "$0")/../.." || exit 1
H=tests/integration/servers-oauth.sh

fail() {
	echo "not ok - $1"
	echo "oauth-device: 0 passed, 1 failed"
	exit 1
}

D=$(mktemp -d /tmp/msod.XXXXXX)
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

if ! MSX_OIDC_TOKEN_TTL=300 sh "$H" start "$D" >"$D/start.out" 2>&1; then
	sed 's/^/# /' "$D/start.out"
	fail "the provider, Dovecot and Postfix start"
fi
eval "$(sh "$H" env "$D")"
timeout 240 python3 tests/integration/test_oauth_device.py "$@"
rc=$?
[ "$rc" -eq 124 ] && fail "the suite ended within 240 s"
exit "$rc"

#!/bin/sh
# SPDX-License-Identifier: ISC
# mailsift's own OAuth2 code (daemon/oauth/) against servers-oauth.sh's
# OpenID provider and Dovecot's oauth2 passdb: a grant stored by the test
# (code + PKCE through oidc_client.py) is refreshed by mailsift, the
# rotated refresh token saved, and IMAP and POP3 logins with `auth =
# oauth2` alone (OAUTHBEARER) work with the new access token; a refused
# token is refreshed and the login retried once; a revoked grant goes to
# "needs login"; see
# test_oauth.py.  Needs root and make deps, like test-oauth-harness.sh.
# MSX_KEEP=1 keeps the directory.  Ends with "oauth: N passed, N failed".
# shellcheck disable=SC2317  # cleanup runs from the trap
set -u
cd "$(dirname "$0")/../.." || exit 1
H=tests/integration/servers-oauth.sh

fail() {
	echo "not ok - $1"
	echo "oauth: 0 passed, 1 failed"
	exit 1
}

D=$(mktemp -d /tmp/msoa.XXXXXX)
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
timeout 90 python3 tests/integration/test_oauth.py "$@"
rc=$?
[ "$rc" -eq 124 ] && fail "the suite ended within 90 s"
exit "$rc"

#!/bin/sh
# SPDX-License-Identifier: ISC
# `mailsift run` as a daemon with auth = oauth2 accounts (IMAP in IDLE,
# POP3 polled) for several token lifetimes against servers-oauth.sh's
# provider: refreshes per lifetime, provider down, a grant revoked
# (needs login, auth-failure-command), one refresh across processes, a
# keyring; see test_oauth_daemon.py.  Needs root and make deps, like
# test-oauth.sh.  MSX_KEEP=1 keeps the directories.  Ends with
# "oauth-daemon: N passed, N failed".
# shellcheck disable=SC2317  # cleanup runs from the trap
set -u
cd "$(dirname "$0")/../.." || exit 1
H=tests/integration/servers-oauth.sh

fail() {
	echo "not ok - $1"
	echo "oauth-daemon: 0 passed, 1 failed"
	exit 1
}

D=$(mktemp -d /tmp/msoad.XXXXXX)
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
timeout 300 python3 tests/integration/test_oauth_daemon.py "$@"
rc=$?
[ "$rc" -eq 124 ] && fail "the suite ended within 300 s"
exit "$rc"

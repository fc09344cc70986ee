#!/bin/sh
# SPDX-License-Identifier: ISC
# IMAP COMPRESS=DEFLATE (RFC 4978, compress = yes) against a real Dovecot
# with imap_zlib (issue 12): byte-identical delivery over IMAPS and
# STARTTLS with the session shown compressed (trace and byte counts), a
# server without it noted once, pop3 refused.  The checks are in
# test_compress.py (arguments: names of its test_* functions); this
# starts one server set and always stops it.  Ends with
# "compress: N passed, N failed".  MSX_KEEP=1 keeps the directory.
# shellcheck disable=SC2317  # cleanup runs from the trap
set -u
cd "$(dirname "$0")/../.." || exit 1
H=tests/integration/servers.sh

if [ ! -x ./mailsift ]; then
	echo "not ok - ./mailsift is built (run make)"
	echo "compress: 0 passed, 1 failed"
	exit 1
fi
D=$(mktemp -d /tmp/msz.XXXXXX)
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
	echo "compress: 0 passed, 1 failed"
	exit 1
fi
eval "$(sh "$H" env "$D")"
python3 tests/integration/test_compress.py "$@"
exit $?

#!/bin/sh
# SPDX-License-Identifier: ISC
# Gmail's IMAP semantics against an EMULATION (emul_gmail.py: built from
# Google's published description, not the real service, which tests
# cannot reach): labels fetched and used by the rules, one message in
# INBOX and a label folder delivered once (X-GM-MSGID), labels added and
# removed on the server, delete ends in [Gmail]/Trash, a missing folder
# answered without [TRYCREATE] is created, a second run fetches nothing.
# Needs only python3 and openssl: the emulator runs in test_gmail.py on
# a free loopback port, with a CA and certificate made here.  Ends with
# "gmail: N passed, N failed".  MSX_KEEP=1 keeps the directory.
# shellcheck disable=SC2317  # cleanup runs from the trap
set -u
cd "$(dirname "$0")/../.." || exit 1

fail() {
	echo "not ok - $1"
	echo "gmail: 0 passed, 1 failed"
	exit 1
}

[ -x ./mailsift ] || fail "./mailsift is built (run make)"
D=$(mktemp -d /tmp/msg.XXXXXX)
cleanup() {
	if [ "${MSX_KEEP:-0}" = 1 ]; then
		echo "# kept $D" >&2
	else
		rm -rf "$D"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

T=$D/tls
mkdir -p "$T"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj '/O=mailsift tests/CN=gmail emulation CA' -days 30 \
    -keyout "$T/ca.key" -out "$T/ca.crt" \
    -addext 'basicConstraints = critical, CA:TRUE' \
    -addext 'keyUsage = critical, keyCertSign, cRLSign' 2>/dev/null ||
    fail "a test CA is made"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj '/CN=localhost' -keyout "$T/server.key" -out "$T/server.csr" \
    2>/dev/null || fail "a server key is made"
printf '%s\n' 'basicConstraints = critical, CA:FALSE' \
    'keyUsage = critical, digitalSignature, keyEncipherment' \
    'extendedKeyUsage = serverAuth' \
    'subjectAltName = DNS:localhost, IP:127.0.0.1' >"$T/server.ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
    -set_serial 0x1001 -days 30 -extfile "$T/server.ext" \
    -out "$T/server.crt" 2>/dev/null || fail "the server certificate is made"

MSX_DIR=$D MSX_GMAIL_CA=$T/ca.crt MSX_GMAIL_CERT=$T/server.crt \
    MSX_GMAIL_KEY=$T/server.key python3 tests/integration/test_gmail.py "$@"
exit $?

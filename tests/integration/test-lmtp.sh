#!/bin/sh
# SPDX-License-Identifier: ISC
# Integration test of the lmtp delivery target (daemon/deliver/lmtp.c)
# against the real Dovecot LMTP socket of servers.sh: a message read
# from standard input goes to user1 over LMTP and the file Dovecot
# stored ends with the message byte for byte (Dovecot puts its
# Return-Path, Delivered-To and Received on top); lines starting with a
# dot survive dot-stuffing.  Then an unknown recipient (5xx): the run
# fails, saying so, and nothing is delivered or lost (the sender keeps
# the message); a rule's deliver action to lmtp; a socket that is not there: the same.
#
# One line per check, then "lmtp: N passed, N failed"; exit 1 if any
# failed.  Needs root and contrib/install-deps-servers.sh.
# MSX_KEEP=1 keeps the directory; MAILSIFT=path tests another binary.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
MAILSIFT=${MAILSIFT:-$top/mailsift}
SUITE=lmtp
# shellcheck source=tests/integration/harness.sh
. "$here/harness.sh"

conf() {
	cat >"$D/$1.conf" <<-EOF
	state = "$D/$1.db"
	account "$1" {
	  type = stdin
	  deliver = "$2"
	}
	EOF
}

run() {
	"$MAILSIFT" run -c "$D/$1.conf" --once <"$D/msg" >"$D/$1.out" 2>&1
}

count() { find "$MSX_USER1_MAILDIR/new" "$MSX_USER1_MAILDIR/cur" -type f \
    2>/dev/null | wc -l; }

# the stored file whose tail is the message, byte for byte
stored_same() {
	python3 - "$MSX_USER1_MAILDIR" "$D/msg" <<-'EOF'
	import os, sys
	want = open(sys.argv[2], 'rb').read()
	for sub in ('new', 'cur'):
	    d = os.path.join(sys.argv[1], sub)
	    for f in os.listdir(d) if os.path.isdir(d) else []:
	        got = open(os.path.join(d, f), 'rb').read()
	        if got.endswith(b'\n' + want):
	            sys.exit(0)
	sys.exit('no stored message ends with the one sent')
	EOF
}

D=$(mktemp -d /tmp/msxlmtp.XXXXXX)
if ! servers start "$D" >"$D/start.out" 2>&1; then
	echo "not ok - servers start"
	sed 's/^/#   /' "$D/start.out"
	fail=$((fail + 1))
	finish
fi
eval "$(servers env "$D")"

printf 'From: a@example.org\nTo: user1@example.org\nSubject: lmtp one\n'\
'Message-ID: <lmtp-1@example.org>\n\n.\n.leading dot\n..two\nlast line\n' \
    >"$D/msg"
before=$(count)
conf ok "lmtp:$MSX_USER1@$MSX_LMTP_SOCKET"
check "delivered over the LMTP socket" run ok
check "one message more in user1's Maildir" \
    test "$(count)" -eq $((before + 1))
check "what Dovecot stored ends with the message, byte for byte" \
    stored_same

before=$(count)
conf unknown "lmtp:nosuchuser@$MSX_LMTP_SOCKET"
check "an unknown recipient fails the run" sh -c "\
    ! '$MAILSIFT' run -c '$D/unknown.conf' --once <'$D/msg' \
    >'$D/unknown.out' 2>&1"
check "the error says 5xx, permanent" grep -q '55[0-9].*permanent' \
    "$D/unknown.out"
check "nothing delivered for it" test "$(count)" -eq "$before"

# the same target as a rule's deliver action (rules/target.c)
cat >"$D/rules.yaml" <<EOF
version: 1
rules:
  - name: to-lmtp
    when: { subject: '^lmtp one$' }
    do: [ { deliver: "lmtp:$MSX_USER1@$MSX_LMTP_SOCKET" } ]
EOF
chmod 600 "$D/rules.yaml"
cat >"$D/rule.conf" <<EOF
state = "$D/rule.db"
account "rule" {
  type = stdin
  deliver = "maildir:$D/other"
  rules = "$D/rules.yaml"
}
EOF
check "a rule's deliver action to lmtp: the run succeeds" run rule
check "a rule's deliver action to lmtp: delivered to user1" \
    test "$(count)" -eq $((before + 1))
check "a rule's deliver action to lmtp: not to the account's target" \
    test -z "$(ls "$D/other/new" 2>/dev/null)"
before=$(count)

conf down "lmtp:$MSX_USER1@$D/no-such-socket"
check "a socket that is not there fails the run" sh -c \
    "! '$MAILSIFT' run -c '$D/down.conf' --once <'$D/msg' \
    >'$D/down.out' 2>&1"
check "the error names the socket" grep -q 'no-such-socket' "$D/down.out"
check "nothing delivered for it" test "$(count)" -eq "$before"

finish

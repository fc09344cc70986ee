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
# Then what issue 13 adds: the templated `recipient` option (and a
# hostile To: refused, nothing injected), a batch of 60 messages from a
# Maildir over one pipelined connection (BDAT: Dovecot offers PIPELINING
# and CHUNKING), each with its own X-Mailsift-Id, an 8-bit message with
# BODY=8BITMIME, lmtp-reject = skip; Cyrus's lmtpd (servers-cyrus.sh,
# when Cyrus is unpacked) over its socket and over TCP (it offers no
# STARTTLS there: lmtp-tls = starttls is refused); STARTTLS verified
# against the test CA, and refused with another CA, on a small peer
# (lmtp_tls_peer.py) and on Dovecot's LMTP over TCP.
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

# conf2 NAME TARGET [OPTION LINE...]: an account with more options,
# traced (the LMTP dialogue is in NAME.out)
conf2() {
	n=$1 t=$2
	shift 2
	{
		echo "state = \"$D/$n.db\""
		echo "log-level = trace"
		echo "account \"$n\" {"
		echo "  type = stdin"
		echo "  deliver = \"$t\""
		for l in "$@"; do echo "  $l"; done
		echo "}"
	} >"$D/$n.conf"
}
count2() { find "$MSX_USER2_MAILDIR/new" "$MSX_USER2_MAILDIR/cur" -type f \
    2>/dev/null | wc -l; }
# has_id DIR KEY: a stored message carries X-Mailsift-Id: KEY...
has_id() { grep -rqs "^X-Mailsift-Id: $2" "$1/new" "$1/cur"; }

# recipient = "{to.address}": Dovecot takes user2@DOMAIN as user2
printf 'From: a@example.org\nTo: Two <%s>\nSubject: templated\n\nhi\n' \
    "$MSX_USER2_ADDR" >"$D/msg"
before=$(count2)
conf2 tpl "lmtp:$MSX_LMTP_SOCKET" 'recipient = "{to.address}"'
check "recipient = {to.address}: delivered" run tpl
check "recipient = {to.address}: in user2's Maildir" \
    test "$(count2)" -eq $((before + 1))
check "the stored message carries X-Mailsift-Id (the intent's key)" \
    has_id "$MSX_USER2_MAILDIR" "tpl/"

# a hostile To: (a folded quoted local part) cannot inject a command
printf 'From: a@example.org\nTo: "%s\r\n RCPT TO:<%s>"@x\nSubject: evil'\
'\n\nhi\n' "$MSX_USER1" "$MSX_USER2" >"$D/msg"
before=$(count)
before2=$(count2)
conf2 evil "lmtp:$MSX_LMTP_SOCKET" 'recipient = "{to.address}"'
check "a hostile To: fails the run" sh -c "! '$MAILSIFT' run -c \
    '$D/evil.conf' --once <'$D/msg' >'$D/evil.out' 2>&1"
check "the error names the recipient" grep -q 'recipient.*permanent' \
    "$D/evil.out"
check "no RCPT went on the wire for it" sh -c "! grep -q 'RCPT TO' \
    '$D/evil.out'"
check "nothing delivered to user1 or user2" test "$(count)" -eq "$before" \
    -a "$(count2)" -eq "$before2"

# 60 messages from a Maildir: pipelined BDAT over 4 connections
mkdir -p "$D/src/new" "$D/src/cur" "$D/src/tmp"
i=0
while [ $i -lt 60 ]; do
	printf 'From: a@example.org\nTo: u@example.org\nSubject: batch %d\n'\
'Message-ID: <batch-%d@example.org>\n\n.line %d\n' $i $i $i \
	    >"$D/src/new/$i.x:2,"
	i=$((i + 1))
done
cat >"$D/batch.conf" <<EOF
state = "$D/batch.db"
log-level = trace
account "batch" {
  type = maildir
  path = "$D/src"
  deliver = "lmtp:$MSX_USER1@$MSX_LMTP_SOCKET"
}
EOF
before=$(count)
check "a batch of 60 over LMTP" sh -c "'$MAILSIFT' run -c '$D/batch.conf' \
    --once >'$D/batch.out' 2>&1"
check "60 more in user1's Maildir" test "$(count)" -eq $((before + 60))
check "each with its own X-Mailsift-Id" test "$(grep -rhs \
    '^X-Mailsift-Id: batch/' "$MSX_USER1_MAILDIR/new" \
    "$MSX_USER1_MAILDIR/cur" | sort -u | wc -l)" -eq 60
check "sent with BDAT (CHUNKING), no DATA" sh -c "grep -q 'BDAT' \
    '$D/batch.out' && ! grep -q ' DATA\$' '$D/batch.out'"
# lmtp-connections (4): one connection for every 16 messages of a batch
check "the batch shared over 4 connections (4 LHLO)" test "$(grep -c \
    'lmtp > LHLO' "$D/batch.out")" -eq 4
check "a second run delivers nothing again" sh -c "'$MAILSIFT' run -c \
    '$D/batch.conf' --once >/dev/null 2>&1 && test \$(find \
    '$MSX_USER1_MAILDIR/new' '$MSX_USER1_MAILDIR/cur' -type f | wc -l) \
    -eq $((before + 60))"

# 8-bit: BODY=8BITMIME
printf 'From: a@example.org\nTo: u@example.org\nSubject: caf\303\251\n'\
'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit'\
'\n\nd\303\251j\303\240 vu\n' >"$D/msg"
conf2 eight "lmtp:$MSX_USER1@$MSX_LMTP_SOCKET"
check "an 8-bit message: delivered" run eight
check "an 8-bit message: MAIL with BODY=8BITMIME" grep -q \
    'BODY=8BITMIME' "$D/eight.out"
check "an 8-bit message: stored byte for byte" stored_same

# lmtp-reject = skip: a 5xx is recorded and reported, the run goes on
conf2 skip "lmtp:nosuchuser@$MSX_LMTP_SOCKET" 'lmtp-reject = skip'
check "lmtp-reject = skip: the run succeeds" run skip
check "lmtp-reject = skip: the refusal is reported" grep -q \
    'recorded as refused' "$D/skip.out"
check "lmtp-reject = skip: the state records it as skipped" sh -c \
    "sqlite3 '$D/skip.db' 'SELECT status FROM message' | grep -qx skipped"

# Cyrus's lmtpd, when Cyrus is there
CY=$here/servers-cyrus.sh
cyrus_count() {
	python3 -c 'import imaplib, sys
c = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
c.login("user1", sys.argv[2])
print(int(c.select("INBOX", readonly=True)[1][0]))' \
	    "$MSX_CYRUS_IMAP_PORT" "$MSX_IX_USER1_PASS"
}
if [ -d "${MSX_SERVERS_DIR:-$top/.build/servers}/cyrus/root" ]; then
	CD=$D/cyrus
	mkdir -p "$CD"
	if sh "$CY" start "$CD" >"$D/cyrus.start.out" 2>&1; then
		eval "$(sh "$CY" env "$CD")"
		printf 'From: a@example.org\nTo: u@example.org\nSubject: cy'\
'\n\n.dot\nend\n' >"$D/msg"
		n0=$(cyrus_count)
		conf2 cysock "lmtp:user1@$MSX_CYRUS_LMTP"
		check "cyrus: delivered over lmtpd's socket" run cysock
		conf2 cytcp "lmtp:user1@127.0.0.1:$MSX_CYRUS_LMTP_PORT"
		check "cyrus: delivered over TCP (loopback: no TLS by default)" \
		    run cytcp
		check "cyrus: two more in user1's INBOX" test \
		    "$(cyrus_count)" -eq $((n0 + 2))
		check "cyrus: PIPELINING without CHUNKING: DATA" grep -q \
		    ' DATA$' "$D/cytcp.out"
		conf2 cytls "lmtp:user1@127.0.0.1:$MSX_CYRUS_LMTP_PORT" \
		    'lmtp-tls = starttls'
		check "cyrus: lmtp-tls = starttls, not offered: refused, \
nothing sent" sh -c "! '$MAILSIFT' run -c '$D/cytls.conf' --once \
		    <'$D/msg' >'$D/cytls.out' 2>&1 && grep -q 'does not \
offer STARTTLS' '$D/cytls.out' && ! grep -q 'MAIL FROM' '$D/cytls.out'"
		check "cyrus: still two more" test "$(cyrus_count)" -eq \
		    $((n0 + 2))
		sh "$CY" stop "$CD" >/dev/null 2>&1
	else
		check "cyrus starts" sh -c "sed 's/^/# /' '$D/cyrus.start.out'; \
		    false"
	fi
else
	echo "# cyrus not unpacked (MSX_SERVERS_DIR): its LMTP case skipped"
fi

# STARTTLS, verified: a small LMTP peer with the test CA's certificate
# (lmtp_tls_peer.py); another CA is refused before anything is sent
tls_run() {
	rm -f "$D/peer.port" "$D/peer.data"
	python3 "$here/lmtp_tls_peer.py" "$D/tls/server.crt" \
	    "$D/tls/server.key" "$D/peer.data" >"$D/peer.port" &
	peer=$!
	i=0
	while [ ! -s "$D/peer.port" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	conf2 "$1" "lmtp:jo@localhost:$(cat "$D/peer.port")" \
	    'lmtp-tls = starttls' "lmtp-tls-ca-file = \"$2\""
	"$MAILSIFT" run -c "$D/$1.conf" --once <"$D/msg" >"$D/$1.out" 2>&1
	rc=$?
	wait $peer
	return $rc
}
printf 'From: a@example.org\nSubject: tls\n\n.dot\n' >"$D/msg"
check "STARTTLS verified against the CA: delivered" tls_run tls \
    "$D/tls/ca.crt"
check "STARTTLS: the peer got the message after TLS" grep -q '^\.dot' \
    "$D/peer.data"
if tls_run tlsbad "$D/tls/other-ca.crt"; then
	check "STARTTLS with another CA fails" false
else
	check "STARTTLS with another CA fails, naming lmtp-tls-ca-file" \
	    grep -q 'lmtp-tls-ca-file' "$D/tlsbad.out"
	check "STARTTLS with another CA: nothing sent" test ! -s \
	    "$D/peer.data"
fi

# STARTTLS against Dovecot's LMTP over TCP (loopback): lmtp-tls =
# starttls with the test CA delivers, and the trace shows TLS begun
# before MAIL FROM; another CA is refused with nothing delivered.
before=$(count2)
conf2 dvtls "lmtp:user2@localhost:$MSX_LMTP_PORT" 'lmtp-tls = starttls' \
    "lmtp-tls-ca-file = \"$D/tls/ca.crt\""
check "dovecot STARTTLS, verified: delivered" run dvtls
check "dovecot STARTTLS: one more message for user2" \
    test "$(count2)" -eq $((before + 1))
check "dovecot STARTTLS: TLS started before MAIL FROM" python3 -c '
import sys
t = open(sys.argv[1], errors="replace").read()
s, m = t.find("lmtp: TLS started"), t.find("lmtp > MAIL FROM")
sys.exit(0 if 0 <= s < m else "no TLS before MAIL FROM")' "$D/dvtls.out"
conf2 dvtlsbad "lmtp:user2@localhost:$MSX_LMTP_PORT" \
    'lmtp-tls = starttls' "lmtp-tls-ca-file = \"$D/tls/other-ca.crt\""
if run dvtlsbad; then
	check "dovecot STARTTLS with another CA fails" false
else
	check "dovecot STARTTLS with another CA fails, nothing delivered" \
	    test "$(count2)" -eq $((before + 1))
fi

finish

#!/bin/sh
# SPDX-License-Identifier: ISC
# Microsoft 365 / Exchange quirks, against an EMULATION (emul_exchange.py):
# real Exchange Online cannot be reached from here, so a small fake
# IMAP+POP3 server reproduces what public descriptions document (sources:
# tests/integration/README.md, "Exchange emulation").  No SPECIAL-USE and
# no MOVE (move = COPY + STORE \Deleted + UID EXPUNGE; without UIDPLUS
# another client's \Deleted messages are left alone), "BAD User is
# authenticated but not connected." after login (a clear message, no
# more commands, backoff), throttling disconnects mid-FETCH (nothing
# lost, nothing twice), POP3 QUIT answered -ERR (reported; the deletions
# happen in a later round).  Ends with "exchange: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
top=$(pwd)
EMUL=$top/tests/integration/emul_exchange.py
D=$(mktemp -d /tmp/msx-ex.XXXXXX)
epid=
dpid=
passed=0
failed=0
cleanup() {
	[ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null
	[ -n "$epid" ] && kill "$epid" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT INT TERM

check() {
	if [ "$1" -eq 0 ]; then
		echo "ok - $2"
		passed=$((passed + 1))
	else
		echo "not ok - $2"
		failed=$((failed + 1))
		[ -f "$S/out" ] && sed 's/^/#   mailsift: /' "$S/out" | tail -8
		[ -f "$S/emul.log" ] && sed 's/^/#   server: /' "$S/emul.log" |
		    tail -12
	fi
}

# emul NAME ARGS...: a fresh emulator for scenario NAME, in $S.
emul() {
	[ -n "$epid" ] && kill "$epid" 2>/dev/null && wait "$epid" 2>/dev/null
	S=$D/$1
	shift
	mkdir -p "$S"
	python3 "$EMUL" --ports "$S/ports" --log "$S/emul.log" \
	    --dump "$S/dump.json" "$@" 2>"$S/emul.err" &
	epid=$!
	n=200
	while [ ! -f "$S/ports" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	# shellcheck disable=SC1091
	. "$S/ports"
}

# conf TYPE EXTRA: the account on the emulator.
conf() {
	port=$imap
	[ "$1" = pop3 ] && port=$pop3
	cat >"$S/m.conf" <<CONF
state = "$S/state.db"
poll = 1
account ex {
	type = $1
	host = "127.0.0.1"
	port = $port
	tls = none
	allow-plaintext-auth = true
	user = "user@example.test"
	password = 'emul-secret'
$2
	deliver = "maildir:$S/Maildir"
}
CONF
	chmod 600 "$S/m.conf"
}

# once: one round; its output in $S/out (appended), its status returned.
once() {
	"$top/mailsift" run --once -c "$S/m.conf" >>"$S/out" 2>&1
}

delivered() { ls "$S/Maildir/new" 2>/dev/null | wc -l; }

# subjects FOLDER: the emulator's messages in FOLDER, "subject[flags]".
subjects() {
	python3 -c "import json, sys
d = json.load(open('$S/dump.json'))
print(' '.join('%s%s' % (m['subject'], ''.join(m['flags']))
               for m in d.get(sys.argv[1], [])))" "$1"
}

# distinct: the delivered files hold distinct Message-IDs (none twice).
distinct() {
	all=$(cat "$S"/Maildir/new/* 2>/dev/null | grep -ci '^message-id:')
	uniq=$(cat "$S"/Maildir/new/* 2>/dev/null | grep -i '^message-id:' |
	    sort -u | wc -l)
	[ "$all" -eq "$uniq" ]
}

RULES=$D/rules.yaml
cat >"$RULES" <<'EOF'
version: 1
rules:
  - name: archive
    when: { subject: 'INBOX-[12]$' }
    do:
      - move: Archive
EOF

# --- capabilities: no SPECIAL-USE, no MOVE, ENABLE; fetching works ------
emul caps --gen INBOX:3
conf imap ""
once
check $? "caps: a round against the emulation succeeds"
[ "$(delivered)" -eq 3 ]
check $? "caps: its 3 messages delivered"
! grep -Eq "ENABLE|SPECIAL-USE|XLIST" "$S/emul.log"
check $? "caps: nothing sent that Exchange did not offer (ENABLE, XLIST)"
once && grep -q "fetched 0, delivered 0" "$S/out"
check $? "caps: a second round fetches nothing"

# --- no MOVE, UIDPLUS: COPY + STORE \Deleted + UID EXPUNGE ------------
emul move --gen INBOX:3
conf imap "	rules = \"$RULES\""
once
check $? "no MOVE: the round succeeds"
! grep -q "UID MOVE" "$S/emul.log"
check $? "no MOVE: MOVE is never sent to a server without it"
grep -q "UID COPY 1 \"Archive\"" "$S/emul.log" &&
    grep -q "UID STORE 1 +FLAGS.SILENT (\\\\Deleted)" "$S/emul.log" &&
    grep -q "UID EXPUNGE 1$" "$S/emul.log"
check $? "no MOVE: move is UID COPY, UID STORE \\Deleted, UID EXPUNGE"
[ "$(subjects Archive)" = "INBOX-1 INBOX-2" ] &&
    [ "$(subjects INBOX)" = "INBOX-3" ]
check $? "no MOVE: Archive holds the two, INBOX the third ($(subjects INBOX))"

# --- no MOVE, no UIDPLUS: EXPUNGE only when it removes nothing else ----
emul nouidplus --gen INBOX:3 --no-uidplus
conf imap "	rules = \"$RULES\""
once
check $? "no UIDPLUS: the round succeeds"
[ "$(subjects Archive)" = "INBOX-1 INBOX-2" ] &&
    [ "$(subjects INBOX)" = "INBOX-3" ]
check $? "no UIDPLUS: moved with EXPUNGE when no other message is \\Deleted"
emul nouidplus-other --gen INBOX:4 --deleted INBOX:4 --no-uidplus
conf imap "	rules = \"$RULES\""
once
check $? "no UIDPLUS, another client's \\Deleted: the round succeeds"
subjects INBOX | grep -q 'INBOX-4\\Deleted'
check $? "no UIDPLUS: another client's \\Deleted message is not expunged ($(subjects INBOX))"
[ "$(subjects Archive)" = "INBOX-1 INBOX-2" ] &&
    subjects INBOX | grep -q 'INBOX-1\\Deleted' &&
    ! grep -q "EXPUNGE" "$S/emul.log"
check $? "no UIDPLUS: ours are copied and marked \\Deleted, no EXPUNGE sent"
grep -q "server lacks UIDPLUS.*marked \\\\Deleted by another client" "$S/out"
check $? "no UIDPLUS: the log says why they are not expunged"
emul nouidplus-keep --gen INBOX:3 --deleted INBOX:3 --seen INBOX:3 \
    --no-uidplus
conf imap "	keep = false
	only-unseen = true"
once
subjects INBOX | grep -q 'INBOX-3\\Deleted' &&
    subjects INBOX | grep -q 'INBOX-1\\Deleted' &&
    [ "$(delivered)" -eq 2 ] && ! grep -q "EXPUNGE" "$S/emul.log"
check $? "no UIDPLUS, keep = false: delivered ones marked, another's kept ($(subjects INBOX))"

# --- "BAD User is authenticated but not connected." ----------------------
emul notconn --gen INBOX:2 --gen Archive:1 --gen Lists:1 --not-connected 1
conf imap '	folders = { "INBOX", "Archive", "Lists" }'
once
[ $? -ne 0 ]
check $? "not connected: the round fails (exit 1)"
grep -q "accepted the login but cannot open the mailbox" "$S/out" &&
    grep -q "User is authenticated but not connected" "$S/out" &&
    grep -q "IMAP may be disabled for this mailbox" "$S/out"
check $? "not connected: the message says what it means and what to check"
after=$(sed -n '/^imap S1 a4 /,$p' "$S/emul.log" | sed 1d |
    grep -vc "LOGOUT")
[ "$after" -eq 0 ]
check $? "not connected: after the first BAD only LOGOUT is sent ($after more)"
once
check $? "not connected: the next session works"
[ "$(delivered)" -eq 4 ] && distinct
check $? "not connected: then every folder's mail arrives, once ($(delivered))"
emul notconn-daemon --gen INBOX:1 --not-connected 1000
conf imap ""
"$top/mailsift" run -c "$S/m.conf" >"$S/out" 2>&1 &
dpid=$!
n=100
until grep -q "retrying in" "$S/out" || [ $n -eq 0 ]; do sleep 0.2; n=$((n - 1)); done
kill -TERM "$dpid"
wait "$dpid"
rc=$?
dpid=
secs=$(sed -n 's/.*retrying in \([0-9]*\) s.*/\1/p' "$S/out" | head -1)
[ "${secs:-0}" -ge 15 ]
check $? "not connected, daemon: it backs off (retrying in ${secs:-?} s, poll is 1 s)"
[ "$(grep -c "^imap S.* AUTHENTICATE" "$S/emul.log")" -eq 1 ] && [ $rc -eq 0 ]
check $? "not connected, daemon: one login, no hammering; SIGTERM exits 0"

# --- throttling: BYE or a dropped connection mid-FETCH -----------------
emul bye --gen INBOX:5 --bye-after 2
conf imap "	keep = false"
once
[ $? -ne 0 ] && [ "$(delivered)" -eq 2 ]
check $? "throttled (BYE): the round fails, the 2 bodies before the BYE kept"
grep -q "server closed the session: \* BYE Connection is closed. 13" "$S/out"
check $? "throttled (BYE): the server's BYE is shown"
once
check $? "throttled (BYE): the next round succeeds"
[ "$(delivered)" -eq 5 ] && distinct && [ -z "$(subjects INBOX)" ]
check $? "throttled (BYE): all 5 delivered once, then deleted ($(delivered))"
emul drop --gen INBOX:5 --drop-after 3
conf imap "	keep = false"
once
[ $? -ne 0 ] && [ "$(delivered)" -eq 3 ] &&
    grep -q "closed the connection" "$S/out"
check $? "throttled (dropped): the round fails, says so, keeps the 3 bodies"
once
[ "$(delivered)" -eq 5 ] && distinct && [ -z "$(subjects INBOX)" ]
check $? "throttled (dropped): the rest next round, nothing twice or lost"

# --- POP3: QUIT answered -ERR ------------------------------------------
emul pop3quit --gen INBOX:3 --quit-err 1
conf pop3 "	keep = false"
once
check $? "pop3 QUIT -ERR: the round itself succeeds (all delivered)"
grep -q 'QUIT failed: server said "-ERR Server Unavailable. 21"; 3 message(s) marked for deletion' "$S/out"
check $? "pop3 QUIT -ERR: reported, with what it means for the deletions"
[ "$(subjects INBOX)" = "INBOX-1 INBOX-2 INBOX-3" ]
check $? "pop3 QUIT -ERR: the server kept the messages ($(subjects INBOX))"
once
[ "$(delivered)" -eq 3 ] && distinct && [ -z "$(subjects INBOX)" ]
check $? "pop3 QUIT -ERR: the next round deletes them, delivers none twice"
grep -q "emul-secret" "$D"/*/out
[ $? -ne 0 ]
check $? "the password never appears in mailsift's output"

echo "exchange: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/sh
# SPDX-License-Identifier: ISC
# Two daemons share eleven accounts through a PostgreSQL store (leases,
# daemon/cluster/), against a real Dovecot: each holds about half; one
# account pinned to node A is only ever held by A; every account's
# Maildir gets each message once; after kill -9 of A, B holds the ten
# others within the lease time and a few seconds, never the pinned one,
# and delivers new mail for them, still once; `mailsift status` shows
# the holders (text and JSON); SIGHUP keeps them; SIGTERM gives every
# lease back.  Waits are bounded; the one deadline
# checked is the takeover's, the contract of lease-time.  Ends with
# "lease: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
H=tests/integration/servers.sh
P=tests/integration/servers-pg.sh
D=$(mktemp -d /tmp/msx-lease.XXXXXX)
chmod 755 "$D"
LEASE=6
pida=
pidb=
passed=0
failed=0
cleanup() {
	[ -n "$pida" ] && kill -9 "$pida" 2>/dev/null
	[ -n "$pidb" ] && kill -9 "$pidb" 2>/dev/null
	sh $H stop "$D" >/dev/null 2>&1
	sh $P stop "$D" >/dev/null 2>&1
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
	fi
}

finish() {
	echo "lease: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

# account NAME USER [PIN]
account() {
	cat <<CONF
account "$1" {
	type = imap
	host = "localhost"
	port = $MSX_IMAPS_PORT
	tls = implicit
	tls-ca-file = "$MSX_CA"
	user = "$2"
	password = '$2-secret'
	deliver = "maildir:$D/t/$1"
$([ -n "${3:-}" ] && printf '\tpin = "%s"' "$3")
}
CONF
}

write_conf() {
	{
		echo "state = \"$MSX_PG_URL\""
		echo "poll = 5"
		echo "lease-time = $LEASE"
		for i in 0 1 2 3 4 5 6 7 8 9; do
			account "acct$i" "user$((i % 2 + 1))"
		done
		account pinned user1 nodeA
	} >"$D/t/m.conf"
	chmod 600 "$D/t/m.conf"
}

# held NODE: how many accounts NODE holds; "-": held by nobody.
# Also sets $pinned_by to the pinned account's holder.
status_json() {
	./mailsift status -c "$D/t/m.conf" --json >"$D/t/status.json" \
	    2>"$D/t/status.err"
}

held() {
	python3 -c "import json, sys
r = json.load(open('$D/t/status.json'))
n = 0
for a in r['accounts']:
    l = a.get('lease')
    node = l['node'] if l else '-'
    n += node == sys.argv[1]
print(n)" "$1"
}

holder_of() {
	python3 -c "import json, sys
r = json.load(open('$D/t/status.json'))
for a in r['accounts']:
    if a['name'] == sys.argv[1]:
        l = a.get('lease')
        print(l['node'] if l else '-')" "$1"
}

# until_held NODE MIN MAX TRIES: NODE holds MIN..MAX accounts (status),
# tried every 0.5 s.
until_held() {
	t=$4
	while [ "$t" -gt 0 ]; do
		if status_json; then
			n=$(held "$1")
			[ "$n" -ge "$2" ] && [ "$n" -le "$3" ] && return 0
		fi
		sleep 0.5
		t=$((t - 1))
	done
	return 1
}

# msg NAME: the same new message for user1 and user2.
msg() {
	printf 'From: a@example.test\nTo: u@example.test\nSubject: %s\nMessage-ID: <%s@t>\n\nbody %s\n' \
	    "$1" "$1" "$1" >"$D/$1.eml"
	sh $H load "$D" user1 INBOX "$D/$1.eml" &&
	    sh $H load "$D" user2 INBOX "$D/$1.eml"
}

# mails NAME: messages in the account's Maildir.
mails() {
	find "$D/t/$1/new" "$D/t/$1/cur" -type f 2>/dev/null | wc -l
}

# until_mails N ACCOUNT...: each holds N messages (at most 60 s); then
# none holds more.
until_mails() {
	want=$1
	shift
	t=120
	while [ "$t" -gt 0 ]; do
		ok=1
		for a in "$@"; do
			[ "$(mails "$a")" -ge "$want" ] || ok=0
		done
		[ "$ok" -eq 1 ] && break
		sleep 0.5
		t=$((t - 1))
	done
	for a in "$@"; do
		[ "$(mails "$a")" -eq "$want" ] || return 1
	done
}
ACCTS="acct0 acct1 acct2 acct3 acct4 acct5 acct6 acct7 acct8 acct9"

if ! sh $P start "$D" >"$D/pg.out" 2>&1; then
	cat "$D/pg.out"
	echo "lease: 0 passed, 1 failed"
	exit 1
fi
if ! sh $H start "$D" >"$D/start.out" 2>&1; then
	cat "$D/start.out"
	echo "lease: 0 passed, 1 failed"
	exit 1
fi
eval "$(sh $P env "$D")"
eval "$(sh $H env "$D")"
mkdir -p "$D/t"
write_conf
msg first

./mailsift run -c "$D/t/m.conf" --node nodeA >"$D/t/a.log" 2>&1 &
pida=$!
./mailsift run -c "$D/t/m.conf" --node nodeB >"$D/t/b.log" 2>&1 &
pidb=$!

# 11 accounts, 2 daemons: a share of 6; A holds the pinned one
until_held nodeA 4 6 120 && until_held nodeB 4 6 20
check $? "two daemons: each holds about half ($(held nodeA) and $(held nodeB) of 11)"
total=$(( $(held nodeA) + $(held nodeB) ))
[ "$total" -eq 11 ]
check $? "every account is held, by one daemon ($total of 11)"
[ "$(holder_of pinned)" = nodeA ]
check $? "the account pinned to nodeA is held by nodeA"
python3 -c "import json
r = json.load(open('$D/t/status.json'))
assert r['shared'] is True and len(r['daemons']) == 2
for a in r['accounts']:
    l = a['lease']
    assert l['id'].startswith(l['node'] + '-') and l['epoch'] >= 1
    assert 0 < l['expires_in'] <= $LEASE"
check $? "status --json: the daemons, each lease's node, id, epoch, expiry"
./mailsift status -c "$D/t/m.conf" >"$D/t/status.txt" 2>&1
grep -q "^pinned: held by nodeA (nodeA-" "$D/t/status.txt" &&
    grep -q "^daemons holding leases: 2" "$D/t/status.txt"
check $? "status (text) shows the holders"
until_mails 1 $ACCTS pinned
check $? "every account delivered the first message, once"

# kill -9 A: B takes over what A held, once A's leases expire
kill -9 "$pida"
wait "$pida" 2>/dev/null
pida=
# lease-time, plus one renewal period and a few seconds, at 0.5 s a try
until_held nodeB 10 10 $(( (LEASE + LEASE / 3 + 4) * 2 ))
check $? "after kill -9 of A, B holds the 10 others within the lease time"
sleep 1
status_json
[ "$(holder_of pinned)" = - ] && [ "$(held nodeB)" -eq 10 ]
check $? "the pinned account is not taken by B"
grep -q "lease taken" "$D/t/b.log"
check $? "B logs the leases it took"
msg second
until_mails 2 $ACCTS
check $? "B delivers new mail for all ten, once each"
[ "$(mails pinned)" -eq 1 ]
check $? "nobody delivers for the pinned account while nodeA is down"

# SIGHUP: the leases are given back and taken again for the new config
kill -HUP "$pidb"
sleep 1
until_held nodeB 10 10 40 && grep -q "reload: .* loaded" "$D/t/b.log"
check $? "after SIGHUP B holds the ten again"

# SIGTERM: B gives every lease back and leaves
kill -TERM "$pidb"
wait "$pidb"
rc=$?
pidb=
check $rc "B ends with exit 0 on SIGTERM"
status_json && [ "$(held nodeB)" -eq 0 ]
check $? "after SIGTERM no lease is held"
grep -q "leases given back, daemon nodeB-" "$D/t/b.log"
check $? "B logs that it gave its leases back"
grep -q "password\|-secret" "$D/t/a.log" "$D/t/b.log"
[ $? -ne 0 ]
check $? "no secret in the logs"
finish

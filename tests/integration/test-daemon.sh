#!/bin/sh
# SPDX-License-Identifier: ISC
# The daemon as a service runs it, against a real Dovecot: IMAP IDLE
# delivers new mail as it arrives, SIGHUP reloads the configuration (and
# keeps the old one when the new one is bad), SIGTERM ends it with exit 0.
# Ends with "daemon: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
top=$(pwd)
H=tests/integration/servers.sh
D=$(mktemp -d /tmp/msd.XXXXXX)
chmod 755 "$D"
pid=
passed=0
failed=0
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	sh $H stop "$D" >/dev/null 2>&1
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

# Poll until the Maildir holds n messages (or give up after t seconds).
wait_count() {
	n=$1
	t=$2
	while [ "$t" -gt 0 ]; do
		c=$(ls "$D/t/Maildir/new" 2>/dev/null | wc -l)
		[ "$c" -ge "$n" ] && return 0
		sleep 0.2
		t=$((t - 1))
	done
	return 1
}

msg() {
	printf 'From: a@example.test\nTo: user1@example.test\nSubject: %s\nMessage-ID: <%s@t>\n\nbody %s\n' \
	    "$1" "$1" "$1" >"$D/t/$1.eml"
	sh $H load "$D" user1 INBOX "$D/t/$1.eml"
}

write_conf() {
	cat >"$D/t/m.conf" <<CONF
state = "$D/t/state.db"
poll = $1
account idler {
	type = imap
	host = "localhost"
	port = $MSX_IMAPS_PORT
	tls = implicit
	tls-ca-file = "$MSX_CA"
	user = "user1"
	password = 'user1-secret'
	idle = true
	deliver = "maildir:$D/t/Maildir"
}
CONF
	chmod 600 "$D/t/m.conf"
}

if ! sh $H start "$D" >"$D/start.out" 2>&1; then
	cat "$D/start.out"
	echo "daemon: 0 passed, 1 failed"
	exit 1
fi
eval "$(sh $H env "$D")"
mkdir -p "$D/t"
msg first
write_conf 3600
./mailsift run -c "$D/t/m.conf" >"$D/t/log" 2>&1 &
pid=$!

wait_count 1 100
check $? "the first round delivers what is there"
msg second
wait_count 2 50
check $? "IDLE delivers new mail as it arrives (poll is an hour)"

# `mailsift status` sees the session waiting in IDLE.
in_idle() {
	./mailsift status -c "$D/t/m.conf" --json >"$D/t/status.json" &&
	    python3 -c "import json, sys
a = json.load(open('$D/t/status.json'))['accounts'][0]
sys.exit(0 if a['state'] == 'idle-waiting' and a['phase'] == 'idle'
         and a['delivered_all'] == 2 else 1)"
}
n=50
until in_idle || [ $n -eq 0 ]; do sleep 0.2; n=$((n - 1)); done
in_idle
check $? "status: idle-waiting in IDLE, 2 delivered"

# A broken config on SIGHUP: reported, the old one kept, still delivering.
cp "$D/t/m.conf" "$D/t/good.conf"
echo "no-such-option = 1" >>"$D/t/m.conf"
kill -HUP "$pid"
sleep 1
grep -q "keeping the old configuration" "$D/t/log"
check $? "a bad config on SIGHUP is reported and the old one kept"
kill -0 "$pid" 2>/dev/null
check $? "the daemon survives a bad reload"
msg third
wait_count 3 50
check $? "still delivering after the bad reload"

# A good config on SIGHUP takes effect.
cp "$D/t/good.conf" "$D/t/m.conf"
kill -HUP "$pid"
sleep 1
grep -q "reload: .* loaded" "$D/t/log"
check $? "a good config on SIGHUP is loaded"
msg fourth
wait_count 4 80
check $? "delivering after the reload"

# A config whose rule file is broken: refused whole, the old one runs on.
printf 'version: 1\nrules:\n  - name: x\n    when: { subject: "(" }\n' \
    >"$D/t/bad-rules.yaml"
sed 's|^\(\tidle = true\)|\1\n\trules = "'"$D/t/bad-rules.yaml"'"|' \
    "$D/t/good.conf" >"$D/t/m.conf"
kill -HUP "$pid"
sleep 1
[ "$(grep -c "keeping the old configuration" "$D/t/log")" -ge 2 ] &&
    grep -Eq "bad-rules.yaml:[0-9]+:[0-9]+: " "$D/t/log"
check $? "a bad rule file on SIGHUP is named (file:line) and the old config kept"
msg fifth
wait_count 5 80
check $? "delivering with the old configuration"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check $rc "SIGTERM: exit status 0"
grep -q "user1-secret" "$D/t/log"
[ $? -ne 0 ]
check $? "the log never shows the password"
n=$(ls "$D/t/Maildir/new" | wc -l)
[ "$n" -eq 5 ]
check $? "each message delivered once ($n files)"
./mailsift run -c "$D/t/good.conf" --once 2>"$D/t/log2"
grep -q "fetched 0, delivered 0" "$D/t/log2"
check $? "a later round finds nothing new"

[ "$failed" -ne 0 ] && sed 's/^/  log: /' "$D/t/log"
echo "daemon: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

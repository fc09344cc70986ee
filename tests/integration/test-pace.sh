#!/bin/sh
# SPDX-License-Identifier: ISC
# Connection pacing (daemon/net/pace.c) against a real Dovecot: 50
# accounts with `idle = true` on one server and `connect-limit = 4`:
# every account reaches IDLE with no error, and mailsift's debug log
# never shows more than 4 sessions between "session setup begins" and
# "session setup ends" at once.  `connect-rate = 0` makes the limit the
# only pacing, so the run is short.  Waits are bounded; nothing asserts
# a timing.  Ends with "pace: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
H=tests/integration/servers.sh
D=$(mktemp -d /tmp/msx-pace.XXXXXX)
chmod 755 "$D"
pid=
passed=0
failed=0
N=50
LIMIT=4
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

if ! sh $H start "$D" >"$D/start.out" 2>&1; then
	cat "$D/start.out"
	echo "pace: 0 passed, 1 failed"
	exit 1
fi
eval "$(sh $H env "$D")"

# N accounts, all user1 (Dovecot allows it 100 sessions from here).
{
	printf 'state = "%s/state.db"\nlog-level = debug\npoll = 3600\n' "$D"
	printf 'connect-limit = %d\nconnect-rate = 0\n' "$LIMIT"
	i=1
	while [ "$i" -le "$N" ]; do
		cat <<CONF
account a$i {
	type = imap
	host = "localhost"
	port = $MSX_IMAPS_PORT
	tls = implicit
	tls-ca-file = "$MSX_CA"
	user = "user1"
	password = 'user1-secret'
	idle = true
	deliver = "maildir:$D/out/a$i"
}
CONF
		i=$((i + 1))
	done
} >"$D/m.conf"
chmod 600 "$D/m.conf"

./mailsift run -c "$D/m.conf" 2>"$D/m.log" &
pid=$!
t=300
while [ "$(grep -c ': in IDLE' "$D/m.log")" -lt "$N" ] && [ "$t" -gt 0 ] &&
    kill -0 "$pid" 2>/dev/null; do
	sleep 0.2
	t=$((t - 1))
done
idle=$(grep ': in IDLE' "$D/m.log" | sed 's/.*\] \(a[0-9]*\): in IDLE/\1/' |
    sort -u | wc -l)
[ "$idle" -eq "$N" ]
check $? "all $N accounts reach IDLE ($idle)"
# the most sessions in setup at once, from the log's order
max=$(awk '/: session setup begins/ { n++; if (n > m) m = n }
    /: session setup ends/ { n-- } END { print m + 0 }' "$D/m.log")
[ "$max" -le "$LIMIT" ] && [ "$max" -ge 1 ]
check $? "never more than connect-limit=$LIMIT in setup at once ($max)"
begins=$(grep -c ': session setup begins' "$D/m.log")
[ "$begins" -ge "$N" ]
check $? "every account's session was set up through the pacer ($begins)"
bad=$(grep -c 'mailsift\[\(warn\|error\)\]' "$D/m.log")
[ "$bad" -eq 0 ]
check $? "no warning and no error ($bad)"
kill -TERM "$pid"
t=100
while kill -0 "$pid" 2>/dev/null && [ "$t" -gt 0 ]; do
	sleep 0.2
	t=$((t - 1))
done
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ]
check $? "SIGTERM ends the daemon with exit 0 ($rc)"

# connect-limit and connect-rate are checked: out of range is refused
printf 'connect-limit = -1\n' >"$D/bad.conf"
chmod 600 "$D/bad.conf"
./mailsift check -c "$D/bad.conf" >"$D/bad.out" 2>&1
[ $? -ne 0 ] && grep -q 'connect-limit' "$D/bad.out"
check $? "check refuses connect-limit = -1, naming it"

if [ "$failed" -ne 0 ]; then
	grep -v ': session setup\|: in IDLE' "$D/m.log" | head -40 |
	    sed 's/^/  log: /'
fi
echo "pace: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

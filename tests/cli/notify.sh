#!/bin/sh
# SPDX-License-Identifier: ISC
# `mailsift run` under a notify socket, as systemd runs a Type=notify
# unit: a listener of ours (AF_UNIX, SOCK_DGRAM) is NOTIFY_SOCKET, with
# a watchdog asked for.  Two Maildir accounts, one of them broken: READY=1
# comes before the first STATUS=, the status line counts one account ok
# and one failing and what was delivered, WATCHDOG=1 pings arrive, a
# SIGHUP gives RELOADING=1 then READY=1 again, SIGTERM gives STOPPING=1
# and exit status 0.  One line per check, then "notify: N passed, N
# failed".  MAILSIFT=path tests another binary.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MAILSIFT=${MAILSIFT:-$top/mailsift}
pass=0
fail=0
W=$(mktemp -d /tmp/msx-notify.XXXXXX)
lpid=
mpid=
cleanup() {
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok() {	# DESCRIPTION COMMAND...
	desc=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "ok - $desc"
		pass=$((pass + 1))
	else
		echo "not ok - $desc"
		sed 's/^/#   /' "$W/got" 2>/dev/null | head -30
		sed 's/^/#   log: /' "$W/log" 2>/dev/null | head -10
		fail=$((fail + 1))
	fi
}

# The listener: every datagram, then a line "--", into $W/got; it ends
# after a datagram saying STOPPING=1 (or after 120 s without one).
cat >"$W/listen.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(120)
with open(sys.argv[2], "a") as out:
    while True:
        try:
            d = s.recv(4096).decode("utf-8", "replace")
        except socket.timeout:
            sys.exit(1)
        out.write(d + "\n--\n")
        out.flush()
        if "STOPPING=1" in d.split("\n"):
            break
PY

# wait_for PATTERN: until $W/got holds a line matching it (at most 60 s;
# the checks below look at what arrived, not at when)
wait_for() { wait_until grep -q -- "$1" "$W/got"; }
# since_reload PATTERN: a line matching it arrived after RELOADING=1
since_reload() {
	sed -n '/^RELOADING=1$/,$p' "$W/got" 2>/dev/null | grep -q -- "$1"
}
wait_since_reload() { wait_until since_reload "$1"; }
wait_until() {
	i=0
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt 600 ] && return 1
		sleep 0.1
	done
}

# in_order A B: the first line matching A comes before the first
# matching B
in_order() {
	a=$(grep -n -- "$1" "$W/got" | head -1 | cut -d: -f1)
	b=$(grep -n -- "$2" "$W/got" | head -1 | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}
count() { find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l; }
is() { [ "$1" = "$2" ]; }

mkdir -p "$W/src/new" "$W/src/cur" "$W/src/tmp"
printf 'Subject: m1\n\nfirst\n' >"$W/src/new/1700000000.M1P1.host"
printf 'Subject: m2\n\nsecond\n' >"$W/src/new/1700000000.M2P1.host"
cat >"$W/m.conf" <<CONF
state = "$W/state.db"
poll = 3600
account "home" {
	type = maildir
	path = "$W/src"
	deliver = "maildir:$W/out"
}
account "broken" {
	type = maildir
	path = "$W/no-such-maildir"
	deliver = "maildir:$W/out"
}
CONF
chmod 600 "$W/m.conf"

python3 "$W/listen.py" "$W/notify.sock" "$W/got" &
lpid=$!
i=0
while [ ! -S "$W/notify.sock" ] && [ "$i" -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
# A watchdog of 0.4 s for this very process (WATCHDOG_PID is checked).
NOTIFY_SOCKET=$W/notify.sock WATCHDOG_USEC=400000 sh -c \
    'WATCHDOG_PID=$$ exec "$1" run -c "$2"' sh "$MAILSIFT" "$W/m.conf" \
    >"$W/log" 2>&1 &
mpid=$!

ok "READY=1 arrives" wait_for '^READY=1$'
ok "both accounts' rounds are reported" wait_for '^STATUS=accounts: 1 ok, 1 failing'
ok "WATCHDOG=1 pings arrive" wait_for '^WATCHDOG=1$'
ok "READY=1 comes before the first round's STATUS=" \
    in_order '^READY=1$' '^STATUS=accounts:'
ok "the status line names the failing account" \
    grep -q '^STATUS=accounts: 1 ok, 1 failing (broken), 0 not run yet' \
    "$W/got"
ok "the status line says what was delivered" \
    grep -q '^STATUS=.*delivered since start: 2$' "$W/got"
ok "the messages were delivered" is "$(count "$W/out")" 2

kill -HUP "$mpid"
ok "SIGHUP: RELOADING=1" wait_for '^RELOADING=1$'
ok "... then READY=1 again" wait_since_reload '^READY=1$'
ok "... and the rounds start over" \
    wait_since_reload '^STATUS=accounts: 1 ok, 1 failing'

kill -TERM "$mpid"
wait "$mpid"
rc=$?
mpid=
wait "$lpid"
lrc=$?
lpid=
ok "SIGTERM: exit status 0" is "$rc" 0
ok "SIGTERM: STOPPING=1" grep -q '^STOPPING=1$' "$W/got"
ok "the listener saw the end" is "$lrc" 0

# Without NOTIFY_SOCKET the same run does not notice: --once, exit 1
# (the broken account), the messages already there.
ok "without a notify socket: nothing changes" sh -c \
    "env -u NOTIFY_SOCKET '$MAILSIFT' run -c '$W/m.conf' --once;
    [ \$? -eq 1 ]"

echo "notify: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/sh
# SPDX-License-Identifier: ISC
# The systemd units in contrib/systemd/: `systemd-analyze verify` finds
# nothing wrong with either, and `systemd-analyze security --offline`
# rates the system unit OK or better (exposure at most 2.0).  The same
# check run on a copy stripped of its hardening must fail, so the test
# can tell a weakened unit.  One line per check, then "systemd: N
# passed, N failed".  MAILSIFT=path tests another binary.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MAILSIFT=${MAILSIFT:-$top/mailsift}
MAX_EXPOSURE=2.0
pass=0
fail=0
W=$(mktemp -d /tmp/msx-systemd.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP

ok() {	# DESCRIPTION COMMAND...
	desc=$1
	shift
	if "$@" >"$W/out" 2>&1; then
		echo "ok - $desc"
		pass=$((pass + 1))
	else
		echo "not ok - $desc"
		sed 's/^/#   /' "$W/out" | head -20
		fail=$((fail + 1))
	fi
}
not() { ! "$@"; }

# unit KIND DIR: a copy of contrib/systemd/KIND/mailsift.service in DIR
# whose ExecStart runs the binary under test (verify checks that the
# program exists, and /usr/bin/mailsift is not installed here).
unit() {
	mkdir -p "$2"
	sed "s|^ExecStart=/usr/bin/mailsift|ExecStart=$MAILSIFT|" \
	    "$top/contrib/systemd/$1/mailsift.service" >"$2/mailsift.service"
}

# verify [--user] FILE: no message at all from systemd-analyze verify
# (it exits 0 on some warnings: any output is a finding).
verify() {
	if [ "$1" = --user ]; then
		shift
		# the user manager wants a runtime directory: a private one
		mkdir -p -m 700 "$W/xdg"
		XDG_RUNTIME_DIR=$W/xdg systemd-analyze --user verify --man=no \
		    "$1" >"$W/verify" 2>&1 ||
		    { cat "$W/verify"; return 1; }
	else
		systemd-analyze verify --man=no "$1" >"$W/verify" 2>&1 ||
		    { cat "$W/verify"; return 1; }
	fi
	cat "$W/verify"
	[ ! -s "$W/verify" ]
}

# exposure FILE: the overall exposure systemd-analyze gives the unit
exposure() {
	systemd-analyze security --offline=true --no-pager "$1" 2>&1 |
	    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p'
}

# secure FILE: exposure at most MAX_EXPOSURE, rated OK or better
secure() {
	e=$(exposure "$1")
	echo "exposure of $1: ${e:-none}"
	systemd-analyze security --offline=true --no-pager "$1" 2>&1 |
	    grep 'Overall exposure'
	[ -n "$e" ] && awk -v e="$e" -v m="$MAX_EXPOSURE" \
	    'BEGIN { exit !(e <= m) }'
}

# weaker A B: B's exposure is higher than A's
weaker() {
	a=$(exposure "$1")
	b=$(exposure "$2")
	echo "exposure $a -> $b"
	[ -n "$a" ] && [ -n "$b" ] &&
	    awk -v a="$a" -v b="$b" 'BEGIN { exit !(b > a) }'
}

# has FILE LINE: the unit says it, as a line of its own
has() { grep -qxF -- "$2" "$1"; }

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "not ok - systemd-analyze is installed (package systemd)"
	echo "systemd: 0 passed, 1 failed"
	exit 1
fi

unit system "$W/system"
unit user "$W/user"
S=$W/system/mailsift.service
U=$W/user/mailsift.service

ok "system unit: systemd-analyze verify finds nothing" verify "$S"
ok "user unit: systemd-analyze --user verify finds nothing" verify --user "$U"
ok "system unit: exposure at most $MAX_EXPOSURE (OK or better)" secure "$S"
ok "system unit: rated OK, SAFE or PERFECT" sh -c \
    "systemd-analyze security --offline=true --no-pager '$S' 2>&1 |
    grep 'Overall exposure' | grep -Eq ' (OK|SAFE|PERFECT) '"
for f in "$S" "$U"; do
	k=$(basename "$(dirname "$f")")
	ok "$k unit: Type=notify" has "$f" "Type=notify"
	ok "$k unit: a watchdog" sh -c "grep -Eq '^WatchdogSec=[1-9]' '$f'"
	ok "$k unit: reload is SIGHUP" has "$f" 'ExecReload=kill -HUP $MAINPID'
	ok "$k unit: MemoryDenyWriteExecute" has "$f" \
	    "MemoryDenyWriteExecute=yes"
	ok "$k unit: @system-service syscalls" has "$f" \
	    "SystemCallFilter=@system-service"
	ok "$k unit: AF_INET AF_INET6 AF_UNIX only" has "$f" \
	    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"
done
ok "system unit: runs as mailsift" has "$S" "User=mailsift"
ok "system unit: state under /var/lib/mailsift" has "$S" \
    "StateDirectory=mailsift"
ok "system unit: reads /etc/mailsift/mailsift.conf" sh -c \
    "grep -q '^ExecStart=.* run -c /etc/mailsift/mailsift.conf$' '$S'"
ok "system unit: no capabilities" has "$S" "CapabilityBoundingSet="
ok "system unit: the rest of the system read-only" has "$S" \
    "ProtectSystem=strict"

# The same checks must catch a unit without its hardening.
sed '/^# Hardening/,/^\[Install\]/{/^\[Install\]/!d;}' "$S" >"$W/weak.service"
mkdir -p "$W/weak"
mv "$W/weak.service" "$W/weak/mailsift.service"
ok "a copy without the hardening still verifies" verify \
    "$W/weak/mailsift.service"
ok "... but its exposure is over $MAX_EXPOSURE: the check fails" not \
    secure "$W/weak/mailsift.service"
sed '/^MemoryDenyWriteExecute=/d; /^SystemCallFilter=/d' "$S" \
    >"$W/weak/mailsift.service"
ok "... and one without MemoryDenyWriteExecute and SystemCallFilter \
rates worse" weaker "$S" "$W/weak/mailsift.service"

echo "systemd: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

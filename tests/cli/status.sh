#!/bin/sh
# SPDX-License-Identifier: ISC
# `mailsift status` as an operator uses it, with local Maildir accounts
# (no server needed): before any round, after rounds that went well and
# rounds that failed (failing, then needs attention), as JSON, and while
# a daemon runs (idle-waiting) and after it stopped.  One line per
# check, then "status: N passed, N failed"; exit 1 if any failed.
# MAILSIFT=path tests another binary.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MAILSIFT=${MAILSIFT:-$top/mailsift}
pass=0
fail=0
pid=
W=$(mktemp -d /tmp/msx-status.XXXXXX)
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

check() {	# DESCRIPTION COMMAND...
	desc=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "ok - $desc"
		pass=$((pass + 1))
	else
		echo "not ok - $desc"
		fail=$((fail + 1))
	fi
}

# has ACCOUNT TEXT: the account's line of the table holds TEXT
has() {
	"$MAILSIFT" status -c "$W/m.conf" | awk -v a="$1" '$1 == a' |
	    grep -q -- "$2"
}
json() {	# PYTHON-EXPRESSION on d (the parsed JSON): must be true
	"$MAILSIFT" status -c "$W/m.conf" --json >"$W/s.json" &&
	    python3 -c "import json,sys
d = json.load(open('$W/s.json'))
a = {x['name']: x for x in d['accounts']}
sys.exit(0 if ($1) else 1)"
}

mkdir -p "$W/src/new" "$W/src/cur" "$W/src/tmp"
printf 'Subject: m1\n\nfirst\n' >"$W/src/new/1700000000.M1P1.host"
printf 'Subject: m2\n\nsecond\n' >"$W/src/new/1700000000.M2P1.host"
cat >"$W/m.conf" <<CONF
state = "$W/state/state.db"
poll = 3600
account "good" {
	type = maildir
	keep = false
	path = "$W/src"
	deliver = "maildir:$W/out"
}
account "broken" {
	type = maildir
	path = "$W/missing"
	deliver = "maildir:$W/out2"
}
CONF

check "before any round: status works" "$MAILSIFT" status -c "$W/m.conf"
check "before any round: it says so" sh -c \
    "'$MAILSIFT' status -c '$W/m.conf' | grep -q 'not created yet'"
check "before any round: both accounts are new" json \
    "a['good']['state'] == 'new' and a['broken']['state'] == 'new'"
check "status created no state file" test ! -e "$W/state/state.db"

"$MAILSIFT" run -c "$W/m.conf" --once >/dev/null 2>&1
check "after a round: the good account is ok" has good ' ok '
check "after a round: 2 delivered today, 2 in all" json \
    "a['good']['delivered_today'] == 2 and a['good']['delivered_all'] == 2"
check "after a round: its figures" json \
    "a['good']['last_success']['fetched'] == 2 and
     a['good']['last_success']['delivered'] == 2 and
     a['good']['failures'] == 0 and a['good']['last_error'] is None"
check "after a round: the broken account is failing" has broken failing
check "after a round: one failure, an error with its time" json \
    "a['broken']['failures'] == 1 and a['broken']['last_error']['time'] > 0
     and len(a['broken']['last_error']['message']) > 0
     and a['broken']['last_success'] is None"
check "the error names the account's problem" json \
    "'missing' in a['broken']['last_error']['message']"
check "the table shows the last error" sh -c \
    "'$MAILSIFT' status -c '$W/m.conf' | grep -q '^broken: last error at'"
check "no daemon: it says so, no next poll" json \
    "d['daemon'] is False and a['good']['next_poll'] is None"
check "outbox and server ops: none" json \
    "a['good']['outbox']['queued'] == 0 and a['good']['server_ops'] == 0
     and a['good']['outbox']['oldest_age'] is None"

"$MAILSIFT" run -c "$W/m.conf" --once >/dev/null 2>&1
"$MAILSIFT" run -c "$W/m.conf" --once >/dev/null 2>&1
check "three failures in a row: needs attention" json \
    "a['broken']['state'] == 'needs attention' and
     a['broken']['failures'] == 3"
check "the good account still ok, still 2 delivered" json \
    "a['good']['state'] == 'ok' and a['good']['delivered_all'] == 2"
mkdir -p "$W/missing/new" "$W/missing/cur" "$W/missing/tmp"
"$MAILSIFT" run -c "$W/m.conf" --once >/dev/null 2>&1
check "a good round ends the series" json \
    "a['broken']['state'] == 'ok' and a['broken']['failures'] == 0"
check "the table says the error is over" sh -c \
    "'$MAILSIFT' status -c '$W/m.conf' | grep -q 'since recovered'"

# the daemon: poll forever, the status shows it running and waiting
"$MAILSIFT" run -c "$W/m.conf" >"$W/daemon.log" 2>&1 &
pid=$!
waited=0
until json "d['daemon'] and a['good']['state'] == 'idle-waiting' and
    a['broken']['state'] == 'idle-waiting'" || [ $waited -ge 100 ]; do
	sleep 0.2
	waited=$((waited + 1))
done
check "while a daemon runs: it says so" json "d['daemon'] is True"
check "while a daemon runs: idle-waiting with a next poll" json \
    "a['good']['state'] == 'idle-waiting' and a['good']['phase'] ==
     'waiting' and a['good']['next_poll'] > d['time']"
check "while a daemon runs: the table too" sh -c \
    "'$MAILSIFT' status -c '$W/m.conf' | grep -q 'a daemon is running'"
kill "$pid"
wait "$pid"
pid=
check "after the daemon stopped: no daemon" json "d['daemon'] is False"
check "usage errors exit 2" sh -c \
    "'$MAILSIFT' status --bogus; test \$? -eq 2"
check "status --help" "$MAILSIFT" status --help
check "a missing configuration fails" sh -c \
    "! '$MAILSIFT' status -c '$W/nope.conf'"

# metrics-listen is checked when the configuration is read
listen_conf() {
	{ echo "metrics-listen = \"$1\""; cat "$W/m.conf"; } >"$W/l.conf"
}
accepted() { listen_conf "$1" && "$MAILSIFT" check -c "$W/l.conf"; }
refused() {
	listen_conf "$1" && ! "$MAILSIFT" check -c "$W/l.conf" 2>"$W/l.err" &&
	    grep -q 'metrics-listen' "$W/l.err"
}
for spec in 127.0.0.1:9532 :9532 '[::1]:9532' 9532; do
	check "metrics-listen = \"$spec\" is accepted" accepted "$spec"
done
for spec in nope 127.0.0.1:0 127.0.0.1:65536 '[::1]9532' 'a b:1'; do
	check "metrics-listen = \"$spec\" is refused, by name" refused "$spec"
done

echo "status: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

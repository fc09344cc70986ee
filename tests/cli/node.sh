#!/bin/sh
# SPDX-License-Identifier: ISC
# `mailsift run --node NAME` as a user types it (no server needed): a
# name with a space, a control character or more than 64 bytes is
# refused before anything runs, naming the option; a good one on a
# SQLite state changes nothing (one daemon works every account: a local
# Maildir source delivered once, `status --json` without any "lease").
# One line per check, then "node: N passed, N failed"; exit 1 if any
# failed.  MAILSIFT=path tests another binary.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MAILSIFT=${MAILSIFT:-$top/mailsift}
pass=0
fail=0
W=$(mktemp -d /tmp/msx-node.XXXXXX)
trap 'rm -rf "$W"' EXIT
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

mkdir -p "$W/src/new" "$W/src/cur" "$W/src/tmp"
printf 'Subject: one\n\nbody\n' >"$W/src/new/1.eml"
cat >"$W/m.conf" <<CONF
state = "$W/state.db"
account "local" {
	type = maildir
	path = "$W/src"
	deliver = "maildir:$W/out"
	pin = "elsewhere"
}
CONF

# refused: exit 2, the option and the reason on stderr
refused() {	# NAME WHY
	"$MAILSIFT" run -c "$W/m.conf" --once --node "$1" 2>"$W/err"
	[ $? -eq 2 ] && grep -q -- "--node '.*' $2" "$W/err"
}
check "--node with a space is refused" refused "a b" "has a space"
check "--node with a tab is refused" refused "$(printf 'a\tb')" "has a space"
check "--node of 65 bytes is refused" refused \
    "$(printf '%065d' 0)" "is longer than 64 bytes"
check "--node '' is refused" refused "" "is empty"
check "nothing ran" test ! -e "$W/out"

# SQLite: no leases, every account worked, even one pinned elsewhere
check "a run with --node on SQLite succeeds" \
    "$MAILSIFT" run -c "$W/m.conf" --once --node mail1
check "the message is delivered" \
    test "$(find "$W/out/new" -type f | wc -l)" -eq 1
"$MAILSIFT" status -c "$W/m.conf" --json >"$W/status.json" 2>&1
check "status --json has no lease on SQLite" python3 -c "import json
r = json.load(open('$W/status.json'))
assert 'daemons' not in r and 'lease' not in r['accounts'][0]"

echo "node: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

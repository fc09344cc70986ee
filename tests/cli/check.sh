#!/bin/sh
# SPDX-License-Identifier: ISC
# `mailsift check` refuses what `run` would refuse at start, short of
# connecting: a missing or broken rule file, a rule file that is a
# directory, an empty state file; and it creates nothing.  One line per
# check, then "check-cmd: N passed, N failed".  MAILSIFT=path tests
# another binary.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MAILSIFT=${MAILSIFT:-$top/mailsift}
pass=0
fail=0
W=$(mktemp -d /tmp/msx-check.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP

ok() {	# DESCRIPTION CONDITION...
	desc=$1
	shift
	if "$@"; then
		echo "ok - $desc"
		pass=$((pass + 1))
	else
		echo "not ok - $desc"
		sed 's/^/#   /' "$W/out" | head -5
		fail=$((fail + 1))
	fi
}

# conf RULES: a local account whose rule file is RULES
conf() {
	cat >"$W/m.conf" <<-CONF
	state = "$W/state.db"
	account "local" {
		type = maildir
		path = "$W/in"
		deliver = "maildir:$W/out"
		rules = "$1"
	}
	CONF
	chmod 600 "$W/m.conf"
}
check() { "$MAILSIFT" check -c "$W/m.conf" >"$W/out" 2>&1; }
says() { grep -q -- "$1" "$W/out"; }

conf "$W/none.yaml"
check
ok "a missing rule file is refused" [ $? -ne 0 ]
ok "... naming it" says "$W/none.yaml"

printf 'version: 1\nrules:\n  - name: x\n    when: { subject: "(" }\n    do: [ keep ]\n' \
    >"$W/bad.yaml"
conf "$W/bad.yaml"
check
ok "a rule file with a bad regex is refused" [ $? -ne 0 ]
ok "... naming the file and the line" says "bad.yaml:4"

conf "$W"
check
ok "a directory given as the rule file is refused" [ $? -ne 0 ]
ok "... saying it is a directory" says "$W: is a directory"

printf 'version: 1\nrules:\n  - name: x\n    when: { subject: "a" }\n    do: [ keep ]\n' \
    >"$W/good.yaml"
conf "$W/good.yaml"
check
ok "a good rule file passes" [ $? -eq 0 ]
ok "... and the summary names it" says "rules=$W/good.yaml"
ok "check creates no state" [ ! -e "$W/state.db" ]

: >"$W/state.db"
check
ok "an empty state file is refused" [ $? -ne 0 ]
ok "... saying so" says "empty"

echo "check-cmd: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

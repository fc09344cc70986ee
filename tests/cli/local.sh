#!/bin/sh
# SPDX-License-Identifier: ISC
# Local sources as a user runs them (no server needed): an mbox file (a
# message in it twice is delivered once; keep = no empties it only when
# all went), a Maildir (keep = no removes what was delivered) and one
# message on standard input.  One line per check, then "local: N passed,
# N failed"; exit 1 if any failed.  MAILSIFT=path tests another binary.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MAILSIFT=${MAILSIFT:-$top/mailsift}
pass=0
fail=0
W=$(mktemp -d /tmp/msx-local.XXXXXX)
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

count() { find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l; }
is() { [ "$1" = "$2" ]; }

# conf NAME TYPE KEEP [PATH]: an account reading PATH into $W/NAME.out
conf() {
	{
		echo "state = \"$W/$1.db\""
		echo "account \"$1\" {"
		echo "	type = $2"
		echo "	keep = $3"
		[ $# -ge 4 ] && echo "	path = \"$4\""
		echo "	deliver = \"maildir:$W/$1.out\""
		echo "}"
	} >"$W/$1.conf"
}

run() { "$MAILSIFT" run -c "$W/$1.conf" --once; }

# --- mbox: three entries, the first and the last the same message
printf '%s\n' 'From a@example.org Thu Nov 26 10:00:00 2026' 'Subject: one' \
    '' 'body one' '' 'From a@example.org Thu Nov 26 10:00:01 2026' \
    'Subject: two' '' 'body two' '' \
    'From a@example.org Thu Nov 26 10:00:02 2026' 'Subject: one' '' \
    'body one' '' >"$W/in.mbox"
cp "$W/in.mbox" "$W/keep.mbox"
conf mk mbox true "$W/keep.mbox"
check "mbox: a round succeeds" run mk
check "mbox: two distinct messages, the copy delivered once" \
    is "$(count "$W/mk.out")" 2
check "mbox: a second round delivers nothing" run mk
check "mbox: still two" is "$(count "$W/mk.out")" 2
check "mbox: keep = yes leaves the file alone" cmp "$W/in.mbox" "$W/keep.mbox"
conf md mbox false "$W/in.mbox"
check "mbox, keep = no: a round succeeds" run md
check "mbox, keep = no: two delivered" is "$(count "$W/md.out")" 2
check "mbox, keep = no: emptied once all went" test ! -s "$W/in.mbox"

# --- Maildir source, keep = no
mkdir -p "$W/src/new" "$W/src/cur" "$W/src/tmp"
printf 'Subject: m1\n\nfirst\n' >"$W/src/new/1700000000.M1P1.host"
printf 'Subject: m2\n\nsecond\n' >"$W/src/cur/1700000000.M2P1.host:2,S"
conf mx maildir false "$W/src"
check "maildir: a round succeeds" run mx
check "maildir: both delivered" is "$(count "$W/mx.out")" 2
check "maildir, keep = no: the source is empty" is "$(count "$W/src")" 0

# --- standard input
conf si stdin true
check "stdin: one message delivered" sh -c \
    "printf 'Subject: piped\n\nhello\n' | '$MAILSIFT' run -c '$W/si.conf' --once"
check "stdin: it is there, byte for byte" sh -c \
    "cat '$W'/si.out/new/* | grep -qx hello"

echo "local: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

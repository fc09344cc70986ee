#!/bin/sh
# SPDX-License-Identifier: ISC
# `mailsift --version` and `mailsift version`: the Makefile's VERSION and
# the versions of OpenSSL, PCRE2, SQLite, libyaml and libconfuse, which
# on Debian are those pkg-config reports; `mailsift COMMAND --help` (and
# -h, and `mailsift help COMMAND`) for every command of main.c's table:
# its usage on stdout, exit 0.  One line per check, then
# "version: N passed, N failed".  MAILSIFT=path tests another binary.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MAILSIFT=${MAILSIFT:-$top/mailsift}
pass=0
fail=0
W=$(mktemp -d /tmp/msx-version.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP
: >"$W/out"

ok() {	# DESCRIPTION CONDITION...
	desc=$1
	shift
	if "$@"; then
		echo "ok - $desc"
		pass=$((pass + 1))
	else
		echo "not ok - $desc"
		sed 's/^/#   /' "$W/out" "$W/err" 2>/dev/null | head -10
		fail=$((fail + 1))
	fi
}

run() {	# ARGS...: mailsift's stdout in $W/out, stderr in $W/err, status in rc
	"$MAILSIFT" "$@" >"$W/out" 2>"$W/err"
	rc=$?
}

shows() {	# NAME VERSION: --version has the line "  NAME  VERSION..."
	re=$(printf '%s' "$2" | sed 's/\./\\./g')
	[ -n "$2" ] && grep -Eq "^  $1 +$re( |,|\$)" "$W/dashdash"
}

V=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' "$top/Makefile")
ok "the Makefile sets VERSION" [ -n "$V" ]

run --version
ok "--version exits 0" [ "$rc" -eq 0 ]
ok "... prints nothing on stderr" [ ! -s "$W/err" ]
ok "... starts with 'mailsift $V'" [ "$(head -n 1 "$W/out")" = "mailsift $V" ]
cp "$W/out" "$W/dashdash"
for lib in OpenSSL:openssl PCRE2:libpcre2-8 SQLite:sqlite3 \
    libyaml:yaml-0.1 libconfuse:libconfuse; do
	name=${lib%%:*}
	v=$(pkg-config --modversion "${lib#*:}" 2>/dev/null)
	ok "... shows $name ${v:-?} (pkg-config)" shows "$name" "$v"
done
ok "... and whether PCRE2 has a JIT" grep -Eq '^  PCRE2 .*, (no )?JIT$' \
    "$W/dashdash"

run version
ok "'version' exits 0" [ "$rc" -eq 0 ]
ok "... and prints what --version prints" cmp -s "$W/out" "$W/dashdash"
run version extra
ok "'version extra' is a usage error (2)" [ "$rc" -eq 2 ]

run --help
ok "--help exits 0" [ "$rc" -eq 0 ]
ok "... lists the version command" grep -q '^  version$' "$W/out"
run nosuchcommand
ok "an unknown command exits 2" [ "$rc" -eq 2 ]
ok "... naming it" grep -q "unknown command 'nosuchcommand'" "$W/err"
run help nosuchcommand
ok "'help nosuchcommand' exits 2" [ "$rc" -eq 2 ]

cmds=$(grep -o '{ "[^"]*", *cmd_' "$top/daemon/main.c" |
    sed 's/^{ "//; s/".*//')
ok "the command table of main.c is read" [ "$(echo "$cmds" | wc -l)" -ge 7 ]
for c in $cmds; do
	for h in --help -h; do
		run "$c" "$h"
		ok "'$c $h' exits 0" [ "$rc" -eq 0 ]
		ok "... prints its usage on stdout" \
		    grep -q "^usage: mailsift $c" "$W/out"
		ok "... and nothing on stderr" [ ! -s "$W/err" ]
	done
	cp "$W/out" "$W/help"
	run help "$c"
	ok "'help $c' prints the same" cmp -s "$W/out" "$W/help"
done

echo "version: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/sh
# SPDX-License-Identifier: ISC
# A state given as a database URL (state = "postgresql://..."): the
# configuration takes it as is, the PostgreSQL backend says plainly when
# it cannot reach the server (port 1 refuses at once; no server is
# started here: tests/integration/test-store-pg.sh runs one), another
# kind of URL is refused, and no message ever shows the URL's password.  One line per check, then
# "state-url: N passed, N failed".  MAILSIFT=path tests another binary.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MAILSIFT=${MAILSIFT:-$top/mailsift}
pass=0
fail=0
W=$(mktemp -d /tmp/msx-stateurl.XXXXXX)
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

# conf STATE: a local account, the state at STATE
conf() {
	cat >"$W/m.conf" <<-CONF
	state = "$1"
	account "local" {
		type = maildir
		path = "$W/in"
		deliver = "maildir:$W/out"
	}
	CONF
	chmod 600 "$W/m.conf"
}
run() { "$MAILSIFT" "$@" >"$W/out" 2>&1; }
says() { grep -q -- "$1" "$W/out"; }
hides() { ! grep -q -- "$1" "$W/out"; }
mkdir -p "$W/in/new" "$W/in/cur" "$W/in/tmp"
cd "$W" || exit 1

pg="postgresql://alice:s3cret@127.0.0.1:1/mail"
conf "$pg"
run check -c "$W/m.conf"
ok "check: a postgresql:// state with no server there fails" [ $? -ne 0 ]
ok "... saying it cannot connect" says ": connecting: "
ok "... naming the URL with its password hidden" \
    says "postgresql://alice:\*\*\*@127.0.0.1:1/mail"
ok "... and never the password" hides "s3cret"
ok "... not taken for a file" [ ! -e "$W/postgresql:" ]
run status -c "$W/m.conf"
ok "status: refused too" [ $? -ne 0 ]
ok "... never the password" hides "s3cret"
run state -s "$pg"
ok "state -s URL: refused" [ $? -ne 0 ]
ok "... never the password" hides "s3cret"

conf "postgres://bob:pw2@127.0.0.1:1/mail?sslmode=disable"
run check -c "$W/m.conf"
ok "check: postgres:// is PostgreSQL too" says ": connecting: "
ok "... never the password" hides "pw2"

conf "mysql://carol:pw3@db/mail"
run check -c "$W/m.conf"
ok "check: another kind of URL is refused" [ $? -ne 0 ]
ok "... as an unknown kind of store" says "unknown kind of store"
ok "... never the password" hides "pw3"

conf "relative/state.db"
run check -c "$W/m.conf"
ok "a relative path is still refused" [ $? -ne 0 ]
ok "... as before" says "must be an absolute path"

conf "$W/state.db"
run check -c "$W/m.conf"
ok "a path still works (SQLite)" [ $? -eq 0 ]

echo "state-url: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

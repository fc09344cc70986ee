#!/bin/sh
# SPDX-License-Identifier: ISC
# The store's contract tests against PostgreSQL: a PostgreSQL 15 started
# in a throwaway directory (servers-pg.sh), then every unit program that
# includes tests/unit/state-where.h, normal and ASan builds, with
# MSX_STATE_URL (the test role's URL), MSX_STATE_RESET (empties the
# database as its owner) and MSX_PG_RESTART (restarts the server: the
# pool's test).  Then a user's session: `mailsift run --once` takes 100
# messages from a Maildir into a Maildir with the state in PostgreSQL,
# and a second round delivers nothing; the statements and commits the
# server saw are printed per message (figures for the capacity model,
# never asserted).  Needs `make all unit-bins unit-asan-bins` and
# contrib/install-deps-pg.sh.  MSX_KEEP=1 keeps the directory.
# Ends with "store-pg: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
H=tests/integration/servers-pg.sh
D=$(mktemp -d /tmp/msx-store-pg.XXXXXX)
chmod 755 "$D"
passed=0
failed=0
# shellcheck disable=SC2317  # run by the trap
cleanup() {
	sh "$H" stop "$D" >/dev/null 2>&1
	if [ "${MSX_KEEP:-0}" = 1 ]; then
		echo "# kept $D" >&2
	else
		rm -rf "$D"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

check() {	# RC DESCRIPTION
	if [ "$1" -eq 0 ]; then
		echo "ok - $2"
		passed=$((passed + 1))
	else
		echo "not ok - $2"
		failed=$((failed + 1))
	fi
}

finish() {
	echo "store-pg: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

if ! sh "$H" start "$D" >"$D/start.log" 2>&1; then
	sed 's/^/# /' "$D/start.log"
	check 1 "PostgreSQL starts"
	finish
fi
eval "$(sh "$H" env "$D")"
sql() { "$MSX_PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 "$@"; }

export MSX_STATE_URL="$MSX_PG_URL"
export MSX_STATE_RESET="'$MSX_PG_BIN/psql' -X -q -v ON_ERROR_STOP=1 \
-d '$MSX_PG_URL' -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' \
>/dev/null 2>&1"
export MSX_PG_RESTART="sh '$top/$H' restart '$D' >/dev/null 2>&1"

# The contract tests: each program's tests, as run-unit.sh counts them.
progs=$(grep -l 'state-where\.h' tests/unit/test_*.c |
    sed 's|tests/unit/\(.*\)\.c|\1|')
for build in normal asan; do
	t0=$(now)
	sh tests/run-unit.sh ".build/$build/bin" $progs >"$D/unit-$build.log" \
	    2>&1
	rc=$?
	grep -v '^unit:' "$D/unit-$build.log" | sed 's/^/# /'
	line=$(grep '^unit:' "$D/unit-$build.log")
	p=$(printf '%s' "$line" | sed -n 's/unit: \([0-9]*\) passed.*/\1/p')
	f=$(printf '%s' "$line" | sed -n 's/.* \([0-9]*\) failed/\1/p')
	echo "# $build: ${p:-0} passed, ${f:-?} failed in $(took "$t0") s"
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-1}))
	[ "$rc" -ne 0 ] && [ "${f:-1}" -eq 0 ] && failed=$((failed + 1))
done

# A user's session: 100 messages, state in PostgreSQL.
sql -d "$MSX_STATE_URL" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' \
    >/dev/null 2>&1
W="$D/mail"
mkdir -p "$W/in/new" "$W/in/cur" "$W/in/tmp"
cat >"$W/m.conf" <<EOF
state = "$MSX_STATE_URL"
account "local" {
	type = maildir
	keep = true
	path = "$W/in"
	deliver = "maildir:$W/out"
}
EOF
chmod 600 "$W/m.conf"
count() { find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l; }
# a first round on an empty Maildir makes the schema, outside the figures
./mailsift run -c "$W/m.conf" --once >"$W/run0.log" 2>&1
check $? "mailsift run: an empty Maildir, the schema made"
i=1
while [ "$i" -le 100 ]; do
	printf 'From: a@example.org\nMessage-ID: <%d@example.org>\n%s\n' \
	    "$i" "Subject: $i" >"$W/in/new/$i.msg"
	printf '\nbody %d\n' "$i" >>"$W/in/new/$i.msg"
	i=$((i + 1))
done
sql -d "$MSX_PG_ADMIN_URL" -c "ALTER ROLE mailsift SET log_statement = 'all'"
stmts() { grep -c 'LOG:  \(statement\|execute\)' "$MSX_PG_LOG"; }
commits() {
	sql -d "$MSX_PG_ADMIN_URL" -c "SELECT pg_stat_force_next_flush()" \
	    >/dev/null 2>&1
	sql -d "$MSX_PG_ADMIN_URL" -c "SELECT xact_commit FROM \
pg_stat_database WHERE datname = 'mailsift'"
}
s0=$(stmts)
c0=$(commits)
t0=$(now)
./mailsift run -c "$W/m.conf" --once >"$W/run.log" 2>&1
check $? "mailsift run: 100 messages into a Maildir, state in PostgreSQL"
secs=$(took "$t0")
s1=$(stmts)
c1=$(commits)
check "$([ "$(count "$W/out")" -eq 100 ]; echo $?)" "... all 100 delivered"
check "$([ "$(sql -d "$MSX_STATE_URL" -c "SELECT count(*) FROM message \
WHERE status = 'delivered'")" -eq 100 ]; echo $?)" \
    "... and recorded in the database"
check "$([ "$(sql -d "$MSX_STATE_URL" -c "SELECT count(*) FROM intent")" \
    -eq 0 ]; echo $?)" "... with no intent left in doubt"
echo "# 100 messages in $secs s: $((s1 - s0)) statements, \
$((c1 - c0)) commits"
awk -v s="$((s1 - s0))" \
    'BEGIN { printf "# statements per delivered message: %.2f\n", s / 100 }'
s0=$(stmts)
./mailsift run -c "$W/m.conf" --once >"$W/run2.log" 2>&1
check $? "a second round succeeds"
check "$([ "$(count "$W/out")" -eq 100 ]; echo $?)" "... delivering nothing"
echo "# a round with nothing new: $(($(stmts) - s0)) statements"
sql -d "$MSX_PG_ADMIN_URL" -c "ALTER ROLE mailsift RESET log_statement"
check "$(! grep -q "$(cat "$D/pg/mailsift.pass")" "$W/run.log" \
    "$W/run2.log"; echo $?)" "no password in mailsift's output"
finish

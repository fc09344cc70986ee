#!/bin/sh
# SPDX-License-Identifier: ISC
# The PostgreSQL harness and the build's libpq, before any store code
# uses them: servers-pg.sh starts a PostgreSQL 15 in a throwaway
# directory; pgprobe (tests/integration/pgprobe.c, built by `make
# pgprobe` against libpq and daemon/store/pg-schema.c) connects with
# MSX_PG_URL and finds version 15 or later, fsync on and a working
# transaction; the passwords are 0600, the server listens on 127.0.0.1
# only and refuses a login without the password; the store's migrations
# apply, give the tables and columns of the SQLite schema (read from a
# state file ./mailsift creates), and a second run changes nothing,
# also with three daemons' worth of runs at once; a restart keeps the
# data; stop leaves no process of the cluster.  Needs root or the
# server's user, contrib/install-deps-pg.sh (make deps) and ./mailsift.
# Timings are printed, never asserted.  MSX_KEEP=1 keeps the directory.
# Ends with "pg-harness: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
H=tests/integration/servers-pg.sh
PROBE=.build/normal/tests/integration/pgprobe
D=$(mktemp -d /tmp/msx-pg.XXXXXX)
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

check() {
	if [ "$1" -eq 0 ]; then
		echo "ok - $2"
		passed=$((passed + 1))
	else
		echo "not ok - $2"
		failed=$((failed + 1))
	fi
}

finish() {
	echo "pg-harness: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

sql() { "$MSX_PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 "$@"; }

# pg_pids: the live processes of the cluster (cwd = its data directory).
pg_pids() {
	find /proc -mindepth 2 -maxdepth 2 -path '/proc/[0-9]*/cwd' \
	    -lname "$D/pg/data" 2>/dev/null | cut -d/ -f3 |
	while read -r pid; do
		grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" \
		    2>/dev/null || echo "$pid"
	done
}

# listeners PORT: the local addresses (hex, from /proc) of the TCP
# sockets listening on PORT, IPv4 and IPv6.
listeners() {
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p \
		{ print substr($2, 1, length($2) - 5) }' | sort -u | tr '\n' ' '
}

# --- build and start --------------------------------------------------

make -s pgprobe >"$D/make.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || sed 's/^/# /' "$D/make.log"
check "$rc" "make pgprobe builds against libpq and pg-schema.o"
[ "$rc" -eq 0 ] || finish

t0=$(now)
sh "$H" start "$D" >"$D/start.out" 2>&1
rc=$?
echo "# start (initdb, start, role): $(took "$t0") s"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$D/start.out"
check "$rc" "servers-pg.sh start"
[ "$rc" -eq 0 ] || finish
eval "$(sh "$H" env "$D")"
check "$([ -n "${MSX_PG_URL:-}" ] && [ -n "${MSX_PG_PORT:-}" ] &&
    [ -d "${MSX_PG_DIR:-/nonexistent}" ] &&
    [ -x "${MSX_PG_BIN:-/nonexistent}/psql" ]; echo $?)" \
    "env gives MSX_PG_URL, _PORT, _DIR and _BIN"

# --- the server -------------------------------------------------------

$PROBE facts "$MSX_PG_URL" >"$D/facts" 2>&1
check $? "pgprobe connects with MSX_PG_URL"
sed 's/^/# /' "$D/facts"
v=$(sed -n 's/^server_version_num //p' "$D/facts")
check "$([ "${v:-0}" -ge 150000 ]; echo $?)" "server_version_num >= 150000"
check "$(grep -qx 'fsync on' "$D/facts"; echo $?)" "SHOW fsync is on"
check "$(grep -qx 'transaction ok' "$D/facts"; echo $?)" \
    "a table written and read back in a transaction"
check "$([ "$(sql "$MSX_PG_SOCKET_URL" -c 'SELECT 1')" = 1 ]; echo $?)" \
    "the unix socket in DIR answers (MSX_PG_SOCKET_URL)"
check "$([ "$(sql "$MSX_PG_URL" -c 'SELECT rolsuper FROM pg_roles
    WHERE rolname = current_user')" = f ]; echo $?)" \
    "the role mailsift is no superuser"

modes=$(stat -c '%a' "$D/pg/mailsift.pass" "$D/pg/admin.pass" | tr '\n' ' ')
check "$([ "$modes" = "600 600 " ]; echo $?)" \
    "the password files are 0600 ($modes)"
l=$(listeners "$MSX_PG_PORT")
check "$([ "$l" = "0100007F " ]; echo $?)" \
    "port $MSX_PG_PORT listens on 127.0.0.1 only (${l:-none})"
# -w: never prompt; without a password, or with a wrong one, no login
# refused URL: 0 if psql cannot log in with it
refused() {
	! PGPASSWORD='' sql -w "$1" -c 'SELECT 1' >/dev/null 2>&1
}
refused "postgresql://mailsift@127.0.0.1:$MSX_PG_PORT/mailsift"
check $? "no login without the password"
refused "postgresql://mailsift:wrong@127.0.0.1:$MSX_PG_PORT/mailsift"
check $? "no login with a wrong password"
check "$(grep -q scram-sha-256 "$MSX_PG_DIR/pg_hba.conf" &&
    ! grep -Eq 'trust|peer|ident|md5' "$MSX_PG_DIR/pg_hba.conf"; echo $?)" \
    "pg_hba.conf: scram-sha-256 for every login"

# --- the store's migrations -------------------------------------------

$PROBE migrate "$MSX_PG_URL" >"$D/mig1" 2>&1
check $? "the migrations apply to an empty database"
sed 's/^/# /' "$D/mig1"
n=$(sed -n 's/^schema 0 -> \([0-9]*\), \([0-9]*\) applied$/\1 \2/p' \
    "$D/mig1")
check "$([ -n "$n" ] && [ "${n% *}" = "${n#* }" ]; echo $?)" \
    "all of them, from version 0 ($n)"
newest=${n% *}
sql "$MSX_PG_URL" -c 'SELECT version FROM schema_version ORDER BY 1' |
    tr '\n' ' ' >"$D/versions"
check "$([ "$(cat "$D/versions")" = "$(seq -s ' ' 1 "${newest:-1}") " ]
    echo $?)" "schema_version holds 1 to $newest"
# pg_dump's \restrict lines carry a key of the run: left out
dump() {
	"$MSX_PG_BIN/pg_dump" -s "$MSX_PG_URL" 2>&1 | grep -v '^\\.*restrict '
}
dump >"$D/dump1"
$PROBE migrate "$MSX_PG_URL" >"$D/mig2" 2>&1
check $? "the migrations apply a second time"
check "$(grep -qx "schema $newest -> $newest, 0 applied" "$D/mig2"; echo $?)" \
    "the second time applies none"
dump >"$D/dump2"
check "$(cmp -s "$D/dump1" "$D/dump2" && grep -q 'CREATE TABLE public.lease' \
    "$D/dump1"; echo $?)" "the second time changes nothing (pg_dump -s)"
check "$([ "$(sql "$MSX_PG_URL" -c 'SELECT count(*) FROM schema_version')" \
    = "$newest" ]; echo $?)" "and records nothing"

# Three daemons starting at once against an empty database: the
# advisory lock lets one migrate, the others find it done.
sql "$MSX_PG_ADMIN_URL" -c 'CREATE DATABASE race OWNER mailsift'
race=$(echo "$MSX_PG_URL" | sed 's|/mailsift$|/race|')
pids=
for i in 1 2 3; do
	$PROBE migrate "$race" >"$D/race$i" 2>&1 &
	pids="$pids $!"
done
rc=0
for p in $pids; do
	wait "$p" || rc=1
done
cat "$D/race1" "$D/race2" "$D/race3" | sed 's/^/# /'
check "$([ "$rc" -eq 0 ] && ! grep -q -i error "$D/race1" "$D/race2" "$D/race3" &&
    [ "$(cat "$D/race1" "$D/race2" "$D/race3" |
    grep -c "schema 0 -> $newest, $newest applied")" = 1 ] &&
    [ "$(cat "$D/race1" "$D/race2" "$D/race3" |
    grep -c "schema $newest -> $newest, 0 applied")" = 2 ]; echo $?)" \
    "three migrations at once: one applies, two find it done"

# The same tables and columns as the SQLite backend's newest schema,
# with the types mapped (INTEGER: bigint or integer, BLOB: bytea, ...);
# PostgreSQL may only add (ids SQLite has as rowid, the cluster's).
if [ -x ./mailsift ]; then
	mkdir -p "$D/sq/src/new" "$D/sq/src/cur" "$D/sq/src/tmp"
	printf 'state = "%s"\naccount "a" {\n\ttype = maildir\n\tpath = "%s"\n\tdeliver = "maildir:%s"\n}\n' \
	    "$D/sq/state.db" "$D/sq/src" "$D/sq/out" >"$D/sq/m.conf"
	./mailsift run -c "$D/sq/m.conf" --once >"$D/sq/run.log" 2>&1
fi
check "$([ -s "$D/sq/state.db" ]; echo $?)" \
    "./mailsift makes a SQLite state to compare with"
sql "$MSX_PG_URL" -F '|' -c "SELECT table_name, column_name, data_type,
    is_nullable FROM information_schema.columns WHERE table_schema =
    'public' AND table_name <> 'probe'" >"$D/pg.cols"
python3 - "$D/sq/state.db" "$D/pg.cols" >"$D/cmp" 2>&1 <<'EOF'
import sqlite3, sys
TYPES = {"INTEGER": {"bigint", "integer"}, "TEXT": {"text"},
         "BLOB": {"bytea"}, "REAL": {"double precision"}}
PG_ONLY = {("message_old", "id"), ("schema_version", "*"),
           ("daemon", "*"), ("lease", "*")}
db = sqlite3.connect(sys.argv[1])
sq = {}
for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = "
                       "'table' AND name NOT LIKE 'sqlite_%'"):
    for _, col, typ, notnull, _, pk in db.execute(f"PRAGMA table_info({t})"):
        sq[(t, col)] = (typ, bool(notnull or pk))
pg = {}
for line in open(sys.argv[2]):
    t, col, typ, nullable = line.rstrip("\n").split("|")
    pg[(t, col)] = (typ, nullable == "NO")
bad = 0
for k, (typ, notnull) in sorted(sq.items()):
    if k not in pg:
        print("missing in PostgreSQL: %s.%s" % k); bad += 1
    elif pg[k][0] not in TYPES.get(typ, ()):
        print("%s.%s: %s in SQLite, %s here" % (*k, typ, pg[k][0])); bad += 1
    elif pg[k][1] != notnull:
        print("%s.%s: NOT NULL differs" % k); bad += 1
for k in sorted(set(pg) - set(sq)):
    if k not in PG_ONLY and (k[0], "*") not in PG_ONLY:
        print("only in PostgreSQL: %s.%s" % k); bad += 1
print("compared %d SQLite columns, %d differences" % (len(sq), bad))
sys.exit(bad != 0)
EOF
rc=$?
sed 's/^/# /' "$D/cmp"
check "$rc" "the same tables, columns, types and NOT NULLs as SQLite's"

# --- restart and stop -------------------------------------------------

sql "$MSX_PG_URL" -c "INSERT INTO lease VALUES ('acct', 'd1', 7,
    now() + interval '30 seconds')"
old=$(head -n 1 "$MSX_PG_DIR/postmaster.pid")
t0=$(now)
sh "$H" restart "$D" >"$D/restart.out" 2>&1
rc=$?
echo "# restart: $(took "$t0") s"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$D/restart.out"
new=$(head -n 1 "$MSX_PG_DIR/postmaster.pid" 2>/dev/null)
check "$([ "$rc" -eq 0 ] && [ -n "$new" ] && [ "$new" != "$old" ]
    echo $?)" "servers-pg.sh restart: a new postmaster ($old -> $new)"
check "$([ "$(sql "$MSX_PG_URL" -c "SELECT owner || ':' || epoch FROM lease
    WHERE account = 'acct'")" = d1:7 ]; echo $?)" \
    "the data is still there after the restart, same URL"
check "$([ "$(listeners "$MSX_PG_PORT")" = "0100007F " ]; echo $?)" \
    "and listens on 127.0.0.1 only again"

check "$([ -n "$(pg_pids)" ]; echo $?)" "the cluster's processes are found"
t0=$(now)
sh "$H" stop "$D" >"$D/stop.out" 2>&1
rc=$?
echo "# stop: $(took "$t0") s"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$D/stop.out"
check "$rc" "servers-pg.sh stop"
left=$(pg_pids | tr '\n' ' ')
check "$([ -z "$left" ] && [ ! -e "$MSX_PG_DIR/postmaster.pid" ]; echo $?)" \
    "no process of this cluster left ($left)"
check "$([ -z "$(listeners "$MSX_PG_PORT")" ]; echo $?)" \
    "port $MSX_PG_PORT closed"
grep -E 'PANIC|FATAL' "$MSX_PG_LOG" | grep -v -e 'password authentication' \
    -e 'no password supplied' | sed 's/^/# /' >"$D/fatal"
cat "$D/fatal"
check "$([ ! -s "$D/fatal" ]; echo $?)" \
    "the server log has no FATAL or PANIC but the refused logins"
finish

#!/bin/sh
# SPDX-License-Identifier: ISC
# A throwaway PostgreSQL 15 (Debian's) for the PostgreSQL store's tests.
#
#   servers-pg.sh start DIR      initdb into DIR/pg/data, start it
#   servers-pg.sh stop DIR       pg_ctl stop -m fast; nothing left running
#   servers-pg.sh restart DIR    stop and start again: same port, same data
#   servers-pg.sh env DIR        `export VAR=value` lines, for eval
#
# Everything lives in DIR/pg (so the same DIR can hold servers.sh's
# Dovecot too): data/ (the cluster), run/ (the unix socket, postgres.log),
# ports.env, and the passwords, 0600: mailsift.pass (the test role's)
# and admin.pass (the superuser's).  The server listens on 127.0.0.1
# only, on a free port picked at start (MSX_PG_PORT to choose one), and
# on a unix socket in DIR/pg/run; every login, TCP or socket, is
# scram-sha-256 with a password made for this run.  The role `mailsift`
# owns the database `mailsift` and is no superuser, as a production
# deployment's would be.
#
# PostgreSQL refuses to run as root: as root (CI), the server runs as
# MSX_PG_OS_USER (default `postgres`, the package's system user), so DIR
# and its parents must be searchable by it; as another user, as that
# user.  Install first: contrib/install-deps-pg.sh (make deps).
set -eu

# shellcheck disable=SC2034  # read by servers-lib.sh
PORTS="PG"
ROLE=mailsift
DB=mailsift
: "${MSX_PG_BIN:=/usr/lib/postgresql/15/bin}"
: "${MSX_PG_OS_USER:=postgres}"
: "${MSX_PG_MAX_CONNECTIONS:=100}"

# shellcheck disable=SC2034  # read by servers-lib.sh
PROG=servers-pg.sh PFX=MSX_ LOGS="run/postgres.log"
# shellcheck disable=SC1091
. "$(dirname "$0")/servers-lib.sh"

# A caller's libpq settings must not reach our own psql and pg_ctl.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE \
    PGSERVICE PGSERVICEFILE PGOPTIONS PGDATA PGSSLMODE 2>/dev/null || :

usage() {
	sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# as_pg CMD...: CMD as the user the server runs as, from a directory it
# can read (initdb and pg_ctl complain about an unreadable cwd).
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$D" && runuser -u "$MSX_PG_OS_USER" -- "$@")
	else
		(cd "$D" && "$@")
	fi
}

# 32 hex digits from the kernel: no character a URL must escape.
new_password() {
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

# write_secret FILE: stdin into FILE, 0600 from the start.
write_secret() {
	(umask 077 && cat >"$1")
}

# admin_psql: SQL on stdin, as the superuser, over the socket.
admin_psql() {
	PGPASSWORD=$(cat "$D/admin.pass") "$MSX_PG_BIN/psql" -X -q \
	    -v ON_ERROR_STOP=1 -h "$D/run" -p "$MSX_PG_PORT" -U postgres \
	    -d postgres
}

# --- the cluster ------------------------------------------------------

check_install() {
	for t in initdb pg_ctl psql; do
		[ -x "$MSX_PG_BIN/$t" ] || die "no $t in $MSX_PG_BIN: run" \
		    "contrib/install-deps-pg.sh"
	done
	[ "$(id -u)" -ne 0 ] || id -u "$MSX_PG_OS_USER" >/dev/null 2>&1 ||
	    die "no user $MSX_PG_OS_USER to run PostgreSQL as (it refuses" \
		"root): run contrib/install-deps-pg.sh"
}

# DIR/pg/data and run/ owned by the server's user; a parent it cannot
# search is found here, not in initdb's output.
make_dirs() {
	mkdir -p "$D/data" "$D/run"
	chmod 755 "$D" "$D/run"
	chmod 700 "$D/data"
	if [ "$(id -u)" -eq 0 ]; then
		chown "$MSX_PG_OS_USER:" "$D/data" "$D/run"
	fi
	as_pg test -w "$D/run" ||
	    die "$D: not reachable by user $MSX_PG_OS_USER (make DIR and" \
		"its parents searchable: chmod 755)"
}

init_cluster() {
	new_password | write_secret "$D/admin.pass"
	new_password | write_secret "$D/mailsift.pass"
	# initdb reads the superuser's password as the server's user
	[ "$(id -u)" -ne 0 ] || chown "$MSX_PG_OS_USER:" "$D/admin.pass"
	# --no-sync: only initdb's own files, whose loss in a crash just
	# fails this start; the server below runs with fsync on.
	as_pg "$MSX_PG_BIN/initdb" -D "$D/data" -U postgres \
	    --pwfile="$D/admin.pass" --auth=scram-sha-256 -E UTF8 \
	    --locale=C --no-sync --no-instructions \
	    >>"$D/start.log" 2>&1 || abort_start "initdb failed"
	write_config
}

write_config() {
	# fsync, synchronous_commit and full_page_writes stay on, as in
	# production: the store's guarantee (state.h: a call that returned
	# has its change on stable storage, which the delivery guarantee
	# rests on) is only as good as the database's durability, and tests
	# that pass only without it would prove nothing.
	cat >>"$D/data/postgresql.conf" <<-EOF

	# --- tests/integration/servers-pg.sh ---
	listen_addresses = '127.0.0.1'
	port = $MSX_PG_PORT
	unix_socket_directories = '$D/run'
	max_connections = $MSX_PG_MAX_CONNECTIONS
	shared_buffers = 16MB
	fsync = on
	synchronous_commit = on
	full_page_writes = on
	password_encryption = scram-sha-256
	ssl = off
	huge_pages = off
	timezone = 'UTC'
	log_timezone = 'UTC'
	lc_messages = 'C'
	log_line_prefix = '%m [%p] %q%u@%d '
	EOF
	# Every login needs the password: no trust, no peer, no ::1.
	cat >"$D/data/pg_hba.conf" <<-EOF
	local all all scram-sha-256
	host all all 127.0.0.1/32 scram-sha-256
	EOF
}

start_server() {
	as_pg "$MSX_PG_BIN/pg_ctl" start -D "$D/data" -l "$D/run/postgres.log" \
	    -w -t 60 -s >>"$D/start.log" 2>&1 ||
	    abort_start "pg_ctl start failed"
	wait_ports up 10 "$MSX_PG_PORT" ||
	    abort_start "PostgreSQL does not listen on $MSX_PG_PORT"
}

create_role() {
	# On stdin, so that the password is in no process's arguments.
	if ! admin_psql >>"$D/start.log" 2>&1 <<-EOF
	CREATE ROLE $ROLE LOGIN PASSWORD '$(cat "$D/mailsift.pass")';
	CREATE DATABASE $DB OWNER $ROLE;
	EOF
	then
		abort_start "creating role and database $ROLE failed"
	fi
}

# --- commands ---------------------------------------------------------

cmd_start() {
	check_install
	[ -e "$D/ports.env" ] && die "$D: already used; take a fresh DIR"
	mkdir -p "$D"
	[ ${#D} -le 80 ] || die "$D: too long for a unix socket path"
	make_dirs
	alloc_ports
	init_cluster
	start_server
	create_role
}

# The processes of this cluster, found by their working directory (every
# postgres process chdirs to its data directory), so that a child left
# behind by a killed postmaster is found too.
live_pids() {
	data=$(cd "$D/data" 2>/dev/null && pwd -P) || return 0
	# the path as a -lname pattern: its wildcards taken literally
	pat=$(printf '%s' "$data" | sed 's/[][*?\\]/\\&/g')
	find /proc -mindepth 2 -maxdepth 2 -path '/proc/[0-9]*/cwd' \
	    -lname "$pat" 2>/dev/null | cut -d/ -f3 |
	while read -r pid; do
		grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" \
		    2>/dev/null || echo "$pid"
	done
	return 0
}

stop_server() {
	if [ -n "$(live_pids)" ]; then
		as_pg "$MSX_PG_BIN/pg_ctl" stop -D "$D/data" -m fast -w -t 30 \
		    -s >>"$D/start.log" 2>&1 ||
		    echo "$PROG: pg_ctl stop failed; KILL" >&2
	fi
	n=50
	while [ -n "$(live_pids)" ]; do
		n=$((n - 1))
		if [ "$n" -le 0 ]; then
			# shellcheck disable=SC2046
			kill -KILL $(live_pids) 2>/dev/null || :
			sleep 0.2
			break
		fi
		sleep 0.1
	done
	[ -z "$(live_pids)" ] || die "processes of $D/data still running"
}

cmd_stop() {
	[ -f "$D/ports.env" ] || return 0
	load_ports
	stop_server
	wait_ports down 10 "$MSX_PG_PORT"
}

cmd_restart() {
	load_ports
	stop_server
	wait_ports down 10 "$MSX_PG_PORT" || die "port $MSX_PG_PORT still open"
	listening "$MSX_PG_PORT" && die "port $MSX_PG_PORT taken meanwhile"
	start_server
}

cmd_env() {
	load_ports
	pass=$(cat "$D/mailsift.pass")
	admin=$(cat "$D/admin.pass")
	echo "export MSX_PG_HOST=127.0.0.1"
	echo "export MSX_PG_PORT=$MSX_PG_PORT"
	echo "export MSX_PG_DIR=$(quote "$D/data")"
	echo "export MSX_PG_SOCKET=$(quote "$D/run")"
	echo "export MSX_PG_LOG=$(quote "$D/run/postgres.log")"
	echo "export MSX_PG_BIN=$(quote "$MSX_PG_BIN")"
	echo "export MSX_PG_USER=$ROLE"
	echo "export MSX_PG_DB=$DB"
	echo "export MSX_PG_PASSFILE=$(quote "$D/mailsift.pass")"
	echo "export MSX_PG_URL=postgresql://$ROLE:$pass@127.0.0.1:$MSX_PG_PORT/$DB"
	echo "export MSX_PG_SOCKET_URL=$(quote \
	    "postgresql://$ROLE:$pass@/$DB?host=$D/run&port=$MSX_PG_PORT")"
	echo "export MSX_PG_ADMIN_URL=postgresql://postgres:$admin@127.0.0.1:$MSX_PG_PORT/postgres"
}

[ $# -ge 2 ] || usage
cmd=$1
D=$(abs_dir "$2")/pg
shift 2

case $cmd in
start)	cmd_start ;;
stop)	cmd_stop ;;
restart) cmd_restart ;;
env)	cmd_env ;;
*)	usage ;;
esac

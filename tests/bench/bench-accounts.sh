#!/bin/sh
# SPDX-License-Identifier: ISC
# bench-accounts.sh - one mailsift daemon with N IMAP accounts, each
# `idle = true`, against one private Dovecot tuned as a real server
# would be (`make bench-accounts`, after `make all`).  Needs root: the
# server switches users, and inotify and file limits are raised.
#
# For each N: Dovecot with N users (passwd-file), mailsift with N
# accounts delivering to Maildir; `mailsift run` is started and the
# bench measures (bench_accounts.py) the time until every account is
# in IDLE (the debug log's "in IDLE" lines), the warnings and errors it
# logged, the delivery time of a new message saved (doveadm save) to
# 100 random accounts (p50, p99), the daemon's RSS per account and its
# CPU over 30 s while all are idle.  Prints a table with the targets of
# issue 15 beside the figures.  Timings never fail the run: exit 1 only
# if the bench itself cannot run.
#
# Environment: N ("200 1000 2000"), SAMPLE (100), IDLE_SECS (30),
# READY_SECS (300: the longest wait for all in IDLE), MAILSIFT_EXTRA
# (lines added to mailsift's configuration, e.g. "connect-limit = 0").
set -eu
cd "$(dirname "$0")/../.."
TOP=$(pwd)

die() { echo "bench-accounts: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (Dovecot, inotify limits)"
[ -x ./mailsift ] || die "./mailsift is missing: run make first"
command -v dovecot >/dev/null ||
    die "Dovecot missing: run contrib/install-deps-servers.sh"
: "${N:=200 1000 2000}"

# A real server's limits: every session holds an inotify instance (IDLE)
# and file descriptors, on both sides.
sysctl -q -w fs.inotify.max_user_instances=65536 \
    fs.inotify.max_user_watches=1048576 >/dev/null 2>&1 ||
    echo "bench-accounts: cannot raise inotify limits: IDLE may poll" >&2
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" ||
    die "cannot raise the open files limit"

PROG=bench-accounts PFX=BA_ PORTS="IMAPS" LOGS="dovecot.log"
# shellcheck disable=SC1091
. "$TOP/tests/integration/servers-lib.sh"

cmd_stop() {
	[ -f "$D/run/master.pid" ] || return 0
	pid=$(tr -d ' \n' <"$D/run/master.pid")
	kill -TERM "$pid" 2>/dev/null || return 0
	n=200
	while kill -0 "$pid" 2>/dev/null && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
}

# write_dovecot COUNT: users u1..uCOUNT, imaps only, tuned for COUNT
# sessions at once.
write_dovecot() {
	cnt=$1
	lim=$((cnt + 500))
	mkdir -p "$D/mail" "$D/run" "$D/state"
	i=1
	while [ "$i" -le "$cnt" ]; do
		printf 'u%d:{PLAIN}pw%d:8:8::%s/mail/u%d::\n' "$i" "$i" "$D" "$i"
		i=$((i + 1))
	done >"$D/users"
	chown 8:8 "$D/mail"
	cat >"$D/dovecot.conf" <<-CONF
	protocols = imap
	listen = 127.0.0.1
	base_dir = $D/run
	state_dir = $D/state
	log_path = $D/dovecot.log
	disable_plaintext_auth = no
	auth_mechanisms = plain
	auth_failure_delay = 0
	first_valid_uid = 8
	mail_location = maildir:~/Maildir
	mail_max_userip_connections = 20
	ssl = yes
	ssl_cert = <$D/tls/server.crt
	ssl_key = <$D/tls/server.key
	ssl_dh = </usr/share/dovecot/dh.pem
	default_process_limit = $lim
	default_client_limit = $((lim * 2))
	default_vsz_limit = 1G
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN $D/users
	}
	userdb {
	  driver = passwd-file
	  args = $D/users
	}
	# High-performance login mode: a few long-lived processes, each
	# holding many TLS sessions, instead of one process per login.
	service imap-login {
	  service_count = 0
	  process_min_avail = 2
	  client_limit = $lim
	  inet_listener imap {
	    port = 0
	  }
	  inet_listener imaps {
	    port = $BA_IMAPS_PORT
	    ssl = yes
	  }
	}
	# Idle sessions cost little: many per imap process.
	service imap {
	  service_count = 0
	  client_limit = 50
	  process_limit = $((lim / 50 + 20))
	}
	service auth {
	  client_limit = $((lim * 3))
	}
	service anvil {
	  client_limit = $((lim * 3))
	  unix_listener anvil-auth-penalty {
	    mode = 0
	  }
	}
	service stats {
	  client_limit = $((lim * 2))
	}
	CONF
}

# run_one COUNT: a fresh server and daemon, then the measures.
run_one() {
	D=$(mktemp -d /tmp/msba.XXXXXX)
	chmod 755 "$D"
	alloc_ports
	make_certs
	write_dovecot "$1"
	dovecot -c "$D/dovecot.conf" </dev/null >>"$D/start.log" 2>&1 ||
	    abort_start "dovecot failed to start"
	wait_ports up 10 "$BA_IMAPS_PORT" || abort_start "dovecot did not come up"
	rc=0
	BA_DIR=$D BA_PORT=$BA_IMAPS_PORT BA_CA=$D/tls/ca.crt BA_N=$1 \
	    BA_DOVECOT_CONF=$D/dovecot.conf \
	    python3 tests/bench/bench_accounts.py || rc=$?
	cmd_stop
	if [ "${KEEP:-}" = "" ]; then
		rm -rf "$D"
	else
		echo "bench-accounts: kept $D"
	fi
	return $rc
}

# bench-cluster.sh sources this file for its tuned Dovecot
# (write_dovecot, cmd_stop) and limits, and runs nothing more.
[ -z "${BA_SOURCED:-}" ] || return 0

cleanup() {
	[ -n "${D:-}" ] && [ -d "$D" ] || return 0
	cmd_stop
	[ "${KEEP:-}" != "" ] || rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

rc=0
for n in $N; do
	run_one "$n" || rc=1
	D=
done
exit $rc

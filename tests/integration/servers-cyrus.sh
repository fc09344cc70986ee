#!/bin/sh
# SPDX-License-Identifier: ISC
# Private Cyrus IMAP 3.6 (imapd, pop3d, lmtpd under its master) for
# mailsift's integration tests.
#
#   servers-cyrus.sh start DIR          certs, configs, users, start master
#   servers-cyrus.sh stop DIR           stop it, wait until ports are free
#   servers-cyrus.sh env DIR            `export VAR=value` lines, for eval
#   servers-cyrus.sh load DIR USER FOLDER FILE...   APPEND (CRLF) over IMAP
#
# Cyrus conflicts with Dovecot as a Debian package (imap-server), so it
# is not installed: contrib/install-deps-interop.sh unpacks it into
# .build/servers/cyrus/root.  Every path it uses is set in DIR/etc
# (imapd.conf, cyrus.conf, passed with -C/-M), but its programs, service
# binaries, libraries and SASL plugins live under compiled-in /usr paths
# and it logs only to syslog.  So master runs in a private mount
# namespace (unshare -m) where /usr is the unpacked tree over the
# system's (read-only overlay) and /dev is a tmpfs with the usual nodes
# and a /dev/log of our own, read into DIR/syslog.  Services run as the
# `mail` user (cyrus_user), on 127.0.0.1 only.
#
# Debian's stock namespace is kept: personal folders under "INBOX.",
# '.' between levels (altnamespace: no, unixhierarchysep: no).  Users
# user1 and user2 log in with their passwords (SASL, sasldb); "cyrus"
# is the admin.  LMTP listens on DIR/run/lmtp (MSX_CYRUS_LMTP) and, pre-
# authenticated, on MSX_CYRUS_LMTP_PORT.  FOLDER for `load` is the name
# as IMAP shows it (INBOX, INBOX.Archive); it is created if missing.
# Ports: MSX_CYRUS_{IMAP,IMAPS,POP3,POP3S,LMTP}_PORT at `start` when
# set, else free ones; saved in DIR.  Must run as root.
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=${MSX_SERVERS_DIR:-$TOP/.build/servers}/cyrus/root
PORTS="IMAP IMAPS POP3 POP3S LMTP"
USERS="user1 user2"
ADMIN=cyrus
pass_of() {
	case $1 in
	user1) echo 'user1-secret' ;;
	user2) echo 'user2-secret' ;;
	cyrus) echo 'cyrus-admin-secret' ;;
	esac
}
# SASL's realm: the server's name, which logins without @ fall into.
REALM=localhost

MAIL_UID=8
MAIL_GID=8

# shellcheck disable=SC2034  # read by servers-lib.sh
PROG=servers-cyrus.sh PFX=MSX_CYRUS_ LOGS="master.log syslog"
# Ports, quoting, the test CA, the namespace: shared with the other
# servers' harnesses.
# shellcheck disable=SC1091
. "$(dirname "$0")/servers-lib.sh"

usage() {
	sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# --- Cyrus ----------------------------------------------------------

# Debian's imapd.conf, its paths moved into DIR; the values that differ
# from Debian's say why.
write_cyrus() {
	E=$D/etc
	C=$E/imapd.conf
	mkdir -p "$D/lib/db" "$D/lib/socket" "$D/lib/sieve" "$D/spool" \
	    "$D/run/proc" "$D/run/lock"
	cat >"$C" <<-EOT
	configdirectory: $D/lib
	proc_path: $D/run/proc
	mboxname_lockpath: $D/run/lock
	defaultpartition: default
	partition-default: $D/spool
	altnamespace: no
	unixhierarchysep: no
	lmtp_downcase_rcpt: yes
	allowanonymouslogin: no
	popminpoll: 0
	autocreate_quota: 0
	# LMTP to a user who never logged in creates the INBOX too.
	autocreate_post: 1
	umask: 077
	sieveusehomedir: false
	sievedir: $D/lib/sieve
	hashimapspool: true
	allowplaintext: yes
	# Services run as Debian's mail user: no cyrus user on the host.
	cyrus_user: mail
	cyrus_group: mail
	servername: $REALM
	admins: $ADMIN
	sasl_pwcheck_method: auxprop
	sasl_auxprop_plugin: sasldb
	sasl_sasldb_path: $E/sasldb2
	sasl_auto_transition: no
	tls_server_cert: $D/tls/server.crt
	tls_server_key: $D/tls/server.key
	tls_client_ca_dir: /etc/ssl/certs
	tls_session_timeout: 1440
	lmtpsocket: $D/run/lmtp
	idlesocket: $D/run/idle
	notifysocket: $D/run/notify
	# Delivered bytes are stored bytes: no 'X' for 8-bit headers.
	munge8bit: no
	syslog_prefix: cyrus-msx
	EOT
	# Debian's START runs `ctl_cyrusdb -r`: nothing to recover in a
	# new DIR, and it costs a third of the start-up.
	cat >"$E/cyrus.conf" <<-EOT
	SERVICES {
		imap cmd="imapd -C $C -U 30" listen="127.0.0.1:$MSX_CYRUS_IMAP_PORT" prefork=0 maxchild=100
		imaps cmd="imapd -C $C -s -U 30" listen="127.0.0.1:$MSX_CYRUS_IMAPS_PORT" prefork=0 maxchild=100
		pop3 cmd="pop3d -C $C -U 30" listen="127.0.0.1:$MSX_CYRUS_POP3_PORT" prefork=0 maxchild=50
		pop3s cmd="pop3d -C $C -s -U 30" listen="127.0.0.1:$MSX_CYRUS_POP3S_PORT" prefork=0 maxchild=50
		lmtpunix cmd="lmtpd -C $C" listen="$D/run/lmtp" prefork=0 maxchild=20
		lmtp cmd="lmtpd -C $C -a" listen="127.0.0.1:$MSX_CYRUS_LMTP_PORT" prefork=0 maxchild=20
	}
	DAEMON {
		idled cmd="idled -C $C"
	}
	EOT
	chown "$MAIL_UID:$MAIL_GID" "$D/tls/server.key" "$D/tls/server.crt"
	chown -R "$MAIL_UID:$MAIL_GID" "$D/lib" "$D/spool" "$D/run"
}

# /dev of the namespace: a tmpfs with the host's usual nodes bound in,
# and room for our /dev/log.
ns_dev() {
	mkdir -p "$D/ns/hostdev"
	mount --bind /dev "$D/ns/hostdev"
	mount -t tmpfs -o mode=755,nosuid msx-cyrus-dev /dev
	for n in null zero full random urandom tty; do
		: >"/dev/$n"
		mount --bind "$D/ns/hostdev/$n" "/dev/$n"
	done
	ln -s /proc/self/fd /dev/fd
	mkdir /dev/shm
	mount -t tmpfs -o mode=1777,nosuid,nodev msx-cyrus-shm /dev/shm
}

# since WHAT: a line of start.log, seconds since T0 (`start`'s clock).
since() {
	t=$(($(date +%s%N) - T0))
	printf '  %d.%03d s: %s\n' $((t / 1000000000)) $((t / 1000000 % 1000)) \
	    "$1"
}

# Runs inside `unshare -m`: mounts, the syslog reader, users, master.
# The namespace lives as long as they do.
ns_start() {
	ns_usr cyrus
	ns_dev
	since "namespace mounted"
	cd /
	# The /dev/log reader: one datagram a line, into DIR/syslog.
	# shellcheck disable=SC2016
	python3 -I -S -c 'import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
f = open(sys.argv[1], "ab", buffering=0)
while True:
	f.write(s.recv(65536).rstrip(b"\0\n") + b"\n")' "$D/syslog" \
	    </dev/null >>"$D/start.log" 2>&1 &
	# The users while master starts.  Nobody waits for the reader (a
	# slow python start would double the start-up): what Cyrus logs
	# before it listens is lost, which is nothing but a login or two.
	(
		for u in $USERS $ADMIN; do
			pass_of "$u" | saslpasswd2 -p -c -u "$REALM" \
			    -f "$D/etc/sasldb2" "$u" || exit 1
		done
		chown "$MAIL_UID:$MAIL_GID" "$D/etc/sasldb2" &&
		    chmod 600 "$D/etc/sasldb2"
	) &
	users=$!
	# -d: master returns once its services listen.
	/usr/lib/cyrus/bin/master -d -C "$D/etc/imapd.conf" \
	    -M "$D/etc/cyrus.conf" -p "$D/run/master.pid" \
	    -L "$D/master.log" </dev/null || exit 1
	since "master listening"
	wait "$users" || { echo "saslpasswd2 failed"; exit 1; }
	since "users in sasldb"
}

cmd_start() {
	[ "$(id -u)" -eq 0 ] || die "must run as root"
	[ -x "$ROOT/usr/lib/cyrus/bin/master" ] ||
	    die "Cyrus missing: run contrib/install-deps-interop.sh cyrus"
	[ -e "$D/ports.env" ] && die "$D: already used; take a fresh DIR"
	mkdir -p "$D/etc"
	chmod 755 "$D"
	alloc_ports

	make_certs
	write_cyrus
	T0=$(date +%s%N)
	export D ROOT T0
	ns_run ns-start "$D"
	pid=$(cat "$D/run/master.pid" 2>/dev/null) ||
	    abort_start "master wrote no pid file"
	# The namespace holds the log reader, master, its services and
	# sessions.
	ns_record "$pid" master
	# shellcheck disable=SC2046
	wait_ports up 10 $(all_ports) || abort_start "servers did not come up"
	n=200
	while [ ! -S "$D/run/lmtp" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || abort_start "LMTP socket missing"
		sleep 0.05
	done
	# From the namespace to every port and the LMTP socket listening.
	t=$(($(date +%s%N) - T0))
	printf 'ready in %d.%03d s\n' $((t / 1000000000)) \
	    $((t / 1000000 % 1000)) >>"$D/start.log"
}

# master first: it stops its services; then the rest.
cmd_stop() {
	ns_stop "$(cat "$D/run/master.pid" 2>/dev/null)"
}

cmd_env() {
	load_ports
	env_common
	echo "export MSX_IX_NAME=cyrus"
	p=
	for v in $PORTS; do
		eval "p=\$MSX_CYRUS_${v}_PORT"
		echo "export MSX_CYRUS_${v}_PORT=$p"
		[ "$v" = LMTP ] || echo "export MSX_IX_${v}_PORT=$p"
	done
	echo "export MSX_CYRUS_LMTP=$(quote "$D/run/lmtp")"
	echo "export MSX_CYRUS_ADMIN=$ADMIN"
	echo "export MSX_CYRUS_ADMIN_PASS=$(quote "$(pass_of "$ADMIN")")"
	echo "export MSX_CYRUS_SYSLOG=$(quote "$D/syslog")"
	for u in $USERS; do
		U=$(echo "$u" | tr '[:lower:]' '[:upper:]')
		echo "export MSX_IX_${U}=$u"
		echo "export MSX_IX_${U}_PASS=$(quote "$(pass_of "$u")")"
	done
}

# APPEND as the user over plain IMAP (LOGIN: allowplaintext), creating
# FOLDER first.  imaplib sends lines ending in CRLF, which is how Cyrus
# stores them (it refuses bare LF).
cmd_load() {
	[ $# -ge 3 ] || usage
	user=$1 folder=$2
	shift 2
	load_ports
	for f in "$@"; do
		[ -r "$f" ] || die "cannot read $f"
	done
	pass=$(pass_of "$user")
	[ -n "$pass" ] || die "no such user: $user"
	python3 - "$MSX_CYRUS_IMAP_PORT" "$user" "$pass" "$folder" "$@" <<-'EOT'
	import imaplib, sys
	port, user, pw, folder = sys.argv[1:5]
	c = imaplib.IMAP4("127.0.0.1", int(port))
	c.login(user, pw)
	if folder.upper() != "INBOX":
	    typ, _ = c.select(c._quote(folder), readonly=True)
	    if typ != "OK":
	        typ, data = c.create(c._quote(folder))
	        if typ != "OK":
	            sys.exit("servers-cyrus.sh: CREATE %s: %r" % (folder, data))
	for path in sys.argv[5:]:
	    with open(path, "rb") as f:
	        typ, data = c.append(c._quote(folder), None, None, f.read())
	    if typ != "OK":
	        sys.exit("servers-cyrus.sh: APPEND %s: %r" % (path, data))
	c.logout()
	EOT
}

[ $# -ge 2 ] || usage
cmd=$1
D=$(abs_dir "$2")
shift 2

case $cmd in
start)		cmd_start ;;
stop)		cmd_stop ;;
env)		cmd_env ;;
load)		cmd_load "$@" ;;
ns-start)	ns_start ;;
*)		usage ;;
esac

#!/bin/sh
# SPDX-License-Identifier: ISC
# Private Courier-IMAP + Courier-POP3 (courier-authlib, userdb) for
# mailsift's integration tests.
#
#   servers-courier.sh start DIR          certs, configs, start the servers
#   servers-courier.sh stop DIR           stop them, wait until ports are free
#   servers-courier.sh env DIR            `export VAR=value` lines, for eval
#                                         (MSX_IX_* for interop.py too)
#
# Courier conflicts with Dovecot and Postfix as a Debian package, so it
# is not installed: contrib/install-deps-interop.sh unpacks its packages
# into .build/servers/courier/root.  Its programs insist on compiled-in
# paths (/etc/courier, /run/courier/authdaemon/socket, the authlib
# modules in /usr/lib/courier-authlib), so they run in a private mount
# namespace (unshare -m) where /usr is the unpacked tree over the
# system's (read-only overlay), /etc/courier is DIR/etc and /run/courier
# is DIR/run; nothing outside the namespace sees it.  They log to
# stderr (DIR/courier.log): no courierlogger, no syslog.
# Ports: MSX_COURIER_{IMAP,IMAPS,POP3,POP3S}_PORT at `start` when set,
# else free ones; saved in DIR.  Users and passwords as servers.sh
# (user1, user2), mail as uid 8 in DIR/mail/USER/Maildir.  Must run as
# root.
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=${MSX_SERVERS_DIR:-$TOP/.build/servers}/courier/root
PORTS="IMAP IMAPS POP3 POP3S"
USERS="user1 user2"
pass_of() {
	case $1 in
	user1) echo 'user1-secret' ;;
	user2) echo 'user2-secret' ;;
	esac
}
MAIL_UID=8
MAIL_GID=8

# shellcheck disable=SC2034  # read by servers-lib.sh
PROG=servers-courier.sh PFX=MSX_COURIER_ LOGS=courier.log
# Ports, quoting, the test CA, the namespace: shared with the other
# servers' harnesses.
# shellcheck disable=SC1091
. "$(dirname "$0")/servers-lib.sh"

usage() {
	sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# --- certificates ---------------------------------------------------

make_courier_certs() {
	make_certs
	# couriertls wants key and certificate in one file.
	cat "$T/server.key" "$T/server.crt" >"$D/etc/server.pem"
	chmod 600 "$T"/*.key "$D/etc/server.pem"
	# The login programs start couriertls for STARTTLS as user courier.
	chown "$MAIL_UID:$MAIL_GID" "$D/etc/server.pem"
}

# --- Courier --------------------------------------------------------

# DIR/etc becomes /etc/courier in the namespace.
write_courier() {
	E=$D/etc
	: >"$E/userdb"
	chmod 600 "$E/userdb"
	for u in $USERS; do
		h=$D/mail/$u
		mkdir -p "$h/Maildir/cur" "$h/Maildir/new" "$h/Maildir/tmp"
		hash=$(openssl passwd -6 "$(pass_of "$u")")
		printf '%s\tuid=%s|gid=%s|home=%s|mail=%s|systempw=%s\n' \
		    "$u" "$MAIL_UID" "$MAIL_GID" "$h" "$h/Maildir" "$hash" \
		    >>"$E/userdb"
	done
	chown -R "$MAIL_UID:$MAIL_GID" "$D/mail"
	chmod 700 "$D/mail"/*

	cat >"$E/authdaemonrc" <<-EOT
	authmodulelist="authuserdb"
	daemons=2
	authdaemonvar=/run/courier/authdaemon
	DEBUG_LOGIN=0
	DEFAULTOPTIONS=""
	EOT
	# Everything imaplogin/imapd and pop3login/pop3d read from their
	# environment; the values are Debian's defaults except where noted:
	# IMAP_IDLE_TIMEOUT is 60 there, how often IDLE (without
	# IMAP_ENHANCEDIDLE) looks at the folder; 5 keeps interop.py's IDLE
	# scenario to seconds.
	cat >"$E/common.env" <<-EOT
	PATH=/usr/bin:/usr/sbin:/bin:/sbin
	MAILDIRPATH=Maildir
	TCPDOPTS="-nodnslookup -noidentlookup"
	COURIERTLS=/usr/bin/couriertls
	TLS_CERTFILE=/etc/courier/server.pem
	TLS_VERIFYPEER=NONE
	TLS_CACHEFILE=
	MAXDAEMONS=40
	MAXPERIP=40
	EOT
	cat >"$E/imapd.env" <<-EOT
	IMAP_CAPABILITY="IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE"
	IMAP_CAPABILITY_TLS="\$IMAP_CAPABILITY AUTH=PLAIN"
	IMAP_KEYWORDS=1
	IMAP_ACL=1
	IMAP_IDLE_TIMEOUT=5
	IMAP_MAILBOX_SANITY_CHECK=1
	IMAP_USELOCKS=1
	IMAP_ENHANCEDIDLE=0
	IMAP_TRASHFOLDERNAME=Trash
	IMAP_EMPTYTRASH=Trash:7
	IMAP_MOVE_EXPUNGE_TO_TRASH=0
	IMAP_SHAREDINDEXFILE=/etc/courier/shared/index
	IMAP_STARTTLS=YES
	IMAP_TLS_REQUIRED=0
	SENDMAIL=/bin/false
	EOT
	cat >"$E/pop3d.env" <<-EOT
	POP3AUTH="PLAIN LOGIN"
	POP3AUTH_TLS="PLAIN LOGIN"
	POP3_PROXY=0
	POP3_STARTTLS=YES
	POP3_TLS_REQUIRED=0
	MIME_UNICODE_MESSAGE_TYPE="message/global"
	EOT
	mkdir -p "$D/run/authdaemon"
}

# Runs inside `unshare -m`: mounts, then every daemon in the background,
# each pid in DIR/pids; the namespace lives as long as they do.
ns_start() {
	ns_usr courier
	# Courier's login programs look up the user "courier": it exists in
	# the namespace only.
	etc_stub courier
	mkdir -p "$D/etcstub/courier" "$D/runstub/courier"
	mount -t overlay msx-courier-etc -o "lowerdir=$D/etcstub:/etc" /etc
	mount --bind "$D/etc" /etc/courier
	mount -t overlay msx-courier-run -o "lowerdir=$D/runstub:/run" /run
	mount --bind "$D/run" /run/courier

	cd /
	/usr/sbin/makeuserdb || exit 1
	log=$D/courier.log
	: >"$D/pids"
	/usr/bin/env -i /usr/lib/courier/courier-authlib/authdaemond \
	    </dev/null >>"$log" 2>&1 &
	echo $! >>"$D/pids"
	# name PORT TLS LOGIN DAEMON
	for s in "imap $MSX_COURIER_IMAP_PORT 0 imaplogin /usr/bin/imapd" \
	    "imap $MSX_COURIER_IMAPS_PORT 1 imaplogin /usr/bin/imapd" \
	    "pop3 $MSX_COURIER_POP3_PORT 0 courierpop3login /usr/lib/courier/courier/courierpop3d" \
	    "pop3 $MSX_COURIER_POP3S_PORT 1 courierpop3login /usr/lib/courier/courier/courierpop3d"
	do
		# shellcheck disable=SC2086
		set -- $s
		tls=
		[ "$3" = 1 ] && tls="/usr/bin/couriertls -server -tcpd"
		[ "$1" = imap ] && f=imapd.env || f=pop3d.env
		# shellcheck disable=SC2016,SC2086
		/usr/bin/env -i /bin/sh -c 'set -a
			. /etc/courier/common.env
			. /etc/courier/'"$f"'
			[ '"$3"' = 1 ] && IMAP_TLS=1 && POP3_TLS=1
			set +a
			exec /usr/sbin/couriertcpd -address=127.0.0.1 \
			    -maxprocs=$MAXDAEMONS -maxperip=$MAXPERIP \
			    -nodnslookup -noidentlookup '"$2"' \
			    '"$tls"' /usr/lib/courier/courier/'"$4 $5"' Maildir' \
		    </dev/null >>"$log" 2>&1 &
		echo $! >>"$D/pids"
	done
}

cmd_start() {
	[ "$(id -u)" -eq 0 ] || die "must run as root"
	[ -x "$ROOT/usr/sbin/couriertcpd" ] ||
	    die "Courier missing: run contrib/install-deps-interop.sh courier"
	[ -e "$D/ports.env" ] && die "$D: already used; take a fresh DIR"
	mkdir -p "$D/etc"
	chmod 755 "$D"
	alloc_ports

	make_courier_certs
	write_courier
	export D ROOT MSX_COURIER_IMAP_PORT MSX_COURIER_IMAPS_PORT \
	    MSX_COURIER_POP3_PORT MSX_COURIER_POP3S_PORT
	t0=$(date +%s%N)
	# couriertcpd and authdaemond signal their whole process group when
	# stopped: ns_run gives them a session of their own.
	ns_run ns-start "$D"
	# The namespace holds the daemons, their sessions and what they
	# spawn (gam_server, for IDLE, outlives its imapd by seconds).
	ns_record "$(head -n 1 "$D/pids")" authdaemond
	# shellcheck disable=SC2046
	wait_ports up 10 $(all_ports) || abort_start "servers did not come up"
	n=100
	while [ ! -S "$D/run/authdaemon/socket" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || abort_start "authdaemond socket missing"
		sleep 0.1
	done
	# From the namespace to every port and the auth socket answering.
	echo "ready in $((($(date +%s%N) - t0) / 1000000)) ms" >>"$D/start.log"
}

# Every process at once.
cmd_stop() { ns_stop ""; }

# Besides its own names, the interface of interop.py (MSX_IX_*; see
# tests/integration/README.md), shared with the other servers' harnesses.
cmd_env() {
	load_ports
	env_common
	echo "export MSX_IX_NAME=courier"
	for v in $PORTS; do
		name=MSX_COURIER_${v}_PORT
		eval "echo \"export $name=\$$name\""
		eval "echo \"export MSX_IX_${v}_PORT=\$$name\""
	done
	echo "export MSX_USERS='$USERS'"
	for u in $USERS; do
		U=MSX_$(echo "$u" | tr '[:lower:]' '[:upper:]')
		echo "export ${U}=$u"
		echo "export ${U}_PASS=$(quote "$(pass_of "$u")")"
		echo "export ${U}_MAILDIR=$(quote "$D/mail/$u/Maildir")"
		echo "export MSX_IX_${U#MSX_}=$u"
		echo "export MSX_IX_${U#MSX_}_PASS=$(quote "$(pass_of "$u")")"
		echo "export MSX_IX_${U#MSX_}_MAILDIR=$(quote "$D/mail/$u/Maildir")"
	done
}

[ $# -ge 2 ] || usage
cmd=$1
D=$(abs_dir "$2")
shift 2

case $cmd in
start)		cmd_start ;;
stop)		cmd_stop ;;
env)		cmd_env ;;
ns-start)	ns_start ;;
*)		usage ;;
esac

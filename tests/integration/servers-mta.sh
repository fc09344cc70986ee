#!/bin/sh
# SPDX-License-Identifier: ISC
# Private Exim 4 or OpenSMTPD for mailsift's send tests (issue 12).
#
#   servers-mta.sh exim|opensmtpd start DIR   certs, config, start it
#   servers-mta.sh exim|opensmtpd stop DIR    stop it, wait until ports are free
#   servers-mta.sh exim|opensmtpd env DIR     `export VAR=value` lines, for eval
#
# Both conflict with Postfix as Debian packages (mail-transport-agent),
# so neither is installed: contrib/install-deps-interop.sh unpacks them
# into .build/servers/NAME/root.  They insist on compiled-in paths (the
# users Debian-exim, opensmtpd and opensmtpq, /etc/exim4/exim4.conf,
# /usr/libexec/opensmtpd, /var/spool/smtpd, /var/lib/opensmtpd/empty,
# /var/run/smtpd.sock), so they run in a private mount namespace
# (unshare -m) where /usr is the unpacked tree over the system's
# (read-only overlay) and those paths are DIR's; nothing outside the
# namespace sees it.  They log to files in DIR (Exim) or to stderr
# (OpenSMTPD -d): no syslog.
#
# Each delivers mail for example.test to DIR/mail/USER/Maildir (users as
# servers.sh: user1, user2, user3; jörg@example.test, for SMTPUTF8, goes
# to user3) and refuses every other recipient.
# - Exim: SMTP port with STARTTLS (the test CA's certificate), AUTH PLAIN
#   and LOGIN (the users' passwords), 8BITMIME, SMTPUTF8, CHUNKING,
#   PIPELINING; an implicit-TLS port (SMTPS).
# - OpenSMTPD 6.8: plain SMTP on loopback, no TLS and so no AUTH: with
#   OpenSSL 3 Debian 12's 6.8 fails to load any key ("missing private
#   key", fixed upstream in 7.x).  No SMTPUTF8 in 6.8.
# Ports: MSX_MTA_{SMTP,SMTPS}_PORT at `start` when set, else free ones;
# saved in DIR.  Must run as root.
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
SERVERS=${MSX_SERVERS_DIR:-$TOP/.build/servers}
USERS="user1 user2 user3"
DOMAIN=example.test
# As servers.sh: user3's password has a space, a quote and an @.
pass_of() {
	case $1 in
	user1) echo 'user1-secret' ;;
	user2) echo 'user2-secret' ;;
	user3) echo 'p@ss w0rd"3' ;;
	esac
}
UTF8_LOCAL='jörg'
UTF8_TO=user3
MAIL_UID=8	# Debian's `mail`: both refuse to deliver as root
MAIL_GID=8

die() { echo "servers-mta.sh: $*" >&2; exit 1; }

usage() {
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# The port helpers are servers.sh's (same /proc reading, same range).
listening() {
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p \
		{ f = 1 } END { exit !f }'
}

port_used() {
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk -v p=":$hex" 'substr($2, length($2) - 4) == p { f = 1 }
		END { exit !f }'
}

free_port() {
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ "${lo:-0}" -gt 12000 ] 2>/dev/null || lo=32768
	while :; do
		p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') %
		    (lo - 10000) + 10000 ))
		case " $* " in *" $p "*) continue ;; esac
		port_used "$p" || break
	done
	echo "$p"
}

# wait_ports up|down SECS PORT...; up counts in tenths of a second.
wait_ports() {
	want=$1 secs=$2
	shift 2
	n=$((secs * 100))
	while [ "$n" -gt 0 ]; do
		pending=
		for p in "$@"; do
			if listening "$p"; then
				[ "$want" = down ] && pending="$pending $p"
			else
				[ "$want" = up ] && pending="$pending $p"
			fi
		done
		[ -z "$pending" ] && return 0
		sleep 0.01
		n=$((n - 1))
	done
	echo "servers-mta.sh: ports not $want after ${secs}s:$pending" >&2
	return 1
}

ports_of() {
	case $SERVER in
	exim)		echo "SMTP SMTPS" ;;
	opensmtpd)	echo "SMTP" ;;
	esac
}

all_ports() {
	for v in $(ports_of); do
		eval "printf '%s ' \"\$MSX_MTA_${v}_PORT\""
	done
}

load_ports() {
	[ -f "$D/ports.env" ] || die "$D: not started by servers-mta.sh"
	# shellcheck disable=SC1091
	. "$D/ports.env"
}

quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# --- certificates (as servers-courier.sh) ----------------------------

mkcert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj "$2" -keyout "$T/$1.key" -out "$T/$1.csr" 2>/dev/null
	cat >"$T/$1.ext" <<-EOT
	basicConstraints = critical, CA:FALSE
	keyUsage = critical, digitalSignature, keyEncipherment
	extendedKeyUsage = serverAuth
	subjectAltName = $3
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	EOT
	openssl x509 -req -in "$T/$1.csr" -CA "$T/$4.crt" -CAkey "$T/$4.key" \
	    -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
	    -days 30 -extfile "$T/$1.ext" -out "$T/$1.crt" 2>/dev/null
	rm -f "$T/$1.csr" "$T/$1.ext"
}

mkca() {
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -subj "$2" -days 30 -keyout "$T/$1.key" -out "$T/$1.crt" \
	    -addext 'basicConstraints = critical, CA:TRUE' \
	    -addext 'keyUsage = critical, keyCertSign, cRLSign' 2>/dev/null
}

make_certs() {
	T=$D/tls
	mkdir -p "$T"
	mkca ca '/O=mailsift tests/CN=mailsift test CA'
	mkca other-ca '/O=mailsift tests/CN=unrelated CA'
	mkcert server /CN=localhost 'DNS:localhost, IP:127.0.0.1, IP:::1' ca
	chmod 600 "$T"/*.key
	# Exim reads its key as its own user, after giving up root.
	cp "$T/server.crt" "$T/server.key" "$D/etc/"
	chown "$MAIL_UID:$MAIL_GID" "$D/etc/server.key"
}

# --- mailboxes ------------------------------------------------------

# DIR/mail/USER/Maildir for each user; DIR/etc/mailboxes maps a local
# part to its mailbox, DIR/etc/passwords a user to the password.
write_mailboxes() {
	: >"$D/etc/mailboxes"
	: >"$D/etc/passwords"
	for u in $USERS; do
		h=$D/mail/$u/Maildir
		mkdir -p "$h/cur" "$h/new" "$h/tmp"
		echo "$u: $u" >>"$D/etc/mailboxes"
		echo "$u: $(pass_of "$u")" >>"$D/etc/passwords"
	done
	echo "$UTF8_LOCAL: $UTF8_TO" >>"$D/etc/mailboxes"
	chown -R "$MAIL_UID:$MAIL_GID" "$D/mail"
	chmod 700 "$D/mail"/*
	chown "$MAIL_UID:$MAIL_GID" "$D/etc/passwords"
	chmod 600 "$D/etc/passwords"
}

# --- Exim -----------------------------------------------------------

# DIR/etc becomes /etc/exim4 in the namespace, so exim4.conf is the
# compiled-in configuration file (-C would make Exim drop root).
write_exim() {
	mkdir -p "$D/spool" "$D/log"
	chown "$MAIL_UID:$MAIL_GID" "$D/spool" "$D/log"
	cat >"$D/etc/exim4.conf" <<-EOT
	primary_hostname = mx.$DOMAIN
	domainlist local_domains = $DOMAIN
	qualify_domain = $DOMAIN
	local_interfaces = 127.0.0.1
	daemon_smtp_ports = $MSX_MTA_SMTP_PORT : $MSX_MTA_SMTPS_PORT
	tls_on_connect_ports = $MSX_MTA_SMTPS_PORT
	spool_directory = $D/spool
	log_file_path = $D/log/%slog
	pid_file_path = $D/exim.pid
	keep_environment =
	never_users = root
	host_lookup =
	rfc1413_hosts =
	message_size_limit = 20M
	accept_8bitmime = true
	smtputf8_advertise_hosts = *
	chunking_advertise_hosts = *
	pipelining_advertise_hosts = *
	tls_advertise_hosts = *
	tls_certificate = /etc/exim4/server.crt
	tls_privatekey = /etc/exim4/server.key
	auth_advertise_hosts = *
	acl_smtp_rcpt = check_rcpt
	acl_smtp_data = check_data

	begin acl
	check_rcpt:
	  deny    message = relaying is not permitted here
	          !domains = +local_domains
	  require verify = recipient
	  accept
	check_data:
	  accept

	begin routers
	mailboxes:
	  driver = accept
	  domains = +local_domains
	  local_parts = lsearch;/etc/exim4/mailboxes
	  transport = maildir

	begin transports
	maildir:
	  driver = appendfile
	  maildir_format
	  directory = $D/mail/\${local_part_data}/Maildir
	  user = $MAIL_UID
	  group = $MAIL_GID
	  mode = 0600
	  delivery_date_add = false
	  envelope_to_add = false
	  return_path_add = false

	begin authenticators
	plain:
	  driver = plaintext
	  public_name = PLAIN
	  server_prompts = :
	  server_condition = \${if and {{!eq{\$auth2}{}}{!eq{\$auth3}{}}\\
	      {eq{\$auth3}{\${lookup{\$auth2}lsearch{/etc/exim4/passwords}}}}}}
	  server_set_id = \$auth2
	login:
	  driver = plaintext
	  public_name = LOGIN
	  server_prompts = Username:: : Password::
	  server_condition = \${if and {{!eq{\$auth1}{}}{!eq{\$auth2}{}}\\
	      {eq{\$auth2}{\${lookup{\$auth1}lsearch{/etc/exim4/passwords}}}}}}
	  server_set_id = \$auth1
	EOT
	chmod 644 "$D/etc/exim4.conf"
}

# --- OpenSMTPD ------------------------------------------------------

write_opensmtpd() {
	mkdir -p "$D/spool" "$D/varlib/opensmtpd/empty" "$D/run"
	chmod 711 "$D/spool"
	# The addresses taken (a list: any other gets "550 Invalid
	# recipient" at RCPT), and a virtual table ("recipient user"): each
	# is delivered as `mail`, to its own Maildir.
	: >"$D/etc/valid"
	: >"$D/etc/recipients"
	for u in $USERS; do
		echo "$u@$DOMAIN" >>"$D/etc/valid"
		echo "$u@$DOMAIN mail" >>"$D/etc/recipients"
	done
	cat >"$D/etc/smtpd.conf" <<-EOT
	table valid file:$D/etc/valid
	table recipients file:$D/etc/recipients
	listen on 127.0.0.1 port $MSX_MTA_SMTP_PORT hostname mx.$DOMAIN
	action "mbox" maildir "$D/mail/%{rcpt.user}/Maildir" \\
	    virtual <recipients>
	match from any for rcpt-to <valid> action "mbox"
	EOT
}

# --- namespace ------------------------------------------------------

# /etc in the namespace: the system's, plus the users the server looks
# up (Debian's postinst would create them).
etc_stub() {
	mkdir -p "$D/etcstub"
	cp /etc/passwd /etc/group "$D/etcstub/"
	for u in "$@"; do
		echo "$u:x:$MAIL_UID:$MAIL_GID::/nonexistent:/usr/sbin/nologin" \
		    >>"$D/etcstub/passwd"
		echo "$u:x:$MAIL_GID:" >>"$D/etcstub/group"
	done
}

# Runs inside `unshare -m`: mounts, then the server in the background,
# its pid in DIR/pid; the namespace lives as long as it does.
ns_start() {
	mount --make-rprivate /
	mount -t overlay msx-mta-usr -o "lowerdir=$ROOT/usr:/usr" /usr
	case $SERVER in
	exim)
		etc_stub Debian-exim
		mkdir -p "$D/etcstub/exim4"
		mount -t overlay msx-mta-etc -o "lowerdir=$D/etcstub:/etc" /etc
		mount --bind "$D/etc" /etc/exim4
		cd /
		/usr/sbin/exim4 -bdf </dev/null >>"$D/server.log" 2>&1 &
		;;
	opensmtpd)
		etc_stub opensmtpd opensmtpq
		mount -t overlay msx-mta-etc -o "lowerdir=$D/etcstub:/etc" /etc
		mount --bind "$D/spool" /var/spool
		mount --bind "$D/varlib" /var/lib
		mount --bind "$D/run" /run
		mkdir -p /var/spool/smtpd
		chmod 711 /var/spool/smtpd
		cd /
		/usr/sbin/smtpd -d -f "$D/etc/smtpd.conf" </dev/null \
		    >>"$D/server.log" 2>&1 &
		;;
	esac
	echo $! >"$D/pid"
}

# Every process in the namespace of DIR (the daemon, its sessions and
# deliveries), matched by the namespace's id saved at start.
live_pids() {
	[ -s "$D/mntns" ] || return 0
	ns=$(sed 's/[][*?\\]/\\&/g' "$D/mntns")
	find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/mnt' \
	    -lname "$ns" 2>/dev/null | cut -d/ -f3 |
	while read -r pid; do
		grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" \
		    2>/dev/null || echo "$pid"
	done
	return 0
}

cmd_start() {
	[ "$(id -u)" -eq 0 ] || die "must run as root"
	case $SERVER in
	exim)		bin=$ROOT/usr/sbin/exim4 ;;
	opensmtpd)	bin=$ROOT/usr/sbin/smtpd ;;
	esac
	[ -x "$bin" ] || die "$SERVER missing: run" \
	    "contrib/install-deps-interop.sh $SERVER"
	[ -e "$D/ports.env" ] && die "$D: already used; take a fresh DIR"
	mkdir -p "$D/etc"
	chmod 755 "$D"
	taken=
	for v in $(ports_of); do
		name=MSX_MTA_${v}_PORT
		val=
		eval "val=\${$name:-}"
		# shellcheck disable=SC2086  # word list
		[ -n "$val" ] || val=$(free_port $taken)
		taken="$taken $val"
		listening "$val" && die "$name: port $val is already in use"
		eval "$name=\$val"
		echo "$name=$val"
	done >"$D/ports.new"
	echo "MSX_MTA=$SERVER" >>"$D/ports.new"
	mv "$D/ports.new" "$D/ports.env"
	# shellcheck disable=SC1091
	. "$D/ports.env"

	make_certs
	write_mailboxes
	case $SERVER in
	exim)		write_exim ;;
	opensmtpd)	write_opensmtpd ;;
	esac
	export D ROOT SERVER
	t0=$(date +%s%N)
	# A session of its own: a daemon signalling its process group must
	# not reach the caller's.
	setsid -w unshare -m sh "$0" "$SERVER" ns-start "$D" </dev/null \
	    >>"$D/start.log" 2>&1 ||
	    abort_start "the namespace did not start"
	pid=$(cat "$D/pid")
	ns=$(readlink "/proc/$pid/ns/mnt") ||
	    abort_start "$SERVER exited at once"
	[ "$ns" != "$(readlink /proc/self/ns/mnt)" ] ||
	    abort_start "no private mount namespace"
	echo "$ns" >"$D/mntns"
	# shellcheck disable=SC2046
	wait_ports up 10 $(all_ports) || abort_start "$SERVER did not come up"
	echo "ready in $((($(date +%s%N) - t0) / 1000000)) ms" >>"$D/start.log"
}

abort_start() {
	for f in start.log server.log log/mainlog log/paniclog; do
		[ -s "$D/$f" ] && tail -n 20 "$D/$f" >&2
	done
	cmd_stop >/dev/null 2>&1 || true
	die "$1"
}

cmd_stop() {
	[ -f "$D/ports.env" ] || return 0
	# shellcheck disable=SC1091
	. "$D/ports.env"
	pids=$(live_pids)
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -TERM $pids 2>/dev/null || true
	n=50
	while [ -n "$(live_pids)" ]; do
		n=$((n - 1))
		if [ "$n" -le 0 ]; then
			# shellcheck disable=SC2046
			kill -KILL $(live_pids) 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	# shellcheck disable=SC2046
	wait_ports down 10 $(all_ports)
}

cmd_env() {
	load_ports
	echo "export MSX_MTA=$SERVER"
	echo "export MSX_DIR=$(quote "$D")"
	echo "export MSX_HOST=127.0.0.1"
	echo "export MSX_TLS_NAME=localhost"
	echo "export MSX_DOMAIN=$DOMAIN"
	for v in $(ports_of); do
		name=MSX_MTA_${v}_PORT
		eval "echo \"export $name=\$$name\""
	done
	echo "export MSX_CA=$(quote "$D/tls/ca.crt")"
	echo "export MSX_OTHER_CA=$(quote "$D/tls/other-ca.crt")"
	echo "export MSX_USERS='$USERS'"
	echo "export MSX_UTF8_ADDR=$(quote "$UTF8_LOCAL@$DOMAIN")"
	echo "export MSX_UTF8_USER=$UTF8_TO"
	for u in $USERS; do
		U=MSX_$(echo "$u" | tr '[:lower:]' '[:upper:]')
		echo "export ${U}=$u"
		echo "export ${U}_PASS=$(quote "$(pass_of "$u")")"
		echo "export ${U}_ADDR=$u@$DOMAIN"
		echo "export ${U}_MAILDIR=$(quote "$D/mail/$u/Maildir")"
	done
}

[ $# -ge 3 ] || usage
SERVER=$1
cmd=$2
D=$3
case $SERVER in
exim|opensmtpd) ;;
*) usage ;;
esac
ROOT=$SERVERS/$SERVER/root
case $D in
/*) ;;
*) D=$(pwd)/$D ;;
esac
D=${D%/}

case $cmd in
start)		cmd_start ;;
stop)		cmd_stop ;;
env)		cmd_env ;;
ns-start)	ns_start ;;
*)		usage ;;
esac

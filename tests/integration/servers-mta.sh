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

# shellcheck disable=SC2034  # read by servers-lib.sh
PROG=servers-mta.sh PFX=MSX_MTA_ LOGS="server.log log/mainlog log/paniclog"
# Ports, quoting, the test CA, the namespace: shared with the other
# servers' harnesses.
# shellcheck disable=SC1091
. "$(dirname "$0")/servers-lib.sh"

usage() {
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

ports_of() {
	case $SERVER in
	exim)		echo "SMTP SMTPS" ;;
	opensmtpd)	echo "SMTP" ;;
	esac
}

# Exim reads its key as its own user, after giving up root.
make_mta_certs() {
	make_certs
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

# Runs inside `unshare -m`: mounts, then the server in the background,
# its pid in DIR/pid; the namespace lives as long as it does.
ns_start() {
	ns_usr mta
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
	alloc_ports
	echo "MSX_MTA=$SERVER" >>"$D/ports.env"

	make_mta_certs
	write_mailboxes
	case $SERVER in
	exim)		write_exim ;;
	opensmtpd)	write_opensmtpd ;;
	esac
	export D ROOT SERVER
	t0=$(date +%s%N)
	ns_run "$SERVER" ns-start "$D"
	# The namespace holds the daemon, its sessions and deliveries.
	ns_record "$(cat "$D/pid")" "$SERVER"
	# shellcheck disable=SC2046
	wait_ports up 10 $(all_ports) || abort_start "$SERVER did not come up"
	echo "ready in $((($(date +%s%N) - t0) / 1000000)) ms" >>"$D/start.log"
}

# Every process at once.
cmd_stop() { ns_stop ""; }

cmd_env() {
	load_ports
	env_common
	echo "export MSX_MTA=$SERVER"
	echo "export MSX_DOMAIN=$DOMAIN"
	for v in $PORTS; do
		name=MSX_MTA_${v}_PORT
		eval "echo \"export $name=\$$name\""
	done
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
D=$(abs_dir "$D")
PORTS=$(ports_of)

case $cmd in
start)		cmd_start ;;
stop)		cmd_stop ;;
env)		cmd_env ;;
ns-start)	ns_start ;;
*)		usage ;;
esac

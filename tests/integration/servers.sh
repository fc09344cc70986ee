#!/bin/sh
# SPDX-License-Identifier: ISC
# Private Dovecot + Postfix for mailsift's integration tests.
#
#   servers.sh start DIR                 certs, configs, start both servers
#   servers.sh stop DIR                  stop both, wait until ports are free
#   servers.sh env DIR                   `export VAR=value` lines, for eval
#   servers.sh load DIR USER FOLDER FILE...   store messages (bytes kept)
#   servers.sh wait-mail DIR USER COUNT [TIMEOUT]   INBOX holds >= COUNT
#
# DIR is throwaway and should be short (unix socket paths are limited to
# ~107 bytes), e.g. DIR=$(mktemp -d /tmp/msx.XXXXXX).  Must run as root:
# Dovecot and Postfix switch users and bind their own sockets.
# Ports come from MSX_*_PORT at `start` when set, else free ones are
# picked; they are saved in DIR, so later commands need no environment.
# Install the servers first with contrib/install-deps-servers.sh.
set -eu

PORTS="IMAP IMAPS POP3 POP3S SMTP SUBMISSION SMTPS WRONGHOST LMTP"
USERS="user1 user2 user3 user4 user5 user6 user7"
# user4 sees its folders as Courier and Debian's Cyrus show them:
# personal namespace "INBOX." with '.' between levels.
# SPECIAL-USE (RFC 6154): Dovecot marks a folder only once it exists.
# user5's have localised names, made by test-special.sh: \Junk on
# "Pourriel", \Archive on "Archives 2026"; user6 has none of them, so
# its server marks no folder at all.  user7 has a quota of 64 KB (the
# quota plugin; the others have none), for a destination that is full.
DOMAIN=example.test
# user3's password exercises quoting in clients (space, quote, @).
pass_of() {
	case $1 in
	user1) echo 'user1-secret' ;;
	user2) echo 'user2-secret' ;;
	user3) echo 'p@ss w0rd"3' ;;
	user4) echo 'user4-secret' ;;
	user5) echo 'user5-secret' ;;
	user6) echo 'user6-secret' ;;
	user7) echo 'user7-secret' ;;
	esac
}
# userdb extra fields: user4's namespace overrides the default one.
ns_of() {
	case $1 in
	user4) echo 'userdb_namespace/inbox/prefix=INBOX.' \
	    'userdb_namespace/inbox/separator=.' ;;
	user7) echo 'userdb_quota_rule=*:storage=64K' ;;
	esac
}
MAIL_UID=8	# Debian's `mail`: Dovecot refuses to store mail as root
MAIL_GID=8

# shellcheck disable=SC2034  # read by servers-lib.sh
PROG=servers.sh PFX=MSX_ LOGS="dovecot.log postfix.log"
# Ports, quoting, the test CA: shared with the other servers' harnesses.
# shellcheck disable=SC1091
. "$(dirname "$0")/servers-lib.sh"

usage() {
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# --- certificates ---------------------------------------------------

# servers-lib.sh's, and one for a name no client asks for.
make_all_certs() {
	make_certs
	mkcert wronghost /CN=wrong.example 'DNS:wrong.example' ca
	chmod 600 "$T"/*.key
}

# --- Dovecot --------------------------------------------------------

write_dovecot() {
	: >"$D/users"
	: >"$D/tokens"
	for u in $USERS; do
		mkdir -p "$D/mail/$u/Maildir/cur" "$D/mail/$u/Maildir/new" \
		    "$D/mail/$u/Maildir/tmp"
		# user:password:uid:gid:gecos:home:shell
		printf '%s:{PLAIN}%s:%s:%s::%s::%s\n' "$u" "$(pass_of "$u")" \
		    "$MAIL_UID" "$MAIL_GID" "$D/mail/$u" "$(ns_of "$u")" \
		    >>"$D/users"
		# Its own passdb, so a token works only through the OAuth
		# mechanisms and a password never does there.
		printf '%s:{PLAIN}%s-token:::::\n' "$u" "$u" >>"$D/tokens"
	done
	chown -R "$MAIL_UID:$MAIL_GID" "$D/mail"
	chmod 700 "$D/mail"/*

	cat >"$D/dovecot-common.conf" <<-EOF
	# Shared by the main and the wrong-hostname instance.
	listen = 127.0.0.1
	disable_plaintext_auth = no
	auth_mechanisms = plain login xoauth2 oauthbearer
	auth_failure_delay = 0
	# Postfix hands LMTP full addresses; logins may use either form.
	auth_username_format = %Ln
	auth_verbose = yes
	first_valid_uid = $MAIL_UID
	mail_location = maildir:~/Maildir
	mail_max_userip_connections = 100
	pop3_uidl_format = %g
	# user7's quota (ns_of); no rule: no limit
	mail_plugins = \$mail_plugins quota
	plugin {
	  quota = maildir:User quota
	}
	ssl = yes
	ssl_key = <$D/tls/server.key
	ssl_dh = </usr/share/dovecot/dh.pem
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN $D/users
	  mechanisms = plain login
	}
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN $D/tokens
	  mechanisms = xoauth2 oauthbearer
	}
	userdb {
	  driver = passwd-file
	  args = $D/users
	}
	# Failed logins would otherwise slow every later login from
	# 127.0.0.1 by up to 15 s (anvil's auth penalty); mode 0 removes the
	# socket, which turns the penalty off.
	service anvil {
	  unix_listener anvil-auth-penalty {
	    mode = 0
	  }
	}
	namespace inbox {
	  inbox = yes
	  separator = /
	  mailbox Drafts {
	    special_use = \\Drafts
	  }
	  mailbox Sent {
	    special_use = \\Sent
	  }
	  mailbox Junk {
	    special_use = \\Junk
	  }
	  mailbox Trash {
	    special_use = \\Trash
	  }
	  mailbox Pourriel {
	    special_use = \\Junk
	  }
	  mailbox "Archives 2026" {
	    special_use = \\Archive
	  }
	  mailbox "Éléments envoyés" {
	    special_use = \\Sent
	  }
	}
	EOF

	cat >"$D/dovecot.conf" <<-EOF
	!include $D/dovecot-common.conf
	protocols = imap pop3 lmtp
	base_dir = $D/run
	state_dir = $D/state
	log_path = $D/dovecot.log
	ssl_cert = <$D/tls/server.crt
	service imap-login {
	  inet_listener imap {
	    port = $MSX_IMAP_PORT
	  }
	  inet_listener imaps {
	    port = $MSX_IMAPS_PORT
	    ssl = yes
	  }
	}
	service pop3-login {
	  inet_listener pop3 {
	    port = $MSX_POP3_PORT
	  }
	  inet_listener pop3s {
	    port = $MSX_POP3S_PORT
	    ssl = yes
	  }
	}
	# COMPRESS=DEFLATE (RFC 4978), for mailsift's compress = yes
	protocol imap {
	  mail_plugins = \$mail_plugins imap_zlib
	}
	# Postfix's lmtp and smtpd run as user postfix.  LMTP over TCP too
	# (loopback, as everything here), where Dovecot offers STARTTLS.
	service lmtp {
	  unix_listener lmtp {
	    mode = 0666
	  }
	  inet_listener lmtp {
	    port = $MSX_LMTP_PORT
	  }
	}
	service auth {
	  unix_listener auth-smtp {
	    mode = 0666
	  }
	}
	EOF

	# Dovecot 2.3 picks certificates by local IP or SNI, never by port,
	# so the wrong-hostname IMAPS port is a second, IMAP-only instance
	# on the same users and mail.
	cat >"$D/dovecot-wronghost.conf" <<-EOF
	!include $D/dovecot-common.conf
	protocols = imap
	base_dir = $D/run2
	state_dir = $D/state2
	log_path = $D/dovecot-wronghost.log
	ssl_cert = <$D/tls/wronghost.crt
	ssl_key = <$D/tls/wronghost.key
	service imap-login {
	  inet_listener imap {
	    port = 0
	  }
	  inet_listener imaps {
	    port = $MSX_WRONGHOST_PORT
	    ssl = yes
	  }
	}
	EOF
	mkdir -p "$D/run" "$D/run2" "$D/state" "$D/state2"
}

# --- Postfix --------------------------------------------------------

write_postfix() {
	P=$D/postfix
	Q=$D/pfq
	mkdir -p "$P" "$Q" "$D/pfdata"
	vmap=
	for u in $USERS; do
		vmap="$vmap $u@$DOMAIN=$u"
	done
	cat >"$P/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $Q
	data_directory = $D/pfdata
	mail_owner = postfix
	setgid_group = postdrop
	maillog_file = $D/postfix.log
	maillog_file_prefixes = $D
	myhostname = mx.$DOMAIN
	mydomain = $DOMAIN
	myorigin = $DOMAIN
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	mynetworks = 127.0.0.1/32
	smtpd_banner = \$myhostname ESMTP mailsift test MTA
	biff = no

	# Nothing ever leaves this machine: only $DOMAIN is delivered (to
	# Dovecot); smtpd refuses every other recipient at RCPT time, even
	# from authenticated users, as it sees the error: transport; no DNS.
	mydestination =
	local_recipient_maps =
	alias_maps =
	alias_database =
	relay_domains =
	local_transport = error:local delivery is disabled
	relay_transport = error:relaying is disabled
	default_transport = error:outside delivery is disabled
	virtual_mailbox_domains = $DOMAIN
	virtual_mailbox_maps = inline:{$vmap }
	virtual_transport = lmtp:unix:$D/run/lmtp
	smtp_dns_support_level = disabled
	lmtp_dns_support_level = disabled
	smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination

	smtpd_tls_cert_file = $D/tls/server.crt
	smtpd_tls_key_file = $D/tls/server.key
	smtpd_tls_security_level = may
	smtpd_tls_loglevel = 1
	smtpd_sasl_type = dovecot
	smtpd_sasl_path = $D/run/auth-smtp
	smtpd_sasl_auth_enable = no

	# Tests want answers and retries now, not at production pace.
	smtpd_error_sleep_time = 0
	queue_run_delay = 2s
	minimal_backoff_time = 2s
	maximal_backoff_time = 4s
	EOF

	# chroot is "n" everywhere: Dovecot's sockets live outside the queue.
	sub="-o smtpd_sasl_auth_enable=yes -o smtpd_tls_auth_only=yes
	  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
	  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject"
	cat >"$P/master.cf" <<-EOF
	127.0.0.1:$MSX_SMTP_PORT inet n - n - - smtpd
	127.0.0.1:$MSX_SUBMISSION_PORT inet n - n - - smtpd
	  -o syslog_name=postfix/submission
	  -o smtpd_tls_security_level=encrypt
	  $sub
	127.0.0.1:$MSX_SMTPS_PORT inet n - n - - smtpd
	  -o syslog_name=postfix/smtps
	  -o smtpd_tls_wrappermode=yes
	  $sub
	pickup unix n - n 60 1 pickup
	cleanup unix n - n - 0 cleanup
	qmgr unix n - n 300 1 qmgr
	tlsmgr unix - - n 1000? 1 tlsmgr
	rewrite unix - - n - - trivial-rewrite
	bounce unix - - n - 0 bounce
	defer unix - - n - 0 bounce
	trace unix - - n - 0 bounce
	verify unix - - n - 1 verify
	flush unix n - n 1000? 0 flush
	proxymap unix - - n - - proxymap
	proxywrite unix - - n - 1 proxymap
	smtp unix - - n - - smtp
	relay unix - - n - - smtp
	showq unix n - n - - showq
	error unix - - n - - error
	retry unix - - n - - error
	discard unix - - n - - discard
	local unix - n n - - local
	virtual unix - n n - - virtual
	lmtp unix - - n - - lmtp
	anvil unix - - n - 1 anvil
	scache unix - - n - 1 scache
	postlog unix-dgram n - n - 1 postlogd
	EOF

	# The queue layout `postfix check` would create, without its
	# seconds of checks.
	for q in active bounce corrupt defer deferred flush hold incoming \
	    private saved trace; do
		mkdir -p "$Q/$q"
		chown postfix:root "$Q/$q"
		chmod 700 "$Q/$q"
	done
	mkdir -p "$Q/maildrop" "$Q/public" "$Q/pid"
	chown postfix:postdrop "$Q/maildrop" "$Q/public"
	chmod 1730 "$Q/maildrop"
	chmod 2710 "$Q/public"
	chown postfix:postfix "$D/pfdata"
	chmod 700 "$D/pfdata"
	# Postfix re-reads, and waits on, config files younger than ~2 s.
	touch -d '-10 seconds' "$P/main.cf" "$P/master.cf"
}

# --- commands -------------------------------------------------------

cmd_start() {
	[ "$(id -u)" -eq 0 ] || die "must run as root"
	if ! command -v dovecot >/dev/null ||
	    [ ! -x /usr/lib/postfix/sbin/master ]; then
		die "Dovecot/Postfix missing: run contrib/install-deps-servers.sh"
	fi
	[ -e "$D/ports.env" ] && die "$D: already used; take a fresh DIR"
	mkdir -p "$D"
	# Dovecot's mail processes (uid 8) must reach DIR.
	chmod 755 "$D"
	dir=$D
	while [ -n "$dir" ]; do
		case $(stat -c %A "$dir") in
		?????????x | ?????????t) ;;
		*) die "$dir: not searchable by others; mail (uid 8) can't reach $D" ;;
		esac
		dir=${dir%/*}
	done
	[ ${#D} -le 70 ] || die "$D: too long for unix socket paths"
	alloc_ports

	make_all_certs
	write_dovecot
	write_postfix

	# Daemons keep no terminal or pipe of ours, or $(servers.sh ...)
	# and `| tee` callers would hang until they exit.
	dovecot -c "$D/dovecot.conf" </dev/null >>"$D/start.log" 2>&1 ||
	    abort_start "dovecot failed to start"
	dovecot -c "$D/dovecot-wronghost.conf" </dev/null \
	    >>"$D/start.log" 2>&1 ||
	    abort_start "dovecot (wronghost instance) failed to start"
	/usr/lib/postfix/sbin/master -c "$D/postfix" -w </dev/null \
	    >>"$D/start.log" 2>&1 ||
	    abort_start "postfix failed to start"
	# shellcheck disable=SC2046
	wait_ports up 10 $(all_ports) || abort_start "servers did not come up"
	# LMTP and SASL sockets, which Postfix needs before the first mail.
	n=100
	while [ ! -S "$D/run/lmtp" ] || [ ! -S "$D/run/auth-smtp" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || abort_start "Dovecot sockets missing in $D/run"
		sleep 0.1
	done
}

# Daemons recorded in DIR, alive now.  A pid file can outlive its
# daemon, so a pid counts only while its command line names DIR.
live_pids() {
	for f in "$D/pfq/pid/master.pid" "$D/run/master.pid" \
	    "$D/run2/master.pid"; do
		pid=$(tr -d ' \n' 2>/dev/null <"$f") || continue
		tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" |
		    grep -qF -- "-c $D/" && echo "$pid"
	done
	return 0
}

cmd_stop() {
	[ -f "$D/ports.env" ] || return 0
	# shellcheck disable=SC1091
	. "$D/ports.env"
	# All at once: each master takes 1-2 s to reap its children.
	pids=$(live_pids)
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -TERM $pids 2>/dev/null || true
	n=100
	while [ -n "$(live_pids)" ]; do
		n=$((n - 1))
		if [ "$n" -le 0 ]; then
			echo "servers.sh: still running after 10s; KILL" >&2
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
	env_common
	echo "export MSX_DOMAIN=$DOMAIN"
	for v in $PORTS; do
		name=MSX_${v}_PORT
		eval "echo \"export $name=\$$name\""
	done
	echo "export MSX_SERVER_CERT=$(quote "$D/tls/server.crt")"
	echo "export MSX_DOVECOT_CONF=$(quote "$D/dovecot.conf")"
	echo "export MSX_POSTFIX_DIR=$(quote "$D/postfix")"
	echo "export MSX_LMTP_SOCKET=$(quote "$D/run/lmtp")"
	echo "export MSX_USERS='$USERS'"
	for u in $USERS; do
		U=MSX_$(echo "$u" | tr '[:lower:]' '[:upper:]')
		echo "export ${U}=$u"
		echo "export ${U}_PASS=$(quote "$(pass_of "$u")")"
		echo "export ${U}_TOKEN=$u-token"
		echo "export ${U}_ADDR=$u@$DOMAIN"
		echo "export ${U}_MAILDIR=$(quote "$D/mail/$u/Maildir")"
	done
}

doveadm_() { doveadm -c "$D/dovecot.conf" "$@"; }

cmd_load() {
	[ $# -ge 3 ] || usage
	user=$1 folder=$2
	shift 2
	load_ports
	# `mailbox list NAME` echoes NAME even when it does not exist;
	# status fails cleanly instead.
	for f in "$@"; do
		[ -r "$f" ] || die "cannot read $f"
	done
	doveadm_ mailbox status -u "$user" messages "$folder" >/dev/null 2>&1 ||
	    doveadm_ mailbox create -s -u "$user" "$folder"
	for f in "$@"; do
		doveadm_ save -u "$user" -m "$folder" <"$f"
	done
}

cmd_wait_mail() {
	[ $# -ge 2 ] || usage
	user=$1 want=$2 secs=${3:-10}
	load_ports
	md=$D/mail/$user/Maildir
	[ -d "$md" ] || die "no such user: $user"
	n=$((secs * 10))
	while :; do
		have=$(find "$md/new" "$md/cur" -type f | wc -l)
		[ "$have" -ge "$want" ] && return 0
		if [ "$n" -le 0 ]; then
			echo "servers.sh: $user has $have of $want messages" \
			    "after ${secs}s" >&2
			return 1
		fi
		sleep 0.1
		n=$((n - 1))
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
load)		cmd_load "$@" ;;
wait-mail)	cmd_wait_mail "$@" ;;
*)		usage ;;
esac

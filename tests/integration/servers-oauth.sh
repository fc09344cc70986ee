#!/bin/sh
# SPDX-License-Identifier: ISC
# The test OpenID provider (oidc/provider.mjs) + a Dovecot that checks
# OAuth2 bearer tokens against it + Postfix submission through Dovecot.
#
#   servers-oauth.sh start DIR      certs, configs, start all three
#   servers-oauth.sh stop DIR       stop them, wait until ports are free
#   servers-oauth.sh env DIR        `export VAR=value` lines, for eval
#
# Dovecot's passdb for XOAUTH2 and OAUTHBEARER is `driver = oauth2`:
# every login POSTs the token to the provider's introspection endpoint
# (client "dovecot"), and the answer's "username" must be the login
# name.  PLAIN/LOGIN with the password in MSX_USERn_PASS work too (to
# compare, and to load mail).  IMAP and POP3 (STARTTLS offered),
# submission (Postfix, STARTTLS required, SASL through Dovecot's auth
# socket, so AUTH XOAUTH2/OAUTHBEARER reach the same passdb), delivery
# to $DOMAIN by LMTP into Dovecot.  Access tokens live MSX_OIDC_TOKEN_TTL
# seconds (default 20).  Root only (as servers.sh); DIR short and
# searchable by uid 8.  Install first: contrib/install-deps-servers.sh
# and contrib/install-deps-oauth.sh.
set -eu

PORTS="IMAP POP3 SUBMISSION OIDC"
USERS="user1 user2 user3"
DOMAIN=example.test
MAIL_UID=8
MAIL_GID=8
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PROVIDER=$TOP/tests/integration/oidc/provider.mjs
: "${MSX_OIDC_MODULES:=$TOP/.build/oidc/node_modules}"
: "${MSX_OIDC_TOKEN_TTL:=20}"

# shellcheck disable=SC2034  # read by servers-lib.sh
PROG=servers-oauth.sh PFX=MSX_ LOGS="oidc.log dovecot.log postfix.log"
# shellcheck disable=SC1091
. "$(dirname "$0")/servers-lib.sh"

usage() {
	sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

pass_of() { echo "$1-secret"; }

# --- the provider ---------------------------------------------------

start_provider() {
	rm -f "$D/oidc.port"
	MSX_OIDC_PORT=$MSX_OIDC_PORT MSX_OIDC_MODULES=$MSX_OIDC_MODULES \
	    MSX_OIDC_TOKEN_TTL=$MSX_OIDC_TOKEN_TTL \
	    setsid node "$PROVIDER" "$D/tls/server.crt" "$D/tls/server.key" \
	    "$D/oidc.port" </dev/null >>"$D/oidc.log" 2>&1 &
	echo $! >"$D/oidc.pid"
	n=100
	while [ ! -s "$D/oidc.port" ]; do
		kill -0 "$(cat "$D/oidc.pid")" 2>/dev/null ||
		    abort_start "the OpenID provider exited"
		n=$((n - 1))
		[ "$n" -gt 0 ] || abort_start "the OpenID provider did not start"
		sleep 0.1
	done
}

# --- Dovecot --------------------------------------------------------

write_dovecot() {
	: >"$D/users"
	for u in $USERS; do
		mkdir -p "$D/mail/$u/Maildir/cur" "$D/mail/$u/Maildir/new" \
		    "$D/mail/$u/Maildir/tmp"
		printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$u" "$(pass_of "$u")" \
		    "$MAIL_UID" "$MAIL_GID" "$D/mail/$u" >>"$D/users"
	done
	chown -R "$MAIL_UID:$MAIL_GID" "$D/mail"
	chmod 700 "$D/mail"/*

	# The introspection client authenticates with Basic (user:pass in
	# the URL); the provider's certificate is checked against the CA.
	cat >"$D/dovecot-oauth2.conf.ext" <<-EOF
	introspection_mode = post
	introspection_url = https://dovecot:dovecot-secret@localhost:$MSX_OIDC_PORT/token/introspection
	username_attribute = username
	active_attribute = active
	active_value = true
	tls_ca_cert_file = $D/tls/ca.crt
	EOF
	chmod 600 "$D/dovecot-oauth2.conf.ext"

	cat >"$D/dovecot.conf" <<-EOF
	protocols = imap pop3 lmtp
	listen = 127.0.0.1
	base_dir = $D/run
	state_dir = $D/state
	log_path = $D/dovecot.log
	disable_plaintext_auth = no
	auth_mechanisms = plain login xoauth2 oauthbearer
	auth_failure_delay = 0
	auth_username_format = %Ln
	auth_verbose = yes
	first_valid_uid = $MAIL_UID
	mail_location = maildir:~/Maildir
	mail_max_userip_connections = 100
	pop3_uidl_format = %g
	ssl = yes
	ssl_cert = <$D/tls/server.crt
	ssl_key = <$D/tls/server.key
	ssl_dh = </usr/share/dovecot/dh.pem
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN $D/users
	  mechanisms = plain login
	}
	passdb {
	  driver = oauth2
	  mechanisms = xoauth2 oauthbearer
	  args = $D/dovecot-oauth2.conf.ext
	}
	userdb {
	  driver = passwd-file
	  args = $D/users
	}
	service anvil {
	  unix_listener anvil-auth-penalty {
	    mode = 0
	  }
	}
	service imap-login {
	  inet_listener imap {
	    port = $MSX_IMAP_PORT
	  }
	  inet_listener imaps {
	    port = 0
	  }
	}
	service pop3-login {
	  inet_listener pop3 {
	    port = $MSX_POP3_PORT
	  }
	  inet_listener pop3s {
	    port = 0
	  }
	}
	service lmtp {
	  unix_listener lmtp {
	    mode = 0666
	  }
	}
	service auth {
	  unix_listener auth-smtp {
	    mode = 0666
	  }
	}
	EOF
	mkdir -p "$D/run" "$D/state"
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
	biff = no
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
	smtpd_tls_cert_file = $D/tls/server.crt
	smtpd_tls_key_file = $D/tls/server.key
	smtpd_tls_security_level = encrypt
	smtpd_tls_auth_only = yes
	smtpd_sasl_type = dovecot
	smtpd_sasl_path = $D/run/auth-smtp
	smtpd_sasl_auth_enable = yes
	smtpd_recipient_restrictions = permit_sasl_authenticated, reject
	smtpd_relay_restrictions = permit_sasl_authenticated, reject
	smtpd_error_sleep_time = 0
	queue_run_delay = 2s
	minimal_backoff_time = 2s
	maximal_backoff_time = 4s
	EOF
	cat >"$P/master.cf" <<-EOF
	127.0.0.1:$MSX_SUBMISSION_PORT inet n - n - - smtpd
	  -o syslog_name=postfix/submission
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
	lmtp unix - - n - - lmtp
	anvil unix - - n - 1 anvil
	scache unix - - n - 1 scache
	postlog unix-dgram n - n - 1 postlogd
	EOF
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
	touch -d '-10 seconds' "$P/main.cf" "$P/master.cf"
}

# --- commands -------------------------------------------------------

cmd_start() {
	[ "$(id -u)" -eq 0 ] || die "must run as root"
	if ! command -v dovecot >/dev/null ||
	    [ ! -x /usr/lib/postfix/sbin/master ]; then
		die "Dovecot/Postfix missing: run contrib/install-deps-servers.sh"
	fi
	if ! command -v node >/dev/null ||
	    [ ! -d "$MSX_OIDC_MODULES/oidc-provider" ]; then
		die "oidc-provider missing: run contrib/install-deps-oauth.sh"
	fi
	[ -e "$D/ports.env" ] && die "$D: already used; take a fresh DIR"
	mkdir -p "$D"
	chmod 755 "$D"
	[ ${#D} -le 70 ] || die "$D: too long for unix socket paths"
	alloc_ports
	echo "MSX_OIDC_TOKEN_TTL=$MSX_OIDC_TOKEN_TTL" >>"$D/ports.env"

	make_certs
	start_provider
	write_dovecot
	write_postfix
	dovecot -c "$D/dovecot.conf" </dev/null >>"$D/start.log" 2>&1 ||
	    abort_start "dovecot failed to start"
	/usr/lib/postfix/sbin/master -c "$D/postfix" -w </dev/null \
	    >>"$D/start.log" 2>&1 ||
	    abort_start "postfix failed to start"
	# shellcheck disable=SC2046
	wait_ports up 10 $(all_ports) || abort_start "servers did not come up"
	n=100
	while [ ! -S "$D/run/lmtp" ] || [ ! -S "$D/run/auth-smtp" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || abort_start "Dovecot sockets missing in $D/run"
		sleep 0.1
	done
}

# Daemons recorded in DIR, alive now: a pid counts only while its
# command line names DIR.
live_pids() {
	for f in "$D/pfq/pid/master.pid" "$D/run/master.pid" "$D/oidc.pid"; do
		pid=$(tr -d ' \n' 2>/dev/null <"$f") || continue
		tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" |
		    grep -qF -- "$D/" && echo "$pid"
	done
	return 0
}

cmd_stop() {
	[ -f "$D/ports.env" ] || return 0
	load_ports
	pids=$(live_pids)
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -TERM $pids 2>/dev/null || true
	n=100
	while [ -n "$(live_pids)" ]; do
		n=$((n - 1))
		if [ "$n" -le 0 ]; then
			echo "$PROG: still running after 10s; KILL" >&2
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
	iss=https://localhost:$MSX_OIDC_PORT
	echo "export MSX_OIDC_ISSUER=$iss"
	echo "export MSX_OIDC_ADMIN=$iss/_admin"
	echo "export MSX_OIDC_TOKEN_TTL=$MSX_OIDC_TOKEN_TTL"
	echo "export MSX_OIDC_NATIVE_CLIENT=mailsift-native"
	echo "export MSX_OIDC_DEVICE_CLIENT=mailsift-device"
	echo "export MSX_OIDC_SERVICE_CLIENT=mailsift-service"
	echo "export MSX_OIDC_SERVICE_POST_CLIENT=mailsift-service-post"
	echo "export MSX_OIDC_SERVICE_SECRET=service-secret"
	echo "export MSX_OIDC_SERVICE_USER=user2"
	echo "export MSX_OIDC_LOG=$(quote "$D/oidc.log")"
	echo "export MSX_DOVECOT_CONF=$(quote "$D/dovecot.conf")"
	echo "export MSX_USERS='$USERS'"
	for u in $USERS; do
		U=MSX_$(echo "$u" | tr '[:lower:]' '[:upper:]')
		echo "export ${U}=$u"
		echo "export ${U}_PASS=$(quote "$(pass_of "$u")")"
		echo "export ${U}_ADDR=$u@$DOMAIN"
		echo "export ${U}_MAILDIR=$(quote "$D/mail/$u/Maildir")"
	done
}

[ $# -ge 2 ] || usage
cmd=$1
D=$(abs_dir "$2")
shift 2

case $cmd in
start)	cmd_start ;;
stop)	cmd_stop ;;
env)	cmd_env ;;
*)	usage ;;
esac

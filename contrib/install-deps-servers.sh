#!/bin/sh
# SPDX-License-Identifier: ISC
# Install the real mail servers that tests/integration/ runs privately
# (Dovecot, Postfix, openssl; python3 for the clients of smoke.sh).  The
# system instances the packages bring must stay off: the tests start
# their own on high ports, and a system daemon would hold 25/143/... and
# read /etc configs we never wrote.
# Does nothing (and touches no network) when everything is present.
set -eu

PKGS="dovecot-imapd dovecot-pop3d dovecot-lmtpd openssl postfix python3"

. "$(dirname "$0")/apt.sh"
# shellcheck disable=SC2086  # word lists
missing=$(apt_missing $PKGS)

# Stop whatever system instance is running, through its own tools, so
# only that instance is touched (never our test instances in /tmp).
stop_system_daemons() {
	if [ -s /run/dovecot/master.pid ] &&
	    kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
		echo "mailsift: stopping system dovecot"
		doveadm stop 2>/dev/null || kill "$(cat /run/dovecot/master.pid)"
	fi
	if [ -s /var/spool/postfix/pid/master.pid ] &&
	    kill -0 "$(tr -d ' ' </var/spool/postfix/pid/master.pid)" 2>/dev/null
	then
		echo "mailsift: stopping system postfix"
		postfix stop 2>/dev/null ||
		    kill "$(tr -d ' ' </var/spool/postfix/pid/master.pid)"
	fi
}

if [ -z "$missing" ]; then
	stop_system_daemons
	exit 0
fi

# shellcheck disable=SC2086
apt_need_root $missing
# Without this the postfix postinst writes a working main.cf for the
# system instance; "No configuration" leaves it inert.
echo 'postfix postfix/main_mailer_type select No configuration' |
    debconf-set-selections

# shellcheck disable=SC2086
apt_install $missing
stop_system_daemons

#!/bin/sh
# Install the real mail servers that tests/integration/ runs privately
# (Dovecot, Postfix, openssl; python3 for the clients of smoke.sh).  The
# system instances the packages bring must stay off: the tests start
# their own on high ports, and a system daemon would hold 25/143/... and
# read /etc configs we never wrote.
# Does nothing (and touches no network) when everything is present.
set -eu

PKGS="dovecot-imapd dovecot-pop3d dovecot-lmtpd openssl postfix python3"

missing=
for p in $PKGS; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done

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

if [ "$(id -u)" -ne 0 ]; then
	echo "mailsift: missing packages:$missing" >&2
	echo "mailsift: run this script as root" >&2
	exit 1
fi

echo "mailsift: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Without this the postfix postinst writes a working main.cf for the
# system instance; "No configuration" leaves it inert.
echo 'postfix postfix/main_mailer_type select No configuration' |
    debconf-set-selections

# invoke-rc.d asks policy-rc.d before starting a service; 101 = "not
# allowed".  Keep an existing one (containers ship one) and only remove
# what we put there ourselves, even if the install fails.
policy=/usr/sbin/policy-rc.d
ours=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# mailsift install-deps-servers.sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	ours=1
	trap 'rm -f "$policy"' EXIT
	trap 'exit 1' INT TERM HUP
fi

apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

if [ -n "$ours" ]; then
	rm -f "$policy"
	trap - EXIT
fi
stop_system_daemons

#!/bin/sh
# SPDX-License-Identifier: ISC
# Fetch, without installing, the mail servers that conflict with the
# Dovecot/Postfix of install-deps-servers.sh as Debian packages
# (imap-server, mail-transport-agent): `apt-get download` + `dpkg-deb -x`
# into .build/servers/NAME/root, from where tests/integration/
# servers-NAME.sh runs them in a private mount namespace.  Nothing under
# / is touched.  Does nothing (and touches no network) when the tree is
# there already.
#
#   install-deps-interop.sh [NAME...]     default: every server below
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${MSX_SERVERS_DIR:-$TOP/.build/servers}

# shellcheck disable=SC1091
. "$(dirname "$0")/apt.sh"

# Each server's packages, then (after "--") the libraries they link
# that a Debian 12 may lack: those are fetched only when not installed,
# and come from / through the overlay otherwise.  perl (makeuserdb),
# openssl and python3 come from install-deps-servers.sh.
pkgs_of() {
	case $1 in
	courier)
		echo courier-imap courier-pop courier-base courier-authlib \
		    courier-authlib-userdb courier-authdaemon \
		    libcourier-unicode4 gamin libgamin0 libltdl7 -- \
		    libgdbm6 libidn12 libpcre3 libgnutls30
		;;
	exim)
		# No exim4-config: servers-mta.sh writes its own exim4.conf.
		echo exim4-daemon-light exim4-base -- \
		    libdb5.3 libgnutls-dane0 libgnutls30 libidn12 libidn2-0 \
		    libnsl2 libpcre2-8-0 libcrypt1
		;;
	opensmtpd)
		echo opensmtpd -- \
		    libevent-2.1-7 libdb5.3 libssl3 libpam0g zlib1g libcrypt1
		;;
	*)
		echo "install-deps-interop.sh: unknown server $1" >&2
		return 1
		;;
	esac
}

fetch_one() {
	name=$1
	dest=$OUT/$name
	all=$(pkgs_of "$name")
	# shellcheck disable=SC2086  # word list
	pkgs="${all%% -- *} $(apt_missing ${all#* -- })"
	pkgs=${pkgs% }
	# The stamp names the package list: a changed list fetches again.
	if [ -f "$dest/root/.stamp" ] &&
	    [ "$(cat "$dest/root/.stamp")" = "$pkgs" ]; then
		return 0
	fi
	echo "mailsift: fetching $name ($pkgs)"
	rm -rf "$dest/debs.new" "$dest/root.new"
	mkdir -p "$dest/debs.new" "$dest/root.new"
	# apt-get download writes into the current directory; as root its
	# sandbox user _apt may not, which only earns a warning.
	# shellcheck disable=SC2086  # word list
	if ! (cd "$dest/debs.new" && apt-get download -q $pkgs) \
	    >"$dest/download.log" 2>&1; then
		if [ "$(id -u)" -eq 0 ]; then
			apt-get update -qq
			# shellcheck disable=SC2086
			(cd "$dest/debs.new" && apt-get download -q $pkgs) \
			    >"$dest/download.log" 2>&1 || {
				cat "$dest/download.log" >&2
				exit 1
			}
		else
			cat "$dest/download.log" >&2
			exit 1
		fi
	fi
	for f in "$dest/debs.new"/*.deb; do
		dpkg-deb -x "$f" "$dest/root.new"
	done
	echo "$pkgs" >"$dest/root.new/.stamp"
	rm -rf "$dest/debs" "$dest/root"
	mv "$dest/debs.new" "$dest/debs"
	mv "$dest/root.new" "$dest/root"
}

[ $# -gt 0 ] || set -- courier exim opensmtpd
for n in "$@"; do
	fetch_one "$n"
done

# SPDX-License-Identifier: ISC
# apt.sh - sourced by the install-deps scripts: which Debian packages
# are missing, and installing them without starting any daemon.

# apt_missing PKG...: prints the missing ones, space-separated ("" if
# none).
apt_missing() {
	m=
	for p in "$@"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null |
		    grep -q 'ok installed' || m="$m $p"
	done
	echo "${m# }"
}

# apt_need_root PKG...: as another user than root, list what is missing
# and fail, so `make` never half-works silently.
apt_need_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	echo "mailsift: missing packages: $*" >&2
	echo "mailsift: run as root: apt-get install $*" >&2
	exit 1
}

# apt_install PKG...: as root, install them without recommends, while a
# policy-rc.d of ours (101 = "not allowed") keeps the daemons packages
# bring from starting: the tests run their own servers, on their own
# ports, with their own configs.  A policy-rc.d that exists already
# (containers ship one) is kept; ours is removed even if the install
# fails.
apt_install() {
	apt_need_root "$@"
	echo "mailsift: installing $*"
	export DEBIAN_FRONTEND=noninteractive
	policy=/usr/sbin/policy-rc.d
	ours=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\n# mailsift contrib/apt.sh\nexit 101\n' \
		    >"$policy"
		chmod 755 "$policy"
		ours=1
		trap 'rm -f "$policy"' EXIT
		trap 'exit 1' INT TERM HUP
	fi
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "$@" >/dev/null
	if [ -n "$ours" ]; then
		rm -f "$policy"
		trap - EXIT
	fi
}

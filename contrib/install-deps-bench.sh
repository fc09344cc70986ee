#!/bin/sh
# Install the peers that tests/bench/bench-fetch.sh times against
# mailsift: fdm, fetchmail (with safecat as its Maildir MDA), getmail6,
# mpop and isync (mbsync), plus GNU time for peak RSS and the OpenSSL
# headers for the raw ceiling client.  The test servers themselves come
# from install-deps-servers.sh.
# Does nothing (and touches no network) when everything is present.
set -eu

PKGS="fdm fetchmail safecat getmail6 mpop isync time libssl-dev
	build-essential python3 openssl"

missing=
for p in $PKGS; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "mailsift: missing packages:$missing" >&2
	echo "mailsift: run as root: apt-get install$missing" >&2
	exit 1
fi

echo "mailsift: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# fetchmail ships an init script: no daemon may start (policy-rc.d 101 =
# "not allowed").  Keep a policy-rc.d that exists already (containers
# ship one) and remove only our own, even if the install fails.
policy=/usr/sbin/policy-rc.d
ours=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# mailsift install-deps-bench.sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	ours=1
	trap 'rm -f "$policy"' EXIT
	trap 'exit 1' INT TERM HUP
fi

apt-get update -qq
# No recommends: mpop's are keyring GUIs, fetchmail's only the system CAs
# (every client here trusts the test CA alone).
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

if [ -n "$ours" ]; then
	rm -f "$policy"
	trap - EXIT
fi

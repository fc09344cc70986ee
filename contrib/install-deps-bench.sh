#!/bin/sh
# SPDX-License-Identifier: ISC
# Install the peers that tests/bench/bench-fetch.sh times against
# mailsift: fdm, fetchmail (with safecat as its Maildir MDA), getmail6,
# mpop and isync (mbsync), plus GNU time for peak RSS and the OpenSSL
# headers for the raw ceiling client.  The test servers themselves come
# from install-deps-servers.sh.
# Does nothing (and touches no network) when everything is present.
set -eu

PKGS="fdm fetchmail safecat getmail6 mpop isync time libssl-dev
	build-essential python3 openssl"

. "$(dirname "$0")/apt.sh"
# shellcheck disable=SC2086  # word lists
missing=$(apt_missing $PKGS)
[ -z "$missing" ] && exit 0
# No recommends: mpop's are keyring GUIs, fetchmail's only the system
# CAs (every client here trusts the test CA alone); fetchmail's init
# script must not start a daemon.
# shellcheck disable=SC2086
apt_install $missing

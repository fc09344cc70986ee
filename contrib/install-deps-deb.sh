#!/bin/sh
# SPDX-License-Identifier: ISC
# Install what `make deb` and `make test-deb` need beyond the build
# dependencies (install-deps.sh build): dpkg-buildpackage and debhelper,
# lintian, and debootstrap for the clean Debian 12 chroot of test-deb.
# Does nothing (and touches no network) when everything is present.
set -eu

PKGS="dpkg-dev debhelper lintian debootstrap git"

sh "$(dirname "$0")/install-deps.sh" build
. "$(dirname "$0")/apt.sh"
# shellcheck disable=SC2086  # word lists
missing=$(apt_missing $PKGS)
[ -z "$missing" ] && exit 0
# shellcheck disable=SC2086
apt_install $missing

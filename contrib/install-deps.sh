#!/bin/sh
# SPDX-License-Identifier: ISC
# Install the Debian 12 packages mailsift needs to build and test.
# Usage: install-deps.sh [build|check|bench]   (default: check)
# Only what is missing is installed; as non-root, missing packages are
# listed and the script fails, so `make` never half-works silently.
set -eu

BUILD="build-essential pkg-config libconfuse-dev libssl-dev libpcre2-dev
	libyaml-dev libsqlite3-dev"
CHECK="$BUILD libcmocka-dev clang libclang-rt-14-dev python3 openssl
	mandoc groff-base"
BENCH="$CHECK libgmime-3.0-dev valgrind time"
# libsystemd-dev: sd_notify(3); systemd: systemd-analyze for the units'
# checks (tests/cli/systemd.sh)
BUILD="$BUILD libsystemd-dev"
CHECK="$CHECK libsystemd-dev systemd"
BENCH="$BENCH libsystemd-dev systemd"
# zlib1g-dev: IMAP COMPRESS=DEFLATE (daemon/net/deflate.c)
BUILD="$BUILD zlib1g-dev"
CHECK="$CHECK zlib1g-dev"
BENCH="$BENCH zlib1g-dev"

# libcurl4-openssl-dev: the webhook target's HTTP (daemon/net/http.c)
BUILD="$BUILD libcurl4-openssl-dev"
CHECK="$CHECK libcurl4-openssl-dev"
BENCH="$BENCH libcurl4-openssl-dev"

# libpq-dev: the PostgreSQL store (daemon/store/pg-*.c); the server the
# tests run is contrib/install-deps-pg.sh's
BUILD="$BUILD libpq-dev"
CHECK="$CHECK libpq-dev"
BENCH="$BENCH libpq-dev"

case "${1:-check}" in
build)	want=$BUILD ;;
check)	want=$CHECK ;;
bench)	want=$BENCH ;;
*)	echo "usage: $0 [build|check|bench]" >&2; exit 2 ;;
esac

. "$(dirname "$0")/apt.sh"
# shellcheck disable=SC2086  # word lists
missing=$(apt_missing $want)
[ -z "$missing" ] && exit 0
# shellcheck disable=SC2086
apt_install $missing

#!/bin/sh
# Install the Debian 12 packages mailsift needs to build and test.
# Usage: install-deps.sh [build|check|bench]   (default: check)
# Only what is missing is installed; as non-root, missing packages are
# listed and the script fails, so `make` never half-works silently.
set -eu

BUILD="build-essential pkg-config libconfuse-dev libssl-dev libpcre2-dev
	libyaml-dev libsqlite3-dev"
CHECK="$BUILD libcmocka-dev clang libclang-rt-14-dev python3 openssl"
BENCH="$CHECK libgmime-3.0-dev valgrind time"

case "${1:-check}" in
build)	want=$BUILD ;;
check)	want=$CHECK ;;
bench)	want=$BENCH ;;
*)	echo "usage: $0 [build|check|bench]" >&2; exit 2 ;;
esac

missing=
for p in $want; do
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
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

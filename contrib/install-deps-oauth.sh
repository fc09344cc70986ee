#!/bin/sh
# SPDX-License-Identifier: ISC
# Install what tests/integration/servers-oauth.sh runs: Node's
# oidc-provider from the npm registry, at the versions pinned by
# tests/integration/oidc/package.json and package-lock.json, into
# .build/oidc/node_modules (project-local, never global); nodejs and npm
# from Debian when missing.  Does nothing (and touches no network) when
# the tree there was installed from the same lock file.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
SRC=$TOP/tests/integration/oidc
OUT=${MSX_OIDC_DIR:-$TOP/.build/oidc}

# shellcheck disable=SC1091
. "$(dirname "$0")/apt.sh"
missing=$(apt_missing nodejs npm)
if [ -n "$missing" ] &&
    ! { command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; }
then
	# shellcheck disable=SC2086  # word list
	apt_install $missing
fi

# The stamp is the lock file itself: a changed pin installs again.
if [ -f "$OUT/node_modules/.mailsift-stamp" ] &&
    cmp -s "$SRC/package-lock.json" "$OUT/node_modules/.mailsift-stamp"
then
	exit 0
fi
echo "mailsift: installing oidc-provider into $OUT"
rm -rf "$OUT.new"
mkdir -p "$OUT.new"
cp "$SRC/package.json" "$SRC/package-lock.json" "$OUT.new/"
# npm ci: exactly the lock file's versions and hashes; no install
# scripts run (oidc-provider and its dependencies need none).
if ! npm ci --prefix "$OUT.new" --ignore-scripts --no-audit --no-fund \
    --loglevel=error >"$OUT.new/npm.log" 2>&1; then
	cat "$OUT.new/npm.log" >&2
	exit 1
fi
cp "$SRC/package-lock.json" "$OUT.new/node_modules/.mailsift-stamp"
rm -rf "$OUT"
mv "$OUT.new" "$OUT"

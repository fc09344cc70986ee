#!/bin/sh
# SPDX-License-Identifier: ISC
# Install what tests/integration/test-metrics.sh runs: a Prometheus
# server and promtool (Debian's prometheus), headless Chromium for the
# status page, python3 for the JSON checks.  The system Prometheus the
# package brings must stay off: the test starts its own on a free
# loopback port with a throwaway config; curl talks to both.
# Does nothing (and touches no network) when everything is present.
set -eu

PKGS="prometheus chromium curl python3"

. "$(dirname "$0")/apt.sh"
# shellcheck disable=SC2086  # word lists
missing=$(apt_missing $PKGS)

stop_system_prometheus() {
	if command -v systemctl >/dev/null 2>&1 &&
	    systemctl is-active --quiet prometheus 2>/dev/null; then
		echo "mailsift: stopping system prometheus"
		systemctl stop prometheus || :
	fi
}

if [ -z "$missing" ]; then
	stop_system_prometheus
	exit 0
fi
# shellcheck disable=SC2086
apt_install $missing
stop_system_prometheus

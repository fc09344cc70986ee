#!/bin/sh
# SPDX-License-Identifier: ISC
# Install what the PostgreSQL store is built and tested with: libpq-dev
# (the build links libpq) and Debian 12's PostgreSQL 15 server, whose
# initdb and pg_ctl (/usr/lib/postgresql/15/bin) tests/integration/
# servers-pg.sh runs in a throwaway directory, as the `postgres` user, on
# a free loopback port.
#
# The package's own cluster must never run: the tests start their own,
# and a system one would be a server nobody configured listening on
# 5432.  apt.sh's policy-rc.d keeps the package from starting anything,
# and create_main_cluster = off keeps it from creating the "main"
# cluster in the first place (set in postgresql-common's
# createcluster.conf only for this install, then put back as it was).
# A system cluster that was already there is left alone: ours shares
# neither its port nor its socket directory.
# Does nothing (and touches no network) when everything is present.
set -eu

PKGS="libpq-dev postgresql-15"
CC_CONF=/etc/postgresql-common/createcluster.conf

# shellcheck disable=SC1091
. "$(dirname "$0")/apt.sh"
# shellcheck disable=SC2086  # word list
missing=$(apt_missing $PKGS)
[ -z "$missing" ] && exit 0

# shellcheck disable=SC2086
apt_need_root $missing

case " $missing " in
*" postgresql-15 "*) ;;
*)	# libpq-dev alone: no server, no cluster
	# shellcheck disable=SC2086
	apt_install $missing
	exit 0 ;;
esac

# postgresql-common first: it brings createcluster.conf, which
# postgresql-15's postinst reads before creating "main".
[ -z "$(apt_missing postgresql-common)" ] || (apt_install postgresql-common)
saved=$(mktemp)
cp -p "$CC_CONF" "$saved"
trap 'cp -p "$saved" "$CC_CONF"; rm -f "$saved"' EXIT
trap 'exit 1' INT TERM HUP
pg_conftool "$CC_CONF" set create_main_cluster off
# A subshell: apt_install's own traps must not replace ours.
# shellcheck disable=SC2086
(apt_install $missing)

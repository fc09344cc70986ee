#!/bin/sh
# SPDX-License-Identifier: ISC
# The servers of the cluster test (test-cluster.sh), one harness for
# run-py.sh: the Dovecot and Postfix of servers.sh and the PostgreSQL 15
# of servers-pg.sh in the same DIR.
#
#   servers-cluster.sh start DIR    both started (a failed start stops all)
#   servers-cluster.sh stop DIR     both stopped
#   servers-cluster.sh env DIR      both sets of `export` lines, and
#                                   MSX_PG_HARNESS=DIR (for a restart)
#
# PostgreSQL takes 300 connections: four daemons, `mailsift status`,
# and a stopped daemon's connections still open.
set -eu
H=$(dirname "$0")
[ $# -eq 2 ] || { sed -n '6,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
D=$2

case $1 in
start)
	sh "$H/servers.sh" start "$D"
	if ! MSX_PG_MAX_CONNECTIONS=300 sh "$H/servers-pg.sh" start "$D"; then
		sh "$H/servers.sh" stop "$D" >/dev/null 2>&1 || :
		exit 1
	fi
	;;
stop)
	rc=0
	sh "$H/servers-pg.sh" stop "$D" || rc=1
	sh "$H/servers.sh" stop "$D" || rc=1
	exit "$rc"
	;;
env)
	sh "$H/servers.sh" env "$D"
	sh "$H/servers-pg.sh" env "$D"
	printf 'export MSX_PG_HARNESS=%s\n' "$(cd "$D" && pwd)"
	;;
*)
	echo "servers-cluster.sh: unknown command $1" >&2
	exit 2
	;;
esac

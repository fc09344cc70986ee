# SPDX-License-Identifier: ISC
# harness.sh - sourced by smoke.sh and test-send.sh: checks counted one
# line each, the servers stopped (and their directory removed unless
# MSX_KEEP=1) at exit, and the summary line.  The caller sets `here` (its
# own directory) and SUITE (the summary's name) before sourcing, and D
# to the servers' directory once it has one.

pass=0
fail=0
D=

servers() { sh "$here/servers.sh" "$@"; }

# check DESCRIPTION COMMAND...: run it, report, keep its output on failure.
check() {
	desc=$1
	shift
	if out=$("$@" 2>&1); then
		echo "ok - $desc"
		pass=$((pass + 1))
	else
		echo "not ok - $desc"
		printf '%s\n' "$out" | sed 's/^/#   /'
		fail=$((fail + 1))
	fi
}

cleanup() {
	[ -n "$D" ] || return 0
	servers stop "$D" >/dev/null 2>&1
	if [ "${MSX_KEEP:-0}" = 1 ]; then
		echo "# kept $D" >&2
	else
		rm -rf "$D"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# finish: the servers' log tails if anything failed, "SUITE: N passed,
# N failed", and exit 1 if any failed.
finish() {
	if [ "$fail" -ne 0 ] && [ -n "$D" ]; then
		for log in dovecot.log postfix.log start.log; do
			[ -s "$D/$log" ] || continue
			echo "# --- tail of $log"
			tail -n 15 "$D/$log" | sed 's/^/# /'
		done
	fi
	echo "$SUITE: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

#!/bin/sh
# SPDX-License-Identifier: ISC
# Every test of `make check`, in order.  Each stage ends with a line
# "<stage>: N passed, N failed"; the totals are summed into the last line.
# A stage that fails without such a line counts as one failure.
set -u
cd "$(dirname "$0")/.."

names=$(ls tests/unit/test_*.c | sed 's|tests/unit/\(.*\)\.c|\1|')
total_p=0
total_f=0
failed_stages=

stage() {
	name=$1
	shift
	echo "=== $name"
	log=$(mktemp)
	{ "$@" 2>&1; echo $? >"$log.rc"; } | tee "$log"
	rc=$(cat "$log.rc" 2>/dev/null || echo 1)
	line=$(grep -E '^[a-z0-9-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(printf '%s' "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p')
	f=$(printf '%s' "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	rm -f "$log" "$log.rc"
	if [ -z "$line" ]; then
		p=0
		f=1
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# exit status says failure even if the counts do not
	fi
	total_p=$((total_p + p))
	total_f=$((total_f + f))
	[ "$f" -ne 0 ] && failed_stages="$failed_stages $name"
	return 0
}

stage unit sh tests/run-unit.sh .build/normal/bin $names
stage unit-asan sh tests/run-unit.sh .build/asan/bin $names
for t in tests/cli/*.sh; do
	[ -f "$t" ] && stage "$(basename "$t" .sh)" sh "$t"
done
stage smoke sh tests/integration/smoke.sh
for t in tests/integration/test-*.sh; do
	[ -f "$t" ] && stage "$(basename "$t" .sh)" sh "$t"
done
[ -f tests/diff/run.sh ] && stage diff sh tests/diff/run.sh
[ -f tests/fuzz/run.sh ] && stage fuzz sh tests/fuzz/run.sh "${FUZZ_CHECK_TIME:-30}"

echo "==="
[ -n "$failed_stages" ] && echo "failed stages:$failed_stages"
echo "check: $total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]

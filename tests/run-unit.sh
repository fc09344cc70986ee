#!/bin/sh
# SPDX-License-Identifier: ISC
# Run cmocka unit test programs: run-unit.sh DIR NAME...
# Prints each program's result and a total line "unit: N passed, N failed"
# (counted in tests, from cmocka's own summary).
set -u
dir=$1
shift
passed=0
failed=0
for t in "$@"; do
	out=$("$dir/$t" 2>&1)
	rc=$?
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p')
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p')
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ $rc -ne 0 ]; then
		printf '%s\n' "$out" | grep -v '^\[       OK \]\|^\[ RUN      \]'
		# a crash before the summary still counts as a failure
		[ -z "$f" ] && failed=$((failed + 1))
		echo "FAIL $t (exit $rc)"
	else
		echo "ok   $t (${p:-0} tests)"
	fi
done
echo "unit: $passed passed, $failed failed"
[ $failed -eq 0 ]

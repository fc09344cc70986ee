#!/bin/sh
# SPDX-License-Identifier: ISC
# Run the libFuzzer targets (tests/fuzz/fuzz_NAME.c, built by `make
# fuzz-bins`: clang, ASan+UBSan) for SECONDS each (default 60), two at a
# time.  Each starts from a copy of its committed corpus
# (tests/fuzz/corpus/NAME, never written here) with its dictionary
# (tests/fuzz/NAME.dict).  The saved inputs of past findings
# (tests/fuzz/crashes/NAME-*) are replayed first: each is a regression
# test.  Ends with "fuzz: N passed, N failed" (one per target).
#
#   sh tests/fuzz/run.sh [SECONDS [NAME...]]    e.g. run.sh 20 imap smtp
set -u
cd "$(dirname "$0")/../.." || exit 1
secs=${1:-60}
[ $# -gt 0 ] && shift
out=.build/fuzz/run
# a UBSan report with its stack, as ASan gives
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export UBSAN_OPTIONS
bin=.build/fuzz/bin

if [ $# -eq 0 ]; then
	for src in tests/fuzz/fuzz_*.c; do
		n=$(basename "$src" .c)
		set -- "$@" "${n#fuzz_}"
	done
fi
mkdir -p "$out"
if ! ${MAKE:-make} -s fuzz-bins >"$out/build.log" 2>&1; then
	tail -n 20 "$out/build.log"
	echo "not ok - fuzz: build failed (clang and libclang-rt-14-dev?)"
	echo "fuzz: 0 passed, $# failed"
	exit 1
fi

# The figures of libFuzzer's last status line: "N inputs, cov: C ft: F,
# corpus K".
figures() {
	sed -n 's/^#\([0-9]*\)[[:space:]]*DONE[[:space:]]*cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/\1 inputs, cov: \2 ft: \3, corpus \4/p' "$1" |
	    tail -n 1
}

# One target; its verdict line goes to $out/NAME.result, its log to
# $out/NAME.log.
run_one() {
	name=$1
	dir=$out/$name
	res=$out/$name.result
	log=$out/$name.log
	exe=$bin/fuzz_$name
	rm -rf "$dir" "$res" "$log"
	mkdir -p "$dir/corpus"
	cp tests/fuzz/corpus/"$name"/* "$dir/corpus/" 2>/dev/null || :
	# -close_fd_mask=3: the targets' own logging (a protocol trace)
	# is dropped; sanitizer reports still reach the log.
	opts="-timeout=20 -rss_limit_mb=2048 -close_fd_mask=3"
	for c in tests/fuzz/crashes/"$name"-*; do
		[ -f "$c" ] || continue
		# shellcheck disable=SC2086
		if ! "$exe" $opts "$c" >"$dir/replay.log" 2>&1; then
			echo "not ok - fuzz_$name: $c fails again" \
			    "(see $dir/replay.log)" >"$res"
			return
		fi
	done
	maxlen=16384
	[ "$name" = parse ] && maxlen=65536
	dict=
	[ -f "tests/fuzz/$name.dict" ] && dict=-dict=tests/fuzz/$name.dict
	# shellcheck disable=SC2086
	if "$exe" $opts $dict -max_total_time="$secs" -max_len="$maxlen" \
	    -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" \
	    >"$log" 2>&1; then
		echo "ok - fuzz_$name: $(figures "$log") in ${secs}s," \
		    "no crash" >"$res"
	else
		echo "not ok - fuzz_$name: crash, leak or timeout: input" \
		    "$(find "$dir" -maxdepth 1 -name 'crash-*' -o -name \
		    'leak-*' -o -name 'timeout-*' -o -name 'oom-*' |
		    head -n 1), log $log" >"$res"
	fi
}

# Two at a time: the machine's two cores, one target each.
for name in "$@"; do
	run_one "$name" &
	running=$((${running:-0} + 1))
	if [ "$running" -eq 2 ]; then
		wait
		running=0
	fi
done
wait

passed=0
failed=0
for name in "$@"; do
	if [ -f "$out/$name.result" ]; then
		line=$(cat "$out/$name.result")
	else
		line="not ok - fuzz_$name: no result"
	fi
	case $line in
	ok*)	passed=$((passed + 1)) ;;
	*)	failed=$((failed + 1))
		[ -f "$out/$name.log" ] && tail -n 30 "$out/$name.log" ;;
	esac
	echo "$line"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

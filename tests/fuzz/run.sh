#!/bin/sh
# Build the libFuzzer targets with clang (ASan+UBSan) and run each for
# SECONDS (default 60), seeded with the sample messages.  Ends with
# "fuzz: N passed, N failed" (one per target).
set -u
cd "$(dirname "$0")/../.."
secs=${1:-60}
out=.build/fuzz
mkdir -p "$out"
passed=0
failed=0
flags="-std=c11 -g -O1 -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=all -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I."
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	# shellcheck disable=SC2086
	if ! clang $flags -o "$out/$name" "$src" mime/*.c; then
		echo "not ok - $name: build failed (clang and libclang-rt-14-dev?)"
		failed=$((failed + 1))
		continue
	fi
	corpus="$out/$name-corpus"
	mkdir -p "$corpus"
	cp etc/samples/*.eml "$corpus/" 2>/dev/null || :
	if "$out/$name" -max_total_time="$secs" -max_len=65536 -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$out/$name-" "$corpus" >"$out/$name.log" 2>&1
	then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		    "$out/$name.log")
		echo "ok - $name: ${runs:-?} inputs in ${secs}s, no crash"
		passed=$((passed + 1))
	else
		tail -n 40 "$out/$name.log"
		echo "not ok - $name: crash, leak or timeout (see $out/$name.log)"
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]

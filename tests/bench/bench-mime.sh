#!/bin/sh
# SPDX-License-Identifier: ISC
# bench-mime.sh - mailsift's MIME parser against GMime 3, both measured in
# the same run on the same files (`make bench-mime`, after `make all`).
#
# Figures: seconds, MB/s, messages/s and peak RSS on the generated corpus
# (~2000 messages, ~400 MB) and on its messages under 50 KB; peak RSS
# for one message with a 50 MB attachment; time for a 2000-deep nested
# multipart (and whether mailsift reports its depth limit); instructions
# per byte under callgrind on a ~20 MB subset.  mailsift runs as
# `mailsift parse --json FILE...` and GMime as tests/bench/gmime-parse.c
# (the same parse, envelope and leaf decoding), both fed by xargs in
# batches of 1000 files, output to /dev/null.
#
# Never fails on timing.  Exit status 1 only if a program fails or the
# depth-limit defect is missing.
#
# Environment: SEED (corpus seed, 7), COUNT (messages, 2000), RUNS (timed
# runs per figure, the median is shown, 3), CALLGRIND_MB (subset size, 20;
# 0 skips callgrind).
set -eu
cd "$(dirname "$0")/../.."

SEED=${SEED:-7}
COUNT=${COUNT:-2000}
RUNS=${RUNS:-3}
CALLGRIND_MB=${CALLGRIND_MB:-20}
B=.build/bench
CORPUS=.build/corpus-$SEED
MAILSIFT=./mailsift
GMIME=$B/gmime-parse
status=0

sh contrib/install-deps.sh bench
if [ ! -x "$MAILSIFT" ]; then
	echo "bench-mime: $MAILSIFT is missing: run make first" >&2
	exit 1
fi
mkdir -p "$B"
if [ ! "$GMIME" -nt tests/bench/gmime-parse.c ]; then
	# shellcheck disable=SC2046
	cc -std=c11 -O2 -g -Wall -Wextra -Werror -o "$GMIME" \
	    tests/bench/gmime-parse.c $(pkg-config --cflags --libs gmime-3.0)
fi

# The corpus is cached; a new seed, count or generator makes a new one.
stamp="$SEED $COUNT $(sha256sum tests/corpus/gen-corpus.py | cut -c1-16)"
if [ "$(cat "$CORPUS/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
	rm -rf "$CORPUS"
	t0=$(date +%s)
	python3 tests/corpus/gen-corpus.py --seed "$SEED" --count "$COUNT" \
	    "$CORPUS"
	echo "bench-mime: corpus generated in $(( $(date +%s) - t0 )) s"
	echo "$stamp" >"$CORPUS/.stamp"
fi
[ -f "$B/big.eml" ] ||
	python3 tests/corpus/gen-edge.py big --mb 50 --seed "$SEED" "$B/big.eml"
[ -f "$B/deep.eml" ] ||
	python3 tests/corpus/gen-edge.py deep --depth 2000 "$B/deep.eml"

find "$CORPUS" -name '*.eml' | sort >"$B/all.list"
sed "s|^|$CORPUS/|" "$CORPUS/small.txt" >"$B/small.list"

# bytes LIST: total size of the files (reading them also warms the cache).
bytes() {
	xargs -d '\n' cat <"$1" | wc -c
}

# measure LIST PROG...: sets sec (median wall seconds) and rss (median
# peak RSS, KB) of RUNS runs of PROG over the files of LIST.
measure() {
	list=$1
	shift
	: >"$B/runs"
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		t0=$(date +%s%N)
		if ! /usr/bin/time -o "$B/time1" -f '%M' xargs -d '\n' \
		    -n 1000 "$@" <"$list" >/dev/null 2>"$B/err"; then
			echo "bench-mime: $* failed on $list:" >&2
			tail -n 5 "$B/err" >&2
			status=1
		fi
		t1=$(date +%s%N)
		echo "$((t1 - t0)) $(tail -n 1 "$B/time1")" >>"$B/runs"
		i=$((i + 1))
	done
	mid=$(( (RUNS + 1) / 2 ))
	ns=$(cut -d' ' -f1 "$B/runs" | sort -n | sed -n "${mid}p")
	rss=$(cut -d' ' -f2 "$B/runs" | sort -n | sed -n "${mid}p")
	sec=$(awk -v ns="$ns" 'BEGIN { printf "%.3f", ns / 1e9 }')
}

# row NAME FILES BYTES: one program's line of the table.
row() {
	awk -v n="$1" -v f="$2" -v b="$3" -v s="$sec" -v r="$rss" 'BEGIN {
		printf "  %-9s %8.3f %9.1f %10.0f %10.1f\n", n, s,
		    b / 1048576 / s, f / s, r / 1024 }'
}

# table TITLE LIST: both programs on LIST, and the ratios.
table() {
	files=$(wc -l <"$2")
	size=$(bytes "$2")
	echo
	awk -v t="$1" -v f="$files" -v b="$size" 'BEGIN {
		printf "%s: %d messages, %.1f MB\n", t, f, b / 1048576 }'
	echo "  program    seconds      MB/s     msgs/s  peak RSS MB"
	measure "$2" "$MAILSIFT" parse --json
	ms_sec=$sec
	ms_rss=$rss
	row mailsift "$files" "$size"
	measure "$2" "$GMIME"
	row "GMime 3" "$files" "$size"
	awk -v a="$ms_sec" -v b="$sec" -v ra="$ms_rss" -v rb="$rss" 'BEGIN {
		printf "  mailsift/GMime: time %.3f (%.2fx the speed), " \
		    "peak RSS %.2f\n", a / b, b / a, ra / rb }'
}

echo "bench-mime: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 |
    sed 's/^ *//'), $(nproc) cores; GMime $(pkg-config --modversion \
    gmime-3.0); seed $SEED; median of $RUNS runs"

table "full corpus" "$B/all.list"
table "small messages (< 50 KB)" "$B/small.list"

# The same work?  Leaves and decoded bytes as each program counts them.
ms_work=$(xargs -d '\n' -n 1000 "$MAILSIFT" parse --json <"$B/all.list" |
    python3 -c 'import json, sys
n = d = 0
for line in sys.stdin:
    o = json.loads(line)
    n += len(o["parts"])
    d += sum(p["size"] for p in o["parts"])
print(n, d)')
gm_work=$(xargs -d '\n' -n 1000 "$GMIME" <"$B/all.list" |
    awk '{ n += $6; d += $8 } END { print n, d }')
echo
echo "work on the full corpus (leaves, decoded bytes): mailsift $ms_work," \
    "GMime $gm_work"

echo
echo "$B/big.eml" >"$B/big.list"
big=$(bytes "$B/big.list")
awk -v b="$big" 'BEGIN {
	printf "one message with a 50 MB attachment (%.1f MB file):\n",
	    b / 1048576 }'
# big_row NAME: the line for the last measure of big.eml.
big_row() {
	awk -v n="$1" -v s="$sec" -v r="$rss" -v b="$big" 'BEGIN {
		printf "  %-9s %.3f s, peak RSS %.1f MB = %.2f x file size\n",
		    n, s, r / 1024, r * 1024 / b }'
}
measure "$B/big.list" "$MAILSIFT" parse --json
big_row mailsift
measure "$B/big.list" "$GMIME"
big_row "GMime 3"

echo
echo "$B/deep.eml" >"$B/deep.list"
echo "multipart nested 2000 deep:"
measure "$B/deep.list" "$MAILSIFT" parse --json
if "$MAILSIFT" parse --json "$B/deep.eml" | grep -q '"code":"depth-limit"'
then
	limit="reports depth-limit"
else
	limit="MISSING the depth-limit defect"
	status=1
fi
echo "  mailsift  $sec s, $limit"
measure "$B/deep.list" "$GMIME"
echo "  GMime 3   $sec s, $("$GMIME" "$B/deep.eml" |
    awk '{ print $6 }') leaves found"

# callgrind NAME PROG...: sets ir, the instructions PROG executes on the
# files of cg.list (summed over the xargs batches).
callgrind() {
	name=$1
	shift
	xargs -d '\n' -n 1000 valgrind --tool=callgrind \
	    --callgrind-out-file=/dev/null "$@" <"$B/cg.list" \
	    >/dev/null 2>"$B/cg.err" || status=1
	ir=$(grep -o 'Collected : [0-9]*' "$B/cg.err" |
	    awk '{ s += $3 } END { print s + 0 }')
	awk -v n="$name" -v ir="$ir" -v b="$cg" 'BEGIN {
		printf "  %-9s %14.0f instructions, %.2f per byte\n", n, ir,
		    ir / b }'
}

if [ "$CALLGRIND_MB" -gt 0 ]; then
	# The first files in name order up to CALLGRIND_MB: the same mix.
	xargs -d '\n' stat -c '%s %n' <"$B/all.list" |
	    awk -v lim="$((CALLGRIND_MB * 1048576))" \
	    'sum < lim { sum += $1; print $2 }' >"$B/cg.list"
	cg=$(bytes "$B/cg.list")
	echo
	awk -v b="$cg" -v f="$(wc -l <"$B/cg.list")" 'BEGIN {
		printf "callgrind, %d messages, %.1f MB:\n", f, b / 1048576 }'
	callgrind mailsift "$MAILSIFT" parse --json
	ir_ms=$ir
	callgrind "GMime 3" "$GMIME"
	awk -v a="$ir_ms" -v b="$ir" 'BEGIN {
		if (b > 0) printf "  mailsift/GMime instructions: %.3f\n", a / b }'
fi

[ "$status" -eq 0 ] || echo "bench-mime: some runs failed (see above)" >&2
exit "$status"

#!/bin/sh
# SPDX-License-Identifier: ISC
# bench-rules.sh - the rule engine's speed (`make bench-rules`, after
# `make all`): tests/bench/rules-100.yaml (100 rules: 25 each of header,
# address, body and attachment regexes, no stop) on the small messages
# (< 50 KB) of the generated corpus, each message parsed and evaluated as
# the daemon does, from memory, on one core (tests/bench/bench-rules.c).
#
# Figures: messages/s, µs per message (parsing included), µs of parsing
# alone, µs per message per rule; with JIT and without (a run-time
# switch, RULE_LOAD_NO_JIT); and with JIT and the charset converters of
# glibc held loaded (see bench-rules.c -P), which is how mailsift runs:
# daemon/util/charsets.c holds them from start.  The target is 20,000
# messages/s with JIT, judged on that last row.  Never fails on timing: exit status 1 only if a
# program fails.
#
# Environment: SEED (corpus seed, 7), COUNT (messages generated, 2000;
# the corpus is shared with bench-mime), SECONDS_PER_RUN (CPU seconds of
# timed passes per figure, 3).
set -eu
cd "$(dirname "$0")/../.."

SEED=${SEED:-7}
COUNT=${COUNT:-2000}
SECS=${SECONDS_PER_RUN:-3}
B=.build/bench
CORPUS=.build/corpus-$SEED
LIBS=".build/normal/librules.a .build/normal/libmime.a"
PROG=$B/bench-rules
RULES=tests/bench/rules-100.yaml
TARGET=20000

for f in $LIBS; do
	if [ ! -f "$f" ]; then
		echo "bench-rules: $f is missing: run make first" >&2
		exit 1
	fi
done
mkdir -p "$B"
if [ ! "$PROG" -nt tests/bench/bench-rules.c ] ||
    [ ! "$PROG" -nt .build/normal/librules.a ] ||
    [ ! "$PROG" -nt .build/normal/libmime.a ]; then
	# shellcheck disable=SC2046,SC2086
	cc -std=c11 -O2 -g -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
	    -D_DEFAULT_SOURCE -I. -o "$PROG" tests/bench/bench-rules.c \
	    $LIBS $(pkg-config --libs libpcre2-8 yaml-0.1)
fi

# The corpus is cached, as by bench-mime.sh (same directory and stamp).
stamp="$SEED $COUNT $(sha256sum tests/corpus/gen-corpus.py | cut -c1-16)"
if [ "$(cat "$CORPUS/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
	rm -rf "$CORPUS"
	t0=$(date +%s)
	python3 tests/corpus/gen-corpus.py --seed "$SEED" --count "$COUNT" \
	    "$CORPUS"
	echo "bench-rules: corpus generated in $(( $(date +%s) - t0 )) s"
	echo "$stamp" >"$CORPUS/.stamp"
fi
sed "s|^|$CORPUS/|" "$CORPUS/small.txt" >"$B/rules-small.list"
files=$(wc -l <"$B/rules-small.list")
bytes=$(xargs -d '\n' cat <"$B/rules-small.list" | wc -c)

echo "bench-rules: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 |
    sed 's/^ *//'), $(nproc) cores; PCRE2 $(pkg-config --modversion \
    libpcre2-8); seed $SEED; $SECS CPU seconds per figure"
awk -v f="$files" -v b="$bytes" 'BEGIN {
	printf "%d small messages (< 50 KB), %.1f MB; %s\n", f, b / 1048576,
	    "tests/bench/rules-100.yaml (100 rules)" }'
echo
echo "  run                      msgs/s   µs/msg  parse µs/msg  µs/msg/rule"

status=0
# row NAME ARGS...: one line of the table from one bench-rules run.
row() {
	name=$1
	shift
	if ! out=$("$PROG" -s "$SECS" "$@" "$RULES" "$B/rules-small.list"); then
		echo "bench-rules: $PROG $* failed" >&2
		status=1
		return
	fi
	echo "$out" | awk -v n="$name" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "  %-22s %8.0f %8.2f %13.2f %12.4f\n", n, v["msgs_per_s"],
		    v["total_us"], v["parse_us"], v["rules_us_per_msg_rule"]
	}'
	last=$out
}

row "JIT"
jit=$(echo "$last" | sed -n 's/.*msgs_per_s=\([0-9]*\).*/\1/p')
jit_on=$(echo "$last" | sed -n 's/^jit=\([01]\).*/\1/p')
row "no JIT" -J
row "JIT, charsets loaded (as mailsift runs)" -P
jit=$(echo "$last" | sed -n 's/.*msgs_per_s=\([0-9]*\).*/\1/p')
echo
echo "$last" | sed -n 's/.*matched=\([0-9]*\) actions=\([0-9]*\).*/  work per pass: \1 rule matches, \2 actions planned/p'
if [ "${jit_on:-0}" != 1 ]; then
	echo "  note: this PCRE2 has no JIT; the JIT rows ran interpreted"
fi
if [ -n "${jit:-}" ]; then
	awk -v j="$jit" -v t="$TARGET" 'BEGIN {
		verdict = "NOT met"
		if (j + 0 >= t + 0)
			verdict = "met"
		printf "  target: %d msgs/s with JIT on one core, as mailsift runs: %s (%.0f%%)\n",
		    t, verdict, 100 * j / t }'
fi
exit "$status"

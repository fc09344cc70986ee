#!/bin/sh
# SPDX-License-Identifier: ISC
# A long fuzz campaign: the targets one after the other, each SECONDS
# (default 1800) on one core (-jobs=1 -workers=1), niced, so it can run
# in the background while the machine is used.  Binaries and
# dictionaries are copied into DIR first (a rebuild does not disturb a
# running campaign).  Each target's corpus is DIR/NAME, seeded from
# tests/fuzz/corpus/NAME the first time and resumed from after that, so
# a campaign can be spread over days.  Logs: DIR/NAME.log (libFuzzer's,
# with -print_final_stats=1); findings in DIR/artifacts/NAME/.  A crash
# ends a run early: the target is started again for the rest of its
# time, at most 5 times.  Then merge back and commit:
#   make fuzz-merge FUZZ_FROM=DIR
#
#   nohup sh tests/fuzz/campaign.sh DIR [SECONDS [NAME...]] &
set -u
cd "$(dirname "$0")/../.." || exit 1
src=$(pwd)
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export UBSAN_OPTIONS
if [ $# -lt 1 ]; then
	echo "usage: campaign.sh DIR [SECONDS [NAME...]]" >&2
	exit 2
fi
c=$1
secs=${2:-1800}
shift
[ $# -gt 0 ] && shift
[ $# -eq 0 ] && set -- imap pop3 smtp conf rules eval parse
${MAKE:-make} -s fuzz-bins >/dev/null || exit 1
mkdir -p "$c/bin"
cp .build/fuzz/bin/fuzz_* "$c/bin/"
cp tests/fuzz/*.dict "$c/"
git rev-parse HEAD >"$c/COMMIT" 2>/dev/null || :
for t in "$@"; do
	mkdir -p "$c/$t" "$c/artifacts/$t" "$c/work/$t"
	if [ -z "$(ls -A "$c/$t")" ]; then
		cp "$src/tests/fuzz/corpus/$t/"* "$c/$t/"
	fi
	dict=
	[ -f "$c/$t.dict" ] && dict=-dict=$c/$t.dict
	maxlen=16384
	[ "$t" = parse ] && maxlen=65536
	start=$(date +%s)
	tries=0
	echo "=== $t start $(date -u +%FT%TZ)" >>"$c/$t.log"
	while :; do
		left=$((secs - ($(date +%s) - start)))
		if [ "$left" -le 10 ] || [ "$tries" -ge 5 ]; then
			break
		fi
		tries=$((tries + 1))
		# -jobs=1 writes the run's output to fuzz-0.log in the cwd
		# shellcheck disable=SC2086
		(cd "$c/work/$t" && rm -f fuzz-0.log &&
		    nice -n 10 "$c/bin/fuzz_$t" -jobs=1 -workers=1 \
		    -max_total_time="$left" -max_len="$maxlen" -timeout=20 \
		    -rss_limit_mb=2048 -close_fd_mask=3 -print_final_stats=1 \
		    -artifact_prefix="$c/artifacts/$t/" $dict "$c/$t" \
		    >/dev/null 2>&1
		    echo "exit $?" >>fuzz-0.log
		    cat fuzz-0.log >>"$c/$t.log")
	done
	echo "=== $t end $(date -u +%FT%TZ) runs $tries" >>"$c/$t.log"
done
echo "campaign done $(date -u +%FT%TZ)"

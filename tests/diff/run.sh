#!/bin/sh
# SPDX-License-Identifier: ISC
# run.sh - the differential test as `make check` runs it: a seeded corpus
# of 300 messages (attachments up to 64 KB) in a temporary directory,
# ./mailsift parse --json --hash against Python's email package and the
# generator's truth (diff-python.py), then clean up.  First checks that
# the generator is deterministic: the same seed twice gives the same
# bytes, or nothing else here could be trusted.
# Ends with "diff: N passed, N failed".
#
# Environment: DIFF_SEED (default 11), DIFF_COUNT (default 300).
set -eu
cd "$(dirname "$0")/../.."

SEED=${DIFF_SEED:-11}
COUNT=${DIFF_COUNT:-300}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ ! -x ./mailsift ]; then
	echo "diff: ./mailsift is missing: run make first" >&2
	echo "diff: 0 passed, 1 failed"
	exit 1
fi

gen() {
	python3 tests/corpus/gen-corpus.py --seed "$SEED" --count "$1" \
	    --max-attachment-kb 64 "$2" 2>/dev/null
}
gen 40 "$tmp/a"
gen 40 "$tmp/b"
if ! diff -r "$tmp/a" "$tmp/b" >/dev/null; then
	echo "diff: gen-corpus.py gave different output for the same seed" >&2
	echo "diff: 0 passed, 1 failed"
	exit 1
fi
rm -rf "$tmp/a" "$tmp/b"

gen "$COUNT" "$tmp/corpus"
# Not exec: the trap must still remove the corpus.
rc=0
python3 tests/diff/diff-python.py "$tmp/corpus" || rc=$?
exit "$rc"

#!/bin/sh
# SPDX-License-Identifier: ISC
# Merge a campaign's corpora (FROM/NAME, e.g. /work/fuzz-campaign/imap)
# into the committed ones (tests/fuzz/corpus/NAME), minimized with
# libFuzzer's -merge=1: only inputs that add coverage are kept.  Edges
# count, not their hit counts (-use_counters=0): that keeps the corpus
# at hundreds of files, not thousands; the campaign's own corpus keeps
# the rest.  Run by
# `make fuzz-merge FUZZ_FROM=DIR [FUZZ_TARGETS="imap smtp"]`; commit the
# result.  Warns when a corpus grows past 500 files or 2 MB.
#
#   sh tests/fuzz/merge.sh FROM [NAME...]
set -u
cd "$(dirname "$0")/../.." || exit 1
if [ $# -lt 1 ]; then
	echo "usage: merge.sh FROM [NAME...]" >&2
	exit 2
fi
from=$1
shift
if [ $# -eq 0 ]; then
	for src in tests/fuzz/fuzz_*.c; do
		n=$(basename "$src" .c)
		set -- "$@" "${n#fuzz_}"
	done
fi
tmp=.build/fuzz/merge
rc=0
for name in "$@"; do
	corpus=tests/fuzz/corpus/$name
	mkdir -p "$corpus"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	extra=
	[ -d "$from/$name" ] && extra=$from/$name
	# shellcheck disable=SC2086
	if ! .build/fuzz/bin/fuzz_"$name" -merge=1 -use_counters=0 -max_len=1048576 \
	    -timeout=20 -rss_limit_mb=2048 -close_fd_mask=3 "$tmp" "$corpus" \
	    $extra >.build/fuzz/merge-"$name".log 2>&1; then
		echo "$name: merge failed, see .build/fuzz/merge-$name.log"
		rc=1
		continue
	fi
	rm -f "$corpus"/*
	cp "$tmp"/* "$corpus"/ 2>/dev/null || :
	files=$(find "$corpus" -type f | wc -l)
	kb=$(($(cat "$corpus"/* 2>/dev/null | wc -c) / 1024))
	echo "$name: $files files, ${kb} KB"
	if [ "$files" -gt 500 ] || [ "$kb" -gt 2048 ]; then
		echo "$name: warning: over 500 files or 2 MB"
	fi
done
exit $rc

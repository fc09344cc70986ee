#!/bin/sh
# SPDX-License-Identifier: ISC
# bench-compress.sh - IMAP COMPRESS=DEFLATE (compress = yes) against
# compress = no, on the corpus of bench-fetch.sh (`make bench-compress`,
# after `make all`; needs root).  mailsift fetches user1's INBOX (COUNT
# messages, ~SIZE_MB MiB) over IMAPS from the private Dovecot (imap_zlib
# on), through a loopback relay (countproxy.py) that counts the bytes as
# they cross the socket - TLS records and all, compressed inside them.
#
# Prints per mode the medians over RUNS runs (alternating off/on, each
# into an empty Maildir): bytes from the server and to it on the wire,
# wall seconds, mailsift's CPU seconds (user + system, GNU time) and the
# server's (Dovecot's imap and imap-login processes, read as the master's
# reaped children's CPU in /proc), then the ratios on/off.  Every run
# must deliver COUNT messages, and the "on" runs exactly the bytes of
# the "off" ones (exit 1 otherwise); timings never fail it.  Loopback
# has no bandwidth limit, so wall time here shows CPU cost, not what a
# slow link gains: there, time follows the bytes.
#
# Environment: SEED (11), COUNT (2000), SIZE_MB (95) - the corpus of
# bench-fetch.sh, shared with it - RUNS (3), RUN_TIMEOUT (300).
set -eu
cd "$(dirname "$0")/../.."

SEED=${SEED:-11}
COUNT=${COUNT:-2000}
SIZE_MB=${SIZE_MB:-95}
RUNS=${RUNS:-3}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
RUN_UID=65534
RUN_GID=65534
CORPUS=.build/corpus-fetch-$SEED
MAILSIFT=$(pwd)/mailsift
HOST=localhost
status=0

die() { echo "bench-compress: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (the servers and setpriv need it)"
sh contrib/install-deps-servers.sh
sh contrib/install-deps-bench.sh
[ -x "$MAILSIFT" ] || die "$MAILSIFT is missing: run make first"

# The corpus of bench-fetch.sh (same cache, same stamp).
stamp="$SEED $COUNT $SIZE_MB $(sha256sum tests/corpus/gen-corpus.py | cut -c1-16)"
if [ "$(cat "$CORPUS/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
	rm -rf "$CORPUS"
	python3 tests/corpus/gen-corpus.py --seed "$SEED" --count "$COUNT" \
	    --size-mb "$SIZE_MB" --max-attachment-kb 3700 "$CORPUS"
	echo "$stamp" >"$CORPUS/.stamp"
fi

D=$(mktemp -d /tmp/msxbc.XXXXXX)
proxy=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
	[ -n "$proxy" ] && kill "$proxy" 2>/dev/null
	sh tests/integration/servers.sh stop "$D" >/dev/null 2>&1 || true
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
sh tests/integration/servers.sh start "$D"
eval "$(sh tests/integration/servers.sh env "$D")"
W=$D/w
mkdir -p "$W"

# user1's INBOX, written as bench-fetch.sh does (LF line ends, real size).
find "$CORPUS" -name '*.eml' | sort >"$W/all.list"
[ "$(wc -l <"$W/all.list")" -eq "$COUNT" ] || die "$CORPUS: not $COUNT messages"
python3 - "$D/mail/user1/Maildir" "$W/all.list" <<-'PY'
import os, sys
md, listfile = sys.argv[1], sys.argv[2]
with open(listfile) as f:
    paths = f.read().split("\n")
for i, path in enumerate(p for p in paths if p):
    with open(path, "rb") as f:
        data = f.read().replace(b"\r\n", b"\n")
    name = "1700000000.M%dP%d.bench,S=%d:2," % (i, os.getpid(), len(data))
    tmp = os.path.join(md, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    os.chown(tmp, 8, 8)
    os.rename(tmp, os.path.join(md, "cur", name))
PY
doveadm -c "$MSX_DOVECOT_CONF" force-resync -u user1 INBOX
n=$(doveadm -c "$MSX_DOVECOT_CONF" -f flow mailbox status -u user1 \
    messages INBOX | sed 's/.*messages=//')
[ "$n" -eq "$COUNT" ] || die "user1: $n messages in INBOX after load"

: >"$W/counts"
python3 tests/bench/countproxy.py "$MSX_IMAPS_PORT" "$W/counts" \
    >"$W/proxy.port" 2>"$W/proxy.err" &
proxy=$!
i=0
while [ ! -s "$W/proxy.port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
PORT=$(cat "$W/proxy.port")
[ -n "$PORT" ] || die "the counting relay did not start: $(cat "$W/proxy.err")"

MASTER=$(cat "$D/run/master.pid")
TCK=$(getconf CLK_TCK)
# CPU seconds of Dovecot's reaped children (imap, imap-login) so far:
# fields 16 and 17 of stat, counted after the ") " that ends the name.
server_cpu() {
	sed 's/.*) //' "/proc/$MASTER/stat" |
	    awk -v t="$TCK" '{ printf "%.2f\n", ($14 + $15) / t }'
}
# Wait until the session's imap and imap-login are gone (and reaped).
server_idle() {
	i=0
	while [ $i -lt 100 ]; do
		pgrep -P "$MASTER" '^imap' >/dev/null 2>&1 || return 0
		sleep 0.1
		i=$((i + 1))
	done
}

seq=0
run() {	# MODE: one fetch; appends "MODE from to wall cpu srv" to results
	mode=$1
	seq=$((seq + 1))
	R=$W/run$seq-$mode
	mkdir -p "$R/home" "$R/md/tmp" "$R/md/new" "$R/md/cur"
	z=no
	[ "$mode" = on ] && z=yes
	cat >"$R/mailsift.conf" <<-CONF
	state = "$R/state.db"
	log = stderr
	log-level = info
	parallel = 1
	account "bench" {
		type = imap
		host = "$HOST"
		port = $PORT
		tls = implicit
		tls-ca-file = "$MSX_CA"
		user = "user1"
		password = '$MSX_USER1_PASS'
		keep = true
		compress = $z
		deliver = "maildir:$R/md"
	}
	CONF
	chmod 600 "$R/mailsift.conf"
	chown -R "$RUN_UID:$RUN_GID" "$R"
	doveadm -c "$MSX_DOVECOT_CONF" flags remove -u user1 '\Seen' \
	    mailbox INBOX ALL </dev/null
	sync
	server_idle
	lines=$(wc -l <"$W/counts")
	s0=$(server_cpu)
	t0=$(date +%s%N)
	rc=0
	# -v: debug, for the layer's own count at the end of the session
	/usr/bin/time -o "$R/time" -f '%U %S' timeout -k 5 "$RUN_TIMEOUT" \
	    setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --clear-groups \
	    env -i PATH=/usr/bin:/bin HOME="$R/home" LANG=C.UTF-8 \
	    "$MAILSIFT" run -c "$R/mailsift.conf" --once -v \
	    </dev/null >"$R/out" 2>&1 || rc=$?
	t1=$(date +%s%N)
	server_idle
	i=0
	while [ "$(wc -l <"$W/counts")" -le "$lines" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	s1=$(server_cpu)
	kill -0 "$proxy" 2>/dev/null ||
	    die "the counting relay died: $(cat "$W/proxy.err")"
	[ "$(wc -l <"$W/counts")" -gt "$lines" ] ||
	    die "the counting relay counted no session in run $seq"
	got=$(find "$R/md/new" "$R/md/cur" -type f | wc -l)
	if [ "$rc" -ne 0 ] || [ "$got" -ne "$COUNT" ]; then
		echo "bench-compress: $mode run $seq: exit $rc, $got of $COUNT" \
		    "delivered" >&2
		tail -n 20 "$R/out" | sed 's/^/  /' >&2
		status=1
	fi
	if [ "$mode" = on ] && ! grep -q 'compressed session' "$R/out"; then
		echo "bench-compress: run $seq: the session was not compressed" >&2
		status=1
	fi
	# The delivered bytes as one digest (file names differ by run).
	find "$R/md/new" "$R/md/cur" -type f -exec sha256sum {} + |
	    cut -c1-64 | sort | sha256sum | cut -c1-64 >"$W/digest-$seq"
	cpu=$(awk 'END { print $1 + $2 }' "$R/time")
	tail -n 1 "$W/counts" | awk -v m="$mode" -v w="$(((t1 - t0) / 1000000))" \
	    -v c="$cpu" -v s0="$s0" -v s1="$s1" '{ printf "%s %d %d %.3f %.2f %.2f\n",
	    m, $2, $1, w / 1000, c, s1 - s0 }' >>"$W/results"
	tail -n 1 "$W/results" | awk '{ printf "  %-3s from server %10d B, to " \
	    "server %8d B, %6.2f s, mailsift CPU %5.2f s, Dovecot CPU %5.2f s\n",
	    $1, $2, $3, $4, $5, $6 }'
	grep -h 'compressed session' "$R/out" | sed 's/^.*bench/  mailsift: bench/' || true
	# The next run writes 2000 files: not right after deleting these
	# (see discard_run in bench-fetch.sh); they go at the end.
}

echo "bench-compress: $COUNT messages, $(du -sk "$D/mail/user1/Maildir/cur" |
    cut -f1) KB in the Maildir; $RUNS runs per mode; IMAPS via a counting relay"
r=1
while [ "$r" -le "$RUNS" ]; do
	run off
	run on
	r=$((r + 1))
done

if [ "$(sort -u "$W"/digest-* | wc -l)" -ne 1 ]; then
	echo "bench-compress: compress = yes delivered other bytes than" \
	    "compress = no" >&2
	status=1
else
	echo "bench-compress: every run delivered the same $COUNT messages," \
	    "byte for byte"
fi

# Medians per mode, then on/off.
awk '
function median(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	k = $1; n[k]++
	for (f = 2; f <= 6; f++) v[k, f, n[k]] = $f
}
END {
	split("from-server to-server wall mailsift-CPU Dovecot-CPU", name, " ")
	for (k in n)
		for (f = 2; f <= 6; f++) {
			for (i = 1; i <= n[k]; i++) a[i] = v[k, f, i]
			m[k, f] = median(a, n[k])
		}
	printf "bench-compress: medians   compress = no    compress = yes   on/off\n"
	for (f = 2; f <= 6; f++) {
		r = m["off", f] != 0 ? m["on", f] / m["off", f] : 0
		if (f <= 3)
			printf("  %-13s %13d B %14d B   %6.3f\n", name[f - 1],
			    m["off", f], m["on", f], r)
		else
			printf("  %-13s %13.2f s %14.2f s   %6.3f\n", name[f - 1],
			    m["off", f], m["on", f], r)
	}
}' "$W/results"
exit "$status"

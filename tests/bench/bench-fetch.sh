#!/bin/sh
# SPDX-License-Identifier: ISC
# bench-fetch.sh - mailsift fetching over IMAP and POP3 against fdm,
# fetchmail, getmail6, mpop, mbsync and a raw pipelined client (the
# ceiling), all measured in the same run against the same private Dovecot
# (`make bench-fetch`, after `make all`).  Needs root.
#
# Two more columns deliver to the server instead of a Maildir: POP3 ->
# IMAP APPEND into user5's mailbox (mailsift-append vs fdm-append, fdm's
# imap action; both over IMAPS) and IMAP -> LMTP for user5 through
# Dovecot's LMTP socket (mailsift-lmtp vs getmail-lmtp, getmail6's
# MDA_lmtp; fdm has no LMTP).  Each run delivers into a new folder of
# user5's (LMTP: user5+runN, with Dovecot's lmtp_save_to_detail_mailbox),
# counted there; nothing is deleted between runs, as for the Maildirs
# (see discard_run).  Their times include Dovecot's storing of the mail.
#
# A seeded corpus (COUNT messages, ~SIZE_MB MiB, 1 KB texts to ~4.5 MB
# attachments) is written straight into user1's Maildir; user2 gets SMALL
# of them, the largest included, to show whether mailsift's memory grows
# with the number of messages.  Each client then fetches all of INBOX into
# an empty Maildir, keeping mail on the server, over IMAP and POP3, with
# STARTTLS and with implicit TLS where it can.  Every client trusts the
# test CA only and checks the server name; before timing, each is shown
# to refuse a certificate from another CA (and, on IMAPS, one for another
# name).  Each timed run starts from an empty Maildir and no client state,
# with \Seen cleared on the server, after a `sync`.  Runs go round-robin
# over the clients, RUNS rounds; the median is shown.
#
# Prints per client: messages delivered, seconds, CPU seconds, MiB/s and
# messages/s (of the mailbox as served, CRLF), peak RSS (GNU time, over
# the client's whole process tree), then mailsift's ratios to mbsync, mpop
# and the raw fetch, and the issue's targets.  A client that delivered
# fewer messages is shown as such and left out of the ratios.
# getmail6 has no STARTTLS, so it runs with implicit TLS only; fdm has no
# CA-file option and gets the test CA through SSL_CERT_FILE.  Takes about
# 15 minutes (much longer when the disk cannot keep every run: see
# discard_run).  Five rounds, because single runs on a shared 2-core VM
# vary by +-20%.  Timings never fail the run: exit 1 only if mailsift or
# the raw client fails or misses messages, or a client accepts a
# certificate it should refuse.  Logs of failed runs are kept in
# .build/bench/fetch-logs/.
#
# Environment: SEED (corpus seed, 11), COUNT (2000), SMALL (500), SIZE_MB
# (95), RUNS (5), SLOW_RUNS (rounds getmail6 and fdm-append take part in,
# 1: they take ~40 s and ~200 s a run), CLIENTS (subset of "raw mailsift mbsync mpop fdm
# fetchmail getmail mailsift-append fdm-append mailsift-lmtp
# getmail-lmtp"), RUN_TIMEOUT (seconds per run, 300), MSX_*_PORT
# (the servers' ports; free ones are picked by default).
set -eu
cd "$(dirname "$0")/../.."

SEED=${SEED:-11}
COUNT=${COUNT:-2000}
SMALL=${SMALL:-500}
SIZE_MB=${SIZE_MB:-95}
RUNS=${RUNS:-5}
SLOW_RUNS=${SLOW_RUNS:-1}
CLIENTS=${CLIENTS:-raw mailsift mbsync mpop fdm fetchmail getmail mailsift-append fdm-append mailsift-lmtp getmail-lmtp}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
# Clients run as nobody, as mail fetchers run as a user: getmail6
# refuses to deliver as root and fetchmail warns about it.
RUN_UID=65534
RUN_GID=65534

B=.build/bench
LOGS=$B/fetch-logs
CORPUS=.build/corpus-fetch-$SEED
MAILSIFT=$(pwd)/mailsift
RAW=$(pwd)/$B/rawfetch
HOST=localhost	# in the certificate; Dovecot listens on 127.0.0.1
DEST=user5	# the destination columns' mailbox
status=0

die() { echo "bench-fetch: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (the servers and setpriv need it)"
sh contrib/install-deps-servers.sh
sh contrib/install-deps-bench.sh
[ -x "$MAILSIFT" ] || die "$MAILSIFT is missing: run make first"
mkdir -p "$B"
rm -rf "$LOGS"
mkdir -p "$LOGS"
# shellcheck disable=SC3013  # -nt: dash and bash have it
if [ ! "$RAW" -nt tests/bench/rawfetch.c ]; then
	cc -std=c11 -O2 -g -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
	    -o "$RAW" tests/bench/rawfetch.c -lssl -lcrypto
fi

# --- corpus -----------------------------------------------------------

# Cached; a new seed, count, size or generator makes a new one.
stamp="$SEED $COUNT $SIZE_MB $(sha256sum tests/corpus/gen-corpus.py | cut -c1-16)"
if [ "$(cat "$CORPUS/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
	rm -rf "$CORPUS"
	# 3700 KB attachments become messages of up to ~4.5 MB in base64.
	python3 tests/corpus/gen-corpus.py --seed "$SEED" --count "$COUNT" \
	    --size-mb "$SIZE_MB" --max-attachment-kb 3700 "$CORPUS"
	echo "$stamp" >"$CORPUS/.stamp"
fi

# --- servers and mailboxes --------------------------------------------

D=$(mktemp -d /tmp/msxbf.XXXXXX)
# shellcheck disable=SC2317  # called by the trap
cleanup() {
	sh tests/integration/servers.sh stop "$D" >/dev/null 2>&1 || true
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
sh tests/integration/servers.sh start "$D"
eval "$(sh tests/integration/servers.sh env "$D")"
W=$D/w
R=$W/run
mkdir -p "$W"
# LMTP to user5+runN stores into user5's folder runN (made before each
# run), so that each destination run has a folder of its own.
cat >>"$MSX_DOVECOT_CONF" <<-EOF
protocol lmtp {
  lmtp_save_to_detail_mailbox = yes
}
recipient_delimiter = +
EOF
doveadm -c "$MSX_DOVECOT_CONF" reload

find "$CORPUS" -name '*.eml' | sort >"$W/all.list"
[ "$(wc -l <"$W/all.list")" -eq "$COUNT" ] || die "$CORPUS: not $COUNT messages"
# The small set keeps the largest message, so that a difference in peak
# RSS can only come from the number of messages.
largest=$(xargs -d '\n' stat -c '%s %n' <"$W/all.list" | sort -n |
    tail -n 1 | cut -d ' ' -f 2-)
head -n "$((SMALL - 1))" "$W/all.list" >"$W/small.list"
grep -qxF "$largest" "$W/small.list" &&
    head -n "$SMALL" "$W/all.list" >"$W/small.list"
grep -qxF "$largest" "$W/small.list" || echo "$largest" >>"$W/small.list"

# load USER LIST: the messages of LIST into USER's INBOX, written as
# Dovecot's own `save` would (LF line ends), owned by mail (uid 8) with
# the real size in ",S=" (much faster than doveadm save per message).
load() {
	python3 - "$D/mail/$1/Maildir" "$2" <<-'EOF'
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
	EOF
	doveadm -c "$MSX_DOVECOT_CONF" force-resync -u "$1" INBOX
	n=$(doveadm -c "$MSX_DOVECOT_CONF" -f flow mailbox status -u "$1" \
	    messages INBOX | sed 's/.*messages=//')
	[ "$n" -eq "$(wc -l <"$2")" ] || die "$1: $n messages in INBOX after load"
}
load user1 "$W/all.list"
load user2 "$W/small.list"
SMALL=$(wc -l <"$W/small.list")

# Warm-up (untimed): Dovecot builds its index and size caches, the page
# cache holds the mailbox, and the raw client tells the bytes as served.
for u in user1 user2; do
	for p in "imap $MSX_IMAPS_PORT" "pop3 $MSX_POP3S_PORT"; do
		# shellcheck disable=SC2086
		set -- $p
		RAWFETCH_PASSWORD=$u-secret "$RAW" "$1" implicit "$HOST" "$2" \
		    "$HOST" "$MSX_CA" "$u" >"$W/warm" ||
		    die "raw $1 warm-up for $u failed"
		# shellcheck disable=SC2034  # bytes: read by the eval
		read -r n bytes <"$W/warm"
		eval "MSGS_$u=\$n BYTES_$u=\$bytes"
	done
done
# shellcheck disable=SC2154  # set by the eval above
echo "bench-fetch: user1 $MSGS_user1 messages, $BYTES_user1 bytes as served;" \
    "user2 $MSGS_user2 messages, $BYTES_user2 bytes"
[ "$MSGS_user1" -eq "$COUNT" ] || die "user1 serves $MSGS_user1 of $COUNT"

# --- clients ----------------------------------------------------------

# render TEMPLATE OUT KEY=VALUE...: the template with @KEY@ replaced.
render() {
	tpl=$1 out=$2
	shift 2
	script=
	for kv in "$@"; do
		v=$(printf '%s' "${kv#*=}" | sed 's/[\\&|]/\\&/g')
		script="${script}s|@${kv%%=*}@|$v|g
"
	done
	sed "$script" "tests/bench/$tpl" >"$out"
	chmod 600 "$out"	# passwords: mailsift and mpop insist
	if grep -q '@[A-Z_]*@' "$out"; then
		die "$out: placeholder left unfilled"
	fi
}

port_of() {	# PROTO MODE
	case $1:$2 in
	imap:starttls) echo "$MSX_IMAP_PORT" ;;
	imap:implicit) echo "$MSX_IMAPS_PORT" ;;
	pop3:starttls) echo "$MSX_POP3_PORT" ;;
	pop3:implicit) echo "$MSX_POP3S_PORT" ;;
	esac
}

# Every run gets a directory of its own, and the runs' Maildirs are
# removed only at the end.  This disk's ext4 has no journal, and without
# one the inode allocator skips every inode freed in the last minute (six
# while its inode table block is not yet written back), reading the inode
# table to find out: creating 2000 files right after deleting the
# previous run's 2000 is quadratic, and measured three times slower for
# mailsift (perf: 70% of its time in the kernel's recently_deleted()).
# Whoever ran just after a big deletion would pay for it.  When the disk
# cannot hold every run, each run's mail is deleted and synced after it
# and the next run waits out the minute instead (KEEP_RUNS=0 forces
# that).  Other deletions on the same disk shortly before a bench (a
# `make check`, say) slow its first rounds the same way.
seq=0
last_rm=0
discard_run() {	# remove $R now; a timed run waits for it to settle
	[ -n "${R:-}" ] && [ -d "$R" ] || return 0
	had_mail=$(find "$R/md" -type f 2>/dev/null | head -n 1)
	rm -rf "$R"
	[ -n "$had_mail" ] || return 0
	sync
	last_rm=$(date +%s)
}
settle() {
	[ "$last_rm" -eq 0 ] && return 0
	wait=$((last_rm + 62 - $(date +%s)))
	[ "$wait" -gt 0 ] && sleep "$wait"
	return 0
}

# prepare CLIENT PROTO MODE USER PORT CA: a fresh run directory $R (empty
# Maildir, no state of any client), the client's config, and in CMD and
# ENVV its command line and extra environment (no spaces in either).
prepare() {
	c=$1 proto=$2 mode=$3 user=$4 port=$5 ca=$6
	seq=$((seq + 1))
	R=$W/run$seq
	mkdir -p "$R/home" "$R/md/tmp" "$R/md/new" "$R/md/cur"
	chmod 700 "$R/md" "$R/md/tmp" "$R/md/new" "$R/md/cur"
	set -- HOST="$HOST" PORT="$port" USER="$user" PASS="$user-secret" \
	    CA="$ca" DIR="$R" MAILDIR="$R/md" DEST="$DEST" \
	    DEST_PASS="$DEST-secret" IMAPS_PORT="$MSX_IMAPS_PORT" \
	    DFOLDER="run$seq" \
	    LMTP="$MSX_LMTP_SOCKET"
	ENVV=
	DFOLDER=run$seq
	if is_dest "$c"; then
		doveadm -c "$MSX_DOVECOT_CONF" mailbox create -u "$DEST" \
		    "$DFOLDER" </dev/null
	fi
	case $c in
	raw)
		CMD="$RAW $proto $mode $HOST $port $HOST $ca $user"
		ENVV="RAWFETCH_PASSWORD=$user-secret"
		;;
	mailsift)
		render fetch-mailsift.conf "$R/mailsift.conf" "$@" \
		    TYPE="$proto" TLS="$mode"
		CMD="$MAILSIFT run -c $R/mailsift.conf --once"
		;;
	fdm)
		t=$proto st=starttls
		[ "$mode" = implicit ] && t=${proto}s st=
		render fetch-fdm.conf "$R/fdm.conf" "$@" FDM_TYPE="$t" \
		    FDM_STARTTLS="$st"
		CMD="fdm -q -f $R/fdm.conf fetch"
		# fdm has no CA option: OpenSSL's default store it is.
		ENVV="SSL_CERT_FILE=$ca"
		;;
	fetchmail)
		s=
		[ "$mode" = implicit ] && s=ssl
		render fetch-fetchmail.conf "$R/fetchmailrc" "$@" \
		    FM_PROTO="$(echo "$proto" | tr '[:lower:]' '[:upper:]')" FM_SSL="$s"
		CMD="fetchmail --silent -f $R/fetchmailrc"
		ENVV="FETCHMAILHOME=$R"
		;;
	getmail)
		if [ "$proto" = imap ]; then
			render fetch-getmail.conf "$R/getmailrc" "$@" \
			    GM_TYPE=SimpleIMAPSSLRetriever \
			    GM_MAILBOXES='mailboxes = ("INBOX",)'
		else
			render fetch-getmail.conf "$R/getmailrc" "$@" \
			    GM_TYPE=SimplePOP3SSLRetriever GM_MAILBOXES=
		fi
		CMD="getmail --getmaildir $R --rcfile getmailrc"
		;;
	mailsift-append | mailsift-lmtp)
		render "fetch-$c.conf" "$R/mailsift.conf" "$@" \
		    TYPE="$proto" TLS="$mode"
		CMD="$MAILSIFT run -c $R/mailsift.conf --once"
		;;
	fdm-append)
		t=$proto st=starttls
		[ "$mode" = implicit ] && t=${proto}s st=
		render fetch-fdm-append.conf "$R/fdm.conf" "$@" \
		    FDM_TYPE="$t" FDM_STARTTLS="$st"
		CMD="fdm -q -f $R/fdm.conf fetch"
		ENVV="SSL_CERT_FILE=$ca"
		;;
	getmail-lmtp)
		render fetch-getmail-lmtp.conf "$R/getmailrc" "$@"
		CMD="getmail --getmaildir $R --rcfile getmailrc"
		;;
	mpop)
		st=on
		[ "$mode" = implicit ] && st=off
		render fetch-mpop.conf "$R/mpoprc" "$@" MPOP_STARTTLS="$st"
		CMD="mpop -q -C $R/mpoprc -a"
		;;
	mbsync)
		st=STARTTLS
		[ "$mode" = implicit ] && st=IMAPS
		render fetch-mbsync.conf "$R/mbsyncrc" "$@" MBSYNC_SSLTYPE="$st"
		CMD="mbsync -q -c $R/mbsyncrc bench"
		;;
	*)	die "unknown client $c" ;;
	esac
	chown -R "$RUN_UID:$RUN_GID" "$R"
}

# launch SECONDS: run CMD as nobody with a clean environment; sets rc,
# ns (wall nanoseconds), rss (KB), cpu (user + system seconds), got
# (messages delivered).
launch() {
	t0=$(date +%s%N)
	# shellcheck disable=SC2086  # CMD and ENVV are word lists
	if /usr/bin/time -o "$R/time" -f '%M %U %S' timeout -k 5 "$1" \
	    setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --clear-groups \
	    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$R/home" \
	    LANG=C.UTF-8 $ENVV $CMD </dev/null >"$R/out" 2>"$R/err"; then
		rc=0
	else
		rc=$?
	fi
	t1=$(date +%s%N)
	ns=$((t1 - t0))
	# The last line: GNU time puts "Command exited with..." before it.
	rss=$(awk 'END { print $1 + 0 }' "$R/time")
	cpu=$(awk 'END { print $2 + $3 }' "$R/time")
	if [ "$c" = raw ]; then
		got=$(awk 'NR == 1 { print $1 + 0 }' "$R/out")
		[ -n "$got" ] || got=0
	elif is_dest "$c"; then
		got=$(dest_count)
	else
		got=$(find "$R/md/new" "$R/md/cur" -type f 2>/dev/null | wc -l)
	fi
}

is_dest() {	# CLIENT: does it deliver into $DEST's mailbox?
	case $1 in *-append | *-lmtp) return 0 ;; esac
	return 1
}
# server_ticks: CPU time (user + system, 1/100 s) of every Dovecot process
# so far: the master's own and its reaped children's, and the live ones'.
server_ticks() {
	m=$(cat "$D/run/master.pid")
	for p in "$m" $(pgrep -P "$m" || true); do
		cat "/proc/$p/stat" 2>/dev/null || true
	done | awk '{ s += $14 + $15 + $16 + $17 } END { print s + 0 }'
}

dest_count() {	# messages in this run's folder of $DEST
	doveadm -c "$MSX_DOVECOT_CONF" -f flow mailbox status -u "$DEST" \
	    messages "$DFOLDER" | sed 's/.*messages=//'
}

keep_log() {	# NAME: save the run's output, which $D loses at exit
	{
		echo "command: $CMD"
		echo "environment: $ENVV"
		echo "exit: $rc  delivered: $got"
		echo "--- stdout"
		cat "$R/out"
		echo "--- stderr"
		cat "$R/err"
	} >"$LOGS/$1.log" 2>&1
}

# The plan: CLIENT PROTO MODE USER, one line per configuration.
: >"$W/plan"
for c in $CLIENTS; do
	case $c in
	raw | mailsift | fdm | fetchmail)
		combos="imap:starttls imap:implicit pop3:starttls pop3:implicit" ;;
	mailsift-append | fdm-append) combos="pop3:implicit" ;;
	mailsift-lmtp | getmail-lmtp) combos="imap:implicit" ;;
	getmail) combos="imap:implicit pop3:implicit" ;;	# no STARTTLS
	mpop) combos="pop3:starttls pop3:implicit" ;;
	mbsync) combos="imap:starttls imap:implicit" ;;
	*) die "unknown client $c" ;;
	esac
	for x in $combos; do
		echo "$c ${x%:*} ${x#*:} user1" >>"$W/plan"
	done
	if [ "$c" = mailsift ]; then
		echo "mailsift imap implicit user2" >>"$W/plan"
		echo "mailsift pop3 implicit user2" >>"$W/plan"
	fi
done

versions=
for p in dovecot-core fdm fetchmail getmail6 mpop isync safecat; do
	versions="$versions $p $(dpkg-query -W -f '${Version}' "$p" 2>/dev/null)"
done
echo "bench-fetch: versions:$versions"

# --- TLS checks -------------------------------------------------------

# Each client must refuse a chain from another CA, and, on IMAPS, a
# certificate of the test CA for another name: delivering anything there
# would mean it skipped a check that the others make.
echo "bench-fetch: TLS checks (every client must refuse)"
: >"$W/tlscheck"
while read -r c proto mode user <&3; do
	[ "$user" = user1 ] || continue
	prepare "$c" "$proto" "$mode" "$user" "$(port_of "$proto" "$mode")" \
	    "$MSX_OTHER_CA"
	launch 60
	r1=refused
	if [ "$got" -ne 0 ]; then
		r1="ACCEPTED($got)"
		status=1
		keep_log "tlscheck-otherca-$c-$proto-$mode"
	fi
	discard_run
	r2=-
	if [ "$proto:$mode" = imap:implicit ]; then
			prepare "$c" "$proto" "$mode" "$user" "$MSX_WRONGHOST_PORT" \
		    "$MSX_CA"
		launch 60
		r2=refused
		if [ "$got" -ne 0 ]; then
			r2="ACCEPTED($got)"
			status=1
			keep_log "tlscheck-wronghost-$c-$proto-$mode"
		fi
		discard_run
	fi
	printf '  %-15s %-4s %-8s  unknown CA: %-10s  wrong name: %s\n' \
	    "$c" "$proto" "$mode" "$r1" "$r2"
done 3<"$W/plan"

# --- timed runs -------------------------------------------------------

# Room to keep every run's Maildir (see discard_run)?
writers=$(awk '$1 != "raw"' "$W/plan" | wc -l)
need_kb=$(((writers * RUNS + 1) * BYTES_user1 / 1024))
free_kb=$(df -Pk "$W" | awk 'NR == 2 { print $4 }')
if [ "${KEEP_RUNS:-1}" = 1 ] && [ "$free_kb" -gt $((need_kb + 1048576)) ]; then
	KEEP_RUNS=1
	echo "bench-fetch: keeping every run's Maildir until the end" \
	    "($((need_kb / 1024)) MiB)"
else
	KEEP_RUNS=0
	echo "bench-fetch: deleting each run's mail after it; runs wait" \
	    "a minute for ext4 to settle"
fi
: >"$W/results"
round=1
while [ "$round" -le "$RUNS" ]; do
	echo "bench-fetch: round $round of $RUNS"
	while read -r c proto mode user <&3; do
		case $c in getmail* | fdm-append) slow=1 ;; *) slow=0 ;; esac
		if [ "$slow" = 1 ] && [ "$round" -gt "$SLOW_RUNS" ]; then
			continue
		fi
		prepare "$c" "$proto" "$mode" "$user" \
		    "$(port_of "$proto" "$mode")" "$MSX_CA"
		# The same mailbox for everyone: no \Seen left by a client
		# before (fetchmail and POP3 sessions set it).
		doveadm -c "$MSX_DOVECOT_CONF" flags remove -u "$user" \
		    '\Seen' mailbox INBOX ALL </dev/null
		settle
		sync
		s0=$(server_ticks)
		launch "$RUN_TIMEOUT"
		sleep 1	# Dovecot's processes finish logging out
		scpu=$(awk -v a="$s0" -v b="$(server_ticks)" \
		    'BEGIN { printf "%.2f", (b - a) / 100 }')
		want=$COUNT
		[ "$user" = user2 ] && want=$SMALL
		echo "$c $proto $mode $user $ns $rss $got $want $rc $cpu $scpu" \
		    >>"$W/results"
		printf '  %-15s %-4s %-8s %-5s %7.2f s  %4d/%d  exit %d\n' \
		    "$c" "$proto" "$mode" "$user" \
		    "$(echo "$ns" | awk '{ print $1 / 1e9 }')" "$got" "$want" "$rc"
		if [ "$rc" -ne 0 ] || [ "$got" -ne "$want" ]; then
			keep_log "$c-$proto-$mode-$user-r$round"
			sed 's/^/    | /' "$R/err" | tail -n 5
			case $c in raw | mailsift*) status=1 ;; esac
		fi
		[ "$KEEP_RUNS" = 1 ] && [ "$c" != raw ] || discard_run
	done 3<"$W/plan"
	round=$((round + 1))
done

# --- report -----------------------------------------------------------

echo
echo "bench-fetch: $COUNT messages, $BYTES_user1 bytes as served" \
    "($(awk -v b="$BYTES_user1" 'BEGIN { printf "%.1f", b / 1048576 }') MiB)," \
    "median of $RUNS runs (getmail6: $SLOW_RUNS); MiB/s and msg/s over"
echo "the whole mailbox as served; CPU = user + system seconds and RSS = peak,"
echo "both over the client's whole process tree (GNU time); srv CPU = the"
echo "private Dovecot's CPU seconds over the run (serving, and for the"
echo "-append and -lmtp columns storing, the mail)."
echo "Every client verified TLS against the test CA; mail stayed on the server."
awk -v b1="$BYTES_user1" -v b2="$BYTES_user2" -v slow="$SLOW_RUNS" \
    -v plan="$W/plan" '
# med(list): the median of a space-separated list of numbers.
function med(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return a[int((n + 1) / 2)]
}
{
	k = $1 " " $2 " " $3 " " $4
	secs[k] = secs[k] " " $5 / 1e9
	rss[k] = rss[k] " " $6
	cpu[k] = cpu[k] " " $10
	scpu[k] = scpu[k] " " $11
	if (!(k in worst) || $7 < worst[k]) worst[k] = $7
	want[k] = $8
	if ($9 != 0) bad[k] = bad[k] " " $9
	runs[k]++
}
END {
	printf "\n%-15s %-5s %-8s %10s %8s %6s %7s %6s %8s %7s  %s\n", "client",
	    "proto", "TLS", "delivered", "seconds", "CPU s", "MiB/s", "msg/s",
	    "RSS MiB", "srv CPU", "note"
	while ((getline line < plan) > 0) {
		split(line, f, " ")
		k = line
		if (!(k in runs)) continue
		s = med(secs[k])
		m = med(rss[k]) / 1024
		bytes = f[4] == "user2" ? b2 : b1
		note = runs[k] == 1 ? "1 run" : ""
		if (bad[k] != "") note = note " exit" bad[k]
		deliv = worst[k] "/" want[k]
		if (worst[k] != want[k]) {
			note = note " INCOMPLETE: not comparable"
			printf "%-15s %-5s %-8s %10s %8.2f %6.2f %7s %6s %8.1f %7.2f  %s\n",
			    f[1], f[2], f[3], deliv, s, med(cpu[k]), "-", "-", m,
			    med(scpu[k]), note
		} else {
			printf "%-15s %-5s %-8s %10s %8.2f %6.2f %7.1f %6.0f %8.1f %7.2f  %s\n",
			    f[1], f[2], f[3], deliv, s, med(cpu[k]),
			    bytes / 1048576 / s, want[k] / s, m, med(scpu[k]), note
			ok[k] = s
		}
		mrss[k] = m
		part[k] = worst[k] > 0 ? s : 0	# seconds, for a partial rate
	}
	print ""
	print "mailsift ratios (speed-up = other seconds / mailsift seconds, same TLS mode):"
	split("imap:mbsync:2 pop3:mpop:2 imap:raw:0.8 pop3:raw:0", cmp, " ")
	for (i = 1; i <= 4; i++) {
		split(cmp[i], c, ":")
		for (j = 1; j <= 2; j++) {
			mode = j == 1 ? "starttls" : "implicit"
			a = "mailsift " c[1] " " mode " user1"
			o = c[2] " " c[1] " " mode " user1"
			label = sprintf("  %-4s %-8s vs %-6s", toupper(c[1]), mode, c[2])
			if (!(a in ok) || !(o in ok)) {
				printf "%s  n/a (a run failed or was not made)\n", label
				continue
			}
			r = ok[o] / ok[a]
			if (c[2] == "raw")
				printf "%s  mailsift at %3.0f%% of the raw speed%s\n",
				    label, 100 * r, (c[3] > 0 ? sprintf("  (target >= %d%%: %s)",
				    100 * c[3], (r >= c[3] ? "met" : "NOT met")) : "")
			else
				printf "%s  %.2fx  (target >= %dx: %s)\n", label, r,
				    c[3], (r >= c[3] ? "met" : "NOT met")
		}
	}
	print ""
	print "delivering to the server (same run; speed-up = other seconds / mailsift seconds):"
	split("mailsift-append:fdm-append:pop3:POP3->IMAP-APPEND mailsift-lmtp:getmail-lmtp:imap:IMAP->LMTP", dc, " ")
	for (i = 1; i <= 2; i++) {
		split(dc[i], c, ":")
		a = c[1] " " c[3] " implicit user1"
		o = c[2] " " c[3] " implicit user1"
		m = "mailsift " c[3] " implicit user1"
		if ((a in ok) && (o in ok))
			printf "  %-18s vs %-12s  %.2fx  (target >= 3x: %s)\n", c[4],
			    c[2], ok[o] / ok[a], (ok[o] / ok[a] >= 3 ? "met" : "NOT met")
		else if ((a in ok) && part[o] > 0)
			# a peer that stopped part way: messages per second
			# over what it delivered, against those of mailsift
			printf "  %-18s vs %-12s  %.2fx by rate: it stopped after %d of %d (%.0f msg/s against %.0f)  (target >= 3x: %s)\n",
			    c[4], c[2], (want[a] / ok[a]) / (worst[o] / part[o]),
			    worst[o], want[o], worst[o] / part[o], want[a] / ok[a],
			    ((want[a] / ok[a]) / (worst[o] / part[o]) >= 3 ? "met" : "NOT met")
		else
			printf "  %-18s vs %-12s  n/a (a run failed or was not made)\n",
			    c[4], c[2]
		if ((a in ok) && (m in ok))
			printf "  %-18s vs Maildir       %.2fx the time of mailsift into a Maildir  (target <= 2x: %s)\n",
			    c[4], ok[a] / ok[m], (ok[a] / ok[m] <= 2 ? "met" : "NOT met")
		else
			printf "  %-18s vs Maildir       n/a (a run failed or was not made)\n", c[4]
	}
	print ""
	print "mailsift peak RSS with the same largest message in both mailboxes:"
	for (j = 1; j <= 2; j++) {
		p = j == 1 ? "imap" : "pop3"
		a = "mailsift " p " implicit user1"; b = "mailsift " p " implicit user2"
		if ((a in mrss) && (b in mrss))
			printf "  %s implicit: %d msgs %.1f MiB, %d msgs %.1f MiB (x%.2f)\n",
			    toupper(p), want[a], mrss[a], want[b], mrss[b],
			    mrss[a] / mrss[b]
	}
}' "$W/results"
echo
echo "largest message: $(wc -c <"$largest") bytes (in both mailboxes)"
cat <<-'EOF'

	From the issue, for context (other hardware, other mailbox):
	  raw IMAP fetch 1.0 s, mbsync 3.5 s, mpop 4.5 s (3.5 s with implicit
	  TLS), fdm 6.7 s, fetchmail 12 s, getmail6 28 s
	  targets: IMAP >= 2x mbsync and >= 80% of the raw fetch;
	           POP3 >= 2x mpop
EOF
[ "$status" -eq 0 ] || echo "bench-fetch: FAILED: see above and $LOGS/" >&2
exit "$status"

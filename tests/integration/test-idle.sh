#!/bin/sh
# SPDX-License-Identifier: ISC
# IDLE on several folders of one account, against a real Dovecot (which
# offers NOTIFY, RFC 5465): new mail in the second and third folder is
# delivered without waiting for the poll interval (an hour here), with
# NOTIFY on one connection, and with `idle-notify = false` on one
# connection per folder, at most idle-max-folders of them (the folder
# left over is polled, and the log says so); SIGTERM logs every session
# out and ends the daemon with exit 0.  Waits are bounded; nothing
# asserts a timing.  Last: what a message fetched in IDLE queues (a
# webhook here; replies and forwards go the same way) is sent before
# the next wait, not when the session ends.  Ends with "idle: N
# passed, N failed".
set -u
cd "$(dirname "$0")/../.."
H=tests/integration/servers.sh
D=$(mktemp -d /tmp/msx-idle.XXXXXX)
chmod 755 "$D"
pid=
passed=0
failed=0
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	sh $H stop "$D" >/dev/null 2>&1
	rm -rf "$D"
}
trap cleanup EXIT INT TERM

check() {
	if [ "$1" -eq 0 ]; then
		echo "ok - $2"
		passed=$((passed + 1))
	else
		echo "not ok - $2"
		failed=$((failed + 1))
	fi
}

# wait_count DIR N: the Maildir DIR holds N messages (10 s at most).
wait_count() {
	t=50
	while [ "$t" -gt 0 ]; do
		[ "$(ls "$1/new" 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.2
		t=$((t - 1))
	done
	return 1
}

# msg USER FOLDER NAME: store a message in the user's folder.
msg() {
	printf 'From: a@example.test\nTo: %s@example.test\nSubject: %s\nMessage-ID: <%s@t>\n\nbody %s\n' \
	    "$1" "$3" "$3" "$3" >"$D/$3.eml"
	sh $H load "$D" "$1" "$2" "$D/$3.eml"
}

# conns: mailsift's established connections to the IMAPS port (the
# client ends: remote port = the server's).
conns() {
	hex=$(printf '%04X' "$MSX_IMAPS_PORT")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk -v p=":$hex" '$4 == "01" && substr($3, length($3) - 4) == p \
		{ n++ } END { print n + 0 }'
}

# write_conf NAME USER EXTRA: an account idling on four folders.
write_conf() {
	cat >"$D/$1.conf" <<CONF
state = "$D/$1.db"
poll = 3600
account $1 {
	type = imap
	host = "localhost"
	port = $MSX_IMAPS_PORT
	tls = implicit
	tls-ca-file = "$MSX_CA"
	user = "$2"
	password = '$2-secret'
	folders = { "INBOX", "Work", "Lists/Rust", "Old" }
	idle = true
$3
	deliver = "maildir:$D/$1/Maildir"
}
CONF
	chmod 600 "$D/$1.conf"
}

# stop_daemon: SIGTERM, then the exit status (20 s at most).
stop_daemon() {
	kill -TERM "$pid"
	t=100
	while kill -0 "$pid" 2>/dev/null && [ "$t" -gt 0 ]; do
		sleep 0.2
		t=$((t - 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		pid=
		return 1
	fi
	wait "$pid"
	rc=$?
	pid=
	return $rc
}

# logged_out USER: Dovecot's count of the user's IMAP sessions that
# ended with LOGOUT, and of those that were just dropped.
logged_out() {
	grep "imap($1)" "$MSX_DIR/dovecot.log" | grep -c ": Logged out"
}
dropped() {
	grep "imap($1)" "$MSX_DIR/dovecot.log" | grep "Disconnected" |
	    grep -vc "Logged out"
}

if ! sh $H start "$D" >"$D/start.out" 2>&1; then
	cat "$D/start.out"
	echo "idle: 0 passed, 1 failed"
	exit 1
fi
eval "$(sh $H env "$D")"

for u in user1 user2; do
	for f in INBOX Work Lists/Rust Old; do
		msg $u "$f" "$u-$(echo "$f" | tr / -)-1"
	done
done

# --- NOTIFY: one connection hears of every folder ---------------------
M=$D/notify/Maildir
write_conf notify user1 ""
./mailsift run -c "$D/notify.conf" >"$D/notify.log" 2>&1 &
pid=$!
wait_count "$M" 4
check $? "notify: the first round delivers the four folders' mail"
n=50
until grep -q "NOTIFY: 4 folders watched" "$D/notify.log" || [ $n -eq 0 ]; do
	sleep 0.2
	n=$((n - 1))
done
grep -q "NOTIFY: 4 folders watched on one connection" "$D/notify.log"
check $? "notify: Dovecot offers NOTIFY and the account uses it"
msg user1 Work user1-work-2
wait_count "$M" 5
check $? "notify: new mail in the second folder delivered (poll is an hour)"
msg user1 Lists/Rust user1-rust-2
wait_count "$M" 6
check $? "notify: new mail in the third folder delivered"
msg user1 Old user1-old-2
wait_count "$M" 7
check $? "notify: new mail in the fourth folder delivered"
msg user1 INBOX user1-inbox-2
wait_count "$M" 8
check $? "notify: and in the first, the selected one"
[ "$(conns)" -eq 1 ]
check $? "notify: one connection ($(conns))"
stop_daemon
check $? "notify: SIGTERM ends the daemon with exit 0"
[ "$(logged_out user1)" -eq 1 ] && [ "$(dropped user1)" -eq 0 ]
check $? "notify: the session logged out ($(logged_out user1) logged out, $(dropped user1) dropped)"

# --- one connection per folder, bounded -------------------------------
M=$D/conns/Maildir
write_conf conns user2 "	idle-notify = false
	idle-max-folders = 3"
./mailsift run -c "$D/conns.conf" >"$D/conns.log" 2>&1 &
pid=$!
wait_count "$M" 4
check $? "conns: the first round delivers the four folders' mail"
n=50
until [ "$(conns)" -ge 3 ] || [ $n -eq 0 ]; do sleep 0.2; n=$((n - 1)); done
sleep 1
c=$(conns)
[ "$c" -eq 3 ]
check $? "conns: idle-max-folders = 3 gives 3 connections for 4 folders ($c)"
grep -q "idle-max-folders is 3: 1 folder(s) from Old on are not watched with IDLE but fetched every 3600 s" "$D/conns.log"
check $? "conns: the log says the folder left over is polled"
[ "$(grep -c "idle-max-folders is" "$D/conns.log")" -eq 1 ]
check $? "conns: ... once"
msg user2 Work user2-work-2
wait_count "$M" 5
check $? "conns: new mail in the second folder delivered (poll is an hour)"
msg user2 Lists/Rust user2-rust-2
wait_count "$M" 6
check $? "conns: new mail in the third folder delivered"
msg user2 INBOX user2-inbox-2
wait_count "$M" 7
check $? "conns: and in the first"
# Old is polled, every hour: this one waits for a later round
msg user2 Old user2-old-2
stop_daemon
check $? "conns: SIGTERM ends the daemon with exit 0"
[ "$(logged_out user2)" -eq 3 ] && [ "$(dropped user2)" -eq 0 ]
check $? "conns: SIGTERM ends all 3 sessions with LOGOUT ($(logged_out user2) logged out, $(dropped user2) dropped)"
[ "$(conns)" -eq 0 ]
check $? "conns: no connection left"
grep -q "user2-secret" "$D/conns.log"
[ $? -ne 0 ]
check $? "the log never shows the password"
./mailsift run -c "$D/conns.conf" --once 2>"$D/once.log"
grep -q "fetched 1, delivered 1" "$D/once.log" &&
    [ "$(ls "$M/new" | wc -l)" -eq 8 ]
check $? "a later round fetches only the polled folder's new message"

# --- what a message queues goes out while the session idles ----------
# An IDLE round ends only when its session does: the webhook (and the
# outbox: replies, forwards) of a message fetched in IDLE must be sent
# before the next wait, not at the end of the session.
python3 - "$D/rx" <<'RX' &
import os, sys, time
sys.path.insert(0, "tests/integration")
from webhook_receiver import Receiver
rx = Receiver("idle-hook-secret")
out = sys.argv[1]
with open(out + ".url", "w") as f:
    f.write(rx.url)
end = time.time() + 120
while time.time() < end:
    with rx.lock:
        n = len(rx.got)
    with open(out + ".tmp", "w") as f:
        f.write("%d\n" % n)
    os.replace(out + ".tmp", out)
    time.sleep(0.2)
RX
rxpid=$!
n=50
until [ -s "$D/rx.url" ] || [ $n -eq 0 ]; do sleep 0.2; n=$((n - 1)); done
cat >"$D/hooks.conf" <<CONF
state = "$D/hooks.db"
poll = 3600
webhook "hook" {
	url = "$(cat "$D/rx.url")"
	secret = "idle-hook-secret"
}
account hooks {
	type = imap
	host = "localhost"
	port = $MSX_IMAPS_PORT
	tls = implicit
	tls-ca-file = "$MSX_CA"
	user = "user1"
	password = 'user1-secret'
	idle = true
	deliver = "webhook:hook"
}
CONF
chmod 600 "$D/hooks.conf"
# posted (N): the receiver has had N requests (10 s at most)
posted() {
	t=50
	while [ "$t" -gt 0 ]; do
		[ "$(cat "$D/rx" 2>/dev/null || echo 0)" -ge "$1" ] && return 0
		sleep 0.2
		t=$((t - 1))
	done
	return 1
}
./mailsift run -c "$D/hooks.conf" >"$D/hooks.log" 2>&1 &
pid=$!
posted 2
check $? "hooks: the first fetch posts the INBOX's two messages before the session idles ($(cat "$D/rx" 2>/dev/null) requests)"
msg user1 INBOX user1-inbox-hook
posted 3
check $? "hooks: a message arriving in IDLE is posted while the session still idles ($(cat "$D/rx" 2>/dev/null) requests)"
check $? "hooks: the daemon is still running (the round has not ended)"
stop_daemon
check $? "hooks: SIGTERM ends the daemon with exit 0"
kill "$rxpid" 2>/dev/null

if [ "$failed" -ne 0 ]; then
	sed 's/^/  hooks log: /' "$D/hooks.log"
	sed 's/^/  notify log: /' "$D/notify.log"
	sed 's/^/  conns log: /' "$D/conns.log"
	grep "imap(user[12])" "$MSX_DIR/dovecot.log" | sed 's/^/  dovecot: /'
fi
echo "idle: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

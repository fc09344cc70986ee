#!/bin/sh
# SPDX-License-Identifier: ISC
# `mailsift send` against three real MTAs (issue 12): Postfix (the
# submission port of servers.sh), Exim 4.96 and OpenSMTPD 6.8 (Debian
# 12's packages, unpacked by contrib/install-deps-interop.sh, run by
# servers-mta.sh).  For each:
# - a plain message arrives byte for byte: the header mailsift wrote, in
#   order, and the body, with only the server's trace fields on top;
# - attachments arrive with their names and bytes;
# - an 8-bit body goes with BODY=8BITMIME and arrives byte for byte;
# - a UTF-8 address in From: with an ASCII envelope goes as 8BITMIME
#   and arrives; a UTF-8 envelope goes with SMTPUTF8 where the server
#   offers it (Postfix, Exim), and is refused before MAIL FROM with a
#   clear error where it does not (OpenSMTPD 6.8);
# - of several recipients one refused: the others get it, each outcome
#   is reported, exit 1;
# - a 5xx for every recipient: the server's own text, exit 1.
# Exim also: STARTTLS verified against the test CA (another CA refused,
# exit 75), implicit TLS, AUTH PLAIN and LOGIN (a wrong password
# refused, 535).  OpenSMTPD: plain SMTP on loopback only, because Debian
# 12's 6.8 cannot load a key with OpenSSL 3 ("missing private key",
# fixed upstream in 7.x), so no TLS and no AUTH; STARTTLS asked of it
# is refused by mailsift.  (Postfix's TLS and AUTH: test-send.sh.)
#
#   test-mta.sh [postfix|exim|opensmtpd...]     default: all three
#
# One line per check ("ok - SERVER: ..."), a "# SERVER: N passed, N
# failed" line per server, then "mta: N passed, N failed"; exit 1 if any
# failed.  Needs root.  MSX_KEEP=1 keeps the directories; MAILSIFT=path
# tests another binary.
#
# No `set -e`: a failed check must be counted, not end the run.
# shellcheck disable=SC2317  # helpers are called through check()
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
MAILSIFT=${MAILSIFT:-$top/mailsift}
# shellcheck disable=SC2034  # harness.sh's
SUITE=mta
# shellcheck source=tests/integration/harness.sh
. "$here/harness.sh"

MSG="python3 $here/mta_msg.py"
DIRS=

# harness.sh's cleanup knows one directory of servers.sh; here there is
# one per server.
cleanup() {
	for d in $DIRS; do
		harness_of "${d%%=*}" stop "${d#*=}" >/dev/null 2>&1
		if [ "${MSX_KEEP:-0}" = 1 ]; then
			echo "# kept ${d#*=}" >&2
		else
			rm -rf "${d#*=}"
		fi
	done
}

harness_of() {
	s=$1
	shift
	case $s in
	postfix)	sh "$here/servers.sh" "$@" ;;
	*)		sh "$here/servers-mta.sh" "$s" "$@" ;;
	esac
}

# --- setup ----------------------------------------------------------

# smtp sections: main (the usual way in), and for Exim the others.
write_config() {
	C=$D/mailsift.conf
	case $SRV in
	postfix)
		port=$MSX_SUBMISSION_PORT
		tls=starttls
		;;
	exim)
		port=$MSX_MTA_SMTP_PORT
		tls=starttls
		;;
	opensmtpd)
		port=$MSX_MTA_SMTP_PORT
		tls=none
		;;
	esac
	{
		echo "smtp main {"
		echo "  host = \"$MSX_HOST\""
		echo "  port = $port"
		echo "  tls = $tls"
		if [ "$tls" != none ]; then
			echo "  tls-ca-file = \"$MSX_CA\""
			echo "  user = \"$MSX_USER1\""
			echo "  password = \"$MSX_USER1_PASS\""
		fi
		echo "  from = \"$MSX_USER1_ADDR\""
		echo "}"
		# What OpenSMTPD cannot do, asked of it.
		echo "smtp starttls {"
		echo "  host = \"$MSX_HOST\""
		echo "  port = $port"
		echo "  tls = starttls"
		echo "  tls-ca-file = \"$MSX_CA\""
		echo "  from = \"$MSX_USER1_ADDR\""
		echo "}"
	} >"$C"
	[ "$SRV" = exim ] && cat >>"$C" <<-EOF
	smtp implicit {
	  host = "$MSX_TLS_NAME"
	  port = $MSX_MTA_SMTPS_PORT
	  tls = implicit
	  tls-ca-file = "$MSX_CA"
	  user = "$MSX_USER1"
	  password = "$MSX_USER1_PASS"
	  from = "$MSX_USER1_ADDR"
	}
	smtp login {
	  host = "$MSX_HOST"
	  port = $MSX_MTA_SMTP_PORT
	  tls = starttls
	  tls-ca-file = "$MSX_CA"
	  user = "$MSX_USER3"
	  password-command = "cat $D/user3.pass"
	  auth = login
	  from = "$MSX_USER3_ADDR"
	}
	smtp wrongpass {
	  host = "$MSX_HOST"
	  port = $MSX_MTA_SMTP_PORT
	  tls = starttls
	  tls-ca-file = "$MSX_CA"
	  user = "$MSX_USER1"
	  password = "not-the-password"
	  from = "$MSX_USER1_ADDR"
	}
	smtp otherca {
	  host = "$MSX_HOST"
	  port = $MSX_MTA_SMTP_PORT
	  tls = starttls
	  tls-ca-file = "$MSX_OTHER_CA"
	  user = "$MSX_USER1"
	  password = "$MSX_USER1_PASS"
	  from = "$MSX_USER1_ADDR"
	}
	EOF
	chmod 600 "$C"
	printf '%s\n' "$MSX_USER3_PASS" >"$D/user3.pass"
}

write_files() {
	F=$D/files
	mkdir -p "$F"
	# Plain ASCII, with what SMTP must carry: a line that is only ".",
	# one starting with ".", one with "From ", trailing white space.
	printf '%s\n' 'Hello from the MTA suite.' '' '.' '.leading dot' \
	    'From the start of a line' 'trailing space ' 'end' >"$F/plain.txt"
	head -c 70000 /dev/urandom >"$F/random.bin"
	printf 'a\r\nb\nc\r.\n' >"$F/Grüße März.txt"
	# An 8-bit body, sent as it is (--raw); with Date and Message-ID,
	# which OpenSMTPD would add.
	{
		printf 'Date: Fri, 4 Dec 2026 12:00:00 +0000\r\n'
		printf 'Message-ID: <8bit.%s@example.test>\r\n' "$SRV"
		printf 'From: %s\r\nTo: %s\r\n' "$MSX_USER1_ADDR" "$MSX_USER2_ADDR"
		printf 'Subject: 8-bit body\r\nMIME-Version: 1.0\r\n'
		printf 'Content-Type: text/plain; charset=utf-8\r\n'
		printf 'Content-Transfer-Encoding: 8bit\r\n\r\n'
		printf 'Gr\303\274\303\237e, \303\204pfel und \342\202\254.\r\n'
		printf '.\r\n..two dots\r\n'
	} >"$F/8bit.eml"
}

maildir_of() {
	eval "echo \"\$MSX_$(echo "$1" | tr '[:lower:]' '[:upper:]')_MAILDIR\""
}

count() {
	md=$(maildir_of "$1")
	find "$md/new" "$md/cur" -type f 2>/dev/null | wc -l
}

# arrived USER BEFORE: the newest message of USER once it holds more
# than BEFORE (a path), within 15 s.
arrived() {
	md=$(maildir_of "$1")
	n=150
	while [ "$(count "$1")" -le "$2" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] ||
		    { echo "nothing arrived for $1" >&2; return 1; }
		sleep 0.1
	done
	# shellcheck disable=SC2012  # Maildir names: no odd characters
	ls -t "$md"/new/* "$md"/cur/* 2>/dev/null | head -n 1
}

send() { "$MAILSIFT" send -c "$C" "$@"; }

# expect_fail STATUS PATTERN ARGS...: mailsift send exits STATUS and
# says PATTERN (grep -E) on stderr.
expect_fail() {
	want=$1 pattern=$2
	shift 2
	send "$@" >"$D/out" 2>"$D/err"
	rc=$?
	cat "$D/err"
	[ "$rc" -eq "$want" ] || { echo "exit $rc, want $want"; return 1; }
	grep -Eq -- "$pattern" "$D/err" ||
	    { echo "stderr lacks /$pattern/"; return 1; }
}

# --- every server ---------------------------------------------------

plain_exact() {
	b=$(count user2)
	set -- --to "$MSX_USER2_ADDR" --subject "plain via $SRV" \
	    --text "$F/plain.txt"
	send "$@" || return 1
	"$MAILSIFT" send --from "$MSX_USER1_ADDR" "$@" -o "$D/plain.eml" ||
	    return 1
	msg=$(arrived user2 "$b") || return 1
	$MSG same "$msg" "$D/plain.eml" --mask
}

attachments() {
	b=$(count user2)
	send --to "$MSX_USER2_ADDR" --subject "attachments via $SRV" \
	    --text "$F/plain.txt" --attach "$F/random.bin" \
	    --attach "$F/Grüße März.txt" || return 1
	msg=$(arrived user2 "$b") || return 1
	"$MAILSIFT" parse --json --hash "$msg" >"$D/parsed.json" || return 1
	$MSG parts "$D/parsed.json" "$F/random.bin" "$F/Grüße März.txt"
}

eight_bit() {
	b=$(count user2)
	send --raw "$F/8bit.eml" --to "$MSX_USER2_ADDR" -v -v 2>"$D/trace" ||
	    { cat "$D/trace"; return 1; }
	grep -q "MAIL FROM:<$MSX_USER1_ADDR>.* BODY=8BITMIME" "$D/trace" ||
	    { echo "no BODY=8BITMIME"; grep "MAIL FROM" "$D/trace"; return 1; }
	msg=$(arrived user2 "$b") || return 1
	$MSG same "$msg" "$F/8bit.eml"
}

# A raw UTF-8 address in From: (RFC 6532) with an ASCII envelope: it
# goes as 8BITMIME, without SMTPUTF8 (see mail_params() in smtp-tx.c
# for why), and arrives exact on every server, Postfix included.
utf8_header() {
	b=$(count user2)
	set -- --from "Jörg Grün <$MSX_UTF8_FROM>" --to "$MSX_USER2_ADDR" \
	    --subject "Grüße via $SRV" --text "$F/plain.txt"
	send "$@" -v -v 2>"$D/trace" || { tail -n 20 "$D/trace"; return 1; }
	grep -q "MAIL FROM:<$MSX_USER1_ADDR>.* BODY=8BITMIME" "$D/trace" ||
	    { echo "no BODY=8BITMIME"; grep "MAIL FROM" "$D/trace"; return 1; }
	! grep -q "MAIL FROM:.* SMTPUTF8" "$D/trace" ||
	    { echo "SMTPUTF8 asked for"; grep "MAIL FROM" "$D/trace"; return 1; }
	"$MAILSIFT" send "$@" -o "$D/utf8.eml" || return 1
	msg=$(arrived user2 "$b") || return 1
	$MSG same "$msg" "$D/utf8.eml" --mask || return 1
	grep -q "^From: .*<$MSX_UTF8_FROM>" "$msg" ||
	    { echo "From: is not the raw UTF-8 address"; return 1; }
}

# A UTF-8 envelope sender (--raw --from): SMTPUTF8, the bytes exact.
utf8_envelope() {
	b=$(count user2)
	send --raw "$F/8bit.eml" --from "$MSX_UTF8_FROM" \
	    --to "$MSX_USER2_ADDR" -v -v 2>"$D/trace" ||
	    { tail -n 20 "$D/trace"; return 1; }
	grep -q "MAIL FROM:<$MSX_UTF8_FROM>.* SMTPUTF8" "$D/trace" ||
	    { echo "no SMTPUTF8"; grep "MAIL FROM" "$D/trace"; return 1; }
	[ "$SRV" = postfix ] && { postfix_took_utf8; return; }
	msg=$(arrived user2 "$b") || return 1
	$MSG same "$msg" "$F/8bit.eml"
}

# Postfix took the message as SMTPUTF8 (the queue ID of its answer in
# the trace), but cannot hand it on: Dovecot 2.3's LMTP does not offer
# SMTPUTF8, so Postfix bounces it ("SMTPUTF8 is required, but was not
# offered by host ...").  That bounce, in Postfix's log, is the proof.
postfix_took_utf8() {
	id=$(sed -n 's/.*< 250 .*queued as \([0-9A-F]*\).*/\1/p' "$D/trace")
	[ -n "$id" ] || { echo "no queue ID in the answer"; return 1; }
	n=150
	while ! grep -q "$id: to=<$MSX_USER2_ADDR>.*SMTPUTF8 is required" \
	    "$D/postfix.log"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || { grep "$id" "$D/postfix.log"; return 1; }
		sleep 0.1
	done
}

# Where SMTPUTF8 is not offered: a UTF-8 sender refused before MAIL FROM.
utf8_refused() {
	b=$(count user2)
	expect_fail 1 "an envelope address is not ASCII and the server does not offer SMTPUTF8" \
	    --raw "$F/8bit.eml" --from "$MSX_UTF8_FROM" \
	    --to "$MSX_USER2_ADDR" || return 1
	sleep 0.5
	[ "$(count user2)" -eq "$b" ] || { echo "something arrived"; return 1; }
}

partial() {
	b2=$(count user2)
	b3=$(count user3)
	expect_fail 1 "2 of 3 recipients got the message" \
	    --to "$MSX_USER2_ADDR" --to "nobody@$MSX_DOMAIN" \
	    --cc "$MSX_USER3_ADDR" --subject "partial via $SRV" \
	    --text "$F/plain.txt" || return 1
	grep -Eq "^mailsift: send: nobody@$MSX_DOMAIN: permanent failure: 5[0-9][0-9] .*$REFUSED" \
	    "$D/err" || { echo "no outcome for nobody@"; return 1; }
	! grep -q "send: $MSX_USER2_ADDR:\|send: $MSX_USER3_ADDR:" "$D/err" ||
	    { echo "an accepted recipient reported as failed"; return 1; }
	arrived user2 "$b2" >/dev/null && arrived user3 "$b3" >/dev/null
}

# Every recipient refused: the server's reply, code and text.
refused() {
	expect_fail 1 "RCPT TO:<nobody@$MSX_DOMAIN>: server said \"5[0-9][0-9] .*$REFUSED" \
	    --to "nobody@$MSX_DOMAIN" --subject "refused via $SRV" \
	    --text "$F/plain.txt"
}

# --- Exim: TLS and AUTH ---------------------------------------------

# The main section went STARTTLS, verified, then AUTH PLAIN.
tls_auth() {
	b=$(count user2)
	send --to "$MSX_USER2_ADDR" --subject tls --text "$F/plain.txt" \
	    -v -v 2>"$D/trace" || { tail -n 20 "$D/trace"; return 1; }
	grep -q "STARTTLS" "$D/trace" ||
	    { echo "no STARTTLS in the trace"; return 1; }
	grep -q "AUTH PLAIN" "$D/trace" ||
	    { echo "no AUTH PLAIN in the trace"; return 1; }
	msg=$(arrived user2 "$b") || return 1
	grep -q "with esmtpsa " "$msg" ||
	    { echo "Exim did not see TLS and AUTH"; return 1; }
}

implicit_tls() {
	b=$(count user2)
	send --smtp implicit --to "$MSX_USER2_ADDR" --subject smtps \
	    --text "$F/plain.txt" || return 1
	msg=$(arrived user2 "$b") || return 1
	grep -q "with esmtpsa " "$msg"
}

auth_login() {
	b=$(count user2)
	send --smtp login --to "$MSX_USER2_ADDR" --subject login \
	    --text "$F/plain.txt" || return 1
	arrived user2 "$b" >/dev/null
}

wrong_ca() {
	expect_fail 75 "TLS after STARTTLS failed" --smtp otherca \
	    --to "$MSX_USER2_ADDR" --subject x --text "$F/plain.txt"
}

wrong_password() {
	expect_fail 1 "AUTH PLAIN: server said \"535 " --smtp wrongpass \
	    --to "$MSX_USER2_ADDR" --subject x --text "$F/plain.txt" ||
	    return 1
	! grep -q -- "$MSX_USER1_PASS" "$D/err" ||
	    { echo "the password was shown"; return 1; }
}

utf8_recipient() {
	b=$(count "$MSX_UTF8_USER")
	send --to "$MSX_UTF8_ADDR" --subject "to a UTF-8 address" \
	    --text "$F/plain.txt" || return 1
	msg=$(arrived "$MSX_UTF8_USER" "$b") || return 1
	grep -q "^To: $MSX_UTF8_ADDR" "$msg"
}

# --- OpenSMTPD: plain SMTP ------------------------------------------

plain_smtp() {
	b=$(count user2)
	send --to "$MSX_USER2_ADDR" --subject cleartext --text "$F/plain.txt" \
	    -v -v 2>"$D/trace" || return 1
	! grep -q "STARTTLS\|AUTH" "$D/trace" ||
	    { echo "STARTTLS or AUTH tried"; return 1; }
	msg=$(arrived user2 "$b") || return 1
	grep -q "(OpenSMTPD) with ESMTP id" "$msg" ||
	    { echo "not received by OpenSMTPD with plain ESMTP"; return 1; }
}

no_starttls() {
	expect_fail 75 "does not offer STARTTLS" --smtp starttls \
	    --to "$MSX_USER2_ADDR" --subject x --text "$F/plain.txt"
}

# --- run ------------------------------------------------------------

# run_server NAME: start it, every check, stop it.
run_server() {
	SRV=$1
	# shellcheck disable=SC2154  # harness.sh's counters
	p0=$pass f0=$fail
	D=$(mktemp -d "/tmp/msxm-$SRV.XXXXXX")
	DIRS="$DIRS $SRV=$D"
	t0=$(date +%s%N)
	if ! harness_of "$SRV" start "$D" >"$D/start.out" 2>&1; then
		echo "not ok - $SRV: starts"
		sed 's/^/#   /' "$D/start.out"
		fail=$((fail + 1))
		return
	fi
	# Figures only, never a check: the whole start (certificates and
	# configs too) and, where the harness says, from launch to listening.
	echo "# $SRV started in $((($(date +%s%N) - t0) / 1000000)) ms$(
	    sed -n 's/^ready in \(.*\)/, listening \1 after launch/p' \
	    "$D/start.log")"
	eval "$(harness_of "$SRV" env "$D")"
	# Who the UTF-8 sender is (any address: the servers check none).
	MSX_UTF8_FROM="jörg@$MSX_DOMAIN"
	case $SRV in
	postfix)	REFUSED='User unknown' ;;
	exim)		REFUSED='Unrouteable address' ;;
	opensmtpd)	REFUSED='Invalid recipient' ;;
	esac
	write_config
	write_files

	check "$SRV: a plain message arrives byte for byte" plain_exact
	check "$SRV: attachments arrive with their names and bytes" attachments
	check "$SRV: an 8-bit body goes with BODY=8BITMIME, arrives exact" \
	    eight_bit
	check "$SRV: a UTF-8 address in From: only goes as 8BITMIME, arrives" \
	    utf8_header
	case $SRV in
	opensmtpd)
		check "$SRV: no SMTPUTF8: a UTF-8 envelope sender refused" \
		    utf8_refused ;;
	*)
		# Postfix: taken as SMTPUTF8, then bounced by its LMTP hop.
		how="goes with SMTPUTF8"
		[ "$SRV" = postfix ] &&
		    how="$how (taken; Dovecot 2.3 LMTP lacks it)"
		check "$SRV: a UTF-8 envelope sender $how" utf8_envelope ;;
	esac
	check "$SRV: one of three recipients refused: each outcome, exit 1" \
	    partial
	check "$SRV: every recipient refused: the server's 5xx text, exit 1" \
	    refused
	case $SRV in
	exim)
		check "$SRV: STARTTLS verified with the test CA, AUTH PLAIN" \
		    tls_auth
		check "$SRV: implicit TLS" implicit_tls
		check "$SRV: AUTH LOGIN with a hard password" auth_login
		check "$SRV: a certificate from another CA: refused, exit 75" \
		    wrong_ca
		check "$SRV: a wrong password: 535, exit 1" wrong_password
		check "$SRV: a UTF-8 recipient (SMTPUTF8)" utf8_recipient
		;;
	opensmtpd)
		check "$SRV: plain SMTP on loopback (no TLS in 6.8)" plain_smtp
		check "$SRV: tls = starttls: refused, the server offers none" \
		    no_starttls
		;;
	esac
	if [ "$fail" -ne "$f0" ]; then
		for log in log/mainlog server.log postfix.log dovecot.log; do
			[ -s "$D/$log" ] || continue
			echo "# --- tail of $SRV $log"
			tail -n 15 "$D/$log" | sed 's/^/# /'
		done
	fi
	echo "# $SRV: $((pass - p0)) passed, $((fail - f0)) failed"
	harness_of "$SRV" stop "$D" >/dev/null 2>&1
}

"$MAILSIFT" send --help >/dev/null 2>&1 || {
	echo "not ok - $MAILSIFT has no send command"
	fail=1
	finish
}
[ $# -gt 0 ] || set -- postfix exim opensmtpd
for s in "$@"; do
	case $s in
	postfix) ;;
	exim|opensmtpd)
		sh "$top/contrib/install-deps-interop.sh" "$s" >&2 || {
			echo "not ok - $s: its packages are fetched and unpacked"
			fail=$((fail + 1))
			continue
		} ;;
	*)
		echo "test-mta.sh: unknown server $s" >&2
		exit 2 ;;
	esac
	run_server "$s"
done
D=
finish

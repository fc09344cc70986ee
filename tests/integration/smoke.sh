#!/bin/sh
# SPDX-License-Identifier: ISC
# Smoke test of the integration harness: starts the private Dovecot and
# Postfix of servers.sh in a fresh directory, talks to them with real
# clients (smoke.py, Python's standard library), stops them.  One line
# per check, then "smoke: N passed, N failed"; exit 1 if any failed.
# Needs root and contrib/install-deps-servers.sh.  MSX_KEEP=1 keeps the
# directory (configs, logs, mail) for a look afterwards.
#
# No `set -e`: a failed check must be counted, not end the run.
# shellcheck disable=SC2317  # helpers are called through check()
set -u

here=$(cd "$(dirname "$0")" && pwd)
SUITE=smoke
# shellcheck source=tests/integration/harness.sh
. "$here/harness.sh"

client() { python3 "$here/smoke.py" "$@"; }

# Test messages: 8-bit text with a dot and "From " at line starts, CRLF
# lines, MIME with no final newline, and one for another folder.
write_messages() {
	M=$D/msgs
	mkdir -p "$M"
	printf '%s\n' 'From: Alice <alice@example.org>' \
	    'To: user1@example.test' 'Subject: =?UTF-8?Q?gr=C3=BC=C3=9Fe?=' \
	    'Message-ID: <m1@example.org>' 'MIME-Version: 1.0' \
	    'Content-Type: text/plain; charset=utf-8' \
	    'Content-Transfer-Encoding: 8bit' '' 'Grüße aus dem Test.' \
	    '.leading dot' 'From the start of a line' >"$M/m1.eml"
	printf 'From: bob@example.org\r\nTo: user1@example.test\r\nSubject: a long\r\n folded subject\r\nMessage-ID: <m2@example.org>\r\n\r\nline one\r\n\r\nline three\r\n' \
	    >"$M/m2.eml"
	printf '%s\n' 'From: carol@example.org' 'To: user1@example.test' \
	    'Subject: attachment' 'Message-ID: <m3@example.org>' \
	    'MIME-Version: 1.0' \
	    'Content-Type: multipart/mixed; boundary="b0"' '' '--b0' \
	    'Content-Type: text/plain' '' 'see attached' '--b0' \
	    'Content-Type: application/octet-stream' \
	    'Content-Transfer-Encoding: base64' \
	    'Content-Disposition: attachment; filename="x.bin"' '' \
	    'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=' >"$M/m3.eml"
	printf -- '--b0--' >>"$M/m3.eml"
	printf '%s\n' 'From: dave@example.org' 'To: user1@example.test' \
	    'Subject: for the Work folder' 'Message-ID: <w1@example.org>' '' \
	    'work work' >"$M/w1.eml"
}

# has_subject MAILDIR SUBJECT: delivered mail carries the subject.
has_subject() {
	grep -l "^Subject: $2" "$1"/new/* "$1"/cur/* 2>/dev/null | grep -q .
}

submitted_arrived() {
	servers wait-mail "$D" user3 1 10 && servers wait-mail "$D" user2 2 10
}

ports_free() {
	for p in $MSX_IMAP_PORT $MSX_IMAPS_PORT $MSX_POP3_PORT $MSX_POP3S_PORT \
	    $MSX_SMTP_PORT $MSX_SUBMISSION_PORT $MSX_SMTPS_PORT \
	    $MSX_WRONGHOST_PORT; do
		hex=$(printf ':%04X' "$p")
		if awk -v p="$hex" '$4 == "0A" &&
		    substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
		    /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
			echo "port $p still bound"
			return 1
		fi
	done
}

if [ "$(id -u)" -ne 0 ] || ! command -v dovecot >/dev/null ||
    [ ! -x /usr/lib/postfix/sbin/master ]; then
	fail=1
	echo "not ok - prerequisites: root, and contrib/install-deps-servers.sh"
	finish
fi

D=$(mktemp -d /tmp/msx.XXXXXX)
check "servers start" servers start "$D"
if [ "$fail" -ne 0 ]; then
	finish
fi
eval "$(servers env "$D")"
write_messages

check "IMAPS login, verified with the test CA" client imaps-login
check "IMAPS verification fails with an unrelated CA" client imaps-other-ca
check "wrong-hostname port fails hostname verification only" \
    client wronghost
check "IMAP STARTTLS then login" client imap-starttls
check "POP3S login" client pop3s-login
check "POP3 STLS then login (password with space and quote)" \
    client pop3-stls

check "load 3 messages into INBOX" \
    servers load "$D" user1 INBOX "$M/m1.eml" "$M/m2.eml" "$M/m3.eml"
check "load 1 message into new folder Work" \
    servers load "$D" user1 Work "$M/w1.eml"
check "IMAP INBOX byte-identical to loaded files (modulo CRLF)" \
    client imap-fetch INBOX "$M/m1.eml" "$M/m2.eml" "$M/m3.eml"
check "IMAP Work byte-identical to loaded file (modulo CRLF)" \
    client imap-fetch Work "$M/w1.eml"
check "POP3 sees the 3 INBOX messages" client pop3-count 3

check "SMTP (port 25 role) accepts mail for user2" \
    client smtp-deliver "$MSX_USER2_ADDR" smoke-lmtp
check "... and it arrives in user2's Maildir via LMTP" \
    servers wait-mail "$D" user2 1 10
check "... with its content" has_subject "$MSX_USER2_MAILDIR" smoke-lmtp
check "submission: STARTTLS and AUTH required, user1 accepted" \
    client submission "$MSX_USER3_ADDR" smoke-submission
check "smtps: implicit TLS, user3 accepted" \
    client smtps "$MSX_USER2_ADDR" smoke-smtps
check "submitted mail arrives (user3 and user2)" submitted_arrived
check "XOAUTH2/OAUTHBEARER with the users' static tokens (IMAP, SMTP)" \
    client oauth
check "IMAP IDLE reports mail delivered meanwhile" \
    client idle "$MSX_USER2_ADDR" smoke-idle
check "relaying to someone@example.com is refused" \
    client no-relay someone@example.com

check "servers stop" servers stop "$D"
check "all ports free after stop" ports_free
finish

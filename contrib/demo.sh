#!/bin/sh
# SPDX-License-Identifier: ISC
# `make demo`: a real round of mailsift on the bundled sample mail.
# Starts a throwaway Dovecot (IMAP+STARTTLS, POP3S, a CA made now) on
# 127.0.0.1, puts the sample messages in a mailbox, fetches them with
# mailsift over verified TLS, and shows what was delivered.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
dir=$(mktemp -d /tmp/msdemo.XXXXXX)
chmod 755 "$dir"
cleanup() {
	sh tests/integration/servers.sh stop "$dir" >/dev/null 2>&1 || :
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

echo "== 1. The MIME structure of the sample messages (mailsift parse)"
./mailsift parse etc/samples/*.eml

echo
echo "== 2. A throwaway Dovecot on 127.0.0.1 with the samples in user1's INBOX"
sh tests/integration/servers.sh start "$dir" >/dev/null
eval "$(sh tests/integration/servers.sh env "$dir")"
sh tests/integration/servers.sh load "$dir" user1 INBOX etc/samples/*.eml
sh tests/integration/servers.sh load "$dir" user2 INBOX etc/samples/plain.eml \
    etc/samples/invoice.eml

# A colleague writes to user1, who is away: the rules will answer.
cat >"$dir/colleague.eml" <<MSG
Return-Path: <user2@example.test>
From: Colleague <user2@example.test>
To: User One <user1@example.test>
Subject: Lunch on Friday?
Message-ID: <lunch-1@example.test>
Date: Thu, 26 Nov 2026 11:00:00 +0000

Shall we have lunch on Friday?
MSG
sh tests/integration/servers.sh load "$dir" user1 INBOX "$dir/colleague.eml"

mkdir -p "$dir/home"
sed -e "s|@DIR@|$dir/home|g" -e "s|@CA@|$MSX_CA|g" \
    -e "s|@IMAP_PORT@|$MSX_IMAP_PORT|g" -e "s|@POP3S_PORT@|$MSX_POP3S_PORT|g" \
    -e "s|@SUBMISSION_PORT@|$MSX_SUBMISSION_PORT|g" \
    etc/demo.conf.in >"$dir/home/mailsift.conf"
chmod 600 "$dir/home/mailsift.conf"
sed -e "s|@DIR@|$dir/home|g" etc/demo-rules.yaml >"$dir/home/rules.yaml"
cp -r etc/samples "$dir/home/samples"

echo
echo "== 3a. The rules (etc/demo-rules.yaml), their own tests, and what they"
echo "==     would do with the invoice (mailsift test --explain)"
./mailsift test -r "$dir/home/rules.yaml" --self
./mailsift test -r "$dir/home/rules.yaml" --explain etc/samples/invoice.eml
echo
echo "== 3. The configuration (etc/demo.conf.in), checked"
./mailsift check -c "$dir/home/mailsift.conf"

echo
echo "== 4. mailsift run --once: IMAP+STARTTLS and POP3S, TLS verified;"
echo "==    rules save the invoice's PDF, file the invoice, answer the colleague"
./mailsift run -c "$dir/home/mailsift.conf" --once

echo
echo "== 5. What was delivered"
for m in "$dir"/home/Maildir/new/* "$dir"/home/Maildir/.Archive.Invoices/new/* \
    "$dir"/home/pop/new/* "$dir"/home/invoices/*/*; do
	printf '%s\n' "${m#$dir/home/}"
done
./mailsift parse "$dir"/home/Maildir/new/* | grep -E '^  (Subject|From):'
echo
echo "== 5a. The auto-reply, as it arrived in the colleague's mailbox"
# user2 holds the two samples, and then the reply
sh tests/integration/servers.sh wait-mail "$dir" user2 3 20 >/dev/null || :
for m in $(grep -l '^Auto-Submitted:' "$MSX_USER2_MAILDIR"/new/* \
    "$MSX_USER2_MAILDIR"/cur/* 2>/dev/null); do
	grep -E '^(Return-Path|From|To|Subject|Auto-Submitted|In-Reply-To):' "$m"
done

echo
echo "== 6. What the state remembers; a second round fetches only what is new"
echo "==    (the auto-reply, now in user2's mailbox, which demo-pop reads)"
./mailsift state -s "$dir/home/state.db"
./mailsift run -c "$dir/home/mailsift.conf" --once

echo
echo "== 7. mailsift status: how each account is doing (from the state file;"
echo "==    the same with --json, and at / and /metrics with metrics-listen)"
./mailsift status -c "$dir/home/mailsift.conf"

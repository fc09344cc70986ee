#!/bin/sh
# SPDX-License-Identifier: ISC
# Integration test of `mailsift send` against the real Postfix and
# Dovecot of servers.sh: a message with text, HTML and attachments (a
# non-ASCII file name among them) goes out by submission (587-style,
# STARTTLS then AUTH) and by smtps (465-style, implicit TLS), arrives in
# user2's Maildir and parses back (`mailsift parse --json --hash`) to the
# same parts and bytes.  Also: a wrong password, relaying to an outside
# domain, a server that is not there, a CA that does not match, header
# injection, and a trace that never shows the password.  Then what
# stands in for `sendmail -t`: a configuration with an smtp section and
# no account, and --raw FILE|- sending an existing message as it is, to
# --to or (-t) to its To, Cc and Bcc, the Bcc field in no copy.
#
# One line per check, then "send: N passed, N failed"; exit 1 if any
# failed.  Needs root and contrib/install-deps-servers.sh.  Free ports
# and its own directory, so it runs beside other suites.  MSX_KEEP=1
# keeps the directory; MAILSIFT=path tests another binary.
#
# No `set -e`: a failed check must be counted, not end the run.
# shellcheck disable=SC2317  # helpers are called through check()
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
MAILSIFT=${MAILSIFT:-$top/mailsift}
SUITE=send
# shellcheck source=tests/integration/harness.sh
. "$here/harness.sh"


# --- setup ----------------------------------------------------------

# smtp sections for every way in; an account because the configuration
# needs one.
write_config() {
	cat >"$D/mailsift.conf" <<-EOF
	account unused {
	  type = stdin
	  deliver = "maildir:$D/unused"
	}
	smtp submission {
	  host = "$MSX_HOST"
	  port = $MSX_SUBMISSION_PORT
	  tls = starttls
	  tls-ca-file = "$MSX_CA"
	  user = "$MSX_USER1"
	  password = "$MSX_USER1_PASS"
	  from = "$MSX_USER1_ADDR"
	}
	smtp smtps {
	  host = "$MSX_TLS_NAME"
	  port = $MSX_SMTPS_PORT
	  tls = implicit
	  tls-ca-file = "$MSX_CA"
	  user = "$MSX_USER1"
	  password = "$MSX_USER1_PASS"
	  from = "$MSX_USER1_ADDR"
	}
	smtp wrongpass {
	  host = "$MSX_HOST"
	  port = $MSX_SUBMISSION_PORT
	  tls = starttls
	  tls-ca-file = "$MSX_CA"
	  user = "$MSX_USER1"
	  password = "not-the-password"
	  from = "$MSX_USER1_ADDR"
	}
	smtp user3 {
	  host = "$MSX_HOST"
	  port = $MSX_SMTPS_PORT
	  tls-ca-file = "$MSX_CA"
	  user = "$MSX_USER3"
	  password-command = "cat $D/user3.pass"
	  auth = login
	  from = "$MSX_USER3_ADDR"
	}
	smtp oauth {
	  host = "$MSX_HOST"
	  port = $MSX_SMTPS_PORT
	  tls-ca-file = "$MSX_CA"
	  user = "$MSX_USER1"
	  password = "$MSX_USER1_TOKEN"
	  auth = xoauth2
	  from = "$MSX_USER1_ADDR"
	}
	smtp otherca {
	  host = "$MSX_HOST"
	  port = $MSX_SMTPS_PORT
	  tls-ca-file = "$MSX_OTHER_CA"
	  user = "$MSX_USER1"
	  password = "$MSX_USER1_PASS"
	  from = "$MSX_USER1_ADDR"
	}
	smtp nobody {
	  host = "$MSX_HOST"
	  port = 15699
	  tls = implicit
	  user = "$MSX_USER1"
	  password = "$MSX_USER1_PASS"
	  from = "$MSX_USER1_ADDR"
	}
	EOF
	chmod 600 "$D/mailsift.conf"
	printf '%s\n' "$MSX_USER3_PASS" >"$D/user3.pass"
	C=$D/mailsift.conf
}

# Text with what SMTP and MIME must carry: non-ASCII, a line that is
# only ".", lines starting with "." and "From ", trailing white space.
write_files() {
	F=$D/files
	mkdir -p "$F"
	printf '%s\n' 'Grüße aus dem Integrationstest!' '' '.' \
	    '.leading dot' 'From the start of a line' 'trailing space ' \
	    'Äpfel = Birnen' >"$F/body.txt"
	printf '<html><body><p>Gr&uuml;&szlig;e, <b>HTML</b> ✓</p></body></html>\n' \
	    >"$F/body.html"
	head -c 150000 /dev/urandom >"$F/random.bin"
	# Line ends of every kind and a final line without one: the bytes
	# must arrive exactly, which only base64 guarantees.
	printf 'line one\r\nline two\nline three\r.\n.\r\nno end' \
	    >"$F/mixed.txt"
	cp "$F/random.bin" "$F/Grüße – Bericht für März 2024 (endgültig).pdf"
}

# Messages in USER's INBOX, one per line.
inbox() {
	md=$(eval "echo \"\$MSX_$(echo "$1" | tr '[:lower:]' '[:upper:]')_MAILDIR\"")
	find "$md/new" "$md/cur" -type f | sort
}

# The message that arrived for USER since the listing BEFORE (a file).
arrived() {
	user=$1 before=$2 want=$3
	servers wait-mail "$D" "$user" "$want" 15 || return 1
	inbox "$user" >"$D/after"
	comm -13 "$before" "$D/after" | head -n 1
}

# parse_check FILE SUBJECT TEXT HTML|- ATTACHMENT...: the message parses
# to these parts, in order, with these bytes.
parse_check() {
	"$MAILSIFT" parse --json --hash "$1" >"$D/parsed.json" || return 1
	python3 - "$D/parsed.json" "$@" <<-'EOF'
	import hashlib, json, os, sys
	parsed = json.load(open(sys.argv[1]))
	_, subject, text, html = sys.argv[2:6]
	atts = sys.argv[6:]
	def sha(data):
	    return hashlib.sha256(data).hexdigest()
	# Text arrives with the line ends of the store (LF in a Maildir,
	# CRLF in a file written by -o); attachments byte for byte.
	def text_shas(path):
	    lf = open(path, "rb").read().replace(b"\r\n", b"\n")
	    return (sha(lf), sha(lf.replace(b"\n", b"\r\n")))
	bad = []
	if parsed["subject"] != subject:
	    bad.append("subject %r != %r" % (parsed["subject"], subject))
	if parsed["defects"]:
	    bad.append("defects: %r" % parsed["defects"])
	want = [("text/plain", None, text_shas(text))]
	if html != "-":
	    want.append(("text/html", None, text_shas(html)))
	for a in atts:
	    want.append((None, os.path.basename(a), (sha(open(a, "rb").read()),)))
	parts = parsed["parts"]
	if len(parts) != len(want):
	    bad.append("%d parts, want %d" % (len(parts), len(want)))
	for p, (t, name, h) in zip(parts, want):
	    if t is not None and p["type"] != t:
	        bad.append("part %s: type %s, want %s" % (p["path"], p["type"], t))
	    if p["filename"] != name:
	        bad.append("part %s: filename %r, want %r" % (p["path"], p["filename"], name))
	    if p["sha256"] not in h:
	        bad.append("part %s (%s): sha256 differs" % (p["path"], p["filename"] or p["type"]))
	    if name is not None and p["disposition"] != "attachment":
	        bad.append("part %s: not an attachment" % p["path"])
	if bad:
	    print("\n".join(bad))
	    sys.exit(1)
	EOF
}

# --- the checks -----------------------------------------------------

send_submission() {
	inbox user2 >"$D/before"
	"$MAILSIFT" send -c "$C" --smtp submission \
	    --from "Jörg Tester <$MSX_USER1_ADDR>" --to "$MSX_USER2_ADDR" \
	    --subject 'Grüße: Bericht für März — vollständig' \
	    --text "$F/body.txt" --html "$F/body.html" \
	    --attach "$F/random.bin" --attach "$F/mixed.txt" \
	    --attach "$F/Grüße – Bericht für März 2024 (endgültig).pdf" ||
	    return 1
	msg=$(arrived user2 "$D/before" 1) || return 1
	[ -n "$msg" ] || { echo "nothing arrived"; return 1; }
	parse_check "$msg" 'Grüße: Bericht für März — vollständig' \
	    "$F/body.txt" "$F/body.html" "$F/random.bin" "$F/mixed.txt" \
	    "$F/Grüße – Bericht für März 2024 (endgültig).pdf" || return 1
	# Postfix saw STARTTLS and AUTH before the mail.
	grep -q "(Postfix) with ESMTPSA" "$msg" ||
	    { echo "not submitted with TLS and AUTH"; return 1; }
	python3 - "$D/parsed.json" <<-'EOF'
	import json, sys
	p = json.load(open(sys.argv[1]))
	assert p["from"] == [{"name": "Jörg Tester",
	    "address": "user1@example.test"}], p["from"]
	assert p["to"][0]["address"] == "user2@example.test", p["to"]
	assert p["message_id"].endswith("@example.test>"), p["message_id"]
	EOF
}

send_smtps() {
	inbox user2 >"$D/before"
	n=$(wc -l <"$D/before")
	"$MAILSIFT" send -c "$C" --smtp smtps --to "$MSX_USER2_ADDR" \
	    --subject 'via smtps' --text "$F/body.txt" \
	    --attach "$F/mixed.txt" || return 1
	msg=$(arrived user2 "$D/before" $((n + 1))) || return 1
	[ -n "$msg" ] || { echo "nothing arrived"; return 1; }
	parse_check "$msg" 'via smtps' "$F/body.txt" - "$F/mixed.txt"
}

# The default server is the first section; the password comes from a
# command, and has a space, a quote and an @ (LOGIN carries it).
send_password_command() {
	inbox user2 >"$D/before"
	n=$(wc -l <"$D/before")
	"$MAILSIFT" send -c "$C" --smtp user3 --to "$MSX_USER2_ADDR" \
	    --subject 'from user3' --text "$F/body.txt" || return 1
	msg=$(arrived user2 "$D/before" $((n + 1))) || return 1
	parse_check "$msg" 'from user3' "$F/body.txt" -
}

send_xoauth2() {
	inbox user2 >"$D/before"
	n=$(wc -l <"$D/before")
	"$MAILSIFT" send -c "$C" --smtp oauth --to "$MSX_USER2_ADDR" \
	    --subject 'with a token' --text "$F/body.txt" || return 1
	msg=$(arrived user2 "$D/before" $((n + 1))) || return 1
	parse_check "$msg" 'with a token' "$F/body.txt" -
}

# expect_fail STATUS PATTERN ARGS...: mailsift send exits STATUS and
# says PATTERN (grep -E) on stderr.
expect_fail() {
	want=$1 pattern=$2
	shift 2
	"$MAILSIFT" send -c "$C" "$@" >"$D/out" 2>"$D/err"
	rc=$?
	cat "$D/err"
	[ "$rc" -eq "$want" ] || { echo "exit $rc, want $want"; return 1; }
	grep -Eq -- "$pattern" "$D/err" ||
	    { echo "stderr lacks /$pattern/"; return 1; }
	! grep -q -- "$MSX_USER1_PASS" "$D/err" "$D/out" ||
	    { echo "the password was shown"; return 1; }
}

wrong_password() {
	expect_fail 1 "smtp 'wrongpass' $MSX_HOST:$MSX_SUBMISSION_PORT: AUTH PLAIN: server said \"535 .*check user" \
	    --smtp wrongpass --to "$MSX_USER2_ADDR" --subject x \
	    --text "$F/body.txt"
}

relay_refused() {
	expect_fail 1 "RCPT TO:<someone@example.org>: server said \"5[0-9][0-9] " \
	    --smtp submission --to someone@example.org --subject x \
	    --text "$F/body.txt"
}

# One recipient refused, one accepted: the accepted one gets it, and the
# refusal is reported.
relay_partial() {
	inbox user3 >"$D/before"
	n=$(wc -l <"$D/before")
	expect_fail 1 "1 of 2 recipients got the message" \
	    --smtp submission --to someone@example.org \
	    --cc "$MSX_USER3_ADDR" --subject partial \
	    --text "$F/body.txt" || return 1
	grep -q "someone@example.org: permanent failure: 5" "$D/err" ||
	    return 1
	arrived user3 "$D/before" $((n + 1)) >/dev/null
}

nobody_listening() {
	expect_fail 75 "cannot connect" --smtp nobody \
	    --to "$MSX_USER2_ADDR" --subject x --text "$F/body.txt"
}

wrong_ca() {
	expect_fail 75 "TLS failed" --smtp otherca \
	    --to "$MSX_USER2_ADDR" --subject x --text "$F/body.txt"
}

header_injection() {
	inbox user2 >"$D/before"
	expect_fail 1 "line break" --smtp submission --to "$MSX_USER2_ADDR" \
	    --subject "$(printf 'hi\nBcc: %s' "$MSX_USER3_ADDR")" \
	    --text "$F/body.txt" || return 1
	inbox user2 >"$D/after"
	cmp -s "$D/before" "$D/after" || { echo "something was sent"; return 1; }
}

trace_redacted() {
	"$MAILSIFT" send -c "$C" --smtp submission -v -v \
	    --to "$MSX_USER2_ADDR" --subject traced --text "$F/body.txt" \
	    2>"$D/trace" || { cat "$D/trace"; return 1; }
	grep -q "AUTH PLAIN <secret redacted>" "$D/trace" ||
	    { cat "$D/trace"; return 1; }
	grep -q "STARTTLS" "$D/trace" || return 1
	! grep -q -- "$MSX_USER1_PASS" "$D/trace"
}

dry_run() {
	"$MAILSIFT" send --from "$MSX_USER1_ADDR" --to "$MSX_USER2_ADDR" \
	    --subject 'dry' --text "$F/body.txt" \
	    --attach "$F/Grüße – Bericht für März 2024 (endgültig).pdf" \
	    -o "$D/dry.eml" || return 1
	parse_check "$D/dry.eml" dry "$F/body.txt" - \
	    "$F/Grüße – Bericht für März 2024 (endgültig).pdf"
}

# --- sendmail -t: no account, --raw ---------------------------------

# An smtp section and nothing else: all that sending needs.
write_smtp_only() {
	cat >"$D/smtp-only.conf" <<-EOF
	smtp submission {
	  host = "$MSX_HOST"
	  port = $MSX_SUBMISSION_PORT
	  tls = starttls
	  tls-ca-file = "$MSX_CA"
	  user = "$MSX_USER1"
	  password = "$MSX_USER1_PASS"
	  from = "$MSX_USER1_ADDR"
	}
	EOF
	chmod 600 "$D/smtp-only.conf"
	S=$D/smtp-only.conf
}

send_smtp_only() {
	inbox user2 >"$D/before"
	n=$(wc -l <"$D/before")
	"$MAILSIFT" send -c "$S" --to "$MSX_USER2_ADDR" \
	    --subject 'no account' --text "$F/body.txt" || return 1
	msg=$(arrived user2 "$D/before" $((n + 1))) || return 1
	parse_check "$msg" 'no account' "$F/body.txt" -
}

# run needs an account and says so, as before.
run_refuses_smtp_only() {
	if "$MAILSIFT" run -c "$S" --once >"$D/out" 2>&1; then
		echo "run accepted a configuration without an account"
		return 1
	fi
	cat "$D/out"
	grep -q "no account is configured; add an account NAME" "$D/out"
}

# raw_write FILE TOKEN TO CC BCC: a message as cron hands it to
# sendmail -t, CRLF, with a line that is only a dot and one that starts
# with one; an empty CC or BCC leaves that field out.
raw_write() {
	{
		printf 'From: Cron Daemon <%s>\r\n' "$MSX_USER1_ADDR"
		printf 'To: %s\r\n' "$3"
		[ -z "$4" ] || printf 'Cc: Third <%s>\r\n' "$4"
		[ -z "$5" ] || printf 'Bcc: %s\r\n' "$5"
		printf 'Subject: cron output %s\r\nX-Raw-Token: %s\r\n' "$2" "$2"
		printf 'MIME-Version: 1.0\r\n\r\nline one\r\n.\r\n.dot\r\n'
		printf 'Bcc: not a field in the body\r\nGr\303\274\303\237e\r\n'
	} >"$1"
}

# raw_same DELIVERED ORIGINAL: the delivered copy holds the original as
# it was, header lines in order (Postfix may add its own), body exact,
# no Bcc field.
raw_same() {
	python3 - "$1" "$2" <<-'EOF'
	import sys
	got = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
	orig = open(sys.argv[2], "rb").read().replace(b"\r\n", b"\n")
	oh, ob = orig.split(b"\n\n", 1)
	gh, gb = got.split(b"\n\n", 1)
	if gb != ob:
	    sys.exit("the body differs: %r" % gb[:200])
	glines = gh.split(b"\n")
	if any(l.lower().startswith(b"bcc:") for l in glines):
	    sys.exit("a Bcc field was delivered")
	want = [l for l in oh.split(b"\n") if not l.lower().startswith(b"bcc:")]
	i = 0
	for l in glines:
	    if i < len(want) and l == want[i]:
	        i += 1
	if i != len(want):
	    sys.exit("header line missing or moved: %r" % want[i])
	EOF
}

# --raw with --to: only --to counts (the message's To is outside and
# would be refused: exit 0 shows it was not used); Bcc goes anyway.
raw_to() {
	raw_write "$D/raw-to.eml" rawto someone@example.org "" \
	    someone-else@example.org
	inbox user2 >"$D/before"
	n=$(wc -l <"$D/before")
	"$MAILSIFT" send -c "$S" --raw "$D/raw-to.eml" \
	    --to "$MSX_USER2_ADDR" || return 1
	msg=$(arrived user2 "$D/before" $((n + 1))) || return 1
	raw_same "$msg" "$D/raw-to.eml"
}

# -t: To, Cc and Bcc all get it; no copy shows the Bcc.
raw_extract() {
	raw_write "$D/raw-t.eml" rawt "$MSX_USER2_ADDR" "$MSX_USER3_ADDR" \
	    "$MSX_USER1_ADDR"
	for u in user1 user2 user3; do
		inbox $u >"$D/before-$u"
	done
	"$MAILSIFT" send -c "$S" --raw "$D/raw-t.eml" -t || return 1
	for u in user1 user2 user3; do
		n=$(wc -l <"$D/before-$u")
		msg=$(arrived $u "$D/before-$u" $((n + 1))) || return 1
		[ -n "$msg" ] || { echo "nothing arrived for $u"; return 1; }
		grep -q "^X-Raw-Token: rawt" "$msg" ||
		    { echo "$u got another message"; return 1; }
		raw_same "$msg" "$D/raw-t.eml" || { echo "($u)"; return 1; }
	done
}

raw_no_recipient() {
	raw_write "$D/raw-none.eml" rawnone 'undisclosed-recipients:;' "" ""
	"$MAILSIFT" send -c "$S" --raw "$D/raw-none.eml" -t >"$D/out" \
	    2>"$D/err"
	rc=$?
	cat "$D/err"
	[ "$rc" -eq 1 ] || { echo "exit $rc, want 1"; return 1; }
	grep -q "no recipient: the message has no address in To, Cc or Bcc" \
	    "$D/err"
}

# From stdin: --raw - with --to, and -t alone (as sendmail -t reads it).
raw_stdin() {
	raw_write "$D/raw-in.eml" rawin someone@example.org "" ""
	inbox user2 >"$D/before"
	n=$(wc -l <"$D/before")
	"$MAILSIFT" send -c "$S" --raw - --to "$MSX_USER2_ADDR" \
	    <"$D/raw-in.eml" || return 1
	msg=$(arrived user2 "$D/before" $((n + 1))) || return 1
	raw_same "$msg" "$D/raw-in.eml" || return 1
	raw_write "$D/raw-in2.eml" rawin2 "$MSX_USER3_ADDR" "" ""
	inbox user3 >"$D/before"
	n=$(wc -l <"$D/before")
	"$MAILSIFT" send -c "$S" -t <"$D/raw-in2.eml" || return 1
	msg=$(arrived user3 "$D/before" $((n + 1))) || return 1
	raw_same "$msg" "$D/raw-in2.eml"
}

# --- run ------------------------------------------------------------

"$MAILSIFT" send --help >/dev/null 2>&1 || {
	echo "not ok - $MAILSIFT has no send command (daemon/main.c)"
	fail=1
	finish
}
D=$(mktemp -d /tmp/msxsend.XXXXXX)
if ! servers start "$D" >"$D/start.out" 2>&1; then
	echo "not ok - servers start"
	sed 's/^/#   /' "$D/start.out"
	fail=$((fail + 1))
	finish
fi
eval "$(servers env "$D")"
write_config
write_files

check "submission: STARTTLS, AUTH, text+HTML+attachments arrive exact" \
    send_submission
check "smtps: implicit TLS, the message arrives exact" send_smtps
check "password-command and AUTH LOGIN with a hard password" \
    send_password_command
check "AUTH XOAUTH2 with a token" send_xoauth2
check "wrong password: permanent, names server, command and reply" \
    wrong_password
check "relay to an outside domain: refused, exit 1" relay_refused
check "one recipient refused: the other gets it, exit 1" relay_partial
check "nothing listening: temporary failure, exit 75" nobody_listening
check "certificate from another CA: temporary failure, exit 75" wrong_ca
check "a line break in the subject: refused, nothing sent" \
    header_injection
check "the protocol trace never shows the password" trace_redacted
check "-o FILE writes the message instead of sending it" dry_run
write_smtp_only
check "a configuration with only an smtp section sends" send_smtp_only
check "... and run still refuses it: no account" run_refuses_smtp_only
check "--raw FILE --to: sent as it is to --to only, Bcc removed" raw_to
check "--raw -t: To, Cc and Bcc get it, no copy shows the Bcc" \
    raw_extract
check "-t with no recipient at all: a clear error, exit 1" \
    raw_no_recipient
check "--raw - and -t read the message from stdin" raw_stdin
finish

#!/bin/sh
# SPDX-License-Identifier: ISC
# Cyrus IMAP 3.6 from Debian's packages (issue 12): the harness first
# (it starts, IMAP/IMAPS/POP3/POP3S/LMTP answer with the test CA's
# certificate and real passwords, LMTP delivery lands in the mailbox,
# `stop` leaves no process), then mailsift against it: the generic
# tests/integration/interop.py and test_cyrus.py's IDLE woken by LMTP.
# Cyrus comes unpacked (contrib/install-deps-interop.sh, run here if its
# tree is missing) and runs through servers-cyrus.sh.
# Ends with "cyrus: N passed, N failed".  MSX_KEEP=1 keeps the directory.
# shellcheck disable=SC2317  # cleanup runs from the trap
set -u
cd "$(dirname "$0")/../.." || exit 1
H=tests/integration/servers-cyrus.sh
passed=0
failed=0

check() {
	if [ "$1" -eq 0 ]; then
		echo "ok - $2"
		passed=$((passed + 1))
	else
		echo "not ok - $2"
		failed=$((failed + 1))
	fi
}

finish() {
	echo "cyrus: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

[ -x ./mailsift ] || { check 1 "./mailsift is built (run make)"; finish; }
sh contrib/install-deps-interop.sh cyrus >&2 ||
    { check 1 "Cyrus's packages are fetched and unpacked"; finish; }
D=$(mktemp -d /tmp/msy.XXXXXX)
cleanup() {
	sh "$H" stop "$D" >/dev/null 2>&1
	if [ "${MSX_KEEP:-0}" = 1 ]; then
		echo "# kept $D" >&2
	else
		rm -rf "$D"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if ! sh "$H" start "$D" >"$D/start.out" 2>&1; then
	sed 's/^/# /' "$D/start.out"
	check 1 "Cyrus starts"
	finish
fi
check 0 "Cyrus starts"
sed -n 's/^ready in/# Cyrus ready in/p' "$D/start.log"
eval "$(sh "$H" env "$D")"

# Each service answers: greeting, TLS verified against MSX_CA for
# MSX_TLS_NAME, the right password in and a wrong one out; LMTP's
# delivery is then in user1's INBOX as Cyrus stores it.
{
python3 - <<'EOF'
import imaplib, os, poplib, smtplib, ssl, sys
E = os.environ
host, ca = E["MSX_TLS_NAME"], E["MSX_CA"]
u, pw = E["MSX_IX_USER1"], E["MSX_IX_USER1_PASS"]
ctx = ssl.create_default_context(cafile=ca)


def say(ok, desc, why=""):
    print(("ok - " if ok else "not ok - ") + desc)
    if not ok:
        print("#   %s" % why)
    sys.stdout.flush()


def attempt(desc, fn):
    try:
        say(fn(), desc, "returned false")
    except Exception as e:
        say(False, desc, repr(e))


def imap_plain():
    c = imaplib.IMAP4(host, int(E["MSX_IX_IMAP_PORT"]))
    c.starttls(ctx)
    ok = c.login(u, pw)[0] == "OK"
    ns = c.namespace()[1][0]
    c.logout()
    return ok and ns.startswith(b'(("INBOX." "."))')


def imaps():
    c = imaplib.IMAP4_SSL(host, int(E["MSX_IX_IMAPS_PORT"]),
                          ssl_context=ctx)
    ok = c.login(u, pw)[0] == "OK"
    c.logout()
    return ok


def imaps_wrong_password():
    c = imaplib.IMAP4_SSL(host, int(E["MSX_IX_IMAPS_PORT"]),
                          ssl_context=ctx)
    try:
        c.login(u, pw + "x")
    except imaplib.IMAP4.error:
        return True
    return False


def pop3_stls():
    p = poplib.POP3(host, int(E["MSX_IX_POP3_PORT"]))
    p.stls(ctx)
    p.user(u)
    ok = p.pass_(pw).startswith(b"+OK")
    p.quit()
    return ok


def pop3s():
    p = poplib.POP3_SSL(host, int(E["MSX_IX_POP3S_PORT"]), context=ctx)
    p.user(E["MSX_IX_USER2"])
    ok = p.pass_(E["MSX_IX_USER2_PASS"]).startswith(b"+OK")
    p.quit()
    return ok


def lmtp():
    msg = (b"From: a@example.test\r\nSubject: harness lmtp\r\n"
           b"Message-ID: <harness@example.test>\r\n\r\nvia LMTP\r\n")
    c = smtplib.LMTP(E["MSX_CYRUS_LMTP"])
    refused = c.sendmail("a@example.test", [u], msg)
    c.quit()
    c = imaplib.IMAP4_SSL(host, int(E["MSX_IX_IMAPS_PORT"]),
                          ssl_context=ctx)
    c.login(u, pw)
    c.select("INBOX", readonly=True)
    typ, data = c.search(None, "SUBJECT", '"harness lmtp"')
    c.logout()
    return refused == {} and typ == "OK" and len(data[0].split()) == 1


attempt("IMAP STARTTLS: verified, user1 logs in, namespace INBOX. '.'",
        imap_plain)
attempt("IMAPS: verified, user1 logs in", imaps)
attempt("IMAPS: a wrong password is refused", imaps_wrong_password)
attempt("POP3 STLS: verified, user1 logs in", pop3_stls)
attempt("POP3S: verified, user2 logs in", pop3s)
attempt("LMTP (unix socket): delivery lands in user1's INBOX", lmtp)
EOF
} >"$D/harness.out" 2>&1
cat "$D/harness.out"
passed=$((passed + $(grep -c '^ok - ' "$D/harness.out")))
failed=$((failed + $(grep -c '^not ok - ' "$D/harness.out")))

# The Python suites: their own summary lines become comments, their
# counts go into ours.
suite() {
	python3 "$@" >"$D/suite.out" 2>&1
	rc=$?
	sed -E 's/^([a-z0-9-]+: [0-9]+ passed, [0-9]+ failed)$/# \1/' \
	    "$D/suite.out"
	p=$(grep -c '^ok - ' "$D/suite.out")
	f=$(grep -c '^not ok - ' "$D/suite.out")
	# A crash before any "not ok" still counts as a failure.
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	passed=$((passed + p))
	failed=$((failed + f))
}
# interop.py, then what it lacks: IDLE woken by an LMTP delivery.
suite tests/integration/interop.py
suite tests/integration/test_cyrus.py

sh "$H" stop "$D" >"$D/stop.out" 2>&1
check $? "stop: every port closed"
left=0
for f in /proc/[0-9]*/ns/mnt; do
	[ "$(readlink "$f" 2>/dev/null)" = "$(cat "$D/mntns")" ] &&
	    left=$((left + 1))
done
check "$left" "stop: no process left in Cyrus's namespace"
! python3 -c "import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except OSError:
    sys.exit(1)" "$D/run/lmtp"
check $? "stop: LMTP no longer answers"
finish

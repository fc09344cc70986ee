#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_courier.py - `mailsift run` against the Courier-IMAP and
Courier-POP3 of servers-courier.sh (issue 12).

Started by test-courier.sh once the servers are up, with their MSX_*
variables in the environment.  Mail is loaded by writing it into the
user's Maildir/new as the mail user (Courier has no delivery agent
here); messages are compared by SHA-256 after CRLF -> LF against the
copies Courier holds on disk.  One line per check ("ok - ..." /
"not ok - ..."), then "courier: N passed, N failed".
"""
import hashlib
import imaplib
import os
import re
import ssl
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
MAILSIFT = os.path.join(TOP, "mailsift")
E = os.environ
D = E["MSX_DIR"]
W = os.path.join(D, "courier-tests")
MAIL_UID = MAIL_GID = 8

PASS = {u: E["MSX_%s_PASS" % u.upper()] for u in ("user1", "user2")}
MODES = {
    # name: (type, tls, port)
    "imap-starttls": ("imap", "starttls", E["MSX_COURIER_IMAP_PORT"]),
    "imaps": ("imap", "implicit", E["MSX_COURIER_IMAPS_PORT"]),
    "pop3-stls": ("pop3", "starttls", E["MSX_COURIER_POP3_PORT"]),
    "pop3s": ("pop3", "implicit", E["MSX_COURIER_POP3S_PORT"]),
}

counts = {"passed": 0, "failed": 0}


def check(ok, desc, detail=""):
    if ok:
        print("ok - " + desc)
        counts["passed"] += 1
    else:
        print("not ok - " + desc)
        for line in str(detail).splitlines()[-25:]:
            print("#   " + line)
        counts["failed"] += 1
    sys.stdout.flush()
    return ok


def mailsift(*args, timeout=120):
    p = subprocess.run([MAILSIFT] + list(args), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def run_once(conf):
    return mailsift("run", "-c", conf, "--once")


def stats(out, name):
    m = re.search(r"\]: %s: fetched (\d+), delivered (\d+), skipped (\d+), "
                  r"errors (\d+)" % re.escape(name), out)
    if m is None:
        return None
    return dict(zip(("fetched", "delivered", "skipped", "errors"),
                    map(int, m.groups())))


def quote(v):
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"


def account(sdir, name, mode, user, **opts):
    kind, tls, port = MODES[mode]
    o = {"type": kind, "host": "localhost", "port": port, "tls": tls,
         "tls-ca-file": E["MSX_CA"], "user": user, "password": PASS[user],
         "deliver": "maildir:" + os.path.join(sdir, name)}
    for k, v in opts.items():
        o[k.replace("_", "-")] = v
    body = ""
    for k, v in o.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif k not in ("type", "tls", "port"):
            v = quote(v)
        body += "\t%s = %s\n" % (k, v)
    return "account %s {\n%s}\n" % (quote(name), body)


def write_conf(sdir, accounts):
    path = os.path.join(sdir, "mailsift.conf")
    with open(path, "w") as f:
        f.write("state = %s\n" % quote(os.path.join(sdir, "state.db")))
        f.write("".join(accounts))
    os.chmod(path, 0o600)
    return path


def scenario(name):
    sdir = os.path.join(W, name)
    os.makedirs(sdir)
    return sdir


# --- the server's side ----------------------------------------------

def maildir(user):
    return E["MSX_%s_MAILDIR" % user.upper()]


def files(path):
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(path, sub)
        if os.path.isdir(d):
            out += [os.path.join(d, n) for n in sorted(os.listdir(d))]
    return out


def contents(path):
    out = []
    for f in files(path):
        with open(f, "rb") as fp:
            out.append(fp.read())
    return out


def clear(user):
    for f in files(maildir(user)):
        os.unlink(f)


_loaded = [0]


def load(user, msgs):
    """Deliver as a local MDA would: tmp/, then a rename into new/."""
    md = maildir(user)
    for m in msgs:
        _loaded[0] += 1
        name = "%d.M%dP%d.msx" % (int(time.time()), _loaded[0], os.getpid())
        tmp = os.path.join(md, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(m)
        os.chown(tmp, MAIL_UID, MAIL_GID)
        os.rename(tmp, os.path.join(md, "new", name))


def select_once(user):
    """Open INBOX read-write once, as a mail client would: only then does
    Courier-IMAP write its courierimapuiddb (see test_uidvalidity)."""
    ctx = ssl.create_default_context(cafile=E["MSX_CA"])
    c = imaplib.IMAP4_SSL("localhost", int(E["MSX_COURIER_IMAPS_PORT"]),
                          ssl_context=ctx)
    c.login(user, PASS[user])
    typ, _ = c.select("INBOX")
    c.logout()
    return typ == "OK"


def digest(data):
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def same(got, want):
    g = sorted(digest(x) for x in got)
    w = sorted(digest(x) for x in want)
    if g == w and want:
        return True, ""
    return False, "got %d, want %d messages (or different bytes)" % (
        len(g), len(w))


_msgno = [0]


def message(subject, body=b"", headers=b""):
    _msgno[0] += 1
    mid = b"<%d.%d@courier.example.test>" % (_msgno[0], os.getpid())
    return (b"From: Test Sender <sender@example.test>\n"
            b"To: user@example.test\n"
            b"Date: Mon, 03 Jun 2024 10:00:00 +0000\n"
            b"Subject: " + subject + b"\n"
            b"Message-ID: " + mid + b"\n" + headers + b"\n" + body)


def ascii_messages():
    """ASCII headers only: Courier POP3 substitutes messages whose headers
    hold raw UTF-8 unless the client sends UTF8 (see test_utf8_pop3)."""
    return [
        message(b"plain", b"hello\n"),
        message(b"dots", b".\n..\n.leading dot\n...\nlast line\n"),
        message(b"From lines", b"From the first line\n>From quoted\n"),
        message(b"long", b"x" * 20000 + b"\n" + b"line\n" * 500),
        message(b"no body"),
    ]


# --- scenarios -------------------------------------------------------

def test_protocols():
    """Byte-identical delivery over each TLS flavour; a second run
    fetches nothing; keep yes leaves mail, keep no deletes it.  INBOX is
    opened read-write first, as a user's mail client would have (see
    test_uidvalidity for why)."""
    for mode, keep in (("imap-starttls", True), ("imaps", False),
                       ("pop3-stls", True), ("pop3s", False)):
        clear("user1")
        load("user1", ascii_messages())
        select_once("user1")
        want = contents(maildir("user1"))
        sdir = scenario(mode)
        conf = write_conf(sdir, [account(sdir, "a", mode, "user1",
                                         keep=keep)])
        rc, out = run_once(conf)
        got = contents(os.path.join(sdir, "a"))
        ok, why = same(got, want)
        check(rc == 0 and ok, "%s: %d messages delivered byte-identical"
              % (mode, len(want)), why + "\n" + out)
        left = contents(maildir("user1"))
        if keep:
            check(same(left, want)[0], "%s: keep = yes leaves all %d on "
                  "the server" % (mode, len(want)), "%d left" % len(left))
        else:
            check(left == [] and ok, "%s: keep = no: the server copies "
                  "are gone" % mode, "%d left on the server" % len(left))
        rc, out = run_once(conf)
        s = stats(out, "a")
        check(rc == 0 and s is not None and s["fetched"] == 0 and
              len(contents(os.path.join(sdir, "a"))) == len(want),
              "%s: a second run fetches nothing" % mode, out)


def test_uidvalidity():
    """Courier-IMAP on a Maildir no session has SELECTed yet answers
    EXAMINE with a UIDVALIDITY made from the clock and saves nothing, so
    each read-only session (mailsift's, with keep = yes) may see a new
    one.  What must hold: nothing is delivered twice.  That the second
    run fetches nothing at all is reported as "# xfail"/"# xpass", not
    counted (it holds when both runs fall in the same second)."""
    clear("user1")
    md = maildir("user1")
    for f in ("courierimapuiddb",):
        if os.path.exists(os.path.join(md, f)):
            os.unlink(os.path.join(md, f))
    load("user1", ascii_messages())
    want = contents(md)
    sdir = scenario("uidvalidity")
    conf = write_conf(sdir, [account(sdir, "a", "imaps", "user1",
                                     keep=True)])
    rc1, out1 = run_once(conf)
    time.sleep(1.1)     # a second later: the clock-made UIDVALIDITY moves
    rc2, out2 = run_once(conf)
    ok, why = same(contents(os.path.join(sdir, "a")), want)
    s = stats(out2, "a")
    check(rc1 == 0 and rc2 == 0 and ok and s is not None and
          s["delivered"] == 0,
          "imaps, keep = yes, a never-SELECTed INBOX: two runs deliver "
          "each message exactly once", why + "\n" + out1 + out2)
    print("# %s - imaps, keep = yes, a never-SELECTed INBOX: the second "
          "run fetches nothing (known: Courier's EXAMINE-only "
          "UIDVALIDITY; not counted)"
          % ("xpass" if s is not None and s["fetched"] == 0 else "xfail"))
    sys.stdout.flush()


def test_wrong_ca():
    clear("user1")
    load("user1", [message(b"tls")])
    for mode in MODES:
        sdir = scenario("other-ca-" + mode)
        conf = write_conf(sdir, [account(sdir, "a", mode, "user1",
                                         tls_ca_file=E["MSX_OTHER_CA"])])
        rc, out = run_once(conf)
        got = contents(os.path.join(sdir, "a"))
        port = MODES[mode][2]
        check(rc != 0 and got == [] and "localhost:%s" % port in out and
              "verification failed" in out,
              "%s, a certificate from the wrong CA: refused" % mode, out)
    check(len(contents(maildir("user1"))) == 1,
          "the refused runs left the mail on the server")


def test_utf8_pop3():
    """Courier-POP3 offers UTF8 (RFC 6856) and, to a client that does not
    send it, serves its "Cannot display Unicode content" notice instead
    of a message with raw UTF-8 headers; mailsift sends UTF8, so the
    message arrives as stored."""
    clear("user1")
    load("user1", [message("Grüße ☃".encode(), "Grüße\n".encode(),
                           "X-Note: naïve\n".encode())])
    want = contents(maildir("user1"))
    sdir = scenario("utf8-pop3")
    conf = write_conf(sdir, [account(sdir, "a", "pop3s", "user1",
                                     keep=True)])
    rc, out = run_once(conf)
    ok, why = same(contents(os.path.join(sdir, "a")), want)
    check(rc == 0 and ok, "pop3s: a message with raw UTF-8 headers "
          "delivered byte-identical (POP3 UTF8)", why + "\n" + out)
    sys.stdout.flush()


def main():
    os.makedirs(W)
    tests = [test_protocols, test_uidvalidity, test_wrong_ca,
             test_utf8_pop3]
    only = sys.argv[1:]
    for t in tests:
        if only and t.__name__ not in only:
            continue
        t0 = time.monotonic()
        try:
            t()
        except Exception:
            check(False, "%s ran to its end" % t.__name__,
                  traceback.format_exc())
        print("# %s: %.1f s" % (t.__name__, time.monotonic() - t0))
    print("courier: %d passed, %d failed" % (counts["passed"],
                                             counts["failed"]))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_cyrus.py - `mailsift run` against the Cyrus IMAP 3.6 of
servers-cyrus.sh (issue 12), for what the generic interop suite
(interop.py, which test-cyrus.sh runs first: TLS modes, wrong CA,
rules' moves in the "INBOX." namespace, IDLE woken by an APPEND) does
not cover: IDLE woken by an LMTP delivery, the message arriving as
lmtpd stored it.

Started by test-cyrus.sh with the servers' MSX_* variables in the
environment.  Mail goes in through the harness (`load`: IMAP APPEND) and
LMTP; the server's copies are read back over IMAP and compared by
SHA-256 after CRLF -> LF.  One line per check, then
"cyrus: N passed, N failed" (test-cyrus.sh adds its own and prints the
total).
"""
import hashlib
import imaplib
import json
import os
import smtplib
import ssl
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
MAILSIFT = os.path.join(TOP, "mailsift")
HARNESS = os.path.join(HERE, "servers-cyrus.sh")
E = os.environ
D = E["MSX_DIR"]
W = os.path.join(D, "cyrus-tests")

USER = E["MSX_IX_USER1"]
PASS = E["MSX_IX_USER1_PASS"]
MODES = {
    # name: (type, tls, port)
    "imaps": ("imap", "implicit", E["MSX_IX_IMAPS_PORT"]),
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


def quote(v):
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"


def account(sdir, name, mode, **opts):
    kind, tls, port = MODES[mode]
    o = {"type": kind, "host": E["MSX_TLS_NAME"], "port": port, "tls": tls,
         "tls-ca-file": E["MSX_CA"], "user": USER, "password": PASS,
         "deliver": "maildir:" + os.path.join(sdir, name)}
    for k, v in opts.items():
        o[k.replace("_", "-")] = v
    body = ""
    for k, v in o.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif k not in ("type", "tls", "port", "poll"):
            v = quote(v)
        body += "\t%s = %s\n" % (k, v)
    return "account %s {\n%s}\n" % (quote(name), body)


def write_conf(sdir, accounts, top=""):
    path = os.path.join(sdir, "mailsift.conf")
    with open(path, "w") as f:
        f.write("state = %s\n" % quote(os.path.join(sdir, "state.db")))
        f.write(top + "".join(accounts))
    os.chmod(path, 0o600)
    return path


def scenario(name):
    sdir = os.path.join(W, name)
    os.makedirs(sdir)
    return sdir


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


# --- the server's side ----------------------------------------------

def imap():
    ctx = ssl.create_default_context(cafile=E["MSX_CA"])
    c = imaplib.IMAP4_SSL(E["MSX_TLS_NAME"], int(E["MSX_IX_IMAPS_PORT"]),
                          ssl_context=ctx)
    c.login(USER, PASS)
    return c


def server_messages(folder="INBOX"):
    """The bytes Cyrus holds in FOLDER, or None if it does not exist."""
    c = imap()
    try:
        typ, _ = c.select(folder, readonly=True)
        if typ != "OK":
            return None
        typ, data = c.fetch("1:*", "(BODY.PEEK[])")
        if typ != "OK":
            return []
        return [x[1] for x in data if isinstance(x, tuple)]
    finally:
        c.logout()


def clear(folder="INBOX"):
    c = imap()
    try:
        c.select(folder)
        c.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
        c.expunge()
    finally:
        c.logout()


def load(folder, msgs):
    paths = []
    for i, m in enumerate(msgs):
        p = os.path.join(W, "load-%d.eml" % i)
        with open(p, "wb") as f:
            f.write(m)
        paths.append(p)
    subprocess.run(["sh", HARNESS, "load", D, USER, folder] + paths,
                   check=True, capture_output=True)


def lmtp(msg):
    c = smtplib.LMTP(E["MSX_CYRUS_LMTP"])
    try:
        refused = c.sendmail("sender@example.test", [USER], msg)
    finally:
        c.quit()
    return refused == {}


def digest(data):
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


_msgno = [0]


def message(subject, body=b"", headers=b""):
    _msgno[0] += 1
    mid = b"<%d.%d@cyrus.example.test>" % (_msgno[0], os.getpid())
    return (b"From: Test Sender <sender@example.test>\r\n"
            b"To: user1@example.test\r\n"
            b"Date: Mon, 03 Jun 2024 10:00:00 +0000\r\n"
            b"Subject: " + subject + b"\r\n"
            b"Message-ID: " + mid + b"\r\n" + headers + b"\r\n" + body)


# --- scenarios -------------------------------------------------------

def wait_files(path, n, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if len(files(path)) >= n:
            return True
        time.sleep(0.1)
    return len(files(path)) >= n


def wait_idle(conf, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        p = subprocess.run([MAILSIFT, "status", "-c", conf, "--json"],
                           stdin=subprocess.DEVNULL, capture_output=True)
        try:
            a = json.loads(p.stdout)["accounts"][0]
            if a["state"] == "idle-waiting" and a["phase"] == "idle":
                return True
        except (ValueError, KeyError, IndexError):
            pass
        time.sleep(0.2)
    return False


def test_idle():
    """The daemon waits in IDLE (poll is an hour); an LMTP delivery wakes
    it and the message arrives."""
    clear()
    load("INBOX", [message(b"before idle")])
    sdir = scenario("idle")
    conf = write_conf(sdir, [account(sdir, "a", "imaps", idle=True)],
                      top="poll = 3600\n")
    log = open(os.path.join(sdir, "log"), "wb")
    p = subprocess.Popen([MAILSIFT, "run", "-c", conf],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        md = os.path.join(sdir, "a")
        check(wait_files(md, 1, 30), "idle: the first round delivers")
        check(wait_idle(conf, 30), "idle: status says idle-waiting")
        new = message(b"during idle", b"wake up\r\n")
        check(lmtp(new), "idle: LMTP accepts a message for user1")
        got = wait_files(md, 2, 30)
        with open(os.path.join(sdir, "log"), "rb") as f:
            text = f.read().decode("utf-8", "replace")
        # As stored: lmtpd adds Return-Path and Received.
        stored = [x for x in server_messages() if b"during idle" in x]
        check(got and len(stored) == 1 and
              any(digest(x) == digest(stored[0]) for x in contents(md)),
              "idle: the LMTP delivery arrives while mailsift waits in "
              "IDLE (poll is an hour)", text)
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.close()


def main():
    os.makedirs(W)
    tests = [test_idle]
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
    print("cyrus-mailsift: %d passed, %d failed" % (counts["passed"],
                                                   counts["failed"]))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())

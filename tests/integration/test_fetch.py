#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
test_fetch.py - `mailsift run` against the real Dovecot of servers.sh.

Started by test-fetch.sh once the servers are up, with their MSX_*
variables in the environment.  Each scenario reads like a user's
session: clear the mailbox, load mail, write a configuration, run
mailsift, look at the Maildir, the server and the state.  Messages are
compared by SHA-256 after CRLF -> LF against the copies Dovecot holds on
disk.  One line per check ("ok - ..." / "not ok - ..."), then
"fetch: N passed, N failed".  FETCH_SEED changes the seeded mail and the
kill points of the crash test.
"""
import base64
import hashlib
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
import traceback

from crashkit import SlowLink, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
MAILSIFT = os.path.join(TOP, "mailsift")
SERVERS = os.path.join(HERE, "servers.sh")
GEN_CORPUS = os.path.join(TOP, "tests", "corpus", "gen-corpus.py")
E = os.environ
D = E["MSX_DIR"]
W = os.path.join(D, "fetch")
SEED = int(E.get("FETCH_SEED", "20240603"))
CRASH_MESSAGES = 500
CRASH_KILLS = 30

USERS = ("user1", "user2", "user3")
PASS = {u: E["MSX_%s_PASS" % u.upper()] for u in USERS}
MODES = {
    # name: (type, tls, port)
    "imap-starttls": ("imap", "starttls", E["MSX_IMAP_PORT"]),
    "imaps": ("imap", "implicit", E["MSX_IMAPS_PORT"]),
    "pop3-stls": ("pop3", "starttls", E["MSX_POP3_PORT"]),
    "pop3s": ("pop3", "implicit", E["MSX_POP3S_PORT"]),
    "imap-plain": ("imap", "none", E["MSX_IMAP_PORT"]),
    "wronghost": ("imap", "implicit", E["MSX_WRONGHOST_PORT"]),
}

counts = {"passed": 0, "failed": 0}
LOGS = []       # every mailsift output, for the no-password check


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


# --- running mailsift ------------------------------------------------

def mailsift(*args, timeout=120):
    p = subprocess.run([MAILSIFT] + list(args), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    LOGS.append(out)
    return p.returncode, out


def run_once(conf, *extra):
    return mailsift("run", "-c", conf, "--once", *extra)


def stats(out, name):
    """The counters of the round's log line for account name."""
    m = re.search(r"\]: %s: fetched (\d+), delivered (\d+), skipped (\d+), "
                  r"errors (\d+)" % re.escape(name), out)
    if m is None:
        return None
    return dict(zip(("fetched", "delivered", "skipped", "errors"),
                    map(int, m.groups())))


def state_rows(state):
    """`mailsift state` as {(account, folder): {column: number}}."""
    rc, out = mailsift("state", "-s", state)
    rows = {}
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) >= 8 and all(x.isdigit() for x in f[3:8]):
            rows[(f[0], f[1])] = dict(zip(
                ("delivered", "skipped", "duplicate", "set_aside",
                 "pending"), map(int, f[3:8])))
    return rows


# --- configuration -----------------------------------------------------

def quote(v):
    """A libconfuse single-quoted string: nothing expands in it."""
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"


def value(key, v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int) or key in ("type", "tls", "auth"):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "{ " + ", ".join(quote(x) for x in v) + " }"
    return quote(v)


def account(sdir, name, mode, user, **opts):
    """An account on the test servers; options as keyword arguments with
    '_' for '-'; None drops an option."""
    kind, tls, port = MODES[mode]
    o = {"type": kind, "host": "localhost", "port": port, "tls": tls,
         "tls-ca-file": E["MSX_CA"], "user": user, "password": PASS[user],
         "deliver": "maildir:" + os.path.join(sdir, name)}
    if tls == "none":
        del o["tls-ca-file"]
    for k, v in opts.items():
        o[k.replace("_", "-")] = v
    body = "".join("\t%s = %s\n" % (k, value(k, v))
                   for k, v in o.items() if v is not None)
    return "account %s {\n%s}\n" % (quote(name), body)


def write_conf(sdir, accounts, extra=""):
    path = os.path.join(sdir, "mailsift.conf")
    with open(path, "w") as f:
        f.write("state = %s\n%s\n" % (quote(os.path.join(sdir, "state.db")),
                                       extra))
        f.write("".join(accounts))
    os.chmod(path, 0o600)
    return path


def scenario(name):
    sdir = os.path.join(W, name)
    os.makedirs(sdir)
    return sdir


# --- the server's side --------------------------------------------------

def doveadm(*args):
    p = subprocess.run(["doveadm", "-c", E["MSX_DOVECOT_CONF"]] + list(args),
                       capture_output=True, check=True, timeout=60)
    return p.stdout.decode("utf-8")


def clear(user):
    """Empty INBOX and delete every other folder."""
    names = [n for n in doveadm("mailbox", "list", "-u", user).splitlines()
             if n and n != "INBOX"]
    for n in sorted(names, key=len, reverse=True):
        doveadm("mailbox", "delete", "-s", "-u", user, n)
    doveadm("expunge", "-u", user, "mailbox", "INBOX", "all")


_loaded = [0]


def load(user, folder, msgs):
    files = []
    for m in msgs:
        _loaded[0] += 1
        path = os.path.join(W, "load", "%06d.eml" % _loaded[0])
        with open(path, "wb") as f:
            f.write(m)
        files.append(path)
    subprocess.run(["sh", SERVERS, "load", D, user, folder] + files,
                   check=True, timeout=300)


def mutf7(name):
    """RFC 3501 modified UTF-7, as Dovecot names folders on disk."""
    out, run = [], ""
    for ch in name + "\0":
        if " " <= ch <= "~" or ch == "\0":
            if run:
                b = base64.b64encode(run.encode("utf-16-be")).decode()
                out.append("&" + b.rstrip("=").replace("/", ",") + "-")
                run = ""
            if ch != "\0":
                out.append("&-" if ch == "&" else ch)
        else:
            run += ch
    return "".join(out)


def folder_dir(user, folder):
    md = E["MSX_%s_MAILDIR" % user.upper()]
    if folder == "INBOX":
        return md
    return os.path.join(md, "." + mutf7(folder).replace("/", "."))


def maildir_files(path, subdirs=("new", "cur")):
    files = []
    for sub in subdirs:
        d = os.path.join(path, sub)
        if os.path.isdir(d):
            files += [os.path.join(d, n) for n in sorted(os.listdir(d))]
    return files


def contents(path):
    out = []
    for f in maildir_files(path):
        with open(f, "rb") as fp:
            out.append(fp.read())
    return out


def server(user, folder="INBOX"):
    return contents(folder_dir(user, folder))


def unseen(user, folder="INBOX"):
    return len(doveadm("search", "-u", user, "mailbox", folder,
                       "unseen").splitlines())


def digest(data):
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def same(got, want):
    """(ok, detail): the same messages, each as often, byte for byte."""
    g = sorted(digest(x) for x in got)
    w = sorted(digest(x) for x in want)
    if g == w and want:
        return True, ""
    missing = [x for x in set(w) if w.count(x) > g.count(x)]
    extra = [x for x in set(g) if g.count(x) > w.count(x)]
    return False, "got %d, want %d; missing %s; extra or repeated %s" % (
        len(g), len(w), missing[:3], extra[:3])


# --- mail to load ----------------------------------------------------

_msgno = [0]


def message(subject, body=b"", headers=b""):
    _msgno[0] += 1
    mid = b"<%d.%d.%d@fetch.example.test>" % (_msgno[0], SEED, os.getpid())
    return (b"From: Test Sender <sender@example.test>\n"
            b"To: user@example.test\n"
            b"Date: Mon, 03 Jun 2024 10:00:00 +0000\n"
            b"Subject: " + subject.encode() + b"\n"
            b"Message-ID: " + mid + b"\n" + headers + b"\n" + body)


def filler(rng, size):
    """Seeded text of about size bytes, in lines of 60 to 70 chars."""
    words = ("mail", "sift", "fetch", "deliver", "crash", "safe", "Maildir",
             "state", "UID", "folder", "Grüße", "über", "naïve")
    lines, n = [], 0
    while n < size:
        line = " ".join(rng.choice(words) for _ in range(10))
        lines.append(line)
        n += len(line.encode()) + 1
    return ("\n".join(lines) + "\n").encode()


def edge_messages(unterminated=False):
    """Messages that trip up line handling: dot-stuffing, From_ lines,
    8-bit text and a long line, no body, and optionally one without a
    line end at the very end (IMAP only: POP3 must add one)."""
    msgs = [
        message("dots", b".\n..\n.leading dot\n...\nlast line\n"),
        message("From lines", b"From the first line\n>From quoted once\n"
                b">>From quoted twice\n From not at the start\nFromage\n"),
        message("8-bit ü", "Grüße, ☃ — ü\n".encode() +
                b"x" * 20000 + b"\n"),
        message("no body"),
    ]
    if unterminated:
        msgs.append(message("no final line end", b"last line, no LF"))
    return msgs


_corpus = {}


def corpus(seed, count):
    """count realistic messages from tests/corpus/gen-corpus.py."""
    if (seed, count) not in _corpus:
        out = os.path.join(W, "corpus-%d-%d" % (seed, count))
        subprocess.run([sys.executable, GEN_CORPUS, "--seed", str(seed),
                        "--count", str(count), "--small", out], check=True,
                       capture_output=True, timeout=300)
        msgs = []
        for n in sorted(os.listdir(out)):
            if n.endswith(".eml"):
                with open(os.path.join(out, n), "rb") as f:
                    msgs.append(f.read())
        _corpus[(seed, count)] = msgs
    return _corpus[(seed, count)]


# --- scenarios -------------------------------------------------------

def test_protocols():
    """Byte-identical delivery over each TLS flavour; a second run
    fetches nothing; keep yes leaves mail, keep no deletes it."""
    for mode, keep in (("imap-starttls", True), ("imaps", False),
                       ("pop3-stls", True), ("pop3s", False)):
        clear("user1")
        imap = mode.startswith("imap")
        load("user1", "INBOX", corpus(SEED, 8) + edge_messages(imap))
        want = server("user1")
        sdir = scenario(mode)
        conf = write_conf(sdir, [account(sdir, "a", mode, "user1",
                                         keep=keep)])
        rc, out = run_once(conf)
        got = contents(os.path.join(sdir, "a"))
        ok, why = same(got, want)
        check(rc == 0 and ok, "%s: %d messages delivered byte-identical"
              % (mode, len(want)), why + "\n" + out)
        left = server("user1")
        if keep:
            check(same(left, want)[0], "%s: keep = yes leaves all %d on "
                  "the server" % (mode, len(want)), "%d left" % len(left))
        else:
            check(left == [] and ok, "%s: keep = no: the server copies "
                  "are gone, and only after delivery" % mode,
                  "%d left on the server" % len(left))
        rc, out = run_once(conf)
        s = stats(out, "a")
        check(rc == 0 and s is not None and s["fetched"] == 0 and
              len(contents(os.path.join(sdir, "a"))) == len(want),
              "%s: a second run fetches nothing" % mode, out)


def test_only_unseen():
    clear("user1")
    read = [message("read %d" % i, headers=b"X-Mark: read\n")
            for i in range(3)]
    new = [message("new %d" % i, headers=b"X-Mark: new\n") for i in range(4)]
    load("user1", "INBOX", read + new)
    doveadm("flags", "add", "-u", "user1", "\\Seen", "mailbox", "INBOX",
            "header", "X-Mark", "read")
    check(unseen("user1") == len(new), "only-unseen: %d of %d marked "
          "\\Seen beforehand" % (len(read), len(read) + len(new)))
    sdir = scenario("unseen")
    conf = write_conf(sdir, [account(sdir, "a", "imaps", "user1",
                                     only_unseen=True)])
    rc, out = run_once(conf)
    ok, why = same(contents(os.path.join(sdir, "a")), new)
    check(rc == 0 and ok, "only-unseen: only the unseen ones are fetched",
          why + "\n" + out)
    check(unseen("user1") == 0 and len(server("user1")) == 7,
          "only-unseen: they are \\Seen afterwards, and still there",
          "%d unseen" % unseen("user1"))


FOLDERS = ("INBOX", "Work", "Entwürfe")


def test_folders_and_uidvalidity():
    clear("user1")
    for f in FOLDERS:
        load("user1", f, [message("%s %d" % (f, i), filler(
            random.Random(SEED + i), 500)) for i in range(3)])
    want = sum((server("user1", f) for f in FOLDERS), [])
    sdir = scenario("folders")
    conf = write_conf(sdir, [account(sdir, "a", "imap-starttls", "user1",
                                     folders=FOLDERS)])
    rc, out = run_once(conf)
    md = os.path.join(sdir, "a")
    ok, why = same(contents(md), want)
    check(rc == 0 and ok, "folders INBOX, Work, Entwürfe (modified UTF-7): "
          "all 9 delivered", why + "\n" + out)
    rows = state_rows(os.path.join(sdir, "state.db"))
    check(all(rows.get(("a", f), {}).get("delivered") == 3
              for f in FOLDERS), "folders: the state has 3 per folder",
          rows)

    # Work gets a new UIDVALIDITY; Entwürfe is deleted and made again
    # with the same three messages.  One new message in each.
    uv = int(doveadm("mailbox", "status", "-u", "user1", "uidvalidity",
                     "Work").split("=")[1])
    doveadm("mailbox", "update", "-u", "user1", "--uid-validity",
            str(uv + 7), "Work")
    old = server("user1", "Entwürfe")
    doveadm("mailbox", "delete", "-s", "-u", "user1", "Entwürfe")
    fresh = [message("after the reset %d" % i) for i in range(2)]
    load("user1", "Work", fresh[:1])
    load("user1", "Entwürfe", old + fresh[1:])
    rc, out = run_once(conf)
    ok, why = same(contents(md), want + fresh)
    check(rc == 0 and ok, "UIDVALIDITY reset: delivered before -> not "
          "again; the new ones -> delivered", why + "\n" + out)
    check("UIDVALIDITY changed" in out, "UIDVALIDITY reset: logged", out)
    rows = state_rows(os.path.join(sdir, "state.db"))
    ok = all(rows.get(("a", f), {}).get("set_aside") == 3 and
             rows[("a", f)]["duplicate"] == 3 and
             rows[("a", f)]["delivered"] == 1 for f in FOLDERS[1:])
    check(ok, "UIDVALIDITY reset: `mailsift state` shows 3 set aside, 3 "
          "duplicates, 1 delivered in Work and Entwürfe", rows)

    # A folder that is not there fails the account, not the others.
    sdir = scenario("nofolder")
    conf = write_conf(sdir, [account(sdir, "a", "imaps", "user1",
                                     folders=["Nowhere", "Work"])])
    rc, out = run_once(conf)
    ok, why = same(contents(os.path.join(sdir, "a")),
                   server("user1", "Work"))
    check(rc != 0 and ok and "folder Nowhere" in out, "a missing folder: "
          "an error naming it; the other folder is still delivered",
          why + "\n" + out)


def test_oversized():
    rng = random.Random(SEED)
    for mode in ("imaps", "pop3s"):
        clear("user1")
        small = [message("small %d" % i) for i in range(2)]
        load("user1", "INBOX", small + [message("big", filler(rng, 40000))])
        big = [m for m in server("user1") if len(m) > 30000]
        sdir = scenario("big-" + mode)
        conf = write_conf(sdir, [account(sdir, "a", mode, "user1",
                                         keep=False)], "max-size = 8K\n")
        rc, out = run_once(conf)
        ok, why = same(contents(os.path.join(sdir, "a")), small)
        check(rc == 0 and ok, "%s: over max-size: the others are "
              "delivered, the big one is not" % mode, why + "\n" + out)
        check("over max-size: skipped" in out, "%s: the skipped message "
              "is logged" % mode, out)
        rows = state_rows(os.path.join(sdir, "state.db"))
        check(sum(r["skipped"] for r in rows.values()) == 1,
              "%s: the skip is recorded in the state" % mode, rows)
        rc, out = run_once(conf)
        s = stats(out, "a")
        check(rc == 0 and s is not None and s["fetched"] == 0 and
              "max-size" not in out, "%s: the big message is never "
              "fetched again (nor logged again)" % mode, out)
        check(same(server("user1"), big)[0], "%s: keep = no deleted the "
              "others but not the big one" % mode,
              "%d on the server" % len(server("user1")))


def fingerprint(pem):
    out = subprocess.run(["openssl", "x509", "-in", pem, "-noout",
                          "-fingerprint", "-sha256"], capture_output=True,
                         check=True, text=True).stdout
    return "sha256:" + out.strip().split("=", 1)[1]


def test_tls():
    clear("user1")
    msgs = [message("tls %d" % i) for i in range(2)]
    load("user1", "INBOX", msgs)
    fp = fingerprint(E["MSX_SERVER_CERT"])
    sdir = scenario("tls")

    def run(name, mode, **opts):
        conf = write_conf(sdir, [account(sdir, name, mode, "user1",
                                         **opts)])
        rc, out = run_once(conf)
        return rc, out, contents(os.path.join(sdir, name))

    for mode in ("imaps", "pop3-stls"):
        rc, out, got = run("other-ca-" + mode, mode,
                           tls_ca_file=E["MSX_OTHER_CA"])
        port = MODES[mode][2]
        check(rc != 0 and got == [] and "localhost:%s" % port in out and
              "verification failed" in out and "issuer" in out and
              all(o in out for o in ("tls-ca-file", "tls-fingerprint",
                                     "tls-verify")),
              "%s, the wrong CA: refused, naming host, reason and the "
              "options to change" % mode, out)
        check(fp.lower() in out.lower(), "%s, the wrong CA: the message "
              "shows the certificate's SHA-256 (as openssl does)" % mode,
              fp + "\n" + out)
    rc, out, got = run("wronghost", "wronghost")
    check(rc != 0 and got == [] and "hostname mismatch" in out and
          "localhost:%s" % E["MSX_WRONGHOST_PORT"] in out,
          "a certificate for another host name: refused", out)
    rc, out, got = run("pinned", "imaps", tls_ca_file=E["MSX_OTHER_CA"],
                       tls_fingerprint=fp)
    check(rc == 0 and same(got, msgs)[0], "tls-fingerprint pin: accepted "
          "even with the wrong CA", out)
    ca_fp = fingerprint(E["MSX_CA"])
    rc, out, got = run("badpin", "imaps", tls_fingerprint=ca_fp)
    check(rc != 0 and got == [] and "does not match tls-fingerprint" in out,
          "a pin of another certificate: refused", out)


def test_plaintext():
    clear("user1")
    msgs = [message("plain %d" % i) for i in range(2)]
    load("user1", "INBOX", msgs)
    sdir = scenario("plain")
    conf = write_conf(sdir, [account(sdir, "a", "imap-plain", "user1")])
    rc, out = run_once(conf)
    check(rc != 0 and "allow-plaintext-auth" in out and
          not os.path.exists(os.path.join(sdir, "a")),
          "tls = none: refused without allow-plaintext-auth", out)
    rc2, out2 = mailsift("check", "-c", conf)
    check(rc2 != 0 and "allow-plaintext-auth" in out2,
          "tls = none: `mailsift check` refuses it too", out2)
    conf = write_conf(sdir, [account(sdir, "a", "imap-plain", "user1",
                                     allow_plaintext_auth=True)])
    rc, out = run_once(conf)
    check(rc == 0 and same(contents(os.path.join(sdir, "a")), msgs)[0],
          "tls = none with allow-plaintext-auth = true: works", out)


def test_password_command():
    clear("user1")
    msgs = [message("pwcmd %d" % i) for i in range(2)]
    load("user1", "INBOX", msgs)
    sdir = scenario("pwcmd")
    good = os.path.join(sdir, "good.sh")
    bad = os.path.join(sdir, "bad.sh")
    with open(good, "w") as f:
        f.write("#!/bin/sh\nprintf '%s\\n'\n" % PASS["user1"])
    with open(bad, "w") as f:     # prints the secret, then fails
        f.write("#!/bin/sh\nprintf '%s\\n'\nexit 3\n" % PASS["user1"])
    os.chmod(good, 0o700)
    os.chmod(bad, 0o700)
    conf = write_conf(sdir, [account(sdir, "a", "imaps", "user1",
                                     password=None, password_command=good)])
    rc, out = run_once(conf, "-vv")
    check(rc == 0 and same(contents(os.path.join(sdir, "a")), msgs)[0],
          "password-command: works", out)
    conf = write_conf(sdir, [account(sdir, "b", "imaps", "user1",
                                     password=None, password_command=bad)])
    rc, out = run_once(conf)
    check(rc != 0 and "account 'b': password-command exited with status "
          "3" in out and PASS["user1"] not in out,
          "a failing password-command: a clear error (account, exit "
          "status), not its output", out)


def test_parallel_and_exit_status():
    clear("user2")
    clear("user3")
    m2 = corpus(SEED + 1, 6)
    m3 = [message("for user3 %d" % i) for i in range(3)]
    load("user2", "INBOX", m2)
    load("user3", "INBOX", m3)
    sdir = scenario("parallel")
    conf = write_conf(sdir, [
        account(sdir, "two", "imaps", "user2"),
        account(sdir, "three", "pop3s", "user3"),
    ], "parallel = 2\n")
    rc, out = mailsift("check", "-c", conf)
    check(rc == 0, "`mailsift check -c` accepts the configuration", out)
    rc, out = run_once(conf)
    ok2, why2 = same(contents(os.path.join(sdir, "two")), server("user2"))
    ok3, why3 = same(contents(os.path.join(sdir, "three")), m3)
    check(rc == 0 and ok2 and ok3, "parallel = 2: both accounts delivered "
          "(user3's password has a space, a quote and an @)",
          why2 + why3 + "\n" + out)

    # One account that cannot log in, one that can.
    clear("user2")
    load("user2", "INBOX", m2[:2])
    sdir = scenario("exit")
    conf = write_conf(sdir, [
        account(sdir, "broken", "imaps", "user1", password="wrong"),
        account(sdir, "fine", "imaps", "user2"),
    ], "parallel = 2\n")
    rc, out = run_once(conf)
    ok, why = same(contents(os.path.join(sdir, "fine")), server("user2"))
    check(rc != 0 and ok and "broken" in out and "login" in out,
          "--once exits non-zero when one account failed; the other "
          "still delivered", why + "\n" + out)


def test_trace():
    """-vv shows the dialogue but never a secret."""
    clear("user3")
    load("user3", "INBOX", [message("trace")])
    sdir = scenario("trace")
    for mode, auth in (("imap-starttls", "plain"), ("imaps", "login"),
                       ("pop3-stls", "plain"), ("pop3s", "login")):
        name = "%s-%s" % (mode, auth)
        conf = write_conf(sdir, [account(sdir, name, mode, "user3",
                                         auth=auth)])
        rc, out = run_once(conf, "-vv")
        leaks = [s for s in secrets() if s in out]
        check(rc == 0 and "[trace]" in out and "redacted" in out and
              not leaks, "-vv trace (%s, auth %s) shows the dialogue, "
              "not the password" % (mode, auth), out)


def secrets():
    """Each password, and the base64 forms AUTH PLAIN and LOGIN send."""
    out = []
    for u, p in PASS.items():
        for raw in (p, "\0%s\0%s" % (u, p)):
            out.append(base64.b64encode(raw.encode()).decode())
        out.append(p)
    return out


def mbox_entries(data):
    """Split an mbox into (From_ line, message) with >From unquoted."""
    entries = []
    for line in data.split(b"\n")[:-1]:
        if line.startswith(b"From "):
            entries.append([line, []])
        elif entries:
            entries[-1][1].append(re.sub(rb"^>(>*From )", rb"\1", line))
    # each entry ends with the empty line that separates it from the next
    return [(f, b"\n".join(body[:-1]) + b"\n") for f, body in entries]


def test_mbox():
    clear("user1")
    msgs = edge_messages() + corpus(SEED + 2, 4)
    load("user1", "INBOX", msgs)
    want = server("user1")
    sdir = scenario("mbox")
    path = os.path.join(sdir, "inbox.mbox")
    conf = write_conf(sdir, [account(sdir, "a", "imaps", "user1",
                                     deliver="mbox:" + path)])
    rc, out = run_once(conf)
    data = open(path, "rb").read() if os.path.exists(path) else b""
    entries = mbox_entries(data)
    from_ok = all(re.match(rb"From \S+ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d "
                           rb"\d{4}$", f) for f, _ in entries)
    check(rc == 0 and len(entries) == len(want) and from_ok,
          "mbox: one entry per message, each with a From_ line",
          "%d entries\n%s" % (len(entries), out))
    quoted = (b"\n\n>From the first line\n>>From quoted once\n"
              b">>>From quoted twice\n From not at the start\nFromage\n")
    check(quoted in data, "mbox: lines starting (>*)From  are quoted with "
          "one more >, no others", re.findall(rb"^>*From .*", data, re.M))
    ok, why = same([b for _, b in entries], want)
    check(ok, "mbox: unquoted, each entry is the server's message", why)
    rc, out = run_once(conf)
    check(rc == 0 and open(path, "rb").read() == data,
          "mbox: a second run leaves the file alone", out)


def names(md):
    """Names in tmp/ (staged) and new/ (delivered): a file keeps its name
    when it moves from one to the other."""
    out = set()
    for sub in ("tmp", "new"):
        if os.path.isdir(os.path.join(md, sub)):
            out.update(os.listdir(os.path.join(md, sub)))
    return out


def staged(md, old=frozenset()):
    """How many messages a run has staged or delivered so far, leaving out
    the old files (which recovery may remove meanwhile)."""
    return len(names(md) - old)


def test_sigterm_pop3():
    """Daemon mode, POP3 with keep = no, SIGTERM after the first message
    is staged: exit 0, nothing lost, and a rerun completes."""
    clear("user1")
    rng = random.Random(SEED + 3)
    msgs = [message("term %d" % i, filler(rng, 10000)) for i in range(40)]
    load("user1", "INBOX", msgs)
    want = server("user1")
    link = SlowLink(MODES["pop3s"][2], 200 * 1024)
    sdir = scenario("sigterm-pop3")
    md = os.path.join(sdir, "a")
    conf = write_conf(sdir, [account(sdir, "a", "pop3s", "user1",
                                     host="127.0.0.1", port=link.addr,
                                     keep=False)], "poll = 3600\n")
    p = subprocess.Popen([MAILSIFT, "run", "-c", conf],
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        started = wait_for(lambda: staged(md) > 0, p, 30)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        link.close()
    out = err.decode("utf-8", "replace")
    LOGS.append(out)
    got = contents(md)
    check(started and p.returncode == 0, "SIGTERM during a POP3 fetch: "
          "exit 0", "status %s\n%s" % (p.returncode, out))
    check(0 < len(got) < len(want), "SIGTERM: it stopped in the middle "
          "(%d of %d delivered)" % (len(got), len(want)), out)
    # Stopping mid-RETR hangs up without QUIT, so the server keeps even
    # what was delivered (the next round deletes it): nothing is lost,
    # nothing is delivered twice, nothing is left that was not.
    left = server("user1")
    ok, why = same(got, [m for m in want if m in got])
    ok2, why2 = same(sorted(set(got) | set(left)), sorted(set(want)))
    check(ok and ok2, "SIGTERM: each delivered once, and delivered + left "
          "on the server = everything", why + why2)
    rc, out = run_once(write_conf(sdir, [account(sdir, "a", "pop3s",
                                                 "user1", keep=False)]))
    ok, why = same(contents(md), want)
    check(rc == 0 and ok and server("user1") == [],
          "SIGTERM: a rerun completes, each message exactly once",
          why + "\n" + out)


def big_mailbox():
    """user2's INBOX with the crash test's messages, loaded once."""
    want = corpus(SEED, CRASH_MESSAGES)
    if not same(server("user2"), want)[0]:
        clear("user2")
        load("user2", "INBOX", want)
    return server("user2")


def test_sigterm_imap():
    """--once over IMAP: SIGTERM finishes what is in flight and exits 0;
    a rerun completes."""
    want = big_mailbox()
    link = SlowLink(MODES["imaps"][2], 3 * 1024 * 1024)
    sdir = scenario("sigterm-imap")
    md = os.path.join(sdir, "a")
    conf = write_conf(sdir, [account(sdir, "a", "imaps", "user2",
                                     host="127.0.0.1", port=link.addr)])
    p = subprocess.Popen([MAILSIFT, "run", "-c", conf, "--once"],
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        started = wait_for(lambda: staged(md) > 0, p, 30)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        link.close()
    out = err.decode("utf-8", "replace")
    LOGS.append(out)
    n = len(contents(md))
    check(started and p.returncode == 0 and 0 < n < len(want),
          "SIGTERM during an IMAP --once fetch: exit 0 after %d of %d"
          % (n, len(want)), "status %s\n%s" % (p.returncode, out))
    rc, out = run_once(write_conf(sdir, [account(sdir, "a", "imaps",
                                                 "user2")]))
    ok, why = same(contents(md), want)
    check(rc == 0 and ok, "SIGTERM: a rerun completes, each message "
          "exactly once", why + "\n" + out)


def pending_intents(state):
    try:
        db = sqlite3.connect("file:%s?mode=ro" % state, uri=True)
        try:
            return db.execute("SELECT count(*) FROM intent").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return -1       # not created yet


def crash_run(conf, md, state, point, n, lag):
    """One run, killed with SIGKILL `lag` seconds after it has staged n
    messages (point "staged") or moved n into new/ ("renamed");
    (killed, a line of figures)."""
    before = len(maildir_files(md))
    old = names(md)
    new = os.path.join(md, "new")
    if point == "staged":
        def cond():
            return staged(md, old) >= n
    else:
        def cond():
            return os.path.isdir(new) and len(set(os.listdir(new)) - old) >= n
    p = subprocess.Popen([MAILSIFT, "run", "-c", conf, "--once"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    wait_for(cond, p, 60)
    time.sleep(lag)
    killed = p.poll() is None
    if killed:
        p.kill()
    p.wait()
    after = len(maildir_files(md))
    if pending_intents(state) > 0:
        where = ("in new/, not yet recorded" if after > before else
                 "intents recorded, not in new/")
    else:
        where = "after a commit" if after > before else "before the intents"
    return killed, "%s at %s %2d +%2.0f ms: delivered %3d -> %3d: %s" % (
        "kill" if killed else "ended", point, n, lag * 1000, before, after,
        where)


def crash_plan(rng):
    """Where the kills go.  A batch commits once a run has staged 64
    messages: four kills aim at the start of that commit, three at its
    first rename into new/ (so at most 7 * 64 < 500 are delivered before
    the end, and every run has work); the others fall in the middle of a
    batch."""
    plan = [("staged", 64, rng.uniform(0, 0.005)) for _ in range(4)]
    plan += [("renamed", 1, 0.0) for _ in range(3)]
    plan += [("staged", rng.randint(1, 40), rng.uniform(0, 0.02))
             for _ in range(CRASH_KILLS - len(plan))]
    rng.shuffle(plan)
    return plan


def test_crash():
    """kill -9 at seeded random points of a 500-message fetch (keep = no),
    many times; then a run to completion must leave each message exactly
    once, and the server empty."""
    want = big_mailbox()
    check(len(want) == CRASH_MESSAGES, "crash test: %d messages on the "
          "server" % CRASH_MESSAGES, len(want))
    sdir = scenario("crash")
    md = os.path.join(sdir, "a")
    state = os.path.join(sdir, "state.db")
    # At about 1 MB/s a kill point is a point in the message stream,
    # however fast the machine is.
    link = SlowLink(MODES["imaps"][2], 1024 * 1024)
    conf = write_conf(sdir, [account(sdir, "a", "imaps", "user2",
                                     host="127.0.0.1", port=link.addr,
                                     keep=False)])
    kills, figures = 0, []
    try:
        for i, (point, n, lag) in enumerate(crash_plan(random.Random(SEED))):
            killed, line = crash_run(conf, md, state, point, n, lag)
            kills += killed
            figures.append("%2d %s" % (i + 1, line))
            print("# " + figures[-1])
    finally:
        link.close()
    conf = write_conf(sdir, [account(sdir, "a", "imaps", "user2",
                                     keep=False)])
    rc, out = run_once(conf)
    ok, why = same(contents(md), want)
    print("# crash test: %d kills; %d with intents pending, %d after a "
          "commit; the last run delivered %s; %d unnamed files left in "
          "tmp/" % (kills, sum("recorded" in f for f in figures),
                    sum("after a commit" in f for f in figures),
                    (stats(out, "a") or {}).get("delivered"),
                    len(os.listdir(os.path.join(md, "tmp")))))
    check(kills >= 25, "crash test: %d kill -9 during the fetch" % kills,
          "\n".join(figures))
    check(rc == 0 and ok, "crash test: then every message is in the "
          "Maildir exactly once", why + "\n" + out)
    check(server("user2") == [], "crash test: and gone from the server "
          "(keep = no)", len(server("user2")))
    rc, out = run_once(conf)
    s = stats(out, "a")
    check(rc == 0 and s is not None and s["fetched"] == 0 and
          len(contents(md)) == CRASH_MESSAGES, "crash test: another run "
          "finds nothing to do", out)
    r = state_rows(state).get(("a", "INBOX"), {})
    check(r.get("delivered") == CRASH_MESSAGES and r.get("pending") == 0,
          "crash test: the state lists %d delivered, none pending"
          % CRASH_MESSAGES, r)


def own_namespace(pid):
    try:
        return (os.readlink("/proc/%d/ns/mnt" % pid) !=
                os.readlink("/proc/self/ns/mnt"))
    except OSError:
        return False


def in_namespace(holder, *cmd):
    return subprocess.run(["nsenter", "-t", str(holder.pid), "-m"] +
                          list(cmd), capture_output=True, timeout=120)


def full_tmpfs(mnt):
    """A process holding a mount namespace of its own, with a 256 KB tmpfs
    on mnt in it; or None if that cannot be done here."""
    holder = subprocess.Popen(["unshare", "-m", "--propagation", "private",
                               "sleep", "600"], stdin=subprocess.DEVNULL)
    # never mount before the holder is in its own namespace
    if wait_for(lambda: own_namespace(holder.pid), holder, 10):
        m = in_namespace(holder, "mount", "-t", "tmpfs", "-o", "size=256k",
                         "tmpfs", mnt)
        if m.returncode == 0:
            return holder
        print("# " + m.stderr.decode().strip())
    holder.kill()
    holder.wait()
    return None


def test_disk_full():
    """A full file system under three targets: IMAP and POP3 into
    Maildirs, an IMAP folder into an mbox that already holds mail.  The
    run fails with a clear error; what fits is delivered, recorded and
    deleted (keep = no), the rest stays on the servers, the mbox keeps
    what it held; given room, all arrive exactly once."""
    clear("user1")
    clear("user3")
    rng = random.Random(SEED + 4)
    for user, folder in (("user1", "INBOX"), ("user3", "INBOX"),
                         ("user1", "Work")):
        load(user, folder, [message("full %d" % i, filler(rng, 12000))
                            for i in range(30)])

    def on_server():
        return {"imap": server("user1"), "pop3": server("user3"),
                "mbox": server("user1", "Work")}
    want = on_server()
    sdir = scenario("full")
    mnt = os.path.join(sdir, "mnt")
    os.makedirs(mnt)
    holder = full_tmpfs(mnt)
    if holder is None:
        print("# disk full: skipped, no tmpfs in a private mount namespace")
        return
    try:
        disk_full_runs(holder, sdir, mnt, want, on_server)
    finally:
        holder.kill()
        holder.wait()


def disk_full_runs(holder, sdir, mnt, want, on_server):
    inside = "/proc/%d/root%s" % (holder.pid, mnt)  # the tmpfs, seen from here
    mbox = os.path.join(inside, "box.mbox")
    old = b"From old@example.test Mon Jun  3 10:00:00 2024\n" + \
        message("already there", b"old\n") + b"\n"
    with open(mbox, "wb") as f:
        f.write(old)
    # One at a time, the mbox first: its append runs out of room midway.
    conf = write_conf(sdir, [
        account(sdir, "mbox", "imaps", "user1", keep=False, folders=["Work"],
                deliver="mbox:" + os.path.join(mnt, "box.mbox")),
        account(sdir, "imap", "imap-starttls", "user1", keep=False,
                deliver="maildir:" + os.path.join(mnt, "imap")),
        account(sdir, "pop3", "pop3s", "user3", keep=False,
                deliver="maildir:" + os.path.join(mnt, "pop3")),
    ], "parallel = 1\n")
    p = in_namespace(holder, MAILSIFT, "run", "-c", conf, "--once")
    out = p.stderr.decode("utf-8", "replace")
    LOGS.append(out)
    errors = [ln for ln in out.splitlines() if "[error]" in ln and
              "No space left on device (disk full" in ln and mnt in ln]
    check(p.returncode != 0 and all(any(ln.split("]: ")[1].startswith(a)
                                        for ln in errors) for a in want),
          "disk full: each account fails, naming the path and the cause",
          out)
    rows = state_rows(os.path.join(sdir, "state.db"))
    data = open(mbox, "rb").read()
    first = {"imap": contents(os.path.join(inside, "imap")),
             "pop3": contents(os.path.join(inside, "pop3")),
             "mbox": [b for _, b in mbox_entries(data)][1:]}
    left = on_server()
    # what fitted was delivered once (and only that deleted; a failed
    # round may leave a recorded one on the server for the next), the
    # rest stays
    def split_ok(got, left, want):
        g = [digest(x) for x in got]
        w = [digest(x) for x in want]
        seen = set(g) | set(digest(x) for x in left)
        return (len(g) == len(set(g)) and set(g) <= set(w) and
                set(w) <= seen), "%d delivered, %d left" % (len(g),
                                                            len(left))
    split = {a: split_ok(first[a], left[a], want[a]) for a in want}
    check(all(ok for ok, _ in split.values()) and
          sum(len(v) for v in first.values()) > 0,
          "disk full: what fits is delivered, the rest stays on the "
          "servers, nothing lost or repeated (keep = no)",
          "%s %s" % (split, {a: len(v) for a, v in first.items()}))
    check(all(r["pending"] == 0 for r in rows.values()) and
          sum(r["delivered"] for r in rows.values()) ==
          sum(len(v) for v in first.values()),
          "disk full: exactly what was delivered is recorded", rows)
    check(data.startswith(old), "disk full: the mbox keeps what it held")
    in_namespace(holder, "mount", "-o", "remount,size=8m", mnt)
    p = in_namespace(holder, MAILSIFT, "run", "-c", conf, "--once")
    out = p.stderr.decode("utf-8", "replace")
    LOGS.append(out)
    got = {"imap": contents(os.path.join(inside, "imap")),
           "pop3": contents(os.path.join(inside, "pop3")),
           "mbox": [b for _, b in mbox_entries(open(mbox, "rb").read())]}
    got["mbox"] = got["mbox"][1:] if got["mbox"] else []
    verdicts = {a: same(got[a], want[a]) for a in want}
    check(p.returncode == 0 and all(ok for ok, _ in verdicts.values()) and
          open(mbox, "rb").read().startswith(old),
          "disk full: with room, a later run delivers all exactly once",
          "%s\n%s" % (verdicts, out))
    check(all(v == [] for v in on_server().values()),
          "disk full: ... and only then deletes them on the servers")


def test_no_secret_in_logs():
    leaks = sorted({s for s in secrets() for log in LOGS if s in log})
    check(not leaks, "no output of any of the %d runs holds a password"
          % len(LOGS), leaks)


def main():
    os.makedirs(os.path.join(W, "load"))
    tests = [test_protocols, test_only_unseen, test_folders_and_uidvalidity,
             test_oversized, test_tls, test_plaintext, test_password_command,
             test_parallel_and_exit_status, test_trace, test_mbox,
             test_sigterm_pop3, test_sigterm_imap, test_crash,
             test_disk_full, test_no_secret_in_logs]
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
    print("fetch: %d passed, %d failed" % (counts["passed"],
                                           counts["failed"]))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
